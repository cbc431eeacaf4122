"""End to end through the runner: the examples in Lua and JS on the offline model, and spells against the local
server (faults included), record/replay and traces, from both languages."""

from __future__ import annotations

import json
import os
import textwrap
from typing import Any

import pytest

from app.runner import RunOptions

EXAMPLES = os.path.join(os.path.dirname(__file__), "..", "..", "examples")

#: example → lines its output must contain (Lua and JS print the same).
EXPECTED: dict[str, list[str]] = {
    "chat": [
        "user: Hi, my name is Ada.",
        "assistant: Echo: Hi, my name is Ada.",
        "assistant: Echo: What is my name?",
        "agent: Echo: Which number did I mention?",
        "agent history: 4 messages",
    ],
    "streaming": [
        "streamed 9 chunks: Echo: Tell a tiny story about a brave owl",
        "stopped after 3 chunks: Echo: one two ",
    ],
    "extraction": [
        "Ada Lovelace (born 1815), mathematics",
        "languages: English, French",
        "bad schema -> invalid_argument",
    ],
    "custom_tool_agent": [
        "get_weather returned sunny, 21 C",
        "  step 1: get_weather(Paris) -> sunny, 21 C",
        "to_fahrenheit returned 69.8",
        "steps: 2, tokens: 45",
    ],
    "research_agent": [
        "calculator returned 210",
        "text returned 4",
        "latest: Owls Revisited",
        "years: 2019, 2024",
        "has datetime: true",
    ],
    "content_pipeline": [
        "outline: Echo: Outline a short article about urban beekeeping",
        "gate: 15 words, on topic: true",
        "branch: publish",
        "PUBLISHED: Echo: Write the article from this outline: Echo: Outline a short article about urban beekeeping",
    ],
    "parallel_analysts": [
        "optimist: Echo: As an optimist, analyse: Should our team adopt a four-day work week?",
        "skeptic: Echo: As a skeptic, analyse: Should our team adopt a four-day work week?",
        "economist: Echo: As an economist, analyse: Should our team adopt a four-day work week?",
        "synthesis: Echo: Views: Echo: As an optimist",
    ],
    "moderation": [
        "approved #1",
        "flagged #2 (mentions spam)",
        "approved #3",
        "flagged #4 (mentions scam)",
        "first flagged: Buy cheap SPAM now",
        "approved 2, flagged 2",
    ],
    "cost_hooks": [
        "1. Echo: What is a hook?",
        "3. Echo: What is a hook?",
        "5. refused: cancelled (before_llm hook 'budget' cancelled the call: token budget of 30 reached)",
        "ledger: 3 calls, 34 tokens, $0.0",
        "LLM.usage: 3 calls, 34 tokens",
    ],
}


class Collect:
    def __init__(self) -> None:
        self.out: list[str] = []
        self.spans: list[dict[str, Any]] = []

    def on_output(self, stream: str, text: str) -> None:
        self.out.append(text)

    def on_span(self, span: dict[str, Any]) -> None:
        self.spans.append(span)

    def on_finished(self, result: Any) -> None:
        pass

    @property
    def lines(self) -> list[str]:
        return "".join(self.out).splitlines()


def run_spell(runner: Any, path: str, source: str | None = None, **options: Any) -> tuple[Any, Collect]:
    obs = Collect()
    result = runner.run(path, source, RunOptions(**options), observer=obs)
    return result, obs


@pytest.mark.parametrize("lang", ["lua", "js"])
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_example(runner, name, lang):
    result, obs = run_spell(runner, os.path.join(EXAMPLES, f"{name}.{lang}"))
    assert result.ok, result.failure
    for line in EXPECTED[name]:
        assert any(got.startswith(line) for got in obs.lines), (line, obs.lines)


@pytest.mark.parametrize("lang", ["lua", "js"])
def test_state_example_counts_runs(runner, lang):
    path = os.path.join(EXAMPLES, f"state_across_runs.{lang}")
    for n in (1, 2):
        result, obs = run_spell(runner, path)
        assert result.ok, result.failure
        assert f"run #{n}" in obs.lines and result.value == {"runs": n}
    assert "workspace keys: demo.notes, demo.runs" in obs.lines


