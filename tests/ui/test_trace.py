"""The LLM trace panel: tree of spans with model/latency/tokens/cost, chat transcript and JSON, filter, jump, export."""

from __future__ import annotations

import json

from app.ui.trace_panel import transcript


def run_fake(window, qtbot, tmp_path, text="ok"):
    p = tmp_path / "t.lua"
    p.write_text(text + "\nsecond line\n")
    page = window.tabs.open_file(str(p))
    s = window.action_run(page)
    qtbot.waitUntil(lambda: s.done, timeout=5000)
    qtbot.wait(50)
    return s, p


def test_tree_shows_spans_nested_with_columns(window, qtbot, tmp_path):
    window.docks["console"].raise_()  # the trace panel is hidden: spans wait until it shows (lazy refresh)
    run_fake(window, qtbot, tmp_path)
    tree = window.trace.tree
    assert window.trace._pending and tree.topLevelItem(0).childCount() == 0
    window.docks["trace"].raise_()
    qtbot.waitUntil(lambda: not window.trace._pending, timeout=2000)
    root = tree.topLevelItem(0)
    assert root.text(0).startswith("Run #") and root.text(1) == "ok"
    assert root.childCount() == 1
    agent = root.child(0)
    assert agent.text(0) == "Agent.run" and agent.text(1) == "agent" and agent.text(3) == "500 ms"
    llm = agent.child(0)
    assert [llm.text(i) for i in range(6)] == ["LLM.chat", "llm", "offline/echo", "250 ms", "10", "$0.0012"]


def test_selecting_a_span_shows_chat_and_json(window, qtbot, tmp_path):
    run_fake(window, qtbot, tmp_path)
    assert window.trace.select_first_span("llm")
    chat = window.trace.chat.toPlainText()
    assert "Be brief." in chat and "Say hi to Ada" in chat and "Hi Ada!" in chat
    assert chat.index("user") < chat.index("assistant")
    data = json.loads(window.trace.json.toPlainText())
    assert data["model"] == "offline/echo" and data["tokens"]["total"] == 10


def test_double_click_jumps_to_the_spell_line(window, qtbot, tmp_path):
    _s, p = run_fake(window, qtbot, tmp_path)
    window.trace.select_first_span("llm")
    other = window.tabs.new_file("lua", "")
    item = window.trace.tree.currentItem()
    window.trace.tree.itemDoubleClicked.emit(item, 0)
    page = window.tabs.current_page()
    assert page is not other and page.path == str(p) and page.editor.caret()[0] == 1


def test_filter_by_kind_and_text(window, qtbot, tmp_path):
    run_fake(window, qtbot, tmp_path)
    tp = window.trace
    tp.flush()
    agent = tp.tree.topLevelItem(0).child(0)
    llm = agent.child(0)
    tp.kind.setCurrentIndex(tp.kind.findData("tool"))
    assert agent.isHidden() and llm.isHidden()
    tp.kind.setCurrentIndex(tp.kind.findData("llm"))
    assert not llm.isHidden() and not agent.isHidden()  # the parent stays to show its matching child
    tp.kind.setCurrentIndex(0)
    tp.text_filter.setText("ada")  # found in the request text
    assert not llm.isHidden()
    tp.text_filter.setText("no-such-thing")
    assert llm.isHidden() and agent.isHidden()


def test_export_jsonl(window, qtbot, tmp_path):
    run_fake(window, qtbot, tmp_path)
    out = tmp_path / "trace.jsonl"
    assert window.trace.export(str(out)) == 2
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert {r["id"] for r in rows} == {"a1", "s1"}
    assert next(r for r in rows if r["id"] == "a1")["end"] == 1.5  # the final version of a span


def test_spans_of_several_runs_newest_first(window, qtbot, tmp_path):
    run_fake(window, qtbot, tmp_path)
    s2, _ = run_fake(window, qtbot, tmp_path)
    assert window.trace.tree.topLevelItemCount() == 2
    assert window.trace.tree.topLevelItem(0).text(0).startswith(f"Run #{s2.number}")


def test_transcript_shapes():
    assert transcript({"request": {"prompt": "hi"}, "response": "yo"}) == [("user", "hi"), ("assistant", "yo")]
    tool = transcript(
        {
            "request": {"messages": [{"role": "user", "content": "add"}]},
            "response": {
                "role": "assistant",
                "content": None,
                "tool_calls": [{"function": {"name": "add", "arguments": '{"a":1}'}}],
            },
        }
    )
    assert tool[-1] == ("assistant", '→ add({"a":1})')
    assert transcript({"request": {"input": {"x": 1}}, "error": "boom"})[-1] == ("error", "boom")


