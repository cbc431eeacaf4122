"""Tengo spells under the debugger: the same session and protocol as Lua (app/debugger/tengo_agent.py)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture(scope="module")
def runner() -> Iterator[Any]:
    """Warm Tengo workers (the shared session runner warms Lua and JS only), so no debug run waits for a cold
    start."""
    from app.runner import Runner

    r = Runner(warm={"tengo": 2})
    r.pool.wait_warm(60)
    yield r
    r.shutdown()


PROGRAM = """
inner := func(x) {
  y := x + 1
  return y
}
outer := func(x) {
  a := inner(x)
  b := a * 2
  return b
}
r := outer(1)
s := r + 1
export s
"""


def frames(st):
    return [(f["name"], f["line"]) for f in st.frames if f["kind"] == "spell"]


def test_breakpoint_stack_and_variables(spell, debug):
    path = spell("p.tengo", PROGRAM)
    d = debug(path, [3])
    st = d.stop()
    assert st.reason == "breakpoint"
    assert st.file == path and st.line == 3
    assert frames(st) == [("inner", 3), ("outer", 6), ("main chunk", 10)]
    assert st.frames[0]["file"] == path
    assert d.locals() == {"x": "1", "y": "2"}
    main = d.locals(3)
    assert main["INPUT"] == "<undefined>" and "inner" in main and "outer" in main
    assert d.finish().value == 5


def test_breakpoint_verification_moves_to_code(spell, debug):
    path = spell("p.tengo", PROGRAM)
    d = debug(path, [4])  # the closing brace of inner: the next code is line 5
    st = d.stop()
    assert st.line == 5
    bp = d.session.breakpoints.for_file(path)[0]
    assert bp.verified and bp.actual_line == 5
    assert d.finish().value == 5


def test_step_over_and_in_and_out(spell, debug):
    path = spell("p.tengo", PROGRAM)
    d = debug(path, [10])
    assert d.stop().line == 10
    st = d.step("step_in")
    assert frames(st)[0] == ("outer", 6)
    st = d.step("step_over")
    assert frames(st) == [("outer", 7), ("main chunk", 10)]
    st = d.step("step_in")
    assert frames(st)[0] == ("outer", 8)
    d.finish()


def test_step_into_function_and_out(spell, debug):
    path = spell("p.tengo", PROGRAM)
    d = debug(path, [6])
    assert frames(d.stop())[0] == ("outer", 6)
    st = d.step("step_in")
    assert frames(st)[0] == ("inner", 2)
    st = d.step("step_out")
    assert frames(st)[0] == ("outer", 7)
    st = d.step("step_out")
    assert frames(st) == [("main chunk", 11)]
    st = d.step("step_over")
    assert st.line == 12
    assert d.finish().value == 5


def test_step_over_main(spell, debug):
    path = spell("p.tengo", PROGRAM)
    d = debug(path, [10])
    d.stop()
    st = d.step("step_over")
    assert frames(st) == [("main chunk", 11)]
    assert d.locals()["r"] == "4"
    assert d.finish().value == 5


def test_continue_hits_again_and_ends(spell, debug):
    path = spell(
        "loop.tengo",
        """
        total := 0
        for i := 0; i < 3; i++ {
          total += i
        }
        export total
        """,
    )
    d = debug(path, [3])
    seen = []
    for _ in range(3):
        seen.append(d.locals()["i"] if d.stop() else None)
        d.session.continue_()
    res = d.run.wait(20)
    assert res is not None and res.ok and res.value == 3
    assert seen == ["0", "1", "2"]


def test_pause_a_spinning_loop(spell, debug):
    path = spell(
        "spin.tengo",
        """
        n := 0
        for {
          n += 1
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
        "spin.tengo",
        """
        n := 0
        for {
          n += 1
          if n > 100000000 { break }
        }
        export n
        """,
    )
    d = debug(path, timeout_s=30)
    time.sleep(0.3)
    d.session.breakpoints.add(path, 3)
    st = d.stop()
    assert st.reason == "breakpoint" and st.line == 3
    d.run.cancel()


