"""The debugger's docks: call stack, variables (lazy, paged), watches (changed values highlighted), breakpoints,
and the request of an LLM or tool call the run is stopped before. All talk to a
:class:`app.ui.debug_controller.DebugController`; none blocks the UI thread.

Wiring (main window)::

    controller = DebugController()
    docks = create_debug_docks(controller, main_window)
    for dock in docks.all():
        main_window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, dock)
    docks.call_stack.locationActivated.connect(open_file_at_line)      # (file, line)
    docks.breakpoints.locationActivated.connect(open_file_at_line)
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import shiboken6
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QKeyEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDockWidget,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.debugger.session import Breakpoint, FrameKind, StopInfo
from app.ui.debug_controller import DebugController

log = logging.getLogger(__name__)

PAGE = 100
ROLE_REF = Qt.ItemDataRole.UserRole
ROLE_KIND = Qt.ItemDataRole.UserRole + 1  # "var", "scope", "more", "dummy", "watch"
ROLE_DATA = Qt.ItemDataRole.UserRole + 2
CHANGED = QColor("#c62828")
MUTED = QColor("#7a7a7a")


def ask_text(parent: QWidget, title: str, label: str, text: str = "") -> str | None:
    """A one-line input (tests replace this)."""
    value, ok = QInputDialog.getText(parent, title, label, QLineEdit.EchoMode.Normal, text)
    return value if ok else None


def show_text(parent: QWidget, title: str, text: str) -> None:
    """The whole of a long string (tests replace this)."""
    dlg = QDialog(parent)
    dlg.setWindowTitle(title)
    lay = QVBoxLayout(dlg)
    view = QPlainTextEdit(text)
    view.setReadOnly(True)
    lay.addWidget(view)
    dlg.resize(700, 500)
    dlg.show()


def _location(frame: dict[str, Any]) -> str:
    where = "bridge call" if frame.get("kind") == "bridge" else ""
    file = frame.get("file") or frame.get("chunk")
    if not where and file:
        where = f"{os.path.basename(file)}:{frame.get('line')}"
    thread = frame.get("thread")
    if thread and thread != "main":  # "coroutine", or a task: "task #3"
        where += f"  · {thread}"
    return where


# ------------------------------------------------------------------------------------------------ lazy trees
class _LazyTree(QTreeWidget):
    """A tree of variables whose compound values load on expansion, one page at a time."""

    def __init__(self, controller: DebugController, columns: tuple[str, ...], parent: QWidget | None = None):
        super().__init__(parent)
        self.controller = controller
        self.setColumnCount(len(columns))
        self.setHeaderLabels(list(columns))
        self.setUniformRowHeights(True)
        self.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        self.header().setStretchLastSection(True)
        self._pending: dict[int, QTreeWidgetItem] = {}
        self.itemExpanded.connect(self._expanded)
        self.itemDoubleClicked.connect(self._double_clicked)
        controller.variablesReady.connect(self._variables)
        controller.stringReady.connect(self._string)

    def value_item(self, parent: QTreeWidgetItem | None, var: dict[str, Any]) -> QTreeWidgetItem:
        item = QTreeWidgetItem([var.get("name", ""), var.get("value", ""), var.get("type", "")])
        item.setData(0, ROLE_REF, int(var.get("ref") or 0))
        item.setData(0, ROLE_KIND, "var")
        item.setData(0, ROLE_DATA, var)
        item.setToolTip(1, var.get("value", ""))
        if var.get("ref") and var.get("type") != "string":
            dummy = QTreeWidgetItem(["loading…"])
            dummy.setData(0, ROLE_KIND, "dummy")
            item.addChild(dummy)
        if parent is None:
            self.addTopLevelItem(item)
        else:
            parent.addChild(item)
        return item

    def clear(self) -> None:
        self._pending.clear()
        super().clear()

    def _expanded(self, item: QTreeWidgetItem) -> None:
        ref = int(item.data(0, ROLE_REF) or 0)
        if ref and item.childCount() == 1 and item.child(0).data(0, ROLE_KIND) == "dummy":
            self._pending[ref] = item
            self.controller.request_variables(ref, 0, PAGE)

    def _double_clicked(self, item: QTreeWidgetItem, column: int) -> None:
        kind = item.data(0, ROLE_KIND)
        if kind == "more":
            ref, start = item.data(0, ROLE_DATA)
            self._pending[ref] = item.parent()  # type: ignore[assignment]
            self.controller.request_variables(ref, start, PAGE)
        elif kind == "var":
            var = item.data(0, ROLE_DATA) or {}
            if var.get("type") == "string" and var.get("ref"):
                self.controller.request_string(int(var["ref"]))
            elif column == 1:
                self.edit_value(item)

    def edit_value(self, item: QTreeWidgetItem) -> None:
        """Overridden where values can be set."""

    def _variables(self, ref: int, start: int, page: dict[str, Any]) -> None:
        parent = self._pending.pop(ref, None)
        if parent is None or not shiboken6.isValid(parent):
            return  # the item went away meanwhile (the user moved on)
        for i in reversed(range(parent.childCount())):
            if parent.child(i).data(0, ROLE_KIND) in ("dummy", "more"):
                parent.takeChild(i)
        items = page.get("items") or []
        for var in items:
            self.value_item(parent, var)
        total = int(page.get("total") or 0)
        shown = start + len(items)
        if shown < total:
            more = QTreeWidgetItem([f"… {total - shown} more (double-click)"])
            more.setData(0, ROLE_KIND, "more")
            more.setData(0, ROLE_DATA, (ref, shown))
            more.setForeground(0, QBrush(MUTED))
            parent.addChild(more)

    def _string(self, ref: int, value: dict[str, Any]) -> None:
        if self.isVisible() or self.topLevelItemCount():
            for item in self._items_with_ref(ref):
                show_text(self, item.text(0), value.get("text", ""))
                return

    def _items_with_ref(self, ref: int) -> list[QTreeWidgetItem]:
        out = []
        stack = [self.topLevelItem(i) for i in range(self.topLevelItemCount())]
        while stack:
            it = stack.pop()
            if int(it.data(0, ROLE_REF) or 0) == ref and it.data(0, ROLE_KIND) in ("var", "watch"):
                out.append(it)
            stack.extend(it.child(i) for i in range(it.childCount()))
        return out  # type: ignore[return-value]


# ------------------------------------------------------------------------------------------------ call stack
class CallStackPanel(QDockWidget):
    """Frames of the stopped run; clicking one makes the editor and the variables follow."""

    locationActivated = Signal(str, int)

    def __init__(self, controller: DebugController, parent: QWidget | None = None):
        super().__init__("Call Stack", parent)
        self.setObjectName("debugCallStack")
        self.controller = controller
        body = QWidget()
        lay = QVBoxLayout(body)
        lay.setContentsMargins(2, 2, 2, 2)
        self.status = QLabel("Not debugging")
        lay.addWidget(self.status)
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Function", "Location"])
        self.tree.setRootIsDecorated(False)
        self.tree.itemClicked.connect(self._clicked)
        self.tree.itemActivated.connect(self._clicked)
        lay.addWidget(self.tree)
        self.setWidget(body)
        controller.paused.connect(self.show_stop)
        controller.resumed.connect(lambda: self._clear("Running…"))
        controller.ended.connect(lambda _r: self._clear("Not debugging"))
        controller.frameSelected.connect(self._mark)

    def _clear(self, text: str) -> None:
        self.tree.clear()
        self.status.setText(text)

    def show_stop(self, stop: StopInfo) -> None:
        self.tree.clear()
        where = f"{os.path.basename(stop.file)}:{stop.line}" if stop.file else ""
        text = f"Paused on {stop.reason.replace('_', ' ')}" + (f" at {where}" if where else "")
        if stop.message:
            text += f" — {stop.message}"
        self.status.setText(text)
        self.status.setToolTip(text)
        for f in stop.frames:
            item = QTreeWidgetItem([f.get("name", "?"), _location(f)])
            item.setData(0, ROLE_DATA, f)
            if f.get("kind") != FrameKind.SPELL:
                font = item.font(0)
                font.setItalic(True)
                for c in (0, 1):
                    item.setFont(c, font)
                    item.setForeground(c, QBrush(MUTED))
            self.tree.addTopLevelItem(item)
        self.tree.resizeColumnToContents(0)

    def _mark(self, frame_id: int, _frame: Any) -> None:
        for i in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(i)
            f = item.data(0, ROLE_DATA) or {}
            font = item.font(0)
            font.setBold(f.get("id") == frame_id)
            item.setFont(0, font)

    def _clicked(self, item: QTreeWidgetItem, _col: int = 0) -> None:
        f = item.data(0, ROLE_DATA) or {}
        if "id" in f:
            self.controller.select_frame(int(f["id"]))
        if f.get("file") and f.get("line"):
            self.locationActivated.emit(f["file"], int(f["line"]))


# ------------------------------------------------------------------------------------------------ variables
class _VariablesTree(_LazyTree):
    def edit_value(self, item: QTreeWidgetItem) -> None:
        scope = item.parent()
        if scope is None or scope.data(0, ROLE_KIND) not in ("scope", "var"):
            return
        if scope.data(0, ROLE_KIND) == "scope" and scope.text(0) not in ("Locals", "Upvalues"):
            return
        value = ask_text(self, "Set value", f"New value of {item.text(0)} (a Lua expression):", item.text(1))
        if value is not None:
            self.controller.set_variable(int(scope.data(0, ROLE_REF)), item.text(0), value)


class VariablesPanel(QDockWidget):
    """Scopes of the selected frame (locals, upvalues, varargs, globals); values load on expansion."""

    def __init__(self, controller: DebugController, parent: QWidget | None = None):
        super().__init__("Variables", parent)
        self.setObjectName("debugVariables")
        self.controller = controller
        self.tree = _VariablesTree(controller, ("Name", "Value", "Type"))
        self.setWidget(self.tree)
        controller.scopesReady.connect(self.show_scopes)
        controller.resumed.connect(self.tree.clear)
        controller.ended.connect(lambda _r: self.tree.clear())
        controller.variableSet.connect(lambda *_: controller.select_frame(controller.frame_id))

    def show_scopes(self, frame_id: int, scopes: list[dict[str, Any]]) -> None:
        self.tree.clear()
        self.tree._pending.clear()
        for s in scopes:
            item = QTreeWidgetItem([s["name"], "", ""])
            item.setData(0, ROLE_REF, int(s["ref"]))
            item.setData(0, ROLE_KIND, "scope")
            font = item.font(0)
            font.setBold(True)
            item.setFont(0, font)
            dummy = QTreeWidgetItem(["loading…"])
            dummy.setData(0, ROLE_KIND, "dummy")
            item.addChild(dummy)
            self.tree.addTopLevelItem(item)
            if s["name"] in ("Locals", "Varargs"):
                item.setExpanded(True)  # loads at once; the others on demand
        self.tree.resizeColumnToContents(0)


# ------------------------------------------------------------------------------------------------ watches
class _WatchTree(_LazyTree):
    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            item = self.currentItem()
            if item is not None and item.parent() is None:
                self.takeTopLevelItem(self.indexOfTopLevelItem(item))
                return
        super().keyPressEvent(event)


class WatchesPanel(QDockWidget):
    """Expressions evaluated (read-only) at every stop; a value that changed since the last stop is highlighted."""

    def __init__(self, controller: DebugController, parent: QWidget | None = None):
        super().__init__("Watch", parent)
        self.setObjectName("debugWatches")
        self.controller = controller
        body = QWidget()
        lay = QVBoxLayout(body)
        lay.setContentsMargins(2, 2, 2, 2)
        self.tree = _WatchTree(controller, ("Expression", "Value", "Type"))
        lay.addWidget(self.tree)
        self.entry = QLineEdit()
        self.entry.setPlaceholderText("Add a watch expression and press Enter")
        self.entry.returnPressed.connect(self._add_from_entry)
        lay.addWidget(self.entry)
        self.setWidget(body)
        self._previous: dict[str, str] = {}
        self._current: dict[str, str] = {}
        controller.evaluated.connect(self._evaluated)
        controller.frameSelected.connect(lambda *_: self.refresh())
        controller.paused.connect(lambda _s: self._new_stop())
        controller.ended.connect(lambda _r: self.clear_values())

    def clear_values(self) -> None:
        """The run ended: its values are gone (the expressions stay for the next run)."""
        self._previous.clear()
        self._current.clear()
        for i in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(i)
            self.tree._pending.pop(int(item.data(0, ROLE_REF) or 0), None)
            item.takeChildren()
            item.setText(1, "")
            item.setText(2, "")
            item.setData(0, ROLE_REF, 0)
            item.setData(0, ROLE_DATA, None)
            item.setData(1, ROLE_DATA, False)
            font = item.font(1)
            font.setBold(False)
            item.setFont(1, font)
            item.setData(1, Qt.ItemDataRole.ForegroundRole, None)

    def expressions(self) -> list[str]:
        return [self.tree.topLevelItem(i).text(0) for i in range(self.tree.topLevelItemCount())]

    def add(self, expression: str) -> None:
        expression = expression.strip()
        if not expression or expression in self.expressions():
            return
        item = QTreeWidgetItem([expression, "", ""])
        item.setData(0, ROLE_KIND, "watch")
        self.tree.addTopLevelItem(item)
        if self.controller.is_paused:
            self.controller.evaluate(expression)

    def remove(self, expression: str) -> None:
        for i in range(self.tree.topLevelItemCount()):
            if self.tree.topLevelItem(i).text(0) == expression:
                self.tree.takeTopLevelItem(i)
                return

    def _add_from_entry(self) -> None:
        self.add(self.entry.text())
        self.entry.clear()

    def _new_stop(self) -> None:
        self._previous = dict(self._current)

    def refresh(self) -> None:
        for expr in self.expressions():
            self.controller.evaluate(expr)

    def _evaluated(self, expression: str, result: dict[str, Any]) -> None:
        for i in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(i)
            if item.text(0) != expression:
                continue
            ref_before = int(item.data(0, ROLE_REF) or 0)
            self.tree._pending.pop(ref_before, None)
            item.takeChildren()
            if result.get("ok"):
                value = result.get("value", "")
                item.setText(1, value)
                item.setText(2, result.get("type", ""))
                item.setData(0, ROLE_REF, int(result.get("ref") or 0))
                item.setData(0, ROLE_DATA, result)
                if result.get("ref") and result.get("type") != "string":
                    dummy = QTreeWidgetItem(["loading…"])
                    dummy.setData(0, ROLE_KIND, "dummy")
                    item.addChild(dummy)
            else:
                value = result.get("error", "error")
                item.setText(1, value)
                item.setText(2, "error")
            changed = expression in self._previous and self._previous[expression] != value
            self._current[expression] = value
            font = item.font(1)
            font.setBold(changed)
            item.setFont(1, font)
            if changed or not result.get("ok"):
                item.setForeground(1, QBrush(CHANGED))
            else:  # the palette's text colour, also after a theme change
                item.setData(1, Qt.ItemDataRole.ForegroundRole, None)
            item.setData(1, ROLE_DATA, changed)

    def changed(self, expression: str) -> bool:
        """Whether the watch's value changed since the previous stop (highlighted)."""
        for i in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(i)
            if item.text(0) == expression:
                return bool(item.data(1, ROLE_DATA))
        return False


