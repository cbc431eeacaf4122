"""The Test Explorer in the window: discovery, run all / one test, icons in the tree and the editor margin, the
failure with its diff and link, rerun failed, test runs in the LLM trace."""

from __future__ import annotations

import os
import textwrap


def _write(folder, name: str, text: str) -> str:
    path = os.path.join(str(folder), name)
    with open(path, "w", encoding="utf-8") as f:
        f.write(textwrap.dedent(text).lstrip("\n"))
    return path


SPEC = """
describe("calc", function()
  it("adds", function()
    assert.are.equal(4, 2 + 2)
  end)
  it("compares tables", function()
    assert.are.same({a = 1, b = {2, 3}}, {a = 1, b = {2, 4}})
  end)
  it("asks the model", function()
    Mock.llm("hi", "hello")
    assert.are.equal("hello", LLM.complete("hi"))
  end)
end)
"""


def test_discover_run_all_and_see_the_failure(real_window, qtbot, tmp_path) -> None:
    w = real_window
    path = os.path.abspath(_write(tmp_path, "calc_spec.lua", SPEC))
    _write(tmp_path, "plain.lua", "return 1\n")
    w.set_workspace(str(tmp_path))
    panel = w.tests.panel
    qtbot.waitUntil(lambda: path in panel.files, timeout=10000)
    fs = panel.files[path]
    assert [c.name for c in fs.cases.values() if c.kind == "test"] == [
        "calc › adds",
        "calc › compares tables",
        "calc › asks the model",
    ]
    assert all(c.state == "none" for c in fs.cases.values())

    page = w.tabs.open_file(path)
    panel.run_all()
    qtbot.waitUntil(lambda: fs.running == 0 and fs.cases["calc › adds"].state == "passed", timeout=60000)
    states = {n: c.state for n, c in fs.cases.items() if c.kind == "test"}
    assert states == {"calc › adds": "passed", "calc › compares tables": "failed", "calc › asks the model": "passed"}
    assert panel.counts(path)["failed"] == 1
    # the editor margin shows a marker beside each it()
    assert page.editor.markerGet(1) & (1 << 9)  # line 2: passed
    assert page.editor.markerGet(4) & (1 << 10)  # line 5: failed
    # the failure: message, link to its line, the diff
    panel.select_test(path, "calc › compares tables")
    text = panel.details.toPlainText()
    assert "calc_spec.lua:6" in text and "expected values to be the same" in text and "-    3" in text
    # the run is in the LLM trace like any run (its mocked call is a span)
    qtbot.waitUntil(lambda: any(s.get("kind") == "llm" for s in w.trace.spans()), timeout=10000)


def test_run_one_test_from_the_margin_and_rerun_failed(real_window, qtbot, tmp_path) -> None:
    w = real_window
    path = os.path.abspath(_write(tmp_path, "calc_spec.lua", SPEC))
    w.set_workspace(str(tmp_path))
    panel = w.tests.panel
    qtbot.waitUntil(lambda: path in panel.files, timeout=10000)
    fs = panel.files[path]
    page = w.tabs.open_file(path)
    markers = w.tests.markers[id(page)]
    markers._clicked(page.editor.positionFromLine(1), 0, 3)  # the margin beside line 2: run "adds" only
    qtbot.waitUntil(lambda: fs.running == 0 and fs.cases["calc › adds"].state == "passed", timeout=60000)
    assert fs.cases["calc › compares tables"].state == "none"
    panel.run(path)
    qtbot.waitUntil(lambda: fs.running == 0 and fs.cases["calc › compares tables"].state == "failed", timeout=60000)
    # fix the spell's test, save: the tree keeps the results; rerun failed runs only the failed one
    page.editor.set_text(SPEC.lstrip("\n").replace("{2, 4}", "{2, 3}"))
    w.tabs.save(page)
    sessions = []
    panel.runStarted.connect(sessions.append)
    panel.rerun_failed()
    assert len(sessions) == 1
    qtbot.waitUntil(lambda: fs.running == 0 and fs.cases["calc › compares tables"].state == "passed", timeout=60000)
    assert panel.counts(path)["failed"] == 0


def test_a_broken_file_shows_its_error(real_window, qtbot, tmp_path) -> None:
    w = real_window
    path = os.path.abspath(_write(tmp_path, "broken_spec.lua", 'it("x", function() end\n'))
    w.set_workspace(str(tmp_path))
    panel = w.tests.panel
    qtbot.waitUntil(lambda: path in panel.files, timeout=10000)
    panel.run(path)
    fs = panel.files[path]
    qtbot.waitUntil(lambda: fs.running == 0 and fs.error != "", timeout=60000)
    panel.tree.setCurrentItem(fs.item)
    assert "broken_spec.lua:" in panel.details.toPlainText()


def test_test_files_complete_the_test_api(window, tmp_path) -> None:
    spec = os.path.abspath(_write(tmp_path, "x.test.js", "test('a', () => {});\n"))
    plain = os.path.abspath(_write(tmp_path, "x.js", "return 1;\n"))
    page = window.tabs.open_file(spec)
    other = window.tabs.open_file(plain)
    assert {"describe", "test", "expect", "beforeEach"} <= set(page.editor.extra_words)
    assert other.editor.extra_words == ()


def test_run_test_at_cursor_and_run_all_actions(real_window, qtbot, tmp_path) -> None:
    w = real_window
    path = os.path.abspath(_write(tmp_path, "calc_spec.lua", SPEC))
    w.set_workspace(str(tmp_path))
    panel = w.tests.panel
    qtbot.waitUntil(lambda: path in panel.files, timeout=10000)
    fs = panel.files[path]
    page = w.tabs.open_file(path)
    page.editor.set_cursor(6, 4)  # inside "compares tables" (0-based line 6 = line 7)
    w.actions_by_id["run_test_here"].trigger()
    qtbot.waitUntil(lambda: fs.running == 0 and fs.cases["calc › compares tables"].state == "failed", timeout=60000)
    assert fs.cases["calc › adds"].state == "none"
    w.actions_by_id["run_tests"].trigger()
    qtbot.waitUntil(lambda: fs.running == 0 and fs.cases["calc › adds"].state == "passed", timeout=60000)


def test_the_tests_panel_does_not_widen_the_window(window) -> None:
    """Its buttons are a toolbar (the ones that do not fit go behind »): with the Welcome page and the Reference
    open, the editing layout still fits a 1024-pixel-wide screen."""
    window.action_welcome()
    window.reference.show()
    window.panels.show("tests")
    assert window.tests.dock.minimumSizeHint().width() < 120
    assert window.layout().minimumSize().width() < 1024