def test_arrays_and_maps_expand(spell, debug):
    path = spell(
        "data.tengo",
        """
        m := {a: 1, b: [10, "x"]}
        long := ""
        for i := 0; i < 300; i++ { long += "z" }
        export len(long)
        """,
    )
    d = debug(path, [4])
    d.stop()
    scopes = d.session.scopes(1)
    ref = next(s["ref"] for s in scopes if s["name"] == "Locals")
    items = {v["name"]: v for v in d.session.variables(ref)["items"]}
    assert items["m"]["type"] == "map" and items["m"]["ref"]
    children = {v["name"]: v for v in d.session.variables(items["m"]["ref"])["items"]}
    assert children["a"]["value"] == "1"
    arr = d.session.variables(children["b"]["ref"])
    assert [v["value"] for v in arr["items"]] == ["10", '"x"'] and arr["total"] == 2
    assert items["long"]["length"] == 300
    assert d.finish().value == 300


LOOP = """
total := 0
for i := 0; i < 5; i++ {
  total += i
}
export total
"""


def test_hit_count(spell, debug):
    path = spell("loop.tengo", LOOP)
    d = debug(path, [(3, {"hit": "== 3"})])
    st = d.stop()
    assert st.line == 3 and d.locals()["i"] == "2"
    assert d.session.breakpoints.for_file(path)[0].verified
    assert d.finish().value == 10  # == 3 hits once only


def test_condition_stops_only_when_true(spell, debug):
    path = spell("loop.tengo", LOOP)
    d = debug(path, [(3, {"condition": "total >= 3 && i % 2 == 1"})])
    st = d.stop()
    assert (st.reason, st.line) == ("breakpoint", 3)
    assert d.locals() == {"INPUT": "<undefined>", "total": "3", "i": "3"}
    bp = d.session.breakpoints.for_file(path)[0]
    assert bp.verified and not bp.message
    assert d.finish().value == 10  # i == 5 never reaches the body


def test_condition_with_hit_count_counts_true_hits_only(spell, debug):
    path = spell("loop.tengo", LOOP)
    d = debug(path, [(3, {"condition": "i > 0", "hit": "== 2"})])
    d.stop()
    assert d.locals()["i"] == "2"
    assert d.finish().value == 10


def test_broken_condition_is_reported_not_silently_false(spell, debug):
    path = spell("loop.tengo", LOOP)
    d = debug(path, [(3, {"condition": "total >= "})])
    st = d.stop()
    assert st.reason == "condition_error" and st.line == 3
    assert "expected operand" in st.message and st.data["condition"] == "total >= "
    bp = d.session.breakpoints.for_file(path)[0]
    assert bp.verified and bp.message.startswith("condition error:")
    d.session.breakpoints.clear()
    assert d.finish().value == 10


def test_condition_that_fails_at_run_time_stops_with_the_error(spell, debug):
    path = spell("loop.tengo", LOOP)
    d = debug(path, [(3, {"condition": "nope > 1"}), (5, {"condition": "total.x > 1"})])
    st = d.stop()
    assert st.reason == "condition_error" and "unresolved reference 'nope'" in st.message
    d.session.breakpoints.remove(path, 3)
    d.session.continue_()
    st = d.stop()
    assert (st.reason, st.line) == ("condition_error", 5) and "int" in st.message
    assert d.finish().value == 10  # the run itself is not harmed


def test_condition_sees_free_variables_and_main_script_variables(spell, debug):
    path = spell(
        "scope.tengo",
        """
        limit := 2
        make := func(step) {
          return func(x) {
            r := x * step
            return r
          }
        }
        triple := make(3)
        tally := 0
        for i := 0; i < 4; i++ {
          tally += triple(i)
        }
        export tally
        """,
    )
    # step: free variable of the inner function; limit: a main-script variable the function does not use
    d = debug(path, [(5, {"condition": "x * step > limit && tally > 0"})])
    d.stop()
    assert d.locals() == {"x": "2", "r": "6"}
    d.session.breakpoints.clear()
    assert d.finish().value == 18


def test_logpoint_prints_without_stopping(spell, runner):
    from app.debugger.session import BreakpointStore, DebugSession

    path = spell(
        "loop.tengo",
        """
        total := 0
        for i := 0; i < 3; i++ {
          print("body", i)
          total += i
        }
        export total
        """,
    )
    store = BreakpointStore()
    store.add(path, 4, log_message='i={i} sum={total + i} s={"x"} m={[i]} bad={nope.x}')
    session = DebugSession(store)
    out: list[str] = []

    class Obs:
        def on_output(self, stream, text):
            out.append(text)

    run = runner.debug(path, session, observer=Obs())
    res = run.wait(20)
    assert res is not None and res.ok and res.value == 3 and session.describe()["stops"] == 0
    lines = "".join(out).splitlines()
    assert lines[:2] == ["body 0", "i=0 sum=0 s=x m=array [1] bad={nope.x: unresolved reference 'nope'}"]
    assert lines[-1] == "i=2 sum=3 s=x m=array [1] bad={nope.x: unresolved reference 'nope'}"
    bp = store.for_file(path)[0]
    assert bp.verified


