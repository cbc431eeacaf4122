"""Editing: highlighting, comment toggle, search and replace, auto-indent, diagnostics, outline, completion."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from app.ui import outline
from app.ui.editor import INDICATOR_ERROR, MARKER_ERROR, CodeEditor, EditorDiagnostic

LUA = 'local x = 1 -- note\nfunction greet(name)\n  return "hi " .. name\nend\nprint(greet("ü"))\n'


def make(qtbot, text: str = LUA, language: str = "lua") -> CodeEditor:
    ed = CodeEditor(language)
    qtbot.addWidget(ed)
    ed.set_text(text)
    return ed


def test_text_roundtrip_and_lexer_styles(qtbot):
    ed = make(qtbot)
    assert ed.text() == LUA
    ed.colourise(0, -1)
    assert ed.styleAt(0) == 5  # "local" is a keyword
    assert ed.styleAt(ed.position_at(0, 14)) == 2  # line comment
    js = make(qtbot, "const a = `t`; // c\n", "js")
    js.colourise(0, -1)
    assert js.styleAt(0) == 5 and js.styleAt(js.position_at(0, 16)) == 2
    tengo = make(qtbot, "f := func(a) { return a }\n", "tengo")
    tengo.colourise(0, -1)
    assert tengo.styleAt(tengo.position_at(0, 5)) == 5  # "func"


def test_typing_marks_dirty_and_undo(qtbot):
    ed = make(qtbot, "")
    ed.setSavePoint()
    ed.show()
    QWidget.setFocus(ed)
    qtbot.keyClicks(ed, "print(1)")
    assert ed.text() == "print(1)"
    assert ed.modify()
    ed.undo()
    assert ed.text() == ""


def test_auto_indent_after_block_opener(qtbot):
    ed = make(qtbot, "")
    ed.show()
    QWidget.setFocus(ed)
    qtbot.keyClicks(ed, "if x then")
    qtbot.keyClick(ed, Qt.Key.Key_Return)
    qtbot.keyClicks(ed, "y()")
    assert ed.text() == "if x then\n    y()"


def test_toggle_comment_lines(qtbot):
    ed = make(qtbot, "a()\n  b()\n")
    ed.setSel(0, ed.position_at(1, 3))
    ed.toggle_comment()
    assert ed.text() == "-- a()\n--   b()\n"
    ed.toggle_comment()
    assert ed.text() == "a()\n  b()\n"
    js = make(qtbot, "x()\n", "js")
    js.toggle_comment()
    assert js.text() == "// x()\n"


def test_search_plain_whole_word_regex(qtbot):
    ed = make(qtbot, "name names rename\nNAME\n")
    plain = ed.search_flags(False, False, False)
    ed.setSel(0, 0)
    assert ed.search("names", plain) == (5, 10)
    whole = ed.search_flags(True, True, False)
    ed.setSel(1, 1)
    s, e = ed.search("name", whole)
    assert (s, e) == (0, 4)  # wrapped around: only the standalone lowercase word matches
    assert ed.highlight_all("name", ed.search_flags(False, True, False)) == 2
    rx = ed.search_flags(True, False, True)
    ed.setSel(0, 0)
    assert ed.search(r"re\w+", rx) == (11, 17)
    assert ed.search("(", rx) is None  # a bad pattern is just "no match"


def test_replace_all_is_one_undo_step_and_supports_groups(qtbot):
    ed = make(qtbot, "foo(1) foo(2)\nfoo(3)\n")
    n = ed.replace_all(r"foo\((\d)\)", r"bar[\1]", ed.search_flags(True, False, True))
    assert n == 3
    assert ed.text() == "bar[1] bar[2]\nbar[3]\n"
    ed.undo()
    assert ed.text() == "foo(1) foo(2)\nfoo(3)\n"
    assert ed.replace_all("o", "0", 0) == 6


def test_multiple_selections_type_everywhere(qtbot):
    ed = make(qtbot, "a\na\n")
    ed.setSelection(0, 1) if hasattr(ed, "setSelection") else ed.setSel(0, 1)
    ed.addSelection(3, 2)
    assert ed.selections() == 2
    ed.replaceSel("b") if False else None
    ed.show()
    QWidget.setFocus(ed)
    qtbot.keyClicks(ed, "z")
    assert ed.text() == "z\nz\n"


def test_zoom(qtbot):
    ed = make(qtbot)
    ed.zoom_in()
    ed.zoom_in()
    assert ed.zoom() == 2
    ed.zoom_reset()
    assert ed.zoom() == 0


def test_diagnostics_squiggle_marker_and_lookup(qtbot):
    ed = make(qtbot)
    ed.set_diagnostics([EditorDiagnostic(2, 10, "unexpected symbol"), EditorDiagnostic(4, 0, "whole line")])
    pos = ed.position_at(1, 9)
    assert ed.indicatorValueAt(INDICATOR_ERROR, pos) == 1
    assert ed.markerGet(1) & (1 << MARKER_ERROR)
    assert ed.markerGet(3) & (1 << MARKER_ERROR)
    assert ed.diagnostic_at_line(1).message == "unexpected symbol"
    ed.set_diagnostics([])
    assert ed.indicatorValueAt(INDICATOR_ERROR, pos) == 0
    assert not ed.markerGet(1) & (1 << MARKER_ERROR)


def test_outline_and_go_to_definition():
    syms = outline.symbols(LUA + "local M = {}\nfunction M.run(a, b)\nend\nM.other = function() end\n", "lua")
    names = [(s.name, s.kind) for s in syms]
    assert ("greet", "function") in names and ("M.run", "function") in names and ("M.other", "function") in names
    assert outline.find_definition(LUA, "lua", "greet") == 1
    assert outline.find_definition("local a = 1\nprint(a)\n", "lua", "a", 1) == 0
    js = "class A {\n  run(x) {\n  }\n}\nconst f = (a) => a\nasync function g() {}\n"
    assert [s.name for s in outline.symbols(js, "js")] == ["A", "run", "f", "g"]
    assert outline.find_definition(js, "js", "f") == 4


def test_completion_members_and_call_tips(qtbot):
    from app.ui import completion

    ed = make(qtbot, "")
    completion.attach(ed)
    api = completion.api("lua")
    assert "JSON" in api and "encode" in api["JSON"]
    assert completion.signature_of("lua", "JSON", "encode").startswith("JSON.encode(value")
    assert "decode" in completion.api("js")["JSON"]
    ed.show()
    QWidget.setFocus(ed)
    qtbot.keyClicks(ed, "JSON.")
    assert ed.autoCActive()
    ed.autoCCancel()
    qtbot.keyClicks(ed, "encode(")
    assert ed.callTipActive()


def test_occurrences_of_the_word_under_the_caret(qtbot):
    from app.ui.editor import INDICATOR_OCCURRENCE

    ed = make(qtbot, "local count = 1\ncount = count + 1\nlocal counter = 2\n")
    ed.set_cursor(0, 8)
    assert ed.highlight_occurrences() == 3
    assert ed.indicatorValueAt(INDICATOR_OCCURRENCE, ed.position_at(1, 9)) == 1
    assert ed.indicatorValueAt(INDICATOR_OCCURRENCE, ed.position_at(2, 7)) == 0  # "counter" is another word
    ed.set_cursor(0, 12)  # on "=": nothing to mark
    assert ed.highlight_occurrences() == 0


def test_bridge_names_highlight_once_loaded(qtbot):
    from app.ui import languages

    languages.load_bridge_globals()
    ed = make(qtbot, "JSON.encode({})\n")
    ed.refresh_keywords()
    assert ed.styleAt(0) == 16  # the bridge-global style


def test_json_files_are_highlighted(qtbot):
    from app.ui import languages

    assert languages.language_of("input.json") == "json"
    ed = make(qtbot, '{"name": "Ada", "n": 1, "ok": true}\n', "json")
    ed.colourise(0, -1)
    assert ed.styleAt(1) == 4 and ed.styleAt(ed.position_at(0, 9)) == 2 and ed.styleAt(ed.position_at(0, 21)) == 1


def typed(qtbot, ed: CodeEditor, *parts: str) -> str:
    """Type ``parts`` (``"\\n"`` presses Enter) into ``ed`` as a user would; returns the text."""
    ed.show()
    QWidget.setFocus(ed)
    for part in parts:
        if part == "\n":
            qtbot.keyClick(ed, Qt.Key.Key_Return)
        else:
            qtbot.keyClicks(ed, part)
    return ed.text()


def test_typing_a_lua_block_dedents_end_and_enter_starts_a_line(qtbot):
    """``end`` moves back to its block's indentation as it is typed, and Enter after it starts a new line even
    though the completion list (opened at "en") offered "end" (the simple completer and editor intelligence)."""
    from app.reference.model import get_reference
    from app.ui import completion, editor_intel

    for attach in (completion.attach, lambda e: editor_intel.EditorDriver(e, get_reference())):
        ed = make(qtbot, "")
        attach(ed)
        text = typed(qtbot, ed, "if x then", "\n", "y()", "\n", "en")
        assert ed.autoCActive()  # "en" offers end (and more)
        text = typed(qtbot, ed, "d", "\n", "z()")
        assert text == "if x then\n    y()\nend\nz()", attach


def test_enter_keeps_a_word_that_equals_the_selected_candidate(qtbot):
    """With several candidates ("else", "elseif") and "else" typed, Enter is a new line, not a no-op accept."""
    from app.ui import completion

    ed = make(qtbot, "")
    completion.attach(ed)
    typed(qtbot, ed, "if x then", "\n", "y()", "\n", "el")
    assert ed.autoCActive()
    text = typed(qtbot, ed, "se", "\n", "z()")
    assert text == "if x then\n    y()\nelse\n    z()"


def test_closers_dedent_and_a_longer_word_moves_back(qtbot):
    ed = make(qtbot, "", "js")
    assert typed(qtbot, ed, "if (x) {", "\n", "f()", "\n", "}") == "if (x) {\n    f()\n}"
    ed = make(qtbot, "")
    assert typed(qtbot, ed, "while x do", "\n", "y()", "\n", "endpoint = 1") == "while x do\n    y()\n    endpoint = 1"
    ed = make(qtbot, "")  # a closer right after the opener lines up with it
    assert typed(qtbot, ed, "repeat", "\n", "until") == "repeat\nuntil"
    ed = make(qtbot, "", "tengo")
    assert typed(qtbot, ed, "f := func() {", "\n", "return 1", "\n", "}") == "f := func() {\n    return 1\n}"


def test_hover_markup_shows_as_code():
    from app.ui.editor import tooltip_html

    html = tooltip_html("Log.error(msg)\n\nLog an error (use ``error()`` to stop) & go on")
    assert "<code>error()</code>" in html and "``" not in html and "&amp; go on" in html


def test_call_tip_stays_inside_the_window(qtbot):
    """A call far to the right shows its tip from the line's start, so the tip is not cut off by the window."""
    from app.reference.model import get_reference
    from app.ui import editor_intel

    ed = make(qtbot, "")
    driver = editor_intel.EditorDriver(ed, get_reference())
    ed.resize(420, 200)
    ed.show()
    shown: list[int] = []
    real_show = ed.callTipShow
    ed.callTipShow = lambda at, body: (shown.append(at), real_show(at, body))
    QWidget.setFocus(ed)
    qtbot.keyClicks(ed, "local result_of_a_long_name = LLM.complete(")
    assert ed.callTipActive()
    assert shown[-1] == ed.positionFromLine(0)  # too near the right edge: from the line's start
    ed.callTipCancel()
    ed.resize(2000, 200)
    driver.show_call_tip()
    assert shown[-1] == len("local result_of_a_long_name = LLM.complete")  # room enough: at the call
