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
    r = LintDocument("lua").update(LUA)
    idx = r.symbols
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
    js = LintDocument("js").update("const a = 1;\nfunction f(x) { return x + a; }\nprint(f(2));\n").symbols
    assert js is not None and js.references(2, 28) == [(1, 7, 1, 8), (2, 28, 2, 29)]
    tg = LintDocument("tengo").update("a := 1\nf := func(x) { return x + a }\nprint(f(2))\n").symbols
    assert tg is not None and tg.definition(2, 27) == (1, 1, 1, 2)
    assert tg.references(2, 11) == [(2, 11, 2, 12), (2, 23, 2, 24)]


@pytest.mark.parametrize("lang,src,expected", [
    ("lua", "local M = {}\nfunction M.go(a)\n  local function inner() end\nend\n",
     [("M", 0, "variable", 0), ("M.go", 1, "function", 0), ("inner", 2, "function", 1)]),
    ("js", "class K {\n  m(z) {}\n}\nconst f = (x) => x;\n",
     [("K", 0, "class", 0), ("m", 1, "method", 1), ("f", 3, "function", 0)]),
    ("tengo", "fmt := import(\"fmt\")\nf := func(a) {\n  g := func() {}\n}\n",
     [("fmt", 0, "variable", 0), ("f", 1, "function", 0), ("g", 2, "function", 1)]),
    ("lua", "function ok(a)\nend\nlocal x = = 1\n", [("ok", 0, "function", 0)]),  # tolerant of broken code
])
def test_outline(lang: str, src: str, expected: list) -> None:
    assert [(i.name, i.line, i.kind, i.depth) for i in outline(src, lang)][:len(expected)] == expected


def test_llmspell_toml_problem_is_reported_once_and_defaults_apply(tmp_path) -> None:
    (tmp_path / "llmspell.toml").write_text("[lint]\nbogus = 1\n")
    spell = tmp_path / "a.lua"
    spell.write_text("local x = 1\n")
    r = LintDocument("lua", str(spell)).update("local x = 1\n")
    assert "unknown rule 'bogus'" in r.config_error
    assert [d.rule for d in r.diagnostics] == ["unused-local"]
