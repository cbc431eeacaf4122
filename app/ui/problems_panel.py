"""The Problems panel (every lint problem of the open files, click to jump, quick fixes) and the editor features
built on the linter's symbols: quick fix, go to definition, find references, rename a local.

:class:`LintWiring` is the one hook the main window needs: it creates the dock, follows the diagnostics service and
offers the actions' handlers."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtGui import QAction, QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMenu,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.ui.diagnostics import DiagnosticsService
from app.ui.editor import CodeEditor, EditorDiagnostic

log = logging.getLogger(__name__)

_GLYPH = {"error": "✖", "warning": "⚠", "info": "ℹ"}
_ROLE = Qt.ItemDataRole.UserRole


class ProblemsPanel(QWidget):
    """A tree: one row per open file with problems, one child row per problem."""

    #: (CodeEditor, 1-based line, 1-based column)
    openLocation = Signal(object, int, int)
    #: (CodeEditor, app.lint.Fix)
    applyFix = Signal(object, object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.filter = QLineEdit(placeholderText="Filter problems (text or rule id)")
        self.filter.setClearButtonEnabled(True)
        self.show_warnings = QCheckBox("Warnings")
        self.show_warnings.setChecked(True)
        self.summary = QLabel()
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 6, 0)
        top.setSpacing(10)
        top.addWidget(self.filter, 1)
        top.addWidget(self.show_warnings)
        top.addWidget(self.summary)
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Problem", "Rule", "Line"])
        self.tree.setRootIsDecorated(True)
        self.tree.setUniformRowHeights(True)
        self.tree.setColumnWidth(0, 560)
        self.tree.setColumnWidth(1, 170)
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(2)
        lay.addLayout(top)
        lay.addWidget(self.tree)
        self._entries: list[tuple[str, CodeEditor, list[EditorDiagnostic]]] = []
        self.filter.textChanged.connect(lambda *_: self._fill())
        self.show_warnings.toggled.connect(lambda *_: self._fill())
        self.tree.itemActivated.connect(self._activated)
        self.tree.itemClicked.connect(self._activated)
        self.tree.customContextMenuRequested.connect(self._context_menu)

    def set_problems(self, entries: list[tuple[str, CodeEditor, list[EditorDiagnostic]]]) -> None:
        """``(file label, editor, problems)`` per open file."""
        self._entries = entries
        self._fill()

    def problem_rows(self) -> list[QTreeWidgetItem]:
        """The problem rows shown (for tests and keyboard navigation)."""
        rows: list[QTreeWidgetItem] = []
        for i in range(self.tree.topLevelItemCount()):
            top = self.tree.topLevelItem(i)
            if top is not None:
                rows.extend(c for j in range(top.childCount()) if (c := top.child(j)) is not None)
        return rows

    def _fill(self) -> None:
        needle = self.filter.text().strip().lower()
        warnings = self.show_warnings.isChecked()
        self.tree.clear()
        errors = warns = 0
        for label, editor, diags in self._entries:
            shown = [
                d
                for d in diags
                if (warnings or d.severity == "error")
                and (not needle or needle in d.message.lower() or needle in d.rule.lower())
            ]
            errors += sum(1 for d in diags if d.severity == "error")
            warns += sum(1 for d in diags if d.severity == "warning")
            if not shown:
                continue
            top = QTreeWidgetItem([f"{os.path.basename(label) or label}  ({len(shown)})", "", ""])
            top.setToolTip(0, label)
            top.setData(0, _ROLE, (editor, None))
            self.tree.addTopLevelItem(top)
            for d in shown:
                text = f"{_GLYPH.get(d.severity, '·')}  {d.message}"
                row = QTreeWidgetItem([text, d.rule, f"{d.line}:{d.column}"])
                row.setToolTip(
                    0,
                    f"{d.severity} {d.rule}: {d.message}"
                    + (f"\nQuick fix: {d.fix.title}" if d.fix is not None else ""),
                )
                row.setData(0, _ROLE, (editor, d))
                top.addChild(row)
            top.setExpanded(True)
        self.summary.setText(f"{errors} error{'s' * (errors != 1)}, {warns} warning{'s' * (warns != 1)}")

    def _activated(self, item: QTreeWidgetItem, _col: int = 0) -> None:
        data = item.data(0, _ROLE)
        if not data:
            return
        editor, d = data
        if d is not None:
            self.openLocation.emit(editor, d.line, max(1, d.column))

    def _context_menu(self, point: QPoint) -> None:
        item = self.tree.itemAt(point)
        data = item.data(0, _ROLE) if item is not None else None
        if not data or data[1] is None:
            return
        editor, d = data
        parent = item.parent() if item is not None else None
        label = parent.toolTip(0) if parent is not None else ""
        menu = QMenu(self)
        if d.fix is not None:
            fix_action = QAction(f"Quick Fix: {d.fix.title}", menu)
            fix_action.triggered.connect(lambda: self.applyFix.emit(editor, d.fix))
            menu.addAction(fix_action)
        copy = QAction("Copy", menu)
        copy.triggered.connect(
            lambda: QGuiApplication.clipboard().setText(
                f"{label}:{d.line}:{d.column}: {d.severity} {d.rule}: {d.message}"
            )
        )
        menu.addAction(copy)
        menu.exec(self.tree.viewport().mapToGlobal(point))


class LintWiring:
    """The Problems panel's content (the window places it: ``panel``) and the lint-based editor actions, which the
    action table names as ``lint.<method>``."""

    def __init__(
        self,
        window: Any,
        tabs: Any,
        diagnostics: DiagnosticsService,
        fallback_definition: Callable[[], None] | None = None,
    ):
        self.window = window
        self.tabs = tabs
        self.diagnostics = diagnostics
        self.fallback_definition = fallback_definition  # for names that are not locals (the outline's lookup)
        self.panel = ProblemsPanel()
        diagnostics.problemsChanged.connect(lambda *_: self.refresh())
        self.panel.openLocation.connect(self.jump)
        self.panel.applyFix.connect(lambda ed, fix: ed.apply_fixes([fix]))
        diagnostics.configProblem = lambda msg: self._status(f"llmspell.toml: {msg}", 10000)

    # ------------------------------------------------------------------------------------------------ panel
    def refresh(self) -> None:
        """Rebuild the list from the open editors' current problems."""
        entries = []
        for page in self.tabs.pages():
            diags = list(page.editor.diagnostics)
            if diags:
                entries.append((page.display_path(), page.editor, diags))
        self.panel.set_problems(entries)

    def jump(self, editor: CodeEditor, line: int, col: int) -> None:
        for page in self.tabs.pages():
            if page.editor is editor:
                self.tabs.setCurrentWidget(page)
                editor.set_cursor(max(0, line - 1), max(0, col - 1))
                QWidget.setFocus(editor)
                return

    # ------------------------------------------------------------------------------------------------ actions
    def _editor(self) -> CodeEditor | None:
        page = self.tabs.current_page()
        return page.editor if page is not None else None

    def _status(self, text: str, ms: int = 4000) -> None:
        self.window.statusBar().showMessage(text, ms)

    def _caret(self, editor: CodeEditor) -> tuple[int, int]:
        line, col = editor.caret()
        return line + 1, col + 1

    def check(self) -> None:
        """Lint the current spell now and show the Problems panel."""
        page = self.tabs.current_page()
        if page is not None:
            self.diagnostics.check_now(page.editor, page.display_path)
        self.window.panels.show("problems")

    def next_problem(self) -> None:
        self.goto_problem(+1)

    def prev_problem(self) -> None:
        self.goto_problem(-1)

    def go_to_definition(self) -> None:
        """F12: a local's definition from the linter's scopes, else the outline's lookup (functions, globals)."""
        if not self.goto_definition() and self.fallback_definition is not None:
            self.fallback_definition()

    def goto_problem(self, step: int) -> bool:
        """Move the caret to the next (``step`` 1) or previous (-1) problem of the current file, wrapping around,
        and show its message in the status bar."""
        editor = self._editor()
        if editor is None or not editor.diagnostics:
            self._status("No problems in this file")
            return False
        here = self._caret(editor)
        ordered = sorted(editor.diagnostics, key=lambda d: (d.line, d.column))
        if step > 0:
            target = next((d for d in ordered if (d.line, d.column) > here), ordered[0])
        else:
            target = next((d for d in reversed(ordered) if (d.line, d.column) < here), ordered[-1])
        editor.set_cursor(target.line - 1, max(0, target.column - 1))
        self._status(f"{target.severity} {target.rule}: {target.message}", 8000)
        return True

    def quick_fix(self) -> bool:
        """Apply the quick fix of the problem at the caret (or the first one on its line)."""
        editor = self._editor()
        if editor is None:
            return False
        line, col = self._caret(editor)
        candidates = [d for d in editor.diagnostics if d.fix is not None and d.contains(line, col)] or [
            d for d in editor.diagnostics if d.fix is not None and d.line == line
        ]
        if not candidates:
            self._status("No quick fix here")
            return False
        editor.apply_fixes([candidates[0].fix])
        self._status(candidates[0].fix.title)
        return True

    def _symbols(self, editor: CodeEditor) -> Any:
        return self.diagnostics.symbols_for(editor)

    def goto_definition(self) -> bool:
        """Jump to the definition of the local under the caret; False when it is not a local of this file."""
        editor = self._editor()
        idx = self._symbols(editor) if editor is not None else None
        if editor is None or idx is None:
            return False
        span = idx.definition(*self._caret(editor))
        if span is None:
            return False
        editor.set_cursor(span[0] - 1, span[1] - 1)
        return True

    def find_references(self) -> int:
        """Select every occurrence of the local under the caret (edit them all at once, or Esc)."""
        editor = self._editor()
        idx = self._symbols(editor) if editor is not None else None
        if editor is None or idx is None:
            self._status("Find references: this file has not been analysed yet (or does not parse)")
            return 0
        line, col = self._caret(editor)
        spans = idx.references(line, col)
        if not spans:
            self._status("Find references: no local variable, function or parameter under the caret")
            return 0
        editor.clearSelections()
        main = 0
        for i, (l0, c0, l1, c1) in enumerate(spans):
            start, end = editor.position_at(l0 - 1, c0 - 1), editor.position_at(l1 - 1, c1 - 1)
            if i == 0:
                editor.setSelection(end, start)
            else:
                editor.addSelection(end, start)
            if l0 == line and c0 <= col <= c1:
                main = i
        editor.setMainSelection(main)
        lines = ", ".join(str(s[0]) for s in spans)
        self._status(f"{len(spans)} occurrence{'s' * (len(spans) != 1)} (lines {lines}); type to edit them all", 8000)
        return len(spans)

    def rename_symbol(self, new_name: str | None = None) -> bool:
        """Rename the local under the caret everywhere it is used (asks for the name unless given)."""
        editor = self._editor()
        idx = self._symbols(editor) if editor is not None else None
        if editor is None or idx is None:
            self._status("Rename: this file has not been analysed yet (or does not parse)")
            return False
        line, col = self._caret(editor)
        sym = idx.at(line, col)
        if sym is None:
            self._status("Rename: no local variable, function or parameter under the caret")
            return False
        if new_name is None:
            new_name, ok = QInputDialog.getText(self.window, "Rename Symbol", f"Rename '{sym.name}' to:", text=sym.name)
            if not ok:
                return False
        try:
            fixes = idx.rename(line, col, new_name.strip())
        except ValueError as e:
            self._status(f"Rename: {e}", 6000)
            return False
        editor.apply_fixes(fixes)
        self._status(f"Renamed '{sym.name}' to '{new_name.strip()}' ({len(fixes)} places)")
        return True
