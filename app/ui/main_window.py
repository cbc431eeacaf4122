"""The main window: composes the editor area, the docks and the feature parts of :mod:`app.ui.window` (panels and
layouts, workspace and hot exit, runs, debugging, reference, editing commands, command palette), and builds menus,
toolbars and shortcuts from the action table."""

from __future__ import annotations

import base64
import logging
import operator
import os
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QByteArray, QObject, Qt, QTimer, Signal
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QDragEnterEvent,
    QDropEvent,
    QIcon,
    QKeySequence,
)
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QStyle,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from app import languages as spell_languages
from app.ui import actions as A
from app.ui import completion, editor_tabs, hotexit, paths, session, theme
from app.ui.actions import ActionSpec
from app.ui.console import ConsolePanel
from app.ui.debugger_panels import DebugWiring, debug_action_specs
from app.ui.diagnostics import DiagnosticsService
from app.ui.editor_tabs import FILE_FILTER, EditorPage, EditorTabs
from app.ui.eval_view import EvalWiring, eval_action_specs
from app.ui.file_tree import FileTreePanel
from app.ui.find_bar import FindBar
from app.ui.find_in_files import FindInFilesPanel
from app.ui.outline import OutlinePanel, symbols
from app.ui.problems_panel import LintWiring
from app.ui.repl import ReplWidget
from app.ui.run_service import RunService, RunSession, run_options_from_settings
from app.ui.settings import Settings, SettingsStore
from app.ui.spend_status import SpendLabel
from app.ui.test_explorer import TestExplorerWiring
from app.ui.trace_panel import TracePanel
from app.ui.welcome import WelcomePage
from app.ui.window.debugging import DebugPart
from app.ui.window.editing import EditingPart
from app.ui.window.palette import CommandPalette
from app.ui.window.panels import (
    BOTH,
    BOTTOM,
    EDITING_ONLY,
    LEFT,
    PanelLayout,
    PanelPlace,
)
from app.ui.window.reference import ReferencePart
from app.ui.window.running import RunPart
from app.ui.window.workspace import WorkspacePart

log = logging.getLogger(__name__)

APP_TITLE = "LLMSpell Studio"


class _Notifier(QObject):
    """Carries a background thread's "done" to the UI thread."""

    done = Signal()


def warm_up_bridges(notifier: _Notifier) -> None:
    """Load the bridge registry's names and the completion tables off the UI thread, then notify."""
    from app.ui import languages

    def work() -> None:
        languages.load_bridge_globals()
        try:
            for lang in spell_languages.IDS:
                completion.api(lang)
        except Exception:
            log.exception("completion tables unavailable")
        try:  # the reference behind completion, option keys, call tips and hover docs (built once)
            from app.reference.model import get_reference
            from app.ui import editor_intel  # noqa: F401 - imported here, not on the UI thread

            get_reference()
            notifier.intel_ready = True  # type: ignore[attr-defined]
        except Exception:
            log.exception("editor intelligence unavailable; simple completion only")
        try:
            notifier.done.emit()
        except RuntimeError:  # the window went away meanwhile
            pass

    threading.Thread(target=work, name="bridges-warm-up", daemon=True).start()


def app_icon() -> QIcon:
    """The application icon (``resources/icons/llmspell-studio-*.png``, copied from ``packaging/icons``)."""
    from PySide6.QtCore import QSize

    folder = paths.resources_dir() / "icons"
    icon = QIcon()
    for size in (16, 24, 32, 48, 64, 128, 256):
        f = folder / f"llmspell-studio-{size}.png"
        if f.is_file():
            icon.addFile(str(f), QSize(size, size))
    if icon.isNull() and (folder / "llmspell-studio.svg").is_file():
        icon.addFile(str(folder / "llmspell-studio.svg"))
    return icon


def _call(handler: Callable[[], Any]) -> Callable[..., None]:
    """A slot for ``triggered(bool)`` that calls ``handler`` without the flag."""

    def slot(*_args: object) -> None:
        handler()

    return slot


