"""The Tengo versions of the examples, through the runner on the offline model: the same output lines as the Lua
and JavaScript examples (the expectations of tests/bridges/test_spells_e2e.py), and the same output and result
as the Lua version of each."""

from __future__ import annotations

import glob
import logging
import os
from typing import Any

import pytest
from bridges.test_spells_e2e import EXPECTED

from app.runner import RunOptions

log = logging.getLogger(__name__)

EXAMPLES = os.path.join(os.path.dirname(__file__), "..", "..", "..", "examples")


@pytest.fixture(autouse=True)
def _private_data(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LLMSPELL_DATA_DIR", str(tmp_path / "data"))


class Collect:
    def __init__(self) -> None:
        self.out: list[str] = []

    def on_output(self, stream: str, text: str) -> None:
        if stream == "stdout":
            self.out.append(text)

    def on_span(self, span: dict[str, Any]) -> None:
        pass

    def on_finished(self, result: Any) -> None:
        pass

    @property
    def lines(self) -> list[str]:
        return "".join(self.out).splitlines()


def run_example(runner: Any, name: str, lang: str = "tengo", **options: Any) -> tuple[Any, list[str]]:
    obs = Collect()
    result = runner.run(os.path.join(EXAMPLES, f"{name}.{lang}"), None, RunOptions(**options), observer=obs)
    assert result.ok, (name, lang, result.failure)
    return result, obs.lines


def test_every_example_has_a_tengo_version() -> None:
    from app import languages  # test files (hello_spec.lua) have their own names per language

    lua = {
        os.path.basename(p)[:-4]
        for p in glob.glob(os.path.join(EXAMPLES, "*.lua"))
        if not languages.LUA.is_test_file(p)
    }
    tengo = {os.path.basename(p)[:-6] for p in glob.glob(os.path.join(EXAMPLES, "*.tengo"))}
    assert lua and lua <= tengo, sorted(lua - tengo)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_example(runner: Any, name: str) -> None:
    result, lines = run_example(runner, name)
    for line in EXPECTED[name]:
        assert any(got.startswith(line) for got in lines), (line, lines)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_example_prints_and_returns_what_the_lua_version_does(runner: Any, name: str) -> None:
    tengo, tengo_lines = run_example(runner, name)
    lua, lua_lines = run_example(runner, name, "lua")
    assert tengo_lines == lua_lines
    assert tengo.value == lua.value


def test_hello_greets_and_returns_the_name(runner: Any) -> None:
    """hello calls the (offline, echoing) model, so a first run shows an LLM call in the trace."""
    result, lines = run_example(runner, "hello")
    assert lines == ["Hello, world! Greetings from a Tengo spell.", "The model says: Echo: Say hello to world"]
    assert result.value == {"greeted": "world", "reply": "Echo: Say hello to world"}
    result, lines = run_example(runner, "hello", inputs={"name": "Ada"})
    assert lines[0] == "Hello, Ada! Greetings from a Tengo spell." and result.value["greeted"] == "Ada"


def test_state_example_counts_runs(runner: Any) -> None:
    for n in (1, 2, 3, 4):
        result, lines = run_example(runner, "state_across_runs")
        assert f"run #{n}" in lines and result.value == {"runs": n}
    assert "workspace keys: demo.notes, demo.runs" in lines
    assert "notes kept: 3, latest: Echo: Note for run 4" in lines  # the last three only
