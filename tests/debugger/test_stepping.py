"""Stepping (in, over, out), coroutines (create and wrap), errors in pcall, break on uncaught errors."""

from __future__ import annotations

PROGRAM = """
local function inner(x)
  local y = x + 1
  return y
end
local function outer(x)
  local a = inner(x)
  local b = a * 2
  return b
end
local r = outer(1)
local s = r + 1
return s
"""


def lua_frames(st):
    return [(f["name"], f["line"]) for f in st.frames if f["kind"] == "spell"]


def test_step_in_over_out(spell, debug):
    path = spell("p.lua", PROGRAM)
    d = debug(path, [10])
    assert d.stop().line == 10
    st = d.step("step_in")
    assert lua_frames(st)[0] == ("outer", 6)
    st = d.step("step_in")
    assert lua_frames(st)[0] == ("inner", 2)
    st = d.step("step_out")
    assert lua_frames(st)[0] == ("outer", 6) or lua_frames(st)[0] == ("outer", 7)
    st = d.step("step_over")
    assert lua_frames(st)[0][0] == "outer"
    st = d.step("step_out")
    assert lua_frames(st) in ([("main chunk", 10)], [("main chunk", 11)])
    st = d.step("step_over")
    assert st.line in (11, 12)
    assert d.finish().value == 5


def test_step_over_does_not_enter_calls(spell, debug):
    path = spell("p.lua", PROGRAM)
    d = debug(path, [10])
    d.stop()
    st = d.step("step_over")
    assert lua_frames(st) == [("main chunk", 11)]
    assert d.finish().value == 5


def test_error_in_pcall_does_not_confuse_step_depth(spell, debug):
    path = spell(
        "p.lua",
        """
        local function bad(n)
          local z = n.missing.field
          return z
        end
        local ok, err = pcall(bad, {})
        local after = ok
        return tostring(after)
        """,
    )
    d = debug(path, [5])
    d.stop()
    st = d.step("step_over")
    assert lua_frames(st) == [("main chunk", 6)]
    # step into bad and out through the error: we land back in the main chunk, not lost in a deeper frame
    d2 = debug(path, [5])
    d2.stop()
    st = d2.step("step_in")
    assert lua_frames(st)[0] == ("bad", 2)
    st = d2.step("step_over")
    assert lua_frames(st) == [("main chunk", 6)]
    assert d2.finish().value == "false"
    assert d.finish().value == "false"


def test_errors_caught_by_pcall_do_not_break(spell, debug):
    path = spell(
        "p.lua",
        """
        local ok = pcall(function() error("handled") end)
        return ok
        """,
    )
    d = debug(path)
    assert d.finish().value is False


def test_break_on_uncaught_error_at_the_error_point(spell, debug):
    path = spell(
        "p.lua",
        """
        local function explode(t)
          local k = "x"
          return t.a.b
        end
        local function caller()
          local v = explode({})
          return v
        end
        local r = caller()
        return r
        """,
    )
    d = debug(path)
    st = d.stop()
    assert st.reason == "exception" and "index" in st.message
    assert lua_frames(st)[:2] == [("explode", 3), ("caller", 6)]
    assert d.locals() == {"t": "{}", "k": '"x"'}
    res = d.finish()
    assert res.status == "error" and res.failure.line == 3


def test_break_on_error_can_be_turned_off(spell, debug):
    path = spell("p.lua", 'error("boom")\n')
    d = debug(path, break_on_error=False)
    assert d.finish().status == "error"


def test_coroutine_create_breakpoint_and_stepping_stays_in_coroutine(spell, debug):
    path = spell(
        "co.lua",
        """
        local log = {}
        local co = coroutine.create(function(a)
          local x = a + 1
          local b = coroutine.yield(x)
          local y = b * 2
          return y
        end)
        local ok1, v1 = coroutine.resume(co, 1)
        log[#log + 1] = v1
        local ok2, v2 = coroutine.resume(co, 10)
        log[#log + 1] = v2
        return log
        """,
    )
    d = debug(path, [3])
    st = d.stop()
    assert st.data["thread"] == "coroutine"
    # the coroutine's frames, then the resumer's (each labelled with its thread)
    frames = [(f["line"], f["thread"]) for f in st.frames if f["kind"] == "spell"]
    assert frames == [(3, "coroutine"), (8, "main")]
    assert d.locals(2)["co"].startswith("thread")  # the resumer's locals are readable too
    st = d.step("step_over")
    assert st.line == 4
    st = d.step("step_over")  # over the yield: the coroutine's next line, after the main chunk resumes it
    assert st.line == 5 and st.data["thread"] == "coroutine"
    assert d.locals()["b"] == "10"
    assert d.finish().value == [2, 20]


