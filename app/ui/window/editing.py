"""Edit, navigation and view commands on the current editor (undo, find, go to, comment, zoom, tabs)."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QInputDialog, QWidget

from app.ui import theme
from app.ui.editor import CodeEditor
from app.ui.find_bar import FindBar
from app.ui.find_in_files import FindInFilesPanel
from app.ui.outline import find_definition
from app.ui.window.host import WindowHost


class EditingPart:
    def __init__(self, host: WindowHost, find_bar: FindBar, find_files: FindInFilesPanel) -> None:
        self.host = host
        self.find_bar = find_bar
        self.find_files = find_files

    def _ed(self) -> CodeEditor | None:
        return self.host.tabs.current_editor()

    def goto_line0(self, line: int) -> None:
        ed = self._ed()
        if ed is not None:
            ed.set_cursor(line, 0)
            QWidget.setFocus(ed)

    def undo(self) -> None:
        if (ed := self._ed()) is not None:
            ed.undo()

    def redo(self) -> None:
        if (ed := self._ed()) is not None:
            ed.redo()

    def find(self) -> None:
        self.find_bar.open_bar(replace=False)

    def replace(self) -> None:
        self.find_bar.open_bar(replace=True)

    def find_next(self) -> None:
        self.find_bar.find_next(True)

    def find_prev(self) -> None:
        self.find_bar.find_next(False)

    def find_in_files(self) -> None:
        self.host.panels.show("find_files")
        ed = self._ed()
        if ed is not None and ed.selected_text() and "\n" not in ed.selected_text():
            self.find_files.query.setText(ed.selected_text())
        self.find_files.query.setFocus()
        self.find_files.query.selectAll()

    def goto_line(self) -> None:
        ed = self._ed()
        if ed is None:
            return
        line, ok = QInputDialog.getInt(
            self.host.panels.window, "Go to Line", f"Line (1–{ed.lineCount()}):", ed.caret()[0] + 1, 1, ed.lineCount()
        )
        if ok:
            self.goto_line0(line - 1)

    def goto_definition(self) -> None:
        page = self.host.tabs.current_page()
        if page is None:
            return
        ed = page.editor
        word = ed.word_at()
        line = find_definition(ed.text(), page.language, word, ed.caret()[0])
        if line is None:
            self.host.notify(f"No definition of {word!r} in this file", 3000)
        else:
            self.goto_line0(line)

    def toggle_comment(self) -> None:
        if (ed := self._ed()) is not None:
            ed.toggle_comment()

    def add_next_occurrence(self) -> None:
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

    def complete(self) -> None:
        ed = self._ed()
        completer: Any = ed.completer if ed is not None else None
        if ed is None or completer is None:
            return
        if hasattr(completer, "complete_now"):
            completer.complete_now()
        else:
            completer.show_words(ed.word_at(max(0, ed.currentPos() - 1)) if ed.currentPos() else "")

    def zoom_in(self) -> None:
        if (ed := self._ed()) is not None:
            ed.zoom_in()

    def zoom_out(self) -> None:
        if (ed := self._ed()) is not None:
            ed.zoom_out()

    def zoom_reset(self) -> None:
        if (ed := self._ed()) is not None:
            ed.zoom_reset()

    def next_tab(self) -> None:
        tabs = self.host.tabs
        if tabs.count():
            tabs.setCurrentIndex((tabs.currentIndex() + 1) % tabs.count())

    def prev_tab(self) -> None:
        tabs = self.host.tabs
        if tabs.count():
            tabs.setCurrentIndex((tabs.currentIndex() - 1) % tabs.count())

    def toggle_theme(self) -> None:
        store = self.host.store
        store.update(theme="light" if theme.get(store.settings.theme).name == "dark" else "dark")
