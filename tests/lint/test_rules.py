"""Every lint rule, in every language where it applies: a spell that triggers it (at the right line and column) and
a close spell that must not."""

from __future__ import annotations

import pytest

from app.lint import RULES, lint_source

EXT = {"lua": "lua", "js": "js", "tengo": "tengo"}

# (rule, language, spell that triggers it, (line, col) of the report, spell that must not)
CASES = [
    # unknown-member
    (
        "unknown-member",
        "lua",
        'local s = LLM.compleet("x")\nprint(s)',
        (1, 15),
        'local s = LLM.complete("x")\nprint(s)',
    ),
    (
        "unknown-member",
        "js",
        'const s = LLM.compleet("x");\nprint(s);',
        (1, 15),
        'const s = LLM.complete("x");\nprint(s);',
    ),
    ("unknown-member", "tengo", 's := LLM.compleet("x")\nprint(s)', (1, 10), 's := LLM.complete("x")\nprint(s)'),
    ("unknown-member", "lua", "print(math.flor(1.5))", (1, 12), "print(math.floor(1.5))"),
    ("unknown-member", "js", "print(JSON.stringifi({}));", (1, 12), "print(JSON.stringify({}), JSON.encode({}));"),
    # unknown-method on a handle typed by its constructor
    (
        "unknown-method",
        "lua",
        'local agent = Agent.new({})\nprint(agent:runn("x"))',
        (2, 13),
        'local agent = Agent.new({})\nprint(agent:run("x"))',
    ),
    (
        "unknown-method",
        "js",
        'const agent = Agent.new({});\nprint(agent.runn("x"));',
        (2, 13),
        'const agent = Agent.new({});\nprint(agent.run("x"));',
    ),
    (
        "unknown-method",
        "tengo",
        'agent := Agent.new({})\nprint(agent.runn("x"))',
        (2, 13),
        'agent := Agent.new({})\nprint(agent.run("x"))',
    ),
    # argument-count
    ("argument-count", "lua", "print(LLM.complete())", (1, 7), 'print(LLM.complete("hi"))'),
    ("argument-count", "js", 'print(JSON.decode("1", {}, 3));', (1, 24), 'print(JSON.decode("1"));'),
    ("argument-count", "tengo", "print(LLM.complete())", (1, 7), 'print(LLM.complete("hi"))'),
    ("argument-count", "lua", "local function f(...) return LLM.complete(...) end\nprint(f)", None, None),
    # argument-type
    ("argument-type", "lua", "print(LLM.complete(42))", (1, 20), 'print(LLM.complete("42"))'),
    (
        "argument-type",
        "js",
        'print(LLM.complete("x", { maxTokens: "ten" }));',
        (1, 38),
        'print(LLM.complete("x", { maxTokens: 10 }));',
    ),
    (
        "argument-type",
        "tengo",
        'print(LLM.complete("x", {temperature: "hot"}))',
        (1, 39),
        'print(LLM.complete("x", {temperature: 0.5}))',
    ),
    ("argument-type", "lua", 'print(LLM.complete("x", "fast"))', (1, 25), 'print(LLM.complete("x", {}))'),
    # unknown-option
    (
        "unknown-option",
        "lua",
        'print(LLM.complete("x", {temprature = 0}))',
        (1, 26),
        'print(LLM.complete("x", {temperature = 0}))',
    ),
    (
        "unknown-option",
        "js",
        'print(LLM.complete("x", { max_tokens: 5 }));',
        (1, 27),
        'print(LLM.complete("x", { maxTokens: 5 }));',
    ),
    (
        "unknown-option",
        "tengo",
        'print(LLM.complete("x", {temprature: 0}))',
        (1, 26),
        'print(LLM.complete("x", {temperature: 0}))',
    ),
    # undefined-global
    ("undefined-global", "lua", "print(undefinedThing)", (1, 7), "local undefinedThing = 1\nprint(undefinedThing)"),
    (
        "undefined-global",
        "lua",
        "for i = 1, 2 do\n  if i == 1 then goto skip end\n  print(i)\n  ::skip::\nend",
        None,
        None,
    ),  # labels are not variables
    ("undefined-global", "js", "print(nope);", (1, 7), "print(typeof nope);"),
    ("undefined-global", "tengo", "print(nope)", (1, 7), "nope := 1\nprint(nope)"),
    # not-in-sandbox
    ("not-in-sandbox", "lua", 'os.execute("ls")', (1, 4), "print(os.time())"),
    ("not-in-sandbox", "lua", 'io.write("x")', (1, 1), 'print("x")'),
    ("not-in-sandbox", "js", "print(process.env);", (1, 7), "print(INPUT);"),
    # bridge-assignment
    ("bridge-assignment", "lua", "LLM = nil", (1, 1), "local llm = nil\nprint(llm)"),
    ("bridge-assignment", "js", "LLM.complete = null;", (1, 5), "const complete = LLM.complete;\nprint(complete);"),
    ("bridge-assignment", "tengo", "LLM.complete = 1", (1, 1), "c := LLM.complete\nprint(c)"),
    # global-assignment
    ("global-assignment", "lua", "count = 1\nprint(count)", (1, 1), "local count = 1\nprint(count)"),
    ("global-assignment", "js", "count = 1;\nprint(count);", (1, 1), "let count = 1;\nprint(count);"),
    # unused-local / unused-param / unused-import
    ("unused-local", "lua", "local x = 1", (1, 7), "local x = 1\nprint(x)"),
    ("unused-local", "js", "const x = 1;", (1, 7), "const x = 1;\nprint(x);"),
    ("unused-local", "tengo", "x := 1", (1, 1), "x := 1\nprint(x)"),
    ("unused-local", "lua", "local ok, err = pcall(print)\nprint(err)", None, None),  # placeholder before a used one
    (
        "unused-param",
        "lua",
        "local function f(a, b) return a end\nprint(f(1))",
        (1, 21),
        "local function f(a, _b) return a end\nprint(f(1))",
    ),
    (
        "unused-param",
        "js",
        "function f(a, b) { return a; }\nprint(f(1));",
        (1, 15),
        "function f(a, b) { return a + b; }\nprint(f(1));",
    ),
    (
        "unused-param",
        "tengo",
        "f := func(a, b) { return a }\nprint(f(1, 2))",
        (1, 14),
        "f := func(a, b) { return a + b }\nprint(f(1, 2))",
    ),
    ("unused-param", "lua", 'LLM.stream("x", function(chunk) print(1) end)', None, None),  # the API dictates it
    ("unused-import", "lua", 'local util = require("util")', (1, 7), 'local util = require("util")\nprint(util)'),
    ("unused-import", "js", 'const util = require("./util");', (1, 7), 'const util = require("./util");\nprint(util);'),
    ("unused-import", "tengo", 'fmt := import("fmt")', (1, 1), 'fmt := import("fmt")\nfmt.println(1)'),
    # shadowing
    (
        "shadowing",
        "lua",
        "local x = 1\nlocal function f()\n  local x = 2\n  return x\nend\nprint(x, f())",
        (3, 9),
        "local x = 1\nlocal function f()\n  local y = 2\n  return y\nend\nprint(x, f())",
    ),
    (
        "shadowing",
        "js",
        "const x = 1;\nfunction f() { const x = 2; return x; }\nprint(x, f());",
        (2, 22),
        "const x = 1;\nfunction f() { const y = 2; return y; }\nprint(x, f());",
    ),
    ("shadowing", "lua", "local LLM = 1\nprint(LLM)", (1, 7), "local llm = 1\nprint(llm)"),
    (
        "shadowing",
        "tengo",
        "x := 1\nf := func() { x := 2; return x }\nprint(x, f())",
        (2, 15),
        "x := 1\nf := func() { y := 2; return y }\nprint(x, f())",
    ),
    (
        "shadowing",
        "tengo",
        "x := 1\nf := func(x) { return x }\nprint(x, f(1))",
        (2, 11),
        "x := 1\nf := func(y) { return y }\nprint(x, f(1))",
    ),
    # unreachable-code
    (
        "unreachable-code",
        "lua",
        'local function f()\n  error("no")\n  print(1)\nend\nf()',
        (3, 3),
        'local function f()\n  if INPUT then error("no") end\n  print(1)\nend\nf()',
    ),
    (
        "unreachable-code",
        "js",
        "function f() {\n  return 1;\n  print(2);\n}\nprint(f());",
        (3, 3),
        "function f() {\n  print(2);\n  return 1;\n}\nprint(f());",
    ),
    (
        "unreachable-code",
        "tengo",
        "f := func() {\n  return 1\n  print(2)\n}\nprint(f())",
        (3, 3),
        "f := func() {\n  print(2)\n  return 1\n}\nprint(f())",
    ),
    # assignment-in-condition
    (
        "assignment-in-condition",
        "js",
        "let a = 0;\nif (a = 1) { print(a); }",
        (2, 5),
        "let a = 0;\nif ((a = 1)) { print(a); }",
    ),
    # syntax-error: JavaScript gets a real column
    ("syntax-error", "js", "let a = 1;\nlet b = ;\nprint(a, b);", (2, 9), "let a = 1;\nlet b = 2;\nprint(a, b);"),
    ("syntax-error", "lua", "local a = = 1", (1, 11), "local a = 1\nprint(a)"),
    ("syntax-error", "tengo", "a := := 1", (1, 6), "a := 1\nprint(a)"),
]


