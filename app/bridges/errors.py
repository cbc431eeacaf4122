"""The one error type bridges raise, and its codes (docs/architecture.md §3)."""

from __future__ import annotations

CODES = (
    "invalid_argument",
    "authentication",
    "rate_limited",
    "context_length",
    "timeout",
    "network",
    "provider",
    "tool_failed",
    "limit_exceeded",
    "cancelled",
    "budget_exceeded",
    "not_found",
    "permission_denied",
    "module_not_found",
    "internal",
)


class SpellError(Exception):
    """A bridge failure the spell can catch: ``code`` is one of :data:`CODES`.

    Two notes travel with a failed model call, for the retry loop: ``retry_after``, the seconds the provider asked
    to wait (Retry-After), and ``partial``, set when part of a streamed answer already reached the spell (retrying
    would repeat it)."""

    def __init__(self, code: str, message: str, retryable: bool = False):
        if code not in CODES:
            raise ValueError(f"unknown error code {code!r}")
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.retryable = retryable
        self.retry_after: float | None = None
        self.partial = False

    def to_dict(self) -> dict[str, object]:
        return {"code": self.code, "message": self.message, "retryable": self.retryable}

    def __reduce__(self) -> tuple[object, ...]:
        """Pickled whole (a failure crossing a process: a Ray actor's, a thread pool's), notes included."""
        return (_rebuilt, (self.code, self.message, self.retryable, self.retry_after, self.partial))


def _rebuilt(code: str, message: str, retryable: bool, retry_after: float | None, partial: bool) -> SpellError:
    err = SpellError(code, message, retryable)
    err.retry_after, err.partial = retry_after, partial
    return err


def internal_error(target: str | int, method: str) -> dict[str, object]:
    """What a spell is told when a bridge fails with a host exception (a bug): our words only, never the
    exception's text, which may quote host files or data; the detail goes to the host's log."""
    where = f"{target}.{method}" if isinstance(target, str) else f"object #{target}:{method}"
    return {
        "code": "internal",
        "retryable": False,
        "message": f"internal error in {where} (the details are in the host's log)",
    }
