"""``Hook``: register spell functions at hook points (the pipeline lives in :mod:`app.bridges.hook_registry`)."""

from __future__ import annotations

import builtins
import logging
from typing import Any, TypedDict

from app.bridges.hook_registry import POINTS, hooks_of
from app.bridges.registry import Bridge, Callback, bridge

log = logging.getLogger(__name__)


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
            invalid_argument: an unknown hook point.
            cancelled: (raised by the hooked call, not here) when a handler returns "cancel".
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

    def points(self) -> builtins.list[str]:
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
