"""The workspace part on its own, around a small host (no main window): example copies, locations of untitled
buffers, hot-exit backups of unsaved buffers."""

from __future__ import annotations

from typing import Any

from app.ui import session
from app.ui.editor_tabs import EditorTabs
from app.ui.window.workspace import WorkspacePart


class Host:
    """The little of a window the part needs (``app.ui.window.host.WindowHost``)."""

    def __init__(self) -> None:
        self.tabs = EditorTabs()
        self.store: Any = None
        self.panels: Any = None
        self.actions_by_id: dict[str, Any] = {}
        self.messages: list[str] = []

    def notify(self, text: str, ms: int = 4000) -> None:
        self.messages.append(text)


def test_example_copies_locations_and_backups(qtbot, tmp_path):
    host = Host()
    qtbot.addWidget(host.tabs)
    part = WorkspacePart(host, session.SessionState())
    example = tmp_path / "chat.lua"
    example.write_text("print('hi')\n")
    page = part.open_example_copy(str(example))
    assert page is not None and page.path is None and page.title == "chat.lua" and not page.dirty
    assert part.page_of(page.run_path()) is page and part.page_of("chat.lua") is page
    assert part.open_location(page.run_path(), 1) is page
    assert part.open_example_copy(str(tmp_path / "missing.lua")) is None
    assert "missing.lua" in host.messages[-1]

    page.editor.set_text("print('edited')\n", keep_undo=True)
    assert page.dirty
    part.backup_tick()  # the unsaved copy is backed up
    saved = [p.read_text() for p in part.backups.folder.glob("*.json")]
    assert len(saved) == 1 and "edited" in saved[0]
    part.set_workspace(str(tmp_path))
    assert part.folder == str(tmp_path) and host.tabs.default_dir() == str(tmp_path)
    part.close()
