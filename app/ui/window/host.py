"""What the window parts need from the window: a typed seam, so each part can be built around a small fake."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from PySide6.QtGui import QAction

    from app.ui.editor_tabs import EditorTabs
    from app.ui.settings import SettingsStore
    from app.ui.window.panels import PanelLayout


class WindowHost(Protocol):
    """The main window as its parts see it."""

    tabs: EditorTabs
    store: SettingsStore
    panels: PanelLayout
    actions_by_id: dict[str, QAction]

    def notify(self, text: str, ms: int = 4000) -> None:
        """Show ``text`` in the status bar for ``ms`` milliseconds."""
        ...
