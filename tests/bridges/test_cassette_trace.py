"""Record/replay round trips (streams, tool calls, errors) and the tracer contract."""

from __future__ import annotations

import json

import pytest

from app.bridges.errors import SpellError
from app.bridges.trace import Tracer

from .conftest import DUMMY_KEY

TOOL = {
    "name": "lookup",
    "description": "Look up",
    "parameters": {"type": "object", "properties": {"q": {"type": "string"}}},
}


def _session(spell) -> dict:
    """The same spell calls, recorded or replayed."""
    chunks = []
    out = {
        "complete": spell.call("LLM.complete", "hello", opts={"temperature": 0}),
        "chat": spell.call("LLM.chat", [{"role": "user", "content": 'lookup q="owls"'}], opts={"tools": [TOOL]}),
        "stream": spell.call("LLM.stream", "a b c", spell.fn(chunks.append)),
        "structured": spell.call(
            "LLM.structured", "name: Ada", {"type": "object", "properties": {"name": {"type": "string"}}}
        ),
        "embed": spell.call("LLM.embed", ["x y"]),
        "again": spell.call("LLM.complete", "hello", opts={"temperature": 0}),
    }
    out["chunks"] = chunks
    return out


def test_record_then_replay_offline_exactly(make_spell, llm_server, tmp_path):
    cassette = tmp_path / "run.cassette.json"
    base = {
        "default_model": "openai/test-model",
        "embedding_model": "openai/text-embedding-3-small",
        "api_base": {"openai": llm_server.url},
    }
    llm_server.fault("429", retry_after=0.01)
    recorded = _session(make_spell({**base, "record": str(cassette)}))
    n_requests = len(llm_server.requests)
    lines = [json.loads(line) for line in cassette.read_text().splitlines()]
    assert lines[0] == {"cassette": "llmspell", "version": 1} and len(lines) == 1 + 7  # the 429 is recorded too
    assert DUMMY_KEY not in cassette.read_text()

    replay_settings = {**base, "replay": str(cassette), "api_base": {"openai": "http://127.0.0.1:9/v1"}}
    replayer = make_spell(replay_settings)
    replayed = _session(replayer)
    assert replayed == recorded
    assert len(llm_server.requests) == n_requests  # nothing reached the server
    first = [s for s in replayer.spans if s["kind"] == "llm"][0]
    assert first["response"]["attempts"][0]["error"] == "rate_limited"  # the retry replays too


def test_replay_stream_stops_early_and_missing_request_is_named(make_spell, tmp_path):
    cassette = tmp_path / "c.json"
    rec = make_spell({"record": str(cassette)})
    rec.call("LLM.stream", "one two three", rec.fn(lambda c: None))
    rep = make_spell({"replay": str(cassette)})
    got = []
    assert rep.call("LLM.stream", "one two three", rep.fn(lambda c: got.append(c) or len(got) < 2)) == "Echo: one "
    with pytest.raises(SpellError) as e:
        rep.call("LLM.complete", "never recorded", line=12)
    assert e.value.code == "not_found"
    assert "LLM.complete at main.lua:12" in e.value.message and "never recorded" in e.value.message
    assert "offline/echo" in e.value.message


def test_replay_reproduces_recorded_errors(make_spell, llm_server, tmp_path):
    cassette = tmp_path / "err.json"
    base = {"default_model": "openai/test-model", "api_base": {"openai": llm_server.url}}
    llm_server.fault("401")
    with pytest.raises(SpellError):
        make_spell({**base, "record": str(cassette)}).call("LLM.complete", "hi")
    with pytest.raises(SpellError) as e:
        make_spell({**base, "replay": str(cassette)}).call("LLM.complete", "hi")
    assert e.value.code == "authentication"


def test_missing_cassette_is_a_clear_error(make_spell, tmp_path):
    with pytest.raises(SpellError) as e:
        make_spell({"replay": str(tmp_path / "nope.json")}).call("LLM.complete", "x")
    assert e.value.code == "not_found" and "nope.json" in e.value.message


