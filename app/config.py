"""User settings and provider credentials, shared by the IDE and the ``llmspell`` CLI (no Qt here).

Settings are JSON in the platform config folder (``LLMSPELL_CONFIG_DIR`` overrides it); API keys live in the OS
keyring, never in files, logs or the spells' environment. :func:`export_to_environment` makes stored keys (and
configured local-server URLs) visible to litellm in the calling host process only: workers get a scrubbed
environment.
"""

from __future__ import annotations

import enum
import json
import logging
import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

APP_NAME = "llmspell-studio"
APP_AUTHOR = "LLMSpell"

#: Keyring service under which provider API keys are stored; the user name is the provider id below.
KEYRING_SERVICE = "llmspell-studio"

#: Providers whose API keys the settings dialog manages: id → (label, environment variable litellm reads).
PROVIDERS: dict[str, tuple[str, str]] = {
    "openai": ("OpenAI", "OPENAI_API_KEY"),
    "anthropic": ("Anthropic", "ANTHROPIC_API_KEY"),
    "gemini": ("Google Gemini", "GEMINI_API_KEY"),
    "mistral": ("Mistral", "MISTRAL_API_KEY"),
    "groq": ("Groq", "GROQ_API_KEY"),
    "openrouter": ("OpenRouter", "OPENROUTER_API_KEY"),
    "openai_compatible": ("OpenAI-compatible server", "OPENAI_COMPATIBLE_API_KEY"),
}

#: Local servers whose base URL the user may set: id → (label, default).
BASE_URLS: dict[str, tuple[str, str]] = {
    "ollama": ("Ollama", "http://127.0.0.1:11434"),
    "llamacpp": ("llama.cpp server", "http://127.0.0.1:8080/v1"),
    "openai_compatible": ("OpenAI-compatible endpoint", ""),
}

PROFILES = ("strict", "standard", "trusted")  # app.engines.profiles.PROFILES
THEMES = ("light", "dark", "system")  # system: follows the desktop's light/dark setting
DEFAULT_MODEL = "offline/echo"
MODEL_SUGGESTIONS = (
    "offline/echo",
    "openai/gpt-4o-mini",
    "anthropic/claude-3-5-haiku-latest",
    "gemini/gemini-1.5-flash",
    "ollama/llama3.2",
)


@dataclass
class Settings:
    """Everything the settings dialog edits (secrets excluded)."""

    default_model: str = DEFAULT_MODEL
    theme: str = "light"
    font_family: str = "DejaVu Sans Mono"
    font_size: int = 11
    profile: str = "standard"
    timeout_s: float = 0.0  # 0: the profile's limit
    memory_mb: int = 0  # 0: the profile's limit
    base_urls: dict[str, str] = field(default_factory=dict)
    save_before_run: bool = True
    tab_width: int = 4
    cache_enabled: bool = False  # the exact-match response cache (docs/models.md)
    model_config: str = ""  # [models] and [budget] in llmspell.toml syntax (docs/models.md)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Settings:
        known = {f.name for f in fields(cls)}
        s = cls(**{k: v for k, v in d.items() if k in known})
        if s.theme not in THEMES:
            s.theme = "light"
        if s.profile not in PROFILES:
            s.profile = "standard"
        try:
            s.font_size = max(6, min(48, int(s.font_size)))
        except (TypeError, ValueError):
            s.font_size = 11
        return s


def llm_settings(settings: Settings) -> dict[str, Any]:
    """The run settings that come from the user's model choices (the IDE and ``llmspell`` alike): default model,
    response cache switch and model configuration (docs/models.md)."""
    out: dict[str, Any] = {"default_model": settings.default_model, "cache_enabled": settings.cache_enabled}
    if settings.model_config.strip():
        out["model_config"] = settings.model_config
    return out


def config_dir() -> Path:
    """The settings folder (created on demand)."""
    if os.environ.get("LLMSPELL_CONFIG_DIR"):
        d = Path(os.environ["LLMSPELL_CONFIG_DIR"])
    else:
        import platformdirs  # cheap, but only needed here

        d = Path(platformdirs.user_config_dir(APP_NAME, APP_AUTHOR))
    d.mkdir(parents=True, exist_ok=True)
    return d


def settings_path() -> Path:
    return config_dir() / "settings.json"


def load_settings(path: Path | None = None) -> Settings:
    """The saved settings, or the defaults when there are none (or they cannot be read: logged)."""
    path = path or settings_path()
    try:
        return Settings.from_dict(json.loads(path.read_text("utf-8")))
    except FileNotFoundError:
        return Settings()
    except Exception:
        log.exception("cannot read %s; using defaults", path)
        return Settings()


