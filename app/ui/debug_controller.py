"""Qt adapter of the debugger: a :class:`DebugController` turns :class:`app.debugger.session.DebugSession` events
(which arrive on the runner's threads) into signals on the UI thread, and runs data requests without blocking it.

One controller per main window. It owns the :class:`BreakpointStore` (persist it with the workspace through
``store.to_json()`` / ``store.load_json()``) and makes a fresh session for each debug run::

    controller = DebugController()
    run_service.start_run(path, source, controller.run_options(), language)   # "Debug" (F5 when idle)
    controller.paused.connect(lambda stop: editor.show_current_line(stop.file, stop.line))

The panels in ``app/ui/debugger_panels.py`` connect to these signals; the editor connects to
``breakpointsChanged``, ``paused``, ``resumed``, ``frameSelected`` (see the module docstring there).
"""
from __future__ import annotations

import logging
from typing import Any, Callable

from PySide6.QtCore import QObject, Qt, Signal, Slot

from app.debugger.session import (BreakpointStore, CallBreakpoints, DebugError, DebugSession, StopInfo)

log = logging.getLogger(__name__)


class DebugController(QObject):
    """Signals (all on the UI thread)."""

    stateChanged = Signal(str)            # idle | starting | running | paused | ended
    paused = Signal(object)               # StopInfo
    resumed = Signal()
    ended = Signal(object)                # RunResult
    breakpointsChanged = Signal(str)      # file path (its breakpoints changed or were verified)
    frameSelected = Signal(int, object)   # frame id, frame dict ({name, file, line, kind})
    scopesReady = Signal(int, object)     # frame id, [{name, ref}]
    variablesReady = Signal(int, int, object)  # ref, start, {"items": [...], "total": n}
    evaluated = Signal(str, object)       # expression, {"ok", value, type, ref} or {"ok": False, "error"}
    stringReady = Signal(int, object)     # ref, {"text", "length"}
    variableSet = Signal(int, str, object)  # ref, name, result
    message = Signal(str)                 # an error or notice for the status bar
    _invoke = Signal(object)

    def __init__(self, store: BreakpointStore | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self.store = store or BreakpointStore()
        self.calls = CallBreakpoints()
        self.break_on_error = True
        self.session: DebugSession | None = None
        self.state = "idle"
        self.stop: StopInfo | None = None
        self.frame_id = 1
        self.stops = 0   # stops seen so far (of every session)
        self._invoke.connect(self._run_on_ui, Qt.ConnectionType.QueuedConnection)
        self.store.add_listener(lambda file: self._ui(lambda: self.breakpointsChanged.emit(file)))

    # thread hand-off -----------------------------------------------------------------------------------------------
    def _ui(self, fn: Callable[[], None]) -> None:
        self._invoke.emit(fn)

    @Slot(object)
    def _run_on_ui(self, fn: Callable[[], None]) -> None:
        try:
            fn()
        except Exception:
            log.exception("debug UI update failed")

    # sessions ------------------------------------------------------------------------------------------------------
    def new_session(self) -> DebugSession:
        """A session for the next debug run (the previous one, if still running, is stopped)."""
        if self.session is not None and self.session.state in ("running", "paused"):
            self.session.stop()
        s = DebugSession(self.store, self.break_on_error, self.calls)
        s.add_listener(lambda event, payload: self._ui(lambda: self._on_event(s, event, payload)))
        self.session = s
        self._set_state("starting")
        return s

    def run_options(self, **extra: Any) -> dict[str, Any]:
        """Options for ``RunService.start_run`` that start the run under the debugger."""
        return {**extra, "debug": {"session": self.new_session()}}

    def _set_state(self, state: str) -> None:
        if state != self.state:
            self.state = state
            self.stateChanged.emit(state)

    def _on_event(self, session: DebugSession, event: str, payload: Any) -> None:
        if session is not self.session:
            return
        if event == "paused":
            self.stop = payload
            self.stops += 1
            self.frame_id = 1
            self._set_state("paused")
            self.paused.emit(payload)
            first = self._first_spell_frame(payload)
            if first is not None:
                self.select_frame(first["id"])
        elif event == "running":
            self.stop = None
            self._set_state("running")
            self.resumed.emit()
        elif event == "breakpoints":
            self.breakpointsChanged.emit(payload)
        elif event == "ended":
            self.stop = None
            self._set_state("ended")
            self.ended.emit(payload)
        if session.state == "running" and self.state == "starting":
            self._set_state("running")

    @staticmethod
    def _first_spell_frame(stop: StopInfo) -> dict[str, Any] | None:
        for f in stop.frames:
            if f.get("kind") == "lua":
                return f
        return stop.frames[0] if stop.frames else None

    @property
    def is_paused(self) -> bool:
        return self.state == "paused"

    @property
    def is_active(self) -> bool:
        return self.state in ("starting", "running", "paused")

    # commands ------------------------------------------------------------------------------------------------------
    def _command(self, fn: Callable[[DebugSession], None]) -> None:
        s = self.session
        if s is None:
            self.message.emit("no debug run")
            return
        try:
            fn(s)
        except DebugError as e:
            self.message.emit(str(e))

    def continue_(self, edited: dict[str, Any] | None = None) -> None:
        self._command(lambda s: s.continue_(edited))

    def step_over(self) -> None:
        self._command(lambda s: s.step_over())

    def step_in(self) -> None:
        self._command(lambda s: s.step_in())

    def step_out(self) -> None:
        self._command(lambda s: s.step_out())

    def run_to_cursor(self, file: str, line: int) -> None:
        self._command(lambda s: s.run_to_cursor(file, line))

    def pause(self) -> None:
        self._command(lambda s: s.pause())

    def stop_run(self) -> None:
        self._command(lambda s: s.stop())

    def answer(self, value: Any) -> None:
        """Answer the LLM (or tool) call the run is stopped at, by hand."""
        self._command(lambda s: s.answer(value))

    # breakpoints ---------------------------------------------------------------------------------------------------
    def toggle_breakpoint(self, file: str, line: int) -> None:
        self.store.toggle(file, line)

    def set_breakpoint(self, file: str, line: int, condition: str | None = None, hit: str | None = None,
                       log_message: str | None = None, enabled: bool = True) -> None:
        existing = self.store.at(file, line)
        if existing is not None:
            self.store.update(existing.id, condition=condition, hit=hit, log=log_message, enabled=enabled)
        else:
            self.store.add(file, line, condition, hit, log_message, enabled)

    def set_call_breakpoints(self, llm: bool | None = None, models: list[str] | None = None,
                             tools: bool | None = None, tool_names: list[str] | None = None) -> None:
        """Break before LLM / tool calls (takes effect at once, also in a running session)."""
        if llm is not None:
            self.calls.llm = llm
        if models is not None:
            self.calls.models = list(models)
        if tools is not None:
            self.calls.tools = tools
        if tool_names is not None:
            self.calls.tool_names = list(tool_names)

    # data (answers come back as signals) --------------------------------------------------------------------------
    def _request(self, command: str, args: dict[str, Any], done: Callable[[Any], None]) -> None:
        s = self.session
        if s is None or not self.is_paused:
            return

        def cb(value: Any, error: str | None) -> None:
            if error:
                self._ui(lambda: self.message.emit(error))
            else:
                self._ui(lambda: done(value))
        try:
            s.request_async(command, args, cb)
        except DebugError as e:
            self.message.emit(str(e))

    def select_frame(self, frame_id: int) -> None:
        """Make a frame current: the editor shows its line, the variables panel its scopes."""
        self.frame_id = frame_id
        frame = next((f for f in (self.stop.frames if self.stop else []) if f.get("id") == frame_id), None)
        self.frameSelected.emit(frame_id, frame or {})
        self._request("scopes", {"frame": frame_id}, lambda v: self.scopesReady.emit(frame_id, v))

    def request_variables(self, ref: int, start: int = 0, count: int = 100) -> None:
        self._request("variables", {"ref": ref, "start": start, "count": count},
                      lambda v: self.variablesReady.emit(ref, start, v))

    def request_string(self, ref: int, offset: int = 1, length: int = 1 << 20) -> None:
        self._request("string", {"ref": ref, "offset": offset, "length": length},
                      lambda v: self.stringReady.emit(ref, v))

    def evaluate(self, expression: str, frame: int | None = None) -> None:
        """Watches and the console: the answer comes as ``evaluated(expression, result)``."""
        args: dict[str, Any] = {"expression": expression}
        if frame is not None or self.frame_id:
            args["frame"] = frame if frame is not None else self.frame_id
        self._request("evaluate", args, lambda v: self.evaluated.emit(expression, v))

    def hover(self, expression: str, callback: Callable[[str], None]) -> None:
        """Hover tooltips: ``callback(text)`` on the UI thread (nothing when not stopped or on error)."""
        args = {"expression": expression, "frame": self.frame_id}
        self._request("evaluate", args, lambda v: callback(f"{expression} = {v['value']}") if v.get("ok") else None)

    def set_variable(self, ref: int, name: str, value: str) -> None:
        self._request("set_variable", {"ref": ref, "name": name, "value": value},
                      lambda v: self.variableSet.emit(ref, name, v))
