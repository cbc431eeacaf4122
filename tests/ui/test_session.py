"""Hot exit and session restore: unsaved text survives kill -9; tabs, cursors, layout and workspace come back."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

HERE = os.path.dirname(__file__)


def _child(args, env, **kw):
    return subprocess.Popen(
        [sys.executable, os.path.join(HERE, "crash_app.py"), *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kw,
    )


@pytest.mark.timeout(90)
def test_unsaved_text_survives_kill_9(tmp_path):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    spell = tmp_path / "spell.lua"
    spell.write_text("print(1)\n")
    child = _child(["type", str(spell), "-- typed before the crash"], env)
    try:
        deadline = time.monotonic() + 60
        line = ""
        while time.monotonic() < deadline:
            line = child.stdout.readline()
            if "READY" in line or not line:
                break
        assert "READY" in line, child.stderr.read() if child.poll() is not None else "no READY"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(10)
    assert spell.read_text() == "print(1)\n"  # nothing was saved to the file itself
    report = _child(["report"], env)
    out, err = report.communicate(timeout=60)
    tabs = json.loads(out.strip().splitlines()[-1])
    by_title = {t["title"]: t for t in tabs}
    restored = by_title["spell.lua"]
    assert restored["text"] == "print(1)\n-- typed before the crash" and restored["dirty"]
    untitled = [t for t in tabs if t["path"] is None]
    assert len(untitled) == 1 and untitled[0]["text"] == "untitled -- typed before the crash"
    assert untitled[0]["dirty"]


def test_session_restores_tabs_cursor_workspace_and_layout(make_window, tmp_path, qtbot):
    ws = tmp_path / "ws"
    ws.mkdir()
    a, b = ws / "a.lua", ws / "b.js"
    a.write_text("1\n2\n3\n4\n")
    b.write_text("x\n")
    w1 = make_window()
    w1.set_workspace(str(ws))
    w1.tabs.open_file(str(a), line=3)
    w1.tabs.open_file(str(b))
    w1.tabs.setCurrentIndex(w1.tabs.indexOf(w1.tabs.page_for(str(a))))
    w1.docks["outline"].hide()
    w1.console.input.setText('{"k": 1}')
    w1.close()
    w2 = make_window()
    assert [p.path for p in w2.tabs.pages()] == [str(a), str(b)]
    assert w2.tabs.current_page().path == str(a)
    assert w2.tabs.page_for(str(a)).editor.caret()[0] == 2
    assert w2.workspace == str(ws) and w2.files.root == str(ws)
    assert not w2.docks["outline"].isVisible()
    assert w2.console.input.text() == '{"k": 1}'
    assert str(a) in w2.state.recent_files


def test_discarding_on_close_removes_backups(make_window, tmp_path, qtbot):
    from app.ui import paths

    w = make_window()
    page = w.tabs.new_file("lua", "")
    page.editor.insertText(0, "draft")
    w.backup_tick()
    assert list(paths.backup_dir().rglob("*.json"))
    w.close()  # the test fixture answers "discard"
    assert not list(paths.backup_dir().rglob("*.json"))
    w2 = make_window()
    assert all(p.editor.text() != "draft" for p in w2.tabs.pages())


def test_saving_removes_the_backup(make_window, tmp_path):
    from app.ui import paths

    f = tmp_path / "s.lua"
    f.write_text("a")
    w = make_window()
    page = w.tabs.open_file(str(f))
    page.editor.insertText(1, "b")
    w.backup_tick()
    assert len(list(paths.backup_dir().rglob("*.json"))) == 1
    w.tabs.save(page)
    w.backup_tick()
    assert not list(paths.backup_dir().rglob("*.json"))


def test_first_start_shows_welcome_that_runs_hello(make_window, tmp_path, qtbot):
    ex = tmp_path / "examples"
    ex.mkdir()
    (ex / "hello.lua").write_text('-- hello.lua: the smallest spell.\nprint("hi")\n')
    (ex / "chat.js").write_text("console.log(1)\n")
    w = make_window()
    from app.ui.welcome import WelcomePage

    welcome = w.tabs.currentWidget()
    assert isinstance(welcome, WelcomePage)
    assert welcome.examples.topLevelItemCount() == 2
    assert welcome.examples.topLevelItem(0).text(0) == "hello.lua"
    assert welcome.examples.topLevelItem(0).text(1) == "the smallest spell."
    welcome.run_button.click()
    qtbot.waitUntil(lambda: bool(w.runs.sessions) and w.runs.sessions[-1].done, timeout=5000)
    page = w.tabs.current_page()  # a copy of the example, never the shipped file
    assert page.path is None and page.title == "hello.lua" and not page.dirty
    assert w.fake_runner.started[-1][0] == page.run_path()
    w.close()
    w2 = make_window()  # not a first start any more
    assert not any(isinstance(w2.tabs.widget(i), WelcomePage) for i in range(w2.tabs.count()))


def test_new_from_example_menu(make_window, tmp_path):
    ex = tmp_path / "examples"
    ex.mkdir()
    (ex / "hello.lua").write_text("print(1)\n")
    w = make_window()
    w.workspace_part.fill_examples_menu(w.examples_menu)
    acts = [a for a in w.examples_menu.actions() if a.text() == "hello.lua"]
    acts[0].trigger()
    page = w.tabs.current_page()  # an untitled copy: editing it and F5 (save before run) never touch the example
    assert page.path is None and page.editor.text() == "print(1)\n" and page.title == "hello.lua"
    page.editor.set_text("print(2)\n")
    w.store.update(save_before_run=True)
    w.action_run()
    assert (ex / "hello.lua").read_text() == "print(1)\n"
    acts[0].trigger()  # a second copy gets its own name
    assert w.tabs.current_page().title == "hello-2.lua"
    w.set_workspace(str(tmp_path))  # Save As offers the example's name in the workspace
    from app.ui import editor_tabs

    asked: list[str] = []
    editor_tabs.ask_save_path = lambda _parent, suggestion: asked.append(suggestion) or None
    w.tabs.save(page)
    assert asked == [str(tmp_path / "hello.lua")]


def test_module_entry_point_help():
    out = subprocess.run(
        [sys.executable, "-m", "app.ui", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=os.path.abspath(os.path.join(HERE, "..", "..")),
    )
    assert out.returncode == 0 and "llmspell-studio" in out.stdout


def test_a_running_instance_keeps_its_backups(make_window, tmp_path):
    from app.ui import paths

    w1 = make_window()
    page = w1.tabs.new_file("lua", "")
    page.editor.insertText(0, "mine")
    w1.backup_tick()
    w2 = make_window()  # a second IDE started while the first runs: it must not take the first one's buffers
    assert all(p.editor.text() != "mine" for p in w2.tabs.pages())
    assert len(list(paths.backup_dir().rglob("*.json"))) == 1
    w1.workspace_part.backups.close(remove=False)  # as if w1 had crashed: its lock is released, its backups stay
    w3 = make_window()
    assert any(p.editor.text() == "mine" and p.dirty for p in w3.tabs.pages())
    assert [p.parent for p in paths.backup_dir().rglob("*.json")] == [w3.workspace_part.backups.folder]


def test_watches_and_both_layouts_come_back_after_a_restart(make_window, qtbot):
    """Watch expressions, the editing layout and the debugging layout (as the user left them) survive a restart."""
    from app.ui.window.panels import LayoutMode

    w = make_window()
    w.debugger.docks.watches.add("total * 2")
    w.debugger.docks.watches.add("#items")
    w.panels.switch(LayoutMode.DEBUGGING)
    w.docks["watches"].hide()  # the user's debugging layout: no watches panel
    w.panels.switch(LayoutMode.EDITING)
    w.docks["outline"].hide()  # and an editing layout without the outline
    w.save_session()
    w.shutdown_for_tests()
    w2 = make_window()
    assert w2.debugger.docks.watches.expressions() == ["total * 2", "#items"]
    assert not w2.docks["outline"].isVisible() and w2.docks["files"].isVisible()
    w2.panels.switch(LayoutMode.DEBUGGING)
    assert not w2.docks["watches"].isVisible() and w2.docks["variables"].isVisible()
