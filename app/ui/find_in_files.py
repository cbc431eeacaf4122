"""Find in files across the workspace, searched in a background thread; results open at their line."""

from __future__ import annotations

import logging
import os
import re
import threading
from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app import languages

log = logging.getLogger(__name__)

TEXT_EXTENSIONS = {
    *languages.extensions(),
    ".json",
    ".md",
    ".txt",
    ".yaml",
    ".yml",
    ".toml",
    ".py",
    ".html",
    ".css",
    ".csv",
    ".ini",
    ".cfg",
    ".jsonl",
}
SKIP_DIRS = {".git", ".hg", ".svn", "node_modules", "__pycache__", ".venv", "venv", ".mypy_cache", ".pytest_cache"}
MAX_RESULTS = 5000


@dataclass
class Hit:
    path: str
    line: int  # 1-based
    column: int  # 0-based character
    text: str


def compile_query(query: str, case: bool, whole_word: bool, regex: bool) -> re.Pattern[str]:
    """The pattern a query means (raises ``re.error`` for a bad regular expression)."""
    pat = query if regex else re.escape(query)
    if whole_word:
        pat = rf"\b(?:{pat})\b"
    return re.compile(pat, 0 if case else re.IGNORECASE)


def search_files(root: str, pattern: re.Pattern[str], stop: threading.Event | None = None) -> list[Hit]:
    """Every match of ``pattern`` in the text files under ``root`` (skipping VCS and virtualenv folders)."""
    hits: list[Hit] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and not d.startswith("."))
        for name in sorted(filenames):
            if stop is not None and stop.is_set():
                return hits
            if os.path.splitext(name)[1].lower() not in TEXT_EXTENSIONS:
                continue
            path = os.path.join(dirpath, name)
            try:
                if os.path.getsize(path) > 5 * 1024 * 1024:
                    continue
                with open(path, encoding="utf-8", errors="replace") as fh:
                    for n, line in enumerate(fh, 1):
                        m = pattern.search(line)
                        if m:
                            hits.append(Hit(path, n, m.start(), line.rstrip("\r\n")))
                            if len(hits) >= MAX_RESULTS:
                                return hits
            except OSError:
                continue
    return hits


class FindInFilesPanel(QWidget):
    """Query field, options, and a tree of file → matching lines. ``openLocation(path, line, column)``."""

    openLocation = Signal(str, int, int)
    _done = Signal(int, object, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.root: str | None = None
        self.query = QLineEdit(placeholderText="Find in workspace")
        self.query.setClearButtonEnabled(True)
        self.case = QCheckBox("Aa")
        self.word = QCheckBox("Word")
        self.regex = QCheckBox(".*")
        go = QPushButton("Search")
        self.status = QLabel("Open a folder to search it.")
        self.tree = QTreeWidget()
        self.tree.setHeaderHidden(True)
        self.tree.setUniformRowHeights(True)
        top = QHBoxLayout()
        top.addWidget(self.query, 1)
        for w in (self.case, self.word, self.regex, go):
            top.addWidget(w)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(2)
        lay.addLayout(top)
        lay.addWidget(self.status)
        lay.addWidget(self.tree, 1)
        go.clicked.connect(self.start_search)
        self.query.returnPressed.connect(self.start_search)
        self.tree.itemActivated.connect(self._activated)
        self._done.connect(self._show)
        self._search_id = 0
        self._stop = threading.Event()
        self.hits: list[Hit] = []

    def set_root(self, root: str | None) -> None:
        self.root = root
        self.status.setText(f"Search in {root}" if root else "Open a folder to search it.")

    def start_search(self) -> None:
        """Search in a background thread; results replace the tree when they arrive."""
        text = self.query.text()
        if not text or not self.root:
            return
        try:
            pattern = compile_query(text, self.case.isChecked(), self.word.isChecked(), self.regex.isChecked())
        except re.error as e:
            self.status.setText(f"Bad regular expression: {e}")
            return
        self._stop.set()
        self._stop = stop = threading.Event()
        self._search_id += 1
        sid, root = self._search_id, self.root
        self.status.setText("Searching…")

        def work() -> None:
            hits = search_files(root, pattern, stop)
            if not stop.is_set():
                try:
                    self._done.emit(sid, hits, root)
                except RuntimeError:
                    pass

        threading.Thread(target=work, name="find-in-files", daemon=True).start()

    def _show(self, sid: int, hits: list[Hit], root: str) -> None:
        if sid != self._search_id:
            return
        self.hits = hits
        self.tree.clear()
        by_file: dict[str, QTreeWidgetItem] = {}
        for h in hits:
            parent = by_file.get(h.path)
            if parent is None:
                parent = QTreeWidgetItem([os.path.relpath(h.path, root)])
                parent.setData(0, Qt.ItemDataRole.UserRole, (h.path, 1, 0))
                self.tree.addTopLevelItem(parent)
                by_file[h.path] = parent
            it = QTreeWidgetItem([f"{h.line}: {h.text.strip()[:200]}"])
            it.setData(0, Qt.ItemDataRole.UserRole, (h.path, h.line, h.column))
            parent.addChild(it)
        self.tree.expandAll()
        more = " (stopped at the limit)" if len(hits) >= MAX_RESULTS else ""
        self.status.setText(f"{len(hits)} matches in {len(by_file)} files{more}")

    def _activated(self, item: QTreeWidgetItem, _col: int = 0) -> None:
        data = item.data(0, Qt.ItemDataRole.UserRole)
        if data:
            self.openLocation.emit(data[0], int(data[1]), int(data[2]))
