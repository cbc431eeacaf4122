"""The linter's lists of what spells can use match what the real sandboxes give them."""

from __future__ import annotations

from app.lint.api import facts
from app.lint.sandbox import (
    JS_BUILTINS,
    JS_PRELUDE,
    LUA_GLOBALS,
    LUA_REMOVED,
    tengo_builtins,
)

LUA_LIST = """
local out = {}
for k, v in pairs(_G) do
  if type(v) == "table" and k ~= "_G" and k ~= "INPUT" and rawget(_G, k) == v and getmetatable(v) == nil then
    local members = {}
    for m in pairs(v) do members[#members + 1] = m end
    table.sort(members)
    out[k] = members
  else
    out[k] = false
  end
end
return out
"""


def test_lua_globals_match_the_sandbox(runner) -> None:
    result = runner.run("facts.lua", LUA_LIST)
    assert result.status == "ok", result.failure
    real: dict = result.value
    bridge = set(facts("lua").globals)
    assert set(real) - bridge == set(LUA_GLOBALS) - {"_ENV", "INPUT"}  # _ENV is a name, not a key; INPUT is nil
    for name, members in LUA_GLOBALS.items():
        if members is not None:
            assert set(real[name]) == members, name
    assert not set(real) & set(LUA_REMOVED)


def test_js_globals_match_the_sandbox(runner) -> None:
    result = runner.run("facts.js", "return Object.getOwnPropertyNames(globalThis);")
    assert result.status == "ok", result.failure
    real = {n for n in result.value if not n.startswith("__")}  # engine internals
    bridge = set(facts("js").globals)
    known = JS_BUILTINS | JS_PRELUDE | bridge
    assert real - known == set(), "the sandbox has globals the linter does not know"
    # every name the linter accepts exists (the wrapper's own parameters are not globals)
    assert (JS_BUILTINS | JS_PRELUDE) - real == {"module", "exports"}
    assert {"console", "print", "require", "SpellError", "Object", "Promise", "JSON"} <= real


def test_tengo_builtins_match_the_engine() -> None:
    from app.engines.tengo.engine import STDLIB
    from app.engines.tengo.interpreter import Interpreter

    assert set(Interpreter(stdlib=STDLIB).builtins) | {"print"} == set(tengo_builtins())