class MainWindow(QMainWindow):
    """The IDE window. ``run_service`` owns the runner; the window never blocks on it.

    Its parts (each usable on its own, see :mod:`app.ui.window`): ``panels`` (docks and layouts), ``workspace_part``
    (folders, recent files, hot exit), ``running``, ``debugging``, ``reference`` and ``editing``. Action rows name
    their handler by a dotted path from the window (``"running.run"``)."""

    def __init__(self, store: SettingsStore, run_service: RunService, *, restore: bool = True) -> None:
        super().__init__()
        self.setObjectName("MainWindow")
        self.setWindowTitle(APP_TITLE)
        self.setWindowIcon(app_icon())
        self.resize(1280, 820)
        self.setAcceptDrops(True)
        self.store = store
        self.runs = run_service
        self.state = session.load()
        self.actions_by_id: dict[str, QAction] = {}
        self.command_palette: CommandPalette | None = None
        self._last_session_blob = ""
        self._closing = False

        # central: editors + find bar
        self.tabs = EditorTabs()
        self.find_bar = FindBar(self.tabs.current_editor)
        central = QWidget()
        lay = QVBoxLayout(central)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        lay.addWidget(self.tabs, 1)
        lay.addWidget(self.find_bar)
        self.setCentralWidget(central)

        # panels (one call each; the debugging layout shows the debugger's instead of the files)
        self.files = FileTreePanel()
        self.outline = OutlinePanel()
        self.find_files = FindInFilesPanel()
        self.repl = ReplWidget(self.runs)
        self.console = ConsolePanel(self.repl)
        self.trace = TracePanel()
        self.panels = PanelLayout(self)
        self.docks = self.panels.docks
        self.panels.add("files", "Files", self.files, PanelPlace(LEFT, shown_in=EDITING_ONLY, size=240, span=320))
        self.panels.add(
            "outline", "Outline", self.outline, PanelPlace(LEFT, below="files", shown_in=EDITING_ONLY, span=200)
        )
        self.panels.add("console", "Console", self.console, PanelPlace(BOTTOM, shown_in=BOTH, size=230))
        self.panels.add("trace", "LLM Trace", self.trace, PanelPlace(BOTTOM, tab_with="console", shown_in=BOTH))
        self.panels.add(
            "find_files", "Find in Files", self.find_files, PanelPlace(BOTTOM, tab_with="trace", shown_in=EDITING_ONLY)
        )

        # status bar
        self.run_label = QLabel()
        self.cursor_label = QLabel()
        self.lang_label = QLabel()
        self.file_label = QLabel()
        self.spend_label = SpendLabel()
        sb = self.statusBar()
        sb.addWidget(self.run_label, 1)
        for w in (self.spend_label, self.cursor_label, self.lang_label, self.file_label):
            sb.addPermanentWidget(w)
        self.runs.runFinished.connect(lambda _run: self.spend_label.refresh())

        # the feature parts
        self.diagnostics = DiagnosticsService(self.runs.check_fn, parent=self)
        self.workspace_part = WorkspacePart(self, self.state, on_workspace=self._workspace_changed)
        self.running = RunPart(
            self,
            self.runs,
            self.console,
            self.trace,
            self.repl,
            self.diagnostics,
            self.state,
            self.run_label,
            workspace=lambda: self.workspace_part.folder,
        )
        # the debugger: its docks, a breakpoint margin on every editor, the editor following stops and frames
        self.debugger = DebugWiring(self, self.tabs, locate=self.workspace_part.page_of)
        self.debugging = DebugPart(self, self.debugger, self.running, self.console)
        self.debugging.add_panels()
        self.reference = ReferencePart(self)
        self.editing = EditingPart(self, self.find_bar, self.find_files)
        # lint: the Problems panel, quick fixes and symbol actions (app/ui/problems_panel.py)
        self.lint = LintWiring(self, self.tabs, self.diagnostics, fallback_definition=self.editing.goto_definition)
        self.panels.add(
            "problems", "Problems", self.lint.panel, PanelPlace(BOTTOM, tab_with="find_files", shown_in=EDITING_ONLY)
        )
        # evals: the Eval panel (Run Eval on an .eval.yaml), with Debug this row
        self.evals = EvalWiring(self, self.runs.wait_runner, self._eval_settings, self.debug_eval_row)
        self.panels.add(
            "evals", "Eval", self.evals.view, PanelPlace(BOTTOM, tab_with="find_files", shown_in=frozenset())
        )
        # spell tests: the Tests panel, result markers in editors, test runs in the console and trace
        self.tests = TestExplorerWiring(self)

        # actions, menus, toolbars
        self._build_actions(A.ACTIONS + debug_action_specs() + eval_action_specs())
        self.debugging.add_toolbar()
        self.panels.arrange(self.panels.mode)

        # services
        self._outline_timer = QTimer(self, singleShot=True, interval=400)
        self._outline_timer.timeout.connect(self.refresh_outline)
        self._backup_timer = QTimer(self, interval=hotexit.BACKUP_INTERVAL_MS)
        self._backup_timer.timeout.connect(self.backup_tick)

        # wiring
        self.tabs.pageAdded.connect(self._page_added)
        self.tabs.currentPageChanged.connect(self._current_changed)
        self.tabs.pageStateChanged.connect(self._page_state_changed)
        self.files.openFile.connect(lambda p: self.tabs.open_file(p))
        self.files.renamed.connect(self.workspace_part.path_renamed)
        self.files.deleted.connect(lambda p: self.tabs.check_disk())
        self.outline.gotoLine.connect(self.editing.goto_line0)
        self.find_files.openLocation.connect(lambda p, ln, c: self.open_location(p, ln, c))
        self.console.linkActivated.connect(self.open_location)
        self.repl.linkActivated.connect(self.open_location)
        self.trace.jumpTo.connect(lambda p, ln: self.open_location(p, ln))
        self.docks["outline"].visibilityChanged.connect(self._outline_visibility)
        self.docks["trace"].visibilityChanged.connect(lambda v: v and QTimer.singleShot(0, self.trace.flush))
        self.store.changed.connect(self.apply_settings)
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.applicationStateChanged.connect(self._app_state_changed)
            hints = app.styleHints()
            if hasattr(hints, "colorSchemeChanged"):  # the desktop switched light/dark: follow it if asked to
                hints.colorSchemeChanged.connect(self._color_scheme_changed)

        self._bridges_ready = _Notifier(self)
        self._bridges_ready.done.connect(self._bridges_loaded)
        self._warmed = False
        self.apply_settings(self.store.settings)
        if restore:
            self.restore_session()
        self._backup_timer.start()
        self._update_title()

    # =============================================================================================== the host seam
    def notify(self, text: str, ms: int = 4000) -> None:
        """A message in the status bar for ``ms`` milliseconds."""
        self.statusBar().showMessage(text, ms)

    @property
    def workspace(self) -> str | None:
        """The workspace folder (None: no folder open)."""
        return self.workspace_part.folder

    def set_workspace(self, folder: str | None) -> None:
        self.workspace_part.set_workspace(folder)

    def open_location(self, path: str, line: int, column: int = 0) -> EditorPage | None:
        return self.workspace_part.open_location(path, line, column)

    def open_paths(self, paths_: list[str]) -> None:
        self.workspace_part.open_paths(paths_)

    def action_run(self, page: EditorPage | None = None) -> RunSession | None:
        """Run (F5): see :meth:`app.ui.window.running.RunPart.run`."""
        return self.running.run(page)

    def action_debug(self) -> RunSession | None:
        """Start debugging (Ctrl+F5): see :meth:`app.ui.window.debugging.DebugPart.start`."""
        return self.debugging.start()

    def action_stop(self) -> None:
        """Stop (Shift+F5): the debug run when debugging, else every running spell."""
        self.debugging.stop()

    # ================================================================================================== evals
    def _eval_settings(self) -> dict[str, Any]:
        return dict(run_options_from_settings(self.store.settings)["settings"])

    def action_run_eval(self) -> None:
        """Run the current .eval.yaml (saved first) in the Eval panel (Ctrl+Shift+E)."""
        page = self.tabs.current_page()
        if page is not None and page.path and page.dirty:
            self.tabs.save(page)
        if self.evals.run_current(page.path if page is not None else None):
            self.panels.show("evals")

    def debug_eval_row(self, spell: str, inputs: object, model: str, cassette: str) -> RunSession | None:
        """Debug this row: the eval's spell under the debugger with the row's INPUT, its model, and its recorded
        model answers replayed from the row's cassette (so the failure reproduces exactly)."""
        import json

        page = self.open_location(spell, 1)
        if page is None:
            return None
        self.console.input.setText(json.dumps(inputs, ensure_ascii=False))
        extra: dict[str, Any] = {"default_model": model}
        if cassette:
            extra["replay"] = cassette
        return self.debugging.start(page, settings=extra)

    def _workspace_changed(self, folder: str | None) -> None:
        self.files.set_root(folder)
        self.find_files.set_root(folder)
        self.tests.set_workspace(folder)
        self._update_title()

    # =============================================================================================== building
    def handler(self, spec: ActionSpec) -> Callable[[], Any]:
        """The callable an action row names (a dotted path from the window)."""
        return operator.attrgetter(spec.handler)(self)

    def _build_actions(self, specs: tuple[ActionSpec, ...]) -> None:
        menus = {name: self.menuBar().addMenu(name) for name in A.MENUS}
        tb = QToolBar("Main", self)
        tb.setObjectName("toolbar_main")
        tb.setMovable(False)
        tb.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.addToolBar(tb)
        self.toolbar = tb
        style = self.style()
        for spec in specs:
            menu = menus[spec.menu]
            if spec.separator_before:
                menu.addSeparator()
            if spec.id == "examples":
                self.examples_menu = menu.addMenu(spec.text)
                self.examples_menu.aboutToShow.connect(
                    lambda: self.workspace_part.fill_examples_menu(self.examples_menu)
                )
                continue
            if spec.id == "recent":
                self.recent_menu = menu.addMenu(spec.text)
                self.recent_menu.aboutToShow.connect(lambda: self.workspace_part.fill_recent_menu(self.recent_menu))
                continue
            act = QAction(spec.text, self)
            act.setObjectName(f"action_{spec.id}")
            if spec.shortcuts:
                act.setShortcuts([QKeySequence(s) for s in spec.shortcuts])
            if spec.icon:
                ic = theme.icon(spec.icon)
                if ic is None and hasattr(QStyle.StandardPixmap, spec.icon):
                    ic = style.standardIcon(getattr(QStyle.StandardPixmap, spec.icon))
                if ic is not None:
                    act.setIcon(ic)
            act.setCheckable(spec.checkable)
            if spec.tip:
                act.setToolTip(spec.tip)
            act.triggered.connect(_call(self.handler(spec)))
            menu.addAction(act)
            if spec.toolbar:
                if spec.separator_before:
                    tb.addSeparator()
                tb.addAction(act)
            self.actions_by_id[spec.id] = act
        view = menus["&View"]
        view.addSeparator()
        self.panels_menu = view.addMenu("&Panels")
        self.panels_menu.aboutToShow.connect(self._fill_panels_menu)
        self.actions_by_id["stop"].setEnabled(False)
        debug = self.actions_by_id["debug"]  # Debug next to Run on the toolbar
        if (ic := theme.icon("debug")) is not None:
            debug.setIcon(ic)
        debug.setIconText("Debug")
        tb.insertAction(self.actions_by_id["stop"], debug)

    def _fill_panels_menu(self) -> None:
        """Every panel (also those added later), shown or hidden."""
        self.panels_menu.clear()
        for d in self.docks.values():
            self.panels_menu.addAction(d.toggleViewAction())

    # =============================================================================================== settings
    def apply_settings(self, s: Settings) -> None:
        """Apply theme, fonts and tab width live to every part of the window."""
        th = theme.get(s.theme)
        app = QApplication.instance()
        if isinstance(app, QApplication):
            theme.apply_to_app(app, th)
        self.tabs.apply_look(th, s.font_family, s.font_size, s.tab_width)
        self.debugger.update_colours()
        self.console.set_theme(th, s.font_family, s.font_size)
        self.repl.set_theme(th, s.font_family, s.font_size)
        self.trace.set_theme(th)
        dark = self.actions_by_id.get("dark")
        if dark is not None:
            dark.blockSignals(True)
            dark.setChecked(th.name == "dark")
            dark.blockSignals(False)

    # =============================================================================================== pages
    def _page_added(self, page: EditorPage) -> None:
        self._attach_completer(page)
        self.diagnostics.watch(page.editor, page.display_path)
        page.editor.cursorMoved.connect(lambda ln, col: self.cursor_label.setText(f"Ln {ln}, Col {col}"))
        page.editor.textEdited.connect(self._outline_timer.start)
        self.workspace_part.remember_file(page.path)

    def _current_changed(self, page: EditorPage | None) -> None:
        self._update_title()
        self._update_file_label()
        if page is not None:
            ln, col = page.editor.caret()
            self.cursor_label.setText(f"Ln {ln + 1}, Col {col + 1}")
            remembered = self.state.inputs.get(page.run_path())
            if remembered is not None:  # the INPUT this spell last ran with
                self.console.input.setText(remembered)
            self.evals.file_shown(page.path)
        else:
            self.cursor_label.clear()
        self._outline_timer.start(0 if page is None or page.editor.lineCount() < 2000 else 150)

    def _page_state_changed(self, _page: EditorPage) -> None:
        self._update_title()
        self._update_file_label()

    def _outline_visibility(self, visible: bool) -> None:
        if visible:
            self.refresh_outline()

    def _update_title(self) -> None:
        page = self.tabs.current_page()
        parts = []
        if page is not None:
            parts.append(page.title + (" ●" if page.dirty else ""))
        if self.workspace:
            parts.append(os.path.basename(self.workspace.rstrip(os.sep)) or self.workspace)
        parts.append(APP_TITLE)
        self.setWindowTitle(" — ".join(parts))

    def _update_file_label(self) -> None:
        page = self.tabs.current_page()
        if page is None:
            self.lang_label.clear()
            self.file_label.clear()
            return
        from app.ui.languages import LANGUAGES

        self.lang_label.setText(LANGUAGES.get(page.language, LANGUAGES["text"]).label)
        eol = {"\n": "LF", "\r\n": "CRLF", "\r": "CR"}.get(page.meta.eol, "LF")
        self.file_label.setText(f"{page.meta.encoding.upper()}{' BOM' if page.meta.bom else ''}  {eol}")

    def refresh_outline(self) -> None:
        """Recompute the outline, lazily: only while the outline panel is shown."""
        d = self.docks["outline"]
        if not d.isVisible() or d.visibleRegion().isEmpty():
            return
        page = self.tabs.current_page()
        self.outline.set_symbols(symbols(page.editor.text(), page.language) if page else [])

    def showEvent(self, e) -> None:
        super().showEvent(e)
        if not self._warmed:  # after the window is up: the registry import must not delay the first paint
            self._warmed = True
            QTimer.singleShot(150, lambda: warm_up_bridges(self._bridges_ready))

    def _bridges_loaded(self) -> None:
        for page in self.tabs.pages():
            page.editor.refresh_keywords()
            self._attach_completer(page)

    def _attach_completer(self, page: EditorPage) -> None:
        """Editor intelligence (``editor_intel.EditorDriver``: members, option keys, call tips, hover docs) once its
        reference is built off the UI thread; the simple completer until then."""
        if getattr(self._bridges_ready, "intel_ready", False):
            from app.ui import editor_intel  # already imported by the warm-up thread

            if not isinstance(page.editor.completer, editor_intel.EditorDriver):
                editor_intel.EditorDriver(page.editor)
        elif page.editor.completer is None:
            completion.attach(page.editor)

    def _color_scheme_changed(self, *_: object) -> None:
        if self.store.settings.theme == "system":
            self.apply_settings(self.store.settings)

    def _app_state_changed(self, state: Qt.ApplicationState) -> None:
        if state == Qt.ApplicationState.ApplicationActive:
            self.tabs.check_disk()

    # =============================================================================================== session
    def backup_tick(self) -> None:
        """Back up changed unsaved buffers (hot exit) and save the session."""
        self.workspace_part.backup_tick()
        self.save_session()

    def save_session(self) -> None:
        st = self.state
        self.workspace_part.save_tabs(st)
        st.geometry = base64.b64encode(bytes(self.saveGeometry().data())).decode()
        st.layouts = self.panels.saved_states()
        st.window_state = ""
        st.repl_history = self.repl.input.history[-200:]
        st.input_json = self.console.input.text()
        st.breakpoints = self.debugger.controller.store.to_json()
        st.watches = self.debugger.docks.watches.expressions()
        import json
        from dataclasses import asdict

        blob = json.dumps(asdict(st), sort_keys=True)
        if blob != self._last_session_blob:
            try:
                session.save(st)
                self._last_session_blob = blob
            except OSError:
                log.exception("cannot save the session")

    def restore_session(self) -> None:
        st = self.state
        if st.geometry:
            self.restoreGeometry(QByteArray(base64.b64decode(st.geometry)))
        if st.layouts:
            self.panels.restore_states(st.layouts)
        elif st.window_state:  # a session from before the two layouts
            self.restoreState(QByteArray(base64.b64decode(st.window_state)))
        self.debugger.controller.store.load_json(st.breakpoints)  # before the tabs, so their margins show them
        for expression in st.watches:
            self.debugger.docks.watches.add(expression)
        self.workspace_part.restore_tabs(st)
        self.repl.input.set_history(st.repl_history)
        self.console.input.setText(st.input_json)
        if self.store.first_start and not st.welcome_shown and not self.tabs.pages():
            self.action_welcome()
            st.welcome_shown = True

    # =============================================================================================== file actions
    def action_new(self) -> None:
        self.tabs.new_file("lua")

    def action_open(self) -> None:
        cur = self.tabs.current_page()
        start = self.workspace or (os.path.dirname(cur.path) if cur and cur.path else "")
        files, _ = QFileDialog.getOpenFileNames(self, "Open", start, FILE_FILTER)
        for f in files:
            self.tabs.open_file(f)

    def action_open_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Open Folder", self.workspace or os.path.expanduser("~"))
        if folder:
            self.set_workspace(folder)

    def action_close_tab(self) -> None:
        if self.tabs.count():
            self.tabs.close_tab()

    def action_settings(self) -> None:
        from app.ui.settings_dialog import SettingsDialog

        SettingsDialog(self.store, self).exec()

    def action_palette(self) -> None:
        """Ctrl+Shift+P: every action by name."""
        if self.command_palette is not None:
            self.command_palette.deleteLater()
        self.command_palette = CommandPalette(self.actions_by_id, self)  # made afresh: actions enabled as of now
        self.command_palette.popup(self)

    # =============================================================================================== help
    def action_welcome(self) -> None:
        for i in range(self.tabs.count()):
            if isinstance(page := self.tabs.widget(i), WelcomePage):
                page.refresh()
                self.tabs.setCurrentIndex(i)
                return
        w = WelcomePage()
        w.runHello.connect(self._run_example)
        w.openExample.connect(self.workspace_part.open_example_copy)
        w.newFile.connect(self.action_new)
        w.openFolder.connect(self.action_open_folder)
        self.tabs.setCurrentIndex(self.tabs.addTab(w, "Welcome"))

    def _run_example(self, path: str) -> RunSession | None:
        """The welcome page's one click: a copy of the example, run, with its LLM trace in view."""
        page = self.workspace_part.open_example_copy(path)
        run = self.running.run(page) if page is not None else None
        if run is not None:
            run.finished.connect(lambda _result, r=run: self._show_first_call(r))
        return run

    def _show_first_call(self, run: RunSession) -> None:
        """After the one-click run: the LLM Trace with the run's model call selected (prompt, reply, tokens)."""
        if any(s.get("kind") == "llm" for s in self.trace.spans(run.number)) or run.stats.tokens:
            self.panels.show("trace")
            self.trace.select_first_span("llm")

    def action_about(self) -> None:
        QMessageBox.about(
            self,
            "About LLMSpell Studio",
            "<b>LLMSpell Studio</b><br>Write, run and trace LLM spells in Lua, JavaScript and Tengo.",
        )

    # =============================================================================================== drag & drop
    def dragEnterEvent(self, e: QDragEnterEvent) -> None:
        if e.mimeData().hasUrls():
            e.acceptProposedAction()

    def dropEvent(self, e: QDropEvent) -> None:
        self.open_paths([u.toLocalFile() for u in e.mimeData().urls() if u.isLocalFile()])
        e.acceptProposedAction()

    # =============================================================================================== closing
    def closeEvent(self, e: QCloseEvent) -> None:
        dirty = [p for p in self.tabs.pages() if p.dirty]
        if dirty:
            choice = editor_tabs.ask_unsaved(self, [p.title for p in dirty])
            if choice == "cancel":
                e.ignore()
                return
            if choice == "save":
                for p in dirty:
                    if not self.tabs.save(p):
                        e.ignore()
                        return
        self._backup_timer.stop()
        self.workspace_part.close()  # every buffer is now saved or deliberately discarded
        self.save_session()
        self.diagnostics.shutdown()
        self.evals.view.stop()  # no new eval runs; finished ones are in the results file (Run Eval resumes)
        self.runs.shutdown()
        self._closing = True
        e.accept()

    def shutdown_for_tests(self) -> None:
        """Stop timers and services without asking anything."""
        self._backup_timer.stop()
        self.running.timer.stop()
        self.diagnostics.shutdown()
        self.evals.view.stop()
        self.evals.view.wait(30.0)
        self.runs.shutdown(timeout=1.0)
