"""Test-file discovery, declared cases (the IDE's tree before a run), diffs and summaries."""

from __future__ import annotations

import pytest

from app.testing.discovery import DiscoveryError, declared_cases, discover
from app.testing.results import FileResult, Totals, render_diff
from tests.testing.conftest import write


def test_discover_uses_the_language_patterns(tmp_path) -> None:
    for name in (
        "a_spec.lua",
        "b_test.lua",
        "c.test.js",
        "d.spec.js",
        "e_test.tengo",
        "plain.lua",
        "node_modules/x_spec.lua",
        ".hidden/y_spec.lua",
        "deep/z_spec.lua",
    ):
        write(tmp_path, name, "")
    found = [p.replace(str(tmp_path) + "/", "") for p in discover([str(tmp_path)])]
    assert sorted(found) == ["a_spec.lua", "b_test.lua", "c.test.js", "d.spec.js", "deep/z_spec.lua", "e_test.tengo"]
    with pytest.raises(DiscoveryError):
        discover([str(tmp_path / "nope")])


def test_declared_cases_nest_like_runs_name_them() -> None:
    lua = 'describe("calc", function()\n  it("adds", function() end)\n  pending("later")\nend)\nit("top", f)\n'
    cases = declared_cases(lua, "lua")
    assert [(c.name, c.line, c.kind, c.skipped) for c in cases] == [
        ("calc", 1, "describe", False),
        ("calc › adds", 2, "test", False),
        ("calc › later", 3, "test", True),
        ("top", 5, "test", False),
    ]
    js = "describe('s', () => {\n  test.skip(\"x\", () => {});\n  it(`y`, () => {});\n});\n"
    assert [(c.name, c.skipped) for c in declared_cases(js, "js")] == [("s", False), ("s › x", True), ("s › y", False)]
    tengo = 'test("a", func() {})\nskip("b", func() {})\n'
    assert [(c.name, c.skipped) for c in declared_cases(tengo, "tengo")] == [("a", False), ("b", True)]


def test_render_diff() -> None:
    assert render_diff(1, 2) == "expected: 1\nactual:   2"
    diff = render_diff({"a": [1, 2]}, {"a": [1, 3]})
    assert diff.startswith("--- expected\n+++ actual") and "-    2" in diff and "+    3" in diff
    assert "expected (list)" in render_diff([1], {"a": 1})


def test_summary_line() -> None:
    assert Totals(3, 1, 0).summary() == "3 passed, 1 failed"
    assert Totals(3, 1, 2).summary() == "3 passed, 1 failed, 2 skipped"
    assert Totals.of([FileResult("x")]).summary() == "0 passed, 0 failed"


def test_reports_of_a_hostile_worker_are_bounded() -> None:
    from app.engines.protocol import TestResult
    from app.testing.session import case_from_message

    big = {"k": list(range(100_000))}
    diff = render_diff(big, {"k": list(range(1, 100_001))})
    assert len(diff.splitlines()) <= 201
    msg = TestResult("r", 1, "x" * 5000, "passed-ish", message="m" * 50_000)
    case = case_from_message("f.lua", msg)
    assert case.status.value == "failed" and len(case.message) < 11_000 and len(case.name) < 1100
