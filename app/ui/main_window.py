"""The main window: composes the editor area and the docks, builds menus/toolbar/shortcuts from the action table,
and ties files, runs, traces, diagnostics, hot exit and session restore together."""
from __future__ import annotations

import base64
import logging
import os
import threading

from PySide6.QtCore import QByteArray, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent, QIcon, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QFileDialog,
    QInputDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QStyle,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from app import languages as spell_languages
from app.debugger.session import DebugState
from app.ui import actions as A
from app.ui import completion, editor_tabs, hotexit, paths, session, theme
from app.ui.console import ConsolePanel
from app.ui.debugger_panels import DebugWiring, debug_action_specs
from app.ui.diagnostics import DiagnosticsService
from app.ui.editor_tabs import FILE_FILTER, EditorPage, EditorTabs
from app.ui.file_tree import FileTreePanel
from app.ui.find_bar import FindBar
from app.ui.find_in_files import FindInFilesPanel
from app.ui.outline import OutlinePanel, find_definition, symbols
from app.ui.problems_panel import LintWiring
from app.ui.repl import ReplWidget
from app.ui.run_service import RunService, RunSession, format_seconds, run_options_from_settings
from app.ui.settings import Settings, SettingsStore
from app.ui.trace_panel import TracePanel
from app.ui.welcome import WelcomePage, list_examples

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