def test_coroutine_wrap_generator(spell, debug):
    path = spell(
        "gen.lua",
        """
        local function range(n)
          return coroutine.wrap(function()
            for i = 1, n do
              coroutine.yield(i)
            end
          end)
        end
        local sum = 0
        for v in range(4) do
          sum = sum + v
        end
        return sum
        """,
    )
    d = debug(path, [(4, {"hit": "== 3"})])
    st = d.stop()
    assert st.data["thread"] == "coroutine"
    assert d.locals()["i"] == "3"
    assert d.finish().value == 10


def test_step_in_follows_coroutine_resume(spell, debug):
    path = spell(
        "co2.lua",
        """
        local co = coroutine.create(function()
          local inside = 1
          return inside
        end)
        coroutine.resume(co)
        return 1
        """,
    )
    d = debug(path, [5])
    d.stop()
    st = d.step("step_in")
    assert st.line == 2 and st.data["thread"] == "coroutine"
    st = d.step("step_over")
    assert st.line == 3
    st = d.step("step_over")  # the coroutine ends: stepping continues in the resumer
    assert st.data["thread"] == "main" and st.line == 6
    d.finish()


def test_wrap_errors_keep_lua_semantics(spell, debug, runner):
    path = spell(
        "w.lua",
        """
        local f = coroutine.wrap(function() error("inside") end)
        local ok, err = pcall(f)
        local g = coroutine.wrap(function() return 1 end)
        g()
        local ok2, err2 = pcall(g)
        return {ok, err, ok2, err2}
        """,
    )
    plain = runner.run(path).value
    d = debug(path)
    assert d.finish().value == plain


def test_require_and_tool_callbacks_inside_a_resumed_coroutine(spell, debug, runner):
    spell(
        "m.lua",
        """
        local M = {}
        function M.twice(x)
          local y = x * 2
          return y
        end
        return M
        """,
    )
    path = spell(
        "main.lua",
        """
        Tool.register("up", "upper", {type = "object", properties = {text = {type = "string"}}},
          function(args)
            return string.upper(args.text)
          end)
        local co = coroutine.create(function()
          local m = require("m")
          return m.twice(21), Tool.call("up", {text = "abc"}), JSON.decode("[1,2]")
        end)
        local ok, a, b, c = coroutine.resume(co)
        return {ok, a, b, c}
        """,
    )
    expected = [True, 42, "ABC", [1, 2]]
    assert runner.run(path).value == expected
    d = debug(path, [(3, {"file": path.replace("main.lua", "m.lua")}), 3])
    st = d.stop()
    assert st.line == 3 and st.data["thread"] == "coroutine" and d.locals()["x"] == "21"
    d.session.continue_()
    st = d.stop()
    assert st.line == 3 and st.file == path and d.locals()["args"].startswith("table")
    # the tool body runs on the main coroutine; the logical stack continues in the coroutine that called Tool.call
    assert [(f["kind"], f.get("line"), f["thread"]) for f in st.frames] == [
        ("spell", 3, "main"),
        ("bridge", None, "coroutine"),
        ("spell", 7, "coroutine"),
        ("spell", 9, "main"),
    ]
    assert st.frames[1]["name"] == "Tool.call"
    assert d.locals(3)["m"].startswith("table")  # the coroutine's frame, below the bridge call
    assert d.finish().value == expected


def test_step_into_a_bridge_call_that_runs_a_script_function(spell, debug):
    path = spell(
        "st.lua",
        """
        Tool.register("up", "upper", {type = "object", properties = {text = {type = "string"}}},
          function(args)
            local t = args.text
            return string.upper(t)
          end)
        local co = coroutine.wrap(function()
          local r = Tool.call("up", {text = "x"})
          return r
        end)
        return co()
        """,
    )
    d = debug(path, [7])
    assert d.stop().data["thread"] == "coroutine"
    st = d.step("step_in")
    assert (st.line, st.data["thread"]) == (3, "main")
    assert [f["kind"] for f in st.frames][:3] == ["spell", "bridge", "spell"]
    assert d.finish().value == "X"


def test_break_on_error_switched_off_during_the_run(spell, debug):
    path = spell("p.lua", 'local x = 1\nlocal y = x\nerror("boom")\n')
    d = debug(path, [1])
    d.stop()
    d.session.set_break_on_error(False)
    d.session.continue_()
    assert d.finish().status == "error"


def test_uncaught_error_in_a_wrapped_coroutine_stops_where_it_happened(spell, debug):
    path = spell(
        "ce.lua",
        """
        local gen = coroutine.wrap(function(n)
          local inside = n * 2
          error("bad " .. inside)
        end)
        local function use(v)
          local r = gen(v)
          return r
        end
        local out = use(21)
        return out
        """,
    )
    d = debug(path)
    st = d.stop()
    assert st.reason == "exception" and "bad 42" in st.message
    assert [(f["line"], f["thread"]) for f in st.frames if f["kind"] == "spell"] == [
        (3, "coroutine"),
        (6, "main"),
        (9, "main"),
    ]
    assert d.locals()["inside"] == "42"
    res = d.finish()  # no second stop for the same error on its way out
    assert res.status == "error" and "bad 42" in res.failure.message