SERVER_SPELL = {
    "lua": """
        local out = {}
        out.complete = LLM.complete("hi there")
        local msg = LLM.chat({{role = "user", content = "use the calculator to compute 2*21"}},
                             {tools = {"calculator"}})
        out.tool = msg.tool_calls[1].name .. " " .. msg.tool_calls[1].arguments.expression
        local chunks = {}
        out.stream = LLM.stream("a b", function(c) chunks[#chunks + 1] = c end)
        out.chunks = #chunks
        out.person = LLM.structured("name: Ada, age: 36", {type = "object",
          properties = {name = {type = "string"}, age = {type = "integer"}}, required = {"name", "age"}})
        out.dims = #LLM.embed("hello", {model = "openai/text-embedding-3-small"})
        out.agent = Agent.new({tools = {"calculator"}}):run("calculator 6*7").text
        local ok, err = pcall(LLM.complete, "denied")
        out.error = err.code .. " " .. tostring(err.retryable)
        out.parallel = Workflow.parallel({"one {{input}}", "two {{input}}"}, {input = "x"}).output
        return out
    """,
    "js": """
        const out = {};
        out.complete = LLM.complete("hi there");
        const msg = LLM.chat([{role: "user", content: "use the calculator to compute 2*21"}], {tools: ["calculator"]});
        out.tool = msg.tool_calls[0].name + " " + msg.tool_calls[0].arguments.expression;
        const chunks = [];
        out.stream = LLM.stream("a b", (c) => { chunks.push(c); });
        out.chunks = chunks.length;
        out.person = LLM.structured("name: Ada, age: 36", {type: "object",
          properties: {name: {type: "string"}, age: {type: "integer"}}, required: ["name", "age"]});
        out.dims = LLM.embed("hello", {model: "openai/text-embedding-3-small"}).length;
        out.agent = Agent.new({tools: ["calculator"]}).run("calculator 6*7").text;
        try { LLM.complete("denied"); } catch (e) { out.error = e.code + " " + e.retryable; }
        out.parallel = Workflow.parallel(["one {{input}}", "two {{input}}"], {input: "x"}).output;
        return out;
    """,
}


@pytest.mark.parametrize("lang", ["lua", "js"])
def test_spell_against_server_with_faults(runner, llm_server, lang):
    llm_server.fault("429", retry_after=0.01)  # the first call is rate limited, then retried
    llm_server.fault("401", when="denied")
    settings = {"default_model": "openai/test-model", "api_base": {"openai": llm_server.url}, "retry_base_delay": 0.01}
    result, obs = run_spell(runner, f"server_spell.{lang}", textwrap.dedent(SERVER_SPELL[lang]), settings=settings)
    assert result.ok, result.failure
    v = result.value
    assert v["complete"] == "Echo: hi there" and v["tool"] == "calculator 2*21"
    assert v["stream"] == "Echo: a b" and v["chunks"] == 3
    assert v["person"] == {"name": "Ada", "age": 36} and v["dims"] == 32
    assert v["agent"] == "calculator returned 42"
    assert v["error"] == "authentication false"
    assert v["parallel"] == ["Echo: one x", "Echo: two x"]
    first = next(s for s in result.spans if s["kind"] == "llm")
    assert first["response"]["attempts"][0]["error"] == "rate_limited"
    assert first["line"] == 3  # the source starts with a newline


@pytest.mark.parametrize("recorder, replayer", [("lua", "js"), ("js", "lua")])
def test_record_in_one_language_replay_in_the_other(runner, llm_server, tmp_path, recorder, replayer):
    cassette = str(tmp_path / "cassette.json")
    base = {"default_model": "openai/test-model", "api_base": {"openai": llm_server.url}}
    sources = {
        "lua": 'local t = {} ; LLM.stream("x y", function(c) t[#t+1] = c end)\n'
        'return {LLM.complete("hello"), #t, LLM.chat({{role="user", content="calculator 1+1"}}, '
        '{tools={"calculator"}}).tool_calls[1].name}',
        "js": 'const t = []; LLM.stream("x y", (c) => { t.push(c); });\n'
        'return [LLM.complete("hello"), t.length, LLM.chat([{role: "user", content: "calculator 1+1"}], '
        '{tools: ["calculator"]}).tool_calls[0].name];',
    }
    rec, _ = run_spell(runner, f"a.{recorder}", sources[recorder], settings={**base, "record": cassette})
    assert rec.ok, rec.failure
    n = len(llm_server.requests)
    rep, _ = run_spell(
        runner,
        f"b.{replayer}",
        sources[replayer],
        settings={**base, "replay": cassette, "api_base": {"openai": "http://127.0.0.1:9/v1"}},
    )
    assert rep.ok, rep.failure
    assert rep.value == rec.value == ["Echo: hello", 3, "calculator"]
    assert len(llm_server.requests) == n
    missing, _ = run_spell(runner, "c.lua", 'return LLM.complete("not recorded")', settings={"replay": cassette})
    assert missing.failure.code == "not_found" and "not recorded" in missing.failure.message


@pytest.mark.parametrize("lang", ["lua", "js"])
def test_trace_spans_point_at_spell_lines(runner, lang, tmp_path):
    source = {
        "lua": 'local a = Agent.new({tools = {"calculator"}})\nlocal r = a:run("calculator 2+2")\n'
        'local done = LLM.complete("done")\nreturn done',
        "js": 'const a = Agent.new({tools: ["calculator"]});\nconst r = a.run("calculator 2+2");\n'
        'const done = LLM.complete("done");\nreturn done;',
    }[lang]
    result, obs = run_spell(runner, str(tmp_path / f"t.{lang}"), source)
    assert result.ok, result.failure
    spans = result.spans
    assert [s["kind"] for s in spans] == ["agent", "agent_step", "llm", "tool", "agent_step", "llm", "llm"]
    assert all(s["file"].endswith(f"t.{lang}") for s in spans)
    assert len(obs.spans) == 2 * len(spans)  # live: at start and at end
    json.dumps(spans)  # JSON-ready for --trace
    assert [s["line"] for s in spans] == [2, 2, 2, 2, 2, 2, 3]