class MainWindow(QMainWindow):
    """The IDE window. ``run_service`` owns the runner; the window never blocks on it."""

    def __init__(self, store: SettingsStore, run_service: RunService, *, restore: bool = True) -> None:
        super().__init__()
        self.setObjectName("MainWindow")
        self.setWindowTitle(APP_TITLE)
        self.setWindowIcon(app_icon())
        self.resize(1280, 820)
        self.setAcceptDrops(True)
        self.store = store
        self.runs = run_service
        self.workspace: str | None = None
        self.state = session.load()
        self.backups = hotexit.BackupStore()
        self._backed_up: set[str] = set()
        self._last_session_blob = ""
        self._closing = False

        # central: editors + find bar
        self.tabs = EditorTabs()
        self.tabs.pageClosing = self._page_closing  # type: ignore[method-assign]
        self.find_bar = FindBar(self.tabs.current_editor)
        central = QWidget()
        lay = QVBoxLayout(central)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        lay.addWidget(self.tabs, 1)
        lay.addWidget(self.find_bar)
        self.setCentralWidget(central)

        # docks
        self.files = FileTreePanel()
        self.outline = OutlinePanel()
        self.find_files = FindInFilesPanel()
        self.repl = ReplWidget(self.runs)
        self.console = ConsolePanel(self.repl)
        self.trace = TracePanel()
        self.docks: dict[str, QDockWidget] = {}
        left = Qt.DockWidgetArea.LeftDockWidgetArea
        bottom = Qt.DockWidgetArea.BottomDockWidgetArea
        self._dock("files", "Files", self.files, left)
        self._dock("outline", "Outline", self.outline, left)
        self._dock("console", "Console", self.console, bottom)
        self._dock("trace", "LLM Trace", self.trace, bottom)
        self._dock("find_files", "Find in Files", self.find_files, bottom)
        self.splitDockWidget(self.docks["files"], self.docks["outline"], Qt.Orientation.Vertical)
        self.tabifyDockWidget(self.docks["console"], self.docks["trace"])
        self.tabifyDockWidget(self.docks["trace"], self.docks["find_files"])
        self.docks["console"].raise_()
        self.resizeDocks([self.docks["files"]], [240], Qt.Orientation.Horizontal)
        self.resizeDocks([self.docks["console"]], [260], Qt.Orientation.Vertical)
        # the debugger: its docks, a breakpoint margin on every editor, the editor following stops and frames
        self.debugger = DebugWiring(self, self.tabs)
        self._debug_run: RunSession | None = None
        # lint: problems as you type, the Problems dock, quick fixes and symbol actions (app/ui/problems_panel.py)
        self.diagnostics = DiagnosticsService(self.runs.check_fn, parent=self)
        self.lint = LintWiring(self, self.tabs, self.diagnostics)
        self.docks["problems"] = self.lint.dock
        self.tabifyDockWidget(self.docks["find_files"], self.lint.dock)
        self.docks["console"].raise_()

        # status bar
        self.run_label = QLabel()
        self.cursor_label = QLabel()
        self.lang_label = QLabel()
        self.file_label = QLabel()
        sb = self.statusBar()
        sb.addWidget(self.run_label, 1)
        for w in (self.cursor_label, self.lang_label, self.file_label):
            sb.addPermanentWidget(w)

        # actions, menus, toolbar
        self.actions_by_id: dict[str, QAction] = {}
        self._build_actions()

        # services
        self._outline_timer = QTimer(self, singleShot=True, interval=400)
        self._outline_timer.timeout.connect(self.refresh_outline)
        self._backup_timer = QTimer(self, interval=hotexit.BACKUP_INTERVAL_MS)
        self._backup_timer.timeout.connect(self.backup_tick)
        self._status_timer = QTimer(self, interval=250)
        self._status_timer.timeout.connect(self._update_run_status)

        # wiring
        self.tabs.pageAdded.connect(self._page_added)
        self.tabs.currentPageChanged.connect(self._current_changed)
        self.tabs.pageStateChanged.connect(lambda p: (self._update_title(), self._update_file_label()))
        self.tabs.fileSaved.connect(self._file_saved)
        self.tabs.fileOpened.connect(self._remember_file)
        self.files.openFile.connect(lambda p: self.tabs.open_file(p))
        self.files.renamed.connect(self._path_renamed)
        self.files.deleted.connect(lambda p: self.tabs.check_disk())
        self.outline.gotoLine.connect(self._goto_line0)
        self.find_files.openLocation.connect(lambda p, ln, c: self.open_location(p, ln, c))
        self.console.linkActivated.connect(self.open_location)
        self.repl.linkActivated.connect(self.open_location)
        self.trace.jumpTo.connect(lambda p, ln: self.open_location(p, ln))
        self.runs.runFinished.connect(self._run_finished)
        self.runs.runnerFailed.connect(lambda msg: self.run_label.setText(f"Engines unavailable: {msg}"))
        self.runs.runnerReady.connect(lambda: self.runs.sessions or self.run_label.setText("Ready"))
        self.run_label.setText("Starting engines…")
        self.docks["outline"].visibilityChanged.connect(lambda v: v and self.refresh_outline())
        self.docks["trace"].visibilityChanged.connect(lambda v: v and QTimer.singleShot(0, self.trace.flush))
        self.store.changed.connect(self.apply_settings)
        app = QApplication.instance()
        if app is not None:
            app.applicationStateChanged.connect(self._app_state_changed)  # type: ignore[attr-defined]
            hints = app.styleHints()  # type: ignore[attr-defined]
            if hasattr(hints, "colorSchemeChanged"):  # the desktop switched light/dark: follow it if asked to
                hints.colorSchemeChanged.connect(self._color_scheme_changed)

        self._bridges_ready = _Notifier(self)
        self._bridges_ready.done.connect(self._bridges_loaded)
        self._warmed = False
        self.apply_settings(self.store.settings)
        self._default_layout = self.saveState()
        if restore:
            self.restore_session()
        self._backup_timer.start()
        self._update_title()

    # =============================================================================================== building
    def _dock(self, key: str, title: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        d = QDockWidget(title, self)
        d.setObjectName(f"dock_{key}")
        d.setWidget(widget)
        d.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetClosable |
                      QDockWidget.DockWidgetFeature.DockWidgetMovable |
                      QDockWidget.DockWidgetFeature.DockWidgetFloatable)
        self.addDockWidget(area, d)
        self.docks[key] = d
        return d

    def _build_actions(self) -> None:
        menus = {name: self.menuBar().addMenu(name) for name in A.MENUS}
        tb = QToolBar("Main", self)
        tb.setObjectName("toolbar_main")
        tb.setMovable(False)
        tb.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.addToolBar(tb)
        self.toolbar = tb
        style = self.style()
        for spec in A.ACTIONS + debug_action_specs():
            menu = menus[spec.menu]
            if spec.separator_before:
                menu.addSeparator()
            if spec.id == "examples":
                self.examples_menu = menu.addMenu(spec.text)
                self.examples_menu.aboutToShow.connect(self._fill_examples_menu)
                continue
            if spec.id == "recent":
                self.recent_menu = menu.addMenu(spec.text)
                self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
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
            handler = getattr(self, spec.handler)
            act.triggered.connect(lambda checked=False, h=handler: h())
            menu.addAction(act)
            if spec.toolbar:
                if spec.separator_before:
                    tb.addSeparator()
                tb.addAction(act)
            self.actions_by_id[spec.id] = act
        view = menus["&View"]
        view.addSeparator()
        for d in self.docks.values():
            view.addAction(d.toggleViewAction())
        view.addSeparator()
        for d in self.debugger.docks.all():
            view.addAction(d.toggleViewAction())
        self.actions_by_id["stop"].setEnabled(False)
        debug = self.actions_by_id["debug"]  # Debug next to Run on the toolbar
        if (ic := theme.icon("debug")) is not None:
            debug.setIcon(ic)
        debug.setIconText("Debug")
        tb.insertAction(self.actions_by_id["stop"], debug)
        self.debugger.controller.stateChanged.connect(self._debug_state_changed)
        self.debugger.controller.message.connect(lambda msg: self.statusBar().showMessage(msg, 5000))
        self._debug_state_changed(self.debugger.controller.state)

    def _fill_examples_menu(self) -> None:
        self.examples_menu.clear()
        found = list_examples()
        if not found:
            self.examples_menu.addAction("(no examples found)").setEnabled(False)
        for p in found:
            rel = os.path.relpath(p, paths.examples_dir())
            self.examples_menu.addAction(rel, lambda path=str(p): self.tabs.open_file(path))

    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        for p in self.state.recent_files:
            self.recent_menu.addAction(p, lambda path=p: self.tabs.open_file(path))
        if self.state.recent_folders:
            self.recent_menu.addSeparator()
            for f in self.state.recent_folders:
                self.recent_menu.addAction(f"📁 {f}", lambda path=f: self.set_workspace(path))
        if self.recent_menu.isEmpty():
            self.recent_menu.addAction("(nothing yet)").setEnabled(False)

    # =============================================================================================== settings
    def apply_settings(self, s: Settings) -> None:
        """Apply theme, fonts and tab width live to every part of the window."""
        th = theme.get(s.theme)
        app = QApplication.instance()
        if app is not None:
            theme.apply_to_app(app, th)  # type: ignore[arg-type]
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
        self._remember_file(page.path) if page.path else None

    def _current_changed(self, page: EditorPage | None) -> None:
        self._update_title()
        self._update_file_label()
        if page is not None:
            ln, col = page.editor.caret()
            self.cursor_label.setText(f"Ln {ln + 1}, Col {col + 1}")
            remembered = self.state.inputs.get(page.run_path())
            if remembered is not None:  # the INPUT this spell last ran with
                self.console.input.setText(remembered)
        else:
            self.cursor_label.clear()
        self._outline_timer.start(0 if page is None or page.editor.lineCount() < 2000 else 150)

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

    def _goto_line0(self, line: int) -> None:
        ed = self.tabs.current_editor()
        if ed is not None:
            ed.set_cursor(line, 0)
            QWidget.setFocus(ed)

    def _page_closing(self, page: EditorPage) -> None:
        self.backups.remove(page.backup_id)
        self._backed_up.discard(page.backup_id)

    def _file_saved(self, path: str) -> None:
        self._remember_file(path)
        page = self.tabs.page_for(path)
        if page is not None:
            self.backups.remove(page.backup_id)
            self._backed_up.discard(page.backup_id)
            page.backup_generation = -1
        self.statusBar().showMessage(f"Saved {path}", 3000)

    def _remember_file(self, path: str | None) -> None:
        if path:
            self.state.recent_files = session.add_recent(self.state.recent_files, path)

    def _path_renamed(self, old: str, new: str) -> None:
        for page in self.tabs.pages():
            if page.path and (page.path == old or page.path.startswith(old + os.sep)):
                self.tabs.watcher.removePath(page.path)
                page.path = new + page.path[len(old):]
                self.tabs.watch(page.path)
                self.tabs.refresh_tab(page)

    def showEvent(self, e) -> None:  # noqa: N802
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

    # =============================================================================================== workspace
    def set_workspace(self, folder: str | None) -> None:
        """Open ``folder`` as the workspace (file tree, find in files, default save folder)."""
        self.workspace = os.path.abspath(folder) if folder else None
        self.tabs.workspace = self.workspace  # type: ignore[attr-defined]
        self.files.set_root(self.workspace)
        self.find_files.set_root(self.workspace)
        if self.workspace:
            self.state.recent_folders = session.add_recent(self.state.recent_folders, self.workspace)
        self._update_title()

    def open_location(self, path: str, line: int, column: int = 0) -> EditorPage | None:
        """Open ``path`` at 1-based ``line`` (relative paths resolve against the current file and workspace;
        untitled buffers are found by the pseudo path their runs used)."""
        if not path:
            return None

        def show(page: EditorPage) -> EditorPage:
            self.tabs.setCurrentWidget(page)
            page.editor.set_cursor(max(0, line - 1), max(0, column - 1))
            QWidget.setFocus(page.editor)
            return page

        for p in self.tabs.pages():
            if path in (p.run_path(), p.display_path()) or (p.path and os.path.isabs(path) and p.path == path):
                return show(p)
        if path.startswith("<"):
            return None
        candidates = [path]
        if not os.path.isabs(path):
            cur = self.tabs.current_page()
            for base in (os.path.dirname(cur.path) if cur and cur.path else None, self.workspace, os.getcwd()):
                if base:
                    candidates.append(os.path.join(base, path))
        for c in candidates:
            if os.path.isfile(c):
                page = self.tabs.open_file(c)
                if page is not None:
                    return show(page)
        self.statusBar().showMessage(f"Cannot find {path}", 4000)
        return None

    # =============================================================================================== hot exit
    def backup_tick(self) -> None:
        """Back up dirty buffers that changed since their last backup; drop backups of clean ones."""
        live: set[str] = set()
        for page in self.tabs.pages():
            if page.dirty:
                live.add(page.backup_id)
                if page.backup_generation != page.generation or page.backup_id not in self._backed_up:
                    line, col = page.editor.caret()
                    try:
                        self.backups.write(hotexit.Backup(
                            page.backup_id, page.path, page.title, page.language, page.editor.text(), line, col,
                            page.meta.encoding, page.meta.bom, page.meta.eol, page.meta.mtime_ns))
                        page.backup_generation = page.generation
                        self._backed_up.add(page.backup_id)
                    except OSError:
                        log.exception("backup of %s failed", page.title)
        for bid in list(self._backed_up - live):
            self.backups.remove(bid)
            self._backed_up.discard(bid)
        self.save_session()

    def restore_backups(self) -> int:
        """Bring back the buffers of sessions that ended without saving them; returns how many."""
        restored = 0
        orphans = self.backups.orphans()
        for _folder, backups in orphans:
            for b in backups:
                self._restore_one(b)
                restored += 1
        if orphans:
            self.backup_tick()  # back them up again under this instance before the old copies go
            self.backups.discard_orphans([f for f, _ in orphans])
        if restored:
            self.statusBar().showMessage(f"Restored {restored} unsaved buffer(s) from the last session", 8000)
            log.info("restored %d unsaved buffers", restored)
        return restored

    def _restore_one(self, b: hotexit.Backup) -> None:
        page = self.tabs.page_for(b.path) if b.path else None
        if page is None and b.path and os.path.isfile(b.path):
            page = self.tabs.open_file(b.path, quiet=True)
        if page is None:
            page = self.tabs.new_file(b.language)
            if b.path:  # the file is gone: keep its name so Save offers it
                page.path = b.path
            else:
                page.untitled_name = b.title
        page.meta.encoding, page.meta.bom, page.meta.eol = b.encoding, b.bom, b.eol
        page.editor.set_text(b.text, keep_undo=True)  # keeps it modified (and undoable back to the file)
        if page.editor.text() == (self._disk_text(page.path) if page.path else None):
            page.editor.setSavePoint()
        page.editor.set_cursor(b.line, b.column)
        page.backup_generation = -1
        self.tabs.refresh_tab(page)

    @staticmethod
    def _disk_text(path: str | None) -> str | None:
        from app.ui import fileio
        try:
            return fileio.read_text(path).text if path else None
        except OSError:
            return None

    # =============================================================================================== session
    def save_session(self) -> None:
        st = self.state
        st.tabs = []
        for page in self.tabs.pages():
            if page.path and os.path.exists(page.path):
                ln, col = page.editor.caret()
                st.tabs.append(session.TabState(page.path, ln, col, page.editor.firstVisibleLine()))
        cur = self.tabs.current_page()
        st.current = next((i for i, t in enumerate(st.tabs) if cur and t.path == cur.path), 0)
        st.workspace = self.workspace
        st.geometry = base64.b64encode(bytes(self.saveGeometry())).decode()
        st.window_state = base64.b64encode(bytes(self.saveState())).decode()
        st.repl_history = self.repl.input.history[-200:]
        st.input_json = self.console.input.text()
        st.breakpoints = self.debugger.controller.store.to_json()
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
        if st.window_state:
            self.restoreState(QByteArray(base64.b64decode(st.window_state)))
        if st.workspace and os.path.isdir(st.workspace):
            self.set_workspace(st.workspace)
        self.debugger.controller.store.load_json(st.breakpoints)  # before the tabs, so their margins show them
        for t in st.tabs:
            if os.path.isfile(t.path):
                page = self.tabs.open_file(t.path, quiet=True)
                if page is not None:
                    page.editor.set_cursor(t.line, t.column, centre=False)
                    page.editor.setFirstVisibleLine(t.first_visible)
        self.repl.input.set_history(st.repl_history)
        self.console.input.setText(st.input_json)
        restored = self.restore_backups()
        pages = self.tabs.pages()
        if st.tabs and 0 <= st.current < len(pages) and not restored:
            self.tabs.setCurrentIndex(st.current)
        if self.store.first_start and not st.welcome_shown and not pages:
            self.action_welcome()
            st.welcome_shown = True

    # =============================================================================================== running
    def action_run(self, page: EditorPage | None = None, *, debug: bool = False) -> RunSession | None:
        """Run the current spell (F5; when stopped in the debugger, F5 continues): optionally save first, then
        start it in the engine pool (``debug``: under the debugger)."""
        if not debug and page is None and self.debugger.continue_if_paused():
            return None
        page = page or self.tabs.current_page()
        if page is None:
            self.statusBar().showMessage("Open a spell to run it", 3000)
            return None
        if not spell_languages.is_spell_language(page.language):
            self.statusBar().showMessage(
                f"Only {spell_languages.spoken_list(spell_languages.primary_extensions())} files can be run", 4000)
            return None
        if debug and not spell_languages.is_debuggable(page.language):
            self.statusBar().showMessage(
                f"The debugger speaks {spell_languages.names_list(spell_languages.debuggable())} only for now: "
                f"Run (F5) runs {spell_languages.get(page.language).name} spells without it", 6000)
            return None
        ok, inputs = self.console.parse_input()
        if not ok:
            self.docks["console"].show()
            self.docks["console"].raise_()
            return None
        self.state.inputs[page.run_path()] = self.console.input.text().strip()
        if len(self.state.inputs) > 200:
            self.state.inputs.pop(next(iter(self.state.inputs)))
        s = self.store.settings
        if s.save_before_run and page.path and page.dirty:
            self.tabs.save(page)
        page.editor.mark_run_error(None)
        path = page.run_path()
        options = dict(run_options_from_settings(s), inputs=inputs, language=page.language, workspace=self.workspace)
        # a debug run gets a fresh debug session (which stops the last one)
        session = self.debugger.controller.new_session() if debug else None
        run = self.runs.start_run(path, page.editor.text(), options, page.language, debug_session=session,
                                  origin=page)
        if debug:
            self._debug_run = run
        self.console.add_run(run)
        self.trace.add_run(run)
        self.docks["console"].show()
        self.docks["console"].raise_()
        self.actions_by_id["stop"].setEnabled(True)
        self._status_timer.start()
        self._update_run_status()
        return run

    def action_stop(self) -> None:
        """Stop the debug run when debugging (Shift+F5), else every running spell."""
        if self.debugger.stop():
            if self._debug_run is not None and not self._debug_run.done:
                self._debug_run.cancel()  # also when its session has no run attached yet
            self._update_run_status()
            return
        self.runs.cancel_all()
        self._update_run_status()

    # =============================================================================================== debugging
    def action_debug(self) -> RunSession | None:
        """Run the current spell under the debugger (Ctrl+F5; Lua and Tengo spells)."""
        return self.action_run(debug=True)

    def action_toggle_breakpoint(self) -> None:
        page = self.tabs.current_page()
        if page is not None and not page.path:
            self.statusBar().showMessage("Save the spell first: breakpoints belong to files", 4000)
            return
        if page is not None and not spell_languages.is_debuggable(page.language):
            self.statusBar().showMessage(
                f"The debugger speaks {spell_languages.names_list(spell_languages.debuggable())} only for now", 4000)
            return  # as the margin: no breakpoints where they could never stop
        self.debugger.toggle_breakpoint()

    def action_step_over(self) -> None:
        self.debugger.step_over()

    def action_step_in(self) -> None:
        self.debugger.step_in()

    def action_step_out(self) -> None:
        self.debugger.step_out()

    def action_run_to_cursor(self) -> None:
        self.debugger.run_to_cursor()

    def action_pause(self) -> None:
        self.debugger.pause()

    def _debug_state_changed(self, state: str) -> None:
        """Enable the debug actions that make sense in ``state`` (idle, starting, running, paused, ended)."""
        if hasattr(self, "_status_timer"):  # (called once while the window is being built)
            self._update_run_status()
        paused = state == "paused"
        for key in ("step_over", "step_in", "step_out", "run_to_cursor"):
            self.actions_by_id[key].setEnabled(paused)
        self.actions_by_id["pause"].setEnabled(state == "running")
        if state in ("starting", "running", "paused"):
            self.actions_by_id["stop"].setEnabled(True)
        self.actions_by_id["run"].setToolTip("Continue (F5)" if paused else A.by_id("run").tip)
        if not paused and self.statusBar().currentMessage().startswith("Paused ("):
            self.statusBar().clearMessage()  # the "Paused at" note of the last stop is out of date
        stop = self.debugger.controller.stop if paused else None
        note = None
        if stop is not None:
            where = f" at {os.path.basename(stop.file)}:{stop.line}" if stop.file else ""
            note = f"({stop.reason.replace('_', ' ')}){where}"
            self.statusBar().showMessage(f"Paused {note} — F5 continues, F10 steps over, F11 steps into", 8000)
        if self._debug_run is not None:  # its console tab says paused too (and running again after it)
            self.console.set_paused(self._debug_run, (note or "") if paused else None)

    def _run_finished(self, run: RunSession) -> None:
        ds = run.debug_session
        if ds is not None and ds.state != DebugState.ENDED:  # the run never reached the worker: end its session too
            ds.on_finished(run.result)
        failure = getattr(run.result, "failure", None)
        if failure is not None and getattr(failure, "line", None):
            fpath = getattr(failure, "file", None) or run.path
            for page in self.tabs.pages():
                if fpath in (page.run_path(), page.display_path()) or \
                        (fpath == run.path and run.origin is page):
                    page.editor.mark_run_error(int(failure.line))
                    break
        if not self.runs.active():
            self.actions_by_id["stop"].setEnabled(False)
        self._update_run_status()

    def _update_run_status(self) -> None:
        active = self.runs.active()
        shown = active[-1] if active else (self.runs.sessions[-1] if self.runs.sessions else None)
        if shown is None:
            self.run_label.setText("Ready" if self.runs.ready else "Starting engines…")
            return
        more = f" (+{len(active) - 1} more running)" if len(active) > 1 else ""
        took = format_seconds(shown.elapsed())
        status = "paused in the debugger" if shown is self._debug_run and self.debugger.controller.is_paused \
            else shown.status
        self.run_label.setText(f"{os.path.basename(shown.path)}: {status} · {took} · "
                               f"{shown.stats.tokens} tokens · ${shown.stats.cost:.4f}{more}")
        if not active:
            self._status_timer.stop()

    def action_run_selection(self) -> None:
        """Evaluate the selected code (or the caret line) in the REPL of the file's language."""
        page = self.tabs.current_page()
        if page is None or not spell_languages.is_spell_language(page.language):
            self.statusBar().showMessage(f"The REPL speaks {spell_languages.names_list()}", 3000)
            return
        ed = page.editor
        code = ed.selected_text() or ed.line_text(ed.caret()[0])
        if not code.strip():
            return
        idx = self.repl.lang.findData(page.language)
        if idx >= 0:
            self.repl.lang.setCurrentIndex(idx)
        self.docks["console"].show()
        self.docks["console"].raise_()
        self.console.tabs.setCurrentWidget(self.repl)
        self.repl.evaluate(code)

    def action_focus_repl(self) -> None:
        self.docks["console"].show()
        self.docks["console"].raise_()
        self.console.tabs.setCurrentWidget(self.repl)
        self.repl.input.setFocus()

    def action_check(self) -> None:
        page = self.tabs.current_page()
        if page is not None:
            self.diagnostics.check_now(page.editor, page.display_path)
            self.lint.dock.show()
            self.lint.dock.raise_()

    def action_next_problem(self) -> None:
        self.lint.goto_problem(+1)

    def action_prev_problem(self) -> None:
        self.lint.goto_problem(-1)

    # =============================================================================================== file actions
    def action_new(self) -> None:
        self.tabs.new_file("lua")

    def action_open(self) -> None:
        start = self.workspace or (os.path.dirname(self.tabs.current_page().path)  # type: ignore[arg-type]
                                   if self.tabs.current_page() and self.tabs.current_page().path else "")
        files, _ = QFileDialog.getOpenFileNames(self, "Open", start, FILE_FILTER)
        for f in files:
            self.tabs.open_file(f)

    def action_open_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Open Folder", self.workspace or os.path.expanduser("~"))
        if folder:
            self.set_workspace(folder)

    def action_save(self) -> None:
        self.tabs.save()

    def action_save_as(self) -> None:
        self.tabs.save_as()

    def action_save_all(self) -> None:
        self.tabs.save_all()

    def action_close_tab(self) -> None:
        if self.tabs.count():
            self.tabs.close_tab()

    def action_reopen_tab(self) -> None:
        self.tabs.reopen_closed()

    def action_settings(self) -> None:
        from app.ui.settings_dialog import SettingsDialog
        SettingsDialog(self.store, self).exec()

    # =============================================================================================== edit actions
    def _ed(self):
        return self.tabs.current_editor()

    def action_undo(self) -> None:
        if (ed := self._ed()) is not None:
            ed.undo()

    def action_redo(self) -> None:
        if (ed := self._ed()) is not None:
            ed.redo()

    def action_find(self) -> None:
        self.find_bar.open_bar(replace=False)

    def action_replace(self) -> None:
        self.find_bar.open_bar(replace=True)

    def action_find_next(self) -> None:
        self.find_bar.find_next(True)

    def action_find_prev(self) -> None:
        self.find_bar.find_next(False)

    def action_find_in_files(self) -> None:
        d = self.docks["find_files"]
        d.show()
        d.raise_()
        ed = self._ed()
        if ed is not None and ed.selected_text() and "\n" not in ed.selected_text():
            self.find_files.query.setText(ed.selected_text())
        self.find_files.query.setFocus()
        self.find_files.query.selectAll()

    def action_goto_line(self) -> None:
        ed = self._ed()
        if ed is None:
            return
        line, ok = QInputDialog.getInt(self, "Go to Line", f"Line (1–{ed.lineCount()}):", ed.caret()[0] + 1, 1,
                                       ed.lineCount())
        if ok:
            self._goto_line0(line - 1)

    def action_goto_definition(self) -> None:
        page = self.tabs.current_page()
        if page is None or self.lint.goto_definition():  # a local: resolved by the linter's scopes
            return
        ed = page.editor
        word = ed.word_at()
        line = find_definition(ed.text(), page.language, word, ed.caret()[0])
        if line is None:
            self.statusBar().showMessage(f"No definition of {word!r} in this file", 3000)
        else:
            self._goto_line0(line)

    def action_quick_fix(self) -> None:
        self.lint.quick_fix()

    def action_find_references(self) -> None:
        self.lint.find_references()

    def action_rename_symbol(self) -> None:
        self.lint.rename_symbol()

    def action_toggle_comment(self) -> None:
        if (ed := self._ed()) is not None:
            ed.toggle_comment()

    def action_add_next_occurrence(self) -> None:
        ed = self._ed()
        if ed is None:
            return
        ed.setSearchFlags(0)
        ed.setTargetWholeDocument() if hasattr(ed, "setTargetWholeDocument") else None
        if ed.selectionEmpty():
            s, e = ed.wordStartPosition(ed.currentPos(), True), ed.wordEndPosition(ed.currentPos(), True)
            ed.setSel(s, e)
        else:
            ed.multipleSelectAddNext()

    def action_complete(self) -> None:
        ed = self._ed()
        if ed is not None and hasattr(ed.completer, "complete_now"):
            ed.completer.complete_now()
        elif ed is not None and ed.completer is not None:
            ed.completer.show_words(ed.word_at(max(0, ed.currentPos() - 1)) if ed.currentPos() else "")

    # =============================================================================================== view actions
    def action_zoom_in(self) -> None:
        if (ed := self._ed()) is not None:
            ed.zoom_in()

    def action_zoom_out(self) -> None:
        if (ed := self._ed()) is not None:
            ed.zoom_out()

    def action_zoom_reset(self) -> None:
        if (ed := self._ed()) is not None:
            ed.zoom_reset()

    def action_reset_layout(self) -> None:
        """Put every panel back where it was on a first start."""
        self.restoreState(self._default_layout)
        for d in self.docks.values():
            d.setFloating(False)
            d.show()
        self.docks["console"].raise_()

    def action_next_tab(self) -> None:
        if self.tabs.count():
            self.tabs.setCurrentIndex((self.tabs.currentIndex() + 1) % self.tabs.count())

    def action_prev_tab(self) -> None:
        if self.tabs.count():
            self.tabs.setCurrentIndex((self.tabs.currentIndex() - 1) % self.tabs.count())

    def action_toggle_theme(self) -> None:
        self.store.update(theme="light" if theme.get(self.store.settings.theme).name == "dark" else "dark")

    # =============================================================================================== help
    def action_reference(self) -> None:
        """Show the bridge reference (created on first use); F1 on a bridge name opens its page."""
        panel = getattr(self, "reference_panel", None)
        if panel is None:
            try:
                from app.ui.reference_panel import ReferencePanel
                panel = ReferencePanel(lambda: (self.tabs.current_page().language
                                                if self.tabs.current_page() else "lua"), parent=self)
            except Exception:
                log.exception("the reference panel is unavailable")
                self.statusBar().showMessage("The bridge reference is unavailable (see the log)", 5000)
                return
            panel.setObjectName("dock_reference")
            panel.insert_requested.connect(lambda snippet: (ed := self._ed()) is not None and
                                           ed.insert_at_cursor(snippet))
            self.tabs.currentPageChanged.connect(lambda _p: panel.refresh())
            self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, panel)
            self.reference_panel = panel
        panel.show()
        panel.raise_()
        ed = self._ed()
        if ed is not None:
            try:
                from app.ui import editor_intel
                key = editor_intel.symbol_at(ed.text(), ed.char_position(), ed.language)
                if key:
                    panel.show_symbol(key)
            except Exception:
                log.exception("symbol lookup failed")

    def action_welcome(self) -> None:
        for i in range(self.tabs.count()):
            if isinstance(self.tabs.widget(i), WelcomePage):
                self.tabs.setCurrentIndex(i)
                return
        w = WelcomePage()
        w.runHello.connect(self._run_example)
        w.openExample.connect(lambda p: self.tabs.open_file(p))
        w.newFile.connect(self.action_new)
        w.openFolder.connect(self.action_open_folder)
        self.tabs.setCurrentIndex(self.tabs.addTab(w, "Welcome"))

    def _run_example(self, path: str) -> RunSession | None:
        page = self.tabs.open_file(path)
        return self.action_run(page) if page is not None else None

    def action_about(self) -> None:
        QMessageBox.about(self, "About LLMSpell Studio",
                          "<b>LLMSpell Studio</b><br>Write, run and trace LLM spells in Lua, JavaScript and Tengo.")

    # =============================================================================================== drag & drop
    def dragEnterEvent(self, e: QDragEnterEvent) -> None:  # noqa: N802
        if e.mimeData().hasUrls():
            e.acceptProposedAction()

    def dropEvent(self, e: QDropEvent) -> None:  # noqa: N802
        self.open_paths([u.toLocalFile() for u in e.mimeData().urls() if u.isLocalFile()])
        e.acceptProposedAction()

    def open_paths(self, paths_: list[str]) -> None:
        """Open files as tabs and a folder as the workspace (command line, drag and drop)."""
        for p in paths_:
            if os.path.isdir(p):
                self.set_workspace(p)
            elif os.path.isfile(p):
                self.tabs.open_file(p)

    # =============================================================================================== closing
    def closeEvent(self, e: QCloseEvent) -> None:  # noqa: N802
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
        self.backups.close(remove=True)  # every buffer is now saved or deliberately discarded
        self._backed_up.clear()
        self.save_session()
        self.diagnostics.shutdown()
        self.runs.shutdown()
        self._closing = True
        e.accept()

    def shutdown_for_tests(self) -> None:
        """Stop timers and services without asking anything."""
        self._backup_timer.stop()
        self._status_timer.stop()
        self.diagnostics.shutdown()
        self.runs.shutdown(timeout=1.0)
