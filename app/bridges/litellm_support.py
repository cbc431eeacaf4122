"""litellm behind the bridges: lazy import, offline provider registration, error mapping and secret redaction.

Nothing here imports litellm at module import time: :func:`get_litellm` does, once per process, after setting
``LITELLM_LOCAL_MODEL_COST_MAP=True`` (otherwise litellm tries to download its cost map).
"""

from __future__ import annotations

import asyncio
import datetime
import email.utils
import gc
import logging
import os
import re
import threading
import warnings
from collections.abc import Callable
from typing import Any

from app.bridges.errors import SpellError

log = logging.getLogger(__name__)

_lock = threading.Lock()
_litellm: Any = None

#: Keys whose values never appear in spans, logs, cassettes or errors.
SECRET_KEYS = (
    "api_key",
    "apikey",
    "authorization",
    "x-api-key",
    "api-key",
    "headers",
    "extra_headers",
    "aws_secret_access_key",
    "aws_session_token",
    "client_secret",
    "password",
    "token",
)
_SECRET_ENV = re.compile(r"(KEY|TOKEN|SECRET|PASSWORD)", re.I)
_BEARER = re.compile(r"(Bearer\s+)[A-Za-z0-9._\-]+", re.I)
_SK = re.compile(r"\b(sk|pk|rk)-[A-Za-z0-9_\-]{8,}")


_before_first_use: list[Callable[[], None]] = []
_prepared = False
_prep_lock = threading.Lock()  # held while the preparations run: concurrent first calls wait for the keys


def before_first_use(fn: Callable[[], None]) -> None:
    """Run ``fn`` once before litellm is first used or credentials are first looked at in this process (at once
    if that already happened): e.g. load API keys from the OS keyring only when a spell reaches for a model."""
    with _prep_lock:
        if not _prepared:
            _before_first_use.append(fn)
            return
    fn()


def prepare_credentials() -> None:
    """Run the :func:`before_first_use` preparations now (once): before litellm's import, or before anything
    reports which providers have keys."""
    global _prepared
    if _prepared:
        return
    with _prep_lock:
        if _prepared:
            return
        for fn in _before_first_use:
            try:
                fn()
            except Exception:
                log.exception("preparing for the first LLM call failed")
        _before_first_use.clear()
        _prepared = True


def get_litellm() -> Any:
    """The litellm module, imported on first use with the offline provider registered."""
    global _litellm
    if _litellm is not None:
        return _litellm
    prepare_credentials()
    with _lock:
        if _litellm is None:
            os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
            os.environ.setdefault("LITELLM_LOG", "ERROR")
            # The import makes ~500,000 long-lived objects: with the collector on, its full collections during
            # the import hold the GIL for 50-200 ms each (the IDE's UI thread stalled six times while a background
            # thread imported). Off during the import, then everything alive is frozen (never scanned again;
            # the ~2,000 garbage objects of the import stay, a few hundred KB).
            gc_was_on = gc.isenabled()
            gc.disable()
            try:
                import litellm  # noqa: PLC0415 - deliberately lazy (2-3 s import)

                litellm.suppress_debug_info = True
                litellm.telemetry = False
                litellm.disable_hf_tokenizer_download = True  # token counts never fetch tokenizers from the network
                from app.bridges.offline_provider import register  # noqa: PLC0415

                register(litellm)
                logging.getLogger("LiteLLM").setLevel(logging.ERROR)
                _litellm = litellm
            finally:
                if gc_was_on:
                    gc.freeze()
                    gc.enable()
    return _litellm


