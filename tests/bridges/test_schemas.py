"""Spell schemas: only local references, timed regexes, linear uniqueItems, bounded size and work."""

from __future__ import annotations

import time

import pytest

from app.bridges import schemas
from app.bridges.errors import SpellError
from app.bridges.schemas import check_schema, problem_with


@pytest.mark.parametrize(
    "ref", ["file:///etc/passwd#/x", "http://127.0.0.1:9/s.json", "other.json#/a", "//host/x", "urn:x"]
)
@pytest.mark.parametrize("keyword", schemas.REF_KEYWORDS)
def test_non_local_references_are_refused_naming_them(ref: str, keyword: str) -> None:
    with pytest.raises(SpellError) as e:
        check_schema({"type": "object", "properties": {"a": {keyword: ref}}}, "tool 'x'")
    assert e.value.code == "invalid_argument"
    assert ref in e.value.message and "tool 'x'" in e.value.message


def test_local_references_resolve_and_missing_ones_are_invalid() -> None:
    schema = {"type": "object", "properties": {"a": {"$ref": "#/$defs/n"}}, "$defs": {"n": {"type": "integer"}}}
    check_schema(schema, "s")
    assert problem_with({"a": 1}, schema, "s") is None
    assert "integer" in (problem_with({"a": "x"}, schema, "s") or "")
    remote_id = {"$id": "http://127.0.0.1:9/x.json", "properties": {"a": {"$ref": "#/nope"}}}
    check_schema(remote_id, "s")
    with pytest.raises(SpellError) as e:
        problem_with({"a": 1}, remote_id, "s")
    assert e.value.code == "invalid_argument" and "does not resolve" in e.value.message


def test_a_property_named_ref_is_not_a_reference() -> None:
    schema = {"type": "object", "properties": {"$ref": {"type": "string"}}}
    check_schema(schema, "s")
    assert problem_with({"$ref": "file:///etc/passwd"}, schema, "s") is None


@pytest.mark.parametrize("pattern", [r"^(a|aa)+$", r"(x+x+)+y", r"^(a|a)*$"])
def test_catastrophic_patterns_time_out(pattern: str) -> None:
    schema = {"type": "string", "pattern": pattern}
    check_schema(schema, "s")
    start = time.monotonic()
    with pytest.raises(SpellError) as e:
        problem_with("a" * 5000 + "!" if "a" in pattern else "x" * 5000, schema, "s")
    assert e.value.code == "limit_exceeded"
    assert time.monotonic() - start < schemas.REGEX_TIMEOUT_S + 1.0


def test_pattern_properties_and_additional_properties_are_timed() -> None:
    schema = {"type": "object", "patternProperties": {"^(a|aa)+$": {}}, "additionalProperties": False}
    check_schema(schema, "s")
    with pytest.raises(SpellError) as e:
        problem_with({"a" * 5000 + "!": 1}, schema, "s")
    assert e.value.code == "limit_exceeded"
    assert problem_with({"aaa": 1}, schema, "s") is None
    assert "does not match any of the regexes" in (problem_with({"b": 1}, schema, "s") or "")


def test_unique_items_is_linear_and_keeps_json_equality() -> None:
    schema = {"type": "array", "uniqueItems": True}
    items = [{"a": i, "b": [i, str(i)]} for i in range(5_000)]
    start = time.monotonic()
    assert problem_with(items, schema, "s") is None
    assert time.monotonic() - start < 5.0  # generous: quadratic takes ~10 s here
    assert problem_with([{"a": 1, "b": 2}, {"b": 2, "a": 1.0}], schema, "s") is not None
    assert problem_with([True, 1], schema, "s") is None
    assert problem_with([[1, 2], [2, 1]], schema, "s") is None


def test_instances_and_schemas_are_bounded_in_size() -> None:
    with pytest.raises(SpellError) as e:
        problem_with(list(range(schemas.MAX_INSTANCE_NODES + 1)), {"type": "array"}, "s")
    assert e.value.code == "limit_exceeded"
    big = {"type": "object", "properties": {f"p{i}": {"type": "string"} for i in range(schemas.MAX_SCHEMA_NODES)}}
    with pytest.raises(SpellError) as e:
        check_schema(big, "s")
    assert e.value.code == "invalid_argument"
    deep: dict[str, object] = {"type": "string"}
    for _ in range(schemas.MAX_SCHEMA_DEPTH + 1):
        deep = {"items": deep}
    with pytest.raises(SpellError):
        check_schema(deep, "s")


def test_exponential_schemas_stop_at_the_work_budget() -> None:
    defs: dict[str, object] = {"a0": {"type": "integer"}}
    for i in range(1, 40):
        defs[f"a{i}"] = {"allOf": [{"$ref": f"#/$defs/a{i - 1}"}, {"$ref": f"#/$defs/a{i - 1}"}]}
    schema = {"$defs": defs, "$ref": "#/$defs/a39"}
    check_schema(schema, "s")
    start = time.monotonic()
    with pytest.raises(SpellError) as e:
        problem_with(1, schema, "s")
    assert e.value.code == "limit_exceeded"
    assert time.monotonic() - start < schemas.MAX_SECONDS + 1.0


def test_reference_loops_are_a_clear_error() -> None:
    schema = {"$ref": "#"}
    check_schema(schema, "s")
    with pytest.raises(SpellError) as e:
        problem_with({"a": 1}, schema, "s")
    assert e.value.code in ("invalid_argument", "limit_exceeded")


def test_violation_messages_are_short() -> None:
    problem = problem_with("x" * 100_000, {"type": "string", "pattern": "^a"}, "s")
    assert problem is not None and len(problem) < 500
