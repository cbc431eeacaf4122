"""Concurrency inside spells: Lua and Tengo tasks, JavaScript promises (worker event loop, cancellation, errors).

Runs through the real runner and workers against the local test server (tests/support/llm_server.py): overlap is
seen in the spans' start/end times and at the server (requests in flight at once, requests abandoned by the
client), never in wall-clock assertions.
"""

from __future__ import annotations

import time

import pytest
from support.llm_server import LLMServer

from app.runner import RunOptions


@pytest.fixture
def server(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-dummy-key-000000")
    with LLMServer() as s:
        yield s


def _settings(server: LLMServer) -> dict:
    return {"default_model": "openai/test-model", "api_base": {"openai": server.url}, "retries": 0}


def _run(runner, name: str, source: str, server: LLMServer | None = None, **kw):
    settings = _settings(server) if server is not None else {}
    return runner.run(name, source, RunOptions(settings=settings, timeout_s=kw.pop("timeout_s", 30), **kw))


def _overlapping(spans: list[dict]) -> bool:
    llm = [s for s in spans if s["kind"] == "llm"]
    return len(llm) > 1 and max(s["start"] for s in llm) < min(s["end"] for s in llm)


def _wait_for(cond, timeout: float = 30.0) -> bool:  # generous: the first call imports litellm
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.02)
    return cond()


# ------------------------------------------------------------------------------------------------------- Lua
def test_lua_tasks_make_their_calls_at_once(runner, server):
    server.delay = 0.3
    source = """
local tasks = {}
for i = 1, 4 do tasks[i] = Task.spawn(function() return LLM.complete("q" .. i) end) end
return Task.all(tasks)
"""
    result = _run(runner, "all.lua", source, server)
    assert result.ok, result.failure
    assert result.value == [f"Echo: q{i}" for i in range(1, 5)]
    assert _overlapping(result.spans)
    assert server.max_in_flight == 4
    assert sorted(s["line"] for s in result.spans if s["kind"] == "llm") == [3, 3, 3, 3]


def test_lua_await_forms_values_and_sleep(runner):
    source = """
local a = Task.spawn(function(x, y) Task.sleep(0.05); return x + y, "second" end, 20, 22)
local b = Task.spawn(function() return "b" end)
local x, second = Task.await(a)
local order = {}
local s1 = Task.spawn(function() Task.sleep(0.1); order[#order + 1] = "slow" end)
local s2 = Task.spawn(function() Task.sleep(0.01); order[#order + 1] = "fast" end)
Task.all({s1, s2})
return {x, second, b:await(), order, a:status(), a:done(), tostring(b)}
"""
    result = _run(runner, "await.lua", source)
    assert result.ok, result.failure
    assert result.value == [42, "second", "b", ["fast", "slow"], "ok", True, "Task #2 (ok)"]


def test_lua_race_with_timeout_cancels_the_losers_and_their_http_requests(runner, server):
    server.delay = 3.0
    # the first call warms the task call path (litellm's import, its async client): the timed calls then reach
    # the server well within the timeout, even on a busy machine
    source = """
Task.await(Task.spawn(function() return LLM.complete("warm", {model = "offline/echo"}) end))
local slow = {}
for i = 1, 3 do slow[i] = Task.spawn(function() return LLM.complete("slow " .. i) end) end
local ok, err = pcall(Task.timeout, 1.0, function() return Task.race(slow) end)
local states = {}
for i = 1, 3 do states[i] = slow[i]:status() end
return {ok = ok, code = err.code, line = err.line, states = states}
"""
    result = _run(runner, "race.lua", source, server)
    assert result.ok, result.failure
    assert result.value == {
        "ok": False,
        "code": "timeout",
        "line": 5,
        "states": ["cancelled", "cancelled", "cancelled"],
    }
    # the server saw each client hang up before the 3 s answer: the requests really stopped
    assert _wait_for(lambda: len(server.abandoned) == 3), server.abandoned


