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
    script = (
        "\n".join(
            [
                "b 3 if a >= 3",
                "watch a + b",
                "r",
                "bt",
                "p c",
                "l",
                "n",
                "finish",
                "d 3",
                "c",
            ]
        )
        + "\n"
    )
    out = io.StringIO()
    code = TerminalDebugger(runner, path, inp=io.StringIO(script), out=out).loop()
    text = out.getvalue()
    assert code == 0
    assert "breakpoint 1 at t.lua:3" in text
    assert "stopped (breakpoint) at t.lua:3" in text and "a + b = 6" in text
    assert "#1 add  t.lua:3" in text and "#2 main chunk  t.lua:7" in text
    assert "(debug) 6\n" in text  # p c
    assert "=>    3    return c" in text  # l
    assert "stopped (step) at t.lua:6" in text  # n: back in the loop
    assert "global 'a'" in text  # a watch that fails there shows why
    assert "total\t10" in text and "finished: 10" in text


def test_terminal_llm_answer(spell, runner):
    path = spell("t.lua", 'local r = LLM.complete("hi")\nreturn r\n')
    out = io.StringIO()
    TerminalDebugger(runner, path, inp=io.StringIO("llm on\nr\nanswer by hand\n"), out=out).loop()
    text = out.getvalue()
    assert "stopped (llm_call)" in text and "finished: 'by hand'" in text


JS_SPELL = """
function add(a, b) {
  const c = a + b;
  return c;
}
let total = 0;
for (let i = 1; i <= 4; i++) {
  total = add(total, i);
}
print("total", total);
return total;
"""


def test_terminal_session_javascript(spell, runner):
    path = spell("t.js", JS_SPELL)
    script = (
        "\n".join(
            [
                "b 3 if a >= 3",
                "watch a + b",
                "r",
                "bt",
                "p c",
                "n",
                "p total",
                "d 3",
                "c",
            ]
        )
        + "\n"
    )
    out = io.StringIO()
    code = TerminalDebugger(runner, path, inp=io.StringIO(script), out=out).loop()
    text = out.getvalue()
    assert code == 0
    assert "breakpoint 1 at t.js:3" in text
    assert "stopped (breakpoint) at t.js:3  return c;" in text and "a + b = 6" in text
    assert "#1 add  t.js:3" in text and "#2 main chunk  t.js:7" in text
    assert "(debug) 6\n" in text  # p c
    assert "stopped (step) at t.js:7" in text  # n: back in the loop
    assert text.count("(debug) 6\n") == 2  # p total: the next iteration, after the assignment
    assert "ReferenceError" in text  # the watch outside add shows why it fails
    assert "total 10" in text and "finished: 10" in text


def test_cli_debug_javascript_through_stdin(spell):
    """``llmspell debug spell.js`` in a terminal: commands on stdin, the stop and the result on stdout."""
    import os
    import subprocess
    import sys

    path = spell("cli.js", JS_SPELL)
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = {**os.environ, "PYTHONPATH": root}
    proc = subprocess.run(
        [sys.executable, "-m", "app.cli", "debug", path],
        input="b 3\nr\np a + b\nd 3\nc\n",
        capture_output=True,
        text=True,
        timeout=120,
        cwd=root,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr
    assert "stopped (breakpoint) at cli.js:3" in proc.stdout
    assert "(debug) 1\n" in proc.stdout and "finished: 10" in proc.stdout