# ------------------------------------------------------------------------------------------------ breakpoints
class _BreakpointsTree(QTreeWidget):
    """The breakpoints list keeps room for its Location and Status columns (narrower, it scrolls sideways) while
    staying narrow enough for the debugging layout's side column in a 1024-pixel-wide window."""

    MIN_WIDTH = 240

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt naming
        hint = super().minimumSizeHint()
        return QSize(max(hint.width(), self.MIN_WIDTH), hint.height())


class BreakpointsPanel(QDockWidget):
    """Every breakpoint (enable, condition, hit count, logpoint, where it landed) and the call breakpoints."""

    locationActivated = Signal(str, int)
    COLUMNS = ("Location", "Condition", "Hits", "Log", "Status")  # short: Status fits a narrow dock
    COLUMN_TIPS = (
        "File and line (check: enabled)",
        "Break when this Lua expression is true",
        "Hit count: == n, >= n, % n",
        "Log message instead of stopping ({expr} parts are evaluated)",
        "Verified, moved to another line, or why not",
    )

    def __init__(self, controller: DebugController, parent: QWidget | None = None):
        super().__init__("Breakpoints", parent)
        self.setObjectName("debugBreakpoints")
        self.controller = controller
        body = QWidget()
        lay = QVBoxLayout(body)
        lay.setContentsMargins(2, 2, 2, 2)
        self.tree = _BreakpointsTree()
        self.tree.setHeaderLabels(list(self.COLUMNS))
        for c, tip in enumerate(self.COLUMN_TIPS):
            self.tree.headerItem().setToolTip(c, tip)
        self.tree.setRootIsDecorated(False)
        self.tree.itemChanged.connect(self._item_changed)
        self.tree.itemDoubleClicked.connect(self._double_clicked)
        lay.addWidget(self.tree)
        row = QHBoxLayout()
        self.remove_button = QPushButton("Remove")
        self.remove_button.clicked.connect(self._remove_selected)
        self.remove_all_button = QPushButton("Remove all")
        self.remove_all_button.clicked.connect(lambda: controller.store.clear())
        self.on_error = QCheckBox("Uncaught errors")
        self.on_error.setToolTip("Stop at an error the spell does not catch")
        self.on_error.setChecked(controller.break_on_error)
        self.on_error.toggled.connect(controller.set_break_on_error)
        row.addWidget(self.remove_button)
        row.addWidget(self.remove_all_button)
        row.addStretch(1)
        lay.addLayout(row)
        # the call breakpoints, one row each, so their filter fields get the dock's width (one row cut them off)
        opts = QGridLayout()
        opts.setContentsMargins(0, 0, 0, 0)
        self.llm = QCheckBox("Before LLM calls")
        self.models = QLineEdit()
        self.models.setPlaceholderText("models (globs, empty = all)")
        self.models.setToolTip("Only these models, comma-separated globs (e.g. openai/*); empty: every model")
        self.tools = QCheckBox("Before tool calls")
        self.tool_names = QLineEdit()
        self.tool_names.setPlaceholderText("tools (empty = all)")
        self.tool_names.setToolTip("Only these tools, comma-separated; empty: every tool")
        opts.addWidget(self.llm, 0, 0)
        opts.addWidget(self.models, 0, 1)
        opts.addWidget(self.tools, 1, 0)
        opts.addWidget(self.tool_names, 1, 1)
        opts.addWidget(self.on_error, 2, 0, 1, 2)
        opts.setColumnStretch(1, 1)
        self.llm.toggled.connect(self._calls_changed)
        self.tools.toggled.connect(self._calls_changed)
        self.models.editingFinished.connect(self._calls_changed)
        self.tool_names.editingFinished.connect(self._calls_changed)
        lay.addLayout(opts)
        # in a short window the options scroll instead of pushing the window taller than the screen
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(body)
        scroll.setMinimumHeight(90)
        self.setWidget(scroll)
        self._filling = False
        controller.breakpointsChanged.connect(lambda _f: self.refresh())
        self.refresh()

    def _calls_changed(self, *_: Any) -> None:
        def split(text: str) -> list[str]:
            return [p.strip() for p in text.split(",") if p.strip()]

        self.controller.set_call_breakpoints(
            self.llm.isChecked(), split(self.models.text()), self.tools.isChecked(), split(self.tool_names.text())
        )

    def refresh(self) -> None:
        self._filling = True
        try:
            self.tree.clear()
            for b in sorted(self.controller.store.all(), key=lambda b: (b.file, b.line)):
                item = QTreeWidgetItem(
                    [
                        f"{os.path.basename(b.file)}:{b.line}",
                        b.condition or "",
                        b.hit or "",
                        b.log or "",
                        self._status(b),
                    ]
                )
                item.setToolTip(0, b.file)
                item.setData(0, ROLE_DATA, b.id)
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                item.setCheckState(0, Qt.CheckState.Checked if b.enabled else Qt.CheckState.Unchecked)
                if b.message:
                    item.setToolTip(4, b.message)
                self.tree.addTopLevelItem(item)
            for c in range(len(self.COLUMNS)):  # every column fits (Status was cut off in a narrow dock)
                self.tree.resizeColumnToContents(c)
        finally:
            self._filling = False

    @staticmethod
    def _status(b: Breakpoint) -> str:
        if b.message and "error" in b.message:
            return b.message
        if b.verified and b.actual_line and b.actual_line != b.line:
            return f"moved to line {b.actual_line}"
        if b.verified:
            return "verified"
        return b.message or ""

    def _item_changed(self, item: QTreeWidgetItem, column: int) -> None:
        if self._filling or column != 0:
            return
        self.controller.store.update(int(item.data(0, ROLE_DATA)), enabled=item.checkState(0) == Qt.CheckState.Checked)

    def _double_clicked(self, item: QTreeWidgetItem, column: int) -> None:
        bp = self.controller.store.get(int(item.data(0, ROLE_DATA)))
        if bp is None:
            return
        if column in (1, 2, 3):
            field, title = {
                1: ("condition", "Condition (a Lua expression)"),
                2: ("hit", "Hit count (== n, >= n, % n)"),
                3: ("log", "Log message ({expr} parts; no stop)"),
            }[column]
            value = ask_text(self, "Breakpoint", title, getattr(bp, field) or "")
            if value is not None:
                self.controller.store.update(bp.id, **{field: value})
        else:
            self.locationActivated.emit(bp.file, bp.actual_line or bp.line)

    def _remove_selected(self) -> None:
        for item in self.tree.selectedItems():
            bp = self.controller.store.get(int(item.data(0, ROLE_DATA)))
            if bp is not None:
                self.controller.store.remove(bp.file, bp.line)


