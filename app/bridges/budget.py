"""The run's host budget: what the bridges hold or produce in the host for one spell, counted where it happens.

The worker's own limits (time, memory, output) cannot see work done in the host: ``Log`` lines, queued events,
registered tools, trace spans. Every bridge that keeps or emits such data charges the run's :class:`HostBudget`
(service ``"budget"``) *before* keeping it. The first charge past a budget marks the run as over budget and calls
``on_exceeded`` (the runner then stops the worker, so the run ends ``limit_exceeded`` even if the spell catches
the error); :meth:`HostBudget.charge` also raises that ``limit_exceeded`` to the bridge that asked.

The budgets are fields of :class:`app.engines.base.Limits`, set per profile in ``app/engines/profiles.py``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from app.bridges.errors import SpellError
from app.engines.base import Limits

if TYPE_CHECKING:
    from app.bridges.registry import BridgeContext

#: Every budget: the ``Limits`` field → what it counts (for messages), and whether it counts bytes.
BUDGETS: dict[str, tuple[str, bool]] = {
    "output_bytes": ("output (print and Log together)", True),
    "event_queue_bytes": ("events waiting for queued subscriptions", True),
    "max_tools": ("registered tools", False),
    "tool_bytes": ("tool descriptions and schemas", True),
    "max_spans": ("trace spans", False),
    "span_bytes": ("trace span data", True),
    "max_objects": ("objects the spell holds (agents, workflows...)", False),
    "object_bytes": ("what the calls creating those objects passed (prompts, options)", True),
}


class HostBudget:
    """Per-run counters against the run's :class:`Limits` (thread-safe)."""

    def __init__(
        self, limits: Limits | None = None, profile: str = "standard", on_exceeded: Callable[[str], None] | None = None
    ):
        self.limits = limits if isinstance(limits, Limits) else Limits()
        self.profile = profile
        self.on_exceeded = on_exceeded  # called once, with the message, on the first budget exceeded
        self.used: dict[str, int] = dict.fromkeys(BUDGETS, 0)
        self.exceeded: str | None = None  # the message of the first budget exceeded
        self.exceeded_name: str | None = None
        self._lock = threading.Lock()

    def limit(self, name: str) -> int:
        """The run's limit for budget ``name``."""
        return int(getattr(self.limits, name))

    def charge(self, name: str, amount: int) -> None:
        """Count ``amount`` against budget ``name``; past the limit, raise ``limit_exceeded`` (nothing is counted)."""
        if not self.add(name, amount):
            raise SpellError("limit_exceeded", self.message(name))

    def add(self, name: str, amount: int) -> bool:
        """Like :meth:`charge`, but report going over by returning False instead of raising (for callers that
        must not fail, such as the output reader)."""
        limit = self.limit(name)
        with self._lock:
            if self.used[name] + amount <= limit:
                self.used[name] += amount
                return True
            first = self.exceeded is None
            if first:
                self.exceeded, self.exceeded_name = self.message(name), name
        if first and self.on_exceeded is not None:
            self.on_exceeded(self.message(name))
        return False

    def release(self, name: str, amount: int) -> None:
        """Give back ``amount`` (an event delivered, a tool replaced)."""
        with self._lock:
            self.used[name] = max(0, self.used[name] - amount)

    def message(self, name: str) -> str:
        """``"limit of 4 MB for events waiting … exceeded (raise it with --limit event_queue_bytes=N …)"``."""
        what, is_bytes = BUDGETS[name]
        limit = self.limit(name)
        shown = _size(limit) if is_bytes else f"{limit:,}"
        return (
            f"host budget exceeded: {what} over {shown} (the {self.profile} profile's {name}; raise it with "
            f"--limit {name}=N or a larger profile)"
        )


def budget_of(ctx: BridgeContext) -> HostBudget:
    """The run's host budget."""
    budget: HostBudget = ctx.service("budget", lambda: HostBudget(ctx.limits, ctx.profile))
    return budget


def json_size(value: Any) -> int:
    """About the size of ``value`` as JSON, in bytes, without building the text (strings count their length)."""
    size = 0
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, str):
            size += len(v) + 2
        elif isinstance(v, dict):
            size += 2
            for k, item in v.items():
                size += len(str(k)) + 4
                stack.append(item)
        elif isinstance(v, (list, tuple)):
            size += 2 + len(v)
            stack.extend(v)
        else:
            size += 8
    return size


def _size(n: int) -> str:
    for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if n >= scale and n % scale == 0:
            return f"{n // scale} {unit}"
    return f"{n:,} bytes"