EVAL = """
shared := {tag: "up", n: 1}
unused := "main-only"
work := func(n) {
  big := [1, 2, 3]
  bump := func() { shared.n += n }
  bump()
  s := shared.tag + "!"
  return n + len(big)
}
spin := func(k) {
  for { k += 1 }
}
r := work(5)
export {r: r, shared: shared}
"""


def test_evaluate_watches_and_hover(spell, debug):
    path = spell("v.tengo", EVAL)
    d = debug(path, [8])
    st = d.stop()
    assert frames(st) == [("work", 8), ("main chunk", 13)]
    ev = d.session.evaluate
    assert ev("n * 2")["value"] == "10"
    assert ev("s")["value"] == '"up!"' and ev("s")["type"] == "string"
    assert ev("shared.n")["value"] == "6"  # free variable, after bump()
    assert ev('unused + "?"')["value"] == '"main-only?"'  # a main-script variable work does not use
    assert ev("len(big) + big[2]")["value"] == "6"
    res = ev("big")
    assert res["ok"] and res["type"] == "array" and res["ref"] > 0
    assert [v["value"] for v in d.session.variables(res["ref"])["items"]] == ["1", "2", "3"]
    assert ev('import("text").to_upper(s)')["value"] == '"UP!"'
    assert ev("JSON.encode([1, 2])")["value"] == '"[1,2]"'  # a pure bridge is allowed
    assert ev("work != undefined", 2)["value"] == "true"  # the caller's frame: its variables
    bad = ev("n +")
    assert bad["ok"] is False and "expected operand" in bad["error"]
    assert ev("nope")["error"] == "unresolved reference 'nope'"
    failing = ev("s - 1")
    assert failing["ok"] is False and "invalid operation" in failing["error"]
    assert d.finish().value == {"r": 8, "shared": {"tag": "up", "n": 6}}


def test_evaluation_is_read_only(spell, debug):
    path = spell("v.tengo", EVAL)
    d = debug(path, [8])
    d.stop()
    ev = d.session.evaluate
    assert "assignments are refused" in ev("n = 3")["error"]
    assert "function literals" in ev("func() { n = 3 }()")["error"]
    assert "read-only" in ev('delete(shared, "tag")')["error"]
    llm = ev('LLM.complete("hi")')
    assert llm["ok"] is False and "read-only" in llm["error"] and "LLM.complete" in llm["error"]
    loop = ev("spin(0)")
    assert loop["ok"] is False and "too long" in loop["error"]
    assert ev("n")["value"] == "5"
    assert frames(d.session.stop_info) == [("work", 8), ("main chunk", 13)]
    st = d.step("step_over")  # the spell goes on normally
    assert frames(st)[0] == ("main chunk", 14) and d.locals()["r"] == "8"
    assert d.finish().value == {"r": 8, "shared": {"tag": "up", "n": 6}}


def test_set_local_free_variable_and_elements(spell, debug):
    path = spell("v.tengo", EVAL)
    d = debug(path, [7])
    d.stop()
    refs = {s["name"]: s["ref"] for s in d.session.scopes(1)}
    set_ = d.session.set_variable
    assert set_(refs["Locals"], "n", "n * 20")["value"] == "100"
    big = next(v for v in d.session.variables(refs["Locals"])["items"] if v["name"] == "big")
    assert set_(big["ref"], "[0]", "1000")["value"] == "1000"
    assert set_(refs["Upvalues"], "shared", '{tag: "down", n: shared.n}')["ok"]
    assert set_(refs["Locals"], "nope", "1") == {"ok": False, "error": "no local named nope"}
    assert set_(refs["Locals"], "n", "n +")["ok"] is False
    assert d.session.evaluate("n")["value"] == "100"
    # r = n + len(big) with the new n; shared replaced in the cell the main script shares with work
    assert d.finish().value == {"r": 103, "shared": {"tag": "down", "n": 6}}


def test_evaluate_in_the_main_chunk_before_functions(spell, debug):
    path = spell("p.tengo", PROGRAM)
    d = debug(path, [11])
    d.stop()
    assert d.session.evaluate("r + 1")["value"] == "5"
    assert d.session.evaluate("inner(10)")["value"] == "11"  # calls a spell function (breakpoints off)
    assert d.session.evaluate("INPUT")["value"] == "<undefined>"
    assert d.finish().value == 5


