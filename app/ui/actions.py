"""The action table: every menu item, toolbar button and shortcut is one row of data (Mu-style).

``handler`` is a dotted path from :class:`app.ui.main_window.MainWindow` to the method that handles it: a method of
the window (``"action_new"``) or of one of its parts (``"running.run"``, ``"debugging.step_over"``); ``menu`` is the
menu it sits in (rows keep their order); ``toolbar`` puts it on the main toolbar; ``icon`` names
``resources/icons/<icon>.svg`` (or a ``QStyle.StandardPixmap``)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ActionSpec:
    id: str
    text: str
    handler: str
    menu: str
    shortcuts: tuple[str, ...] = ()
    toolbar: bool = False
    icon: str = ""
    checkable: bool = False
    separator_before: bool = False
    tip: str = ""


MENUS = ("&File", "&Edit", "&View", "&Run", "&Help")

ACTIONS: tuple[ActionSpec, ...] = (
    # File
    ActionSpec("new", "&New Spell", "action_new", "&File", ("Ctrl+N",), True, "new"),
    ActionSpec("examples", "New from E&xample", "", "&File"),
    ActionSpec("open", "&Open…", "action_open", "&File", ("Ctrl+O",), True, "open"),
    ActionSpec("open_folder", "Open &Folder…", "action_open_folder", "&File", ("Ctrl+K, Ctrl+O",), False, "folder"),
    ActionSpec("recent", "Open &Recent", "", "&File"),
    ActionSpec("save", "&Save", "tabs.save", "&File", ("Ctrl+S",), True, "save", False, True),
    ActionSpec("save_as", "Save &As…", "tabs.save_as", "&File", ("Ctrl+Shift+S",)),
    ActionSpec("save_all", "Save A&ll", "tabs.save_all", "&File", ("Ctrl+Alt+S",)),
    ActionSpec("close_tab", "&Close Tab", "action_close_tab", "&File", ("Ctrl+W",), separator_before=True),
    ActionSpec("reopen_tab", "Reopen Closed &Tab", "tabs.reopen_closed", "&File", ("Ctrl+Shift+T",)),
    ActionSpec("settings", "Se&ttings…", "action_settings", "&File", ("Ctrl+,",), True, "settings", False, True),
    ActionSpec("quit", "&Quit", "close", "&File", ("Ctrl+Q",), separator_before=True),
    # Edit
    ActionSpec("undo", "&Undo", "editing.undo", "&Edit", ("Ctrl+Z",)),
    ActionSpec("redo", "&Redo", "editing.redo", "&Edit", ("Ctrl+Shift+Z", "Ctrl+Y")),
    ActionSpec("find", "&Find…", "editing.find", "&Edit", ("Ctrl+F",), separator_before=True),
    ActionSpec("replace", "&Replace…", "editing.replace", "&Edit", ("Ctrl+H",)),
    ActionSpec("find_next", "Find &Next", "editing.find_next", "&Edit", ("F3",)),
    ActionSpec("find_prev", "Find &Previous", "editing.find_prev", "&Edit", ("Shift+F3",)),
    ActionSpec("find_files", "Find in F&iles…", "editing.find_in_files", "&Edit", ("Ctrl+Shift+F",)),
    ActionSpec("goto_line", "&Go to Line…", "editing.goto_line", "&Edit", ("Ctrl+G",), separator_before=True),
    ActionSpec("goto_def", "Go to &Definition", "lint.go_to_definition", "&Edit", ("F12",)),
    ActionSpec("find_refs", "Find &References", "lint.find_references", "&Edit", ("Shift+F12",)),
    ActionSpec("rename", "Rena&me Symbol…", "lint.rename_symbol", "&Edit", ("F2",)),
    ActionSpec(
        "quick_fix",
        "&Quick Fix",
        "lint.quick_fix",
        "&Edit",
        ("Ctrl+.",),
        tip="Apply the linter's fix for the problem at the caret",
    ),
    ActionSpec("comment", "Toggle &Comment", "editing.toggle_comment", "&Edit", ("Ctrl+/",), separator_before=True),
    ActionSpec("add_next", "Add Next &Occurrence", "editing.add_next_occurrence", "&Edit", ("Ctrl+D",)),
    ActionSpec("complete", "Trigger Co&mpletion", "editing.complete", "&Edit", ("Ctrl+Space",)),
    # View
    ActionSpec("zoom_in", "Zoom &In", "editing.zoom_in", "&View", ("Ctrl+=", "Ctrl++")),
    ActionSpec("zoom_out", "Zoom &Out", "editing.zoom_out", "&View", ("Ctrl+-",)),
    ActionSpec("zoom_reset", "&Reset Zoom", "editing.zoom_reset", "&View", ("Ctrl+0",)),
    ActionSpec("dark", "&Dark Theme", "editing.toggle_theme", "&View", (), False, "", True, True),
    ActionSpec("reset_layout", "Reset &Layout", "panels.reset", "&View"),
    ActionSpec(
        "palette",
        "Command &Palette…",
        "action_palette",
        "&View",
        ("Ctrl+Shift+P",),
        separator_before=True,
        tip="Run any command by name",
    ),
    ActionSpec(
        "next_tab", "&Next Tab", "editing.next_tab", "&View", ("Ctrl+PgDown", "Ctrl+Tab"), separator_before=True
    ),
    ActionSpec("prev_tab", "&Previous Tab", "editing.prev_tab", "&View", ("Ctrl+PgUp", "Ctrl+Shift+Tab")),
    # Run
    ActionSpec(
        "run",
        "&Run",
        "running.run",
        "&Run",
        ("F5",),
        True,
        "run",
        separator_before=True,
        tip="Run the current spell (F5)",
    ),
    ActionSpec(
        "stop",
        "&Stop",
        "debugging.stop",
        "&Run",
        ("Shift+F5",),
        True,
        "stop",
        tip="Stop every running spell (Shift+F5)",
    ),
    ActionSpec(
        "run_selection",
        "Run Selection in REPL",
        "running.run_selection",
        "&Run",
        ("Ctrl+Return",),
        separator_before=True,
        tip="Evaluate the selection (or the current line) in the REPL",
    ),
    ActionSpec("repl", "Focus &REPL", "running.focus_repl", "&Run", ("Ctrl+`",)),
    ActionSpec(
        "check",
        "&Check (Lint)",
        "lint.check",
        "&Run",
        ("Ctrl+Shift+B",),
        tip="Lint the current spell now and show the Problems panel",
    ),
    ActionSpec("next_problem", "Next &Problem", "lint.next_problem", "&Run", ("F8",)),
    ActionSpec("prev_problem", "Previous Pro&blem", "lint.prev_problem", "&Run", ("Shift+F8",)),
    ActionSpec(
        "run_tests",
        "Run All &Tests",
        "tests.show_and_run_all",
        "&Run",
        ("Ctrl+;, A",),
        separator_before=True,
        tip="Run every test file of the workspace (the Tests panel)",
    ),
    ActionSpec(
        "run_test_here",
        "Run Test at C&ursor",
        "tests.run_test_at_cursor",
        "&Run",
        ("Ctrl+;, C",),
        tip="Run the test (it/test/describe) the cursor is in",
    ),
    # Help
    ActionSpec(
        "reference",
        "Bridge &Reference",
        "reference.show",
        "&Help",
        ("F1",),
        tip="The spell API reference; F1 on a name opens its page",
    ),
    ActionSpec("welcome", "&Welcome", "action_welcome", "&Help"),
    ActionSpec("about", "&About LLMSpell Studio", "action_about", "&Help"),
)


def by_id(action_id: str) -> ActionSpec:
    for a in ACTIONS:
        if a.id == action_id:
            return a
    raise KeyError(action_id)
