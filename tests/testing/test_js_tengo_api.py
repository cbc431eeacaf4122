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


def test_js_async_tests_and_hooks_are_awaited(tmp_path, run_tests) -> None:
    path = write(
        tmp_path,
        "async.test.js",
        """
        const log = [];
        const later = (v, ms) => new Promise((ok) => setTimeout(() => ok(v), ms));
        describe("async", () => {
          beforeAll(async () => { log.push("all:" + await later("a", 5)); });
          beforeEach(async () => { await later(0, 1); log.push("each"); });
          afterAll(() => { log.push("done"); });
          test("awaits a timer", async () => {
            expect(await later(42, 5)).toBe(42);
          });
          test("awaits a bridge call", async () => {
            expect(await LLM.completeAsync("hi", {model: "offline/echo"})).toBe("Echo: hi");
          });
          test("an awaited failure", async () => {
            await later(0, 1);
            expect(await later(1, 1)).toBe(2);
          });
          test("a rejection", async () => {
            await Promise.reject(new Error("nope"));
          });
        });
        test("hooks ran in order", () => {
          expect(log).toEqual(["all:a", "each", "each", "each", "each", "done"]);
        });
        """,
    )
    r = run_tests(path)
    assert r.error is None, r.error
    cases = by_name(r)
    assert cases["async › awaits a timer"].status is Status.PASSED, cases["async › awaits a timer"].message
    bridge = cases["async › awaits a bridge call"]
    assert bridge.status is Status.PASSED, bridge.message
    failed = cases["async › an awaited failure"]
    assert failed.status is Status.FAILED and failed.failure_line == 15 and "+2" not in (failed.diff or "x")
    rejected = cases["async › a rejection"]
    assert rejected.status is Status.FAILED and "nope" in rejected.message
    order = cases["hooks ran in order"]
    assert order.status is Status.PASSED, order.message


def test_js_before_all_failure_fails_its_tests_only(tmp_path, run_tests) -> None:
    path = write(
        tmp_path,
        "hooks.test.js",
        """
        describe("broken setup", () => {
          beforeAll(() => { throw new Error("no database"); });
          test("one", () => {});
          test("two", () => {});
        });
        describe("cleanup", () => {
          afterAll(() => { throw new Error("left a mess"); });
          test("first", () => {});
          test("last", () => {});
        });
        test("outside", () => {});
        """,
    )
    r = run_tests(path)
    assert r.error is None, r.error
    cases = by_name(r)
    for name in ("broken setup › one", "broken setup › two"):
        assert cases[name].status is Status.FAILED and cases[name].message == "beforeAll: no database"
    assert cases["cleanup › first"].status is Status.PASSED
    assert (
        cases["cleanup › last"].status is Status.FAILED and cases["cleanup › last"].message == "afterAll: left a mess"
    )
    assert cases["outside"].status is Status.PASSED


def test_js_async_describe_is_refused(tmp_path, run_tests) -> None:
    path = write(tmp_path, "bad.test.js", 'describe("x", async () => { test("t", () => {}); });\n')
    r = run_tests(path)
    assert r.error is not None and "must not be async" in r.error.message


def test_a_js_test_whose_promise_never_settles_is_named(tmp_path, run_tests) -> None:
    path = write(
        tmp_path,
        "hang.test.js",
        """
        test("fine", () => { expect(1).toBe(1); });
        test("hangs", async () => { await new Promise(() => {}); });
        """,
    )
    r = run_tests(path)
    assert by_name(r)["fine"].status is Status.PASSED
    assert r.error is not None and "never settled" in r.error.message
    assert "while test 'hangs (line 2)' was running" in r.error.message


def test_a_forgotten_await_fails_the_test_it_is_in(tmp_path, run_tests) -> None:
    path = write(
        tmp_path,
        "forgot.test.js",
        """
        const later = (ms) => new Promise((ok) => setTimeout(ok, ms));
        test("forgets to await", async () => {
          LLM.completeAsync("x", {model: "nope/none"});
          await later(20);
        });
        test("next", () => {});
        """,
    )
    r = run_tests(path)
    assert r.error is None, r.error
    cases = by_name(r)
    forgot = cases["forgets to await"]
    assert forgot.status is Status.FAILED and forgot.failure_line == 3, forgot
    assert forgot.message.startswith("a call nothing awaited failed: invalid_argument:")
    assert cases["next"].status is Status.PASSED
