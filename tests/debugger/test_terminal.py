"""The terminal front end (``llmspell debug``) drives the same session."""
from __future__ import annotations

import io

from app.debugger.terminal import TerminalDebugger

SPELL = """
local function add(a, b)
  local c = a + b
  return c
end
local total = 0
for i = 1, 4 do
  total = add(total, i)
end
print("total", total)
return total
"""


def test_terminal_session(spell, runner):
    path = spell("t.lua", SPELL)
    script = "\n".join([
        "b 3 if a >= 3", "watch a + b", "r", "bt", "p c", "l", "n", "finish", "d 3", "c",
    ]) + "\n"
    out = io.StringIO()
    code = TerminalDebugger(runner, path, inp=io.StringIO(script), out=out).loop()
    text = out.getvalue()
    assert code == 0
    assert "breakpoint 1 at t.lua:3" in text
    assert "stopped (breakpoint) at t.lua:3" in text and "a + b = 6" in text
    assert "#1 add  t.lua:3" in text and "#2 main chunk  t.lua:7" in text
    assert "(debug) 6\n" in text                 # p c
    assert "=>    3    return c" in text          # l
    assert "stopped (step) at t.lua:6" in text    # n: back in the loop
    assert "global 'a'" in text                    # a watch that fails there shows why
    assert "total\t10" in text and "finished: 10" in text


def test_terminal_llm_answer(spell, runner):
    path = spell("t.lua", 'local r = LLM.complete("hi")\nreturn r\n')
    out = io.StringIO()
    TerminalDebugger(runner, path, inp=io.StringIO("llm on\nr\nanswer by hand\n"), out=out).loop()
    text = out.getvalue()
    assert "stopped (llm_call)" in text and "finished: 'by hand'" in text
