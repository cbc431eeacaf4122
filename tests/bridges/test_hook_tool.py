"""Hook (modify, skip, cancel, priorities) and Tool (registration, validation, built-ins, profile confinement)."""

from __future__ import annotations

import os

import pytest

from app.bridges.builtin_tools import json_query
from app.bridges.calculator import evaluate
from app.bridges.errors import SpellError
from app.engines.base import Limits


# ------------------------------------------------------------------------------------------------ hooks
def test_before_llm_modifies_and_priorities_order(spell):
    order = []
    spell.call(
        "Hook.register",
        "before_llm",
        spell.fn(lambda req: order.append("low") or {"messages": [{"role": "user", "content": "changed"}]}),
    )
    spell.call("Hook.register", "before_llm", spell.fn(lambda req: order.append("high")), opts={"priority": 5})
    assert spell.call("LLM.complete", "original") == "Echo: changed"
    assert order == ["high", "low"]


def test_before_llm_skip_and_after_llm_edit(spell):
    spell.call(
        "Hook.register",
        "before_llm",
        spell.fn(
            lambda req: {"action": "skip", "result": "cached!"} if "cache" in req["messages"][-1]["content"] else None
        ),
    )
    spell.call("Hook.register", "after_llm", spell.fn(lambda res: {"content": res["content"] + " [checked]"}))
    assert spell.call("LLM.complete", "from cache please") == "cached!"
    assert spell.call("LLM.complete", "fresh") == "Echo: fresh [checked]"
    assert spell.call("LLM.usage")["calls"] == 1


def test_cancel_and_error_hook(spell):
    errors = []
    spell.call("Hook.register", "error", spell.fn(lambda ev: errors.append(ev["code"])))
    hid = spell.call(
        "Hook.register",
        "before_llm",
        spell.fn(lambda req: {"action": "cancel", "reason": "budget"}),
        opts={"match": "offline/*", "name": "budget"},
    )
    with pytest.raises(SpellError) as e:
        spell.call("LLM.complete", "x")
    assert e.value.code == "cancelled" and "budget" in e.value.message
    assert spell.call("Hook.unregister", hid) is True
    assert spell.call("LLM.complete", "x") == "Echo: x"
    with pytest.raises(SpellError):
        spell.call("Tool.call", "calculator", {"expression": "1/0"})
    assert errors == ["invalid_argument"]


def test_hooks_do_not_recurse(spell):
    spell.call(
        "Hook.register",
        "before_llm",
        spell.fn(lambda req: {"params": {"max_tokens": 3}} if spell.call("LLM.complete", "inner") else None),
    )
    assert spell.call("LLM.complete", "a b c d") == "Echo: a"


def test_tool_hooks_edit_args_and_results(spell):
    spell.call("Hook.register", "before_tool", spell.fn(lambda ev: {"args": {"expression": "1+1"}}))
    spell.call("Hook.register", "after_tool", spell.fn(lambda ev: {"result": ev["result"] * 100}))
    assert spell.call("Tool.call", "calculator", {"expression": "5"}) == 200
    spell.call("Hook.register", "before_tool", spell.fn(lambda ev: "skip"), opts={"priority": 9, "match": "text"})
    assert spell.call("Tool.call", "text", {"op": "upper", "text": "x"}) is None
    with pytest.raises(SpellError):
        spell.call("Hook.register", "nowhere", spell.fn(lambda ev: None))
    assert [h["point"] for h in spell.call("Hook.list")] == ["before_tool", "before_tool", "after_tool"]


