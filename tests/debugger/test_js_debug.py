"""JavaScript spells under the debugger: the same session and protocol as Lua (app/debugger/js_agent.py)."""

from __future__ import annotations

import glob
import os
import time
from typing import Any

import pytest

from app import languages
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
    return [(f["name"], f["line"]) for f in st.frames if f["kind"] == "spell"]


def test_breakpoint_stack_and_variables(spell, debug):
    path = spell("p.js", PROGRAM)
    d = debug(path, [3])
    st = d.stop()
    assert st.reason == "breakpoint"
    assert st.file == path and st.line == 3
    assert frames(st) == [("inner", 3), ("outer", 6), ("main chunk", 10)]
    loc = d.locals()
    assert loc == {"x": "1", "y": "2"}  # no ``this``: inner does not use it
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


EXAMPLES = sorted(
    p  # spells, not their test files (those run under `llmspell test`, with the test API bound)
    for p in glob.glob(os.path.join(os.path.dirname(__file__), "..", "..", "examples", "*.js"))
    if languages.language_of_test_file(p) is None
)


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
    debugged = runner.run(
        path, options=RunOptions(timeout_s=60, debug={"breakpoints": {}}), observer=Collect(outputs[1])
    )
    assert plain.status == "ok", plain.failure
    assert (debugged.status, debugged.value) == (plain.status, plain.value), debugged.failure
    assert "".join(outputs[1]) == "".join(outputs[0])


def test_this_in_a_method(spell, debug):
    path = spell(
        "m.js",
        """
        class Box {
          constructor(v) { this.v = v; }
          get() {
            const w = this.v + 1;
            return w;
          }
        }
        return new Box(41).get();
        """,
    )
    d = debug(path, [5])
    st = d.stop()
    assert frames(st)[0] == ("get", 5)
    loc = d.locals()
    assert loc["this"] == "Box {…}" and loc["w"] == "42"
    assert d.session.evaluate("this.v * 2")["value"] == "82"
    assert d.finish().value == 42


def test_breakpoint_verification_moves_to_code(spell, debug):
    path = spell("p.js", PROGRAM)
    d = debug(path, [4])  # the closing brace of inner: the next code is line 6
    st = d.stop()
    assert st.line == 6
    bp = d.session.breakpoints.for_file(path)[0]
    assert bp.verified and bp.actual_line == 6
    assert d.finish().value == 5


def test_pause_a_spinning_loop(spell, debug):
    path = spell(
        "spin.js",
        """
        let n = 0;
        while (true) {
          n += 1;
        }
        """,
    )
    d = debug(path, timeout_s=30)
    time.sleep(0.5)
    d.session.pause()
    st = d.stop()
    assert st.reason == "pause"
    assert st.line in (2, 3)
    assert int(d.locals()["n"]) > 0
    d.run.cancel()


def test_breakpoint_added_while_running(spell, debug):
    path = spell(
        "spin.js",
        """
        let n = 0;
        for (;;) {
          n += 1;
          if (n > 100000000) break;
        }
        return n;
        """,
    )
    d = debug(path, timeout_s=30)
    time.sleep(0.3)
    d.session.breakpoints.add(path, 3)
    st = d.stop()
    assert st.reason == "breakpoint" and st.line == 3
    d.run.cancel()


def test_objects_arrays_and_long_strings_expand(spell, debug):
    path = spell(
        "data.js",
        """
        const m = {a: 1, b: [10, "x"], nested: new Map([["k", 2]])};
        const long = "z".repeat(300);
        return long.length;
        """,
    )
    d = debug(path, [3])
    d.stop()
    scopes = d.session.scopes(1)
    ref = next(s["ref"] for s in scopes if s["name"] == "Locals")
    items = {v["name"]: v for v in d.session.variables(ref)["items"]}
    assert items["m"]["type"] == "object" and items["m"]["ref"]
    children = {v["name"]: v for v in d.session.variables(items["m"]["ref"])["items"]}
    assert children["a"]["value"] == "1" and children["nested"]["value"] == "Map(1)"
    arr = d.session.variables(children["b"]["ref"])
    assert [v["value"] for v in arr["items"]] == ["10", '"x"'] and arr["total"] == 2
    page = d.session.variables(children["b"]["ref"], start=1, count=1)
    assert [v["name"] for v in page["items"]] == ["[1]"] and page["total"] == 2
    assert items["long"]["length"] == 300
    assert d.session.string(items["long"]["ref"], 299, 10)["text"] == "zz"
    assert d.finish().value == 300