class _LoopHolder:
    """A thread's own event loop, closed when the thread (and its thread-local data) goes away."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()

    def __del__(self) -> None:
        try:
            self.loop.close()
        except Exception:  # interpreter shutdown: nothing left to release
            pass


_thread_state = threading.local()


def ensure_thread_loop() -> None:
    """Give the calling thread an event loop of its own, once.

    litellm's sync calls dispatch timing hooks on the thread's event loop; a thread without one (every thread but
    the main one) makes it ``asyncio.run`` a fresh loop per call, which costs 1-2 ms each time. Bridge calls run
    on host threads, so every LLM call would pay it."""
    if getattr(_thread_state, "ready", False) or threading.current_thread() is threading.main_thread():
        return
    try:
        loop = asyncio.get_event_loop()  # RuntimeError in a thread without one
        ready = not loop.is_closed()
    except RuntimeError:
        ready = False
    if not ready:
        _thread_state.holder = _LoopHolder()
        asyncio.set_event_loop(_thread_state.holder.loop)
    _thread_state.ready = True


_io_loop: asyncio.AbstractEventLoop | None = None
_io_lock = threading.Lock()


def _io() -> asyncio.AbstractEventLoop:
    """The host's asyncio loop for abortable LLM requests: one daemon thread, started on first use. (One
    long-lived loop: litellm's logging worker binds itself to the loop of the first async call.)"""
    global _io_loop
    with _io_lock:
        if _io_loop is None:
            loop = asyncio.new_event_loop()
            threading.Thread(target=loop.run_forever, name="llm-io", daemon=True).start()
            _io_loop = loop
        return _io_loop


# litellm runs custom providers' async calls (the offline models) through an executor that makes the coroutine;
# one cancelled before it starts is never awaited, which only means that nothing ran: not worth a warning.
warnings.filterwarnings("ignore", message=r"coroutine '.*acompletion' was never awaited", category=RuntimeWarning)


def run_abortable(coro: Any, cancelled: Any) -> Any:
    """Run ``coro`` on the host's I/O loop and wait for its result on this thread; when ``cancelled`` (a
    :class:`~app.bridges.registry.CancelSignal`) is set meanwhile, the coroutine is cancelled (an HTTP request
    in it is closed) and ``concurrent.futures.CancelledError`` is raised."""
    fut = asyncio.run_coroutine_threadsafe(coro, _io())
    forget = cancelled.on_set(fut.cancel) if hasattr(cancelled, "on_set") else (lambda: None)
    try:
        return fut.result()
    finally:
        forget()


def provider_of(model: str) -> str:
    """The provider prefix of ``model`` (``openai/gpt-4o`` → ``openai``; no prefix → ``openai``)."""
    return model.split("/", 1)[0] if "/" in model else "openai"


def is_offline(model: str) -> bool:
    return model.startswith("offline/")


# ------------------------------------------------------------------------------------------------ redaction
_secrets_cache: tuple[int, list[str]] = (0, [])


def _secret_values() -> list[str]:
    """Values of secret-named environment variables (cached until the environment changes)."""
    global _secrets_cache
    data = os.environ._data  # type: ignore[attr-defined]  # the raw mapping: hashing it is ~2 µs, decoding every item ~40 µs
    fingerprint = hash(frozenset(data.items()))
    if _secrets_cache[0] != fingerprint:
        _secrets_cache = (
            fingerprint,
            [v for k, v in os.environ.items() if _SECRET_ENV.search(k) and v and len(v) >= 8],
        )
    return _secrets_cache[1]


def redact_text(text: str, secrets: list[str] | None = None) -> str:
    """``text`` with environment secrets, bearer tokens and ``sk-...`` keys replaced by ``***``."""
    for secret in _secret_values() if secrets is None else secrets:
        if secret in text:
            text = text.replace(secret, "***")
    if "earer" in text or "EARER" in text:
        text = _BEARER.sub(r"\1***", text)
    if "k-" in text:
        text = _SK.sub("***", text)
    return text


