"""Debugging as the window offers it: start (Ctrl+F5), restart, stop, steps and breakpoints through
:class:`app.ui.debugger_panels.DebugWiring`; the debug toolbar; and the switch to the debugging layout while a
debug run lives (back to the editing layout when it ends)."""

from __future__ import annotations

import os
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QToolBar

from app import languages as spell_languages
from app.ui import actions as A
from app.ui.console import ConsolePanel
from app.ui.debug_controller import not_debuggable_message
from app.ui.debugger_panels import DebugWiring
from app.ui.editor_tabs import EditorPage
from app.ui.run_service import RunSession
from app.ui.window.host import WindowHost
from app.ui.window.panels import BOTTOM, DEBUGGING_ONLY, LEFT, LayoutMode, PanelPlace
from app.ui.window.running import RunPart

DEBUG_TOOLBAR = ("continue", "pause", "step_over", "step_in", "step_out", "restart_debug", "stop")
_ACTIVE = ("starting", "running", "paused")


def cannot_debug(page: EditorPage | None) -> str | None:
    """Why ``page`` cannot be debugged, in words for the user (None: it can)."""
    if page is None:
        return "Open a spell to debug it."
    if not spell_languages.is_debuggable(page.language):
        from app.ui.languages import LANGUAGES

        label = LANGUAGES.get(page.language, LANGUAGES["text"]).label
        spoken = spell_languages.names_list(spell_languages.debuggable())
        run = (
            "Run (F5) runs it without the debugger."
            if spell_languages.is_spell_language(page.language)
            else "Only spells can be debugged."
        )
        return f"{page.title} is a {label} file: the debugger speaks {spoken} for now.\n\n{run}"
    return None


