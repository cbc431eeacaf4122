"""Model configuration: aliases over deployments, response cache and spending budgets.

Read from the ``[models]``, ``[cache]`` and ``[budget]`` sections of a project's ``llmspell.toml`` (the spell's
folder or the nearest parent that has one) and the same sections in the user settings (Settings → Models, kept as
text in the same syntax); the project file wins per alias. Example::

    [models]
    quick = "openai/gpt-4o-mini"              # an alias for one model

    [models.smart]                            # an alias spread over deployments
    strategy = "simple-shuffle"               # or least-busy, usage-based-routing-v2, latency-based-routing
    fallbacks = ["quick"]                     # aliases tried when every deployment fails
    timeout = 60                              # seconds, per request
    [[models.smart.deployments]]
    model = "openai/gpt-4o"
    api_base = "https://eu.example.com/v1"
    key = "env:EU_OPENAI_KEY"                 # a reference: env:NAME or keyring:PROVIDER — never the key
    rpm = 60                                  # requests per minute for this deployment
    tpm = 90000                               # tokens per minute

    [cache]
    enabled = true                            # exact-match response cache on disk

    [budget]
    daily_usd = 5.0                           # all models, per calendar day (UTC)
    monthly_usd = 50.0
    [budget.models."openai/gpt-4o"]           # one model (or alias)
    daily_usd = 1.0

Spells keep calling ``LLM.complete(p, {model = "smart"})``. Nothing here imports litellm.
"""

from __future__ import annotations

import math
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app import project_config

PROJECT_FILE = project_config.FILE_NAME

#: Routing strategies of litellm's Router that need no external store.
STRATEGIES = ("simple-shuffle", "least-busy", "usage-based-routing-v2", "latency-based-routing", "cost-based-routing")

_KEY_REF = re.compile(r"^(env:[A-Za-z_][A-Za-z0-9_]*|keyring:[a-z0-9_]+)$")
_ALIAS = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-]*$")


class ModelConfigError(ValueError):
    """A configuration that cannot be used; the message names the file and the entry."""


@dataclass(frozen=True)
class Deployment:
    """One place a model alias can be served from."""

    model: str  # litellm model name, e.g. "openai/gpt-4o-mini"
    api_base: str | None = None
    key: str | None = None  # "env:NAME" or "keyring:PROVIDER"
    rpm: int | None = None
    tpm: int | None = None
    timeout: float | None = None


@dataclass(frozen=True)
class ModelAlias:
    """A name spells use, served by one or more deployments through litellm's Router."""

    name: str
    deployments: tuple[Deployment, ...]
    strategy: str = "simple-shuffle"
    fallbacks: tuple[str, ...] = ()
    timeout: float | None = None

    @property
    def rpm(self) -> int | None:
        """The alias's capacity in requests per minute (None: some deployment is unlimited)."""
        values = [d.rpm for d in self.deployments]
        return None if any(v is None for v in values) else sum(v for v in values if v is not None)

    @property
    def tpm(self) -> int | None:
        """The alias's capacity in tokens per minute (None: some deployment is unlimited)."""
        values = [d.tpm for d in self.deployments]
        return None if any(v is None for v in values) else sum(v for v in values if v is not None)


@dataclass(frozen=True)
class Limit:
    """Spending limits in USD for a day and a month (None: none)."""

    daily_usd: float | None = None
    monthly_usd: float | None = None


@dataclass(frozen=True)
class ModelConfig:
    """Everything the provider layer reads."""

    aliases: dict[str, ModelAlias] = field(default_factory=dict)
    cache: bool | None = None  # None: not set here
    budget: Limit = Limit()
    model_budgets: dict[str, Limit] = field(default_factory=dict)
    sources: tuple[str, ...] = ()

    def fingerprint(self) -> tuple[Any, ...]:
        """What identifies the Router built from this configuration."""
        return tuple(sorted((a.name, a.deployments, a.strategy, a.fallbacks, a.timeout) for a in self.aliases.values()))


def find_project_file(start: str | os.PathLike[str] | None) -> Path | None:
    """The ``llmspell.toml`` of ``start`` (a spell file or folder) or of its nearest parent, if any (found by
    :mod:`app.project_config`, which the linter's ``[lint]`` section reads too)."""
    if not start:
        return None
    found = project_config.find(os.fspath(start))
    return Path(found) if found else None