# ------------------------------------------------------------------------------------------------ credentials
def _keyring():  # imported lazily: the keyring backends take a moment to load
    import keyring

    return keyring


def credential_configured(provider: str) -> bool:
    """True when the keyring holds a key for ``provider`` (the key itself is never returned to the UI)."""
    try:
        return bool(_keyring().get_password(KEYRING_SERVICE, provider))
    except Exception as e:  # no backend, locked keychain...
        _warn_once(e)
        return False


class CredentialSource(enum.Enum):
    """Where a provider's API key comes from (the key itself is never shown)."""

    NONE = "none"
    KEYRING = "keyring"  # the OS keyring: kept across restarts
    ENVIRONMENT = "environment"  # the user's own environment variable (wins over the keyring)
    SESSION = "session"  # set in Settings without a usable keyring: kept until the IDE quits


_session_only: set[str] = set()


def credential_source(provider: str) -> CredentialSource:
    """Where the key of ``provider`` comes from, if anywhere."""
    env = PROVIDERS[provider][1]
    if provider in _session_only and os.environ.get(env):
        return CredentialSource.SESSION
    if os.environ.get(env) and provider not in _exported:
        return CredentialSource.ENVIRONMENT
    return CredentialSource.KEYRING if credential_configured(provider) else CredentialSource.NONE


def set_session_credential(provider: str, secret: str) -> None:
    """Use ``secret`` as the key of ``provider`` in this process until it ends (no keyring, never a file)."""
    os.environ[PROVIDERS[provider][1]] = secret
    _exported.add(provider)
    _session_only.add(provider)
    log.info("using an API key for %s for this session only (no keyring)", provider)


def keyring_problem() -> str | None:
    """Why keys cannot be stored (no usable keyring backend), or None when the keyring works."""
    try:
        kr = _keyring().get_keyring()
        if type(kr).__module__.endswith(".fail"):
            return "No system keyring is available (install and unlock one, e.g. GNOME Keyring or KWallet)."
    except Exception as e:
        return f"The system keyring cannot be used: {type(e).__name__}"
    return None


_warned = False


def _warn_once(e: Exception) -> None:
    global _warned
    if not _warned:
        _warned = True
        # No backend at all (a server, a CI runner) is normal: keys then come from the environment.
        level = logging.INFO if type(e).__name__ == "NoKeyringError" else logging.WARNING
        log.log(level, "keyring unavailable: %s", type(e).__name__)


def stored_credential(provider: str) -> str | None:
    """The API key stored for ``provider`` in the OS keyring (host process only; None when there is none)."""
    return _keyring().get_password(KEYRING_SERVICE, provider) or None


def set_credential(provider: str, secret: str) -> None:
    """Store (or, when ``secret`` is empty, delete) the API key of ``provider`` in the OS keyring."""
    kr = _keyring()
    if secret:
        kr.set_password(KEYRING_SERVICE, provider, secret)
        _exported.add(provider)
        os.environ[PROVIDERS[provider][1]] = secret
        log.info("stored API key for %s in the keyring", provider)
    else:
        delete_credential(provider)


def delete_credential(provider: str) -> None:
    """Remove the API key of ``provider`` from the OS keyring (no error when there is none)."""
    kr = _keyring()
    try:
        kr.delete_password(KEYRING_SERVICE, provider)
        log.info("removed API key for %s from the keyring", provider)
    except Exception:
        pass
    if provider in _exported:
        os.environ.pop(PROVIDERS[provider][1], None)
        _exported.discard(provider)
    _session_only.discard(provider)


_exported: set[str] = set()

#: Environment variables litellm reads for local servers' base URLs.
BASE_URL_ENV = {"ollama": "OLLAMA_API_BASE", "openai_compatible": "OPENAI_BASE_URL"}


def export_to_environment(settings: Settings | None = None) -> None:
    """Make configured keys (and base URLs) visible to litellm in this host process only.

    Worker processes get a scrubbed environment, so spells never see them. Variables the user already set win.
    Called off the UI thread (keyring backends may be slow)."""
    for provider, (_label, env) in PROVIDERS.items():
        if env in os.environ and provider not in _exported:
            continue
        try:
            secret = _keyring().get_password(KEYRING_SERVICE, provider)
        except Exception as e:
            _warn_once(e)
            return
        if secret:
            os.environ[env] = secret
            _exported.add(provider)
    if settings is not None:
        for key, env in BASE_URL_ENV.items():
            url = settings.base_urls.get(key)
            if url and env not in os.environ:
                os.environ[env] = url