# ------------------------------------------------------------------------------------------------ call stops
class CallStopPanel(QDockWidget):
    """When the run is stopped before an LLM or tool call: its request, editable, and how to go on."""

    def __init__(self, controller: DebugController, parent: QWidget | None = None):
        super().__init__("LLM / Tool Call", parent)
        self.setObjectName("debugCallStop")
        self.controller = controller
        body = QWidget()
        lay = QVBoxLayout(body)
        lay.setContentsMargins(2, 2, 2, 2)
        self.title = QLabel("Not stopped at an LLM or tool call")
        lay.addWidget(self.title)
        self.request = QPlainTextEdit()
        self.request.setFont(QFont("monospace"))
        lay.addWidget(self.request, 2)
        self.answer_text = QPlainTextEdit()
        self.answer_text.setPlaceholderText("Answer by hand: the reply the spell gets instead of calling")
        lay.addWidget(self.answer_text, 1)
        row = QHBoxLayout()
        self.continue_button = QPushButton("Continue with this request")
        self.continue_button.clicked.connect(self.continue_with_request)
        self.answer_button = QPushButton("Answer by hand")
        self.answer_button.clicked.connect(lambda: self.controller.answer(self.answer_text.toPlainText()))
        row.addWidget(self.continue_button)
        row.addWidget(self.answer_button)
        row.addStretch(1)
        lay.addLayout(row)
        self.error = QLabel("")
        self.error.setStyleSheet("color: #c62828")
        lay.addWidget(self.error)
        self.setWidget(body)
        self._original = ""
        self._set_enabled(False)
        controller.paused.connect(self.show_stop)
        controller.resumed.connect(self.clear)
        controller.ended.connect(lambda _r: self.clear())

    def _set_enabled(self, on: bool) -> None:
        for w in (self.request, self.answer_text, self.continue_button, self.answer_button):
            w.setEnabled(on)

    def clear(self) -> None:
        self.title.setText("Not stopped at an LLM or tool call")
        self.request.setPlainText("")
        self.answer_text.setPlainText("")
        self.error.setText("")
        self._set_enabled(False)

    def show_stop(self, stop: StopInfo) -> None:
        if stop.reason not in ("llm_call", "tool_call"):
            self.clear()
            return
        req = dict(stop.data.get("request") or {})
        if stop.reason == "llm_call":
            self.title.setText(f"Stopped before an LLM call to {req.get('model')}")
            editable = {k: req.get(k) for k in ("model", "messages", "params")}
        else:
            self.title.setText(f"Stopped before the tool {req.get('tool')}")
            editable = {"args": req.get("args")}
        self._original = json.dumps(editable, ensure_ascii=False, indent=2)
        self.request.setPlainText(self._original)
        self.error.setText("")
        self._set_enabled(True)
        if not self.isVisible():
            self.show()
        self.raise_()

    def continue_with_request(self) -> None:
        text = self.request.toPlainText()
        if text == self._original:
            self.controller.continue_()
            return
        try:
            edited = json.loads(text)
        except json.JSONDecodeError as e:
            self.error.setText(f"not valid JSON: {e}")
            return
        if not isinstance(edited, dict):
            self.error.setText("the request must be a JSON object")
            return
        self.controller.continue_(edited)


