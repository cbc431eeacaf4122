"""Line breakpoints: verification, conditions, hit counts, logpoints, changes while running, required modules."""

from __future__ import annotations

import time

from app.debugger.session import BreakpointStore

LOOP = """
local function add(a, b)
  local c = a + b

  return c
end
local total = 0
for i = 1, 6 do
  total = add(total, i)
end
return total
"""


def test_breakpoint_on_blank_line_moves_to_next_code_line(spell, debug):
    path = spell("loop.lua", LOOP)
    d = debug(path, [3])
    st = d.stop()
    assert (st.reason, st.file, st.line) == ("breakpoint", path, 4)
    bp = d.session.breakpoints.for_file(path)[0]
    assert bp.verified and bp.actual_line == 4 and "line 4" in bp.message
    assert [f["name"] for f in st.frames if f["kind"] == "spell"] == ["add", "main chunk"]
    assert d.locals() == {"a": "0", "b": "1", "c": "1"}
    d.session.breakpoints.clear()
    assert d.finish().value == 21


def test_breakpoint_past_the_last_code_line_is_not_verified(spell, debug):
    path = spell("loop.lua", LOOP + "\n\n-- trailing comment\n")
    d = debug(path, [14, 9])
    assert d.stop().line == 10  # 'end' of a for loop holds no code
    by_line = {b.line: b for b in d.session.breakpoints.for_file(path)}
    assert not by_line[14].verified and "no code" in by_line[14].message
    d.session.breakpoints.clear()
    d.finish()


def test_condition_compiled_once_and_true_only(spell, debug):
    path = spell("loop.lua", LOOP)
    d = debug(path, [(4, {"condition": "a >= 6"})])
    d.stop()
    assert d.locals()["a"] == "6"
    d.session.continue_()
    assert d.stop().line == 4 and d.locals()["a"] == "10"
    d.session.breakpoints.clear()
    assert d.finish().value == 21


def test_broken_condition_is_reported_not_silently_false(spell, debug):
    path = spell("loop.lua", LOOP)
    d = debug(path, [(4, {"condition": "a >= "})])
    st = d.stop()
    assert st.reason == "condition_error" and st.line == 4
    assert "expression" in st.message or "near" in st.message
    bp = d.session.breakpoints.for_file(path)[0]
    assert bp.message and "condition error" in bp.message
    d.session.breakpoints.clear()
    d.finish()


def test_condition_that_fails_at_run_time_stops_with_the_error(spell, debug):
    path = spell("loop.lua", LOOP)
    d = debug(path, [(4, {"condition": "a.field > 1"})])
    st = d.stop()
    assert st.reason == "condition_error" and "index" in st.message
    d.session.breakpoints.clear()
    d.finish()


def test_hit_counts(spell, debug):
    path = spell("loop.lua", LOOP)
    d = debug(path, [(4, {"hit": "== 3"})])
    d.stop()
    assert d.locals()["b"] == "3"
    d.session.continue_()
    assert d.finish().ok  # == 3 hits once only

    d = debug(path, [(4, {"hit": ">= 5"})])
    d.stop()
    assert d.locals()["b"] == "5"
    d.session.continue_()
    d.stop()
    assert d.locals()["b"] == "6"
    d.finish()

    d = debug(path, [(4, {"hit": "% 2"})])
    seen = []
    for _ in range(3):
        d.stop()
        seen.append(d.locals()["b"])
        d.session.continue_()
    assert seen == ["2", "4", "6"]
    d.finish()


def test_logpoint_prints_without_stopping(spell, debug, runner):
    path = spell("loop.lua", LOOP)
    out: list[str] = []
    store = BreakpointStore()
    store.add(path, 4, log_message="b={b} sum={a + b} bad={nope.x}")
    from app.debugger.session import DebugSession

    session = DebugSession(store)

    class Obs:
        def on_output(self, stream, text):
            out.append(text)

    run = runner.debug(path, session, observer=Obs())
    res = run.wait(20)
    assert res.ok and res.value == 21
    text = "".join(out)
    assert "b=1 sum=1" in text and "b=6 sum=21" in text
    assert "{nope.x:" in text  # an expression that fails shows its error in place


