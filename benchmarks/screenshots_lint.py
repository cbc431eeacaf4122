"""Screenshot of lint in the IDE: squiggles, the hover message of a problem and the Problems panel.

    xvfb-run -a -s "-screen 0 1440x900x24" .venv/bin/python benchmarks/screenshots_lint.py [OUT_DIR]

The tooltip is a separate window, so the picture is the whole (virtual) screen; run it under Xvfb."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
_tmp = tempfile.mkdtemp(prefix="llmspell-lintshots-")
os.environ["LLMSPELL_CONFIG_DIR"] = os.path.join(_tmp, "config")
os.environ["LLMSPELL_DATA_DIR"] = os.path.join(_tmp, "data")

SPELL = """-- summarise.lua: a spell with a few mistakes the linter finds as you type.
local agent = Agent.new({name = "writer", system = "You write summaries.", max_stepz = 3})
local unused_notes = {}

local function summarise(text, style)
  local answer = LLM.compleet("Summarise: " .. text, {temprature = 0.2})
  return agent:runn(answer)
end

os.execute("rm -rf /")
print(summarise(INPUT.text))
"""


def main() -> int:
    from benchmarks.screenshots import qwait, wait

    out = Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "screenshots")
    out.mkdir(parents=True, exist_ok=True)
    from PySide6.QtWidgets import QToolTip

    from app.ui.main import create_window

    app, w = create_window(restore=False)
    w.resize(1400, 860)
    w.move(0, 0)
    w.show()
    ws = Path(_tmp) / "workspace"
    ws.mkdir()
    spell = ws / "summarise.lua"
    spell.write_text(SPELL, encoding="utf-8")
    w.set_workspace(str(ws))
    page = w.tabs.open_file(str(spell))
    if not wait(app, lambda: len(page.editor.diagnostics) >= 6, 30):
        print("no diagnostics:", page.editor.diagnostics)
        return 1
    w.docks["problems"].show()
    w.docks["problems"].raise_()
    qwait(300)
    ed = page.editor
    pos = ed.position_at(5, 22)  # inside LLM.compleet
    x, y = ed.pointXFromPosition(pos), ed.pointYFromPosition(pos) + 6
    ed.dwellStart.emit(x, y)
    qwait(400)
    print("tooltip:", QToolTip.text())
    for d in ed.diagnostics:
        print(f"  {d.line}:{d.column}-{d.end_line}:{d.end_column} {d.severity} {d.rule}: {d.message}")
    shot = app.primaryScreen().grabWindow(0)
    path = out / "lint-problems.png"
    shot.save(str(path))
    w.grab().save(str(out / "lint-window.png"))
    print("saved", path)
    w.shutdown_for_tests()
    return 0


if __name__ == "__main__":
    sys.exit(main())