# ------------------------------------------------------------------------------------------------ all docks
@dataclass
class DebugDocks:
    call_stack: CallStackPanel
    variables: VariablesPanel
    watches: WatchesPanel
    breakpoints: BreakpointsPanel
    call_stop: CallStopPanel

    def all(self) -> list[QDockWidget]:
        return [self.call_stack, self.variables, self.watches, self.breakpoints, self.call_stop]


def create_debug_docks(controller: DebugController, parent: QWidget | None = None) -> DebugDocks:
    """Every debugger dock, connected to ``controller`` (add them to the main window yourself)."""
    return DebugDocks(
        CallStackPanel(controller, parent),
        VariablesPanel(controller, parent),
        WatchesPanel(controller, parent),
        BreakpointsPanel(controller, parent),
        CallStopPanel(controller, parent),
    )


# ------------------------------------------------------------------------------------------------ main window
class DebugWiring:
    """Everything the main window needs for the debugger, given its editor tabs (``app.ui.editor_tabs``):
    the docks, an :class:`EditorDebugBinding` on every editor page, the editor following stops and frames, and
    the handlers of the Debug actions (see :func:`debug_action_specs`). Starting a debug run stays the window's:
    ``RunService.start_run(..., debug_session=wiring.controller.new_session())``."""

    def __init__(
        self,
        window: Any,
        tabs: Any,
        controller: DebugController | None = None,
        locate: Callable[[str], Any] | None = None,
    ):
        from app.ui.debug_controller import EditorDebugBinding

        self.window = window
        self.tabs = tabs
        self._locate = locate  # a stop's file → its open page (untitled buffers run under a pseudo path)
        self.controller = controller or DebugController(parent=window)
        self.docks = create_debug_docks(self.controller, window)
        self._binding_cls = EditorDebugBinding
        self.bindings: dict[int, Any] = {}
        if window is not None and hasattr(window, "addDockWidget"):
            right, bottom = Qt.DockWidgetArea.RightDockWidgetArea, Qt.DockWidgetArea.BottomDockWidgetArea
            window.addDockWidget(right, self.docks.call_stack)
            window.addDockWidget(right, self.docks.variables)
            window.addDockWidget(bottom, self.docks.watches)
            window.addDockWidget(bottom, self.docks.breakpoints)
            window.tabifyDockWidget(self.docks.breakpoints, self.docks.call_stop)
            for d in self.docks.all():
                d.hide()
        for page in tabs.pages():
            self.bind(page)
        tabs.pageAdded.connect(self.bind)
        if hasattr(tabs, "pageStateChanged"):  # a page saved under another language: its markers follow
            tabs.pageStateChanged.connect(self._page_changed)
        c = self.controller
        c.paused.connect(self._show_stop)
        c.frameSelected.connect(lambda _i, f: self.open_at(f.get("file"), f.get("line")))
        self.docks.call_stack.locationActivated.connect(self.open_at)
        self.docks.breakpoints.locationActivated.connect(self.open_at)

    def bind(self, page: Any) -> None:
        """Breakpoint margin, current line and hover values for one editor page."""
        old = self.bindings.get(id(page))
        if old is not None and shiboken6.isValid(old) and old.editor is page.editor:
            return
        # forget closed pages (their bindings went with their editors; a new page may reuse an old one's id)
        self.bindings = {k: b for k, b in self.bindings.items() if shiboken6.isValid(b)}
        self.bindings[id(page)] = self._binding_cls(
            page.editor, lambda p=page: p.run_path(), self.controller, language=lambda p=page: p.language
        )

    def _page_changed(self, page: Any) -> None:
        b = self.bindings.get(id(page))
        if b is not None and shiboken6.isValid(b) and b.editor is page.editor:
            b.refresh()

    def update_colours(self) -> None:
        """After a theme change: the editors' debugger colours follow."""
        for b in list(self.bindings.values()):
            if shiboken6.isValid(b):
                b.update_colours()

    def open_at(self, file: str | None, line: int | None) -> None:
        """Show ``file`` at ``line`` (an open untitled buffer when ``file`` is the pseudo path it ran under)."""
        if not (file and line):
            return
        page = self._locate(file) if self._locate is not None else None
        if page is not None:
            self.tabs.setCurrentWidget(page)
            page.editor.set_cursor(int(line) - 1, 0)
        else:
            self.tabs.open_file(file, int(line), quiet=True)

    def _show_stop(self, stop: StopInfo) -> None:
        """The stopped LLM or tool call comes to the front (the other panels are the debugging layout's)."""
        if stop.reason in ("llm_call", "tool_call"):
            self.docks.call_stop.show()
            self.docks.call_stop.raise_()
        if self.window is not None and hasattr(self.window, "raise_"):
            self.window.activateWindow()

    # action handlers ---------------------------------------------------------------------------------------------
    def _cursor(self) -> tuple[str | None, int]:
        page = self.tabs.current_page()
        if page is None:
            return None, 0
        ed = page.editor
        return page.run_path(), ed.lineFromPosition(ed.currentPos()) + 1

    def continue_if_paused(self) -> bool:
        """F5: continue when stopped (True); otherwise the window starts a run (False)."""
        if self.controller.is_paused:
            self.controller.continue_()
            return True
        return False

    def toggle_breakpoint(self) -> None:
        """F9 on the caret's line."""
        path, line = self._cursor()
        if path:
            self.controller.toggle_breakpoint(path, line)

    def run_to_cursor(self) -> None:
        path, line = self._cursor()
        if path:
            self.controller.run_to_cursor(path, line)

    def step_over(self) -> None:
        self.controller.step_over()

    def step_in(self) -> None:
        self.controller.step_in()

    def step_out(self) -> None:
        self.controller.step_out()

    def pause(self) -> None:
        self.controller.pause()

    def stop(self) -> bool:
        """Shift+F5 while debugging: stop the debug run (True); otherwise nothing (False)."""
        if self.controller.is_active:
            self.controller.stop_run()
            return True
        return False