def test_lua_race_returns_the_first_and_cancels_the_rest(runner, server):
    server.fault("slow", seconds=10.0, when="slow")
    server.fault("after", text="slow", when="quick")  # so "slow" is at the server when the race ends
    source = """
return Task.race({
  function() return LLM.complete("slow") end,
  function() return LLM.complete("quick") end,
})
"""
    result = _run(runner, "race2.lua", source, server)
    assert result.ok, result.failure
    assert result.value == "Echo: quick"
    assert _wait_for(lambda: len(server.abandoned) == 1)


def test_lua_task_errors_carry_code_and_the_tasks_line(runner):
    source = """
local t = Task.spawn(function()
  local x = 1
  local v = JSON.decode("{not json")
  return v
end)
local ok, e = pcall(Task.await, t)
local r = Task.spawn(function()
  error("plain failure")
end)
local ok2, e2 = pcall(function() return r:await() end)
local tail = Task.spawn(function()
  return JSON.decode("{")  -- a tail call hides this line from Lua: the task's spawn line stands in
end)
local ok3, e3 = pcall(Task.await, tail)
return {e.code, e.line, ok2, e2, e3.line}
"""
    result = _run(runner, "err.lua", source)
    assert result.ok, result.failure
    code, line, ok2, text, tail_line = result.value
    assert code == "invalid_argument" and line == 4
    assert ok2 is False and text.endswith("err.lua:9: plain failure")
    assert tail_line == 12


def test_lua_uncaught_task_error_fails_the_run_at_the_tasks_line(runner):
    source = """
local t = Task.spawn(function()
  Task.sleep(0.01)
  JSON.decode("{")
end)
return Task.await(t)
"""
    result = _run(runner, "uncaught.lua", source)
    assert result.status == "error"
    assert result.failure.code == "invalid_argument" and result.failure.line == 4


def test_lua_cancel_and_unawaited_tasks(runner):
    source = """
local t = Task.spawn(function() Task.sleep(5) end)
Task.sleep(0.01)
assert(t:cancel() == true)
assert(t:cancel() == false)  -- already finished
local ok, e = pcall(Task.await, t)
local finished = false
Task.spawn(function() Task.sleep(0.05); finished = true end)  -- nobody awaits it: the run waits for it
return {ok, e.code, e.line, t:status()}
"""
    result = _run(runner, "cancel.lua", source)
    assert result.ok, result.failure
    assert result.value == [False, "cancelled", 2, "cancelled"]


def test_lua_a_failed_task_nobody_awaited_fails_the_run(runner):
    result = _run(runner, "lost.lua", 'Task.spawn(function() error("lost") end)\nreturn 1')
    assert result.status == "error" and "lost" in result.failure.message and result.failure.line == 1


def test_lua_task_any_all_failing_and_deadlock(runner):
    source = """
local ok, e = pcall(Task.any, {function() JSON.decode("{") end, function() error("x") end})
local first = Task.any({function() error("no") end, function() return "yes" end})
local t1
local t2 = Task.spawn(function() Task.sleep(0.01); return t1:await() end)
t1 = Task.spawn(function() return t2:await() end)
local ok3, e3 = pcall(Task.await, t1)
t1:cancel()  -- and t2 with it: it is what t1 waits for (left waiting, the end of the run would fail the same way)
return {ok, e.code, first, ok3, e3.code, t2:status()}
"""
    result = _run(runner, "any.lua", source)
    assert result.ok, result.failure
    assert result.value == [False, "runtime", "yes", False, "deadlock", "cancelled"]  # the first failure: error("x")


def test_lua_calls_past_the_cap_wait_in_the_worker(runner, server):
    server.delay = 0.2
    source = """
local tasks = {}
for i = 1, 20 do tasks[i] = Task.spawn(function() return LLM.complete("n" .. i) end) end
return #Task.all(tasks)
"""
    result = _run(runner, "cap.lua", source, server)  # the standard profile allows 16 at once
    assert result.ok, result.failure
    assert result.value == 20
    assert 1 < server.max_in_flight <= 16


