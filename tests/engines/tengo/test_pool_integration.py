"""Tengo spells through the real worker pool and bridges (JSON, Tool with a script callback, Agent handles)."""

from __future__ import annotations

import logging
from typing import Any

from app.runner import RunOptions

log = logging.getLogger(__name__)


class Collect:
    def __init__(self) -> None:
        self.out: list[str] = []

    def on_output(self, stream: str, text: str) -> None:
        if stream == "stdout":
            self.out.append(text)


SPELL = """
fmt := import("fmt")
Tool.register("get_weather", "Current weather for a city",
  {type: "object", properties: {city: {type: "string"}}, required: ["city"]},
  func(args) {
    reports := {Paris: "sunny, 21 C"}
    r := reports[args.city]
    return is_undefined(r) ? "no report" : r
  })
agent := Agent.new({name: "bot", system: "Use your tools.", tools: ["get_weather"], max_steps: 4})
r := agent.run("Use get_weather for city: Paris")
fmt.println("answer:", r.text)
export {answer: r.text, json: JSON.encode({n: INPUT.n}), kind: type_name(agent.run)}
"""


def test_spell_runs_in_the_pool_with_bridges_and_callbacks(runner: Any) -> None:
    obs = Collect()
    res = runner.run("weather.tengo", SPELL, RunOptions(inputs={"n": 3}), observer=obs)
    assert res.status == "ok", res.failure
    assert "sunny, 21 C" in res.value["answer"]
    assert res.value["json"] == '{"n":3}'
    assert res.value["kind"] == "user-function:run"
    assert any(line.startswith("answer:") for line in "".join(obs.out).splitlines())


def test_errors_and_limits_in_the_pool(runner: Any) -> None:
    res = runner.run("bad.tengo", 'x := 1\ny := x + "s"', RunOptions())
    assert (res.status, res.failure.code, res.failure.line) == ("error", "runtime", 2)
    res = runner.run("deep.tengo", "f := func(n) { return 1 + f(n) }\nf(1)", RunOptions())
    assert res.status == "limit"
    res = runner.run("syntax.tengo", "x := (1 +", RunOptions())
    assert (res.status, res.failure.code) == ("error", "syntax")
