"""The IDE's debugger docks and controller (pytest-qt), driven by real debug runs."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("PySide6")
pytest.importorskip("pytestqt")

from PySide6.QtCore import Qt  # noqa: E402

from app.ui import debugger_panels  # noqa: E402
from app.ui.debug_controller import DebugController  # noqa: E402
from app.ui.debugger_panels import create_debug_docks  # noqa: E402

SPELL = """
local function score(items, weight)
  local total = 0
  for i, v in ipairs(items) do
    total = total + v * weight
  end
  return total
end
local data = {}
for i = 1, 250 do data[i] = i % 10 end
local result = score(data, 3)
return result
"""


@pytest.fixture
def ui(qtbot, runner):
    ctl = DebugController()
    docks = create_debug_docks(ctl)
    for d in docks.all():
        qtbot.addWidget(d)
    runs = []

    def start(path):
        run = runner.debug(path, ctl.new_session())
        runs.append(run)
        return run

    yield ctl, docks, start
    for run in runs:
        if not run.done:
            run.cancel()
            run.wait(10)


def wait_paused(qtbot, ctl):
    qtbot.waitUntil(lambda: ctl.is_paused, timeout=15000)


def resume_and_wait(qtbot, ctl, action):
    before = ctl.stops
    action()
    qtbot.waitUntil(lambda: ctl.stops > before or ctl.state == "ended", timeout=15000)


def children(item):
    return {item.child(i).text(0): item.child(i) for i in range(item.childCount())}


def test_stack_variables_lazy_and_paged(qtbot, ui, spell):
    ctl, docks, start = ui
    path = spell("s.lua", SPELL)
    ctl.store.add(path, 4, condition="i == 3")
    start(path)
    wait_paused(qtbot, ctl)
    stack = docks.call_stack.tree
    qtbot.waitUntil(lambda: stack.topLevelItemCount() == 2)
    assert [stack.topLevelItem(i).text(0) for i in range(2)] == ["score", "main chunk"]
    assert "breakpoint" in docks.call_stack.status.text()
    tree = docks.variables.tree
    qtbot.waitUntil(lambda: tree.topLevelItemCount() >= 3)
    locals_item = tree.topLevelItem(0)
    qtbot.waitUntil(lambda: "items" in children(locals_item))
    items = children(locals_item)["items"]
    assert items.text(1) == "array [250]" and items.child(0).text(0) == "loading…"
    items.setExpanded(True)
    qtbot.waitUntil(lambda: items.childCount() == 101)  # a page of 100 and "… 150 more"
    more = items.child(100)
    assert "150 more" in more.text(0)
    tree.itemDoubleClicked.emit(more, 0)
    qtbot.waitUntil(lambda: items.childCount() == 201)
    # clicking the caller's frame shows its locals
    docks.call_stack._clicked(stack.topLevelItem(1))
    qtbot.waitUntil(lambda: "data" in children(tree.topLevelItem(0)))
    ctl.store.clear()
    ctl.continue_()
    qtbot.waitUntil(lambda: ctl.state == "ended", timeout=15000)


def test_watches_highlight_changes_and_set_value(qtbot, ui, spell, monkeypatch):
    ctl, docks, start = ui
    path = spell("s.lua", SPELL)
    ctl.store.add(path, 4)
    docks.watches.add("total")
    docks.watches.add("weight * 2")
    start(path)
    wait_paused(qtbot, ctl)
    w = docks.watches.tree
    qtbot.waitUntil(lambda: w.topLevelItem(0).text(1) == "0" and w.topLevelItem(1).text(1) == "6")
    resume_and_wait(qtbot, ctl, ctl.continue_)
    qtbot.waitUntil(lambda: w.topLevelItem(0).text(1) == "3")
    assert docks.watches.changed("total") and not docks.watches.changed("weight * 2")
    assert w.topLevelItem(0).font(1).bold()
    # set a local from the variables tree
    tree = docks.variables.tree
    qtbot.waitUntil(lambda: "total" in children(tree.topLevelItem(0)))
    monkeypatch.setattr(debugger_panels, "ask_text", lambda *a, **k: "1000")
    tree._double_clicked(children(tree.topLevelItem(0))["total"], 1)
    qtbot.waitUntil(
        lambda: "total" in children(tree.topLevelItem(0)) and children(tree.topLevelItem(0))["total"].text(1) == "1000"
    )
    ctl.store.clear()
    ctl.continue_()
    qtbot.waitUntil(lambda: ctl.state == "ended", timeout=15000)
    # the run is over: the last stop's values go (not left looking current); the expressions stay
    qtbot.waitUntil(lambda: w.topLevelItem(0).text(1) == "")
    assert docks.watches.expressions() == ["total", "weight * 2"]
    for i in range(2):
        item = w.topLevelItem(i)
        assert item.text(1) == "" and item.text(2) == "" and item.childCount() == 0 and not item.font(1).bold()
    assert not docks.watches.changed("total")


def test_breakpoints_panel(qtbot, ui, spell, monkeypatch):
    ctl, docks, start = ui
    path = spell("s.lua", SPELL)
    ctl.store.add(path, 3)
    ctl.store.add(path, 9)
    panel = docks.breakpoints
    qtbot.waitUntil(lambda: panel.tree.topLevelItemCount() == 2)
    first = panel.tree.topLevelItem(0)
    first.setCheckState(0, Qt.CheckState.Unchecked)
    assert not ctl.store.for_file(path)[0].enabled
    monkeypatch.setattr(debugger_panels, "ask_text", lambda *a, **k: "i == 2")
    panel._double_clicked(panel.tree.topLevelItem(1), 1)
    assert ctl.store.for_file(path)[1].condition == "i == 2"
    qtbot.waitUntil(lambda: panel.tree.topLevelItem(1).text(1) == "i == 2")
    # a run verifies them: line 9 holds no code of its own ('local data = {}' is line 8)
    start(path)
    wait_paused(qtbot, ctl)
    assert ctl.stop.line == 9
    ctl.store.clear()
    qtbot.waitUntil(lambda: panel.tree.topLevelItemCount() == 0)
    ctl.continue_()
    qtbot.waitUntil(lambda: ctl.state == "ended", timeout=15000)


def test_llm_call_panel_edit_and_answer(qtbot, ui, spell):
    ctl, docks, start = ui
    path = spell(
        "l.lua",
        """
        local a = LLM.complete("first")
        local b = LLM.complete("second")
        return a .. " | " .. b
        """,
    )
    ctl.set_call_breakpoints(llm=True)
    run = start(path)
    wait_paused(qtbot, ctl)
    panel = docks.call_stop
    assert ctl.stop.reason == "llm_call" and panel.continue_button.isEnabled()
    req = json.loads(panel.request.toPlainText())
    req["messages"][-1]["content"] = "edited"
    panel.request.setPlainText(json.dumps(req))
    resume_and_wait(qtbot, ctl, panel.continue_with_request)
    assert ctl.stop.reason == "llm_call"
    panel.answer_text.setPlainText("by hand")
    panel.answer_button.click()
    qtbot.waitUntil(lambda: ctl.state == "ended", timeout=15000)
    assert run.wait(5).value == "Echo: edited | by hand"


def test_debug_wiring_with_editor_tabs(qtbot, spell, runner):
    from PySide6.QtWidgets import QMainWindow

    from app.ui.debugger_panels import DebugWiring, debug_action_specs
    from app.ui.editor_tabs import EditorTabs

    win = QMainWindow()
    qtbot.addWidget(win)
    tabs = EditorTabs()
    win.setCentralWidget(tabs)
    w = DebugWiring(win, tabs)
    path = spell("w.lua", SPELL)
    page = tabs.open_file(path, 4)
    w.toggle_breakpoint()  # F9 on the caret's line
    assert [b.line for b in w.controller.store.for_file(path)] == [4]
    run = runner.debug(path, w.controller.new_session())
    qtbot.waitUntil(lambda: w.controller.is_paused, timeout=15000)
    assert tabs.current_page() is page
    assert page.editor.lineFromPosition(page.editor.currentPos()) + 1 == 4
    binding = w.bindings[id(page)]
    assert page.editor.markerGet(3) & (1 << binding.MARKER_CURRENT)
    w.controller.store.clear()
    assert w.continue_if_paused()
    qtbot.waitUntil(lambda: w.controller.state == "ended", timeout=15000)
    assert run.wait(5).ok and not w.stop()
    assert {a.id for a in debug_action_specs()} >= {
        "debug",
        "toggle_breakpoint",
        "step_over",
        "step_in",
        "step_out",
        "run_to_cursor",
        "pause",
    }


TASKS_SPELL = """
local function slow() Task.sleep(5) end
local function work(n)
  local doubled = n * 2
  return doubled
end
local s = Task.spawn(slow)
local r = Task.spawn(work, 1):await()
s:cancel()
return r
"""


def test_stack_shows_the_task_and_the_other_waiting_tasks(qtbot, ui, spell, tmp_path):
    ctl, docks, start = ui
    path = spell("t.lua", TASKS_SPELL)
    ctl.store.add(path, 3)
    start(path)
    wait_paused(qtbot, ctl)
    stack = docks.call_stack.tree
    qtbot.waitUntil(lambda: stack.topLevelItemCount() >= 3)
    rows = [(stack.topLevelItem(i).text(0), stack.topLevelItem(i).text(1)) for i in range(stack.topLevelItemCount())]
    assert rows[0][1].endswith("t.lua:3  · task #2")
    assert rows[1][1] == "t.lua:7"
    assert any(loc.endswith("t.lua:1  · task #1 (waiting)") for _name, loc in rows)
    docks.call_stack.widget().resize(420, 160)
    docks.call_stack.widget().grab().save(str(tmp_path / "stack_tasks.png"))
    ctl.store.clear()
    resume_and_wait(qtbot, ctl, ctl.continue_)
