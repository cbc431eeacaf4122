"""Agent: the tool loop with script, registered, built-in and agent tools; chat memory; limits; hooks."""

from __future__ import annotations

import pytest

from app.bridges.errors import SpellError

ADD_SCHEMA = {
    "type": "object",
    "properties": {"a": {"type": "number"}, "b": {"type": "number"}},
    "required": ["a", "b"],
}


def test_run_calls_script_and_builtin_tools(spell):
    add = {
        "name": "add",
        "description": "Add two numbers",
        "parameters": ADD_SCHEMA,
        "fn": spell.fn(lambda args: args["a"] + args["b"]),
    }
    agent = spell.call("Agent.new", opts={"name": "mathy", "tools": [add, "calculator"]})
    assert agent["$type"] == "Agent"
    r = spell.method(agent, "run", "Use add with a=2, b=3 and the calculator to compute 6*7.")
    assert r["text"] == "add returned 5; calculator returned 42"
    assert len(r["steps"]) == 2
    calls = r["steps"][0]["tool_calls"]
    assert [(c["name"], c["arguments"], c["result"]) for c in calls] == [
        ("add", {"a": 2, "b": 3}, 5),
        ("calculator", {"expression": "6*7"}, 42),
    ]
    assert r["usage"]["total_tokens"] > 0
    kinds = [(s["kind"], s["name"]) for s in spell.spans]
    assert kinds[:5] == [
        ("agent", "mathy"),
        ("agent_step", "mathy step 1"),
        ("llm", "Agent mathy"),
        ("tool", "add"),
        ("tool", "calculator"),
    ]
    by_id = {s["id"]: s for s in spell.spans}
    assert by_id[spell.spans[3]["parent"]]["kind"] == "agent_step"


def test_registered_tool_and_tool_errors_go_back_to_the_model(spell):
    def boom(args):
        raise SpellError("tool_failed", "kaboom")

    spell.call("Tool.register", "explode", "Always fails", {"type": "object", "properties": {}}, spell.fn(boom))
    agent = spell.call("Agent.new", opts={"tools": ["explode"]})
    r = spell.method(agent, "run", "please explode now")
    err = r["steps"][0]["tool_calls"][0]["error"]
    assert err["code"] == "tool_failed" and "kaboom" in err["message"]
    assert "explode returned" in r["text"] and "kaboom" in r["text"]


def test_agent_as_tool_of_another_agent(spell):
    helper = spell.call("Agent.new", opts={"name": "helper", "description": "Knows things"})
    boss = spell.call("Agent.new", opts={"name": "boss", "tools": [helper]})
    r = spell.method(boss, "run", 'ask the helper about "owls"')
    call = r["steps"][0]["tool_calls"][0]
    assert call["name"] == "helper" and call["result"] == "Echo: owls"
    assert r["text"] == "helper returned Echo: owls"


def test_max_steps_is_a_limit(spell):
    loop_tool = {"name": "again", "parameters": {"type": "object", "properties": {}}, "fn": spell.fn(lambda args: "x")}
    agent = spell.call("Agent.new", opts={"tools": [loop_tool], "max_steps": 1})
    with pytest.raises(SpellError) as e:
        spell.method(agent, "run", "call again")
    assert e.value.code == "limit_exceeded" and "max_steps" in e.value.message


def test_chat_keeps_history_within_memory(spell):
    bot = spell.call("Agent.new", opts={"system": "terse", "memory": 4})
    assert spell.method(bot, "chat", "My name is Ada.") == "Echo: My name is Ada."
    assert spell.method(bot, "chat", "What is my name?") == "Echo: What is my name?"
    history = spell.method(bot, "history")
    assert [m["role"] for m in history] == ["user", "assistant", "user", "assistant"]
    spell.method(bot, "chat", "third")
    assert len(spell.method(bot, "history")) == 4 and spell.method(bot, "history")[0]["content"] == "What is my name?"
    spell.method(bot, "reset")
    assert spell.method(bot, "history") == []


def test_agent_step_hook_can_cancel(spell):
    spell.call("Hook.register", "agent_step", spell.fn(lambda ev: "cancel" if ev["step"] == 1 else None))
    agent = spell.call("Agent.new", opts={"tools": ["calculator"]})
    with pytest.raises(SpellError) as e:
        spell.method(agent, "run", "calculator 1+1")
    assert e.value.code == "cancelled"


def test_bad_tool_entries_are_rejected(spell):
    with pytest.raises(SpellError) as e:
        spell.call("Agent.new", opts={"tools": ["no_such_tool"]})
    assert e.value.code == "not_found"
    with pytest.raises(SpellError) as e:
        spell.call("Agent.new", opts={"tools": [42]})
    assert e.value.code == "invalid_argument"


def test_agent_against_server_with_tool_calls(server_spell, llm_server):
    agent = server_spell.call("Agent.new", opts={"tools": ["calculator"]})
    r = server_spell.method(agent, "run", "Use the calculator to compute (2+3)*4.")
    assert r["text"] == "calculator returned 20"
    second = llm_server.chat_requests()[-1]
    assert second["messages"][-1]["role"] == "tool" and second["messages"][-1]["content"] == "20"
    assert second["tools"][0]["function"]["name"] == "calculator"


def test_bare_function_tool(spell):
    agent = spell.call("Agent.new", opts={"tools": [spell.fn(lambda args: args["input"][::-1])]})
    r = spell.method(agent, "run", 'call function1 with "abc"')
    assert r["text"] == "function1 returned cba"


def test_tool_calls_of_one_step_run_concurrently_in_order(spell):
    import threading

    barrier = threading.Barrier(2, timeout=10)

    def meet(args):
        barrier.wait()  # passes only when both tools run at the same time
        return args["input"].upper()

    tools = [
        {
            "name": "left",
            "parameters": {"type": "object", "properties": {"input": {"type": "string"}}},
            "fn": spell.fn(meet),
        },
        {
            "name": "right",
            "parameters": {"type": "object", "properties": {"input": {"type": "string"}}},
            "fn": spell.fn(meet),
        },
    ]
    agent = spell.call("Agent.new", opts={"tools": tools})
    r = spell.method(agent, "run", 'use left and right on "ab"')
    assert r["text"] == "left returned AB; right returned AB"
    step = next(s for s in spell.spans if s["kind"] == "agent_step")
    assert all(s["parent"] == step["id"] for s in spell.spans if s["kind"] == "tool")
