"""Outline of the functions in the current file, and go to definition within the file."""

from __future__ import annotations

import functools
import logging
import re

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLineEdit, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from app import languages
from app.lint.symbols import OutlineItem, outline

log = logging.getLogger(__name__)


#: A definition shown in the outline (the linter's record: name, 0-based line, kind, detail, depth).
Symbol = OutlineItem


@functools.cache
def _patterns(language: str) -> tuple[tuple[re.Pattern[str], str], ...]:
    """The language's symbol patterns from the registry, compiled once."""
    lang = languages.find(language)
    if lang is None:
        return ()
    return tuple((re.compile(pattern), kind) for pattern, kind in lang.symbol_patterns)


def symbols(text: str, language: str) -> list[Symbol]:
    """Definitions found in ``text``: from the parse tree (app/lint/symbols.py); the language's regular
    expressions only when the text does not parse into a tree (Tengo with a syntax error)."""
    if languages.is_spell_language(language):
        try:
            found = outline(text, language)
        except Exception:  # never lose the outline to a parser problem
            log.exception("outline from the tree failed")
            found = []
        if found or language != "tengo":
            return found
    return _scanned_symbols(text, language)


def _scanned_symbols(text: str, language: str) -> list[Symbol]:
    """Definitions found with the language's regular expressions (tolerant of any broken code)."""
    pats = _patterns(language)
    if not pats:
        return []
    out: list[Symbol] = []
    for n, line in enumerate(text.split("\n")):
        if len(line) > 400 or not line.strip():
            continue
        for pat, kind in pats:
            m = pat.match(line)
            if m:
                detail = m.group(2) if m.lastindex and m.lastindex >= 2 and m.group(2) else ""
                depth = (len(line) - len(line.lstrip())) // 2
                out.append(Symbol(m.group(1), n, kind, detail if detail.startswith("(") else "", depth))
                break
    return out


def find_definition(text: str, language: str, word: str, before_line: int | None = None) -> int | None:
    """0-based line defining ``word`` (a function, or a local variable above ``before_line``)."""
    if not word:
        return None
    tail = word.split(".")[-1].split(":")[-1]
    best = None
    for s in symbols(text, language):
        names = {s.name, s.name.split(".")[-1].split(":")[-1]}
        if word in names or tail in names:
            if s.kind != "variable":
                return s.line
            best = s.line if best is None else best
    if best is not None:
        return best
    spell = languages.find(language)
    local = spell.local_definition if spell is not None else ""
    if local:
        pat = re.compile(local.format(w=re.escape(tail)))
        lines = text.split("\n")
        end = before_line if before_line is not None else len(lines)
        for n in range(min(end, len(lines)) - 1, -1, -1):
            if pat.match(lines[n]):
                return n
    return None


class OutlinePanel(QWidget):
    """A filterable tree of the current file's definitions; activating one emits ``gotoLine``."""

    gotoLine = Signal(int)  # 0-based

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.filter = QLineEdit(placeholderText="Filter symbols")
        self.filter.setClearButtonEnabled(True)
        self.tree = QTreeWidget()
        self.tree.setHeaderHidden(True)
        self.tree.setIndentation(12)
        self.tree.setUniformRowHeights(True)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(2)
        lay.addWidget(self.filter)
        lay.addWidget(self.tree)
        self.symbols: list[Symbol] = []
        self.filter.textChanged.connect(lambda *_: self._fill())
        self.tree.itemActivated.connect(self._activated)
        self.tree.itemClicked.connect(self._activated)

    def set_symbols(self, syms: list[Symbol]) -> None:
        if syms == self.symbols:
            return
        self.symbols = syms
        self._fill()

    def _fill(self) -> None:
        needle = self.filter.text().lower()
        self.tree.clear()
        glyph = {"function": "ƒ", "method": "ƒ", "class": "C", "variable": "v"}
        for s in self.symbols:
            if needle and needle not in s.name.lower():
                continue
            it = QTreeWidgetItem([f"{glyph.get(s.kind, '·')}  {s.name}{s.detail}"])
            it.setData(0, Qt.ItemDataRole.UserRole, s.line)
            it.setToolTip(0, f"{s.kind} {s.name}{s.detail} — line {s.line + 1}")
            self.tree.addTopLevelItem(it)

    def _activated(self, item: QTreeWidgetItem, _col: int = 0) -> None:
        line = item.data(0, Qt.ItemDataRole.UserRole)
        if line is not None:
            self.gotoLine.emit(int(line))
