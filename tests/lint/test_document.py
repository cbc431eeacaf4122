"""LintDocument (incremental re-parse + analysis) and the symbol queries the editor uses."""

from __future__ import annotations

import pytest

from app.lint.document import LintDocument
from app.lint.symbols import outline

LUA = """local agent = Agent.new({name = "a"})
local function greet(name)
  local text = agent:run("hi " .. name)
  return text
end
print(greet("x"))
"""


def test_update_is_incremental_and_matches_a_full_analysis() -> None:
    doc = LintDocument("lua", "")
    assert doc.update(LUA).diagnostics == []
    edited = LUA.replace('agent:run("hi "', 'agent:runn("hi "')
    r = doc.update(edited)
    assert [d.rule for d in r.diagnostics] == ["unknown-method"]
    assert r.diagnostics == LintDocument("lua", "").update(edited).diagnostics
    # and back, then a broken edit, then fixed again: the kept tree stays right
    assert doc.update(LUA).diagnostics == []
    assert {d.rule for d in doc.update(LUA.replace("end\n", "", 1)).diagnostics} == {"syntax-error"}
    assert doc.update(LUA).diagnostics == []


def test_symbols_definition_references_rename() -> None:
    doc = LintDocument("lua")
    doc.update(LUA)
    idx = doc.symbols()
    assert idx is not None
    # `name` on line 3 (the use) → defined as the parameter on line 2
    assert idx.definition(3, 36) == (2, 22, 2, 26)
    assert idx.references(2, 23) == [(2, 22, 2, 26), (3, 35, 3, 39)]
    fixes = idx.rename(3, 36, "who")
    assert [(f.line, f.col, f.end_col, f.replacement) for f in fixes] == [(2, 22, 26, "who"), (3, 35, 39, "who")]
    with pytest.raises(ValueError, match="not a valid name"):
        idx.rename(3, 35, "end")
    with pytest.raises(ValueError, match="already used"):
        idx.rename(3, 35, "text")
    with pytest.raises(ValueError, match="no local"):
        idx.rename(6, 2, "x")  # print: a global


def test_js_and_tengo_symbols() -> None:
    doc = LintDocument("js")
    doc.update("const a = 1;\nfunction f(x) { return x + a; }\nprint(f(2));\n")
    js = doc.symbols()
    assert js is not None and js.references(2, 28) == [(1, 7, 1, 8), (2, 28, 2, 29)]
    doc = LintDocument("tengo")
    doc.update("a := 1\nf := func(x) { return x + a }\nprint(f(2))\n")
    tg = doc.symbols()
    assert tg is not None and tg.definition(2, 27) == (1, 1, 1, 2)
    assert tg.references(2, 11) == [(2, 11, 2, 12), (2, 23, 2, 24)]


@pytest.mark.parametrize(
    "lang,src,expected",
    [
        (
            "lua",
            "local M = {}\nfunction M.go(a)\n  local function inner() end\nend\n",
            [("M", 0, "variable", 0), ("M.go", 1, "function", 0), ("inner", 2, "function", 1)],
        ),
        (
            "js",
            "class K {\n  m(z) {}\n}\nconst f = (x) => x;\n",
            [("K", 0, "class", 0), ("m", 1, "method", 1), ("f", 3, "function", 0)],
        ),
        (
            "tengo",
            'fmt := import("fmt")\nf := func(a) {\n  g := func() {}\n}\n',
            [("fmt", 0, "variable", 0), ("f", 1, "function", 0), ("g", 2, "function", 1)],
        ),
        ("lua", "function ok(a)\nend\nlocal x = = 1\n", [("ok", 0, "function", 0)]),  # tolerant of broken code
    ],
)
def test_outline(lang: str, src: str, expected: list) -> None:
    assert [(i.name, i.line, i.kind, i.depth) for i in outline(src, lang)][: len(expected)] == expected


def test_llmspell_toml_problem_is_reported_once_and_defaults_apply(tmp_path) -> None:
    (tmp_path / "llmspell.toml").write_text("[lint]\nbogus = 1\n")
    spell = tmp_path / "a.lua"
    spell.write_text("local x = 1\n")
    r = LintDocument("lua", str(spell)).update("local x = 1\n")
    assert "unknown rule 'bogus'" in r.config_error
    assert [d.rule for d in r.diagnostics] == ["unused-local"]


