"""The window's docks and its two layouts: one for editing, one for debugging (as VS Code and ZeroBrane do).

Every panel is registered once with :meth:`PanelLayout.add` — where it lives, what it is tabbed with, and in which
layouts it shows by default — so adding a panel (Problems, Test Explorer, Evals…) is one call. The debugging layout
appears when a debug run starts and the editing layout comes back when it ends; each layout remembers what the user
made of it (also across restarts, through :meth:`PanelLayout.saved_states`)."""

from __future__ import annotations

import base64
import enum
from dataclasses import dataclass

from PySide6.QtCore import QByteArray, Qt, QTimer
from PySide6.QtWidgets import QDockWidget, QMainWindow, QToolBar, QWidget

LEFT = Qt.DockWidgetArea.LeftDockWidgetArea
RIGHT = Qt.DockWidgetArea.RightDockWidgetArea
BOTTOM = Qt.DockWidgetArea.BottomDockWidgetArea


class LayoutMode(enum.Enum):
    EDITING = "editing"
    DEBUGGING = "debugging"


BOTH = frozenset(LayoutMode)
EDITING_ONLY = frozenset({LayoutMode.EDITING})
DEBUGGING_ONLY = frozenset({LayoutMode.DEBUGGING})


@dataclass(frozen=True)
class PanelPlace:
    """Where a panel goes in a fresh layout: its dock area, the panel it is tabbed with or split below, and the
    layouts it is shown in by default (it can always be shown from the View menu)."""

    area: Qt.DockWidgetArea
    tab_with: str | None = None
    below: str | None = None
    shown_in: frozenset[LayoutMode] = EDITING_ONLY
    size: int = 0  # width (left/right) or height (bottom) in a fresh layout; 0 = Qt decides
    span: int = 0  # height in a side column (left/right) in a fresh layout, relative to the others; 0 = Qt decides


# the layout's parts that are not docks: toolbars shown only in one layout
@dataclass
class _ModeToolbar:
    toolbar: QToolBar
    shown_in: frozenset[LayoutMode]


