"""The runner's public API as the IDE uses it: background runs, observers, stop, REPL sessions, check."""

from __future__ import annotations

import threading
import time

import pytest

from app.runner import RunOptions


class Recorder:
    def __init__(self):
        self.output = []
        self.finished = threading.Event()
        self.result = None

    def on_output(self, stream, text):
        self.output.append((stream, text))

    def on_span(self, span):
        pass

    def on_finished(self, result):
        self.result = result
        self.finished.set()


def test_start_streams_output_and_reports_the_end(runner):
    rec = Recorder()
    run = runner.start("s.lua", "print('a')\nLog.warn('careful')\nprint('b')\nreturn 7", RunOptions(), rec)
    assert rec.finished.wait(20)
    assert run.done and run.result.value == 7
    assert rec.output == [("stdout", "a\n"), ("warn", "careful\n"), ("stdout", "b\n")]


def test_output_arrives_while_the_spell_is_still_running(runner):
    rec = Recorder()
    run = runner.start("live.lua", "print('early')\nwhile true do end", RunOptions(timeout_s=10), rec)
    deadline = time.monotonic() + 10
    while not rec.output and time.monotonic() < deadline:
        time.sleep(0.01)
    assert rec.output == [("stdout", "early\n")]
    assert not run.done
    run.cancel()
    assert run.wait(5).status == "cancelled"


def test_cancel_before_the_worker_is_attached(runner):
    run = runner.start("c.js", "for (;;) {}", RunOptions(timeout_s=30))
    run.cancel()
    assert run.wait(10).status == "cancelled"


def test_lua_repl_keeps_state_between_entries(runner):
    session = runner.repl("lua")
    try:
        assert session.eval("x = 20").status == "ok"
        assert session.eval("x + 22").value == 42
        rec = Recorder()
        assert session.eval("print('hi', JSON.encode({1}))", rec).status == "ok"
        assert rec.output == [("stdout", "hi\t[1]\n")]
        err = session.eval("nope(")
        assert err.status == "error" and err.failure.code == "syntax"
        assert session.eval("x").value == 20
    finally:
        session.close()


def test_js_repl_keeps_state_between_entries(runner):
    session = runner.repl("js")
    try:
        assert session.eval("var x = 20; let y = 2;").status == "ok"
        assert session.eval("x + y + 20").value == 42
        assert session.eval("JSON.encode({a: [1]})").value == '{"a":[1]}'
        err = session.eval("undefinedThing()")
        assert err.status == "error" and "undefinedThing" in err.failure.message
        assert session.eval("x").value == 20
    finally:
        session.close()


def test_repl_survives_a_hung_entry_by_starting_over(runner):
    session = runner.repl("lua", RunOptions(timeout_s=0.5))
    try:
        assert session.eval("while true do end").status == "limit"
        assert session.eval("1 + 1").value == 2
    finally:
        session.close()


def test_check_finds_syntax_errors_in_a_worker(runner):
    diags = runner.check("local x = \n", "a.lua")
    assert [(d.line, d.message) for d in diags] == [(2, "unexpected symbol near <eof>")]
    assert runner.check("let ok = 1;", "b.js") == []


