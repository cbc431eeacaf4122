"""Assertions: each type's pass/score/reason, negation, weights, templates and the bounds on spell data."""

from __future__ import annotations

from typing import Any

import pytest

from app.evals.assertions import (
    AssertionSpec,
    GradingError,
    Observation,
    evaluate,
    evaluate_all,
    parse_assertion,
)


class FakeGrader:
    """A Grader (the Protocol of app/evals/assertions.py) with canned answers."""

    def __init__(
        self, value: Any = True, grade: dict[str, Any] | None = None, vectors: list[list[float]] | None = None
    ):
        self.value = value
        self.grade = grade or {"pass": True, "score": 0.9, "reason": "fine"}
        self.vectors = vectors or [[1.0, 0.0], [0.6, 0.8]]
        self.calls: list[tuple[Any, ...]] = []

    def expression(self, language: str, expr: str, output: Any, row: Any) -> Any:
        self.calls.append(("expr", language, expr, output, row))
        if isinstance(self.value, Exception):
            raise self.value
        return self.value

    def judge(self, model: str, rubric: str, output: str) -> dict[str, Any]:
        self.calls.append(("judge", model, rubric, output))
        return self.grade

    def embed(self, model: str, texts: list[str]) -> list[list[float]]:
        self.calls.append(("embed", model, texts))
        return self.vectors


def check(
    raw: dict[str, Any], output: Any = "Echo: Paris is the capital", grader: Any = None, **obs: Any
) -> tuple[bool, float, str]:
    spec = parse_assertion(raw, "t.yaml:1")
    if spec.type in ("llm-rubric", "similar"):
        spec.provider = spec.provider or "offline/x"
    r = evaluate(spec, Observation(output=output, row=obs.pop("row", {"city": "Paris"}), **obs), grader)
    return r.passed, r.score, r.reason


@pytest.mark.parametrize(
    "raw, passed",
    [
        ({"type": "equals", "value": "Echo: Paris is the capital"}, True),
        ({"type": "equals", "value": "Paris"}, False),
        ({"type": "contains", "value": "{{city}}"}, True),
        ({"type": "contains", "value": "paris"}, False),
        ({"type": "icontains", "value": "PARIS"}, True),
        ({"type": "not-contains", "value": "London"}, True),
        ({"type": "not-icontains", "value": "paris"}, False),
        ({"type": "contains-any", "value": ["London", "Paris"]}, True),
        ({"type": "contains-all", "value": ["Paris", "capital"]}, True),
        ({"type": "icontains-all", "value": ["paris", "CAPITAL"]}, True),
        ({"type": "starts-with", "value": "Echo:"}, True),
        ({"type": "regex", "value": r"\bcap\w+"}, True),
        ({"type": "not-regex", "value": r"^\d+$"}, True),
        ({"type": "is-json"}, False),
        ({"type": "cost", "value": 0.01}, True),
        ({"type": "latency", "value": 5}, False),
        ({"type": "tokens", "value": 100}, True),
    ],
)
def test_simple_types(raw: dict[str, Any], passed: bool) -> None:
    ok, score, reason = check(raw, latency_ms=12.0, tokens=30, cost=0.001)
    assert ok is passed, reason
    assert score == (1.0 if passed else 0.0) and reason


def test_contains_all_scores_the_fraction_found() -> None:
    ok, score, reason = check({"type": "contains-all", "value": ["Paris", "Rome", "capital", "Oslo"]})
    assert (ok, score) == (False, 0.5) and "Rome" in reason and "Oslo" in reason
    assert check({"type": "contains-all", "value": ["Paris", "Rome"], "threshold": 0.5})[0]


def test_json_and_schema() -> None:
    schema = {"type": "object", "required": ["n"], "properties": {"n": {"type": "integer", "minimum": 1}}}
    assert check({"type": "is-json"}, output={"n": 1})[0]
    assert check({"type": "is-json"}, output='{"n": 1}')[0]
    assert check({"type": "json-schema", "value": schema}, output='{"n": 3}')[0]
    ok, _, reason = check({"type": "json-schema", "value": schema}, output={"n": 0})
    assert not ok and reason.startswith("n: 0 is less than the minimum")
    ok, _, reason = check({"type": "is-json", "value": schema}, output="not json")
    assert not ok and "not JSON" in reason
    assert check({"type": "equals", "value": {"n": 1}}, output='{"n": 1}')[0]


def test_schema_refs_stay_local() -> None:
    local = {"$defs": {"n": {"type": "integer"}}, "type": "object", "properties": {"n": {"$ref": "#/$defs/n"}}}
    assert check({"type": "json-schema", "value": local}, output={"n": 2})[0]
    remote = {"type": "object", "properties": {"n": {"$ref": "file:///etc/passwd"}}}
    ok, _, reason = check({"type": "json-schema", "value": remote}, output={"n": 2})
    assert not ok and "cannot be used" in reason


