"""What every language's debug agent does around the worker during one debug run.

An agent (Lua, Tengo, JavaScript) owns the worker's channel through a :class:`~app.debugger.inbox.DebugInbox`,
wraps the host's bridge calls (refused while an expression is evaluated: watches must not have side effects) and the
script functions a bridge runs (tool bodies, which run the spell's code again), keeps the stack of what the worker is
doing (``modes``: running, bridge, paused...), reads the run's breakpoints from its configuration, and gives it all
back on :meth:`close`. The language's agent supplies the hooks marked below.
"""

from __future__ import annotations

import os
from typing import Any

from app.debugger.inbox import DebugInbox
from app.engines.base import BridgeFault
from app.engines.protocol import DebugCommand

READ_ONLY_BRIDGES = {"JSON"}  # bridges an evaluation may call (no side effects)


class DebugAgentBase:
    """Set up with :meth:`_begin` (configuration) and :meth:`_attach` (last, once the agent is ready for commands)."""

    def _begin(self, host: Any, config: dict[str, Any] | None) -> None:
        self.host = host
        self.config = config or {}
        self.worker = host.worker
        self.channel = self.worker.channel
        self.run_id = host.request.run_id
        self.main_path = os.path.realpath(self.config.get("main_path") or host.spell_path)
        self.files: dict[str, list[dict[str, Any]]] = {
            os.path.realpath(path): list(bps) for path, bps in (self.config.get("breakpoints") or {}).items()
        }
        self.temp_bp: dict[str, Any] | None = None
        self.modes: list[str] = ["running"]
        self.pause_requested = False
        self.closed = False

    def _attach(self, inbox: DebugInbox) -> None:
        """Take over the host's bridge calls and callbacks and the worker's channel."""
        self.inbox = inbox
        self._orig_bridge_call = self.host.bridge_call
        self.host.bridge_call = self._bridge_call
        self._orig_serve_callback = self.host.serve_callback
        self.host.serve_callback = self._serve_callback
        self.worker.debug_agent = self
        inbox.start()

    # life cycle ------------------------------------------------------------------------------------------------
    def __enter__(self) -> Any:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        """Give the channel, the bridge calls and the callbacks back to the worker (before it reports the end of
        the run)."""
        if self.closed:
            return
        self._mark_closed()
        self.inbox.close()
        self.host.bridge_call = self._orig_bridge_call
        self.host.serve_callback = self._orig_serve_callback
        if getattr(self.worker, "debug_agent", None) is self:
            self.worker.debug_agent = None
        self._after_close()

    # hooks for the language's agent ----------------------------------------------------------------------------
    def _mark_closed(self) -> None:
        """Set ``closed`` (first thing on close; an agent whose threads read it may take a lock around it)."""
        self.closed = True

    def _after_close(self) -> None:
        """Anything else to give back once the channel is the worker's again."""

    def _evaluating(self) -> bool:
        """Whether an expression (a watch, a condition, the console) is being evaluated."""
        raise NotImplementedError

    def _refused(self, message: str) -> None:
        """Note a bridge call refused during an evaluation (before it is raised in the spell)."""

    def _after_bridge_call(self) -> None:
        """After every bridge call the spell made, whatever its outcome."""

    def _enter_callback(self) -> None:
        """Before a script function runs for a bridge."""

    def _leave_callback(self) -> None:
        """After it returned or failed."""

    def _apply(self) -> dict[str, list[dict[str, Any]]]:
        """Send the breakpoints (``files`` and ``temp_bp``) to the running code; the verified ones by file."""
        raise NotImplementedError

    def _step_from_bridge(self, action: str) -> None:
        """A step asked for while stopped at an LLM or tool call: step from the spell's calling line."""
        raise NotImplementedError

    # commands ---------------------------------------------------------------------------------------------------
    def _resume_command(self, msg: DebugCommand, args: dict[str, Any], mode: str) -> str | None:
        """continue, step_in/over/out or run_to_cursor: the action to resume a stopped spell with (None when the
        spell was not stopped at a line; stopped at an LLM or tool call, a step starts from the calling line)."""
        action = msg.command
        if action == "run_to_cursor":
            self.temp_bp = {
                "id": -1,
                "file": os.path.realpath(args["file"]),
                "line": int(args["line"]),
                "temporary": True,
            }
            self._apply()
            action = "continue"
        self.inbox.reply(msg, {"ok": True})
        if mode == "paused":
            return action
        if mode == "bridge" and action != "continue":
            self._step_from_bridge(action)
        return None

    # the host's calls, wrapped ---------------------------------------------------------------------------------
    def _bridge_call(self, target: Any, method: str, args: list[Any], opts: Any, line: Any, callbacks: Any) -> Any:
        if str(target) not in READ_ONLY_BRIDGES and self._evaluating():
            message = f"evaluation is read-only: {target}.{method} was not called (bridge calls may have side effects)"
            self._refused(message)
            raise BridgeFault("invalid_argument", message)
        self.modes.append("bridge")
        try:
            return self._orig_bridge_call(target, method, args, opts, line, callbacks)
        finally:
            self.modes.pop()
            self._after_bridge_call()

    def _serve_callback(self, msg: Any) -> None:
        """A script function run for a bridge (a tool body...): the spell's code runs again, so stops apply."""
        self.modes.append("running")
        self._enter_callback()
        try:
            self._orig_serve_callback(msg)
        finally:
            self._leave_callback()
            self.modes.pop()
