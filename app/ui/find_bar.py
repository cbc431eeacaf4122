"""Find and replace in the current file: plain, case, whole word, regular expression."""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QToolButton,
    QWidget,
)

from app.ui.editor import CodeEditor

log = logging.getLogger(__name__)


class FindBar(QFrame):
    """A bar under the editors; ``editor_fn`` returns the editor to search (the current one)."""

    def __init__(self, editor_fn: Callable[[], CodeEditor | None], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("findBar")
        self.editor_fn = editor_fn
        self.find_edit = QLineEdit(placeholderText="Find")
        self.replace_edit = QLineEdit(placeholderText="Replace")
        self.case = QCheckBox("Aa")
        self.case.setToolTip("Match case")
        self.word = QCheckBox("Word")
        self.word.setToolTip("Whole word")
        self.regex = QCheckBox(".*")
        self.regex.setToolTip("Regular expression (ECMAScript syntax; \\1 in the replacement)")
        self.status = QLabel()
        prev_b, next_b = QPushButton("Previous"), QPushButton("Next")
        rep_b, all_b = QPushButton("Replace"), QPushButton("Replace All")
        close_b = QToolButton(text="✕")  # type: ignore[call-arg]
        close_b.setAutoRaise(True)
        grid = QGridLayout(self)
        grid.setContentsMargins(6, 4, 6, 4)
        grid.setHorizontalSpacing(6)
        grid.setVerticalSpacing(3)
        grid.addWidget(self.find_edit, 0, 0)
        opts = QHBoxLayout()
        for w in (self.case, self.word, self.regex):
            opts.addWidget(w)
        grid.addLayout(opts, 0, 1)
        grid.addWidget(prev_b, 0, 2)
        grid.addWidget(next_b, 0, 3)
        grid.addWidget(self.status, 0, 4)
        grid.addWidget(close_b, 0, 5)
        grid.addWidget(self.replace_edit, 1, 0)
        grid.addWidget(rep_b, 1, 2)
        grid.addWidget(all_b, 1, 3)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(4, 1)
        self._replace_row = (self.replace_edit, rep_b, all_b)
        next_b.clicked.connect(lambda: self.find_next(True))
        prev_b.clicked.connect(lambda: self.find_next(False))
        rep_b.clicked.connect(self.replace_one)
        all_b.clicked.connect(self.replace_all)
        close_b.clicked.connect(self.close_bar)
        self.find_edit.returnPressed.connect(lambda: self.find_next(True))
        self.replace_edit.returnPressed.connect(self.replace_one)
        self.find_edit.textChanged.connect(self._incremental)
        for cb in (self.case, self.word, self.regex):
            cb.toggled.connect(self._incremental)
        QShortcut(
            QKeySequence(Qt.Key.Key_Escape), self, self.close_bar, context=Qt.ShortcutContext.WidgetWithChildrenShortcut
        )
        QShortcut(
            QKeySequence("Shift+Return"),
            self.find_edit,
            lambda: self.find_next(False),
            context=Qt.ShortcutContext.WidgetShortcut,
        )
        self.hide()

    def flags(self) -> int:
        return CodeEditor.search_flags(self.case.isChecked(), self.word.isChecked(), self.regex.isChecked())

    def open_bar(self, replace: bool = False) -> None:
        ed = self.editor_fn()
        if ed is not None:
            sel = ed.selected_text()
            if sel and "\n" not in sel:
                self.find_edit.setText(sel)
        for w in self._replace_row:
            w.setVisible(replace)
        self.show()
        self.find_edit.setFocus()
        self.find_edit.selectAll()
        self._incremental()

    def close_bar(self) -> None:
        ed = self.editor_fn()
        if ed is not None:
            ed.highlight_all("", 0)
            QWidget.setFocus(ed)
        self.hide()

    def _incremental(self) -> None:
        ed = self.editor_fn()
        if ed is None:
            return
        n = ed.highlight_all(self.find_edit.text(), self.flags())
        self.status.setText("" if not self.find_edit.text() else (f"{n} matches" if n else "No matches"))
        if self.find_edit.text():
            ed.search(self.find_edit.text(), self.flags(), from_pos=ed.selectionStart())

    def find_next(self, forward: bool = True) -> bool:
        ed = self.editor_fn()
        if ed is None:
            return False
        found = ed.search(self.find_edit.text(), self.flags(), forward=forward)
        if not found and self.find_edit.text():
            self.status.setText("No matches")
        return found is not None

    def replace_one(self) -> None:
        ed = self.editor_fn()
        if ed is not None:
            ed.replace_selection_match(self.find_edit.text(), self.replace_edit.text(), self.flags())
            self._count()

    def replace_all(self) -> int:
        ed = self.editor_fn()
        if ed is None:
            return 0
        n = ed.replace_all(self.find_edit.text(), self.replace_edit.text(), self.flags())
        self.status.setText(f"Replaced {n}")
        return n

    def _count(self) -> None:
        ed = self.editor_fn()
        if ed is not None:
            n = ed.highlight_all(self.find_edit.text(), self.flags())
            self.status.setText(f"{n} matches" if n else "No matches")