def load_model_config(spell_path: str | None, user: dict[str, Any] | None = None) -> ModelConfig:
    """The configuration for a spell: the user settings' sections overlaid with the project file's.

    A project file comes with the spell (maybe downloaded): it may point deployments only at this computer or at
    servers the user's own settings already use, since requests carry the user's API keys."""
    config = parse_sections(user or {}, USER_SOURCE)
    project = find_project_file(spell_path)
    if project is None:
        return config
    try:
        data = tomllib.loads(project.read_text("utf-8"))
    except (OSError, UnicodeDecodeError) as e:
        raise ModelConfigError(f"{project}: cannot be read ({type(e).__name__})") from None
    except tomllib.TOMLDecodeError as e:
        raise ModelConfigError(f"{project}: {e}") from None
    trusted = {_host(d.api_base) for a in config.aliases.values() for d in a.deployments if d.api_base}
    return merge(config, parse_sections(data, str(project), trusted_hosts=trusted))


USER_SOURCE = "Settings → Models"


def user_sections(text: str) -> dict[str, Any]:
    """The user settings' model configuration (llmspell.toml syntax) as data."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ModelConfigError(f"{USER_SOURCE}: {e}") from None


def merge(base: ModelConfig, over: ModelConfig) -> ModelConfig:
    """``over`` wins per alias, per model budget and per setting."""
    return ModelConfig(
        aliases={**base.aliases, **over.aliases},
        cache=over.cache if over.cache is not None else base.cache,
        budget=Limit(
            over.budget.daily_usd if over.budget.daily_usd is not None else base.budget.daily_usd,
            over.budget.monthly_usd if over.budget.monthly_usd is not None else base.budget.monthly_usd,
        ),
        model_budgets={**base.model_budgets, **over.model_budgets},
        sources=base.sources + over.sources,
    )


def parse_sections(data: dict[str, Any], source: str, trusted_hosts: set[str] | None = None) -> ModelConfig:
    """Validate the ``models``, ``cache`` and ``budget`` sections of ``data`` (``source`` names it in errors).

    ``trusted_hosts`` given: ``data`` is a project file, whose deployments may only use those hosts or loopback."""
    models = data.get("models") or {}
    if not isinstance(models, dict):
        raise ModelConfigError(f"{source}: [models] must be a table of aliases")
    aliases = {name: _alias(name, spec, source) for name, spec in models.items()}
    if trusted_hosts is not None:
        for alias in aliases.values():
            for i, d in enumerate(alias.deployments):
                host = _host(d.api_base) if d.api_base else None
                if host is not None and host not in trusted_hosts and not _loopback(host):
                    raise ModelConfigError(
                        f"{source}: models.{alias.name}.deployments[{i}].api_base: a project file may point only at "
                        f"this computer (localhost) or at servers your own Settings use — requests carry your API "
                        f"keys; add {host} to a model alias in Settings to trust it"
                    )
    for alias in aliases.values():
        for fb in alias.fallbacks:
            if fb not in aliases and "/" not in fb:
                raise ModelConfigError(
                    f"{source}: models.{alias.name}.fallbacks: {fb!r} is neither an alias here "
                    f"nor a provider/model name"
                )
    cache_section = data.get("cache")
    cache: bool | None = None
    if cache_section is not None:
        enabled = cache_section.get("enabled") if isinstance(cache_section, dict) else cache_section
        if not isinstance(enabled, bool):
            raise ModelConfigError(f"{source}: cache.enabled must be true or false")
        cache = enabled
    budget_section = data.get("budget") or {}
    if not isinstance(budget_section, dict):
        raise ModelConfigError(f"{source}: [budget] must be a table")
    per_model = budget_section.get("models") or {}
    if not isinstance(per_model, dict):
        raise ModelConfigError(f"{source}: budget.models must be a table of model names")
    return ModelConfig(
        aliases=aliases,
        cache=cache,
        budget=_limit(budget_section, "budget", source),
        model_budgets={str(m): _limit(v, f"budget.models.{m}", source) for m, v in per_model.items()},
        sources=(source,),
    )


def _alias(name: str, spec: Any, source: str) -> ModelAlias:
    where = f"{source}: models.{name}"
    if not _ALIAS.match(name) or "/" in name:
        raise ModelConfigError(f"{where}: an alias is a plain name (letters, digits, . _ -), not a provider/model")
    if isinstance(spec, str):
        return ModelAlias(name, (Deployment(model=_model_name(spec, where)),))
    if not isinstance(spec, dict):
        raise ModelConfigError(f"{where}: expected a model name or a table with deployments")
    _known(spec, {"deployments", "model", "strategy", "fallbacks", "timeout", "api_base", "key", "rpm", "tpm"}, where)
    raw = spec.get("deployments")
    if raw is None and "model" in spec:  # a one-deployment alias written flat
        raw = [{k: spec[k] for k in ("model", "api_base", "key", "rpm", "tpm") if k in spec}]
    if not isinstance(raw, list) or not raw:
        raise ModelConfigError(f"{where}: needs at least one deployment ([[models.{name}.deployments]] model = ...)")
    deployments = tuple(_deployment(d, f"{where}.deployments[{i}]") for i, d in enumerate(raw))
    strategy = spec.get("strategy", "simple-shuffle")
    if strategy not in STRATEGIES:
        raise ModelConfigError(f"{where}.strategy: {strategy!r} is not one of {', '.join(STRATEGIES)}")
    fallbacks = spec.get("fallbacks", [])
    if not isinstance(fallbacks, list) or not all(isinstance(f, str) and f for f in fallbacks):
        raise ModelConfigError(f"{where}.fallbacks: expected a list of alias or model names")
    if name in fallbacks:
        raise ModelConfigError(f"{where}.fallbacks: an alias cannot fall back to itself")
    return ModelAlias(name, deployments, strategy, tuple(fallbacks), _positive(spec.get("timeout"), f"{where}.timeout"))


def _deployment(d: Any, where: str) -> Deployment:
    if not isinstance(d, dict):
        raise ModelConfigError(f"{where}: expected a table (model = ..., api_base = ..., key = ...)")
    _known(d, {"model", "api_base", "key", "rpm", "tpm", "timeout"}, where)
    key = d.get("key")
    if key is not None and (not isinstance(key, str) or not _KEY_REF.match(key)):
        # Never echo the value: it may be a real key pasted by mistake.
        raise ModelConfigError(
            f'{where}.key: must be a reference, "env:VARIABLE" or "keyring:provider" — '
            f"API keys never go into configuration files"
        )
    base = d.get("api_base")
    if base is not None and (not isinstance(base, str) or not re.match(r"^https?://", base)):
        raise ModelConfigError(f"{where}.api_base: expected an http(s) URL")
    rpm, tpm = d.get("rpm"), d.get("tpm")
    for label, value in (("rpm", rpm), ("tpm", tpm)):
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value <= 0):
            raise ModelConfigError(f"{where}.{label}: expected a positive whole number")
    return Deployment(
        model=_model_name(d.get("model"), where),
        api_base=base,
        key=key,
        rpm=rpm,
        tpm=tpm,
        timeout=_positive(d.get("timeout"), f"{where}.timeout"),
    )


def _host(url: str | None) -> str:
    from urllib.parse import urlsplit  # noqa: PLC0415

    return (urlsplit(url or "").hostname or "").lower()


def _loopback(host: str) -> bool:
    import ipaddress  # noqa: PLC0415

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _model_name(value: Any, where: str) -> str:
    if not isinstance(value, str) or "/" not in value or value.startswith("/") or value.endswith("/"):
        raise ModelConfigError(f'{where}: model must be a provider/model name such as "openai/gpt-4o-mini"')
    return value


def _limit(section: Any, where: str, source: str) -> Limit:
    if not isinstance(section, dict):
        raise ModelConfigError(f"{source}: {where} must be a table (daily_usd = ..., monthly_usd = ...)")
    _known(section, {"daily_usd", "monthly_usd", "models"}, f"{source}: {where}")
    return Limit(
        _positive(section.get("daily_usd"), f"{source}: {where}.daily_usd"),
        _positive(section.get("monthly_usd"), f"{source}: {where}.monthly_usd"),
    )


def _positive(value: Any, where: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
        raise ModelConfigError(f"{where}: expected a positive number")
    return float(value)


def _known(table: dict[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise ModelConfigError(f"{where}: unknown key(s) {', '.join(unknown)} (allowed: {', '.join(sorted(allowed))})")
