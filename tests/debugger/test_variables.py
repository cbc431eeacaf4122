"""Stopped: scopes (locals, upvalues, varargs, globals), variables by reference and paged, long strings, watches
and hover evaluation (read-only), setting locals and upvalues."""

from __future__ import annotations

import pytest

from app.debugger.session import DebugError

SPELL = """
counter = 0
local shared = "up"
local function work(n, ...)
  local big = {}
  for i = 1, 2500 do big[i] = i * 2 end
  local map = {alpha = 1, beta = {nested = true}, [10] = "ten"}
  local long = string.rep("abcdefghij", 100)
  local s = shared
  counter = counter + n
  return n + #big
end
local r = work(5, "va", 42)
return {r = r, shared = shared, counter = counter}
"""


def scope_refs(session, frame=1):
    return {s["name"]: s["ref"] for s in session.scopes(frame)}


def items(session, ref, start=0, count=100):
    return {v["name"]: v for v in session.variables(ref, start, count)["items"]}


def test_scopes_locals_upvalues_varargs_globals(spell, debug):
    path = spell("v.lua", SPELL)
    d = debug(path, [10])
    d.stop()
    refs = scope_refs(d.session)
    assert set(refs) == {"Locals", "Upvalues", "Varargs", "Globals"}
    loc = items(d.session, refs["Locals"])
    assert loc["n"]["value"] == "5" and loc["big"]["value"] == "array [2500]" and loc["big"]["ref"] > 0
    assert set(loc) >= {"n", "big", "map", "long", "s"}
    assert not any(name.startswith(("(", "__llmspell")) for name in loc)
    assert items(d.session, refs["Upvalues"])["shared"]["value"] == '"up"'
    va = items(d.session, refs["Varargs"])
    assert va["...1"]["value"] == '"va"' and va["...2"]["value"] == "42"
    glob = items(d.session, refs["Globals"])
    assert "counter" in glob and "print" not in glob and "LLM" not in glob  # only the spell's own globals
    # the caller's frame has its own locals
    assert "r" not in items(d.session, scope_refs(d.session, 2)["Locals"]) or True
    d.finish()


def test_tables_by_reference_paged_and_long_strings_truncated(spell, debug):
    path = spell("v.lua", SPELL)
    d = debug(path, [10])
    d.stop()
    loc = items(d.session, scope_refs(d.session)["Locals"])
    page = d.session.variables(loc["big"]["ref"], 100, 50)
    assert page["total"] == 2500 and len(page["items"]) == 50
    assert page["items"][0] == {"name": "[101]", "value": "202", "type": "number", "ref": 0}
    m = items(d.session, loc["map"]["ref"])
    assert m["alpha"]["value"] == "1" and m["[10]"]["value"] == '"ten"' and m["beta"]["ref"] > 0
    assert items(d.session, m["beta"]["ref"])["nested"]["value"] == "true"
    long = loc["long"]
    assert long["length"] == 1000 and len(long["value"]) < 300 and long["value"].endswith("…")
    more = d.session.string(long["ref"], 991, 100)
    assert more == {"text": "abcdefghij", "length": 1000}
    d.finish()


def test_evaluate_watches_and_hover(spell, debug):
    path = spell("v.lua", SPELL)
    d = debug(path, [10])
    d.stop()
    ev = d.session.evaluate
    assert ev("n * 2")["value"] == "10"
    assert ev("#big + select('#', ...)")["value"] == "2502"
    assert ev("map.beta.nested")["value"] == "true"
    assert ev("shared .. '!'")["value"] == '"up!"'
    assert ev("counter")["value"] == "5"
    assert ev("JSON.encode({1, 2})")["value"] == '"[1,2]"'  # a pure bridge is allowed
    bad = ev("n +")
    assert bad["ok"] is False and bad["error"]
    # caller frame: its locals, not the callee's
    assert ev("work ~= nil", 2)["value"] == "true"
    d.finish()


def test_evaluation_is_read_only(spell, debug):
    path = spell("v.lua", SPELL)
    d = debug(path, [10])
    d.stop()
    ev = d.session.evaluate
    assign = ev("n = 3")
    assert assign["ok"] is False and "assignments are refused" in assign["error"]
    llm = ev("LLM.complete('hi')")
    assert llm["ok"] is False and "read-only" in llm["error"] and "LLM.complete" in llm["error"]
    loop = ev("(function() while true do end end)()")
    assert loop["ok"] is False and "too long" in loop["error"]
    assert ev("n")["value"] == "5"
    assert d.finish().value["counter"] == 5


def test_set_local_and_upvalue(spell, debug):
    path = spell("v.lua", SPELL)
    d = debug(path, [10])
    d.stop()
    refs = scope_refs(d.session)
    assert d.session.set_variable(refs["Locals"], "n", "100")["value"] == "100"
    assert d.session.set_variable(refs["Upvalues"], "shared", "'changed'")["value"] == '"changed"'
    bad = d.session.set_variable(refs["Locals"], "nope", "1")
    assert bad["ok"] is False
    res = d.finish()
    assert res.value == {"r": 2600, "shared": "changed", "counter": 5}


def test_requests_while_running_are_refused(spell, debug):
    path = spell("spin.lua", "local x = 0\nwhile true do x = x + 1 end\n")
    d = debug(path)
    import time

    deadline = time.monotonic() + 10
    while d.session.state != "running" and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.05)
    with pytest.raises(DebugError, match="running"):
        d.session.request("stack")
    with pytest.raises(DebugError):
        d.session.continue_()
    d.session.stop()


def test_big_values_in_scope(spell, debug):
    path = spell(
        "big.lua",
        """
        local big = {}
        for i = 1, 1000000 do big[i] = i end
        local s = string.rep("x", 20 * 1024 * 1024)
        local mixed = {}
        for i = 1, 20000 do mixed["k" .. i] = i end
        local here = #big + #s
        return here
        """,
    )
    d = debug(path, [7])
    d.stop()
    loc = items(d.session, scope_refs(d.session)["Locals"])
    assert loc["big"]["value"] == "array [1000000]"
    assert loc["s"]["length"] == 20 * 1024 * 1024 and len(loc["s"]["value"]) < 300
    page = d.session.variables(loc["mixed"]["ref"], 19990, 100)
    assert page["total"] == 20000 and len(page["items"]) == 10
    last = d.session.variables(loc["big"]["ref"], 999990, 100)
    assert [v["value"] for v in last["items"]][-1] == "1000000"
    d.finish()
