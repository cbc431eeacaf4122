"""The bridge reference dock (F1): created on first use, on the right, wide enough to read; F1 on a bridge name
opens its page."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt

from app.ui.window.host import WindowHost
from app.ui.window.panels import EDITING_ONLY, RIGHT, PanelPlace

if TYPE_CHECKING:
    from app.ui.reference_panel import ReferencePanel

log = logging.getLogger(__name__)

WIDTH = 440  # px: a signature, a table of options and an example side by side with the editor


class ReferencePart:
    def __init__(self, host: WindowHost) -> None:
        self.host = host
        self.panel: ReferencePanel | None = None

    def _create(self) -> ReferencePanel | None:
        try:
            from app.ui.reference_panel import ReferencePanel

            panel = ReferencePanel(self._language, parent=self.host.panels.window)
        except Exception:
            log.exception("the reference panel is unavailable")
            self.host.notify("The bridge reference is unavailable (see the log)", 5000)
            return None
        panel.insert_requested.connect(self._insert)
        self.host.tabs.currentPageChanged.connect(lambda _p: panel.refresh())
        self.host.panels.add("reference", "Reference", panel, PanelPlace(RIGHT, shown_in=EDITING_ONLY, size=WIDTH))
        self.panel = panel
        return panel

    def _language(self) -> str:
        page = self.host.tabs.current_page()
        return page.language if page is not None else "lua"

    def _insert(self, snippet: str) -> None:
        ed = self.host.tabs.current_editor()
        if ed is not None:
            ed.insert_at_cursor(snippet)

    def show(self) -> None:
        """Show the reference (F1), at the page of the name under the caret if it has one."""
        first = self.panel is None
        panel = self.panel or self._create()
        if panel is None:
            return
        panel.show()
        panel.raise_()
        window = self.host.panels.window
        if first or panel.width() < WIDTH * 2 // 3:  # opened (or left) too narrow to read
            window.resizeDocks([panel], [min(WIDTH, window.width() * 3 // 10)], Qt.Orientation.Horizontal)
        ed = self.host.tabs.current_editor()
        if ed is not None:
            try:
                from app.ui import editor_intel

                key = editor_intel.symbol_at(ed.text(), ed.char_position(), ed.language)
                if key:
                    panel.show_symbol(key)
            except Exception:
                log.exception("symbol lookup failed")
