"""Values crossing the worker/host boundary keep their shape (docs/architecture.md §3)."""

from __future__ import annotations

import pytest

from app.runner import RunOptions


def run(runner, name, src, inputs=None):
    return runner.run(name, src, RunOptions(inputs=inputs))


NESTED = {
    "name": "Ada",
    "n": 3,
    "x": 2.5,
    "ok": True,
    "none": None,
    "list": [1, [2, [3, {"deep": "é✓"}]]],
    "map": {"a": {"b": {"c": [True, False]}}},
}


@pytest.mark.parametrize("name,src", [("rt.lua", "return INPUT"), ("rt.js", "return INPUT;")])
def test_input_round_trips_unchanged(runner, name, src):
    result = run(runner, name, src, NESTED)
    assert result.status == "ok"
    expected = {k: v for k, v in NESTED.items() if v is not None} if name.endswith(".lua") else NESTED
    assert result.value == expected


def test_lua_integers_stay_integers_and_floats_stay_floats(runner):
    result = run(runner, "n.lua", "return {1, 1.0, 2^53, 3 // 2, 7 / 2, -0.0, math.maxinteger}")
    assert result.value == [1, 1.0, 2.0**53, 1, 3.5, -0.0, 2**63 - 1]
    assert [type(v) for v in result.value] == [int, float, float, int, float, float, int]


def test_js_integral_numbers_are_integers(runner):
    assert run(runner, "n.js", "return [1, 1.0, 2.5, 2**53];").value == [1, 1, 2.5, 2**53]


def test_empty_table_is_an_object_unless_made_with_json_array(runner):
    result = run(
        runner, "e.lua", "return {JSON.encode({}), JSON.encode(JSON.array()), JSON.encode({{}, JSON.array()})}"
    )
    assert result.value == ["{}", "[]", "[{},[]]"]


def test_decoded_empty_arrays_stay_arrays_in_lua(runner):
    result = run(
        runner, "d.lua", 'local v = JSON.decode(\'{"xs": [], "o": {}}\') return JSON.encode(v, {sort_keys = true})'
    )
    assert result.value == '{"o":{},"xs":[]}'


def test_sparse_and_mixed_tables_become_objects_with_string_keys(runner):
    result = run(runner, "s.lua", "return JSON.encode({[1] = 'a', [3] = 'c'}, {sort_keys = true})")
    assert result.value == '{"1":"a","3":"c"}'


def test_unicode_round_trips(runner):
    text = "héllo wörld ✓ 日本語 🎉"
    for name, src in (
        ("u.lua", "return JSON.decode(JSON.encode(INPUT))"),
        ("u.js", "return JSON.decode(JSON.encode(INPUT));"),
    ):
        assert run(runner, name, src, text).value == text


@pytest.mark.parametrize(
    "name,src",
    [
        ("cyc.lua", "local t = {} t.me = t return JSON.encode(t)"),
        ("cyc.js", "const t = {}; t.me = t; return JSON.encode(t);"),
    ],
)
def test_cycles_are_a_clear_error(runner, name, src):
    result = run(runner, name, src)
    assert result.status == "error"
    assert result.failure.code == "invalid_argument"
    assert "cycle" in result.failure.message


@pytest.mark.parametrize(
    "name,src",
    [
        ("deep.lua", "local t = {} local c = t for i = 1, 150 do c.x = {} c = c.x end return JSON.encode(t)"),
        (
            "deep.js",
            "const t = {}; let c = t; for (let i = 0; i < 150; i++) { c.x = {}; c = c.x; } return JSON.encode(t);",
        ),
    ],
)
def test_depth_limit_is_a_clear_error(runner, name, src):
    result = run(runner, name, src)
    assert result.status == "error"
    assert result.failure.code == "invalid_argument"
    assert "nested deeper than 100 levels" in result.failure.message


def test_nan_cannot_cross(runner):
    result = run(runner, "nan.lua", "return JSON.encode(0/0)")
    assert result.failure.code == "invalid_argument"
    assert "NaN" in result.failure.message


def test_functions_only_where_a_callback_is_expected(runner):
    result = run(runner, "f.lua", "return JSON.encode({f = function() end})")
    assert result.status == "error"
    assert result.failure.code == "invalid_argument"


def test_invalid_utf8_is_refused(runner):
    result = run(runner, "b.lua", r'return JSON.encode("\xff\xfe")')
    assert result.failure.code == "invalid_argument"
    assert "UTF-8" in result.failure.message


def test_js_option_keys_are_camel_case(runner):
    result = run(runner, "o.js", "return JSON.encode({b: 1, a: 2}, {sortKeys: true});")
    assert result.value == '{"a":2,"b":1}'


def test_unknown_option_is_named(runner):
    result = run(runner, "o.lua", "local s = JSON.encode({}, {prety = true})\nreturn s")
    assert result.failure.code == "invalid_argument"
    assert "unknown option 'prety'" in result.failure.message
    assert result.failure.line == 1
