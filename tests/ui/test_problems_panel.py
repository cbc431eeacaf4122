"""The Problems panel and the lint-based editor actions, in a real window (fake runner)."""

from __future__ import annotations

from typing import Any

SPELL = """local agent = Agent.new({name = "a"})
local unused = 1
local function greet(name)
  return agent:run("hi " .. name)
end
print(LLM.compleet(greet("x")))
"""


def _wait_lint(qtbot: Any, page: Any, rules: list[str]) -> None:
    qtbot.waitUntil(lambda: sorted(d.rule for d in page.editor.diagnostics) == sorted(rules), timeout=8000)


def test_problems_list_jump_and_quick_fix(window, qtbot) -> None:
    page = window.tabs.new_file("lua", SPELL)
    _wait_lint(qtbot, page, ["unknown-member", "unused-local"])
    panel = window.lint.panel
    qtbot.waitUntil(lambda: len(panel.problem_rows()) == 2, timeout=3000)
    rows = panel.problem_rows()
    assert rows[0].text(1) == "unused-local" and rows[0].text(2) == "2:7"
    assert "did you mean 'complete'" in rows[1].text(0) and "2 warning" not in panel.summary.text()
    assert panel.summary.text() == "1 error, 1 warning"
    # click → caret on the problem
    panel.tree.itemClicked.emit(rows[1], 0)
    assert page.editor.caret() == (5, 10)
    # Ctrl+. at the caret applies "did you mean"
    window.actions_by_id["quick_fix"].trigger()
    assert "LLM.complete(greet" in page.editor.text()
    _wait_lint(qtbot, page, ["unused-local"])
    # the remove-unused fix from the panel deletes the whole line, as one undo step
    qtbot.waitUntil(lambda: len(panel.problem_rows()) == 1, timeout=3000)
    editor, d = panel.problem_rows()[0].data(0, 256)
    panel.applyFix.emit(editor, d.fix)
    assert "local unused" not in page.editor.text()
    _wait_lint(qtbot, page, [])
    qtbot.waitUntil(lambda: panel.problem_rows() == [], timeout=3000)
    page.editor.undo()
    assert "local unused = 1\n" in page.editor.text()


def test_filter_and_warning_toggle(window, qtbot) -> None:
    page = window.tabs.new_file("lua", SPELL)
    _wait_lint(qtbot, page, ["unknown-member", "unused-local"])
    panel = window.lint.panel
    qtbot.waitUntil(lambda: len(panel.problem_rows()) == 2, timeout=3000)
    panel.show_warnings.setChecked(False)
    assert [r.text(1) for r in panel.problem_rows()] == ["unknown-member"]
    panel.show_warnings.setChecked(True)
    panel.filter.setText("unused")
    assert [r.text(1) for r in panel.problem_rows()] == ["unused-local"]


def test_closing_a_file_removes_its_problems(window, qtbot) -> None:
    page = window.tabs.new_file("lua", "print(nope)\n")
    _wait_lint(qtbot, page, ["undefined-global"])
    qtbot.waitUntil(lambda: len(window.lint.panel.problem_rows()) == 1, timeout=3000)
    page.editor.set_text("print(1)\n", keep_undo=True)
    page.editor.textEdited.emit()
    qtbot.waitUntil(lambda: window.lint.panel.problem_rows() == [], timeout=5000)


def test_definition_references_and_rename(window, qtbot) -> None:
    page = window.tabs.new_file("lua", SPELL.replace("compleet", "complete"))
    _wait_lint(qtbot, page, ["unused-local"])
    ed = page.editor
    ed.set_cursor(3, 29)  # `name` in the function body
    window.actions_by_id["goto_def"].trigger()
    assert ed.caret() == (2, 21)  # the parameter
    ed.set_cursor(3, 29)
    assert window.lint.find_references() == 2
    assert ed.selections() == 2
    ed.set_cursor(3, 29)
    assert window.lint.rename_symbol("who")
    assert "local function greet(who)" in ed.text() and '"hi " .. who' in ed.text()
    _wait_lint(qtbot, page, ["unused-local"])
    ed.set_cursor(3, 29)
    assert not window.lint.rename_symbol("greet")  # taken
    assert "already used" in window.statusBar().currentMessage()


def test_next_and_previous_problem(window, qtbot) -> None:
    page = window.tabs.new_file("lua", SPELL)
    _wait_lint(qtbot, page, ["unknown-member", "unused-local"])
    page.editor.set_cursor(0, 0)
    window.actions_by_id["next_problem"].trigger()
    assert page.editor.caret() == (1, 6)
    window.actions_by_id["next_problem"].trigger()
    assert page.editor.caret() == (5, 10)
    assert "compleet" in window.statusBar().currentMessage()
    window.actions_by_id["next_problem"].trigger()  # wraps around
    assert page.editor.caret() == (1, 6)
    window.actions_by_id["prev_problem"].trigger()
    assert page.editor.caret() == (5, 10)


def test_warning_toggle_and_summary_do_not_touch(window) -> None:
    """The header's checkbox and its summary keep a gap between them and from the panel's edge."""
    top = window.lint.panel.layout().itemAt(0).layout()
    assert top.spacing() >= 6
    assert top.contentsMargins().right() >= 4
