"""Suppression comments, [lint] severities from llmspell.toml, quick fixes, character columns, the examples."""

from __future__ import annotations

import glob
import os

import pytest

from app.lint import LintConfigError, Severity, lint_source, severities_for
from app.lint.api import suggest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def rules(source: str, path: str = "spell.lua", **kw) -> list[str]:
    return [d.rule for d in lint_source(source, path, **kw)]


def test_suppression_on_the_line_and_the_line_before() -> None:
    assert rules("print(nope) -- llmspell: ignore undefined-global") == []
    assert rules("-- llmspell: ignore undefined-global\nprint(nope)") == []
    assert rules("print(nope) -- llmspell: ignore unused-local") == ["undefined-global"]
    assert rules("print(nope) -- llmspell: ignore") == []
    assert rules("print(nope) // llmspell: ignore undefined-global", "s.js") == []
    assert rules("print(nope) // llmspell: ignore undefined-global", "s.tengo") == []
    # only the next line
    assert rules("-- llmspell: ignore undefined-global\nprint(a)\nprint(b)") == ["undefined-global"]


def test_suppression_for_the_whole_file() -> None:
    assert rules("-- llmspell: ignore-file unused-local\nlocal a = 1\nlocal b = 2\nprint(c)") == ["undefined-global"]


def test_suppression_in_a_string_is_not_a_comment() -> None:
    # a Lua string that contains the JS marker: the Lua comment prefix is required
    assert rules('print(nope, "// llmspell: ignore")') == ["undefined-global"]


def test_severities_from_llmspell_toml_in_a_parent_folder(tmp_path) -> None:
    (tmp_path / "llmspell.toml").write_text('[lint]\nunused-local = "off"\nundefined-global = "warning"\n')
    sub = tmp_path / "spells"
    sub.mkdir()
    spell = sub / "a.lua"
    spell.write_text("local x = 1\nprint(nope)\n")
    sev = severities_for(str(spell))
    found = lint_source(spell.read_text(), str(spell), severities=sev)
    assert [(d.rule, d.severity) for d in found] == [("undefined-global", Severity.WARNING)]


@pytest.mark.parametrize(
    "text,message",
    [
        ('[lint]\nno-such-rule = "off"\n', "unknown rule 'no-such-rule'"),
        ('[lint]\nunused-local = "loud"\n', "use error, warning, info or off"),
        ("[lint\n", "llmspell.toml"),
    ],
)
def test_bad_llmspell_toml_names_the_file(tmp_path, text: str, message: str) -> None:
    (tmp_path / "llmspell.toml").write_text(text)
    with pytest.raises(ValueError, match="llmspell.toml") as e:
        severities_for(str(tmp_path / "a.lua"))
    assert message in str(e.value)
    if "rule" in message:
        assert isinstance(e.value, LintConfigError)


def test_columns_count_characters_not_bytes() -> None:
    d = lint_source('print("héllo" .. nope)', "s.lua")[0]
    assert (d.line, d.col, d.end_col) == (1, 18, 22)
    d = lint_source('print("héllo" + nope);', "s.js")[0]
    assert (d.col, d.end_col) == (17, 21)
    d = lint_source('print("héllo" + nope)', "s.tengo")[0]
    assert (d.rule, d.col, d.end_col) == ("undefined-global", 17, 21)


def test_did_you_mean_carries_a_quick_fix() -> None:
    d = next(x for x in lint_source('print(LLM.compleet("x"))', "s.lua") if x.rule == "unknown-member")
    assert d.fix is not None and d.fix.replacement == "complete"
    assert (d.fix.line, d.fix.col, d.fix.end_col) == (1, 11, 19)
    assert "did you mean 'complete'" in d.message


