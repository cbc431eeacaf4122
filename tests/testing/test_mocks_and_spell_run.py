"""Mock.llm / Mock.tool / Mock.calls and Spell.run: what a test can reach, and what it cannot."""

from __future__ import annotations

import os

from app.runner import RunOptions
from app.testing.results import Status
from tests.testing.conftest import by_name, write

SPELL = """
local name = (INPUT or {}).name or "world"
local reply = LLM.complete("Write a greeting for " .. name)
print("got: " .. reply)
return {greeting = reply}
"""


def _passed(result) -> None:
    bad = {c.name: f"{c.location}: {c.message} {c.diff}" for c in result.cases if c.status is Status.FAILED}
    assert result.error is None and not bad, (result.error, bad)


def test_mocks_apply_to_spell_run_and_calls_are_listed(tmp_path, run_tests) -> None:
    write(tmp_path, "greet.lua", SPELL)
    path = write(
        tmp_path,
        "greet_spec.lua",
        """
        Mock.llm("never matched at file level", "file-level")
        it("mocks the child run", function()
          Mock.llm("greeting", "Hello, Ada!")
          local r = Spell.run("greet.lua", {name = "Ada"})
          assert.is_nil(r.error)
          assert.are.equal("Hello, Ada!", r.result.greeting)
          assert.are.equal("got: Hello, Ada!\\n", r.output)
          assert.are.equal("Write a greeting for Ada", r.calls[1].prompt)
          assert.is_true(r.calls[1].mocked)
          assert.are.equal(1, #Mock.calls())
        end)
        it("mocks made in a test end with it", function()
          local text = LLM.complete("Write a greeting for Bo")
          assert.are_not.equal("Hello, Ada!", text)   -- the offline model answered
          assert.is_false(Mock.calls()[1].mocked)
        end)
        it("patterns, functions, tables, times", function()
          Mock.llm({pattern = "^Say %a+$"}, "pattern")
          assert.are.equal("pattern", LLM.complete("Say hi"))
          Mock.llm(function(req) return req.prompt == "fn?" end, function(req) return "fn:" .. req.model end)
          assert.are.equal("fn:offline/echo", LLM.complete("fn?"))
          Mock.llm("json", {answer = 42})
          assert.are.equal(42, JSON.decode(LLM.complete("json please")).answer)
          Mock.llm("once", "first", {times = 1})
          assert.are.equal("first", LLM.complete("once"))
          assert.are_not.equal("first", LLM.complete("once"))
          Mock.reset()
          assert.are.same({}, Mock.calls())
        end)
        it("tools", function()
          Tool.register("weather", "Weather", {type = "object", properties = {city = {type = "string"}}},
            function(a) return "rain" end)
          Mock.tool("weather", function(args) return "sunny in " .. args.city end)
          assert.are.equal("sunny in Oslo", Tool.call("weather", {city = "Oslo"}))
          local calls = Mock.calls()
          assert.are.equal("tool", calls[1].kind)
          assert.are.equal("weather", calls[1].name)
        end)
        """,
    )
    _passed(run_tests(path))


def test_js_regexp_mocks_and_child_errors(tmp_path, run_tests) -> None:
    write(tmp_path, "fail.js", "throw new Error('nope');\n")
    write(tmp_path, "greet.js", "return LLM.complete('Write a greeting for ' + INPUT.name);\n")
    path = write(
        tmp_path,
        "greet.test.js",
        """
        test("regexp mock", () => {
          Mock.llm(/greeting for \\w+/, "Hi!");
          const r = Spell.run("greet.js", {name: "Ada"});
          expect(r.result).toBe("Hi!");
          expect(r.calls[0].prompt).toBe("Write a greeting for Ada");
        });
        test("child errors come back as values", () => {
          const r = Spell.run("fail.js");
          expect(r.result).toBeNull();
          expect(r.error.message).toMatch(/nope/);
          expect(r.error.code).toBe("runtime");
        });
        """,
    )
    _passed(run_tests(path))


def test_spell_run_is_confined_to_the_test_folder(tmp_path, run_tests) -> None:
    outside = write(tmp_path, "secret.lua", "return 'secret'\n")
    (tmp_path / "tests").mkdir()
    os.symlink(outside, tmp_path / "tests" / "link.lua")
    write(tmp_path, "tests/sub/ok.lua", "return 'ok'\n")
    path = write(
        tmp_path,
        "tests/conf_spec.lua",
        f"""
        local function code(fn) local ok, e = pcall(fn); assert.is_false(ok); return e.code end
        it("refuses escapes", function()
          assert.are.equal("permission_denied", code(function() Spell.run("../secret.lua") end))
          assert.are.equal("permission_denied", code(function() Spell.run("link.lua") end))
          assert.are.equal("permission_denied", code(function() Spell.run("{outside}") end))
          assert.are.equal("not_found", code(function() Spell.run("nothing.lua") end))
          assert.are.equal("invalid_argument", code(function() Spell.run("") end))
        end)
        it("runs spells in sub-folders", function()
          assert.are.equal("ok", Spell.run("sub/ok.lua").result)
        end)
        """,
    )
    _passed(run_tests(path))


def test_test_only_globals_do_not_exist_in_spells(runner, tmp_path) -> None:
    path = write(tmp_path, "plain.lua", "return {type(Mock), type(Spell), type(describe)}\n")
    result = runner.run(path, options=RunOptions(timeout_s=30))
    assert result.value == ["nil", "nil", "nil"]


def test_a_child_run_cannot_outlive_its_test(tmp_path, run_tests) -> None:
    write(tmp_path, "loop.lua", "while true do end\n")
    path = write(
        tmp_path,
        "slow_spec.lua",
        """
        it("child times out with the test", function()
          local r = Spell.run("loop.lua", nil, {timeout = 0.5})
          assert.are.equal("limit_exceeded", r.error.code)
        end)
        """,
    )
    _passed(run_tests(path))


def test_file_level_errors_and_results_stream(tmp_path, runner) -> None:
    from app.testing.session import TestOptions, run_file

    seen = []

    class Listener:
        def on_test_started(self, file, name, line):
            seen.append(("start", name))

        def on_case(self, case):
            seen.append((case.status.value, case.name))

    path = write(
        tmp_path,
        "top_spec.lua",
        """
        it("first", function() end)
        error("broken at the top")
        """,
    )
    r = run_file(runner, path, TestOptions(timeout_s=30), Listener())
    assert r.error is not None and r.error.line == 2 and "broken at the top" in r.error.message
    assert r.cases == [] and seen == []  # tests run after the file is read; it never was, completely
    ok = write(tmp_path, "ok_spec.lua", 'it("first", function() end)\n')
    r = run_file(runner, ok, TestOptions(timeout_s=30), Listener())
    assert seen == [("start", "first"), ("passed", "first")] and by_name(r)["first"].line == 1
