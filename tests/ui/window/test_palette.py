"""The command palette: every action by name, filtered as typed (words or initials), Enter runs it, disabled
actions cannot be run."""

from __future__ import annotations

from PySide6.QtCore import Qt

from app.ui.window.palette import label, matches


def test_matching_words_and_initials(qapp):
    assert matches("break", "Toggle Breakpoint") and matches("tog brea", "Toggle Breakpoint")
    assert matches("tgbp", "Toggle Breakpoint") and not matches("xyz", "Toggle Breakpoint")
    assert label_of("Save &As…") == "Save As"


def label_of(text: str) -> str:
    from PySide6.QtGui import QAction

    return label(QAction(text))


def test_palette_runs_the_chosen_action(window, qtbot):
    page = window.tabs.new_file("lua", "print(1)\n")
    window.actions_by_id["palette"].trigger()
    palette = window.command_palette
    assert palette.isVisible()
    every = palette.visible_labels()
    assert {"Run", "Toggle Breakpoint", "Command Palette", "Reset Layout"} <= set(every)
    qtbot.keyClicks(palette.query, "zoom in")
    assert palette.visible_labels() == ["Zoom In"]
    before = page.editor.zoom()
    qtbot.keyClick(palette.query, Qt.Key.Key_Return)
    assert page.editor.zoom() == before + 1 and not palette.isVisible()


def test_disabled_actions_are_not_run(window, qtbot):
    window.actions_by_id["palette"].trigger()
    palette = window.command_palette
    qtbot.keyClicks(palette.query, "step over")  # not debugging: disabled
    assert palette.visible_labels() == ["Step Over"]
    assert palette.list.currentItem() is None
    palette.run_current()
    assert palette.isVisible()