STOPPABLE = {
    # calls under a timeout or a race (Lua), or with a signal (JS), are abortable: Stop closes their requests too
    "stop.lua": """
local ts = {}
for i = 1, 3 do ts[i] = Task.spawn(function() return LLM.complete("wait " .. i) end) end
return Task.timeout(20, function() return Task.all(ts) end)
""",
    "stop.js": """
const ac = new AbortController();
await Promise.all([1, 2, 3].map((i) => LLM.completeAsync("wait " + i, { signal: ac.signal })));
""",
}


@pytest.mark.parametrize("name", sorted(STOPPABLE))
def test_stop_cancels_every_task_and_their_requests(runner, server, name):
    server.delay = 5.0
    run = runner.start(name, STOPPABLE[name], RunOptions(settings=_settings(server), timeout_s=30))
    assert _wait_for(lambda: server.in_flight == 3)
    run.cancel()
    result = run.wait(5)
    assert result is not None and result.status == "cancelled"
    assert _wait_for(lambda: len(server.abandoned) == 3)


def test_plain_task_calls_stop_at_once_too(runner, server):
    # without a race, timeout or signal a call takes the fast path: Stop ends the run at once all the same
    server.delay = 20.0
    source = "local t = Task.spawn(function() return LLM.complete('plain') end)\nreturn t:await()"
    run = runner.start("plain.lua", source, RunOptions(settings=_settings(server), timeout_s=60))
    assert _wait_for(lambda: server.in_flight == 1)
    run.cancel()
    result = run.wait(5)  # long before the 20 s answer
    assert result is not None and result.status == "cancelled"


def test_lua_time_limit_covers_all_tasks(runner):
    source = "for i = 1, 3 do Task.spawn(function() Task.sleep(30) end) end"
    result = _run(runner, "time.lua", source, timeout_s=1)
    assert result.status == "limit" and "time limit" in result.failure.message


def test_lua_user_coroutines_inside_tasks_still_work(runner):
    source = """
local t = Task.spawn(function()
  local gen = coroutine.wrap(function() for i = 1, 3 do coroutine.yield(i) end end)
  local sum = 0
  for i = 1, 3 do sum = sum + gen() end
  coroutine.yield()  -- a plain yield in a task gives the others a turn
  return sum + JSON.decode("[4]")[1]
end)
return t:await()
"""
    result = _run(runner, "co.lua", source)
    assert result.ok, result.failure
    assert result.value == 10


def test_lua_bad_arguments_name_the_spell_line(runner):
    result = _run(runner, "bad.lua", "local x = 1\nTask.await(42)")
    assert result.status == "error"
    assert result.failure.code == "invalid_argument" and result.failure.line == 2
    assert "expected a Task" in result.failure.message


# ------------------------------------------------------------------------------------------------ JavaScript
def test_js_async_twins_run_at_once_with_native_promises(runner, server):
    server.delay = 0.3
    source = """
const prompts = ["q1", "q2", "q3", "q4"];
const answers = await Promise.all(prompts.map((p) => LLM.completeAsync(p)));
return answers;
"""
    result = _run(runner, "all.js", source, server)
    assert result.ok, result.failure
    assert result.value == [f"Echo: q{i}" for i in range(1, 5)]
    assert _overlapping(result.spans)
    assert server.max_in_flight == 4
    assert {s["line"] for s in result.spans if s["kind"] == "llm"} == {3}


#: One cancellable call first, so the host's async HTTP path is set up before the timed part: a request cancelled
#: before it left (a cold path under load) never reaches the server, which could then not see it abandoned.
WARM_ASYNC_PATH = "await LLM.completeAsync('warm', { signal: new AbortController().signal });"


