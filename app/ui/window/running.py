"""Starting, stopping and describing runs: F5 (save first if asked, then run in the engine pool), Shift+F5, the
REPL shortcuts, the syntax check, and the status bar's account of the current file's run."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QLabel

from app import languages as spell_languages
from app.debugger.session import DebugSession, DebugState
from app.ui.console import ConsolePanel
from app.ui.diagnostics import DiagnosticsService
from app.ui.editor_tabs import EditorPage
from app.ui.repl import ReplWidget
from app.ui.run_service import RunService, RunSession, format_seconds, run_options_from_settings
from app.ui.session import SessionState
from app.ui.trace_panel import TracePanel
from app.ui.window.host import WindowHost


class RunPart:
    """Runs of the window's spells. ``before_run`` may take F5 for itself (the debugger continues when paused);
    ``paused`` says whether ``debug_run`` is stopped in the debugger; ``workspace`` is the workspace folder."""

    def __init__(
        self,
        host: WindowHost,
        runs: RunService,
        console: ConsolePanel,
        trace: TracePanel,
        repl: ReplWidget,
        diagnostics: DiagnosticsService,
        state: SessionState,
        label: QLabel,
        workspace: Callable[[], str | None] = lambda: None,
    ) -> None:
        self.host = host
        self.runs = runs
        self.console = console
        self.trace = trace
        self.repl = repl
        self.diagnostics = diagnostics
        self.state = state
        self.label = label
        self.workspace = workspace
        self.before_run: Callable[[], bool] = lambda: False
        self.paused: Callable[[], bool] = lambda: False
        self.debug_run: RunSession | None = None
        self.timer = QTimer(label, interval=250)
        self.timer.timeout.connect(self.update_status)
        runs.runFinished.connect(self._finished)
        runs.runnerFailed.connect(lambda msg: label.setText(f"Engines unavailable: {msg}"))
        runs.runnerReady.connect(self.update_status)
        host.tabs.currentPageChanged.connect(lambda _p: self.update_status())
        label.setText("Starting engines…")

    # ------------------------------------------------------------------------------------------------ actions
    def run(
        self,
        page: EditorPage | None = None,
        *,
        debug_session: Callable[[], DebugSession] | None = None,
        settings: dict[str, Any] | None = None,
    ) -> RunSession | None:
        """Run the current spell (F5; the debugger may take F5 to continue): optionally save first, then start it
        in the engine pool (``debug_session``: called once the run will start, for a run under the debugger;
        ``settings``: run settings on top of the user's, e.g. a replay cassette and a model for Debug this row)."""
        if page is None and debug_session is None and self.before_run():
            return None
        page = page or self.host.tabs.current_page()
        if page is None:
            self.host.notify("Open a spell to run it", 3000)
            return None
        if not spell_languages.is_spell_language(page.language):
            self.host.notify(
                f"Only {spell_languages.spoken_list(spell_languages.primary_extensions())} files can be run", 4000
            )
            return None
        ok, inputs = self.console.parse_input()
        if not ok:
            self.host.panels.show("console")
            return None
        self.state.inputs[page.run_path()] = self.console.input.text().strip()
        if len(self.state.inputs) > 200:
            self.state.inputs.pop(next(iter(self.state.inputs)))
        s = self.host.store.settings
        if s.save_before_run and page.path and page.dirty:
            self.host.tabs.save(page)
        page.editor.mark_run_error(None)
        options = dict(run_options_from_settings(s), inputs=inputs, language=page.language, workspace=self.workspace())
        if settings:
            options["settings"] = {**options["settings"], **settings}
        run = self.runs.start_run(
            page.run_path(),
            page.editor.text(),
            options,
            page.language,
            debug_session=debug_session() if debug_session is not None else None,
            origin=page,
        )
        run.display_path = page.display_path()
        self.console.add_run(run)
        self.trace.add_run(run)
        self.host.panels.show("console")
        self.host.actions_by_id["stop"].setEnabled(True)
        self.timer.start()
        self.update_status()
        return run

    def stop_all(self) -> None:
        """Stop every running spell."""
        self.runs.cancel_all()
        self.update_status()

    def run_selection(self) -> None:
        """Evaluate the selected code (or the caret line) in the REPL of the file's language."""
        page = self.host.tabs.current_page()
        if page is None or not spell_languages.is_spell_language(page.language):
            self.host.notify(f"The REPL speaks {spell_languages.names_list()}", 3000)
            return
        ed = page.editor
        code = ed.selected_text() or ed.line_text(ed.caret()[0])
        if not code.strip():
            return
        idx = self.repl.lang.findData(page.language)
        if idx >= 0:
            self.repl.lang.setCurrentIndex(idx)
        self.host.panels.show("console")
        self.console.tabs.setCurrentWidget(self.repl)
        self.repl.evaluate(code)

    def focus_repl(self) -> None:
        self.host.panels.show("console")
        self.console.tabs.setCurrentWidget(self.repl)
        self.repl.input.setFocus()

    def check(self) -> None:
        page = self.host.tabs.current_page()
        if page is not None:
            self.diagnostics.check_now(page.editor, page.display_path)

    # ------------------------------------------------------------------------------------------------ bookkeeping
    def _finished(self, run: RunSession) -> None:
        ds = run.debug_session
        if ds is not None and ds.state != DebugState.ENDED:  # the run never reached the worker: end it too
            ds.on_finished(run.result)
        failure = getattr(run.result, "failure", None)
        if failure is not None and getattr(failure, "line", None):
            fpath = getattr(failure, "file", None) or run.path
            for page in self.host.tabs.pages():
                if fpath in (page.run_path(), page.display_path()) or (fpath == run.path and run.origin is page):
                    page.editor.mark_run_error(int(failure.line))
                    break
        if not self.runs.active():
            self.host.actions_by_id["stop"].setEnabled(False)
        self.update_status()

    def update_status(self) -> None:
        """The status bar tells about the current file's run (its latest), and how many others run."""
        active = self.runs.active()
        page = self.host.tabs.current_page()
        mine = [r for r in self.runs.sessions if page is not None and r.origin is page]
        shown = mine[-1] if mine else None
        others = len([r for r in active if r is not shown])
        more = f" · {others} other run{'s' if others > 1 else ''} going" if others else ""
        if shown is None:
            base = "Ready" if self.runs.ready else "Starting engines…"
            self.label.setText(base + more)
        else:
            status = "paused in the debugger" if shown is self.debug_run and self.paused() else shown.status
            took = format_seconds(shown.elapsed())
            self.label.setText(
                f"{os.path.basename(shown.display_path)}: {status} · {took} · "
                f"{shown.stats.tokens} tokens · ${shown.stats.cost:.4f}{more}"
            )
        if not active:
            self.timer.stop()