def lint(tmp_path, lang: str, source: str):
    path = tmp_path / f"spell.{EXT[lang]}"
    path.write_text(source, encoding="utf-8")
    return lint_source(source, str(path))


@pytest.mark.parametrize("rule,lang,bad,where,good", CASES, ids=[f"{c[0]}-{c[1]}-{i}" for i, c in enumerate(CASES)])
def test_rule(tmp_path, rule: str, lang: str, bad: str, where, good: str | None) -> None:
    found = lint(tmp_path, lang, bad)
    hits = [d for d in found if d.rule == rule]
    if where is None:  # a case that looks like the rule but must not trigger it
        assert not hits, [str(d) for d in hits]
        return
    assert hits, f"{rule} not reported for:\n{bad}\ngot: {[str(d) for d in found]}"
    assert (hits[0].line, hits[0].col) == where, str(hits[0])
    assert hits[0].severity == RULES[rule].severity
    assert good is not None
    clean = lint(tmp_path, lang, good)
    assert not [d for d in clean if d.rule == rule], [str(d) for d in clean]


def test_every_rule_has_a_case() -> None:
    covered = {c[0] for c in CASES if c[3] is not None}
    # missing-option and missing-module are tested below, too-deep in test_lint.py
    assert covered | {"missing-option", "missing-module", "too-deep"} == set(RULES)


