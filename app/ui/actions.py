"""The action table: every menu item, toolbar button and shortcut is one row of data (Mu-style).

``handler`` names a method of :class:`app.ui.main_window.MainWindow`; ``menu`` is the menu it sits in (rows keep
their order); ``toolbar`` puts it on the main toolbar; ``icon`` names ``resources/icons/<icon>.svg`` (or a
``QStyle.StandardPixmap``)."""
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
    ActionSpec("open_folder", "Open &Folder…", "action_open_folder", "&File", ("Ctrl+K, Ctrl+O",), False,
               "folder"),
    ActionSpec("recent", "Open &Recent", "", "&File"),
    ActionSpec("save", "&Save", "action_save", "&File", ("Ctrl+S",), True, "save", False, True),
    ActionSpec("save_as", "Save &As…", "action_save_as", "&File", ("Ctrl+Shift+S",)),
    ActionSpec("save_all", "Save A&ll", "action_save_all", "&File", ("Ctrl+Alt+S",)),
    ActionSpec("close_tab", "&Close Tab", "action_close_tab", "&File", ("Ctrl+W",), separator_before=True),
    ActionSpec("reopen_tab", "Reopen Closed &Tab", "action_reopen_tab", "&File", ("Ctrl+Shift+T",)),
    ActionSpec("settings", "Se&ttings…", "action_settings", "&File", ("Ctrl+,",), True, "settings",
               False, True),
    ActionSpec("quit", "&Quit", "close", "&File", ("Ctrl+Q",), separator_before=True),
    # Edit
    ActionSpec("undo", "&Undo", "action_undo", "&Edit", ("Ctrl+Z",)),
    ActionSpec("redo", "&Redo", "action_redo", "&Edit", ("Ctrl+Shift+Z", "Ctrl+Y")),
    ActionSpec("find", "&Find…", "action_find", "&Edit", ("Ctrl+F",), separator_before=True),
    ActionSpec("replace", "&Replace…", "action_replace", "&Edit", ("Ctrl+H",)),
    ActionSpec("find_next", "Find &Next", "action_find_next", "&Edit", ("F3",)),
    ActionSpec("find_prev", "Find &Previous", "action_find_prev", "&Edit", ("Shift+F3",)),
    ActionSpec("find_files", "Find in F&iles…", "action_find_in_files", "&Edit", ("Ctrl+Shift+F",)),
    ActionSpec("goto_line", "&Go to Line…", "action_goto_line", "&Edit", ("Ctrl+G",), separator_before=True),
    ActionSpec("goto_def", "Go to &Definition", "action_goto_definition", "&Edit", ("F12",)),
    ActionSpec("find_refs", "Find &References", "action_find_references", "&Edit", ("Shift+F12",)),
    ActionSpec("rename", "Rena&me Symbol…", "action_rename_symbol", "&Edit", ("F2",)),
    ActionSpec("quick_fix", "&Quick Fix", "action_quick_fix", "&Edit", ("Ctrl+.",),
               tip="Apply the linter's fix for the problem at the caret"),
    ActionSpec("comment", "Toggle &Comment", "action_toggle_comment", "&Edit", ("Ctrl+/",), separator_before=True),
    ActionSpec("add_next", "Add Next &Occurrence", "action_add_next_occurrence", "&Edit", ("Ctrl+D",)),
    ActionSpec("complete", "Trigger Co&mpletion", "action_complete", "&Edit", ("Ctrl+Space",)),
    # View
    ActionSpec("zoom_in", "Zoom &In", "action_zoom_in", "&View", ("Ctrl+=", "Ctrl++")),
    ActionSpec("zoom_out", "Zoom &Out", "action_zoom_out", "&View", ("Ctrl+-",)),
    ActionSpec("zoom_reset", "&Reset Zoom", "action_zoom_reset", "&View", ("Ctrl+0",)),
    ActionSpec("dark", "&Dark Theme", "action_toggle_theme", "&View", (), False, "", True, True),
    ActionSpec("reset_layout", "Reset &Layout", "action_reset_layout", "&View"),
    ActionSpec("next_tab", "&Next Tab", "action_next_tab", "&View", ("Ctrl+PgDown", "Ctrl+Tab"), separator_before=True),
    ActionSpec("prev_tab", "&Previous Tab", "action_prev_tab", "&View", ("Ctrl+PgUp", "Ctrl+Shift+Tab")),
    # Run
    ActionSpec("run", "&Run", "action_run", "&Run", ("F5",), True, "run", separator_before=True,
               tip="Run the current spell (F5)"),
    ActionSpec("stop", "&Stop", "action_stop", "&Run", ("Shift+F5",), True, "stop",
               tip="Stop every running spell (Shift+F5)"),
    ActionSpec("run_selection", "Run Selection in REPL", "action_run_selection", "&Run", ("Ctrl+Return",),
               separator_before=True, tip="Evaluate the selection (or the current line) in the REPL"),
    ActionSpec("repl", "Focus &REPL", "action_focus_repl", "&Run", ("Ctrl+`",)),
    ActionSpec("check", "&Check (Lint)", "action_check", "&Run", ("Ctrl+Shift+B",),
               tip="Lint the current spell now and show the Problems panel"),
    ActionSpec("next_problem", "Next &Problem", "action_next_problem", "&Run", ("F8",)),
    ActionSpec("prev_problem", "Previous Pro&blem", "action_prev_problem", "&Run", ("Shift+F8",)),
    # Help
    ActionSpec("reference", "Bridge &Reference", "action_reference", "&Help", ("F1",),
               tip="The spell API reference; F1 on a name opens its page"),
    ActionSpec("welcome", "&Welcome", "action_welcome", "&Help"),
    ActionSpec("about", "&About LLMSpell Studio", "action_about", "&Help"),
)


def by_id(action_id: str) -> ActionSpec:
    for a in ACTIONS:
        if a.id == action_id:
            return a
    raise KeyError(action_id)
