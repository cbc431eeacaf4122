"""Tabs of editors: open/save/save as/close/reopen, unsaved markers, atomic saves keeping encoding and line endings,
and files changed on disk offered for reload."""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QFileSystemWatcher, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app import languages as spell_languages
from app.ui import fileio, languages
from app.ui.editor import CodeEditor

log = logging.getLogger(__name__)


def _file_filter() -> str:
    """``Spells (*.lua *.js ...);;Lua (*.lua);;...;;All files (*)`` for the file dialogs."""

    def globs(exts: tuple[str, ...]) -> str:
        return " ".join(f"*{ext}" for ext in exts)

    parts = [f"Spells ({globs(spell_languages.extensions())})"]
    parts += [f"{lang.name} ({globs(lang.extensions)})" for lang in spell_languages.LANGUAGES.values()]
    return ";;".join([*parts, "All files (*)"])


FILE_FILTER = _file_filter()


def ask_unsaved(parent: QWidget, names: list[str]) -> str:
    """Ask what to do with unsaved changes: ``"save"``, ``"discard"`` or ``"cancel"`` (tests replace this)."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle("Unsaved changes")
    listing = "\n".join(f"  • {n}" for n in names[:12]) + ("\n  …" if len(names) > 12 else "")
    box.setText(f"Save changes to {'this file' if len(names) == 1 else 'these files'}?\n\n{listing}")
    save = box.addButton("Save", QMessageBox.ButtonRole.AcceptRole)
    discard = box.addButton("Don't Save", QMessageBox.ButtonRole.DestructiveRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(save)
    box.exec()
    clicked = box.clickedButton()
    return "save" if clicked is save else "discard" if clicked is discard else "cancel"


def ask_overwrite(parent: QWidget, name: str) -> bool:
    """The file changed on disk since it was loaded: overwrite it? (tests replace this)."""
    answer = QMessageBox.warning(
        parent,
        "File changed on disk",
        f"{name} was changed by another program since you opened it.\n\nOverwrite it with your version?",
        QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Cancel,
        QMessageBox.StandardButton.Cancel,
    )
    return answer == QMessageBox.StandardButton.Save


def ask_save_path(parent: QWidget, suggestion: str) -> str | None:
    """A path to save to, or None (tests replace this)."""
    path, _ = QFileDialog.getSaveFileName(parent, "Save As", suggestion, FILE_FILTER)
    return path or None


class InfoBar(QFrame):
    """A slim bar above an editor with a message and action buttons (file changed on disk...)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("infoBar")
        self.label = QLabel()
        self.label.setWordWrap(True)
        self._lay = QHBoxLayout(self)
        self._lay.setContentsMargins(8, 4, 8, 4)
        self._lay.addWidget(self.label, 1)
        self.buttons: list[QPushButton] = []
        self.hide()

    def show_message(self, text: str, actions: list[tuple[str, Callable[[], None]]]) -> None:
        for b in self.buttons:
            b.deleteLater()
        self.buttons = []
        self.label.setText(text)
        for label, fn in actions:
            b = QPushButton(label)
            b.clicked.connect(lambda *_, f=fn: (self.hide(), f()))
            self._lay.addWidget(b)
            self.buttons.append(b)
        self.show()


class EditorPage(QWidget):
    """One tab: an :class:`InfoBar` over a :class:`CodeEditor`, plus the file's on-disk facts."""

    def __init__(self, path: str | None, language: str, untitled_name: str = "", parent: QWidget | None = None):
        super().__init__(parent)
        self.path: str | None = os.path.abspath(path) if path else None
        self.untitled_name = untitled_name
        self.meta = fileio.TextFile("")
        self.backup_id = uuid.uuid4().hex
        self.backup_generation = -1  # text generation last backed up
        self.generation = 0  # bumped on every edit
        self.disk_prompted: tuple[int, int] | None = None  # (mtime, size) of the disk change already offered
        self.info = InfoBar()
        self.editor = CodeEditor(language)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        lay.addWidget(self.info)
        lay.addWidget(self.editor, 1)
        self.editor.textEdited.connect(self._bump)

    def _bump(self) -> None:
        self.generation += 1

    @property
    def title(self) -> str:
        return os.path.basename(self.path) if self.path else self.untitled_name

    @property
    def dirty(self) -> bool:
        return bool(self.editor.modify())

    @property
    def language(self) -> str:
        return self.editor.language

    def display_path(self) -> str:
        """The path used in syntax checks and messages (a pseudo name for untitled buffers)."""
        return self.path or self.untitled_name

    def run_path(self) -> str:
        """The path a run of this buffer uses (untitled buffers run under a path in the data dir)."""
        if self.path:
            return self.path
        from app.ui import paths

        return str(paths.data_dir() / "untitled" / self.untitled_name)