def test_js_race_with_abort_signal_timeout_cancels_the_losers_and_their_http_requests(runner, server):
    server.delay = 3.0
    source = (
        WARM_ASYNC_PATH
        + """
const signal = AbortSignal.timeout(1000);  // time enough for all three to reach the server on a busy machine
const calls = [1, 2, 3].map((i) => LLM.completeAsync("slow " + i, { signal }));
try {
  await Promise.race(calls);
  return "won?";
} catch (e) {
  const settled = await Promise.allSettled(calls);
  return { code: e.code, states: settled.map((s) => s.status + ":" + s.reason.code) };
}
"""
    )
    result = _run(runner, "race.js", source, server)
    assert result.ok, result.failure
    assert result.value == {"code": "timeout", "states": ["rejected:timeout"] * 3}
    assert _wait_for(lambda: len(server.abandoned) == 3), server.abandoned


def test_js_abort_controller_cancels_one_call(runner, server):
    server.fault("slow", seconds=10.0, when="slow")
    server.fault("after", text="slow", when="quick")  # so "slow" is at the server when it is aborted
    source = (
        WARM_ASYNC_PATH
        + """
const ac = new AbortController();
const slow = LLM.completeAsync("slow", { signal: ac.signal });
const quick = await LLM.completeAsync("quick");
ac.abort();
let code = null;
try { await slow; } catch (e) { code = e.code; }
const pre = new AbortController();
pre.abort();
let early = null;
try { await JSON.encodeAsync(1, { signal: pre.signal }); } catch (e) { early = e.code; }
return [quick, code, early, ac.signal.aborted];
"""
    )
    result = _run(runner, "abort.js", source, server)
    assert result.ok, result.failure
    assert result.value == ["Echo: quick", "cancelled", "cancelled", True]
    assert _wait_for(lambda: len(server.abandoned) == 1)


def test_js_rejections_carry_code_and_line(runner):
    source = """
let caught = null;
try {
  await JSON.decodeAsync("{not json");
} catch (e) {
  caught = e;
}
const bad = await Promise.allSettled([JSON.decodeAsync("[1]"), JSON.decodeAsync("{")]);
await JSON.decodeAsync("{");
"""
    result = _run(runner, "err.js", source)
    assert result.status == "error"
    assert result.failure.code == "invalid_argument" and result.failure.line == 9


def test_js_timers_order_clear_and_sync_spells_keep_running_them(runner):
    source = """
const order = [];
setTimeout(() => order.push("b"), 30);
const cleared = setTimeout(() => order.push("never"), 10);
clearTimeout(cleared);
setTimeout(() => order.push("a"), 5);
let n = 0;
const every = setInterval(() => { n += 1; if (n === 3) clearInterval(every); }, 5);
Promise.resolve().then(() => order.push("microtask"));
await new Promise((resolve) => setTimeout(resolve, 60));
return { order, n };
"""
    result = _run(runner, "timers.js", source)
    assert result.ok, result.failure
    assert result.value == {"order": ["microtask", "a", "b"], "n": 3}
    # a spell without await: its timers and promise callbacks still run before the run ends
    result = _run(
        runner, "sync.js", 'setTimeout(() => print("tick"), 10);\nJSON.encodeAsync(1).then((t) => print("then", t));'
    )
    assert result.ok, result.failure


def test_js_async_functions_handed_to_bridges_are_awaited(runner):
    source = """
Tool.register("shout", "Upper-case a text", {type: "object", properties: {text: {type: "string"}}},
  async (args) => (await JSON.encodeAsync(args.text)).toUpperCase());
const viaAsync = await Tool.callAsync("shout", { text: "a" });
const viaSync = Tool.call("shout", { text: "b" });
const steps = Workflow.parallel([async (x) => await LLM.completeAsync("one " + x), async (x) => "two " + x],
                                { input: "x" }).output;
Tool.register("broken", "Fails", {type: "object"}, async () => { await null; throw new SpellError("timeout", "slow"); });
let code = null;
try { Tool.call("broken", {}); } catch (e) { code = e.code; }
return [viaAsync, viaSync, steps, code];
"""
    result = _run(runner, "cb.js", source)
    assert result.ok, result.failure
    assert result.value == ['"A"', '"B"', ["Echo: one x", "two x"], "tool_failed"]  # as for any script tool