def redact(value: Any, depth: int = 0, secrets: list[str] | None = None) -> Any:
    """A copy of ``value`` without secret-named keys and with secret-looking strings masked."""
    if secrets is None:
        secrets = _secret_values()
    if depth > 50:
        return "…"
    if isinstance(value, dict):
        return {
            k: ("***" if str(k).lower() in SECRET_KEYS else redact(v, depth + 1, secrets)) for k, v in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [redact(v, depth + 1, secrets) for v in value]
    if isinstance(value, str):
        return redact_text(value, secrets)
    return value


# ------------------------------------------------------------------------------------------------ errors
_RETRYABLE_CODES = {"rate_limited", "timeout", "network"}


def retry_after(exc: BaseException) -> float | None:
    """The server's Retry-After (seconds, from either form: seconds or an HTTP date) carried by a litellm/openai
    exception, if any."""
    headers: Any = getattr(exc, "headers", None) or getattr(exc, "litellm_response_headers", None)
    response = getattr(exc, "response", None)
    if not headers and response is not None:
        headers = getattr(response, "headers", None)
    if not headers:
        return None
    try:
        value = headers.get("retry-after") or headers.get("Retry-After")
    except AttributeError:
        return None
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except (TypeError, ValueError):
        pass
    try:  # the other form RFC 9110 allows: an HTTP date
        when = email.utils.parsedate_to_datetime(str(value))
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, (when - datetime.datetime.now(datetime.UTC)).total_seconds())


def map_exception(exc: BaseException, model: str = "") -> SpellError:
    """A litellm (or other) exception as a :class:`SpellError` with a code from docs/architecture.md §3, redacted."""
    if isinstance(exc, SpellError):
        return exc
    lit = _litellm
    name = type(exc).__name__
    message = redact_text(str(getattr(exc, "message", "") or str(exc) or name))
    message = re.sub(r"^(litellm\.\w+:\s*)+", "", message)
    where = f"{model}: " if model else ""
    status = getattr(exc, "status_code", None)
    code = "provider"
    if lit is not None:
        table: list[tuple[Any, str]] = [
            (lit.ContextWindowExceededError, "context_length"),
            (lit.AuthenticationError, "authentication"),
            (lit.PermissionDeniedError, "authentication"),
            (lit.RateLimitError, "rate_limited"),
            (lit.Timeout, "timeout"),
            (lit.APIConnectionError, "network"),
            (lit.NotFoundError, "not_found"),
            (lit.BadRequestError, "invalid_argument"),
            (lit.UnprocessableEntityError, "invalid_argument"),
            (lit.InternalServerError, "provider"),
            (lit.ServiceUnavailableError, "provider"),
            (lit.APIError, "provider"),
        ]
        for cls, mapped in table:
            if isinstance(exc, cls):
                code = mapped
                break
    if re.search(r"Missing credentials|Missing \w+ API Key|api_key client option must be set", message, re.I):
        code = "authentication"  # no key configured: raised before any request, never worth retrying
        provider = provider_of(model) if model else "the provider"
        message = (
            f"no API key for {provider}: add it in Settings → Providers (kept in the OS keyring, also used "
            f"by llmspell) or set {provider.upper()}_API_KEY in the environment"
        )
    if code == "provider" and ("APIConnectionError" in message or "Connection error" in message):
        code = "network"  # litellm reports dropped connections (also mid-stream) as 500s or fallback errors
    if isinstance(exc, TimeoutError):
        code = "timeout"
    elif isinstance(exc, (ConnectionError, OSError)) and code == "provider":
        code = "network"
    if "LLM Provider NOT provided" in message:
        code = "invalid_argument"
        message = "unknown provider (name models as provider/model, e.g. openai/gpt-4o-mini or offline/echo)"
    retryable = code in _RETRYABLE_CODES or (code == "provider" and (status is None or int(status) >= 500))
    if code == "provider" and status is not None and 400 <= int(status) < 500 and int(status) != 408:
        retryable = False
    log.debug("mapped %s (status %s) to %s", name, status, code)
    return SpellError(code, f"{where}{message}", retryable)