class PanelLayout:
    """The docks of ``window`` and the editing/debugging layouts."""

    def __init__(self, window: QMainWindow) -> None:
        self.window = window
        self.docks: dict[str, QDockWidget] = {}
        self.places: dict[str, PanelPlace] = {}
        self.mode = LayoutMode.EDITING
        self._states: dict[LayoutMode, QByteArray] = {}
        self._shown: dict[LayoutMode, dict[str, bool]] = {}  # which panels each layout showed when it was left
        self._toolbars: list[_ModeToolbar] = []

    # ------------------------------------------------------------------------------------------------ panels
    def add(self, key: str, title: str, content: QWidget | QDockWidget, place: PanelPlace) -> QDockWidget:
        """Register a panel: ``content`` is a widget (wrapped in a new dock) or a ready dock."""
        if isinstance(content, QDockWidget):
            dock = content
        else:
            dock = QDockWidget(title, self.window)
            dock.setWidget(content)
        dock.setObjectName(f"dock_{key}")
        dock.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetClosable
            | QDockWidget.DockWidgetFeature.DockWidgetMovable
            | QDockWidget.DockWidgetFeature.DockWidgetFloatable
        )
        self.docks[key] = dock
        self.places[key] = place
        self._place(key)
        dock.setVisible(self.mode in place.shown_in)
        return dock

    def add_toolbar(self, toolbar: QToolBar, shown_in: frozenset[LayoutMode]) -> None:
        """A toolbar shown only in some layouts (the debug toolbar)."""
        self._toolbars.append(_ModeToolbar(toolbar, shown_in))
        toolbar.setVisible(self.mode in shown_in)

    def show(self, key: str) -> QDockWidget | None:
        """Show and raise the panel ``key`` (tabbed panels come to the front)."""
        dock = self.docks.get(key)
        if dock is not None:
            dock.show()
            dock.raise_()
        return dock

    def _place(self, key: str) -> None:
        dock, place = self.docks[key], self.places[key]
        dock.setFloating(False)
        self.window.addDockWidget(place.area, dock)
        anchor = self.docks.get(place.tab_with or place.below or "")
        if anchor is not None and anchor is not dock and self.window.dockWidgetArea(anchor) == place.area:
            if place.tab_with:
                self.window.tabifyDockWidget(anchor, dock)
            else:
                self.window.splitDockWidget(anchor, dock, Qt.Orientation.Vertical)

    # ------------------------------------------------------------------------------------------------ layouts
    def arrange(self, mode: LayoutMode) -> None:
        """The fresh layout of ``mode``: every panel in its place, shown if it belongs to the mode."""
        for key in self.docks:
            self.docks[key].hide()
        for key in self.docks:
            self._place(key)
        for key, place in self.places.items():
            self.docks[key].setVisible(mode in place.shown_in)
        self._show_toolbars(mode)
        self._size_docks()
        QTimer.singleShot(0, self._size_docks)  # again once the new arrangement is laid out
        for key, place in self.places.items():  # the first panel of each tab group in front
            if place.tab_with is None and mode in place.shown_in:
                self.docks[key].raise_()

    def _size_docks(self) -> None:
        """The fresh layout's sizes: side columns' widths and their panels' heights, the bottom's height."""
        visible = {k for k, d in self.docks.items() if d.isVisibleTo(self.window)}
        wanted = (
            (Qt.Orientation.Horizontal, [(k, p.size) for k, p in self.places.items() if p.area in (LEFT, RIGHT)]),
            (Qt.Orientation.Vertical, [(k, p.size) for k, p in self.places.items() if p.area == BOTTOM]),
            (Qt.Orientation.Vertical, [(k, p.span) for k, p in self.places.items() if p.area in (LEFT, RIGHT)]),
        )
        # in a small window no side column or bottom row takes more than its share
        width_cap, height_cap = self.window.width() * 3 // 10, self.window.height() * 3 // 10
        for orientation, sizes in wanted:
            cap = width_cap if orientation == Qt.Orientation.Horizontal else height_cap
            if sizes is wanted[2][1]:
                cap = self.window.height()
            sized = [(self.docks[k], min(n, cap)) for k, n in sizes if n and k in visible]
            if sized:
                self.window.resizeDocks([d for d, _ in sized], [n for _, n in sized], orientation)

    def switch(self, mode: LayoutMode) -> None:
        """Leave the current layout (remembering it) for ``mode``'s (as the user left it, or fresh)."""
        if mode is self.mode:
            return
        self._states[self.mode] = self.window.saveState()
        self._shown[self.mode] = {k: d.isVisibleTo(self.window) for k, d in self.docks.items()}
        self.mode = mode
        saved = self._states.get(mode)
        if saved is None or not self.window.restoreState(saved):
            self.arrange(mode)
        else:  # panels the saved layout does not know (added since): shown as their place says
            shown = self._shown.get(mode)
            for key, dock in self.docks.items():
                if shown is not None and key not in shown:
                    dock.setVisible(mode in self.places[key].shown_in)
        self._show_toolbars(mode)

    def reset(self) -> None:
        """Reset Layout: the current mode's fresh layout; the other mode forgets its changes too."""
        self._states.clear()
        self._shown.clear()
        self.arrange(self.mode)

    def _show_toolbars(self, mode: LayoutMode) -> None:
        for t in self._toolbars:
            t.toolbar.setVisible(mode in t.shown_in)

    # ------------------------------------------------------------------------------------------------ persistence
    def saved_states(self) -> dict[str, str]:
        """Both layouts as base64 (for the session file); the current one as it is now."""
        states = dict(self._states)
        states[self.mode] = self.window.saveState()
        shown = dict(self._shown)
        shown[self.mode] = {k: d.isVisibleTo(self.window) for k, d in self.docks.items()}
        out = {m.value: base64.b64encode(bytes(s.data())).decode() for m, s in states.items()}
        out.update({f"{m.value}:panels": ",".join(sorted(keys)) for m, keys in shown.items()})
        return out

    def restore_states(self, saved: dict[str, str]) -> None:
        """Bring back :meth:`saved_states` (the editing layout is applied now; the other waits for its turn)."""
        for m in LayoutMode:
            known = saved.get(f"{m.value}:panels")
            if known is not None:
                self._shown[m] = {k: True for k in known.split(",") if k}
            blob = saved.get(m.value)
            if blob:
                try:
                    self._states[m] = QByteArray(base64.b64decode(blob))
                except ValueError:
                    continue
        state = self._states.get(self.mode)
        if state is not None:
            self.window.restoreState(state)
        self._show_toolbars(self.mode)