class DebugPart:
    """The window's debugger. Add its panels with :meth:`add_panels` and its toolbar with :meth:`add_toolbar`
    once the window's actions exist."""

    def __init__(self, host: WindowHost, wiring: DebugWiring, running: RunPart, console: ConsolePanel) -> None:
        self.host = host
        self.wiring = wiring
        self.controller = wiring.controller
        self.running = running
        self.console = console
        self.toolbar: QToolBar | None = None
        self._last_page: EditorPage | None = None
        running.before_run = wiring.continue_if_paused
        running.paused = lambda: self.controller.is_paused
        self.controller.stateChanged.connect(self._state_changed)
        self.controller.message.connect(lambda msg: host.notify(msg, 5000))

    def add_panels(self) -> None:
        """The debugger's docks: variables, watches and the call stack in a column on the left in the debugging
        layout (where the files are while editing); breakpoints and the stopped LLM call tabbed with the console."""
        docks = self.wiring.docks
        p = self.host.panels
        p.add("variables", "Variables", docks.variables, PanelPlace(LEFT, shown_in=DEBUGGING_ONLY, size=320, span=260))
        p.add("watches", "Watch", docks.watches, PanelPlace(LEFT, below="variables", shown_in=DEBUGGING_ONLY, span=150))
        p.add(
            "call_stack",
            "Call Stack",
            docks.call_stack,
            PanelPlace(LEFT, below="watches", shown_in=DEBUGGING_ONLY, span=150),
        )
        # Breakpoints (five columns and the call filters) get the bottom row's width, next to the console
        p.add(
            "breakpoints",
            "Breakpoints",
            docks.breakpoints,
            PanelPlace(BOTTOM, tab_with="trace", shown_in=DEBUGGING_ONLY),
        )
        p.add(
            "call_stop", "LLM Call", docks.call_stop, PanelPlace(BOTTOM, tab_with="breakpoints", shown_in=frozenset())
        )

    def add_toolbar(self) -> QToolBar:
        """Continue, pause, the steps, restart and stop: shown while debugging."""
        tb = QToolBar("Debug", self.host.panels.window)
        tb.setObjectName("toolbar_debug")
        tb.setMovable(False)
        tb.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
        for key in DEBUG_TOOLBAR:
            tb.addAction(self.host.actions_by_id[key])
        self.host.panels.window.addToolBar(tb)
        self.host.panels.add_toolbar(tb, DEBUGGING_ONLY)
        self.toolbar = tb
        self._state_changed(self.controller.state)
        return tb

    # ------------------------------------------------------------------------------------------------ actions
    def start(self, page: EditorPage | None = None, settings: dict[str, Any] | None = None) -> RunSession | None:
        """Run the current spell under the debugger (Ctrl+F5). Untitled buffers are debugged as they are.
        ``settings``: run settings on top of the user's (Debug this row: its model and replay cassette)."""
        page = page or self.host.tabs.current_page()
        why = cannot_debug(page)
        if why is not None or page is None:
            QMessageBox.information(self.host.panels.window, "Start Debugging", why or "")
            return None
        # a fresh debug session (stops the last one)
        run = self.running.run(page, debug_session=self.controller.new_session, settings=settings)
        if run is None:
            return None
        self._last_page = page
        self.running.debug_run = run
        return run

    def restart(self) -> RunSession | None:
        """Stop the debug run and start it again on the same spell."""
        page = (
            self._last_page
            if self._last_page is not None and self._last_page in self.host.tabs.pages()
            else self.host.tabs.current_page()
        )
        self.stop()
        return self.start(page)

    def stop(self) -> None:
        """Shift+F5: stop the debug run when debugging, else every running spell."""
        if self.wiring.stop():
            run = self.running.debug_run
            if run is not None and not run.done:
                run.cancel()  # also when its session has no run attached yet
            self.running.update_status()
            return
        self.running.stop_all()

    def continue_(self) -> None:
        self.wiring.continue_if_paused()

    def toggle_breakpoint(self) -> None:
        """F9 on the caret's line (untitled buffers too: their breakpoints belong to the buffer)."""
        page = self.host.tabs.current_page()
        if page is not None and not spell_languages.is_debuggable(page.language):
            self.host.notify(f"{not_debuggable_message()}: {page.title} takes no breakpoints", 5000)
            return  # as the margin: no breakpoints where they could never stop
        self.wiring.toggle_breakpoint()

    def step_over(self) -> None:
        self.wiring.step_over()

    def step_in(self) -> None:
        self.wiring.step_in()

    def step_out(self) -> None:
        self.wiring.step_out()

    def run_to_cursor(self) -> None:
        self.wiring.run_to_cursor()

    def pause(self) -> None:
        self.wiring.pause()

    # ------------------------------------------------------------------------------------------------ state
    def _state_changed(self, state: str) -> None:
        """Actions that make sense in ``state`` (idle, starting, running, paused, ended); the layout follows."""
        acts = self.host.actions_by_id
        if not acts:
            return
        self.running.update_status()
        paused = state == "paused"
        for key in ("step_over", "step_in", "step_out", "run_to_cursor", "continue"):
            if key in acts:
                acts[key].setEnabled(paused)
        acts["pause"].setEnabled(state == "running")
        if "restart_debug" in acts:
            acts["restart_debug"].setEnabled(state in _ACTIVE)
        if state in _ACTIVE:
            acts["stop"].setEnabled(True)
        acts["run"].setToolTip("Continue (F5)" if paused else A.by_id("run").tip)
        self.host.panels.switch(LayoutMode.DEBUGGING if state in _ACTIVE else LayoutMode.EDITING)
        status = self.host.panels.window.statusBar()
        if not paused and status.currentMessage().startswith("Paused ("):
            status.clearMessage()  # the "Paused at" note of the last stop is out of date
        stop = self.controller.stop if paused else None
        note = None
        if stop is not None:
            page = self._page_of(stop.file)
            name = page.title if page is not None else os.path.basename(stop.file or "")
            where = f" at {name}:{stop.line}" if stop.file else ""
            note = f"({stop.reason.replace('_', ' ')}){where}"
            self.host.notify(f"Paused {note} — F5 continues, F10 steps over, F11 steps into", 8000)
        run = self.running.debug_run
        if run is not None:  # its console tab says paused too (and running again after it)
            run.set_paused(paused)
            self.console.set_paused(run, (note or "") if paused else None)

    def _page_of(self, file: str | None) -> EditorPage | None:
        for p in self.host.tabs.pages():
            if file and file in (p.run_path(), p.path):
                return p
        return None
