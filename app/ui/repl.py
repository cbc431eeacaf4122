"""The REPL: evaluate Lua, JavaScript or Tengo in a persistent session runtime with the bridges, with history
(Up/Down) and multi-line input (Shift+Enter, or an unfinished block, adds a line)."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QKeyEvent
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPlainTextEdit, QPushButton, QVBoxLayout, QWidget

from app import languages
from app.ui.console import ConsoleView, format_value
from app.ui.run_service import ReplSession, RunService
from app.ui.theme import Theme

log = logging.getLogger(__name__)


def looks_unfinished(source: str, language: str) -> bool:
    """True when ``source`` clearly continues on the next line (open brackets, an open Lua block)."""
    stripped = re.sub(r"(\"(?:\\.|[^\"\\])*\"|'(?:\\.|[^'\\])*')", '""', source)
    depth = sum(stripped.count(c) for c in "([{") - sum(stripped.count(c) for c in ")]}")
    if depth > 0:
        return True
    if language == "lua":
        code = re.sub(r"--.*", "", stripped)
        opens = len(re.findall(r"\b(function|do|then|repeat)\b", code)) - len(re.findall(r"\belseif\b", code))
        closes = len(re.findall(r"\b(end|until)\b", code))
        return opens > closes
    return False


class ReplInput(QPlainTextEdit):
    """Enter submits (unless the entry is unfinished); Shift+Enter adds a line; Up/Down walk the history."""

    submitted = Signal(str)

    def __init__(self, language_fn: Callable[[], str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.language_fn = language_fn
        self.history: list[str] = []
        self._hpos = 0
        self._draft = ""
        self.setPlaceholderText("Evaluate… (Enter runs, Shift+Enter new line, ↑/↓ history)")
        self.setTabChangesFocus(True)
        self.setMaximumHeight(64)
        self.setMinimumHeight(36)

    def set_history(self, entries: list[str]) -> None:
        """Replace the history (restored with the session); Up starts from its newest entry."""
        self.history = list(entries)
        self._hpos = len(self.history)

    def keyPressEvent(self, e: QKeyEvent) -> None:  # noqa: N802
        key = e.key()
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            text = self.toPlainText()
            if e.modifiers() & Qt.KeyboardModifier.ShiftModifier or looks_unfinished(text, self.language_fn()):
                super().keyPressEvent(e)
                return
            if text.strip():
                self.history.append(text)
                self._hpos = len(self.history)
                self.clear()
                self.submitted.emit(text)
            return
        cur = self.textCursor()
        if key == Qt.Key.Key_Up and cur.blockNumber() == 0 and self.history:
            if self._hpos == len(self.history):
                self._draft = self.toPlainText()
            self._hpos = max(0, self._hpos - 1)
            self.setPlainText(self.history[self._hpos])
            self.moveCursor(self.textCursor().MoveOperation.End)
            return
        if key == Qt.Key.Key_Down and cur.blockNumber() == self.document().blockCount() - 1 and self.history:
            if self._hpos < len(self.history):
                self._hpos += 1
                self.setPlainText(self.history[self._hpos] if self._hpos < len(self.history) else self._draft)
                self.moveCursor(self.textCursor().MoveOperation.End)
            return
        super().keyPressEvent(e)


class ReplWidget(QWidget):
    """Language choice, output and the input line."""

    linkActivated = Signal(str, int, int)

    def __init__(self, service: RunService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.service = service
        self.lang = QComboBox()
        for spell_language in languages.LANGUAGES.values():
            self.lang.addItem(spell_language.name, spell_language.id)
        self.stop_button = QPushButton("■ Stop")
        self.stop_button.setToolTip("Stop the entry being evaluated")
        self.stop_button.hide()
        self.reset_button = QPushButton("Reset")
        self.reset_button.setToolTip("Start a fresh session runtime")
        self.state = QLabel()
        self.output = ConsoleView()
        self.output.linkActivated.connect(self.linkActivated)
        self.input = ReplInput(self.language)
        head = QHBoxLayout()
        head.setContentsMargins(6, 2, 6, 2)
        head.addWidget(QLabel("Language"))
        head.addWidget(self.lang)
        head.addWidget(self.state, 1)
        head.addWidget(self.stop_button)
        head.addWidget(self.reset_button)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(2)
        lay.addLayout(head)
        lay.addWidget(self.output, 1)
        lay.addWidget(self.input)
        self.input.submitted.connect(self.evaluate)
        self.reset_button.clicked.connect(self.reset)
        self.stop_button.clicked.connect(self.stop)
        self._connected: set[str] = set()
        self.output.append_output([("system", "REPL: globals persist between entries; the spell API is available.")])

    def language(self) -> str:
        return str(self.lang.currentData())

    def session(self) -> ReplSession:
        lang = self.language()
        s = self.service.repl(lang)
        if lang not in self._connected:
            s.output.connect(self.output.append_output)
            s.evaluated.connect(self._evaluated)
            self._connected.add(lang)
        return s

    def evaluate(self, source: str) -> None:
        """Echo ``source`` and evaluate it in the session runtime (in the background)."""
        prompt = f"{self.language()}>" if languages.is_spell_language(self.language()) else ">"
        echo = "\n".join(
            (prompt if i == 0 else "...".rjust(len(prompt))) + " " + ln for i, ln in enumerate(source.split("\n"))
        )
        self.output.append_output([("input", echo + "\n")])
        self.state.setText("evaluating…")
        self._pending = getattr(self, "_pending", 0) + 1
        self.stop_button.show()
        self.session().evaluate(source)

    def stop(self) -> None:
        """Stop the running entry (a hung loop, a long LLM call)."""
        s = self.service.repls.get(self.language())
        if s is not None:
            s.cancel()

    def _evaluated(self, result: Any) -> None:
        self._pending = max(0, getattr(self, "_pending", 1) - 1)
        if not self._pending:
            self.state.setText("")
            self.stop_button.hide()
        status = str(getattr(result, "status", "error"))
        if status == "ok":
            value = getattr(result, "value", None)
            if value is not None:
                self.output.append_output([("result", format_value(value))])
        else:
            f = getattr(result, "failure", None)
            msg = getattr(f, "message", None) or status
            if status == "cancelled":
                msg = "stopped (the session starts afresh)"
            self.output.append_output([("fail", f"✖ {msg}")])

    def reset(self) -> None:
        lang = self.language()
        self.service.reset_repl(lang)
        self._connected.discard(lang)
        self.output.append_output([("system", f"— new {self.lang.currentText()} session —")])

    def set_theme(self, theme: Theme, family: str, size: int) -> None:
        self.output.set_theme(theme, family, size)
        f = QFont(family)
        f.setStyleHint(QFont.StyleHint.Monospace)
        f.setPointSize(max(6, size - 1))
        self.input.setFont(f)
