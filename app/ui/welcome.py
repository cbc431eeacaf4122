"""The welcome page shown on a first start: run the hello spell in one click, open an example, start writing."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from app import languages
from app.ui import paths

log = logging.getLogger(__name__)

SPELL_EXTS = languages.primary_extensions()
_COMMENTS = tuple(dict.fromkeys(lang.comment for lang in languages.LANGUAGES.values() if lang.comment))


def describe(path: Path) -> str:
    """The first comment line of a spell, without the comment marker and the file name prefix."""
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            for line in fh:
                t = line.strip()
                if not t:
                    continue
                if t.startswith(_COMMENTS):
                    t = t.lstrip("-/ ").strip()
                    if t.lower().startswith(path.name.lower()):
                        t = t[len(path.name) :].lstrip(":—- ").strip()
                    return t
                return ""
    except OSError:
        pass
    return ""


def list_examples(folder: Path | None = None) -> list[Path]:
    """Spell files under ``examples/`` (sorted, hello first)."""
    folder = folder or paths.examples_dir()
    if not folder.is_dir():
        return []
    found = [
        p
        for p in folder.rglob("*")
        if p.suffix in SPELL_EXTS
        and p.is_file()
        and not any(part.startswith((".", "_")) for part in p.relative_to(folder).parts)
    ]
    return sorted(found, key=lambda p: (not p.stem.startswith("hello"), str(p.relative_to(folder)).lower()))


class WelcomePage(QWidget):
    """A tab in the editor area. ``runHello`` carries the path of examples/hello.lua."""

    runHello = Signal(str)
    openExample = Signal(str)
    newFile = Signal()
    openFolder = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("welcomePage")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        title = QLabel("Welcome to LLMSpell Studio")
        title.setObjectName("welcomeTitle")
        text = QLabel(
            "Write small programs — spells — in Lua, JavaScript or Tengo that call language models, tools "
            "and agents. Every example runs on the built-in <b>offline</b> model: no key, no network. "
            "Press <b>F5</b> to run the current file, <b>Shift+F5</b> to stop it."
        )
        text.setObjectName("welcomeText")
        text.setWordWrap(True)
        self.hello = paths.examples_dir() / "hello.lua"
        self.run_button = QPushButton("▶  Run hello.lua")
        self.run_button.setObjectName("bigButton")
        self.run_button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.run_button.clicked.connect(lambda: self.runHello.emit(str(self.hello)))
        self.run_button.setEnabled(self.hello.is_file())
        new_b = QPushButton("New spell")
        new_b.clicked.connect(self.newFile)
        folder_b = QPushButton("Open folder…")
        folder_b.clicked.connect(self.openFolder)
        buttons = QHBoxLayout()
        buttons.addWidget(self.run_button)
        buttons.addWidget(new_b)
        buttons.addWidget(folder_b)
        buttons.addStretch(1)
        self.examples = QTreeWidget()
        self.examples.setHeaderLabels(["Example", "What it shows"])
        self.examples.setRootIsDecorated(False)
        self.examples.setUniformRowHeights(True)
        self.examples.setMaximumWidth(900)
        self.examples.setColumnWidth(0, 220)
        for p in list_examples():
            it = QTreeWidgetItem([os.path.relpath(p, paths.examples_dir()), describe(p)])
            it.setData(0, Qt.ItemDataRole.UserRole, str(p))
            it.setToolTip(1, describe(p))
            self.examples.addTopLevelItem(it)
        self.examples.itemActivated.connect(lambda it, _c: self.openExample.emit(it.data(0, Qt.ItemDataRole.UserRole)))
        ex_label = QLabel(
            "Examples — double-click one to open a copy of it:"
            if self.examples.topLevelItemCount()
            else "No examples found in examples/."
        )
        lay = QVBoxLayout(self)
        lay.setContentsMargins(48, 40, 48, 24)
        lay.setSpacing(14)
        lay.addWidget(title)
        lay.addWidget(text)
        lay.addLayout(buttons)
        lay.addSpacing(10)
        lay.addWidget(ex_label)
        lay.addWidget(self.examples, 1)

    def refresh(self) -> None:
        """The examples folder may have appeared (or gone) since the page was made."""
        self.run_button.setEnabled(self.hello.is_file())

    def showEvent(self, e) -> None:  # noqa: N802 - Qt naming
        self.refresh()
        super().showEvent(e)
