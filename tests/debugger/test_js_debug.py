"""JavaScript spells under the debugger: the same session and protocol as Lua (app/debugger/js_agent.py)."""
from __future__ import annotations

import glob
import os
from typing import Any

import pytest

from app.runner import RunOptions

PROGRAM = """
function inner(x) {
  let y = x + 1;
  return y;
}
function outer(x) {
  const a = inner(x);
  let b = a * 2;
  return b;
}
const r = outer(1);
let s = r + 1;
return s;
"""


def frames(st: Any) -> list[tuple[str, int]]:
    return [(f["name"], f["line"]) for f in st.frames if f["kind"] == "lua"]


def test_breakpoint_stack_and_variables(spell, debug):
    path = spell("p.js", PROGRAM)
    d = debug(path, [3])
    st = d.stop()
    assert st.reason == "breakpoint"
    assert st.file == path and st.line == 3
    assert frames(st) == [("inner", 3), ("outer", 6), ("main chunk", 10)]
    loc = d.locals()
    assert loc["x"] == "1" and loc["y"] == "2" and "this" in loc
    main = d.locals(3)
    assert main["r"] == "<uninitialized>" and main["inner"].startswith("ƒ inner")
    assert d.session.evaluate("x * 10 + y")["value"] == "12"
    assert d.session.evaluate("y = 3")["ok"] is False
    assert d.finish().value == 5


def test_cold_caller_frames_come_from_the_trace(spell, debug):
    path = spell("p.js", PROGRAM)
    d = debug(path, [3])
    st = d.stop()
    assert frames(st) == [("inner", 3), ("outer", 6), ("main chunk", 10)]
    d.finish()


def test_step_over_and_in_and_out(spell, debug):
    path = spell("p.js", PROGRAM)
    d = debug(path, [10])
    assert d.stop().line == 10
    st = d.step("step_in")
    assert frames(st)[0] == ("outer", 6)
    st = d.step("step_over")
    assert frames(st) == [("outer", 7), ("main chunk", 10)]
    st = d.step("step_in")
    assert frames(st)[0] == ("outer", 8)
    st = d.step("step_out")
    assert frames(st) == [("main chunk", 11)]
    st = d.step("step_over")
    assert frames(st) == [("main chunk", 12)]
    assert d.finish().value == 5


def test_step_into_and_out_of_a_function(spell, debug):
    path = spell("p.js", PROGRAM)
    d = debug(path, [6])
    assert d.stop().line == 6
    st = d.step("step_in")
    assert frames(st)[:2] == [("inner", 2), ("outer", 6)]
    st = d.step("step_out")
    assert frames(st)[0] == ("outer", 6) or frames(st)[0] == ("outer", 7)
    d.finish()


EXAMPLES = sorted(glob.glob(os.path.join(os.path.dirname(__file__), "..", "..", "examples", "*.js")))


@pytest.mark.parametrize("path", EXAMPLES, ids=[os.path.basename(p) for p in EXAMPLES])
def test_examples_give_the_same_result_in_a_debug_run(runner, path, tmp_path, monkeypatch):
    """Instrumented (debug run, no breakpoint) and plain runs of every JS example agree (each in a fresh data
    folder, so persistent state starts the same)."""
    outputs: list[list[str]] = [[], []]

    class Collect:
        def __init__(self, out: list[str]):
            self.out = out

        def on_output(self, stream: str, text: str) -> None:
            self.out.append(text)

    monkeypatch.setenv("LLMSPELL_DATA_DIR", str(tmp_path / "plain"))
    plain = runner.run(path, options=RunOptions(timeout_s=60), observer=Collect(outputs[0]))
    monkeypatch.setenv("LLMSPELL_DATA_DIR", str(tmp_path / "debug"))
    debugged = runner.run(path, options=RunOptions(timeout_s=60, debug={"breakpoints": {}}),
                          observer=Collect(outputs[1]))
    assert plain.status == "ok", plain.failure
    assert (debugged.status, debugged.value) == (plain.status, plain.value), debugged.failure
    assert "".join(outputs[1]) == "".join(outputs[0])