ERR = """
explode := func(m) {
  k := "x"
  v := 10 / len(m)
  return v
}
caller := func() {
  got := explode({})
  return got
}
r := caller()
export r
"""


def test_break_on_error_at_the_error_point(spell, debug):
    path = spell("e.tengo", ERR)
    d = debug(path)
    st = d.stop()
    assert st.reason == "exception" and st.line == 3 and "divide by zero" in st.message
    assert frames(st) == [("explode", 3), ("caller", 7), ("main chunk", 10)]
    assert d.locals() == {"m": "map {0}", "k": '"x"'}
    assert d.session.evaluate("len(m) + 1")["value"] == "1"
    assert d.locals(2) == {}
    res = d.finish()  # no second stop for the same error on its way out
    assert res.status == "error" and res.failure.line == 3 and "divide by zero" in res.failure.message
    assert d.session.describe()["stops"] == 1


def test_break_on_error_can_be_turned_off(spell, debug):
    path = spell("e.tengo", ERR)
    res = debug(path, break_on_error=False).finish()
    assert res.status == "error" and res.failure.line == 3

    d = debug(path, [2])
    d.stop()
    d.session.set_break_on_error(False)
    d.session.continue_()
    res = d.finish()
    assert res.status == "error" and d.session.describe()["stops"] == 1


def test_error_in_a_multi_line_statement_stops_at_its_line(spell, debug):
    path = spell(
        "m.tengo",
        """
        a := 1
        m := {
          x: a,
          y: a + "s" - 1
        }
        export m
        """,
    )
    d = debug(path)
    st = d.stop()
    assert st.reason == "exception" and st.line == 4  # the statement starts on line 2
    assert d.locals() == {"INPUT": "<undefined>", "a": "1"}
    assert d.finish().status == "error"


def test_breakpoint_in_imported_module(spell, debug):
    spell(
        "helper.tengo",
        """
        export func(x) {
          doubled := x * 2
          return doubled
        }
        """,
    )
    path = spell(
        "main.tengo",
        """
        helper := import("helper")
        v := helper(21)
        export v
        """,
    )
    d = debug(path, [(2, {"file": path.replace("main.tengo", "helper.tengo")})])
    st = d.stop()
    assert st.line == 2 and st.file.endswith("helper.tengo")
    assert [f["file"].rsplit("/", 1)[-1] for f in st.frames][-1] == "main.tengo"
    assert d.locals() == {"x": "21"}
    assert d.finish().value == 42


def test_run_to_cursor(spell, debug):
    path = spell("p.tengo", PROGRAM)
    d = debug(path, [10])
    d.stop()
    d.session.run_to_cursor(path, 8)
    st = d.stop()
    assert st.reason == "run_to_cursor" and frames(st)[0] == ("outer", 8)
    assert d.finish().value == 5  # the temporary breakpoint is gone


def test_error_in_a_tool_body_does_not_stop(spell, debug):
    path = spell(
        "t.tengo",
        """
        Tool.register("boom", "fails", {type: "object", properties: {}}, func(args) {
          zero := 0
          return 1 / zero
        })
        r := Tool.call("boom", {})
        export is_error(r)
        """,
    )
    d = debug(path)
    res = d.finish()  # the bridge catches it (as for Lua): the spell gets an error value
    assert res.ok and res.value is True and d.session.describe()["stops"] == 0


def test_evaluate_at_an_llm_call_stop(spell, debug):
    from app.debugger.session import CallBreakpoints

    path = spell(
        "llm.tengo",
        """
        topic := "owls"
        answer := LLM.complete("tell me about " + topic)
        export answer
        """,
    )
    d = debug(path, calls=CallBreakpoints(llm=True))
    st = d.stop()
    assert st.reason == "llm_call" and (st.file, st.line) == (path, 2)
    # the worker waits in the bridge call: the spell's variables are readable and evaluable
    assert d.session.evaluate('topic + "!"')["value"] == '"owls!"'
    assert "read-only" in d.session.evaluate("LLM.complete(topic)")["error"]
    assert d.finish().value == "Echo: tell me about owls"


def test_an_anonymous_function_is_named_function_in_the_stack(spell, debug):
    path = spell(
        "anon.tengo",
        """
each := func(xs, f) { for x in xs { f(x) } }
each([1], func(v) {
  w := v * 2
})
""",
    )
    d = debug(path, [3])
    st = d.stop()
    assert frames(st) == [("function", 3), ("each", 1), ("main chunk", 2)]
    assert d.finish().ok