# Calls in flight: the thread that reads a bridge call serves it; the run's own thread stays free to report -----
def _wait_for(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not predicate() and time.monotonic() < deadline:
        time.sleep(0.01)
    return predicate()


def _server_settings(server):
    return {"default_model": "openai/test-model", "api_base": {"openai": server.url}, "retries": 0}


def test_stop_during_an_llm_call_reports_at_once(runner, monkeypatch):
    from support.llm_server import LLMServer

    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-dummy-key-000000")
    with LLMServer() as server:
        server.fault("slow", seconds=5)
        run = runner.start(
            "stop.lua", "return LLM.complete('hold on')", RunOptions(settings=_server_settings(server), timeout_s=30)
        )
        assert _wait_for(lambda: server.chat_requests())
        started = time.monotonic()
        run.cancel()
        result = run.wait(3)
        assert result is not None and result.status == "cancelled"
        assert time.monotonic() - started < 2.5  # not when the 5 s answer comes


def test_time_limit_during_an_llm_call_reports_at_once(runner, monkeypatch):
    from support.llm_server import LLMServer

    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-dummy-key-000000")
    with LLMServer() as server:
        server.fault("slow", seconds=5)
        started = time.monotonic()
        result = runner.run(
            "slow.lua", "return LLM.complete('hold on')", RunOptions(settings=_server_settings(server), timeout_s=1)
        )
        assert result.status == "limit" and "time limit" in result.failure.message
        assert time.monotonic() - started < 4


def test_calls_callbacks_and_output_interleave_in_order(runner):
    # Hooks call back into the spell while a call is served (another thread must read their results); plain
    # calls in between are served by the thread that read them. Output keeps its order throughout.
    source = """
local seen = 0
Hook.register("before_llm", function(req) seen = seen + 1 end)
local answers = {}
for i = 1, 30 do
  print("call " .. i)
  answers[#answers + 1] = LLM.complete("question " .. i)
  if i % 10 == 0 then Log.info("ten more") end
end
local again = LLM.complete("question 1")
return {count = #answers, hooks = seen, same = answers[1] == again}
"""
    rec = Recorder()
    run = runner.start("mix.lua", source, RunOptions(timeout_s=60), rec)
    assert rec.finished.wait(60)
    assert run.result.ok, run.result.failure
    assert run.result.value == {"count": 30, "hooks": 31, "same": True}
    prints = [text for stream, text in rec.output if stream == "stdout"]
    assert prints == [f"call {i}\n" for i in range(1, 31)]
    assert [text for stream, text in rec.output if stream == "info"] == ["ten more\n"] * 3


def test_parallel_function_steps_overlap_their_llm_calls(runner, monkeypatch):
    # Each step is a script function (a callback) that calls LLM.complete: while one call is served, the other
    # steps' calls must still be read and served, so all of them are in flight at once.
    from support.llm_server import LLMServer

    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-dummy-key-000000")
    source = """
local steps = {}
for i = 1, 4 do steps[i] = function() return LLM.complete("step " .. i) end end
return Workflow.parallel(steps, {max_concurrency = 4}).output
"""
    with LLMServer(delay=0.3) as server:
        result = runner.run("par.lua", source, RunOptions(settings=_server_settings(server), timeout_s=60))
    assert result.ok, result.failure
    assert result.value == [f"Echo: step {i}" for i in range(1, 5)]
    llm = [s for s in result.spans if s["kind"] == "llm"]
    assert len(llm) == 4
    assert max(s["start"] for s in llm) < min(s["end"] for s in llm)  # all four requests were in flight at once


def test_a_spell_that_fails_because_it_was_stopped_reports_cancelled():
    # Stop sets the run's cancelled flag, then kills the worker. If the spell gets the "cancelled" error of a
    # bridge call and finishes first, the run still reports that the user stopped it, not a spell error.
    from app.runner import Runner

    private = Runner(warm={"lua": 0})  # its worker is tampered with below: never the shared pool's
    try:
        run = private.start("loop.lua", "while true do LLM.complete('again') end", RunOptions(timeout_s=60))
        assert _wait_for(lambda: run.worker is not None and run.ctx is not None)
        worker = run.worker
        worker.kill = lambda reason: None  # the worker lives on: the spell itself ends with the error
        run.cancel()
        result = run.wait(30)
        del worker.kill
        assert result is not None and result.status == "cancelled"
        assert result.failure.message == "stopped by the user"
    finally:
        private.shutdown()


def test_debug_commands_go_through_the_runs_guarded_send(runner, tmp_path):
    """A debug session talks to its run's worker only while the run lasts: once it ended (its worker may already
    serve another run) a command is refused instead of reaching that worker."""
    from app.debugger.session import DebugError, DebugSession, DebugState
    from app.engines.protocol import DebugCommand
    from app.runs import RunStatus

    path = tmp_path / "quick.lua"
    path.write_text("local x = 1\nreturn x + 1\n")
    session = DebugSession()
    run = runner.debug(str(path), session)
    result = run.wait(30)
    assert result is not None and result.status == RunStatus.OK and result.value == 2
    assert run.debug is session and session.wait_ended(10) and session.state == DebugState.ENDED
    assert run.send_debug(DebugCommand("pause", {}, 0)) is False
    with pytest.raises(DebugError):
        session.pause()