@pytest.mark.parametrize(
    "lang,bad,good",
    [
        ("lua", 'local m = require("helpers")\nprint(m)', 'local m = require("util")\nprint(m)'),
        ("js", 'const m = require("./helpers");\nprint(m);', 'const m = require("./util");\nprint(m);'),
        ("tengo", 'm := import("helpers")\nprint(m)', 'm := import("util")\nprint(m)'),
    ],
)
def test_missing_module(tmp_path, lang: str, bad: str, good: str) -> None:
    (tmp_path / f"util.{EXT[lang]}").write_text("", encoding="utf-8")
    hits = [d for d in lint(tmp_path, lang, bad) if d.rule == "missing-module"]
    assert len(hits) == 1 and hits[0].line == 1 and "helpers" in hits[0].message
    assert not [d for d in lint(tmp_path, lang, good) if d.rule == "missing-module"]


def test_module_outside_the_spell_folder_or_refused_name(tmp_path) -> None:
    (tmp_path / "outside.js").write_text("")
    inner = tmp_path / "spells"
    inner.mkdir()
    spell = inner / "s.js"
    src = 'const m = require("../outside");\nprint(m);'
    spell.write_text(src)
    hits = [d for d in lint_source(src, str(spell)) if d.rule == "missing-module"]
    assert len(hits) == 1 and "outside the spell's folder" in hits[0].message
    lua = inner / "s.lua"
    src = 'local m = require("a/b")\nprint(m)'
    lua.write_text(src)
    hits = [d for d in lint_source(src, str(lua)) if d.rule == "missing-module"]
    assert len(hits) == 1 and "bad module name" in hits[0].message


def test_missing_module_needs_a_saved_spell() -> None:
    assert not [d for d in lint_source('local m = require("x")\nprint(m)', "", "lua") if d.rule == "missing-module"]


def test_missing_required_option() -> None:
    """No bridge has a required option today; the check reads OptionRef.required from the registry."""
    from app.lint import api
    from app.reference.model import MethodRef, OptionRef, ParamRef

    m = MethodRef(
        "Thing",
        "global",
        "make",
        "",
        "",
        [ParamRef("name", "string", True)],
        [OptionRef("kind", "string", required=True), OptionRef("size", "integer")],
        True,
        "nil",
        "",
        [],
        {},
        "0.1.0",
    )
    f = api.facts("lua")
    opts = api.Arg("table", "opts-node", [("size", "key-node", api.Arg("integer", "v"))])
    found = api.check_call(f, m, [api.Arg("string", "a"), opts], "call")
    assert [(x.rule, x.node) for x in found] == [("missing-option", "opts-node")]
    assert "'kind'" in found[0].message
    found = api.check_call(f, m, [api.Arg("string", "a")], "call")
    assert [x.rule for x in found] == ["missing-option"]
    good = api.Arg("table", "o", [("kind", "k", api.Arg("string", "v"))])
    assert api.check_call(f, m, [api.Arg("string", "a"), good], "call") == []