def debug_action_specs() -> tuple[Any, ...]:
    """Rows for ``app.ui.actions.ACTIONS``, handled by ``app.ui.window.debugging.DebugPart`` (which calls
    :class:`DebugWiring`; Run (F5) first tries ``wiring.continue_if_paused()``)."""
    from app.ui.actions import ActionSpec

    return (
        ActionSpec(
            "debug",
            "Start &Debugging",
            "debugging.start",
            "&Run",
            ("Ctrl+F5",),
            separator_before=True,
            tip="Run the current spell under the debugger (Ctrl+F5)",
        ),
        ActionSpec(
            "restart_debug",
            "R&estart Debugging",
            "debugging.restart",
            "&Run",
            ("Ctrl+Shift+F5",),
            icon="restart",
            tip="Stop the debug run and start it again (Ctrl+Shift+F5)",
        ),
        ActionSpec(
            "continue",
            "C&ontinue",
            "debugging.continue_",
            "&Run",
            (),
            icon="continue",
            tip="Continue to the next breakpoint (F5)",
        ),
        ActionSpec("pause", "&Pause", "debugging.pause", "&Run", ("F6",), icon="pause", tip="Pause (F6)"),
        ActionSpec(
            "step_over", "Step &Over", "debugging.step_over", "&Run", ("F10",), icon="step-over", tip="Step over (F10)"
        ),
        ActionSpec(
            "step_in", "Step &Into", "debugging.step_in", "&Run", ("F11",), icon="step-into", tip="Step into (F11)"
        ),
        ActionSpec(
            "step_out",
            "Step O&ut",
            "debugging.step_out",
            "&Run",
            ("Shift+F11",),
            icon="step-out",
            tip="Step out (Shift+F11)",
        ),
        ActionSpec("run_to_cursor", "Run to &Cursor", "debugging.run_to_cursor", "&Run", ("Ctrl+F10",)),
        ActionSpec(
            "toggle_breakpoint",
            "Toggle &Breakpoint",
            "debugging.toggle_breakpoint",
            "&Run",
            ("F9",),
            separator_before=True,
        ),
    )