# ------------------------------------------------------------------------------------------------ tools
def test_register_validate_and_call(spell):
    info = spell.call(
        "Tool.register",
        "shout",
        "Upper-case",
        {"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]},
        spell.fn(lambda a: a["text"].upper()),
    )
    assert info["name"] == "shout" and info["source"] == "script"
    assert spell.call("Tool.call", "shout", {"text": "hi"}) == "HI"
    with pytest.raises(SpellError) as e:
        spell.call("Tool.call", "shout", {"text": 3})
    assert e.value.code == "invalid_argument" and "$.text" in e.value.message
    with pytest.raises(SpellError) as e:
        spell.call("Tool.call", "nope")
    assert e.value.code == "not_found"
    with pytest.raises(SpellError):
        spell.call("Tool.register", "calculator", "mine", {}, spell.fn(lambda a: 1))
    with pytest.raises(SpellError):
        spell.call("Tool.register", "bad name", "x", {}, spell.fn(lambda a: 1))
    assert spell.call("Tool.info", "shout")["schema"]["required"] == ["text"]
    assert (spell.spans[0]["kind"], spell.spans[0]["name"]) == ("tool", "shout")


def test_script_tool_failure_is_tool_failed(spell):
    def bad(a):
        raise SpellError("tool_failed", "script function failed: oops")

    spell.call("Tool.register", "bad", "fails", {}, spell.fn(bad))
    with pytest.raises(SpellError) as e:
        spell.call("Tool.call", "bad", {})
    assert e.value.code == "tool_failed" and "oops" in e.value.message


def test_builtins():
    assert evaluate("(2 + 3) * 4") == 20 and evaluate("2^10") == 1024 and evaluate("sqrt(16) + pi") > 7
    for bad in ("__import__('os')", "(1).__class__", "9**9**9", "open('x')", "a"):
        with pytest.raises(SpellError):
            evaluate(bad)
    data = {"items": [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}]}
    assert json_query(data, "$.items[1].name") == "b"
    assert json_query(data, "$.items[*].id") == [1, 2]
    assert json_query(data, "items[-1]['name']") == "b"


def test_builtin_text_and_datetime(spell):
    assert spell.call("Tool.call", "text", {"op": "slug", "text": "Hello, World!"}) == "hello-world"
    assert spell.call("Tool.call", "text", {"op": "word_count", "text": "a b c"}) == 3
    now = spell.call("Tool.call", "datetime", {})
    assert now["iso"].endswith("+00:00") and len(now["date"]) == 10


def test_profiles_gate_file_and_http_tools(make_spell):
    names = [t["name"] for t in make_spell().call("Tool.list")]
    assert "calculator" in names and "file_read" not in names and "http_get" not in names
    s = make_spell(limits=Limits(allow_files=True, allow_http=True, http_allow=("example.org",)))
    names = [t["name"] for t in s.call("Tool.list")]
    assert {"file_read", "file_write", "file_list", "http_get"} <= set(names)


def test_file_tools_are_confined(make_spell, tmp_path):
    s = make_spell(limits=Limits(allow_files=True))
    assert s.call("Tool.call", "file_write", {"path": "notes/a.txt", "content": "hello"})["bytes"] == 5
    assert s.call("Tool.call", "file_read", {"path": "notes/a.txt"}) == "hello"
    assert s.call("Tool.call", "file_list", {"path": "notes"})[0]["name"] == "a.txt"
    (tmp_path / "secret.txt").write_text("top secret")
    os.symlink(tmp_path / "secret.txt", tmp_path / "spell" / "link.txt")
    for path in ("../secret.txt", "link.txt", str(tmp_path / "secret.txt"), "notes/../../secret.txt"):
        with pytest.raises(SpellError) as e:
            s.call("Tool.call", "file_read", {"path": path})
        assert e.value.code == "permission_denied", path


def test_http_get_allow_list(make_spell, llm_server):
    s = make_spell(limits=Limits(allow_http=True, http_allow=("127.0.0.1",)))
    r = s.call("Tool.call", "http_get", {"url": llm_server.url + "/models"})
    assert r["status"] == 200 and "test-model" in r["text"]
    s = make_spell(limits=Limits(allow_http=True, http_allow=("example.org",)))
    with pytest.raises(SpellError) as e:
        s.call("Tool.call", "http_get", {"url": llm_server.url + "/models"})
    assert e.value.code == "permission_denied"
    with pytest.raises(SpellError):
        s.call("Tool.call", "http_get", {"url": "file:///etc/passwd"})


def test_llm_hooks_see_tool_calls_in_spell_shape(spell):
    seen = []
    spell.call(
        "Hook.register",
        "after_llm",
        spell.fn(
            lambda ev: (
                seen.append(ev["tool_calls"])
                or {"tool_calls": [dict(ev["tool_calls"][0], arguments={"expression": "1+1"})]}
            )
        ),
    )
    msg = spell.call("LLM.chat", [{"role": "user", "content": "calculator 6*7"}], opts={"tools": ["calculator"]})
    assert seen[0][0]["name"] == "calculator" and seen[0][0]["arguments"] == {"expression": "6*7"}
    assert msg["tool_calls"][0]["arguments"] == {"expression": "1+1"}  # the hook's edit reached the spell
