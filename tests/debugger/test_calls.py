"""LLM-call and tool-call breakpoints (served in the host), against the offline model; an agent's tool function
with a line breakpoint (the issue's "done when" walk-through)."""

from __future__ import annotations

from app.debugger.session import CallBreakpoints


def test_break_before_llm_call_edit_the_prompt(spell, debug):
    path = spell(
        "llm.lua",
        """
        local topic = "owls"
        local answer = LLM.complete("tell me about " .. topic)
        local after = answer
        return after
        """,
    )
    d = debug(path, calls=CallBreakpoints(llm=True))
    st = d.stop()
    assert st.reason == "llm_call" and (st.file, st.line) == (path, 2)
    req = st.data["request"]
    assert req["model"].startswith("offline/") and req["messages"][-1]["content"] == "tell me about owls"
    # the worker waits in the bridge call: the spell's variables are readable
    assert [f["kind"] for f in st.frames][:2] == ["bridge", "spell"] and st.frames[0]["name"] == "LLM.complete"
    assert d.locals(2)["topic"] == '"owls"'
    assert d.session.evaluate("topic .. '!'", 2)["value"] == '"owls!"'
    assert d.locals(1)["method"] == '"complete"'  # the bridge frame shows the call's arguments
    d.session.continue_({"messages": [{"role": "user", "content": "edited prompt"}]})
    assert d.finish().value == "Echo: edited prompt"


def test_answer_an_llm_call_by_hand(spell, debug):
    path = spell("llm.lua", 'return LLM.complete("question")\n')
    d = debug(path, calls=CallBreakpoints(llm=True))
    assert d.stop().reason == "llm_call"
    d.session.answer("typed by hand")
    assert d.finish().value == "typed by hand"


def test_llm_breakpoints_by_model(spell, debug):
    path = spell("llm.lua", 'return LLM.complete("question")\n')
    d = debug(path, calls=CallBreakpoints(llm=True, models=["openai/*"]))
    assert d.finish().value == "Echo: question"
    d = debug(path, calls=CallBreakpoints(llm=True, models=["offline/*"]))
    assert d.stop().reason == "llm_call"
    d.finish()


def test_step_over_from_an_llm_call_stop(spell, debug):
    path = spell(
        "llm.lua",
        """
        local a = LLM.complete("one")
        local b = a .. "!"
        return b
        """,
    )
    d = debug(path, calls=CallBreakpoints(llm=True))
    assert d.stop().line == 1
    st = d.step("step_over")
    assert (st.reason, st.line) == ("step", 2)
    assert d.locals()["a"] == '"Echo: one"'
    assert d.finish().value == "Echo: one!"


def test_break_before_tool_call_edit_args(spell, debug):
    path = spell(
        "tool.lua",
        """
        Tool.register("shout", "Upper-case a text", {type = "object", properties = {text = {type = "string"}}},
          function(args) return string.upper(args.text) end)
        return Tool.call("shout", {text = "quiet"})
        """,
    )
    d = debug(path, calls=CallBreakpoints(tools=True, tool_names=["shout"]))
    st = d.stop()
    assert st.reason == "tool_call" and st.data["request"] == {"tool": "shout", "args": {"text": "quiet"}}
    d.session.continue_({"args": {"text": "edited"}})
    assert d.finish().value == "EDITED"


def test_agent_tool_breakpoint_then_llm_breakpoint(spell, debug):
    """Stop inside an agent's tool, read the arguments the model chose, continue to the next LLM call, edit
    its prompt, run to the end."""
    path = spell(
        "agent.lua",
        """
        Tool.register("get_weather", "Current weather for a city",
          {type = "object", properties = {city = {type = "string"}}, required = {"city"}},
          function(args)
            local city = args.city
            local reports = {Paris = "sunny, 21 C"}
            return reports[city] or "no report"
          end)
        local agent = Agent.new({name = "bot", system = "Use tools.", tools = {"get_weather"}, max_steps = 3})
        local r = agent:run("Use get_weather for city: Paris")
        return r.text
        """,
    )
    d = debug(path, [5])
    st = d.stop()
    assert st.reason == "breakpoint" and st.line == 5
    kinds = [(f["kind"], f["name"]) for f in st.frames]
    assert kinds[0] == ("spell", "function") or kinds[0][0] == "spell"
    assert ("bridge", "bot.run") in kinds or any(k == "bridge" for k, _ in kinds)
    args_ref = next(
        v
        for v in d.session.variables(next(s["ref"] for s in d.session.scopes(1) if s["name"] == "Locals"))["items"]
        if v["name"] == "args"
    )
    fields = {v["name"]: v["value"] for v in d.session.variables(args_ref["ref"])["items"]}
    assert fields == {"city": '"Paris"'}
    # the next LLM call (the agent's answer after the tool result): stop there and edit it
    d.session.calls.llm = True
    d.session.continue_()
    st = d.stop()
    assert st.reason == "llm_call"
    msgs = st.data["request"]["messages"]
    assert any("sunny" in str(m.get("content")) for m in msgs)
    d.session.continue_({"messages": [{"role": "user", "content": "summarise"}]})
    assert d.finish().value == "Echo: summarise"


def test_stop_while_at_an_llm_call(spell, debug):
    path = spell("llm.lua", 'return LLM.complete("question")\n')
    d = debug(path, calls=CallBreakpoints(llm=True))
    d.stop()
    d.session.stop()
    assert d.run.wait(10).status in ("cancelled", "error")


def test_parallel_llm_calls_stop_one_after_the_other(spell, debug):
    path = spell(
        "par.lua",
        """
        local r = Workflow.parallel({
          {name = "a", prompt = "alpha {{input}}"},
          {name = "b", prompt = "beta {{input}}"},
        }, {input = "x", max_concurrency = 2, name = "both"})
        return r.output
        """,
    )
    d = debug(path, calls=CallBreakpoints(llm=True))
    seen = []
    for _ in range(2):
        st = d.stop()
        assert st.reason == "llm_call"
        seen.append(st.data["request"]["messages"][-1]["content"])
        d.session.continue_()
    assert sorted(seen) == ["alpha x", "beta x"]
    assert sorted(d.finish().value) == ["Echo: alpha x", "Echo: beta x"]
