"""Pieces without a worker: the chunk reader, the prologue scanner, the breakpoint store."""

from __future__ import annotations

import pytest

from app.debugger.agent import parse_hit
from app.debugger.instrument import InstrumentError, function_sites, instrument
from app.debugger.luadump import DumpError, analyse
from app.debugger.session import BreakpointStore, CallBreakpoints, DebugSession

SRC = """local x = 1

-- a comment with function inside
local function f(a, --[[ note ) ]] b)
  local s = "function ( ) " .. [[
function]]
  return a + b
end
local t = {g = function() return 1 end, h = function(...) return ... end}
function t.m(self)
  return 2
end
return f(1, 2)
"""


def test_analyse_finds_every_function_and_its_code_lines():
    info = analyse(SRC)
    assert [(p.linedefined, p.lastlinedefined) for p in info.protos] == [(0, 0), (4, 8), (9, 9), (9, 9), (10, 12)]
    assert info.protos[1].lines == {5, 6, 7, 8}  # the concatenation runs on the line where the string ends
    assert info.resolve_line(2) == 5  # blank and comment lines: the next code line
    assert info.resolve_line(4) == 5  # a function's first line: its first statement
    assert info.resolve_line(100) is None
    with pytest.raises(DumpError):
        analyse("local = 1")


def test_function_sites_skip_strings_and_comments():
    sites = function_sites(SRC)
    assert [line for line, _ in sites] == [4, 9, 9, 10]
    line4 = SRC.splitlines()[3]
    assert SRC[sites[0][1] - 1] == ")" and "b)" in line4


def test_instrument_keeps_lines_and_behaviour():
    info = analyse(SRC)
    out = instrument(SRC, info, {0: 1, 1: 2, 4: 5})
    assert out.count("\n") == SRC.count("\n")
    assert "__llmspell_dbg[2]" in out and "__llmspell_dbg[5]" in out and "__llmspell_dbg[3]" not in out
    assert analyse(out).code_lines()  # still compiles
    with pytest.raises(InstrumentError):
        instrument("local f = function() end", analyse("local f = 1"), {0: 1})


def test_parse_hit():
    assert parse_hit("== 3") == ("==", 3, None)
    assert parse_hit(">=2") == (">=", 2, None)
    assert parse_hit("% 4") == ("%", 4, None)
    assert parse_hit("every 5") == ("%", 5, None)
    assert parse_hit("7") == (">=", 7, None)
    assert parse_hit("") == (None, None, None)
    assert parse_hit("sometimes")[2]


def test_store_moves_breakpoints_with_edits(tmp_path):
    f = str(tmp_path / "a.lua")
    store = BreakpointStore()
    b1 = store.add(f, 3)
    b2 = store.add(f, 10, condition="x > 1")
    changed = []
    store.add_listener(changed.append)
    store.lines_changed(f, 5, 2)  # two lines inserted after line 5
    assert (b1.line, b2.line) == (3, 12)
    store.lines_changed(f, 5, -4)  # lines 6..9 deleted
    assert (b1.line, b2.line) == (3, 8)
    store.set_lines(f, {b2.id: 9})
    assert b2.line == 9 and changed
    assert store.toggle(f, 3) is None and store.toggle(f, 4) is not None
    data = store.to_json()
    other = BreakpointStore()
    other.load_json(data)
    assert sorted((b.line, b.condition) for b in other.all()) == [(4, None), (9, "x > 1")]


def test_session_from_plain_options(tmp_path):
    f = str(tmp_path / "a.lua")
    s = DebugSession.from_options(
        {"breakpoints": {f: [3, {"line": 7, "condition": "i == 2"}]}, "llm": True, "models": ["offline/*"]}
    )
    assert [(b.line, b.condition) for b in s.breakpoints.for_file(f)] == [(3, None), (7, "i == 2")]
    assert s.calls.wants_llm("offline/echo") and not s.calls.wants_llm("openai/gpt")
    assert not CallBreakpoints().wants_tool("x")
    cfg = s.worker_config(f)
    assert cfg["main_path"].endswith("a.lua") and len(cfg["breakpoints"][cfg["main_path"]]) == 2
