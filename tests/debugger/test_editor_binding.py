"""The debugger in the editor: margin clicks, markers that move with edits, current line, hover values."""

from __future__ import annotations

import pytest

pytest.importorskip("pytestqt")

from app.ui import debug_controller  # noqa: E402
from app.ui.debug_controller import DebugController, EditorDebugBinding  # noqa: E402

SPELL = """local total = 0
for i = 1, 3 do
  total = total + i
end
return total
"""


@pytest.fixture
def editor(qtbot, tmp_path):
    from app.ui.editor import CodeEditor

    path = tmp_path / "e.lua"
    path.write_text(SPELL)
    ed = CodeEditor("lua")
    qtbot.addWidget(ed)
    ed.set_text(SPELL)
    ctl = DebugController()
    binding = EditorDebugBinding(ed, str(path), ctl)
    return ed, ctl, binding, str(path)


def has_marker(ed, line, num):
    return bool(ed.markerGet(line - 1) & (1 << num))


def test_margin_click_toggles_and_markers_follow_edits(qtbot, editor):
    ed, ctl, binding, path = editor
    binding._margin_clicked(ed.positionFromLine(2), 0, 1)
    assert [b.line for b in ctl.store.for_file(path)] == [3]
    qtbot.waitUntil(lambda: has_marker(ed, 3, binding.MARKER_BP))
    ed.insertText(0, "-- one\n-- two\n")
    qtbot.waitUntil(lambda: ctl.store.for_file(path)[0].line == 5)
    assert has_marker(ed, 5, binding.MARKER_BP)
    binding._margin_clicked(ed.positionFromLine(4), 0, 1)
    assert ctl.store.for_file(path) == []


def test_margin_menu_edits_condition(qtbot, editor, monkeypatch):
    ed, ctl, binding, path = editor
    monkeypatch.setattr(debug_controller, "ask_breakpoint_text", lambda *a: "i == 2")
    binding.edit(3, "condition")
    bp = ctl.store.for_file(path)[0]
    assert (bp.line, bp.condition) == (3, "i == 2")
    qtbot.waitUntil(lambda: has_marker(ed, 3, binding.MARKER_BP_SPECIAL))
    binding.margin_menu(3)
    assert [a.text() for a in binding.last_menu.actions()][:2] == ["Edit condition…", "Edit hit count…"]


def test_current_line_and_hover(qtbot, editor, runner):
    ed, ctl, binding, path = editor
    ctl.store.add(path, 3, condition="i == 2")
    run = runner.debug(path, ctl.new_session())
    qtbot.waitUntil(lambda: ctl.is_paused, timeout=15000)
    assert has_marker(ed, 3, binding.MARKER_CURRENT) and has_marker(ed, 3, binding.MARKER_CURRENT_BG)
    pos = ed.positionFromLine(2) + 4  # inside "total" on line 3
    assert binding.expression_at(pos) == "total"
    shown = []
    ctl.hover("total", shown.append)
    qtbot.waitUntil(lambda: shown == ["total = 1"])
    ctl.store.clear()
    ctl.continue_()
    qtbot.waitUntil(lambda: ctl.state == "ended", timeout=15000)
    assert not has_marker(ed, 3, binding.MARKER_CURRENT)
    assert run.wait(5).value == 6
