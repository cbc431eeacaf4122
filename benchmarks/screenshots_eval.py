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
    for name, pix in shots:
        pix.save(str(out / name))
        print("saved", out / name)
    w.shutdown_for_tests()
    return 0


if __name__ == "__main__":
    sys.exit(main())
