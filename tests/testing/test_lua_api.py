"""The Lua test API (busted style) through the runner: results, lines, diffs, hooks, skips."""

from __future__ import annotations

from app.testing.results import Status
from tests.testing.conftest import by_name, write


def test_results_lines_and_diffs(tmp_path, run_tests) -> None:
    path = write(
        tmp_path,
        "calc_spec.lua",
        """
        describe("calc", function()
          it("adds", function()
            assert.are.equal(4, 2 + 2)
          end)
          it("compares tables deeply", function()
            assert.are.same({a = 1, b = {2, 3}}, {a = 1, b = {2, 4}})
          end)
          it("fails with equal", function()
            assert.are.equal("x", "y")
          end)
          pending("later")
        end)
        it("errors", function()
          local t = nil
          return t.x
        end)
        """,
    )
    r = run_tests(path)
    assert r.error is None
    cases = by_name(r)
    assert cases["calc › adds"].status is Status.PASSED and cases["calc › adds"].line == 2
    deep = cases["calc › compares tables deeply"]
    assert deep.status is Status.FAILED and deep.failure_line == 6
    assert "-    3" in deep.diff and "+    4" in deep.diff
    eq = cases["calc › fails with equal"]
    assert eq.failure_line == 9 and 'expected: "x"' in eq.diff and 'actual:   "y"' in eq.diff
    assert cases["calc › later"].status is Status.SKIPPED
    err = cases["errors"]
    assert err.status is Status.FAILED and err.failure_line == 15 and "nil value" in err.message
    assert (r.count(Status.PASSED), r.failed, r.count(Status.SKIPPED)) == (1, 3, 1)


def test_assertion_vocabulary(tmp_path, run_tests) -> None:
    path = write(
        tmp_path,
        "vocab_spec.lua",
        """
        it("all hold", function()
          assert.is_true(true); assert.is_false(false); assert.is_nil(nil); assert.is_not_nil(1)
          assert.are_not.equal(1, 2); assert.are_not.same({1}, {2}); assert.truthy(0); assert.falsy(nil)
          assert.has_error(function() error("boom") end, "boom")
          assert.has_error(function() error({code = "x", message = "m"}) end)
          assert.has_no.errors(function() end)
          assert.matches("^he%a+", "hello"); assert.is.table({}); assert.is_string("s")
          assert(1 == 1, "plain assert works")
        end)
        it("plain assert reports its message", function() assert(false, "nope") end)
        it("has_error with a wrong message", function()
          assert.has_error(function() error("boom") end, "bang")
        end)
        it("unknown assertion", function() assert.is_purple(1) end)
        """,
    )
    cases = by_name(run_tests(path))
    assert cases["all hold"].status is Status.PASSED, cases["all hold"].message
    assert cases["plain assert reports its message"].message == "nope"
    assert cases["plain assert reports its message"].failure_line == 10
    assert "bang" in cases["has_error with a wrong message"].message
    assert "is_purple" in cases["unknown assertion"].message


def test_hooks_order_and_fresh_state(tmp_path, run_tests) -> None:
    path = write(
        tmp_path,
        "hooks_spec.lua",
        """
        local log = {}
        describe("outer", function()
          before_each(function() log[#log + 1] = "b1" end)
          after_each(function() log[#log + 1] = "a1" end)
          describe("inner", function()
            before_each(function() log[#log + 1] = "b2" end)
            it("one", function()
              assert.is_nil(State.get("run", "k"))
              State.set("run", "k", 1)
              State.set("workspace", "w", 1)
            end)
            it("two: state is fresh", function()
              assert.is_nil(State.get("run", "k"))
              assert.is_nil(State.get("workspace", "w"))
              assert.are.same({"b1", "b2", "a1", "b1", "b2"}, log)
            end)
          end)
        end)
        """,
    )
    r = run_tests(path)
    assert [c.status for c in r.cases] == [Status.PASSED, Status.PASSED], [c.message for c in r.cases]


def test_filter_line_and_bail(tmp_path, run_tests) -> None:
    path = write(
        tmp_path,
        "sel_spec.lua",
        """
        it("alpha", function() end)
        it("beta fails", function() assert.is_true(false) end)
        it("gamma", function() end)
        """,
    )
    assert [c.name for c in run_tests(path, filter="gam").cases] == ["gamma"]
    assert [c.name for c in run_tests(path, line=2).cases] == ["beta fails"]
    assert [c.name for c in run_tests(path, bail=True).cases] == ["alpha", "beta fails"]


def test_output_is_kept_per_test_and_syntax_errors_fail_the_file(tmp_path, run_tests) -> None:
    path = write(
        tmp_path,
        "out_spec.lua",
        """
        print("declaring")
        it("talks", function() print("hello from the test") end)
        """,
    )
    r = run_tests(path)
    assert r.cases[0].output == "hello from the test\n" and r.output == "declaring\n"
    bad = write(tmp_path, "bad_spec.lua", "it('x', function() end\n")
    r = run_tests(bad)
    assert r.error is not None and r.error.code == "syntax" and r.failed == 1


def test_setup_and_teardown_run_once_per_describe(tmp_path, run_tests) -> None:
    path = write(
        tmp_path,
        "hooks_spec.lua",
        """
        local log = {}
        describe("db", function()
          setup(function() log[#log + 1] = "setup" end)
          teardown(function() log[#log + 1] = "teardown" end)
          before_each(function() log[#log + 1] = "each" end)
          it("one", function() end)
          pending("skipped")
          it("two", function() end)
        end)
        describe("broken", function()
          setup(function() error("no database") end)
          it("a", function() end)
          it("b", function() end)
        end)
        describe("messy", function()
          teardown(function() assert.are.equal(1, 2) end)
          it("first", function() end)
          it("last", function() end)
        end)
        it("order", function()
          assert.are.same({"setup", "each", "each", "teardown"}, log)
        end)
        """,
    )
    r = run_tests(path)
    assert r.error is None, r.error
    cases = by_name(r)
    assert cases["db › one"].status is Status.PASSED and cases["db › two"].status is Status.PASSED
    for name in ("broken › a", "broken › b"):
        assert cases[name].status is Status.FAILED and cases[name].message == "setup: no database", cases[name].message
        assert cases[name].failure_line == 11
    assert cases["messy › first"].status is Status.PASSED
    last = cases["messy › last"]
    assert last.status is Status.FAILED and last.message.startswith("teardown: ") and last.failure_line == 16
    assert cases["order"].status is Status.PASSED, cases["order"].message
