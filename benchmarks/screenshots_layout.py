"""Screenshots of the window's layouts at laptop sizes: the debugging layout while paused (1280×800 and 1024×680),
the editing layout it gives back when the run ends (with the Reference open), and the first run from the welcome
page (hello.lua's model call selected in the LLM Trace).

    xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python benchmarks/screenshots_layout.py [OUT_DIR]"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
_tmp = tempfile.mkdtemp(prefix="llmspell-shots-")
os.environ["LLMSPELL_CONFIG_DIR"] = os.path.join(_tmp, "config")
os.environ["LLMSPELL_DATA_DIR"] = os.path.join(_tmp, "data")
if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from screenshots import DEMO, qwait, save_all, wait  # noqa: E402

SIZES = ((1280, 800), (1024, 680))


def main() -> int:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "screenshots")
    out.mkdir(parents=True, exist_ok=True)
    from app.ui.main import create_window

    app, w = create_window(restore=False)
    w.move(0, 0)
    w.show()
    w.runs.start_runner()
    if not wait(app, lambda: w.runs.ready, 60):
        print("runner did not start:", w.runs.error)
        return 1
    shots = []

    # the first run: the welcome page's one click
    w.resize(*SIZES[0])
    w.action_welcome()
    qwait(300)
    w.tabs.currentWidget().run_button.click()
    wait(app, lambda: bool(w.runs.sessions) and w.runs.sessions[-1].done, 90)
    wait(app, lambda: w.trace.tree.currentItem() is not None, 10)
    qwait(500)
    shots.append(("first-run-trace.png", w.grab()))

    ws = Path(_tmp) / "workspace"
    ws.mkdir()
    demo = ws / "trace_demo.lua"
    demo.write_text(DEMO, encoding="utf-8")
    w.set_workspace(str(ws))
    page = w.tabs.open_file(str(demo))
    ctl = w.debugger.controller
    ctl.toggle_breakpoint(str(demo), 5)
    w.debugger.docks.watches.add("who .. '!'")
    for width, height in SIZES:
        w.resize(width, height)
        w.panels.reset()  # both layouts fresh, as on a first start at this size
        qwait(200)
        w.tabs.setCurrentWidget(page)
        w.action_debug()
        if not wait(app, lambda: ctl.is_paused, 60):
            print("the debug run did not stop")
            return 1
        wait(app, lambda: w.debugger.docks.variables.tree.topLevelItemCount() > 0, 10)
        qwait(600)
        shots.append((f"layout-debug-{width}x{height}.png", w.grab()))
        w.action_stop()
        wait(app, lambda: ctl.state == "ended", 20)
        qwait(300)
        page.editor.set_cursor(4, 18)  # on LLM.chat: F1 opens its page
        w.reference.show()
        qwait(400)
        shots.append((f"layout-editing-{width}x{height}.png", w.grab()))
    return save_all(w, out, shots)


if __name__ == "__main__":
    sys.exit(main())