def test_breakpoint_added_while_running_takes_effect(spell, debug):
    path = spell(
        "spin.lua",
        """
        local n = 0
        local function tick(i)
          return i + 1
        end
        while true do
          n = n + 1
          if n % 1000 == 0 then n = tick(n) end
        end
        """,
    )
    d = debug(path)
    deadline = time.monotonic() + 10
    while d.session.state != "running" and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.1)  # let it spin without any breakpoint (no hooks at all)
    d.session.breakpoints.add(path, 3)
    st = d.stop()
    assert (st.reason, st.line) == ("breakpoint", 3)
    assert [f["name"] for f in st.frames if f["kind"] == "spell"][:1] == ["tick"]
    # removed while stopped: continue runs on, then pause stops the spinning loop
    d.session.breakpoints.clear()
    d.session.continue_()
    time.sleep(0.05)
    d.session.pause()
    st = d.stop()
    assert st.reason == "pause" and st.line in (3, 6, 7, 8)
    d.session.stop()
    assert d.run.wait(10).status == "cancelled"


def test_pause_a_spinning_empty_loop(spell, debug):
    path = spell(
        "forever.lua",
        """
        local x = 1
        while true do end
        """,
    )
    d = debug(path)
    time.sleep(0.2)
    d.session.pause()
    st = d.stop()
    assert (st.reason, st.line) == ("pause", 2)
    assert d.locals() == {"x": "1"}
    d.session.stop()
    assert d.run.wait(10).status == "cancelled"


def test_breakpoints_in_a_required_module(spell, debug):
    mod = spell(
        "lib/util.lua",
        """
        local M = {}
        function M.double(x)
          local y = x * 2
          return y
        end
        return M
        """,
    )
    path = spell(
        "main.lua",
        """
        local util = require("lib.util")
        local r = util.double(21)
        return r
        """,
    )
    d = debug(path, [(3, {"file": mod})])
    st = d.stop()
    assert (st.file, st.line) == (mod, 3)
    assert [f["file"] for f in st.frames if f["kind"] == "spell"] == [mod, path]
    assert d.locals() == {"x": "21"}
    assert d.session.breakpoints.for_file(mod)[0].verified
    assert d.finish().value == 42


def test_breakpoint_in_module_set_after_it_loaded(spell, debug):
    mod = spell(
        "util.lua",
        """
        local M = {}
        function M.inc(x)
          return x + 1
        end
        return M
        """,
    )
    path = spell(
        "main.lua",
        """
        local util = require("util")
        local v = 0
        v = util.inc(v)
        v = util.inc(v)
        return v
        """,
    )
    d = debug(path, [3])
    d.stop()
    d.session.breakpoints.add(mod, 3)  # no prologue in util.inc: the call hook gates it
    time.sleep(0.1)
    d.session.continue_()
    st = d.stop()
    assert (st.file, st.line) == (mod, 3)
    d.session.breakpoints.clear()
    assert d.finish().value == 2


def test_run_to_cursor(spell, debug):
    path = spell("loop.lua", LOOP)
    d = debug(path, [6])
    d.stop()
    d.session.run_to_cursor(path, 10)
    st = d.stop()
    assert (st.reason, st.line) == ("run_to_cursor", 10)
    assert d.finish().value == 21


def test_no_breakpoints_debug_run_matches_plain_run(spell, debug, runner):
    path = spell("loop.lua", LOOP)
    d = debug(path)
    assert d.finish().value == runner.run(path).value == 21


def test_instrument_all_breakpoint_added_while_running(spell, debug):
    path = spell(
        "spin.lua",
        """
        local n = 0
        local function tick(i)
          return i + 1
        end
        while true do
          n = n + 1
          if n % 1000 == 0 then n = tick(n) end
        end
        """,
    )
    d = debug(path, instrument="all")
    time.sleep(0.1)
    d.session.breakpoints.add(path, 3)
    st = d.stop()
    assert (st.reason, st.line) == ("breakpoint", 3)
    d.session.stop()


def test_time_stopped_does_not_count_against_the_time_limit(spell, debug):
    path = spell("loop.lua", LOOP)
    d = debug(path, [4], timeout_s=1.0)
    d.stop()
    time.sleep(1.5)
    d.session.breakpoints.clear()
    res = d.finish()
    assert res.status == "ok" and res.value == 21