#: name → (faults to queue, Lua source, JS source, expected result); run against the local server.
CASES: dict[str, tuple[list[dict[str, Any]], str, str, Any]] = {
    "500 then ok": ([{"kind": "500"}], 'return LLM.complete("a")', 'return LLM.complete("a");', "Echo: a"),
    "malformed then ok": ([{"kind": "malformed"}], 'return LLM.complete("b")', 'return LLM.complete("b");', "Echo: b"),
    "timeout": (
        [{"kind": "timeout", "seconds": 1.5}],
        'local ok, e = pcall(LLM.complete, "c", {timeout = 0.3, retries = 0}); return e.code',
        'try { LLM.complete("c", {timeout: 0.3, retries: 0}); } catch (e) { return e.code; }',
        "timeout",
    ),
    "context length": (
        [{"kind": "context"}],
        'local ok, e = pcall(LLM.complete, "d"); return {e.code, e.retryable}',
        'try { LLM.complete("d"); } catch (e) { return [e.code, e.retryable]; }',
        ["context_length", False],
    ),
    "disconnect mid-stream": (
        [{"kind": "disconnect", "after": 3}],
        'local got = {}\nlocal ok, e = pcall(LLM.stream, "e f g h", function(c) got[#got + 1] = c end)\n'
        "return {e.code, table.concat(got)}",
        'const got = [];\ntry { LLM.stream("e f g h", (c) => { got.push(c); }); }\n'
        'catch (e) { return [e.code, got.join("")]; }',
        ["network", "Echo: e "],
    ),
    "slow first byte": (
        [{"kind": "slow", "seconds": 0.3}],
        'return LLM.complete("s", {timeout = 5})',
        'return LLM.complete("s", {timeout: 5});',
        "Echo: s",
    ),
    "fallback": (
        [{"kind": "401"}],
        'return LLM.complete("f", {fallbacks = {"offline/echo"}})',
        'return LLM.complete("f", {fallbacks: ["offline/echo"]});',
        "Echo: f",
    ),
    "tool + hook": (
        [],
        """
        Tool.register("shout", "Upper-case", {type = "object", properties = {text = {type = "string"}}},
          function(a) return string.upper(a.text) end)
        Hook.register("after_tool", function(ev) return {result = ev.result .. "!"} end)
        return Agent.new({tools = {"shout"}}):run('shout text="hey"').text""",
        """
        Tool.register("shout", "Upper-case", {type: "object", properties: {text: {type: "string"}}},
          (a) => a.text.toUpperCase());
        Hook.register("after_tool", (ev) => ({result: ev.result + "!"}));
        return Agent.new({tools: ["shout"]}).run('shout text="hey"').text;""",
        "shout returned HEY!",
    ),
    "state + event": (
        [],
        """
        State.set("run", "n", 2)
        local seen = {}
        Event.subscribe("t.*", function(topic, d) seen[#seen + 1] = topic .. "=" .. d end)
        Event.publish("t.x", LLM.complete("x"))
        return {State.get("run", "n"), seen[1], Event.wait("t.*").topic}""",
        """
        State.set("run", "n", 2);
        const seen = [];
        Event.subscribe("t.*", (topic, d) => { seen.push(topic + "=" + d); });
        Event.publish("t.x", LLM.complete("x"));
        return [State.get("run", "n"), seen[0], Event.wait("t.*").topic];""",
        [2, "t.x=Echo: x", "t.x"],
    ),
    "event wait across parallel steps": (
        [],
        """
        local r = Workflow.parallel({
          function() return Event.wait("job.*", 10).data.n end,
          function() Event.publish("job.done", {n = 7}); return "sent" end,
        }, {max_concurrency = 2})
        return r.output""",
        """
        const r = Workflow.parallel([
          () => Event.wait("job.*", 10).data.n,
          () => { Event.publish("job.done", {n: 7}); return "sent"; },
        ], {maxConcurrency: 2});
        return r.output;""",
        [7, "sent"],
    ),
    "model": (
        [],
        'return {Model.default(), Model.info("openai/gpt-4o-mini").context_window, '
        'LLM.count_tokens("a b"), LLM.usage().calls}',
        'return [Model.default(), Model.info("openai/gpt-4o-mini").context_window, '
        'LLM.countTokens("a b"), LLM.usage().calls];',
        ["openai/test-model", 128000, 2, 0],
    ),
}


@pytest.mark.parametrize("lang", ["lua", "js"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_globals_and_faults_from_both_languages(runner, llm_server, case, lang):
    faults, lua, js, expected = CASES[case]
    for fault in faults:
        llm_server.fault(**fault)
    settings = {"default_model": "openai/test-model", "api_base": {"openai": llm_server.url}, "retry_base_delay": 0.01}
    source = textwrap.dedent(lua if lang == "lua" else js)
    result, _ = run_spell(runner, f"case.{lang}", source, settings=settings)
    assert result.ok, result.failure
    assert result.value == expected
