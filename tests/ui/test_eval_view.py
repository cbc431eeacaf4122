"""The Eval view: Run Eval on an .eval.yaml fills the matrix live, totals, row detail, Debug this row."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from app.ui.eval_view import EvalView, detail_html, is_eval_file

ROOT = Path(__file__).resolve().parents[2]


def copy_examples(tmp_path: Path) -> Path:
    dest = tmp_path / "ex"
    shutil.copytree(ROOT / "examples", dest)
    return dest


def test_run_eval_fills_matrix_totals_and_detail(real_window: Any, qtbot: Any, tmp_path: Path) -> None:
    ex = copy_examples(tmp_path)
    w = real_window
    w.open_location(str(ex / "extraction.eval.yaml"), 1)
    w.action_run_eval()
    view: EvalView = w.evals.view
    assert w.docks["evals"].isVisible()
    qtbot.waitUntil(lambda: not view.running, timeout=120000)
    assert len(view.records) == 12
    assert view.matrix.rowCount() == 6
    headers = [view.matrix.horizontalHeaderItem(c).text() for c in range(view.matrix.columnCount())]
    assert headers[:3] == ["#", "input", "offline/echo"] and "offline-mini" in headers and "field" in headers
    assert view.matrix.item(0, 2).text() == "pass 1.00"
    assert view.matrix.item(0, 3).text().startswith("✓")  # one coloured cell per assertion
    assert view.totals.rowCount() == 2 and view.totals.item(0, 2).text() == "100.0%"
    view.matrix.setCurrentCell(1, 2)
    text = view.detail.toPlainText()
    assert "Marie Curie" in text and "output matches the schema" in text and "LLM exchanges" in text
    assert "offline/echo" in text and view.debug_button.isEnabled()
    assert (ex / "extraction.results.jsonl").exists()


def test_debug_this_row_replays_the_cassette(real_window: Any, qtbot: Any, tmp_path: Path) -> None:
    (tmp_path / "s.lua").write_text('local a = LLM.complete("hello " .. INPUT.who)\nreturn a\n')
    (tmp_path / "e.eval.yaml").write_text("spell: s.lua\nrows: [{who: Ada}]\nassert: [{type: contains, value: Ada}]\n")
    w = real_window
    view: EvalView = w.evals.view
    assert view.open(str(tmp_path / "e.eval.yaml")) and view.run_eval()
    qtbot.waitUntil(lambda: not view.running and len(view.records) == 1, timeout=60000)
    cassette = tmp_path / "e.results.cassettes" / view.records[(0, "offline/echo", 0)]["cassette"]
    text = cassette.read_text()
    cassette.write_text(text.replace('"content":"Echo: hello Ada"', '"content":"replayed answer"'))
    view.matrix.setCurrentCell(0, 2)
    seen: list[tuple[Any, ...]] = []
    view.debugRequested.connect(lambda *a: seen.append(a))
    view.debug_button.click()
    assert seen and seen[0][1] == {"who": "Ada"} and seen[0][2] == "offline/echo"
    run = w.running.debug_run
    assert run is not None and w.console.input.text() == '{"who": "Ada"}'
    qtbot.waitUntil(lambda: run.done, timeout=60000)
    assert run.result.value == "replayed answer"


def test_bad_eval_file_shows_its_error(qtbot: Any, tmp_path: Path) -> None:
    (tmp_path / "bad.eval.yaml").write_text("spell: s.lua\nrows: [1]\n")
    view = EvalView(lambda: None, dict)
    qtbot.addWidget(view)
    assert not view.open(str(tmp_path / "bad.eval.yaml"))
    assert "bad.eval.yaml:1: spell s.lua not found" in view.title.text() and not view.run_button.isEnabled()
    assert is_eval_file("x.eval.yaml") and not is_eval_file("x.yaml")
    html = detail_html(
        {
            "row": 0,
            "model": "m",
            "pass": False,
            "score": 0,
            "input": "<b>",
            "error": {"code": "timeout", "message": "slow", "line": 3},
            "assertions": [],
        },
        "",
    )
    assert "&lt;b&gt;" in html and "timeout: slow (line 3)" in html


def test_showing_an_eval_file_loads_its_last_results(window: Any, tmp_path: Path) -> None:
    ex = copy_examples(tmp_path)
    (ex / "extraction.results.jsonl").write_text(
        '{"row": 2, "model": "offline-mini", "repeat": 0, "pass": false, "score": 0.5, "input": {}, "output": "x", '
        '"error": null, "assertions": [{"name": "name", "type": "javascript", "pass": false, "score": 0.0, '
        '"reason": "output.name === row.name is false", "weight": 1.0}], "tokens": 3, "cost": 0, "latency_ms": 5}\n'
        '{"row": 3, "model": "offline-mi'
    )  # and a half-written line, skipped
    window.open_location(str(ex / "extraction.eval.yaml"), 1)
    view: EvalView = window.evals.view
    assert view.path == str(ex / "extraction.eval.yaml") and not view.running
    assert list(view.records) == [(2, "offline-mini", 0)]
    col = [view.matrix.horizontalHeaderItem(c).text() for c in range(view.matrix.columnCount())].index("offline-mini")
    assert view.matrix.item(2, col).text() == "FAIL 0.50"
    view.failed_only.setChecked(True)
    assert [view.matrix.isRowHidden(i) for i in range(6)] == [True, True, False, True, True, True]
    view.matrix.setCurrentCell(2, col)
    assert "output.name === row.name is false" in view.detail.toPlainText()
    assert view.totals.item(1, 2).text() == "0.0%"
