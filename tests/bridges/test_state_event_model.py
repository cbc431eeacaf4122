"""State (run / workspace / global, persisted across runs), Event and Model."""

from __future__ import annotations

import os

import pytest

from app.bridges.errors import SpellError


def test_run_scope_lives_for_one_run(make_spell):
    a = make_spell()
    a.call("State.set", "run", "k", {"x": [1, 2]})
    assert a.call("State.get", "run", "k") == {"x": [1, 2]}
    assert make_spell().call("State.get", "run", "k", "gone") == "gone"


def test_persistent_scopes_survive_runs(make_spell, tmp_path):
    first = make_spell()
    first.call("State.set", "workspace", "count", 1)
    first.call("State.set", "global", "theme", "dark")
    second = make_spell()
    assert second.call("State.get", "workspace", "count") == 1
    assert second.call("State.get", "global", "theme") == "dark"
    assert os.path.exists(os.path.join(os.environ["LLMSPELL_DATA_DIR"], "state.sqlite3"))
    other_ws = tmp_path / "other"
    other_ws.mkdir()
    third = make_spell(workspace=str(other_ws))
    assert third.call("State.get", "workspace", "count") is None  # keyed by workspace
    assert third.call("State.get", "global", "theme") == "dark"


def test_keys_delete_clear_and_validation(spell):
    for k in ("notes.a", "notes.b", "other"):
        spell.call("State.set", "workspace", k, True)
    assert spell.call("State.keys", "workspace", opts={"prefix": "notes."}) == ["notes.a", "notes.b"]
    assert spell.call("State.delete", "workspace", "other") is True
    assert spell.call("State.delete", "workspace", "other") is False
    spell.call("State.set", "workspace", "notes.a", None)  # nil deletes
    assert spell.call("State.clear", "workspace") == 1
    with pytest.raises(SpellError) as e:
        spell.call("State.set", "run", "x", float("nan"))
    assert e.value.code == "invalid_argument"
    with pytest.raises(SpellError):
        spell.call("State.get", "session", "x")


def test_events_sync_wildcards_queue_wait(spell):
    got = []
    sid = spell.call("Event.subscribe", "order.*", spell.fn(lambda t, d: got.append((t, d))))
    spell.call("Event.subscribe", "*", spell.fn(lambda t, d: got.append(("all", t))))
    assert spell.call("Event.publish", "order.created", {"id": 1}) == 2
    assert got == [("order.created", {"id": 1}), ("all", "order.created")]
    queued = []
    spell.call("Event.subscribe", "job.*", spell.fn(lambda t, d: queued.append(t)), opts={"queued": True})
    spell.call("Event.publish", "job.done")
    assert queued == []
    assert spell.call("Event.drain") == 1 and queued == ["job.done"]
    assert spell.call("Event.wait", "order.*") == {"topic": "order.created", "data": {"id": 1}}
    assert spell.call("Event.wait", "order.*", 0.05) is None
    assert spell.call("Event.unsubscribe", sid) is True
    assert [s["pattern"] for s in spell.call("Event.list")] == ["*", "job.*"]


def test_handlers_publishing_recursively_hit_a_limit(spell):
    spell.call("Event.subscribe", "ping", spell.fn(lambda t, d: spell.call("Event.publish", "ping")))
    with pytest.raises(SpellError) as e:
        spell.call("Event.publish", "ping")
    assert e.value.code == "limit_exceeded"


def test_model_discovery(spell):
    assert spell.call("Model.default") == "offline/echo"
    assert spell.call("Model.list", opts={"provider": "offline"}) == [
        {"name": "offline/echo", "provider": "offline", "mode": "chat"}
    ]
    names = [m["name"] for m in spell.call("Model.list")]
    assert "openai/gpt-4o-mini" in names  # the tests set a (dummy) OPENAI_API_KEY
    info = spell.call("Model.info", "openai/gpt-4o-mini")
    assert info["context_window"] == 128000 and info["supports"]["tools"] and info["input_cost_per_token"] > 0
    assert spell.call("Model.info", "offline/echo")["supports"]["response_schema"]
    with pytest.raises(SpellError) as e:
        spell.call("Model.info", "openai/no-such-model-xyz")
    assert e.value.code == "not_found"
    providers = {p["name"]: p for p in spell.call("Model.providers")}
    assert providers["offline"]["configured"] and providers["openai"]["configured"]
    assert providers["openai"]["env"] == ["OPENAI_API_KEY"]
    assert "sk-" not in repr(providers)


def test_wait_sees_an_event_published_by_a_parallel_step(spell):
    def waiter(x, v):
        return spell.call("Event.wait", "job.*", 10)["data"]

    def publisher(x, v):
        spell.call("Event.publish", "job.done", {"n": 7})
        return "sent"

    r = spell.call("Workflow.parallel", [spell.fn(waiter), spell.fn(publisher)], opts={"max_concurrency": 2})
    assert r["output"] == [{"n": 7}, "sent"]
