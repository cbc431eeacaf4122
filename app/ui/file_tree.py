"""The workspace: a folder shown as a file tree with create, rename and delete (with confirmation)."""

from __future__ import annotations

import logging
import os
import shutil

from PySide6.QtCore import QDir, QModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QFileSystemModel,
    QInputDialog,
    QLabel,
    QMenu,
    QMessageBox,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

log = logging.getLogger(__name__)


def confirm_delete(parent: QWidget, path: str) -> bool:
    """Ask before deleting ``path`` (tests replace this)."""
    what = "folder and everything in it" if os.path.isdir(path) else "file"
    answer = QMessageBox.question(
        parent,
        "Delete",
        f"Delete this {what}?\n\n{path}\n\nThis cannot be undone.",
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
        QMessageBox.StandardButton.Cancel,
    )
    return answer == QMessageBox.StandardButton.Yes


def ask_name(parent: QWidget, title: str, label: str, default: str = "") -> str | None:
    """Ask for a file or folder name (tests replace this)."""
    text, ok = QInputDialog.getText(parent, title, label, text=default)
    return text.strip() if ok and text.strip() else None


class FileTreePanel(QWidget):
    """Shows the workspace folder. Emits ``openFile`` on activation, ``renamed``/``deleted`` after changes."""

    openFile = Signal(str)
    renamed = Signal(str, str)
    deleted = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.root: str | None = None
        self.model = QFileSystemModel(self)
        self.model.setFilter(QDir.Filter.AllEntries | QDir.Filter.NoDotAndDotDot | QDir.Filter.AllDirs)
        self.model.setReadOnly(False)
        self.view = QTreeView()
        self.view.setModel(self.model)
        self.view.setHeaderHidden(True)
        for col in (1, 2, 3):
            self.view.hideColumn(col)
        self.view.setUniformRowHeights(True)
        self.view.setDragEnabled(True)
        self.view.setAnimated(False)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._menu)
        self.view.activated.connect(self._activated)
        self.view.doubleClicked.connect(self._activated)
        self.placeholder = QLabel("No folder open.\nFile → Open Folder… (Ctrl+K Ctrl+O)")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setWordWrap(True)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.placeholder)
        lay.addWidget(self.view)
        self.view.hide()

    def set_root(self, root: str | None) -> None:
        self.root = os.path.abspath(root) if root else None
        if self.root:
            self.view.setRootIndex(self.model.setRootPath(self.root))
            self.view.show()
            self.placeholder.hide()
        else:
            self.view.hide()
            self.placeholder.show()

    def selected_path(self) -> str | None:
        idx = self.view.currentIndex()
        return self.model.filePath(idx) if idx.isValid() else None

    def _activated(self, idx: QModelIndex) -> None:
        path = self.model.filePath(idx)
        if os.path.isfile(path):
            self.openFile.emit(path)

    def _target_dir(self, path: str | None) -> str | None:
        if path is None:
            return self.root
        return path if os.path.isdir(path) else os.path.dirname(path)

    def _menu(self, pos) -> None:
        idx = self.view.indexAt(pos)
        path = self.model.filePath(idx) if idx.isValid() else None
        menu = QMenu(self)
        if self.root:
            menu.addAction("New File…", lambda: self.new_file(self._target_dir(path)))
            menu.addAction("New Folder…", lambda: self.new_folder(self._target_dir(path)))
        if path:
            menu.addSeparator()
            menu.addAction("Rename…", lambda: self.rename(path))
            menu.addAction("Delete…", lambda: self.delete(path))
        if not menu.isEmpty():
            menu.exec(self.view.viewport().mapToGlobal(pos))

    # ------------------------------------------------------------------------------------------------ operations
    def new_file(self, folder: str | None = None, name: str | None = None) -> str | None:
        folder = folder or self.root
        if not folder:
            return None
        name = name or ask_name(self, "New File", f"File name in {folder}:", "untitled.lua")
        if not name:
            return None
        path = os.path.join(folder, name)
        if os.path.exists(path):
            QMessageBox.warning(self, "New File", f"{name} already exists.")
            return None
        os.makedirs(os.path.dirname(path), exist_ok=True)
        open(path, "x", encoding="utf-8").close()
        self.openFile.emit(path)
        return path

    def new_folder(self, folder: str | None = None, name: str | None = None) -> str | None:
        folder = folder or self.root
        if not folder:
            return None
        name = name or ask_name(self, "New Folder", f"Folder name in {folder}:")
        if not name:
            return None
        path = os.path.join(folder, name)
        try:
            os.makedirs(path)
        except OSError as e:
            QMessageBox.warning(self, "New Folder", str(e))
            return None
        return path

    def rename(self, path: str, new_name: str | None = None) -> str | None:
        new_name = new_name or ask_name(
            self, "Rename", f"New name for {os.path.basename(path)}:", os.path.basename(path)
        )
        if not new_name or new_name == os.path.basename(path):
            return None
        new = os.path.join(os.path.dirname(path), new_name)
        if os.path.exists(new):
            QMessageBox.warning(self, "Rename", f"{new_name} already exists.")
            return None
        try:
            os.rename(path, new)
        except OSError as e:
            QMessageBox.warning(self, "Rename", str(e))
            return None
        self.renamed.emit(path, new)
        return new

    def delete(self, path: str) -> bool:
        if not confirm_delete(self, path):
            return False
        try:
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path)
            else:
                os.unlink(path)
        except OSError as e:
            QMessageBox.warning(self, "Delete", str(e))
            return False
        self.deleted.emit(path)
        return True