LOOP = """
let total = 0;
for (let i = 0; i < 5; i++) {
  total += i;
}
return total;
"""


def test_hit_count(spell, debug):
    path = spell("loop.js", LOOP)
    d = debug(path, [(3, {"hit": "== 3"})])
    st = d.stop()
    assert st.line == 3 and d.locals()["i"] == "2"
    assert d.session.breakpoints.for_file(path)[0].verified
    assert d.finish().value == 10


def test_condition_stops_only_when_true(spell, debug):
    path = spell("loop.js", LOOP)
    d = debug(path, [(3, {"condition": "total >= 3 && i % 2 == 1"})])
    st = d.stop()
    assert (st.reason, st.line) == ("breakpoint", 3)
    assert d.locals() == {"total": "3", "i": "3"}
    assert d.finish().value == 10


def test_condition_with_hit_count_counts_true_hits_only(spell, debug):
    path = spell("loop.js", LOOP)
    d = debug(path, [(3, {"condition": "i > 0", "hit": "== 2"})])
    d.stop()
    assert d.locals()["i"] == "2"
    assert d.finish().value == 10


def test_broken_condition_is_reported_not_silently_false(spell, debug):
    path = spell("loop.js", LOOP)
    d = debug(path, [(3, {"condition": "total >= "})])
    st = d.stop()
    assert st.reason == "condition_error" and st.line == 3
    bp = d.session.breakpoints.for_file(path)[0]
    assert bp.verified and bp.message.startswith("condition error:")
    d.session.breakpoints.clear()
    assert d.finish().value == 10


def test_condition_that_fails_at_run_time_stops_with_the_error(spell, debug):
    path = spell("loop.js", LOOP)
    d = debug(path, [(3, {"condition": "nope > 1"})])
    st = d.stop()
    assert st.reason == "condition_error" and "nope" in st.message
    d.session.breakpoints.clear()
    assert d.finish().value == 10


def test_logpoint_prints_without_stopping(spell, runner):
    from app.debugger.session import BreakpointStore, DebugSession

    path = spell(
        "loop.js",
        """
        let total = 0;
        for (let i = 0; i < 3; i++) {
          print("body", i);
          total += i;
        }
        return total;
        """,
    )
    store = BreakpointStore()
    store.add(path, 4, log_message='i={i} sum={total + i} s={"x"} a={[i]} bad={nope.x}')
    session = DebugSession(store)
    out: list[str] = []

    class Obs:
        def on_output(self, stream, text):
            out.append(text)

    run = runner.debug(path, session, observer=Obs())
    res = run.wait(20)
    assert res is not None and res.ok and res.value == 3 and session.describe()["stops"] == 0
    lines = "".join(out).splitlines()
    assert lines[:2] == ["body 0", "i=0 sum=0 s=x a=Array(1) bad={nope.x: ReferenceError: 'nope' is not defined}"], (
        lines
    )


def test_set_variable_changes_the_running_spell(spell, debug):
    path = spell("loop.js", LOOP)
    d = debug(path, [(3, {"hit": "== 1"})])
    d.stop()
    ref = next(s["ref"] for s in d.session.scopes(1) if s["name"] == "Locals")
    res = d.session.set_variable(ref, "total", "100")
    assert res["ok"] and res["value"] == "100"
    assert d.finish().value == 110