def test_remove_unused_quick_fix_deletes_the_whole_line() -> None:
    d = lint_source("local x = 1\nprint(2)\n", "s.lua")[0]
    assert d.rule == "unused-local" and d.fix is not None
    assert (d.fix.line, d.fix.col, d.fix.end_line, d.fix.end_col, d.fix.replacement) == (1, 1, 2, 1, "")
    # a value with a call may matter: no removal offered
    d = lint_source("local x = LLM.complete('a')\nprint(2)\n", "s.lua")[0]
    assert d.rule == "unused-local" and d.fix is None


def test_suggest() -> None:
    assert suggest("compleet", ["complete", "chat"]) == "complete"
    assert suggest("COMPLETE", ["complete"]) == "complete"
    assert suggest("zzz", ["complete"]) is None


def test_syntax_error_stops_the_semantic_rules() -> None:
    found = lint_source("local x = \nprint(nope", "s.lua")
    assert {d.rule for d in found} == {"syntax-error"}


def test_handle_type_follows_a_local_copy() -> None:
    found = lint_source('local a = Agent.new({})\nlocal b = a\nprint(b:runn("x"))', "s.lua")
    assert [d.rule for d in found] == ["unknown-method"]
    found = lint_source('const a = Agent.new({});\nprint(a.runn("x"));', "s.js")
    assert [d.rule for d in found] == ["unknown-method"]


def test_the_examples_are_clean() -> None:
    files = [
        p
        for p in glob.glob(os.path.join(ROOT, "examples", "**", "*.*"), recursive=True)
        if p.endswith((".lua", ".js", ".tengo"))
    ]
    assert len(files) >= 30
    problems = []
    for p in files:
        with open(p, encoding="utf-8") as f:
            problems.extend(str(d) for d in lint_source(f.read(), p))
    assert problems == []


@pytest.mark.parametrize(
    "path,source",
    [
        ("deep.lua", "local x = " + "(" * 3000 + "1" + ")" * 3000 + "\nprint(x)\n"),
        ("deep.js", "const x = " + "[" * 3000 + "]" * 3000 + ";\nprint(x);\n"),
    ],
)
def test_code_nested_too_deeply_is_reported_not_crashed(path: str, source: str) -> None:
    found = lint_source(source, path)
    assert [d.rule for d in found] == ["too-deep"] and found[0].severity == Severity.WARNING


@pytest.mark.parametrize(
    "path,source",
    [
        ("s.lua", 'local a = Agent.new({})\na = {runn = print}\na:runn("x")'),
        ("s.js", 'let a = Agent.new({});\na = { runn: print };\na.runn("x");'),
        ("s.tengo", 'a := Agent.new({})\na = {runn: print}\na.runn("x")'),
    ],
)
def test_a_reassigned_handle_is_no_longer_typed(path: str, source: str) -> None:
    assert "unknown-method" not in [d.rule for d in lint_source(source, path)]


def test_javascript_async_twins_and_timers() -> None:
    src = (
        "const c = new AbortController();\nsetTimeout(() => c.abort(), 10);\n"
        'LLM.completeAsync("hi", { signal: c.signal }).then(print);\n'
    )
    assert lint_source(src, "s.js") == []
    found = lint_source('LLM.complete("hi", { signal: null });\nLLM.completAsync("x");\n', "s.js")
    assert [d.rule for d in found] == ["unknown-option", "unknown-member"]


@pytest.mark.parametrize(
    "test_path, spell_path, source",
    [
        (
            "greet_spec.lua",
            "greet.lua",
            'describe("x", function() it("y", function() assert.are.equal(1, 1) end) end)\n',
        ),
        ("greet.test.js", "greet.js", 'describe("x", () => { test("y", () => { expect(1).toBe(1); }); });\n'),
        ("greet_test.tengo", "greet.tengo", 'test("y", func() { assert.equal(1, 1) })\n'),
    ],
)
def test_the_test_api_is_known_in_test_files_only(test_path: str, spell_path: str, source: str) -> None:
    assert [d for d in lint_source(source, test_path) if d.rule == "undefined-global"] == []
    undefined = {d.subject for d in lint_source(source, spell_path) if d.rule == "undefined-global"}
    assert undefined & {"describe", "test"}, "a plain spell has no test API"