class EditorTabs(QTabWidget):
    """The editor area. Emits ``pageAdded`` for each new page so the window can wire diagnostics, completion..."""

    pageAdded = Signal(object)  # EditorPage
    currentPageChanged = Signal(object)  # EditorPage | None
    pageStateChanged = Signal(object)  # EditorPage: dirty flag, path or language changed
    fileSaved = Signal(str)
    fileOpened = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTabsClosable(True)
        self.setMovable(True)
        self.setDocumentMode(True)
        self.setElideMode(Qt.TextElideMode.ElideNone)  # full names; scroll buttons when they do not fit
        self.setUsesScrollButtons(True)
        self.tabCloseRequested.connect(self.close_tab)
        self.tabBar().installEventFilter(self)
        self.tabBar().setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.tabBar().customContextMenuRequested.connect(self._tab_menu)
        self.currentChanged.connect(lambda *_: self.currentPageChanged.emit(self.current_page()))
        self.watcher = QFileSystemWatcher(self)
        self.watcher.fileChanged.connect(self._on_file_changed)
        self.closed_stack: list[tuple[str, int, int]] = []
        self._untitled = 0
        self._configure: list[Callable[[EditorPage], None]] = []
        self.theme = None
        self.font_spec: tuple[str, int] = ("DejaVu Sans Mono", 11)  # family, size (QWidget.font stays the method)
        self.tab_width = 4

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt naming
        """Middle-click on a tab closes it."""
        from PySide6.QtCore import QEvent

        if (
            obj is self.tabBar()
            and event.type() == QEvent.Type.MouseButtonRelease
            and event.button() == Qt.MouseButton.MiddleButton
        ):
            idx = self.tabBar().tabAt(event.position().toPoint())
            if idx >= 0:
                self.close_tab(idx)
                return True
        return super().eventFilter(obj, event)

    def _tab_menu(self, pos) -> None:
        from PySide6.QtWidgets import QApplication, QMenu

        idx = self.tabBar().tabAt(pos)
        if idx < 0:
            return
        w = self.widget(idx)
        if w is None:
            return
        menu = QMenu(self)
        menu.addAction("Close", lambda: self.close_tab(self.indexOf(w)))
        menu.addAction("Close Others", lambda: self.close_others(w))
        menu.addAction("Close All", self.close_all)
        if isinstance(w, EditorPage) and w.path:
            menu.addSeparator()
            menu.addAction("Copy Path", lambda: QApplication.clipboard().setText(w.path or ""))
        menu.exec(self.tabBar().mapToGlobal(pos))

    def close_others(self, keep: QWidget) -> bool:
        """Close every tab but ``keep`` (asking about unsaved ones); False when the user cancelled."""
        for w in self._tab_widgets():
            if w is not keep and not self.close_tab(self.indexOf(w)):
                return False
        return True

    def close_all(self) -> bool:
        for w in self._tab_widgets():
            if not self.close_tab(self.indexOf(w)):
                return False
        return True

    def _tab_widgets(self) -> list[QWidget]:
        return [w for i in range(self.count()) if (w := self.widget(i)) is not None]

    # -------------------------------------------------------------------------------------------------- pages
    def pages(self) -> list[EditorPage]:
        return [w for w in (self.widget(i) for i in range(self.count())) if isinstance(w, EditorPage)]

    def current_page(self) -> EditorPage | None:
        w = self.currentWidget()
        return w if isinstance(w, EditorPage) else None

    def current_editor(self) -> CodeEditor | None:
        p = self.current_page()
        return p.editor if p else None

    def page_for(self, path: str) -> EditorPage | None:
        ap = os.path.abspath(path)
        for p in self.pages():
            if p.path and (p.path == ap or _same_file(p.path, ap)):
                return p
        return None

    def _add_page(self, page: EditorPage) -> EditorPage:
        if self.theme is not None:
            page.editor.apply_theme(self.theme, *self.font_spec)
        page.editor.setTabWidth(self.tab_width)
        page.editor.setIndent(self.tab_width)
        page.editor.savePointChanged.connect(lambda *_: self.refresh_tab(page))
        page.editor.uriDropped.connect(self._on_uri_dropped)
        idx = self.addTab(page, page.title)
        self.refresh_tab(page)
        self.setCurrentIndex(idx)
        self.pageAdded.emit(page)
        return page

    def refresh_tab(self, page: EditorPage) -> None:
        idx = self.indexOf(page)
        if idx < 0:
            return
        self.setTabText(idx, page.title + (" ●" if page.dirty else ""))
        self.setTabToolTip(idx, page.path or "Not saved yet")
        self.pageStateChanged.emit(page)

    def _on_uri_dropped(self, uri: str) -> None:
        from PySide6.QtCore import QUrl

        path = QUrl(uri).toLocalFile() or uri
        if os.path.isfile(path):
            self.open_file(path)

    def new_file(self, language: str = "lua", text: str = "") -> EditorPage:
        """A new untitled buffer."""
        self._untitled += 1
        spell = spell_languages.find(language)
        ext = spell.default_extension if spell is not None else ".txt"
        page = EditorPage(None, language, f"untitled-{self._untitled}{ext}")
        if text:
            page.editor.set_text(text)
        self._add_page(page)
        return page

    def open_file(
        self, path: str, line: int | None = None, column: int = 0, *, quiet: bool = False
    ) -> EditorPage | None:
        """Open (or focus) ``path``; optionally put the caret at 1-based ``line``. None when it cannot be read
        (``quiet``: only logged, e.g. while restoring a session, instead of a message box)."""
        existing = self.page_for(path)
        if existing is not None:
            self.setCurrentWidget(existing)
            page = existing
        else:
            try:
                tf = fileio.read_text(path)
            except (OSError, ValueError) as e:
                if quiet:
                    log.warning("cannot open %s: %s", path, e)
                else:
                    QMessageBox.warning(self, "Cannot open file", f"{path}\n\n{e}")
                return None
            page = EditorPage(path, languages.language_of(path))
            page.editor.set_text(tf.text)
            page.editor.setSavePoint()
            page.meta = tf
            self._add_page(page)
            self.watch(page.path)
            self.fileOpened.emit(page.path)
        if line:
            page.editor.set_cursor(line - 1, column)
        QWidget.setFocus(page.editor)
        return page

    # -------------------------------------------------------------------------------------------------- saving
    def save(self, page: EditorPage | None = None) -> bool:
        """Save ``page`` (default: current); Save As for untitled buffers. False when not saved."""
        page = page or self.current_page()
        if page is None:
            return False
        if not page.path:
            return self.save_as(page)
        if self._changed_on_disk(page) and not ask_overwrite(self, page.title):
            return False
        return self._write(page, page.path)

    @staticmethod
    def _changed_on_disk(page: EditorPage) -> bool:
        """True when the file is not the version this buffer was loaded from or last saved as."""
        if not page.path or not (page.meta.mtime_ns or page.meta.size):
            return False
        try:
            st = os.stat(page.path)
        except FileNotFoundError:
            return False
        if st.st_mtime_ns == page.meta.mtime_ns and st.st_size == page.meta.size:
            return False
        try:
            return fileio.read_text(page.path).text != page.meta.text
        except OSError:
            return True

    def save_as(self, page: EditorPage | None = None, path: str | None = None) -> bool:
        page = page or self.current_page()
        if page is None:
            return False
        if path is None:
            suggestion = page.path or os.path.join(self.default_dir(), page.untitled_name)
            path = ask_save_path(self, suggestion)
            if not path:
                return False
        old = page.path
        if not self._write(page, os.path.abspath(path)):
            return False
        if old and old != page.path:
            self.watcher.removePath(old)
        page.editor.set_language(languages.language_of(page.path))
        self.refresh_tab(page)
        return True

    def default_dir(self) -> str:
        return getattr(self, "workspace", None) or os.path.expanduser("~")

    def _write(self, page: EditorPage, path: str) -> bool:
        meta = page.meta
        tf = fileio.TextFile(page.editor.text(), meta.encoding, meta.bom, meta.eol)
        watched = path in self.watcher.files()
        if watched:
            self.watcher.removePath(path)
        try:
            page.meta = fileio.write_text(path, tf)
        except OSError as e:
            QMessageBox.critical(self, "Save failed", f"Could not save {path}:\n\n{e}")
            if watched:
                self.watcher.addPath(path)
            return False
        page.path = path
        page.editor.setSavePoint()
        page.info.hide()
        self.watch(path)
        self.refresh_tab(page)
        self.fileSaved.emit(path)
        log.info("saved %s (%s, %r)", path, page.meta.encoding, page.meta.eol)
        return True

    def save_all(self) -> bool:
        ok = True
        for p in self.pages():
            if p.dirty:
                ok = self.save(p) and ok
        return ok

    # -------------------------------------------------------------------------------------------------- closing
    def close_tab(self, index: int | None = None, *, ask: bool = True) -> bool:
        """Close a tab (default: current), asking about unsaved changes. False when the user cancelled."""
        index = self.currentIndex() if index is None else index
        w = self.widget(index)
        if w is None:
            return False
        if isinstance(w, EditorPage):
            if ask and w.dirty:
                choice = ask_unsaved(self, [w.title])
                if choice == "cancel" or (choice == "save" and not self.save(w)):
                    return False
            if w.path:
                line, col = w.editor.caret()
                self.closed_stack.append((w.path, line, col))
                del self.closed_stack[:-30]
                if w.path in self.watcher.files() and not any(p.path == w.path for p in self.pages() if p is not w):
                    self.watcher.removePath(w.path)
            self.pageClosing(w)
        self.removeTab(index)
        w.deleteLater()
        if self.count() == 0:
            self.currentPageChanged.emit(None)
        return True

    def pageClosing(self, page: EditorPage) -> None:  # noqa: N802 - hook, replaced by the window
        """Hook called before a page goes (the window drops its hot-exit backup)."""

    def reopen_closed(self) -> EditorPage | None:
        while self.closed_stack:
            path, line, col = self.closed_stack.pop()
            if os.path.isfile(path):
                return self.open_file(path, line + 1, col)
        return None

    # -------------------------------------------------------------------------------------------------- disk
    def watch(self, path: str | None) -> None:
        if path and os.path.exists(path) and path not in self.watcher.files():
            self.watcher.addPath(path)

    def _on_file_changed(self, path: str) -> None:
        # Editors that save by replacing the file drop it from the watcher: re-add after the dust settles.
        QTimer.singleShot(150, lambda: self.check_disk(path))

    def check_disk(self, path: str | None = None) -> None:
        """Compare open files with the disk (all of them, or ``path``) and offer reloads."""
        for page in self.pages():
            if not page.path or (path and page.path != path):
                continue
            self.watch(page.path)
            try:
                st = os.stat(page.path)
            except FileNotFoundError:
                if page.meta.size or page.meta.mtime_ns:
                    page.meta.mtime_ns = page.meta.size = 0
                    page.info.show_message(
                        f"{page.title} was deleted on disk. Save to keep your text.",
                        [
                            ("Save", lambda p=page: self.save(p)),  # type: ignore[list-item]
                            (
                                "Close",
                                lambda p=page: (  # type: ignore[list-item]
                                    self.close_tab(self.indexOf(p))
                                ),
                            ),
                        ],
                    )
                continue
            if st.st_mtime_ns == page.meta.mtime_ns and st.st_size == page.meta.size:
                continue
            if page.disk_prompted == (st.st_mtime_ns, st.st_size):
                continue  # already offered for this change
            try:
                disk = fileio.read_text(page.path)
            except OSError:
                continue
            if disk.text == page.meta.text or disk.text == page.editor.text():
                if disk.text == page.editor.text() and page.dirty:
                    page.editor.setSavePoint()
                page.meta = fileio.TextFile(
                    page.meta.text if disk.text == page.meta.text else disk.text,
                    page.meta.encoding,
                    page.meta.bom,
                    page.meta.eol,
                    st.st_mtime_ns,
                    st.st_size,
                )
                continue
            page.disk_prompted = (st.st_mtime_ns, st.st_size)
            msg = (
                f"{page.title} changed on disk and you have unsaved changes."
                if page.dirty
                else f"{page.title} changed on disk."
            )
            page.info.show_message(
                msg,
                [
                    ("Reload", lambda p=page: self.reload(p)),
                    ("Keep mine", lambda p=page, d=disk: self._keep_mine(p, d)),
                ],
            )

    @staticmethod
    def _keep_mine(page: EditorPage, disk: fileio.TextFile) -> None:
        """The user keeps the buffer: the disk version is acknowledged, the next save overwrites it."""
        page.meta = fileio.TextFile(
            disk.text, page.meta.encoding, page.meta.bom, page.meta.eol, disk.mtime_ns, disk.size
        )

    def reload(self, page: EditorPage) -> None:
        """Replace the buffer with the file on disk (undoable), keeping the caret line."""
        if not page.path:
            return
        try:
            tf = fileio.read_text(page.path)
        except OSError as e:
            QMessageBox.warning(self, "Reload failed", str(e))
            return
        line, col = page.editor.caret()
        first = page.editor.firstVisibleLine()
        page.editor.set_text(tf.text, keep_undo=True)
        page.editor.setSavePoint()
        page.meta = tf
        page.editor.set_cursor(line, col, centre=False)
        page.editor.setFirstVisibleLine(first)
        page.info.hide()
        self.refresh_tab(page)

    # -------------------------------------------------------------------------------------------------- look
    def apply_look(self, theme, font_family: str, font_size: int, tab_width: int) -> None:
        self.theme, self.font_spec, self.tab_width = theme, (font_family, font_size), tab_width
        for p in self.pages():
            p.editor.apply_theme(theme, font_family, font_size)
            p.editor.setTabWidth(tab_width)
            p.editor.setIndent(tab_width)


def _same_file(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def suggest_dir(path: str | None) -> str:
    return str(Path(path).parent) if path else os.path.expanduser("~")
