"""Workflow: step kinds, templates, error strategies, parallel concurrency, conditional and loops."""

from __future__ import annotations

import threading

import pytest

from app.bridges.errors import SpellError


def test_sequential_chains_outputs_and_templates(spell):
    r = spell.call(
        "Workflow.sequential",
        [
            {"name": "draft", "prompt": "Write about {{input}} for {{audience}}"},
            {"name": "loud", "fn": spell.fn(lambda text, v: text.upper())},
            {"name": "count", "tool": "text", "args": {"op": "word_count", "text": "{{loud}}"}},
        ],
        opts={"input": "owls", "vars": {"audience": "kids"}},
    )
    assert r["ok"] and r["outputs"]["draft"] == "Echo: Write about owls for kids"
    assert r["outputs"]["loud"] == "ECHO: WRITE ABOUT OWLS FOR KIDS" and r["output"] == 6
    assert [s["name"] for s in spell.spans if s["kind"] == "workflow_step"] == ["draft", "loud", "count"]


def test_function_steps_get_input_and_vars(spell):
    seen = []
    steps = [spell.fn(lambda x, v: x + 1), spell.fn(lambda x, v: seen.append(v) or x * 10)]
    r = spell.call("Workflow.sequential", steps, opts={"input": 1})
    assert r["output"] == 20 and seen[0]["step1"] == 2 and seen[0]["input"] == 2


def test_unknown_template_variable_is_named(spell):
    with pytest.raises(SpellError) as e:
        spell.call("Workflow.sequential", ["Hello {{nobody}}"])
    assert e.value.code == "invalid_argument" and "nobody" in e.value.message


def test_error_strategies(spell):
    calls = {"n": 0}

    def flaky(x, v):
        calls["n"] += 1
        if calls["n"] < 3:
            raise SpellError("tool_failed", "not yet")
        return "finally"

    r = spell.call("Workflow.sequential", [spell.fn(flaky)], opts={"on_error": "retry", "retries": 2})
    assert r["output"] == "finally" and r["results"][0]["attempts"] == 3

    def broken(x, v):
        raise SpellError("tool_failed", "broken step")

    r = spell.call(
        "Workflow.sequential",
        [spell.fn(broken), spell.fn(lambda x, v: "after")],
        opts={"on_error": "continue", "input": "in"},
    )
    assert not r["ok"] and r["results"][0]["error"]["message"] == "broken step" and r["output"] == "after"
    with pytest.raises(SpellError) as e:
        spell.call("Workflow.sequential", [{"name": "bad", "fn": spell.fn(broken)}, spell.fn(lambda x, v: 1)])
    assert e.value.code == "tool_failed" and "'bad'" in e.value.message
    workflow = [sp for sp in spell.spans if sp["kind"] == "workflow"][-1]
    assert workflow["error"]["code"] == "tool_failed"


def test_parallel_keeps_order_and_runs_concurrently(spell):
    barrier = threading.Barrier(3, timeout=10)

    def meet(x, v):
        barrier.wait()  # only passes when three steps run at the same time
        return x

    r = spell.call(
        "Workflow.parallel",
        [spell.fn(meet), spell.fn(meet), spell.fn(meet), "Cons of {{input}}"],
        opts={"input": "tea", "max_concurrency": 3},
    )
    assert r["ok"] and r["output"] == ["tea", "tea", "tea", "Echo: Cons of tea"]
    wf = next(s for s in spell.spans if s["kind"] == "workflow")
    assert all(s["parent"] == wf["id"] for s in spell.spans if s["kind"] == "workflow_step")


def test_parallel_llm_io_overlaps_on_the_server(make_spell, llm_server):
    s = make_spell({"default_model": "openai/test-model", "api_base": {"openai": llm_server.url}})
    llm_server.delay = 0.3
    r = s.call(
        "Workflow.parallel",
        ["one {{input}}", "two {{input}}", "three {{input}}"],
        opts={"input": "x", "max_concurrency": 3},
    )
    assert r["output"] == ["Echo: one x", "Echo: two x", "Echo: three x"]
    llm = [sp for sp in s.spans if sp["kind"] == "llm"]
    latest_start = max(sp["start"] for sp in llm)
    earliest_end = min(sp["end"] for sp in llm)
    assert latest_start < earliest_end  # all three requests were in flight at once


def test_parallel_stop_raises_first_error(spell):
    def broken(x, v):
        raise SpellError("tool_failed", "nope")

    with pytest.raises(SpellError) as e:
        spell.call("Workflow.parallel", [spell.fn(broken), spell.fn(lambda x, v: 1)], opts={"max_concurrency": 1})
    assert "nope" in e.value.message
    r = spell.call("Workflow.parallel", [spell.fn(broken), spell.fn(lambda x, v: 1)], opts={"on_error": "continue"})
    assert r["output"] == [None, 1] and not r["ok"]


def test_conditional_and_default(spell):
    cond = spell.fn(lambda x, v: "big" if x > 10 else "small")
    branches = {"big": spell.fn(lambda x, v: f"large {x}"), "small": "tiny {{input}}"}
    r = spell.call("Workflow.conditional", cond, branches, opts={"input": 42})
    assert r["branch"] == "big" and r["output"] == "large 42"
    r = spell.call("Workflow.conditional", cond, branches, opts={"input": 3})
    assert r["output"] == "Echo: tiny 3"
    r = spell.call(
        "Workflow.conditional",
        spell.fn(lambda x, v: True),
        {"false": "no"},
        opts={"default": spell.fn(lambda x, v: "fallback")},
    )
    assert r["branch"] is None and r["output"] == "fallback"


def test_loops(spell):
    squares = spell.call("Workflow.loop", spell.fn(lambda x, v: x * x), opts={"range": [1, 5]})
    assert squares["output"] == [1, 4, 9, 16, 25]
    assert spell.call("Workflow.loop", "Summarise {{item}}", opts={"items": ["a", "b"]})["output"] == [
        "Echo: Summarise a",
        "Echo: Summarise b",
    ]
    r = spell.call(
        "Workflow.loop",
        spell.fn(lambda x, v: x * 2),
        opts={"input": 1, "condition": spell.fn(lambda i, prev: prev < 20)},
    )
    assert r["output"] == [2, 4, 8, 16, 32] and r["iterations"] == 5
    with pytest.raises(SpellError) as e:
        spell.call(
            "Workflow.loop",
            spell.fn(lambda x, v: x),
            opts={"input": 0, "max_iterations": 3, "condition": spell.fn(lambda i, p: True)},
        )
    assert e.value.code == "limit_exceeded"
    with pytest.raises(SpellError):
        spell.call("Workflow.loop", spell.fn(lambda x, v: x), opts={"items": [1], "range": [1, 2]})


def test_workflow_with_agent_step_and_cancellation(spell):
    agent = spell.call("Agent.new", opts={"tools": ["calculator"]})
    r = spell.call("Workflow.sequential", [agent], opts={"input": "calculator 2*21"})
    assert r["output"] == "calculator returned 42"
    spell.ctx.cancelled.set()
    with pytest.raises(SpellError) as e:
        spell.call("Workflow.sequential", [spell.fn(lambda x, v: 1)])
    assert e.value.code == "cancelled"
