"""Screenshots of the IDE: the main window in the light and dark themes with a spell run and an LLM trace selected,
plus the console, the settings dialog and the welcome page.

    .venv/bin/python benchmarks/screenshots.py [OUT_DIR]        (default: screenshots/)

Runs the real window and the real runner (offline model) with private settings/data folders, so the user's own
session is untouched. Works offscreen; under ``xvfb-run -a`` the window manager-free X server gives the same look."""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
_tmp = tempfile.mkdtemp(prefix="llmspell-shots-")
os.environ["LLMSPELL_CONFIG_DIR"] = os.path.join(_tmp, "config")
os.environ["LLMSPELL_DATA_DIR"] = os.path.join(_tmp, "data")
if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

DEMO = """-- trace_demo.lua: one LLM call and an agent with a tool, on the offline model.
local name = (INPUT and INPUT.name) or "world"

local function greet(who)
  local reply = LLM.chat({{role = "user", content = "Write a one-line greeting for " .. who}},
                         {system = "Be brief and friendly."})
  return reply.content
end

print(greet(name))
Log.info("greeting done", {name = name})

local add = {name = "add", description = "Add two numbers",
  parameters = {type = "object", properties = {a = {type = "number"}, b = {type = "number"}}},
  fn = function(args) return (args.a or 2) + (args.b or 3) end}
local agent = Agent.new({system = "You add numbers.", tools = {add}, max_steps = 4})
local answer = agent:run("Use the add tool to add 2 and 3")
Log.warn("agent answered", {answer = answer.content or answer})
return {greeted = name}
"""


def qwait(ms: int) -> None:
    """Run the event loop for ``ms`` (QTest.qWait holds the GIL and starves the runner's threads)."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def save_all(w, out: Path, shots: list) -> int:
    """Save ``(name, pixmap)`` shots into ``out`` and shut the window's services down."""
    for name, pix in shots:
        pix.save(str(out / name))
        print("saved", out / name)
    w.shutdown_for_tests()
    return 0


def wait(app, cond, timeout: float = 60.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        qwait(50)
    return cond()


def main() -> int:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "screenshots")
    out.mkdir(parents=True, exist_ok=True)

    from app.ui.main import create_window

    app, w = create_window(restore=False)
    w.resize(1440, 900)
    w.show()
    w.runs.start_runner()
    ws = Path(_tmp) / "workspace"
    ws.mkdir()
    demo = ws / "trace_demo.lua"
    demo.write_text(DEMO, encoding="utf-8")
    for ex in sorted((ROOT / "examples").glob("*.*")) if (ROOT / "examples").is_dir() else []:
        if ex.is_file() and ex.suffix in (".lua", ".js", ".tengo", ".json"):
            (ws / ex.name).write_text(ex.read_text("utf-8"), encoding="utf-8")
    w.set_workspace(str(ws))
    page = w.tabs.open_file(str(demo), line=5)
    w.console.input.setText('{"name": "Ada"}')
    if not wait(app, lambda: w.runs.ready, 60):
        print("runner did not start:", w.runs.error)
        return 1
    from app.ui import run_service

    wait(app, run_service.PREWARMED.is_set, 60)  # litellm imported: the run shows its own timing
    session = w.action_run(page)
    if not wait(app, lambda: session.done, 90):
        print("the demo spell did not finish")
        return 1
    qwait(300)
    print(f"run: {session.status}, {len(session.spans)} spans, {session.stats.tokens} tokens")
    shots = []
    for theme_name in ("light", "dark"):
        w.store.update(theme=theme_name)
        qwait(200)
        w.docks["trace"].show()
        w.docks["trace"].raise_()
        w.trace.select_first_span("llm") or w.trace.select_first_span(None)
        qwait(200)
        shots.append((f"main-{theme_name}-trace.png", w.grab()))
        w.docks["console"].raise_()
        qwait(150)
        shots.append((f"main-{theme_name}-console.png", w.grab()))
    w.store.update(theme="light")
    from app.ui.settings_dialog import SettingsDialog

    dlg = SettingsDialog(w.store, w)
    dlg.show()
    for i, name in enumerate(("general", "providers", "security")):
        dlg.tabs.setCurrentIndex(i)
        qwait(100)
        shots.append((f"settings-{name}.png", dlg.grab()))
    dlg.close()
    w.action_welcome()
    qwait(150)
    shots.append(("welcome-light.png", w.grab()))
    w.store.update(theme="dark")
    qwait(150)
    shots.append(("welcome-dark.png", w.grab()))
    w.store.update(theme="light")
    w.tabs.setCurrentWidget(page)
    w.editing.replace()
    w.find_bar.find_edit.setText("name")
    w.docks["find_files"].show()
    w.docks["find_files"].raise_()
    w.find_files.query.setText("LLM")
    w.find_files.start_search()
    wait(app, lambda: bool(w.find_files.hits), 5)
    qwait(150)
    shots.append(("find-light.png", w.grab()))
    return save_all(w, out, shots)


if __name__ == "__main__":
    sys.exit(main())
