"""The command palette (Ctrl+Shift+P): every action of the window by name, filtered as you type, with its
shortcut; Enter runs the chosen one."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeyEvent
from PySide6.QtWidgets import QDialog, QLineEdit, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

ACTION_ROLE = Qt.ItemDataRole.UserRole


def label(action: QAction) -> str:
    """An action's menu text without its mnemonic ampersands and ellipsis."""
    return action.text().replace("&&", "\0").replace("&", "").replace("\0", "&").rstrip("…").rstrip(".")


def matches(query: str, text: str) -> bool:
    """Every word of ``query`` appears in ``text`` (case-insensitive), or its letters in order ("tgbp" →
    Toggle Breakpoint)."""
    q, t = query.lower().strip(), text.lower()
    if not q:
        return True
    if all(word in t for word in q.split()):
        return True
    it = iter(t)
    return all(ch in it for ch in q.replace(" ", ""))


class CommandPalette(QDialog):
    """A list of ``actions`` (id → QAction); disabled ones are shown greyed and cannot be run."""

    def __init__(self, actions: dict[str, QAction], parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Popup)
        self.setObjectName("commandPalette")
        self.commands = actions
        self.query = QLineEdit()
        self.query.setPlaceholderText("Type a command…")
        self.list = QListWidget()
        self.list.setUniformItemSizes(True)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 6, 6, 6)
        lay.addWidget(self.query)
        lay.addWidget(self.list)
        self.query.textChanged.connect(self.filter)
        self.query.returnPressed.connect(self.run_current)
        self.list.itemActivated.connect(lambda _item: self.run_current())
        self.query.installEventFilter(self)
        for action in sorted(actions.values(), key=label):
            if not action.text():
                continue
            keys = action.shortcut().toString(action.shortcut().SequenceFormat.NativeText)
            item = QListWidgetItem(label(action) + (f"    {keys}" if keys else ""))
            item.setData(ACTION_ROLE, action)
            item.setToolTip(action.toolTip())
            self.list.addItem(item)
        self.filter("")

    def items(self) -> list[QListWidgetItem]:
        return [self.list.item(i) for i in range(self.list.count())]

    def visible_labels(self) -> list[str]:
        return [label(i.data(ACTION_ROLE)) for i in self.items() if not i.isHidden()]

    def filter(self, text: str) -> None:
        first = None
        for item in self.items():
            action: QAction = item.data(ACTION_ROLE)
            shown = matches(text, f"{label(action)} {action.toolTip()}")
            item.setHidden(not shown)
            if not action.isEnabled():
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEnabled)
            if shown and first is None and action.isEnabled():
                first = item
        if first is not None:
            self.list.setCurrentItem(first)
        else:
            self.list.setCurrentRow(-1)

    def run_current(self) -> None:
        item = self.list.currentItem()
        if item is None or item.isHidden():
            return
        action: QAction = item.data(ACTION_ROLE)
        if not action.isEnabled():
            return
        self.accept()
        action.trigger()

    def eventFilter(self, obj: object, event: object) -> bool:  # noqa: N802 - Qt naming
        """Up and Down in the query field move in the list."""
        if (
            obj is self.query
            and isinstance(event, QKeyEvent)
            and event.type() == QKeyEvent.Type.KeyPress
            and event.key() in (Qt.Key.Key_Up, Qt.Key.Key_Down)
        ):
            rows = [
                i
                for i in range(self.list.count())
                if not self.list.item(i).isHidden() and self.list.item(i).flags() & Qt.ItemFlag.ItemIsEnabled
            ]
            if rows:
                cur = self.list.currentRow()
                pos = rows.index(cur) if cur in rows else -1
                pos = min(len(rows) - 1, pos + 1) if event.key() == Qt.Key.Key_Down else max(0, pos - 1)
                self.list.setCurrentRow(rows[pos])
            return True
        return super().eventFilter(obj, event)  # type: ignore[arg-type]

    def popup(self, parent: QWidget) -> None:
        """Show at the top centre of ``parent``, ready to type."""
        width = min(600, max(360, parent.width() // 2))
        self.resize(width, min(420, parent.height() * 2 // 3))
        top = parent.mapToGlobal(parent.rect().topLeft())
        self.move(top.x() + (parent.width() - width) // 2, top.y() + 40)
        self.show()
        self.query.setFocus()
