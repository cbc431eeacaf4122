"""``Hook``: spell functions that run around LLM and tool calls, agent steps and errors, in priority order.

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
from dataclasses import dataclass
from typing import Any, Callable, TypedDict

from app.bridges.errors import SpellError
from app.bridges.registry import Bridge, BridgeContext, Callback, bridge

log = logging.getLogger(__name__)

POINTS = ("before_llm", "after_llm", "before_tool", "after_tool", "agent_step", "error")
EDITABLE = {"before_llm": ("model", "messages", "params"), "after_llm": ("content", "tool_calls"),
            "before_tool": ("args",), "after_tool": ("result",), "agent_step": (), "error": ()}
SKIPPABLE = ("before_llm", "before_tool")


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

    def add(self, point: str, fn: Callable[..., Any], priority: int = 0, name: str = "",
            match: str | None = None) -> int:
        if point not in POINTS:
            raise SpellError("invalid_argument", f"unknown hook point {point!r} (known: {', '.join(POINTS)})")
        with self._lock:
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
            return [{"id": h.id, "point": h.point, "priority": h.priority, "name": h.name, "match": h.match}
                    for h in self._sorted(self._handlers)]

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
            handlers = [h for h in self._sorted(self._handlers) if h.point == point
                        and (h.match is None or fnmatch.fnmatchcase(subject, h.match))]
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
            raise SpellError("cancelled", f"{point} hook '{h.name}' cancelled the call"
                                          + (f": {reason}" if reason else ""))
        if action == "skip":
            if point not in SKIPPABLE:
                raise SpellError("invalid_argument", f"{point} hooks cannot skip (only {', '.join(SKIPPABLE)})")
            return HookResult(payload, skipped=True,
                              result=outcome.get("result") if isinstance(outcome, dict) else None)
        if isinstance(outcome, dict) and "action" not in outcome:
            for key in EDITABLE[point]:
                if key in outcome:
                    payload[key] = outcome[key]
            return None
        raise SpellError("invalid_argument", f"{point} hook '{h.name}' returned {outcome!r}; expected nil, a table, "
                                             "'skip' or 'cancel'")

    def notify_error(self, error: SpellError, where: str) -> None:
        """Tell ``error`` hooks about a failure (their return values are ignored; their own errors are logged)."""
        if not self.has("error"):
            return
        try:
            self.run("error", {"code": error.code, "message": error.message, "retryable": error.retryable,
                               "where": where})
        except SpellError as e:
            log.warning("error hook failed: %s", e)


def hooks_of(ctx: BridgeContext) -> HookRegistry:
    """The run's hook registry."""
    return ctx.service("hooks", HookRegistry)


class HookOptions(TypedDict, total=False):
    priority: int
    name: str
    match: str


@bridge("Hook")
class HookBridge(Bridge):
    """Run spell functions around LLM calls, tool calls and agent steps: observe, modify, skip or cancel.

    Points: ``before_llm``, ``after_llm``, ``before_tool``, ``after_tool``, ``agent_step``, ``error``. A handler
    gets one table (``point`` plus the point's fields) and returns ``nil`` to go on, a table of replaced fields,
    ``"skip"``/``{action = "skip", result = ...}`` (before_* only) or ``"cancel"``/``{action = "cancel",
    reason = ...}``. Handlers with a higher ``priority`` run first; equal priorities run in registration order.

    Payloads: ``before_llm`` {model, messages, params, caller}; ``after_llm`` {model, messages, content,
    tool_calls, usage, cost}; ``before_tool`` {tool, args}; ``after_tool`` {tool, args, result};
    ``agent_step`` {agent, step, tool_calls, content}; ``error`` {code, message, retryable, where}.
    """

    def register(self, point: str, handler: Callback, opts: HookOptions | None = None) -> int:
        """Register a hook handler at a hook point.

        Args:
            point: One of before_llm, after_llm, before_tool, after_tool, agent_step, error.
            handler: A function receiving the payload table; its return value decides what happens next.
        Options:
            priority: Higher runs first (default 0).
            name: A name for listings and error messages.
            match: A glob on the model (LLM points) or tool name (tool points), e.g. "openai/*" or "file_*".
        Returns:
            The hook id, for ``Hook.unregister``.
        Errors:
            invalid_argument for an unknown point; cancelled when a handler cancels a call (raised by that call).
        Example (lua):
            Hook.register("before_llm", function(req) Log.info("calling " .. req.model) end, {priority = 10})
            Hook.register("before_tool", function(ev) if ev.tool == "file_write" then return "cancel" end end)
        Example (js):
            Hook.register("before_llm", (req) => { Log.info("calling " + req.model); }, {priority: 10});
            Hook.register("before_tool", (ev) => ev.tool === "file_write" ? "cancel" : null);
        """
        o = opts or {}
        return hooks_of(self.ctx).add(point, handler, o.get("priority", 0), o.get("name", ""), o.get("match"))

    def unregister(self, id: int) -> bool:
        """Remove a hook handler.

        Args:
            id: The id returned by ``Hook.register``.
        Returns:
            true when a handler was removed, false when the id was unknown.
        Example (lua):
            local id = Hook.register("after_llm", function(r) end)
            Hook.unregister(id)
        Example (js):
            const id = Hook.register("after_llm", (r) => null);
            Hook.unregister(id);
        """
        return hooks_of(self.ctx).remove(id)

    def list(self) -> list[dict[str, Any]]:
        """The registered handlers in the order they run.

        Returns:
            A list of {id, point, priority, name, match}.
        Example (lua):
            for _, h in ipairs(Hook.list()) do print(h.point, h.name) end
            print(#Hook.list())
        Example (js):
            for (const h of Hook.list()) console.log(h.point, h.name);
            console.log(Hook.list().length);
        """
        return hooks_of(self.ctx).listing()

    def points(self) -> list[str]:
        """The hook point names.

        Returns:
            The list of points: before_llm, after_llm, before_tool, after_tool, agent_step, error.
        Example (lua):
            print(table.concat(Hook.points(), ", "))
            -- before_llm, after_llm, ...
        Example (js):
            console.log(Hook.points().join(", "));
            // before_llm, after_llm, ...
        """
        return list(POINTS)
