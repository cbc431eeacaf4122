""" "Debug this test": a debug run of a test file limited to one test stops at a breakpoint inside that test."""

from __future__ import annotations

import pytest

from app.debugger.session import BreakpointStore, DebugSession
from app.runner import RunOptions
from tests.debugger.conftest import WAIT

CASES = {
    "lua": (
        "calc_spec.lua",
        """
        describe("calc", function()
          it("adds", function()
            local x = 2 + 2
            assert.are.equal(4, x)
          end)
          it("other", function()
            local y = 1
          end)
        end)
        """,
        4,
        2,
    ),
    "js": (
        "calc.test.js",
        """
        describe("calc", () => {
          test("adds", () => {
            const x = 2 + 2;
            expect(x).toBe(4);
          });
          test("other", () => {
            const y = 1;
          });
        });
        """,
        4,
        2,
    ),
    "tengo": (
        "calc_test.tengo",
        """
        test("adds", func() {
            x := 2 + 2
            assert.equal(4, x)
        })
        test("other", func() {
            y := 1
        })
        """,
        3,
        1,
    ),
}


@pytest.mark.parametrize("lang", sorted(CASES))
def test_debug_one_test_stops_inside_it(runner, spell, lang) -> None:
    name, source, bp_line, test_line = CASES[lang]
    path = spell(name, source)
    store = BreakpointStore()
    store.add(path, bp_line)
    session = DebugSession(store)
    seen = []

    class Obs:
        def on_test_result(self, msg):
            seen.append((msg.name, msg.status))

    run = runner.debug(path, session, options=RunOptions(test={"line": test_line}), observer=Obs())
    stop = session.wait_paused(WAIT)
    assert stop is not None, run.wait(5)
    assert stop.line == bp_line
    session.continue_()
    result = run.wait(WAIT)
    assert result is not None and result.ok, result
    assert seen == [("adds" if lang == "tengo" else "calc › adds", "passed")]
