"""The JavaScript (Jest style) and Tengo test APIs through the runner."""

from __future__ import annotations

from app.testing.results import Status
from tests.testing.conftest import by_name, write


def test_js_matchers_lines_and_diffs(tmp_path, run_tests) -> None:
    path = write(
        tmp_path,
        "calc.test.js",
        """
        describe("calc", () => {
          let n = 0;
          beforeEach(() => { n += 1; });
          afterEach(() => { n += 10; });
          test("adds", () => {
            expect(2 + 2).toBe(4);
            expect({a: [1, {b: 2}]}).toEqual({a: [1, {b: 2}]});
            expect([1, 2]).toContain(2); expect("hello").toContain("ell");
            expect("hello").toMatch(/^h.l/); expect("hello").toMatch("llo");
            expect(1).toBeTruthy(); expect(0).toBeFalsy(); expect(null).toBeNull();
            expect(() => { throw new Error("boom"); }).toThrow("boom");
            expect(() => { throw new Error("boom"); }).toThrow(/bo+m/);
            expect(() => {}).not.toThrow(); expect(1).not.toBe(2); expect([1]).toHaveLength(1);
          });
          it("hooks ran", () => { expect(n).toBe(12); });
          test("deep diff", () => {
            expect({a: 1, b: [2, 4]}).toEqual({a: 1, b: [2, 3]});
          });
          test.skip("later", () => {});
          test("throws a TypeError", () => { null.x; });
        });
        """,
    )
    r = run_tests(path)
    assert r.error is None, r.error
    cases = by_name(r)
    assert cases["calc › adds"].status is Status.PASSED, cases["calc › adds"].message
    assert cases["calc › adds"].line == 5
    assert cases["calc › hooks ran"].status is Status.PASSED, cases["calc › hooks ran"].message
    deep = cases["calc › deep diff"]
    assert deep.failure_line == 17 and "-    3" in deep.diff and "+    4" in deep.diff
    assert cases["calc › later"].status is Status.SKIPPED
    err = cases["calc › throws a TypeError"]
    assert err.location.endswith(":20") and "TypeError" in err.message  # QuickJS: no line, the test's own


def test_tengo_assert_module(tmp_path, run_tests) -> None:
    path = write(
        tmp_path,
        "calc_test.tengo",
        """
        test("adds", func() {
            assert.equal(4, 2 + 2)
            assert.deep_equal({a: [1, 2]}, {a: [1, 2]})
            assert.true(1 < 2)
            assert.false(1 > 2)
            assert.error(error("boom"))
            assert.not_equal(1, 2)
            assert.contains([1, 2], 2)
        })
        test("deep diff", func() {
            assert.deep_equal({a: 1, b: [2, 3]}, {a: 1, b: [2, 4]})
        })
        test("runtime error", func() {
            x := 1 + "a"
        })
        skip("later", func() {})
        ai := import("assert")
        test("imported module", func() { ai.equal("x", "x") })
        """,
    )
    r = run_tests(path)
    assert r.error is None, r.error
    cases = by_name(r)
    assert cases["adds"].status is Status.PASSED, cases["adds"].message
    deep = cases["deep diff"]
    assert deep.failure_line == 11 and "-    3" in deep.diff
    assert cases["runtime error"].failure_line == 14
    assert cases["later"].status is Status.SKIPPED
    assert cases["imported module"].status is Status.PASSED


def test_js_only_runs_the_marked_tests(tmp_path, run_tests) -> None:
    path = write(
        tmp_path,
        "only.test.js",
        """
        test("a", () => {});
        test.only("b", () => {});
        describe.only("c", () => { test("d", () => {}); });
        """,
    )
    assert {c.name: c.status.value for c in run_tests(path).cases} == {"a": "skipped", "b": "passed", "c › d": "passed"}
