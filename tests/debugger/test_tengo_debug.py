"""Tengo spells under the debugger: the same session and protocol as Lua (app/debugger/tengo_agent.py)."""
from __future__ import annotations

import time
from typing import Any, Iterator

import pytest

@pytest.fixture(scope="module")
def runner() -> Iterator[Any]:
    """Warm Tengo workers, started by the pool's own thread (a cold worker spawned from a run's thread dies
    with that thread: PR_SET_PDEATHSIG; the shared session runner warms Lua and JS only)."""
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
    return [(f["name"], f["line"]) for f in st.frames if f["kind"] == "lua"]


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
    d = debug(path, [4])           # the closing brace of inner: the next code is line 5
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
    path = spell("loop.tengo", """
        total := 0
        for i := 0; i < 3; i++ {
          total += i
        }
        export total
        """)
    d = debug(path, [3])
    seen = []
    for _ in range(3):
        seen.append(d.locals()["i"] if d.stop() else None)
        d.session.continue_()
    res = d.run.wait(20)
    assert res is not None and res.ok and res.value == 3
    assert seen == ["0", "1", "2"]


def test_pause_a_spinning_loop(spell, debug):
    path = spell("spin.tengo", """
        n := 0
        for {
          n += 1
        }
        """)
    d = debug(path, timeout_s=30)
    time.sleep(0.5)
    d.session.pause()
    st = d.stop()
    assert st.reason == "pause"
    assert st.line in (2, 3)
    assert int(d.locals()["n"]) > 0
    d.run.cancel()


def test_breakpoint_added_while_running(spell, debug):
    path = spell("spin.tengo", """
        n := 0
        for {
          n += 1
          if n > 100000000 { break }
        }
        export n
        """)
    d = debug(path, timeout_s=30)
    time.sleep(0.3)
    d.session.breakpoints.add(path, 3)
    st = d.stop()
    assert st.reason == "breakpoint" and st.line == 3
    d.run.cancel()


def test_arrays_and_maps_expand(spell, debug):
    path = spell("data.tengo", """
        m := {a: 1, b: [10, "x"]}
        long := ""
        for i := 0; i < 300; i++ { long += "z" }
        export len(long)
        """)
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


def test_hit_count_and_unsupported_condition(spell, debug):
    path = spell("loop.tengo", """
        total := 0
        for i := 0; i < 5; i++ {
          total += i
        }
        export total
        """)
    d = debug(path, [(3, {"hit": "== 3"}), (5, {"condition": "total > 1"})])
    st = d.stop()
    assert st.line == 3 and d.locals()["i"] == "2"
    bps = {b.line: b for b in d.session.breakpoints.for_file(path)}
    assert bps[3].verified
    assert not bps[5].verified and "not supported" in (bps[5].message or "")
    assert d.finish().value == 10


def test_breakpoint_in_imported_module(spell, debug):
    spell("helper.tengo", """
        export func(x) {
          doubled := x * 2
          return doubled
        }
        """)
    path = spell("main.tengo", """
        helper := import("helper")
        v := helper(21)
        export v
        """)
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
    assert d.finish().value == 5      # the temporary breakpoint is gone
