"""Errors reach the user in the spell's own terms: message, file, line and spell frames only."""

from __future__ import annotations

from app.runner import RunOptions


def run(runner, name, src):
    return runner.run(name, src, RunOptions())


def _no_internals(failure):
    text = failure.message + " ".join(f.file for f in failure.traceback)
    for word in ("lupa", "quickjs", "Traceback", ".py", "<input>", "__ls_", "[llmspell]"):
        assert word not in text, f"{word!r} leaked into {text!r}"


def test_lua_syntax_error(runner):
    r = run(runner, "s.lua", "local a = 1\nlocal b = = 2\n")
    assert (r.status, r.failure.code, r.failure.file, r.failure.line) == ("error", "syntax", "s.lua", 2)
    assert r.failure.message == "unexpected symbol near '='"


def test_js_syntax_error(runner):
    r = run(runner, "s.js", "let a = 1;\nlet b = = 2;\n")
    assert (r.status, r.failure.code, r.failure.file, r.failure.line) == ("error", "syntax", "s.js", 2)
    _no_internals(r.failure)


def test_lua_runtime_error_with_traceback(runner):
    src = "local function inner()\n  error('boom')\nend\nlocal function outer()\n  inner()\nend\nouter()\n"
    r = run(runner, "rt.lua", src)
    assert (r.failure.code, r.failure.file, r.failure.line, r.failure.message) == ("runtime", "rt.lua", 2, "boom")
    assert [(f.line, f.function) for f in r.failure.traceback][:3] == [(2, "inner"), (5, "outer"), (7, "main chunk")]
    _no_internals(r.failure)


def test_js_runtime_error_with_traceback(runner):
    src = "function inner() {\n  throw new Error('boom');\n}\nfunction outer() {\n  const x = inner();\n  return x;\n}\nouter();\n"
    r = run(runner, "rt.js", src)
    assert (r.failure.code, r.failure.file, r.failure.line, r.failure.message) == ("runtime", "rt.js", 2, "boom")
    assert r.failure.traceback[0].function == "inner"
    _no_internals(r.failure)


def test_bridge_error_is_catchable_with_code_in_lua(runner):
    src = "local ok, e = pcall(JSON.decode, '{x')\nreturn {ok, e.code, tostring(e):sub(1, 18)}"
    assert run(runner, "c.lua", src).value == [False, "invalid_argument", "invalid_argument: "]


def test_bridge_error_is_catchable_with_code_in_js(runner):
    src = "try { JSON.decode('{x'); } catch (e) { return [e instanceof Error, e.code, e.name]; }"
    assert run(runner, "c.js", src).value == [True, "invalid_argument", "SpellError"]


def test_uncaught_bridge_error_names_the_spell_line(runner):
    r = run(runner, "u.lua", "local x = 1\nlocal v = JSON.decode('[1,')\nreturn v")
    assert (r.failure.code, r.failure.file, r.failure.line) == ("invalid_argument", "u.lua", 2)
    r = run(runner, "u.js", "const x = 1;\nconst v = JSON.decode('[1,');\nreturn v;")
    assert (r.failure.code, r.failure.file, r.failure.line) == ("invalid_argument", "u.js", 2)


def test_wrong_arity_and_types_are_named(runner):
    r = run(runner, "a.lua", "return JSON.decode()")
    assert r.failure.message == "JSON.decode expects 1 argument(s) (text), got 0"
    r = run(runner, "a.js", "return JSON.decode(5);")
    assert r.failure.message == "JSON.decode: argument 'text' must be string, got integer"


def test_unknown_member_of_a_global(runner):
    r = run(runner, "m.lua", "return JSON.nope(1)")
    assert r.failure.code == "invalid_argument"
    assert "JSON has no member 'nope'" in r.failure.message


def test_error_with_a_table_value_in_lua(runner):
    r = run(runner, "t.lua", "error({reason = 'bad'})")
    assert r.status == "error" and '"reason":"bad"' in r.failure.message


def test_thrown_string_in_js(runner):
    r = run(runner, "t.js", "throw 'plain';")
    assert r.status == "error" and r.failure.message == "uncaught plain"


def test_a_tail_called_bridge_names_no_wrong_line(runner):
    """`return JSON.decode(...)` is a Lua tail call: the calling frame is gone, so no line rather than a wrong one."""
    r = run(runner, "tail.lua", "local a = 1\nlocal b = 2\nreturn JSON.decode('[1,')\n")
    assert r.failure.code == "invalid_argument"
    assert r.failure.line is None and r.failure.file == "tail.lua"
    r = run(runner, "tail2.lua", "local function f()\n  return JSON.decode('[1,')\nend\nlocal x = f()\nreturn x\n")
    assert r.failure.line == 4  # the deepest spell frame Lua still has: the call of f