def test_pause_during_a_bridge_call_stops_right_after_it(spell, debug):
    path = spell(
        "slow.lua",
        """
        Tool.register("wait", "Sleep a little", {type = "object", properties = {}},
          function(args)
            local t = os.clock()
            while os.clock() - t < 2 do end
            return "done"
          end)
        local r = Tool.call("wait", {})
        local after = r
        return after
        """,
    )
    d = debug(path)
    time.sleep(0.3)
    d.session.pause()  # the tool's body spins inside the bridge call: it stops there, at once
    st = d.stop()
    assert st.reason == "pause" and st.line == 4
    assert [f["kind"] for f in st.frames][:3] == ["spell", "bridge", "spell"]
    d.session.stop()


def test_syntax_error_in_a_debug_run(spell, debug):
    path = spell("bad.lua", "local x = \n")
    res = debug(path).finish()
    assert res.status == "error" and res.failure.code == "syntax" and res.failure.line == 2


def test_required_module_with_syntax_error(spell, debug):
    spell("broken.lua", "return {\n")
    path = spell("main.lua", 'local ok, err = pcall(require, "broken")\nreturn tostring(ok)\n')
    assert debug(path).finish().value == "false"


def test_gating_back_into_the_breakpoint_function(spell, debug):
    """Calls out of a function holding a breakpoint (line hook off there), errors caught by pcall, tail calls:
    the line hook is back whenever control returns into it."""
    path = spell(
        "g.lua",
        """
        local function g(n) local s = 0 for i = 1, n do s = s + i end return s end
        local function f()
          local a = g(10)
          local ok = pcall(function() error("caught") end)
          local b = g(20)
          return a + b
        end
        local function t(n)
          local x = n
          return g(x)
        end
        local r = f() + t(3)
        local done = r
        return done
        """,
    )
    d = debug(path, [5, 10, 13])
    assert d.stop().line == 5 and d.locals()["a"] == "55"
    d.session.continue_()
    assert d.stop().line == 10
    d.session.continue_()
    st = d.stop()
    assert st.line == 13 and d.locals()["r"] == "271"
    assert d.finish().value == 271


TASKS = """
local function work(n)
  local doubled = n * 2
  return doubled
end
local a = Task.spawn(work, 1)
local b = Task.spawn(work, 2)
local r = Task.all({a, b})
return r[1] + r[2]
"""


def test_breakpoint_inside_a_task_stops_in_the_task_and_names_it(spell, debug):
    path = spell("tasks.lua", TASKS)
    d = debug(path, [2])
    st = d.stop()
    assert (st.reason, st.line) == ("breakpoint", 2)
    spell_frames = [(f["line"], f["thread"]) for f in st.frames if f["kind"] == "spell"]
    # the task's frame, the main chunk that runs the tasks while it waits in Task.all, then the other task
    # (spawned, not started yet: no frame of its own to show)
    assert spell_frames[:2] == [(2, "task #1"), (7, "main")]
    assert d.locals()["n"] == "1"
    st = d.step("step_over")  # stepping stays in the task
    assert st.line == 3 and st.frames[0]["thread"] == "task #1" and d.locals()["doubled"] == "2"
    d.session.continue_()
    st = d.stop()
    assert st.frames[0]["thread"] == "task #2" and d.locals()["n"] == "2"
    d.session.breakpoints.clear()
    assert d.finish().value == 6


WAITING = """
local function slow() Task.sleep(5) end
local function work(n)
  local doubled = n * 2
  return doubled
end
local s = Task.spawn(slow)
local w = Task.spawn(work, 1)
local r = w:await()
s:cancel()
return r
"""


def test_the_stack_lists_the_other_waiting_tasks(spell, debug):
    path = spell("waiting.lua", WAITING)
    d = debug(path, [3])
    st = d.stop()
    spell_frames = [(f["line"], f["thread"]) for f in st.frames if f["kind"] == "spell"]
    assert spell_frames[:2] == [(3, "task #2"), (8, "main")]
    assert (1, "task #1 (waiting)") in spell_frames  # the sleeping task, where it waits
    waiting = next(f for f in st.frames if f["thread"] == "task #1 (waiting)")
    assert waiting["id"] > 2 and d.locals(waiting["id"]) == {}  # inspectable like any frame
    d.session.breakpoints.clear()
    assert d.finish().value == 2