def test_closure_variables_and_globals(spell, debug):
    path = spell(
        "scope.js",
        """
        const limit = 2;
        function make(step) {
          return function (x) {
            const r = x * step;
            return r;
          };
        }
        const triple = make(3);
        let tally = 0;
        for (let i = 0; i < 4; i++) {
          tally += triple(i);
        }
        return tally;
        """,
    )
    d = debug(path, [(5, {"condition": "x * step > limit && tally > 0"})])
    d.stop()
    scopes = {s["name"]: s["ref"] for s in d.session.scopes(1)}
    assert set(scopes) == {"Locals", "Closure", "Globals"}
    assert d.locals()["r"] == "6"
    closure = {v["name"]: v["value"] for v in d.session.variables(scopes["Closure"])["items"]}
    assert closure == {"step": "3"}
    glob_ = {v["name"]: v["value"] for v in d.session.variables(scopes["Globals"])["items"]}
    assert glob_["limit"] == "2" and glob_["tally"] == "3"
    d.session.breakpoints.clear()
    assert d.finish().value == 18


ERR = """
function explode(m) {
  const k = "x";
  return m.missing.field;
}
function caller() {
  return explode({});
}
caller();
"""


def test_uncaught_exception_stops_where_it_was_thrown(spell, debug):
    path = spell("e.js", ERR)
    d = debug(path)
    st = d.stop()
    assert st.reason == "exception" and "TypeError" in st.message
    assert frames(st) == [("explode", 3), ("caller", 6), ("main chunk", 8)]
    assert d.locals() == {"m": "Object {}"}  # (k: the body's const, out of reach in the catch)
    res = d.finish()
    assert res.status == "error" and res.failure.line == 3
    assert d.session.describe()["stops"] == 1


def test_caught_exception_does_not_stop(spell, debug):
    path = spell(
        "e.js",
        """
        function f() { throw new Error("inner"); }
        let r;
        try { f(); } catch (e) { r = e.message; }
        return r;
        """,
    )
    d = debug(path)
    res = d.finish()
    assert res.ok and res.value == "inner" and d.session.describe()["stops"] == 0


def test_break_on_error_can_be_turned_off(spell, debug):
    path = spell("e.js", ERR)
    res = debug(path, break_on_error=False).finish()
    assert res.status == "error" and res.failure.line == 3


def test_breakpoint_in_required_module(spell, debug):
    helper = spell(
        "helper.js",
        """
        module.exports = function (x) {
          const doubled = x * 2;
          return doubled;
        };
        """,
    )
    path = spell(
        "main.js",
        """
        const helper = require("./helper.js");
        const v = helper(21);
        return v;
        """,
    )
    d = debug(path, [(3, {"file": helper})])
    st = d.stop()
    assert st.line == 3 and st.file == helper
    assert [f["file"].rsplit("/", 1)[-1] for f in st.frames][-1] == "main.js"
    assert d.locals()["x"] == "21"
    assert d.finish().value == 42


def test_run_to_cursor(spell, debug):
    path = spell("p.js", PROGRAM)
    d = debug(path, [10])
    d.stop()
    d.session.run_to_cursor(path, 8)
    st = d.stop()
    assert st.reason == "run_to_cursor" and frames(st)[0] == ("outer", 8)
    assert d.finish().value == 5


def test_step_into_a_tool_body(spell, debug):
    path = spell(
        "t.js",
        """
        Tool.register("twice", "doubles", {type: "object", properties: {n: {type: "number"}}}, (args) => {
          const out = args.n * 2;
          return out;
        });
        const r = Tool.call("twice", {n: 4});
        return r;
        """,
    )
    d = debug(path, [2])
    st = d.stop()
    assert st.line == 2 and frames(st)[0][0] == "<anonymous>"
    assert d.locals()["args"] == "Object {…}"
    st = d.step("step_over")
    assert st.line == 3
    assert d.finish().value == 8


