"""The run's hook registry behind ``Hook``: spell functions that run around LLM and tool calls, agent steps and
errors, in priority order.

Hooks run in our own pipeline around litellm (not as litellm callbacks), so they can change, skip or cancel a call.
A hook point's payload is one table; what the handler returns decides what happens next:

* ``nil`` (or ``true``): go on unchanged;
* a table without ``action``: replace those fields of the payload (``before_llm``: ``model``, ``messages``,
  ``params``; ``after_llm``: ``content``, ``tool_calls``; ``before_tool``: ``args``; ``after_tool``: ``result``);
* ``"skip"`` or ``{action = "skip", result = ...}`` (``before_llm``/``before_tool`` only): do not make the call,
  use ``result`` instead (an LLM result may be a string or a message table);
* ``"cancel"`` or ``{action = "cancel", reason = "..."}``: stop with a ``cancelled`` error.

While a handler runs, hooks of the same point do not fire again (a ``before_llm`` handler may call ``LLM``).
"""

from __future__ import annotations

import fnmatch
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from app.bridges.errors import SpellError
from app.bridges.registry import BridgeContext

log = logging.getLogger(__name__)

POINTS = ("before_llm", "after_llm", "before_tool", "after_tool", "agent_step", "error")
EDITABLE = {
    "before_llm": ("model", "messages", "params"),
    "after_llm": ("content", "tool_calls"),
    "before_tool": ("args",),
    "after_tool": ("result",),
    "agent_step": (),
    "error": (),
}
SKIPPABLE = ("before_llm", "before_tool")
MAX_HOOKS = 1000


@dataclass
class _Handler:
    id: int
    point: str
    fn: Callable[..., Any]
    priority: int
    name: str
    match: str | None
    order: int


@dataclass
class HookResult:
    """What the hooks decided: ``skipped`` with a substitute ``result``, or go on with the (edited) ``payload``."""

    payload: dict[str, Any]
    skipped: bool = False
    result: Any = None


class HookRegistry:
    """The run's hooks (service ``"hooks"``)."""

    def __init__(self) -> None:
        self._handlers: list[_Handler] = []
        self._lock = threading.Lock()
        self._next = 1
        self._active = threading.local()

    def add(
        self, point: str, fn: Callable[..., Any], priority: int = 0, name: str = "", match: str | None = None
    ) -> int:
        if point not in POINTS:
            raise SpellError("invalid_argument", f"unknown hook point {point!r} (known: {', '.join(POINTS)})")
        with self._lock:
            if len(self._handlers) >= MAX_HOOKS:
                raise SpellError("limit_exceeded", f"a run may register at most {MAX_HOOKS} hooks")
            hid = self._next
            self._next += 1
            self._handlers.append(_Handler(hid, point, fn, int(priority), name or f"{point}#{hid}", match, hid))
        return hid

    def remove(self, hook_id: int) -> bool:
        with self._lock:
            before = len(self._handlers)
            self._handlers = [h for h in self._handlers if h.id != hook_id]
            return len(self._handlers) != before

    def listing(self) -> list[dict[str, Any]]:
        with self._lock:
            return [
                {"id": h.id, "point": h.point, "priority": h.priority, "name": h.name, "match": h.match}
                for h in self._sorted(self._handlers)
            ]

    @staticmethod
    def _sorted(handlers: list[_Handler]) -> list[_Handler]:
        return sorted(handlers, key=lambda h: (-h.priority, h.order))

    def has(self, point: str) -> bool:
        return any(h.point == point for h in self._handlers)

    def run(self, point: str, payload: dict[str, Any], subject: str = "") -> HookResult:
        """Run the handlers of ``point`` on ``payload``; ``subject`` (model or tool name) is matched by ``match``."""
        active: set[str] = getattr(self._active, "points", set())
        if point in active:
            return HookResult(payload)
        with self._lock:
            handlers = [
                h
                for h in self._sorted(self._handlers)
                if h.point == point and (h.match is None or fnmatch.fnmatchcase(subject, h.match))
            ]
        if not handlers:
            return HookResult(payload)
        self._active.points = active | {point}
        try:
            for h in handlers:
                outcome = h.fn(dict(payload, point=point))
                decided = self._apply(point, h, outcome, payload)
                if decided is not None:
                    return decided
        finally:
            self._active.points = active
        return HookResult(payload)

    def _apply(self, point: str, h: _Handler, outcome: Any, payload: dict[str, Any]) -> HookResult | None:
        action = outcome.get("action") if isinstance(outcome, dict) else outcome
        if outcome is None or outcome is True:
            return None
        if action == "cancel":
            reason = outcome.get("reason") if isinstance(outcome, dict) else None
            raise SpellError(
                "cancelled", f"{point} hook '{h.name}' cancelled the call" + (f": {reason}" if reason else "")
            )
        if action == "skip":
            if point not in SKIPPABLE:
                raise SpellError("invalid_argument", f"{point} hooks cannot skip (only {', '.join(SKIPPABLE)})")
            return HookResult(
                payload, skipped=True, result=outcome.get("result") if isinstance(outcome, dict) else None
            )
        if isinstance(outcome, dict) and "action" not in outcome:
            for key in EDITABLE[point]:
                if key in outcome:
                    payload[key] = outcome[key]
            return None
        raise SpellError(
            "invalid_argument",
            f"{point} hook '{h.name}' returned {outcome!r}; expected nil, a table, 'skip' or 'cancel'",
        )

    def notify_error(self, error: SpellError, where: str) -> None:
        """Tell ``error`` hooks about a failure (their return values are ignored; their own errors are logged)."""
        if not self.has("error"):
            return
        try:
            self.run(
                "error", {"code": error.code, "message": error.message, "retryable": error.retryable, "where": where}
            )
        except SpellError as e:
            log.warning("error hook failed: %s", e)


def hooks_of(ctx: BridgeContext) -> HookRegistry:
    """The run's hook registry."""
    return ctx.service("hooks", HookRegistry)
