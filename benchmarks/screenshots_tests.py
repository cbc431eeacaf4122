"""Screenshots of the Test Explorer: the examples' tests plus one failing test, run from the IDE, with the failed
test selected (its diff and link) and result markers in the editor margin; light and dark themes.

    .venv/bin/python benchmarks/screenshots_tests.py [OUT_DIR]     (default: screenshots/)

Real window, real runner, private settings/data folders; under ``xvfb-run -a`` or offscreen."""

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

from benchmarks.screenshots import qwait, wait  # noqa: E402 - after the environment is set

FAILING = """-- greeting_spec.lua: a test that fails until greeting.lua says "Hello"
describe("greeting", function()
  it("greets by name", function()
    Mock.llm("greeting", "Hi, Ada!")
    local r = Spell.run("greeting.lua", {name = "Ada"})
    assert.is_nil(r.error)
    assert.are.same({text = "Hello, Ada!", name = "Ada"}, r.result)
  end)

  it("asks the model once", function()
    Mock.llm("greeting", "Hi, Ada!")
    assert.are.equal(1, #Spell.run("greeting.lua", {name = "Ada"}).calls)
  end)

  pending("greets in French")
end)
"""

GREETING = """-- greeting.lua
local name = (INPUT and INPUT.name) or "world"
return {text = LLM.complete("Write a greeting for " .. name), name = name}
"""


def main() -> int:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "screenshots")
    out.mkdir(parents=True, exist_ok=True)
    from PySide6.QtCore import Qt

    from app.ui.main import create_window

    app, w = create_window(restore=False)
    w.resize(1440, 900)
    w.show()
    w.runs.start_runner()
    ws = Path(_tmp) / "workspace"
    ws.mkdir()
    for ex in sorted((ROOT / "examples").glob("*.*")):
        if ex.is_file() and ex.suffix in (".lua", ".js", ".tengo"):
            (ws / ex.name).write_text(ex.read_text("utf-8"), encoding="utf-8")
    (ws / "greeting.lua").write_text(GREETING, encoding="utf-8")
    spec = ws / "greeting_spec.lua"
    spec.write_text(FAILING, encoding="utf-8")
    w.set_workspace(str(ws))
    if not wait(app, lambda: w.runs.ready, 60):
        print("runner did not start:", w.runs.error)
        return 1
    panel = w.tests.panel
    wait(app, lambda: str(spec) in panel.files, 20)
    w.tabs.open_file(str(spec), line=7)
    w.docks["tests"].show()
    w.docks["tests"].raise_()
    w.resizeDocks([w.docks["tests"]], [440], Qt.Orientation.Horizontal)
    w.resizeDocks([w.docks["tests"]], [700], Qt.Orientation.Vertical)
    panel.run_all()
    if not wait(
        app,
        lambda: (
            all(f.running == 0 for f in panel.files.values())
            and panel.files[str(spec)].cases["greeting › greets by name"].state != "none"
        ),
        120,
    ):
        print("the tests did not finish")
        return 1
    qwait(400)
    panel.select_test(str(spec), "greeting › greets by name")
    w.docks["trace"].show()
    w.docks["trace"].raise_()
    qwait(300)
    shots = []
    for theme in ("light", "dark"):
        w.store.update(theme=theme)
        qwait(300)
        shots.append((f"tests-{theme}.png", w.grab()))
    totals = {k: sum(panel.counts(p)[k] for p in panel.files) for k in ("passed", "failed", "skipped")}
    print("results:", totals)
    for name, pix in shots:
        pix.save(str(out / name))
        print("saved", out / name)
    w.shutdown_for_tests()
    return 0


if __name__ == "__main__":
    sys.exit(main())
