"""Screenshots of the debugger and the editor intelligence in the main window: a paused debug session (light and
dark: current line, call stack, variables, watches, breakpoints) and a completion list and a call tip.

    xvfb-run -a .venv/bin/python benchmarks/screenshots_debug.py [OUT_DIR]      (default: screenshots/)

The completion list and the call tip are popup windows of their own: they are only in the screen grabs
(``*-screen.png``), which need a real X server (xvfb-run); offscreen, the window grabs are still made."""

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


def screen(w):
    """The whole screen (popups included) when there is one, else the window."""
    from PySide6.QtGui import QGuiApplication

    if QGuiApplication.platformName() == "offscreen":
        return w.grab()
    return QGuiApplication.primaryScreen().grabWindow(0)


def type_text(ed, text: str) -> None:
    """Type ``text`` key by key (QTest.keyClicks cannot type a newline)."""
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    for i, part in enumerate(text.split("\n")):
        if i:
            QTest.keyClick(ed, Qt.Key.Key_Return)
        if part:
            QTest.keyClicks(ed, part)


def main() -> int:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "screenshots")
    out.mkdir(parents=True, exist_ok=True)
    from PySide6.QtWidgets import QWidget

    from app.ui.main import create_window

    app, w = create_window(restore=False)
    w.resize(1440, 900)
    w.move(0, 0)
    w.show()
    w.runs.start_runner()
    ws = Path(_tmp) / "workspace"
    ws.mkdir()
    demo = ws / "trace_demo.lua"
    demo.write_text(DEMO, encoding="utf-8")
    w.set_workspace(str(ws))
    page = w.tabs.open_file(str(demo))
    w.console.input.setText('{"name": "Ada"}')
    if not wait(app, lambda: w.runs.ready, 60):
        print("runner did not start:", w.runs.error)
        return 1
    shots = []
    ctl = w.debugger.controller
    # breakpoints: one in greet (margin), one conditional on the agent line
    ctl.toggle_breakpoint(str(demo), 5)
    ctl.set_breakpoint(str(demo), 17, condition="answer == nil")
    w.debugger.docks.watches.add("who .. '!'")
    w.debugger.docks.watches.add("#who")
    w.action_debug()
    if not wait(app, lambda: ctl.is_paused, 60):
        print("the debug run did not stop")
        return 1
    wait(app, lambda: w.debugger.docks.variables.tree.topLevelItemCount() > 0, 10)
    qwait(600)
    print("paused:", ctl.stop.reason, ctl.stop.file, ctl.stop.line)
    for theme_name in ("light", "dark"):
        w.store.update(theme=theme_name)
        qwait(300)
        shots.append((f"debug-{theme_name}-paused.png", w.grab()))
    # hover while stopped: the value under the mouse
    ed0 = page.editor
    line5 = ed0.line_text(4)
    pos = ed0.positionFromLine(4) + line5.index(".. who") + 4
    x, y = ed0.pointXFromPosition(pos), ed0.pointYFromPosition(pos) + 6
    ed0.dwellStart.emit(x, y)
    qwait(400)
    shots.append(("debug-dark-hover-screen.png", screen(w)))
    w.store.update(theme="light")
    w.debugging.step_over()
    wait(app, lambda: ctl.is_paused and ctl.stop.line != 5, 20)
    qwait(500)
    shots.append(("debug-light-stepped.png", w.grab()))
    w.action_stop()
    wait(app, lambda: ctl.state == "ended", 20)
    qwait(300)

    # an agent's tool and its LLM calls: break before LLM calls, and in the tool's function
    agent_spell = ws / "custom_tool_agent.lua"
    agent_spell.write_text((ROOT / "examples" / "custom_tool_agent.lua").read_text("utf-8"), encoding="utf-8")
    w.tabs.open_file(str(agent_spell))
    ctl.toggle_breakpoint(str(agent_spell), 5)
    w.debugger.docks.breakpoints.llm.setChecked(True)
    w.action_debug()
    if wait(app, lambda: ctl.is_paused, 60):
        qwait(500)
        print("agent stop 1:", ctl.stop.reason, ctl.stop.line)
        shots.append(("debug-light-llm-call.png", w.grab()))
        for _ in range(4):  # on to the tool's breakpoint
            if ctl.stop is not None and ctl.stop.reason == "breakpoint":
                break
            before = ctl.stops
            w.action_run()  # F5: continue
            wait(app, lambda: ctl.stops > before and ctl.is_paused or ctl.state == "ended", 30)
        qwait(600)
        if ctl.is_paused:
            print("agent stop:", ctl.stop.reason, ctl.stop.line)
            tree = w.debugger.docks.variables.tree
            loc = tree.topLevelItem(0)
            for i in range(loc.childCount() if loc else 0):
                if loc.child(i).text(0) == "args":
                    loc.child(i).setExpanded(True)
            qwait(500)
            shots.append(("debug-light-tool-breakpoint.png", w.grab()))
    w.debugger.docks.breakpoints.llm.setChecked(False)
    w.action_stop()
    wait(app, lambda: ctl.state == "ended", 20)
    w.tabs.setCurrentWidget(page)
    qwait(200)

    # a Tengo spell: a conditional breakpoint inside a callback, watches evaluated in its frame
    tengo_spell = ws / "content_pipeline.tengo"
    tengo_spell.write_text((ROOT / "examples" / "content_pipeline.tengo").read_text("utf-8"), encoding="utf-8")
    w.tabs.open_file(str(tengo_spell))
    ctl.set_breakpoint(str(tengo_spell), 19, condition="words > 3")
    w.debugger.docks.watches.add("words * 2")
    w.debugger.docks.watches.add("text.to_upper(topic)")
    w.action_debug()
    if wait(app, lambda: ctl.is_paused, 60):
        wait(app, lambda: w.debugger.docks.variables.tree.topLevelItemCount() > 0, 10)
        qwait(600)
        print("tengo stop:", ctl.stop.reason, ctl.stop.line)
        shots.append(("debug-light-tengo.png", w.grab()))
    else:
        print("the Tengo debug run did not stop")
    w.action_stop()
    wait(app, lambda: ctl.state == "ended", 20)
    w.tabs.setCurrentWidget(page)
    qwait(200)

    # hover when not stopped: the docs of the bridge method
    pos = ed0.positionFromLine(4) + line5.index("chat") + 1
    x, y = ed0.pointXFromPosition(pos), ed0.pointYFromPosition(pos) + 6
    ed0.dwellStart.emit(x, y)
    qwait(400)
    shots.append(("intel-hover-docs-screen.png", screen(w)))

    # completion list and call tip in a real editor
    wait(app, lambda: getattr(w._bridges_ready, "intel_ready", False), 30)
    p2 = w.tabs.new_file("lua", "")
    ed = p2.editor
    w.activateWindow()
    QWidget.setFocus(ed)
    qwait(200)
    type_text(ed, "local agent = Agent.new({system = 'x'})\nlocal r = LLM.")
    qwait(400)
    print("member list:", ed.autoCActive())
    shots.append(("intel-members-screen.png", screen(w)))
    ed.autoCCancel()
    type_text(ed, 'complete("Summarise", {')
    qwait(400)
    print("option list:", ed.autoCActive(), "tip:", ed.callTipActive())
    shots.append(("intel-options-screen.png", screen(w)))
    ed.autoCSelect("model")
    ed.autoCComplete()
    qwait(400)
    print("after choosing:", repr(ed.text().splitlines()[-1]), "tip:", ed.callTipActive())
    shots.append(("intel-calltip-screen.png", screen(w)))
    type_text(ed, '"offline"})\n')
    w.store.update(theme="dark")
    qwait(200)
    type_text(ed, "LLM.chat({}, ")
    qwait(300)
    print("dark tip:", ed.callTipActive())
    shots.append(("intel-dark-calltip-screen.png", screen(w)))
    w.store.update(theme="light")
    type_text(ed, "nil)\nagent:")
    qwait(400)
    print("handle list:", ed.autoCActive())
    shots.append(("intel-handle-screen.png", screen(w)))
    return save_all(w, out, shots)


if __name__ == "__main__":
    sys.exit(main())