def test_error_in_a_tool_body_does_not_stop(spell, debug):
    path = spell(
        "t.js",
        """
        Tool.register("boom", "fails", {type: "object", properties: {}}, (args) => {
          throw new Error("no");
        });
        let r;
        try { r = Tool.call("boom", {}); } catch (e) { r = "caught"; }
        return r;
        """,
    )
    d = debug(path)
    res = d.finish()
    assert res.ok and d.session.describe()["stops"] == 0


def test_evaluate_at_an_llm_call_stop(spell, debug):
    from app.debugger.session import CallBreakpoints

    path = spell(
        "llm.js",
        """
        const topic = "owls";
        const answer = LLM.complete("tell me about " + topic);
        return answer;
        """,
    )
    d = debug(path, calls=CallBreakpoints(llm=True))
    st = d.stop()
    assert st.reason == "llm_call" and (st.file, st.line) == (path, 2)
    assert d.session.evaluate('topic + "!"')["value"] == '"owls!"'
    assert "read-only" in d.session.evaluate("LLM.complete(topic)")["error"]
    assert d.finish().value == "Echo: tell me about owls"


def test_pause_an_empty_spinning_loop(spell, debug):
    path = spell(
        "spin.js",
        """
        let n = 0;
        while (true) {}
        """,
    )
    d = debug(path, timeout_s=30)
    time.sleep(0.5)
    d.session.pause()
    st = d.stop()
    assert st.reason == "pause" and st.line == 2
    d.run.cancel()


ASYNC = """
async function fetchTwice(x) {
  const a = await Promise.resolve(x + 1);
  const b = await Promise.resolve(a * 2);
  return a + b;
}
async function main() {
  const r = await fetchTwice(1);
  return r;
}
return main();
"""


def test_step_over_an_await_lands_on_the_next_line(spell, debug):
    path = spell("a.js", ASYNC)
    d = debug(path, [2])
    st = d.stop()
    assert frames(st)[0] == ("fetchTwice", 2)
    st = d.step("step_over")
    assert frames(st)[0] == ("fetchTwice", 3)
    assert d.locals()["a"] == "2"
    st = d.step("step_over")
    assert frames(st)[0] == ("fetchTwice", 4)
    assert d.locals()["b"] == "4"
    st = d.step("step_out")  # back in the awaiting caller, after its await
    assert frames(st)[0] == ("main", 8)
    assert d.locals()["r"] == "6"
    assert d.finish().value == 6


def test_step_over_a_call_to_an_async_function_does_not_stop_inside_it(spell, debug):
    path = spell("a.js", ASYNC)
    d = debug(path, [7])
    assert d.stop().line == 7
    st = d.step("step_over")  # fetchTwice runs (its awaits included); main resumes on line 8
    assert frames(st)[0] == ("main", 8)
    assert d.finish().value == 6


def test_break_on_caught_exceptions_stops_in_the_catch_block(spell, debug):
    path = spell(
        "c.js",
        """
        let r = "none";
        try {
          JSON.parse("{bad");
        } catch (e) {
          r = e.name;
        }
        return r;
        """,
    )
    d = debug(path, [1])
    d.stop()
    assert d.session.request("set_options", {"break_on_caught": True}) == {"ok": True}
    d.session.continue_()
    st = d.stop()
    assert st.reason == "exception" and st.data.get("caught") is True and "SyntaxError" in st.message
    assert st.data["exception"]["type"] == "error"
    assert d.finish().value == "SyntaxError"


def test_breakpoint_after_a_top_level_await(spell, debug):
    path = spell(
        "tla.js",
        """
        const a = await Promise.resolve(20);
        const b = a + 1;
        return b * 2;
        """,
    )
    d = debug(path, [2])
    st = d.stop()
    assert (st.reason, st.line) == ("breakpoint", 2)
    assert d.locals()["a"] == "20"
    st = d.step("step_over")
    assert st.line == 3 and d.locals()["b"] == "21"
    assert d.finish().value == 42
