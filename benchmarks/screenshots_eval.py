"""Screenshots of the Eval view: the extraction example's eval run in the IDE (live matrix, totals, a row's
detail), light and dark.

    .venv/bin/python benchmarks/screenshots_eval.py [OUT_DIR]        (default: screenshots/)
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
_tmp = tempfile.mkdtemp(prefix="llmspell-shots-")
os.environ["LLMSPELL_CONFIG_DIR"] = os.path.join(_tmp, "config")
os.environ["LLMSPELL_DATA_DIR"] = os.path.join(_tmp, "data")
if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from screenshots import qwait, wait  # noqa: E402

MIXED_SPELL = """if INPUT.q == "boom" then error("the spell failed on purpose") end
return LLM.complete("Answer briefly: " .. INPUT.q)
"""
MIXED_EVAL = """description: mixed results (a failing assertion, a failing run)
spell: mixed.lua
rows: [{q: capital of France, want: France}, {q: two plus two, want: "4"}, {q: boom, want: x},
       {q: colour of the sky, want: sky}]
models: [offline/echo, {id: offline/b, label: second}]
assert:
  - {type: icontains, value: "{{want}}", metric: expected}
  - {type: llm-rubric, value: 'mentions "Answer"', metric: judge}
  - {type: not-contains, value: plus, metric: no plus}
"""


def main() -> int:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "screenshots")
    out.mkdir(parents=True, exist_ok=True)
    from PySide6.QtCore import Qt

    from app.ui.main import create_window

    app, w = create_window(restore=False)
    w.resize(1500, 980)
    w.show()
    w.runs.start_runner()
    ws = Path(_tmp) / "workspace"
    shutil.copytree(ROOT / "examples", ws)
    w.set_workspace(str(ws))
    if not wait(app, lambda: w.runs.ready, 60):
        print("runner did not start:", w.runs.error)
        return 1
    w.open_location(str(ws / "extraction.eval.yaml"), 1)
    w.action_run_eval()
    view = w.evals.view
    if not wait(app, lambda: not view.running and view.records, 180):
        print("the eval did not finish")
        return 1
    w.resizeDocks([w.docks["evals"]], [620], Qt.Orientation.Vertical)
    view.matrix.setCurrentCell(1, 2)
    qwait(300)
    shots = []
    for theme_name in ("light", "dark"):
        w.store.update(theme=theme_name)
        qwait(250)
        shots.append((f"eval-{theme_name}.png", w.grab()))
    w.store.update(theme="light")
    shots.append(("eval-view.png", view.grab()))
    (ws / "mixed.lua").write_text(MIXED_SPELL, encoding="utf-8")
    (ws / "mixed.eval.yaml").write_text(MIXED_EVAL, encoding="utf-8")
    w.open_location(str(ws / "mixed.eval.yaml"), 1)
    w.action_run_eval()
    if not wait(app, lambda: not view.running and len(view.records) == 8, 180):
        print("the mixed eval did not finish")
        return 1
    view.matrix.setCurrentCell(1, 2)
    qwait(300)
    shots.append(("eval-failures.png", w.grab()))
    for name, pix in shots:
        pix.save(str(out / name))
        print("saved", out / name)
    w.shutdown_for_tests()
    return 0


if __name__ == "__main__":
    sys.exit(main())