def test_js_handle_methods_have_async_twins(runner):
    source = """
const agent = Agent.new({ name: "helper" });
const [a, b] = await Promise.all([agent.runAsync("one"), agent.runAsync("two")]);
return [typeof agent.runAsync, typeof a.text, typeof b.text];
"""
    result = _run(runner, "agent.js", source)
    assert result.ok, result.failure
    assert result.value == ["function", "string", "string"]


# ------------------------------------------------------------------------------------------------------ Tengo
def test_tengo_task_all_runs_bridge_calls_at_once(runner, server):
    server.delay = 0.3
    source = """
calls := []
for i := 1; i <= 4; i++ { calls = append(calls, [LLM.complete, "q" + string(i)]) }
export Task.all(calls)
"""
    result = _run(runner, "all.tengo", source, server)
    assert result.ok, result.failure
    assert result.value == [f"Echo: q{i}" for i in range(1, 5)]
    assert _overlapping(result.spans)
    assert server.max_in_flight == 4
    assert {s["line"] for s in result.spans if s["kind"] == "llm"} == {4}


def test_tengo_race_with_timeout_cancels_the_losers_and_their_http_requests(runner, server):
    server.delay = 3.0
    source = """
LLM.complete("warm", {model: "offline/echo"})  // litellm imported first: the timed calls reach the server in time
r := Task.race([[LLM.complete, "a"], [LLM.complete, "b"], [LLM.complete, "c"]], {timeout: 1.0})
export is_error(r) ? r.value : "won?"
"""
    result = _run(runner, "race.tengo", source, server)
    assert result.ok, result.failure
    assert result.value["code"] == "timeout" and "cancelled" in result.value["message"]
    assert _wait_for(lambda: len(server.abandoned) == 3), server.abandoned


def test_tengo_race_returns_the_first_and_all_reports_the_failing_call(runner, server):
    server.fault("slow", seconds=10.0, when="slow")
    server.fault("after", text="slow", when="quick")  # so "slow" is at the server when the race ends
    source = """
first := Task.race([[LLM.complete, "slow"], [LLM.complete, "quick"]])
bad := Task.all([[JSON.decode, "[1]"], [JSON.decode, "{"]])
agent := Agent.new({name: "helper"})
both := Task.all([[agent.run, "one"], [agent.run, "two"]])
export [first, bad.value.code, bad.value.index, len(both)]
"""
    result = _run(runner, "race2.tengo", source, server)
    assert result.ok, result.failure
    assert result.value == ["Echo: quick", "invalid_argument", 1, 2]
    assert _wait_for(lambda: len(server.abandoned) == 1)


def test_tengo_task_refuses_script_functions_at_the_spell_line(runner):
    result = _run(runner, "fn.tengo", "x := 1\nr := Task.all([[func() { return 1 }]])")
    assert result.status == "error" and result.failure.line == 2
    assert "script function" in result.failure.message


def test_js_a_failed_call_nothing_awaited_fails_the_run_like_an_unawaited_lua_task(runner):
    source = """
const forgotten = LLM.completeAsync("x", { model: "nope/none" });
const awaited = LLM.completeAsync("y", { model: "nope/none" });
try { await awaited; } catch (e) { }
await Promise.allSettled([LLM.completeAsync("z", { model: "nope/none" })]);
const late = LLM.completeAsync("w", { model: "nope/none" });
await new Promise((r) => setTimeout(r, 10));
late.catch(() => {});  // handled after it failed: fine
const ac = new AbortController();
const aborted = LLM.completeAsync("v", { signal: ac.signal });
ac.abort();  // a cancelled call is not news
return "done";
"""
    result = _run(runner, "forgot.js", source)
    assert not result.ok
    assert result.failure.code == "invalid_argument" and result.failure.line == 2, result.failure
    assert "nope/none" in result.failure.message
    handled = _run(runner, "handled.js", source.replace("const forgotten", "const forgotten = null; //"))
    assert handled.ok and handled.value == "done", handled.failure
