"""Qt adapter of the debugger: a :class:`DebugController` turns :class:`app.debugger.session.DebugSession` events
(which arrive on the runner's threads) into signals on the UI thread, and runs data requests without blocking it.

One controller per main window. It owns the :class:`BreakpointStore` (persist it with the workspace through
``store.to_json()`` / ``store.load_json()``) and makes a fresh session for each debug run::

    controller = DebugController()
    run_service.start_run(path, source, options, language, debug_session=controller.new_session())  # "Debug"
    controller.paused.connect(lambda stop: editor.show_current_line(stop.file, stop.line))

The panels in ``app/ui/debugger_panels.py`` connect to these signals; the editor connects to
``breakpointsChanged``, ``paused``, ``resumed``, ``frameSelected`` (see the module docstring there).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal, Slot

from app import languages
from app.debugger.session import (
    BreakpointStore,
    CallBreakpoints,
    DebugError,
    DebugSession,
    DebugState,
    FrameKind,
    StopInfo,
)

log = logging.getLogger(__name__)


class DebugController(QObject):
    """Signals (all on the UI thread)."""

    stateChanged = Signal(str)  # idle | starting | running | paused | ended
    paused = Signal(object)  # StopInfo
    resumed = Signal()
    ended = Signal(object)  # RunResult
    breakpointsChanged = Signal(str)  # file path (its breakpoints changed or were verified)
    frameSelected = Signal(int, object)  # frame id, frame dict ({name, file, line, kind})
    scopesReady = Signal(int, object)  # frame id, [{name, ref}]
    variablesReady = Signal(int, int, object)  # ref, start, {"items": [...], "total": n}
    evaluated = Signal(str, object)  # expression, {"ok", value, type, ref} or {"ok": False, "error"}
    stringReady = Signal(int, object)  # ref, {"text", "length"}
    variableSet = Signal(int, str, object)  # ref, name, result
    message = Signal(str)  # an error or notice for the status bar
    _invoke = Signal(object)

    def __init__(self, store: BreakpointStore | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self.store = store or BreakpointStore()
        self.calls = CallBreakpoints()
        self.break_on_error = True
        self.session: DebugSession | None = None
        self.state: DebugState = DebugState.IDLE
        self.stop: StopInfo | None = None
        self.frame_id = 1
        self.stops = 0  # stops seen so far (of every session)
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
        if self.session is not None and self.session.state in (DebugState.RUNNING, DebugState.PAUSED):
            self.session.stop()
        s = DebugSession(self.store, self.break_on_error, self.calls)
        s.add_listener(lambda event, payload: self._ui(lambda: self._on_event(s, event, payload)))
        self.session = s
        self._set_state(DebugState.STARTING)
        return s

    def _set_state(self, state: DebugState) -> None:
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
            self._set_state(DebugState.PAUSED)
            self.paused.emit(payload)
            first = self._first_spell_frame(payload)
            if first is not None:
                self.select_frame(first["id"])
        elif event == "running":
            self.stop = None
            self._set_state(DebugState.RUNNING)
            self.resumed.emit()
        elif event == "breakpoints":
            self.breakpointsChanged.emit(payload)
        elif event == "ended":
            self.stop = None
            self._set_state(DebugState.ENDED)
            self.ended.emit(payload)
        if session.state == DebugState.RUNNING and self.state == DebugState.STARTING:
            self._set_state(DebugState.RUNNING)

    @staticmethod
    def _first_spell_frame(stop: StopInfo) -> dict[str, Any] | None:
        for f in stop.frames:
            if f.get("kind") == FrameKind.SPELL:
                return f
        return stop.frames[0] if stop.frames else None

    @property
    def is_paused(self) -> bool:
        return self.state == DebugState.PAUSED

    @property
    def is_active(self) -> bool:
        return self.state in (DebugState.STARTING, DebugState.RUNNING, DebugState.PAUSED)

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

    def set_breakpoint(
        self,
        file: str,
        line: int,
        condition: str | None = None,
        hit: str | None = None,
        log_message: str | None = None,
        enabled: bool = True,
    ) -> None:
        existing = self.store.at(file, line)
        if existing is not None:
            self.store.update(existing.id, condition=condition, hit=hit, log=log_message, enabled=enabled)
        else:
            self.store.add(file, line, condition, hit, log_message, enabled)

    def set_break_on_error(self, on: bool) -> None:
        """Break on uncaught errors: for the next runs, and the current one at once."""
        self.break_on_error = bool(on)
        if self.session is not None:
            try:
                self.session.set_break_on_error(on)
            except DebugError as e:
                self.message.emit(str(e))

    def set_call_breakpoints(
        self,
        llm: bool | None = None,
        models: list[str] | None = None,
        tools: bool | None = None,
        tool_names: list[str] | None = None,
    ) -> None:
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
        self._request(
            "variables", {"ref": ref, "start": start, "count": count}, lambda v: self.variablesReady.emit(ref, start, v)
        )

    def request_string(self, ref: int, offset: int = 1, length: int = 1 << 20) -> None:
        self._request(
            "string", {"ref": ref, "offset": offset, "length": length}, lambda v: self.stringReady.emit(ref, v)
        )

    def evaluate(self, expression: str, frame: int | None = None) -> None:
        """Watches and the console: the answer comes as ``evaluated(expression, result)``."""
        args: dict[str, Any] = {"expression": expression}
        if frame is not None or self.frame_id:
            args["frame"] = frame if frame is not None else self.frame_id
        self._request("evaluate", args, lambda v: self.evaluated.emit(expression, v))

    def hover(
        self, expression: str, callback: Callable[[str], None], fallback: Callable[[], None] | None = None
    ) -> None:
        """Hover tooltips: ``callback(text)`` on the UI thread (nothing when not stopped; ``fallback()``, if given,
        when the expression does not evaluate)."""
        args = {"expression": expression, "frame": self.frame_id}

        def done(v: dict[str, Any]) -> None:
            if v.get("ok"):
                callback(f"{expression} = {v['value']}")
            elif fallback is not None:
                fallback()

        self._request("evaluate", args, done)

    def set_variable(self, ref: int, name: str, value: str) -> None:
        self._request(
            "set_variable", {"ref": ref, "name": name, "value": value}, lambda v: self.variableSet.emit(ref, name, v)
        )


# ------------------------------------------------------------------------------------------------ editor binding
SC_MARK_CIRCLE, SC_MARK_ROUNDRECT, SC_MARK_ARROW, SC_MARK_SHORTARROW, SC_MARK_BACKGROUND = 0, 1, 2, 4, 22
SC_MARK_SMALLRECT, SC_MARK_CHARACTER = 3, 10000


def _bgr(color: str) -> int:
    c = color.lstrip("#")
    r, g, b = int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16)
    return r | (g << 8) | (b << 16)


def ask_breakpoint_text(parent: Any, title: str, label: str, text: str) -> str | None:
    """A one-line input for conditions, hit counts and log messages (tests replace this)."""
    from PySide6.QtWidgets import QInputDialog, QLineEdit

    value, ok = QInputDialog.getText(parent, title, label, QLineEdit.EchoMode.Normal, text)
    return value if ok else None


def not_debuggable_message() -> str:
    """What a margin click or F9 says in a file the debugger does not speak (from the language registry)."""
    return f"The debugger speaks {languages.names_list(languages.debuggable())} only for now"


class EditorDebugBinding(QObject):
    """The debugger in one editor (a ScintillaEdit): breakpoint markers in the symbol margin (click toggles,
    right-click edits condition, hit count, log message, enable), the current line while stopped, hover values,
    and breakpoints that move with the edited lines (Scintilla markers move with the text; their lines go back
    to the store after each edit that adds or removes lines)."""

    MARKER_BP, MARKER_BP_DISABLED, MARKER_BP_SPECIAL, MARKER_CURRENT, MARKER_CURRENT_BG = 4, 5, 6, 7, 8

    @property
    def not_debuggable_message(self) -> str:
        """What a margin click or F9 says in a file the debugger does not speak (from the language registry)."""
        return not_debuggable_message()

    def __init__(
        self,
        editor: Any,
        path: Callable[[], str | None] | str,
        controller: DebugController,
        margin: int = 1,
        language: Callable[[], str] | str | None = None,
    ):
        super().__init__(editor)
        self.editor = editor
        self._path = path if callable(path) else (lambda: path)
        # the file's language: breakpoints (markers, margin clicks) only in languages the debugger speaks
        self._language = language if callable(language) else (lambda: language or "lua")
        self.controller = controller
        self.margin = margin
        self._handles: dict[int, int] = {}  # breakpoint id → marker handle
        self._current: tuple[str, int] | None = None
        e = editor
        e.markerDefine(self.MARKER_BP, SC_MARK_CIRCLE)
        e.markerDefine(self.MARKER_BP_DISABLED, SC_MARK_CIRCLE)
        e.markerDefine(self.MARKER_BP_SPECIAL, SC_MARK_ROUNDRECT)
        e.markerDefine(self.MARKER_CURRENT, SC_MARK_SHORTARROW)
        e.markerDefine(self.MARKER_CURRENT_BG, SC_MARK_BACKGROUND)
        for num, fore, back in (
            (self.MARKER_BP, "#c62828", "#e53935"),
            (self.MARKER_BP_DISABLED, "#9e9e9e", "#e0e0e0"),
            (self.MARKER_BP_SPECIAL, "#c62828", "#ff8a65"),
            (self.MARKER_CURRENT, "#5d4037", "#ffd54f"),
            (self.MARKER_CURRENT_BG, "#000000", "#fff3c4"),
        ):
            e.markerSetFore(num, _bgr(fore))
            e.markerSetBack(num, _bgr(back))
        mask = (
            (1 << self.MARKER_BP)
            | (1 << self.MARKER_BP_DISABLED)
            | (1 << self.MARKER_BP_SPECIAL)
            | (1 << self.MARKER_CURRENT)
        )
        e.setMarginMaskN(margin, e.marginMaskN(margin) | mask)
        e.setMarginSensitiveN(margin, True)
        e.marginClicked.connect(self._margin_clicked)
        e.modified.connect(self._modified)
        if hasattr(e, "value_hover"):  # the editor's own hover asks us first (values when stopped, else docs)
            e.value_hover = self.hover_value
        else:
            e.dwellStart.connect(self._dwell)
        e.viewport().installEventFilter(self)
        # methods, not lambdas: Qt drops these connections when the editor (and this child of it) is deleted
        controller.breakpointsChanged.connect(self._breakpoints_changed)
        controller.paused.connect(self._paused)
        controller.frameSelected.connect(self._frame_selected)
        controller.resumed.connect(self._clear_current)
        controller.ended.connect(self._clear_current)
        self.refresh()

    def _paused(self, stop: Any) -> None:
        self.show_current(stop.file, stop.line)

    def _frame_selected(self, _frame_id: int, frame: Any) -> None:
        self.show_current(frame.get("file"), frame.get("line"))

    def _clear_current(self, *_: Any) -> None:
        self.show_current(None, None)

    @property
    def path(self) -> str | None:
        p = self._path()
        return os.path.realpath(p) if p else None

    @property
    def debuggable(self) -> bool:
        """Whether the language registry gives this editor's language a debug agent: other editors neither show
        nor set breakpoints."""
        return languages.is_debuggable(self._language())

    def _breakpoints_changed(self, file: str) -> None:
        if self.path and os.path.realpath(file) == self.path:
            self.refresh()

    def refresh(self) -> None:
        """Redraw the breakpoint markers from the store."""
        e = self.editor
        for num in (self.MARKER_BP, self.MARKER_BP_DISABLED, self.MARKER_BP_SPECIAL):
            e.markerDeleteAll(num)
        self._handles.clear()
        if not self.path or not self.debuggable:
            return
        for bp in self.controller.store.for_file(self.path):
            num = (
                self.MARKER_BP_DISABLED
                if not bp.enabled
                else (self.MARKER_BP_SPECIAL if (bp.condition or bp.hit or bp.log) else self.MARKER_BP)
            )
            line = bp.actual_line if bp.verified and bp.actual_line else bp.line  # where it landed
            self._handles[bp.id] = e.markerAdd(line - 1, num)

    def show_current(self, file: str | None, line: int | None) -> None:
        """The arrow and band of the line the run is stopped at (None clears it)."""
        e = self.editor
        e.markerDeleteAll(self.MARKER_CURRENT)
        e.markerDeleteAll(self.MARKER_CURRENT_BG)
        if file and line and self.path and os.path.realpath(file) == self.path:
            self._band_colour()
            e.markerAdd(line - 1, self.MARKER_CURRENT)
            e.markerAdd(line - 1, self.MARKER_CURRENT_BG)

    def update_colours(self) -> None:
        """Follow the editor's theme (call after it changes)."""
        self._band_colour()

    def _band_colour(self) -> None:
        """The stopped line's band in a shade that keeps the editor's text readable (light or dark theme)."""
        e = self.editor
        try:
            bg = int(e.styleBack(32))  # STYLE_DEFAULT, as BGR
        except Exception:
            return
        r, g, b = bg & 0xFF, (bg >> 8) & 0xFF, (bg >> 16) & 0xFF
        dark = (0.299 * r + 0.587 * g + 0.114 * b) < 128
        e.markerSetBack(self.MARKER_CURRENT_BG, _bgr("#5a4a12" if dark else "#ffe8a3"))

    def marker_lines(self) -> dict[int, int]:
        """Breakpoint id → 1-based line where its marker is now."""
        return {
            bid: self.editor.markerLineFromHandle(h) + 1
            for bid, h in self._handles.items()
            if self.editor.markerLineFromHandle(h) >= 0
        }

    # events --------------------------------------------------------------------------------------------------------
    def _margin_clicked(self, position: int, modifiers: int, margin: int) -> None:
        if margin != self.margin or not self.path:
            return
        if not self.debuggable:  # as F9 says: no breakpoints where they could never stop
            self.controller.message.emit(self.not_debuggable_message)
            return
        self.controller.toggle_breakpoint(self.path, self.editor.lineFromPosition(position) + 1)

    def _modified(self, mtype: int, position: int, length: int, lines_added: int, *rest: Any) -> None:
        if lines_added and self._handles and self.path:
            from PySide6.QtCore import QTimer

            QTimer.singleShot(0, self._sync_lines)

    def _sync_lines(self) -> None:
        if self.path:
            self.controller.store.set_lines(self.path, self.marker_lines())

    def expression_at(self, pos: int) -> str:
        """The dotted name under ``pos`` (``a.b.c`` when hovering ``c``), for hover values."""
        e = self.editor
        line = e.lineFromPosition(pos)
        start = e.positionFromLine(line)
        raw = e.getLine(line)
        raw = raw if isinstance(raw, str) else bytes(raw)  # a QByteArray from ScintillaEdit (str() of it is "b'…'")
        if isinstance(raw, str):
            text, col = raw, pos - start
        else:  # pos is a byte offset: the column in characters
            text = raw.decode("utf-8", "replace")
            col = len(raw[: pos - start].decode("utf-8", "ignore"))
        ok = lambda ch: ch.isalnum() or ch in "_."  # noqa: E731
        a = col
        while a > 0 and ok(text[a - 1]):
            a -= 1
        b = col
        while b < len(text) and (text[b].isalnum() or text[b] == "_"):
            b += 1
        expr = text[a:b].strip(".")
        return expr if expr and not expr[0].isdigit() else ""

    def _dwell(self, x: int, y: int) -> None:
        pos = self.editor.positionFromPointClose(x, y)
        if pos >= 0:
            self.hover_value(pos, x, y)

    def hover_value(self, pos: int, x: int, y: int) -> bool:
        """While stopped, show the value of the expression at ``pos`` as a tooltip at ``(x, y)`` (asynchronously);
        False when not stopped or there is no expression there (the editor then shows its docs)."""
        if not self.controller.is_paused or pos < 0:
            return False
        expr = self.expression_at(pos)
        if not expr:
            return False
        from PySide6.QtCore import QPoint
        from PySide6.QtWidgets import QToolTip

        at = self.editor.viewport().mapToGlobal(QPoint(x, y))
        docs_of = getattr(self.editor, "hover_text", None)

        def docs() -> str | None:
            try:
                return docs_of(pos) if docs_of is not None else None
            except Exception:
                return None

        def show(text: str) -> None:
            doc = docs() if " = function" in text else None  # a function's docs say more than its address
            QToolTip.showText(at, f"{text}\n\n{doc}" if doc else text, self.editor)

        def fallback() -> None:  # not an expression (a keyword, …): the docs, if any
            doc = docs()
            if doc:
                QToolTip.showText(at, doc, self.editor)

        self.controller.hover(expr, show, fallback)
        return True

    def eventFilter(self, obj: Any, event: Any) -> bool:  # noqa: N802 - Qt naming
        from PySide6.QtCore import QEvent

        if event.type() == QEvent.Type.MouseButtonPress and event.button() == Qt.MouseButton.RightButton:
            x = event.position().x()
            left = sum(self.editor.marginWidthN(i) for i in range(self.margin))
            if left <= x < left + self.editor.marginWidthN(self.margin) and self.path:
                if not self.debuggable:
                    self.controller.message.emit(self.not_debuggable_message)
                    return True
                pos = self.editor.positionFromPoint(int(x), int(event.position().y()))
                self.margin_menu(self.editor.lineFromPosition(pos) + 1, event.globalPosition().toPoint())
                return True
        return False

    def margin_menu(self, line: int, at: Any = None) -> None:
        """Right-click in the margin: add, edit (condition, hit count, log message), disable or remove."""
        from PySide6.QtWidgets import QMenu

        path = self.path
        if not path:
            return
        bp = self.controller.store.at(path, line)
        menu = QMenu(self.editor)
        if bp is None:
            menu.addAction("Add breakpoint", lambda: self.controller.toggle_breakpoint(path, line))
            menu.addAction("Add conditional breakpoint…", lambda: self.edit(line, "condition"))
            menu.addAction("Add logpoint…", lambda: self.edit(line, "log"))
        else:
            menu.addAction("Edit condition…", lambda: self.edit(line, "condition"))
            menu.addAction("Edit hit count…", lambda: self.edit(line, "hit"))
            menu.addAction("Edit log message…", lambda: self.edit(line, "log"))
            menu.addAction(
                "Disable" if bp.enabled else "Enable",
                lambda: self.controller.store.update(bp.id, enabled=not bp.enabled),
            )
            menu.addAction("Remove", lambda: self.controller.store.remove(path, bp.line))
        if at is not None:
            menu.popup(at)
        self.last_menu = menu

    def edit(self, line: int, field: str) -> None:
        path = self.path
        if not path:
            return
        labels = {
            "condition": "Break when this Lua expression is true:",
            "hit": "Break on hit count (== n, >= n, % n):",
            "log": "Log message instead of stopping ({expr} parts are evaluated):",
        }
        bp = self.controller.store.at(path, line)
        value = ask_breakpoint_text(self.editor, "Breakpoint", labels[field], (getattr(bp, field) or "") if bp else "")
        if value is None:
            return
        if bp is None:
            bp = self.controller.store.add(path, line)
        self.controller.store.update(bp.id, **{field: value})
