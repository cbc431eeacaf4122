"""The test API of each language as data: the one description the reference and editor completion read.

The API itself is implemented in each language's own code inside the worker (``app/engines/lua_test.lua``,
``app/engines/js_test.js``, ``app/engines/tengo/testing.py``); the bridges a test can also reach (``Mock``,
``Spell``) are in the bridge registry. Keep this list in step with those files (tests/testing check it).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TestFunction:
    """One name of a language's test API."""

    name: str  # as written: "describe", "assert.are.same", "expect(x).toEqual"
    signature: str
    summary: str


@dataclass(frozen=True)
class TestApi:
    style: str  # "busted", "Jest", "Tengo"
    functions: tuple[TestFunction, ...]
    example: str

    def globals(self) -> list[str]:
        """The global names a test file of this language has (for completion and compile checks)."""
        return sorted({f.name.split(".")[0].split("(")[0] for f in self.functions})

    def members(self, name: str) -> list[str]:
        """The members written after ``name.`` (``assert`` → equal, same, ...)."""
        prefix = name + "."
        return sorted({f.name[len(prefix) :].split(".")[0] for f in self.functions if f.name.startswith(prefix)})


F = TestFunction

LUA = TestApi(
    "busted",
    (
        F("describe", "describe(name, fn)", 'Group tests; names nest ("outer › inner › test").'),
        F("it", "it(name, fn)", "Declare a test (also `test`)."),
        F("pending", "pending(name)", "Declare a test that is reported as skipped."),
        F("before_each", "before_each(fn)", "Run fn before each test of the enclosing describe (outer ones first)."),
        F("after_each", "after_each(fn)", "Run fn after each test of the enclosing describe, even when it failed."),
        F(
            "setup",
            "setup(fn)",
            "Run fn once, before the first test of the enclosing describe (if it fails, so do that describe's tests).",
        ),
        F("teardown", "teardown(fn)", "Run fn once, after the last test of the enclosing describe."),
        F("assert.are.equal", "assert.are.equal(expected, actual[, message])", "Equal by ==; a failure shows both."),
        F(
            "assert.are.same",
            "assert.are.same(expected, actual[, message])",
            "Deeply equal tables; a failure shows a diff.",
        ),
        F("assert.is_true", "assert.is_true(value)", "value is true (also is_false, is_nil, truthy, falsy)."),
        F("assert.is_false", "assert.is_false(value)", "value is false."),
        F("assert.is_nil", "assert.is_nil(value)", "value is nil (is_not_nil: is not)."),
        F("assert.has_error", "assert.has_error(fn[, message])", "fn raises an error (with this message)."),
        F("assert.matches", "assert.matches(pattern, s)", "s matches the Lua pattern."),
        F("assert.are_not.equal", "assert.are_not.equal(a, b)", "Any assertion negated with not / are_not / is_not."),
    ),
    """describe("greet", function()
  it("uses the mocked model", function()
    Mock.llm("greeting", "Hello, Ada!")
    local r = Spell.run("greet.lua", {name = "Ada"})
    assert.are.equal("Hello, Ada!", r.result)
    assert.are.equal("Write a greeting for Ada", r.calls[1].prompt)
  end)
end)""",
)

JS = TestApi(
    "Jest",
    (
        F("describe", "describe(name, fn)", "Group tests (describe.skip skips them)."),
        F(
            "test",
            "test(name, fn)",
            "Declare a test (also it; test.skip, test.todo; test.only / describe.only run "
            "only those, the others are reported skipped).",
        ),
        F("it", "it(name, fn)", "Declare a test; fn may be async (its promise is awaited, bridge calls too)."),
        F(
            "beforeAll",
            "beforeAll(fn)",
            "Run fn once, before the first test of the enclosing describe (if it fails, so do that describe's tests).",
        ),
        F("afterAll", "afterAll(fn)", "Run fn once, after the last test of the enclosing describe."),
        F("beforeEach", "beforeEach(fn)", "Run fn before each test of the enclosing describe (may be async)."),
        F("afterEach", "afterEach(fn)", "Run fn after each test of the enclosing describe (may be async)."),
        F(
            "expect",
            "expect(actual)",
            "Matchers: toBe, toEqual (deep), toContain, toMatch, toBeTruthy, toBeFalsy, "
            "toBeNull, toBeUndefined, toThrow, toHaveLength, toBeGreaterThan, toBeCloseTo, "
            "and .not before any of them.",
        ),
    ),
    """describe("greet", () => {
  test("uses the mocked model", () => {
    Mock.llm(/greeting/, "Hello, Ada!");
    const r = Spell.run("greet.js", {name: "Ada"});
    expect(r.result).toBe("Hello, Ada!");
    expect(r.calls[0].prompt).toBe("Write a greeting for Ada");
  });
});""",
)

