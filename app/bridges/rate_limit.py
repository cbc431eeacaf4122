"""Requests- and tokens-per-minute limits, enforced in the host across every run of this process.

A call waits for its turn (cancellable, and the wait is shown in its trace span) instead of taking a provider's
429. Requests are spaced evenly (``rpm=60`` lets one request through per second, never a burst of 60); tokens come
from a bucket that holds a minute's worth and refills continuously. A request is charged its estimated tokens
before it is sent and corrected with the real count afterwards.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class RateLimiter:
    """One deployment group's rpm/tpm allowance. Thread-safe."""

    def __init__(self, rpm: int | None, tpm: int | None, clock: Callable[[], float] = time.monotonic):
        self.rpm = rpm
        self.tpm = tpm
        self._clock = clock
        self._lock = threading.Lock()
        self._next_request = 0.0  # earliest time the next request may go
        self._tokens = float(tpm or 0)  # tokens left in the bucket
        self._refilled = clock()

    def _refill(self, now: float) -> None:
        if self.tpm:
            self._tokens = min(float(self.tpm), self._tokens + (now - self._refilled) * self.tpm / 60.0)
        self._refilled = now

    def reserve(self, tokens: int) -> float:
        """Claim the next slot for a request of about ``tokens`` tokens; returns how long to wait for it (s)."""
        with self._lock:
            now = self._clock()
            self._refill(now)
            wait = 0.0
            if self.rpm:
                start = max(now, self._next_request)
                wait = start - now
                self._next_request = start + 60.0 / self.rpm
            if self.tpm:
                need = min(float(tokens), float(self.tpm))  # one request larger than a minute's worth still goes
                self._tokens -= need
                if self._tokens < 0:
                    wait = max(wait, -self._tokens * 60.0 / self.tpm)
            return wait

    def correct(self, estimated: int, actual: int) -> None:
        """Charge the difference between a request's estimated and real token count."""
        if not self.tpm or actual == estimated:
            return
        with self._lock:
            self._refill(self._clock())
            self._tokens -= actual - estimated


_limiters: dict[tuple[str, int | None, int | None], RateLimiter] = {}
_limiters_lock = threading.Lock()


def limiter_for(name: str, rpm: int | None, tpm: int | None) -> RateLimiter | None:
    """The process-wide limiter of a deployment group (None when it has no limits)."""
    if not rpm and not tpm:
        return None
    key = (name, rpm, tpm)
    with _limiters_lock:
        found = _limiters.get(key)
        if found is None:
            found = _limiters[key] = RateLimiter(rpm, tpm)
        return found