def test_tracer_contract(make_spell, tmp_path):
    events = []
    s = make_spell()
    s.ctx.services["tracer"] = Tracer(on_span=lambda span: events.append((span["id"], span["end"] is None)))
    agent = s.call("Agent.new", opts={"tools": ["calculator"]})
    s.method(agent, "run", "calculator 1+2")
    spans = s.ctx.services["tracer"].spans()
    assert len(events) == 2 * len(spans)  # once at start, once at end
    assert all(e[1] for e in events[:2])
    keys = {
        "id",
        "parent",
        "kind",
        "name",
        "start",
        "end",
        "model",
        "request",
        "response",
        "tokens",
        "cost",
        "error",
        "file",
        "line",
    }
    assert all(set(sp) == keys for sp in spans)
    assert {sp["kind"] for sp in spans} == {"agent", "agent_step", "llm", "tool"}
    path = tmp_path / "trace.jsonl"
    s.ctx.services["tracer"].write_jsonl(str(path))
    assert [json.loads(line)["id"] for line in path.read_text().splitlines()] == [sp["id"] for sp in spans]


def test_tracer_redacts_secrets():
    t = Tracer()
    span = t.start(
        "llm",
        "x",
        request={
            "api_key": "abc",
            "headers": {"Authorization": "Bearer zzz"},
            "messages": [{"role": "user", "content": f"my key is {DUMMY_KEY}"}],
        },
    )
    t.end(span, error=RuntimeError("auth failed with Bearer secret-token-123"))
    text = json.dumps(t.spans())
    assert "abc" not in text and "zzz" not in text and "secret-token-123" not in text


def test_cassette_survives_a_half_written_last_line(make_spell, tmp_path):
    cassette = tmp_path / "c.jsonl"
    rec = make_spell({"record": str(cassette)})
    rec.call("LLM.complete", "one")
    rec.call("LLM.complete", "two")
    with open(cassette, "a", encoding="utf-8") as f:
        f.write('{"key": "abc", "requ')  # the run died while writing
    rep = make_spell({"replay": str(cassette)})
    assert rep.call("LLM.complete", "two") == "Echo: two"


def test_state_and_tracer_bounds(make_spell, monkeypatch):
    from app.bridges import state, trace

    monkeypatch.setattr(state, "MAX_SCOPE_KEYS", 3)
    s = make_spell()
    for scope in ("run", "workspace"):
        for k in ("a", "b", "c"):
            s.call("State.set", scope, k, 1)
        s.call("State.set", scope, "a", 2)  # replacing a key is fine
        with pytest.raises(SpellError) as e:
            s.call("State.set", scope, "d", 1)
        assert e.value.code == "limit_exceeded"
    monkeypatch.setattr(trace, "MAX_SPANS", 2)
    t = make_spell()
    for _ in range(4):
        t.call("Tool.call", "calculator", {"expression": "1"})
    assert len(t.spans) == 2 and t.ctx.services["tracer"].dropped == 2


def test_registration_bounds(make_spell, monkeypatch):
    from app.bridges import event, hook_registry
    from app.engines.base import Limits

    monkeypatch.setattr(hook_registry, "MAX_HOOKS", 1)
    monkeypatch.setattr(event, "MAX_SUBSCRIPTIONS", 1)
    s = make_spell(limits=Limits(max_tools=1))
    fn = s.fn(lambda *a: None)
    calls = [
        ("Hook.register", ("error", fn), ("error", fn)),
        ("Event.subscribe", ("x", fn), ("y", fn)),
        ("Tool.register", ("t1", "d", {}, fn), ("t2", "d", {}, fn)),
    ]
    for target, first, second in calls:
        s.call(target, *first)
        with pytest.raises(SpellError) as e:
            s.call(target, *second)
        assert e.value.code == "limit_exceeded", target
