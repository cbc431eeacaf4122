"""The workspace folder, recent files and folders, copies of examples, opening locations, hot exit (backups of
unsaved buffers) and the session's tabs."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import QMenu, QWidget

from app.ui import fileio, hotexit, paths, session
from app.ui.editor_tabs import EditorPage, EditorTabs
from app.ui.languages import language_of
from app.ui.welcome import list_examples
from app.ui.window.host import WindowHost

log = logging.getLogger(__name__)


class WorkspacePart:
    """Files and folders of the window. ``on_workspace`` is told when the workspace folder changes."""

    def __init__(
        self,
        host: WindowHost,
        state: session.SessionState,
        on_workspace: Callable[[str | None], None] = lambda _f: None,
    ) -> None:
        self.host = host
        self.tabs: EditorTabs = host.tabs
        self.state = state
        self.folder: str | None = None
        self.backups = hotexit.BackupStore()
        self._backed_up: set[str] = set()
        self._on_workspace = on_workspace
        self.tabs.fileSaved.connect(self._file_saved)
        self.tabs.fileOpened.connect(self.remember_file)
        self.tabs.pageClosing = self._page_closing  # type: ignore[method-assign]

    # ------------------------------------------------------------------------------------------------ folders
    def set_workspace(self, folder: str | None) -> None:
        """Open ``folder`` as the workspace (file tree, find in files, default save folder)."""
        self.folder = os.path.abspath(folder) if folder else None
        self.tabs.workspace = self.folder  # type: ignore[attr-defined]
        if self.folder:
            self.state.recent_folders = session.add_recent(self.state.recent_folders, self.folder)
        self._on_workspace(self.folder)

    def remember_file(self, path: str | None) -> None:
        if path:
            self.state.recent_files = session.add_recent(self.state.recent_files, path)

    def open_paths(self, paths_: list[str]) -> None:
        """Open files as tabs and a folder as the workspace (command line, drag and drop)."""
        for p in paths_:
            if os.path.isdir(p):
                self.set_workspace(p)
            elif os.path.isfile(p):
                self.tabs.open_file(p)

    def open_location(self, path: str, line: int, column: int = 0) -> EditorPage | None:
        """Open ``path`` at 1-based ``line`` (relative paths resolve against the current file and workspace;
        untitled buffers are found by the pseudo path their runs used)."""
        if not path:
            return None
        page = self.page_of(path)
        if page is None and not path.startswith("<"):
            candidates = [path]
            if not os.path.isabs(path):
                cur = self.tabs.current_page()
                for base in (os.path.dirname(cur.path) if cur and cur.path else None, self.folder, os.getcwd()):
                    if base:
                        candidates.append(os.path.join(base, path))
            found = next((c for c in candidates if os.path.isfile(c)), None)
            page = self.tabs.open_file(found) if found else None
        if page is None:
            self.host.notify(f"Cannot find {path}", 4000)
            return None
        self.tabs.setCurrentWidget(page)
        page.editor.set_cursor(max(0, line - 1), max(0, column - 1))
        QWidget.setFocus(page.editor)
        return page

    def page_of(self, path: str) -> EditorPage | None:
        """The open page a run, stop or message path names (untitled buffers by their run path)."""
        for p in self.tabs.pages():
            if path in (p.run_path(), p.display_path()) or (p.path and os.path.isabs(path) and p.path == path):
                return p
        return None

    # ------------------------------------------------------------------------------------------------ examples
    def open_example_copy(self, example: str) -> EditorPage | None:
        """An untitled copy of a shipped example (so saving or running never touches the shipped file); Save
        offers the example's name in the workspace."""
        try:
            text = fileio.read_text(example).text
        except OSError as e:
            self.host.notify(f"Cannot read {example}: {e.strerror or e}", 6000)
            return None
        name = Path(example).name
        taken = {p.title for p in self.tabs.pages()}
        stem, ext = os.path.splitext(name)
        n = 1
        while name in taken:
            n += 1
            name = f"{stem}-{n}{ext}"
        page = self.tabs.new_file(language_of(example), text)
        page.untitled_name = name
        page.editor.setSavePoint()  # an untouched copy closes without asking
        self.tabs.refresh_tab(page)
        return page

    def fill_examples_menu(self, menu: QMenu) -> None:
        menu.clear()
        found = list_examples()
        if not found:
            menu.addAction("(no examples found)").setEnabled(False)
        for p in found:
            rel = os.path.relpath(p, paths.examples_dir())
            menu.addAction(rel, _bind(self.open_example_copy, str(p)))

    def fill_recent_menu(self, menu: QMenu) -> None:
        menu.clear()
        for p in self.state.recent_files:
            menu.addAction(p, _bind(self.tabs.open_file, p))
        if self.state.recent_folders:
            menu.addSeparator()
            for f in self.state.recent_folders:
                menu.addAction(f"📁 {f}", _bind(self.set_workspace, f))
        if menu.isEmpty():
            menu.addAction("(nothing yet)").setEnabled(False)

    # ------------------------------------------------------------------------------------------------ pages
    def _page_closing(self, page: EditorPage) -> None:
        self.backups.remove(page.backup_id)
        self._backed_up.discard(page.backup_id)

    def _file_saved(self, path: str) -> None:
        self.remember_file(path)
        page = self.tabs.page_for(path)
        if page is not None:
            self.backups.remove(page.backup_id)
            self._backed_up.discard(page.backup_id)
            page.backup_generation = -1
        self.host.notify(f"Saved {path}", 3000)

    def path_renamed(self, old: str, new: str) -> None:
        """A file or folder was renamed in the file tree: open pages follow it."""
        for page in self.tabs.pages():
            if page.path and (page.path == old or page.path.startswith(old + os.sep)):
                self.tabs.watcher.removePath(page.path)
                page.path = new + page.path[len(old) :]
                self.tabs.watch(page.path)
                self.tabs.refresh_tab(page)

    # ------------------------------------------------------------------------------------------------ hot exit
    def backup_tick(self) -> None:
        """Back up dirty buffers that changed since their last backup; drop backups of clean ones."""
        live: set[str] = set()
        for page in self.tabs.pages():
            if page.dirty:
                live.add(page.backup_id)
                if page.backup_generation != page.generation or page.backup_id not in self._backed_up:
                    line, col = page.editor.caret()
                    try:
                        self.backups.write(
                            hotexit.Backup(
                                page.backup_id,
                                page.path,
                                page.title,
                                page.language,
                                page.editor.text(),
                                line,
                                col,
                                page.meta.encoding,
                                page.meta.bom,
                                page.meta.eol,
                                page.meta.mtime_ns,
                            )
                        )
                        page.backup_generation = page.generation
                        self._backed_up.add(page.backup_id)
                    except OSError:
                        log.exception("backup of %s failed", page.title)
        for bid in list(self._backed_up - live):
            self.backups.remove(bid)
            self._backed_up.discard(bid)

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
            self.host.notify(f"Restored {restored} unsaved buffer(s) from the last session", 8000)
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
        if page.editor.text() == (_disk_text(page.path) if page.path else None):
            page.editor.setSavePoint()
        page.editor.set_cursor(b.line, b.column)
        page.backup_generation = -1
        self.tabs.refresh_tab(page)

    def close(self) -> None:
        """Every buffer is saved or deliberately discarded: drop this instance's backups."""
        self.backups.close(remove=True)
        self._backed_up.clear()

    # ------------------------------------------------------------------------------------------------ session
    def save_tabs(self, st: session.SessionState) -> None:
        st.tabs = []
        for page in self.tabs.pages():
            if page.path and os.path.exists(page.path):
                ln, col = page.editor.caret()
                st.tabs.append(session.TabState(page.path, ln, col, page.editor.firstVisibleLine()))
        cur = self.tabs.current_page()
        st.current = next((i for i, t in enumerate(st.tabs) if cur and t.path == cur.path), 0)
        st.workspace = self.folder

    def restore_tabs(self, st: session.SessionState) -> int:
        """The last session's workspace, tabs and unsaved buffers; returns how many buffers came from backups."""
        if st.workspace and os.path.isdir(st.workspace):
            self.set_workspace(st.workspace)
        for t in st.tabs:
            if os.path.isfile(t.path):
                page = self.tabs.open_file(t.path, quiet=True)
                if page is not None:
                    page.editor.set_cursor(t.line, t.column, centre=False)
                    page.editor.setFirstVisibleLine(t.first_visible)
        restored = self.restore_backups()
        pages = self.tabs.pages()
        if st.tabs and 0 <= st.current < len(pages) and not restored:
            self.tabs.setCurrentIndex(st.current)
        return restored


def _bind(fn: Callable[[str], object], arg: str) -> Callable[[], None]:
    def call() -> None:
        fn(arg)

    return call


def _disk_text(path: str | None) -> str | None:
    try:
        return fileio.read_text(path).text if path else None
    except OSError:
        return None