TENGO = TestApi(
    "Tengo",
    (
        F("test", "test(name, func() {...})", "Run a test now; a failed assertion ends it."),
        F("skip", "skip(name, func() {...})", "Report a test as skipped."),
        F("assert.equal", "assert.equal(expected, actual[, message])", "Equal (Tengo ==); a failure shows a diff."),
        F("assert.not_equal", "assert.not_equal(a, b)", "Not equal."),
        F("assert.deep_equal", "assert.deep_equal(expected, actual)", "Deeply equal maps and arrays."),
        F("assert.true", "assert.true(value)", "value is true (assert.false: false)."),
        F("assert.false", "assert.false(value)", "value is false."),
        F("assert.error", "assert.error(value)", "value is an error value (assert.not_error: is not)."),
        F("assert.not_error", "assert.not_error(value)", "value is not an error value."),
        F("assert.undefined", "assert.undefined(value)", "value is undefined."),
        F("assert.contains", "assert.contains(container, item)", "A string, array or map (key) holds item."),
        F("assert.fail", "assert.fail(message)", "Fail the test now."),
    ),
    """test("uses the mocked model", func() {
    Mock.llm("greeting", "Hello, Ada!")
    r := Spell.run("greet.tengo", {name: "Ada"})
    assert.equal("Hello, Ada!", r.result)
    assert.equal("Write a greeting for Ada", r.calls[0].prompt)
})""",
)

BY_LANGUAGE: dict[str, TestApi] = {"lua": LUA, "js": JS, "tengo": TENGO}


def for_language(language: str) -> TestApi | None:
    """The test API of ``language`` (a language registry id), or None."""
    return BY_LANGUAGE.get(language)


#: TypeScript declarations of the JavaScript test API (part of ``llmspell docs --format dts``)
TS_DECLARATIONS = """/** Test files (*.test.js, *.spec.js): group tests; names nest ("outer › inner › test"). */
declare function describe(name: string, fn: () => void): void;
declare namespace describe {
  function skip(name: string, fn: () => void): void;
  function only(name: string, fn: () => void): void;
}
declare function xdescribe(name: string, fn: () => void): void;
/** Test files: declare a test (a failed expect ends it); an async body is awaited. */
declare function test(name: string, fn?: () => void | Promise<void>): void;
declare namespace test {
  function skip(name: string, fn?: () => void | Promise<void>): void;
  function todo(name: string): void;
  function only(name: string, fn?: () => void | Promise<void>): void;
}
declare var it: typeof test;
declare function xit(name: string, fn?: () => void | Promise<void>): void;
declare function xtest(name: string, fn?: () => void | Promise<void>): void;
/** Test files: run fn once, before the first (after the last) test of the enclosing describe. */
declare function beforeAll(fn: () => void | Promise<void>): void;
declare function afterAll(fn: () => void | Promise<void>): void;
/** Test files: run fn before (after) each test of the enclosing describe. */
declare function beforeEach(fn: () => void | Promise<void>): void;
declare function afterEach(fn: () => void | Promise<void>): void;
/** What expect(actual) can check; `.not` negates. */
interface Matchers {
  not: Matchers;
  toBe(expected: any): void;
  toEqual(expected: any): void;
  toStrictEqual(expected: any): void;
  toContain(item: any): void;
  toMatch(pattern: RegExp | string): void;
  toBeTruthy(): void;
  toBeFalsy(): void;
  toBeNull(): void;
  toBeUndefined(): void;
  toBeDefined(): void;
  toHaveLength(n: number): void;
  toHaveProperty(key: string): void;
  toBeGreaterThan(n: number): void;
  toBeGreaterThanOrEqual(n: number): void;
  toBeLessThan(n: number): void;
  toBeLessThanOrEqual(n: number): void;
  toBeCloseTo(n: number, digits?: number): void;
  toThrow(expected?: RegExp | string | Function): void;
}
/** Test files: check a value (a failure reports expected vs actual with a diff, and the line). */
declare function expect(actual: any): Matchers;
"""

#: lua-language-server declarations of the Lua test API (part of ``llmspell docs --format luals``)
LUA_META = """---@meta test
-- Test files (*_spec.lua, *_test.lua): the busted-style test API.

---Group tests; names nest ("outer › inner › test").
---@param name string
---@param fn fun()
function describe(name, fn) end

---Declare a test (a failed assertion ends it).
---@param name string
---@param fn? fun()
function it(name, fn) end

---Declare a test (same as it).
---@param name string
---@param fn? fun()
function test(name, fn) end

---Declare a test that is reported as skipped.
---@param name string
function pending(name) end

---Run fn before each test of the enclosing describe (outer ones first).
---@param fn fun()
function before_each(fn) end

---Run fn after each test of the enclosing describe, even when it failed.
---@param fn fun()
function after_each(fn) end

---Run fn once, before the first test of the enclosing describe (a failure fails that describe's tests).
---@param fn fun()
function setup(fn) end

---Run fn once, after the last test of the enclosing describe.
---@param fn fun()
function teardown(fn) end
"""