def test_huge_replies_are_clipped_for_display_but_exported_whole(window, qtbot, tmp_path):
    from app.ui.run_service import RunSession

    tp = window.trace
    s = RunSession("/x.lua", "lua")
    tp.add_run(s)
    big = "z" * 500_000
    tp.update_span(
        s.number,
        {"id": 1, "kind": "llm", "name": "LLM.chat", "request": {"prompt": "hi"}, "response": {"content": big}},
    )
    assert tp.select_first_span("llm")
    assert len(tp.json.toPlainText()) < 30000 and "more characters" in tp.json.toPlainText()
    out = tmp_path / "t.jsonl"
    tp.export(str(out))
    assert big in out.read_text()


def test_select_first_span_prefers_the_newest_run(window, qtbot, tmp_path):
    run_fake(window, qtbot, tmp_path)
    s2, _ = run_fake(window, qtbot, tmp_path)
    assert window.trace.select_first_span("llm")
    item = window.trace.tree.currentItem()
    while item.parent() is not None:
        item = item.parent()
    assert item.text(0).startswith(f"Run #{s2.number}")


def test_spans_arriving_before_their_parents_nest_expanded(window):
    from app.ui.run_service import RunSession

    tp = window.trace
    s = RunSession("/x.lua", "lua")
    tp.add_run(s)
    for sp in (
        {"id": "l", "parent": "st", "kind": "llm", "name": "LLM"},
        {"id": "st", "parent": "a", "kind": "agent_step", "name": "step"},
        {"id": "a", "parent": None, "kind": "agent", "name": "agent"},
    ):
        tp.update_span(s.number, sp)
    tp.flush()
    root = tp.tree.topLevelItem(0)
    assert root.childCount() == 1
    agent = root.child(0)
    step = agent.child(0)
    assert step.text(0) == "step" and step.child(0).text(0) == "LLM"
    assert agent.isExpanded() and step.isExpanded()


def test_timeline_column_places_overlapping_spans(qtbot):
    from app.ui.run_service import RunSession
    from app.ui.trace_panel import (
        ROLE_RANGE,
        ROLE_TIMES,
        TIMELINE,
        TracePanel,
        bar_fraction,
    )

    panel = TracePanel()
    qtbot.addWidget(panel)
    panel.resize(900, 300)
    panel.show()
    session = RunSession("par.lua", "lua")
    panel.add_run(session)
    t = 1000.0
    spans = [
        {
            "id": i,
            "parent": None,
            "kind": "llm",
            "name": "LLM.complete",
            "start": t + 0.01 * i,
            "end": t + 0.3 + 0.01 * i,
        }
        for i in range(4)
    ]
    spans.append({"id": 9, "parent": None, "kind": "llm", "name": "LLM.complete", "start": t + 0.4, "end": None})
    for sp in spans:
        panel.update_span(session.number, sp)
    root = panel.tree.topLevelItem(0)
    window = root.data(0, ROLE_RANGE)
    assert window == (t, t + 0.4)
    bars = [bar_fraction(root.child(i).data(TIMELINE, ROLE_TIMES), window) for i in range(5)]
    assert max(b[0] for b in bars[:4]) < min(b[1] for b in bars[:4])  # the four calls overlap
    assert bars[4][1] == 1.0  # still running: its bar reaches the end of the window
    assert "into the run" in root.child(1).toolTip(TIMELINE)
    assert not panel.tree.viewport().grab().isNull()  # the delegate paints


def test_a_selected_spans_timeline_bar_stays_visible(qtbot):
    """The bar of the selected row is drawn in the selection's text colour, not in blue on the blue selection."""
    from PySide6.QtCore import QRect
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtWidgets import QStyle, QStyleOptionViewItem

    from app.ui.run_service import RunSession
    from app.ui.trace_panel import TIMELINE, TracePanel

    panel = TracePanel()
    qtbot.addWidget(panel)
    panel.show()  # a hidden panel only collects spans
    session = RunSession("one.lua", "lua")
    panel.add_run(session)
    span = {"id": 1, "parent": None, "kind": "llm", "name": "LLM.complete", "start": 1.0, "end": 2.0}
    panel.update_span(session.number, span)
    index = panel.tree.indexFromItem(panel.tree.topLevelItem(0).child(0), TIMELINE)
    option = QStyleOptionViewItem()
    option.rect = QRect(0, 0, 120, 20)
    option.palette = panel.tree.palette()
    option.state = QStyle.StateFlag.State_Selected | QStyle.StateFlag.State_Enabled
    image = QImage(120, 20, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    panel.tree.itemDelegateForColumn(TIMELINE).paint(painter, option, index)
    painter.end()
    bar, selection = image.pixelColor(60, 10), option.palette.highlight().color()
    assert abs(bar.lightness() - selection.lightness()) > 60