CACHED = """local agent = Agent.new({name = "a"})
local unused = 1
local count = 0
local function helper(x)
  count = count + 1
  return agent:run(x)
end
function shout(msg) -- llmspell: ignore global-assignment
  local loud = msg
  return helper(loud) .. nope
end
local function later()
  -- llmspell: ignore undefined-global
  return missing_global
end
print(shout("hi"), later())
"""

EDITS = [
    ("agent:run(x)", "agent:runn(x)"),  # inside a cached body
    ("local unused = 1", "local unused = 1\nprint(unused)"),  # lines shift below: cached reports move
    ("local agent = Agent.new", "local agent = Log.info"),  # a type the bodies see changes
    ("local count = 0\n", ""),  # a local the body reads goes away
    ("-- llmspell: ignore undefined-global\n", ""),  # a suppression inside a body
    ("function shout(msg)", "function shout(msg, extra)"),
    ("print(shout", "print(helper(1), shout"),  # reads after the bodies
    ("  count = count + 1\n", "  count = count + 1\n  agent = {}\n"),  # a body retypes a top-level local
    ("print(helper(1)", "print(agent:runn(1), helper(1)"),
]


def test_the_editor_cache_gives_the_same_problems_as_a_full_lint() -> None:
    from app.lint import lint_source

    doc = LintDocument("lua", "")
    text = CACHED
    assert doc.update(text).diagnostics == lint_source(text, "untitled.lua")
    for old, new in EDITS:
        assert old in text
        text = text.replace(old, new, 1)
        assert doc.update(text).diagnostics == lint_source(text, "untitled.lua"), (old, new)
        # and an unchanged update replays everything from the cache
        assert doc.update(text).diagnostics == lint_source(text, "untitled.lua")


CACHED_JS = """const agent = Agent.new({ name: "a" });
let count = 0;
const unused = 1;
function helper(x) {
  count += 1;
  return agent.run(x) + later();
}
function shout(msg) { // llmspell: ignore unused-param
  return helper(msg) + nope;
}
function later() { return typeof maybe === "undefined" ? "" : maybe; }
print(shout("hi"));
"""

EDITS_JS = [
    ("agent.run(x)", "agent.runn(x)"),
    ("const unused = 1;", "const unused = 1;\nprint(unused);"),
    ("const agent = Agent.new", "const agent = Log.info"),
    ("let count = 0;\n", ""),
    ("// llmspell: ignore unused-param", ""),
    ("function later()", "function later(extra)"),
    ("print(shout", "print(helper(1), shout"),
]


def test_the_editor_cache_agrees_with_a_full_lint_in_javascript() -> None:
    from app.lint import lint_source

    doc = LintDocument("js", "")
    text = CACHED_JS
    assert doc.update(text).diagnostics == lint_source(text, "untitled.js")
    for old, new in EDITS_JS:
        assert old in text
        text = text.replace(old, new, 1)
        assert doc.update(text).diagnostics == lint_source(text, "untitled.js"), (old, new)
        assert doc.update(text).diagnostics == lint_source(text, "untitled.js")


def test_declared_names_from_the_tree() -> None:
    from app.lint.symbols import declared_names

    names, complete = declared_names("local a = 'local fake = 1' -- local alsofake\nlocal = 1\n", "lua")
    assert complete is False and ("a", "local", 1) in names and not {"fake", "alsofake"} & {n for n, _, _ in names}
    names, complete = declared_names("const {p, q: r} = o;\nfunction g({m}, [n], ...rest) {}\n", "js")
    assert complete and sorted(names) == [
        ("g", "function", 2),
        ("m", "param", 2),
        ("n", "param", 2),
        ("p", "local", 1),
        ("r", "local", 1),
        ("rest", "param", 2),
    ]


def test_completion_locals_survive_half_typed_code() -> None:
    from app.ui.editor_intel import local_symbols

    tree_only = {s.name for s in local_symbols("local x = 1\nlocal y = 2\n", "lua")}
    assert tree_only == {"x", "y"}
    # the unclosed parenthesis swallows the rest of the tree: the line scan still finds y
    names = {s.name for s in local_symbols("local x = 1\nprint(x\nlocal y = 2\n", "lua")}
    assert {"x", "y"} <= names