def test_huge_json_is_refused_before_validation() -> None:
    ok, _, reason = check(
        {"type": "json-schema", "value": {"type": "array", "uniqueItems": True}}, output=list(range(200_000))
    )
    assert not ok and "more than" in reason


def test_catastrophic_regex_times_out() -> None:
    ok, _, reason = check({"type": "regex", "value": r"(\w+\s?)*$"}, output="a" * 5000 + "!")
    assert not ok and "took longer" in reason


def test_expressions_through_the_grader() -> None:
    g = FakeGrader(True)
    assert check({"type": "lua", "value": "#output > 3"}, grader=g)[0]
    assert g.calls[0][:3] == ("expr", "lua", "#output > 3") and g.calls[0][4] == {"city": "Paris"}
    ok, score, _ = check({"type": "javascript", "value": "0.4"}, grader=FakeGrader(0.4))
    assert (ok, score) == (False, 0.4)
    ok, score, _ = check({"type": "javascript", "value": "0.4", "threshold": 0.3}, grader=FakeGrader(0.4))
    assert ok
    ok, score, reason = check({"type": "lua", "value": "x"}, grader=FakeGrader({"pass": False, "reason": "nope"}))
    assert (ok, reason) == (False, "nope")
    ok, _, reason = check({"type": "lua", "value": "x"}, grader=FakeGrader(GradingError("lua assertion failed: x")))
    assert not ok and reason == "lua assertion failed: x"


def test_rubric_and_similar() -> None:
    g = FakeGrader(grade={"pass": True, "score": 0.7, "reason": "polite"})
    ok, score, reason = check({"type": "llm-rubric", "value": "is polite", "provider": "offline/j"}, grader=g)
    assert (ok, score, reason) == (True, 0.7, "judge: polite") and g.calls[0][1] == "offline/j"
    assert not check({"type": "llm-rubric", "value": "x", "threshold": 0.8}, grader=g)[0]
    ok, score, reason = check({"type": "similar", "value": "Paris"}, grader=FakeGrader())
    assert (ok, score) == (False, 0.6) and "0.600" in reason
    assert check({"type": "similar", "value": "Paris", "threshold": 0.5}, grader=FakeGrader())[0]


def test_tool_called() -> None:
    calls = [{"name": "calculator", "args": {"expression": "2+2"}}]
    assert check({"type": "tool-called", "value": "calculator"}, tool_calls=calls)[0]
    assert check(
        {"type": "tool-called", "value": {"name": "calculator", "args": {"expression": "2+2"}}}, tool_calls=calls
    )[0]
    ok, _, reason = check(
        {"type": "tool-called", "value": {"name": "calculator", "args": {"expression": "1"}}}, tool_calls=calls
    )
    assert not ok and "never with" in reason
    ok, _, reason = check({"type": "tool-called", "value": "search"}, tool_calls=calls)
    assert not ok and "called: calculator" in reason


def test_row_pass_and_weighted_score() -> None:
    specs = [
        parse_assertion({"type": "contains", "value": "Paris", "weight": 3}),
        parse_assertion({"type": "contains", "value": "Rome"}),
        parse_assertion({"type": "contains", "value": "Oslo", "weight": 0}),
    ]
    passed, score, results = evaluate_all(specs, Observation("Paris", {}), None)
    assert not passed and score == 0.75 and [r.passed for r in results] == [True, False, False]
    passed, score, _ = evaluate_all(specs[:1] + specs[2:], Observation("Paris", {}), None)
    assert passed and score == 1.0  # weight 0 is informational


def test_a_failed_run_fails_every_output_assertion() -> None:
    specs = [parse_assertion({"type": "not-contains", "value": "x"}), parse_assertion({"type": "cost", "value": 1})]
    passed, _, results = evaluate_all(specs, Observation(None, {}, error={"code": "timeout", "message": "slow"}), None)
    assert not passed and not results[0].passed and "the run failed: slow" in results[0].reason
    assert results[1].passed


def test_reasons_are_one_short_line() -> None:
    _, _, reason = check({"type": "equals", "value": "x"}, output="line one\nline two " * 200)
    assert "\n" not in reason and len(reason) <= 300


def test_names() -> None:
    assert parse_assertion({"type": "not-contains", "value": "x"}).name == "not-contains: x"
    assert parse_assertion({"type": "is-json", "metric": "valid"}).name == "valid"
    assert isinstance(parse_assertion({"type": "contains", "value": "a"}), AssertionSpec)
