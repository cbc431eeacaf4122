"""Running spells: live console output with levels and links, INPUT, Stop, status; REPL; with a fake runner and
with the real one (hello.lua, a hung spell stopped within a second or so, a REPL session)."""

from __future__ import annotations

import json
import os
import time

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def run_and_wait(window, qtbot, page=None, timeout=20000):
    session = window.action_run(page)
    assert session is not None
    qtbot.waitUntil(lambda: session.done, timeout=timeout)
    qtbot.wait(80)  # let the last batch reach the console
    return session


def test_run_streams_output_levels_and_status(window, qtbot, tmp_path):
    p = tmp_path / "s.lua"
    p.write_text("print('x')\n")
    page = window.tabs.open_file(str(p))
    window.console.input.setText('{"name": "Ada"}')
    session = run_and_wait(window, qtbot, page)
    path, opts = window.fake_runner.started[-1]
    assert path == str(p) and opts.inputs == {"name": "Ada"} and opts.language == "lua"
    assert opts.settings["default_model"] == window.store.settings.default_model
    con = window.console.current_console()
    text = con.view.toPlainText()
    assert "hello {'name': 'Ada'}" in text
    assert "[warn] a warn message" in text and "[error] a error message" in text
    assert "✔ finished" in text and '{"greeted": "world"}' in text
    assert "1 LLM call, 10 tokens" in text
    assert session.stats.tokens == 10 and abs(session.stats.cost - 0.0012) < 1e-9
    assert "10 tokens" in con.status.text() and "$0.0012" in con.status.text()
    assert "10 tokens" in window.run_label.text()
    assert not con.stop_button.isVisible()


def test_invalid_input_json_does_not_run(window, qtbot):
    window.tabs.new_file("lua", "print(1)")
    window.console.input.setText("{not json")
    assert window.action_run() is None
    assert "invalid JSON" in window.console.input_error.text()
    assert window.fake_runner.started == []


def test_error_links_jump_to_the_line(window, qtbot, tmp_path):
    p = tmp_path / "bad.lua"
    p.write_text("local a = 1\nFAIL()\nprint(a)\n")
    page = window.tabs.open_file(str(p))
    session = run_and_wait(window, qtbot, page)
    assert session.status == "error"
    con = window.console.current_console()
    assert f"{p}:2" in con.view.toPlainText()
    links = con.view.links()
    assert (str(p), 2, 0) in links
    page.editor.set_cursor(0, 0)
    other = window.tabs.new_file("lua", "")
    assert window.tabs.current_page() is other
    con.view.linkActivated.emit(*links[0])
    assert window.tabs.current_page() is page and page.editor.caret()[0] == 1
    from app.ui.editor import MARKER_RUN_ERROR

    assert page.editor.markerGet(1) & (1 << MARKER_RUN_ERROR)
    # fixing the code clears the arrow at once (not only on the next run)
    page.editor.set_cursor(1, 0)
    QWidget.setFocus(page.editor)
    qtbot.keyClicks(page.editor, "-- ")
    assert not page.editor.markerGet(1) & (1 << MARKER_RUN_ERROR)


def test_clicking_a_link_in_the_console(window, qtbot, tmp_path):
    p = tmp_path / "bad.lua"
    p.write_text("x\nFAIL()\n")
    page = window.tabs.open_file(str(p))
    run_and_wait(window, qtbot, page)
    con = window.console.current_console()
    window.tabs.new_file("lua", "")
    doc = con.view.document()
    found = doc.find(f"{p}:2")
    assert not found.isNull()
    cur = con.view.textCursor()
    cur.setPosition(found.selectionStart() + 2)
    rect = con.view.cursorRect(cur)
    qtbot.mouseClick(con.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert window.tabs.current_page() is page and page.editor.caret()[0] == 1


def test_stop_a_hung_spell(window, qtbot):
    window.tabs.new_file("lua", "HANG")
    session = window.action_run()
    qtbot.waitUntil(lambda: session.run is not None, timeout=5000)
    qtbot.wait(100)
    assert not session.done and window.actions_by_id["stop"].isEnabled()
    window.actions_by_id["stop"].trigger()
    qtbot.waitUntil(lambda: session.done, timeout=5000)
    assert session.status == "cancelled"
    assert "stopped" in window.console.current_console().view.toPlainText()
    assert not window.actions_by_id["stop"].isEnabled()


def test_several_runs_each_get_a_console_tab(window, qtbot):
    window.tabs.new_file("lua", "HANG")
    a = window.action_run()
    window.tabs.new_file("lua", "ok")
    b = window.action_run()
    qtbot.waitUntil(lambda: b.done, timeout=5000)
    assert not a.done
    titles = [window.console.tabs.tabText(i) for i in range(window.console.tabs.count())]
    assert titles[0] == "REPL" and any(f"#{a.number}" in t for t in titles) and any(f"#{b.number}" in t for t in titles)
    a.cancel()
    qtbot.waitUntil(lambda: a.done, timeout=5000)


def test_output_flood_is_batched(window, qtbot):
    window.tabs.new_file("lua", "FLOOD")
    session = run_and_wait(window, qtbot, timeout=30000)
    qtbot.waitUntil(lambda: not session.channel.items, timeout=30000)
    qtbot.wait(100)
    text = window.console.current_console().view.toPlainText()
    assert "line 19999" in text and "finished" in text


def test_repl_history_and_multiline(window, qtbot):
    repl = window.repl
    window.running.focus_repl()
    repl.input.setPlainText("x = 40")
    qtbot.keyClick(repl.input, Qt.Key.Key_Return)
    repl.input.setPlainText("x + 2")
    qtbot.keyClick(repl.input, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "42" in repl.output.toPlainText(), timeout=5000)
    qtbot.keyClick(repl.input, Qt.Key.Key_Up)
    assert repl.input.toPlainText() == "x + 2"
    qtbot.keyClick(repl.input, Qt.Key.Key_Up)
    assert repl.input.toPlainText() == "x = 40"
    qtbot.keyClick(repl.input, Qt.Key.Key_Down)
    qtbot.keyClick(repl.input, Qt.Key.Key_Down)
    assert repl.input.toPlainText() == ""
    repl.input.setPlainText("function f()")
    repl.input.moveCursor(repl.input.textCursor().MoveOperation.End)
    qtbot.keyClick(repl.input, Qt.Key.Key_Return)  # unfinished block: a new line, not an evaluation
    assert repl.input.toPlainText() == "function f()\n"


def test_repl_output_keeps_the_order_of_entries(window, qtbot):
    repl = window.repl
    for src in ("x = 20", "x * 2", "print(x + 1)", "x + 3", "nope("):
        repl.evaluate(src)
    qtbot.waitUntil(lambda: "✖" in repl.output.toPlainText(), timeout=5000)
    text = repl.output.toPlainText()
    assert text.index("40") < text.index("21") < text.index("23") < text.index("✖")


def test_diagnostics_as_you_type(window, qtbot):
    page = window.tabs.new_file("lua", "local ok = 1\n")
    page.editor.insertText(page.editor.length(), "local x = = 2\n")
    qtbot.waitUntil(lambda: len(page.editor.diagnostics) == 1, timeout=5000)
    d = page.editor.diagnostics[0]
    assert d.line == 2 and "unexpected" in d.message
    page.editor.set_text("local fixed = 2\n", keep_undo=True)
    page.editor.textEdited.emit()
    qtbot.waitUntil(lambda: [d.rule for d in page.editor.diagnostics] == ["unused-local"], timeout=5000)
    assert page.editor.diagnostics[0].severity == "warning"
    page.editor.set_text("local fixed = 2\nprint(fixed)\n", keep_undo=True)
    page.editor.textEdited.emit()
    qtbot.waitUntil(lambda: not page.editor.diagnostics, timeout=5000)


# ------------------------------------------------------------------------------------------------ real runner
def test_real_run_hello_and_trace(real_window, qtbot, tmp_path):
    p = tmp_path / "hello.lua"
    p.write_text('print("Hello, " .. INPUT.name)\nLog.warn("careful")\nreturn {n = 42}\n')
    page = real_window.tabs.open_file(str(p))
    real_window.console.input.setText('{"name": "Ada"}')
    session = run_and_wait(real_window, qtbot, page, timeout=30000)
    assert session.status == "ok", session.result
    text = real_window.console.current_console().view.toPlainText()
    assert "Hello, Ada" in text and "careful" in text and '{"n": 42}' in text


def test_real_runtime_error_link(real_window, qtbot, tmp_path):
    p = tmp_path / "oops.lua"
    p.write_text("local t = nil\nprint(t.x)\n")
    page = real_window.tabs.open_file(str(p))
    session = run_and_wait(real_window, qtbot, page, timeout=30000)
    assert session.status == "error"
    links = real_window.console.current_console().view.links()
    assert any(line == 2 and path.endswith("oops.lua") for path, line, _ in links), links


def test_real_stop_hung_spell_quickly(real_window, qtbot, tmp_path):
    p = tmp_path / "hang.lua"
    p.write_text("while true do end\n")
    page = real_window.tabs.open_file(str(p))
    session = real_window.action_run(page)
    qtbot.waitUntil(lambda: session.run is not None, timeout=20000)
    qtbot.wait(300)
    assert not session.done
    t0 = time.monotonic()
    real_window.action_stop()
    qtbot.waitUntil(lambda: session.done, timeout=5000)
    assert session.status == "cancelled"
    # the window stayed responsive while the spell spun (it processed events to get here)
    assert time.monotonic() - t0 < 5


def test_real_repl_session_persists(real_window, qtbot):
    repl = real_window.repl
    repl.evaluate("x = 20")
    repl.evaluate("return x * 2 + 2")
    qtbot.waitUntil(lambda: "42" in repl.output.toPlainText(), timeout=30000)
    qtbot.wait(200)
    assert repl.output.toPlainText().count("42") == 1  # the value is shown once
    repl.evaluate("print(x + 1)")
    qtbot.waitUntil(lambda: "21" in repl.output.toPlainText(), timeout=30000)


def test_real_tengo_repl_session_persists(real_window, qtbot):
    repl = real_window.repl
    repl.lang.setCurrentIndex(repl.lang.findData("tengo"))
    repl.evaluate("x := 20")
    repl.evaluate("x * 2 + 2")  # a final expression is the entry's value
    qtbot.waitUntil(lambda: "42" in repl.output.toPlainText(), timeout=60000)
    assert "tengo> x := 20" in repl.output.toPlainText()
    page = real_window.tabs.new_file("tengo", "y := x + 3\ny * 2\n")
    for line in (0, 1):  # run selection: the caret's line, in the file's language, in the same session
        page.editor.set_cursor(line, 0)
        real_window.running.run_selection()
    qtbot.waitUntil(lambda: "46" in repl.output.toPlainText(), timeout=30000)
    assert "tengo> y * 2" in repl.output.toPlainText()


def test_real_diagnostics(real_window, qtbot):
    page = real_window.tabs.new_file("lua", "local a = = 1\n")
    qtbot.waitUntil(lambda: bool(page.editor.diagnostics), timeout=20000)
    assert page.editor.diagnostics[0].line == 1


def test_real_repl_hung_entry_can_be_stopped(real_window, qtbot):
    repl = real_window.repl
    repl.evaluate("y = 1")
    repl.evaluate("while true do end")
    qtbot.waitUntil(lambda: repl.stop_button.isVisible(), timeout=5000)
    qtbot.wait(500)
    real_window.action_stop()  # Shift+F5 stops the REPL too
    qtbot.waitUntil(lambda: "✖" in repl.output.toPlainText(), timeout=10000)
    repl.evaluate("return 6 * 7")
    qtbot.waitUntil(lambda: "42" in repl.output.toPlainText(), timeout=30000)
    assert not repl.stop_button.isVisible()


def test_runner_that_cannot_start(make_window, qtbot):
    def broken():
        raise RuntimeError("no workers today")

    from app.ui.main import create_window

    _app, w = create_window(runner_factory=broken, restore=False)
    qtbot.addWidget(w)
    w.show()
    w.runs.start_runner()
    w.tabs.new_file("lua", "print(1)")
    s = w.action_run()
    qtbot.waitUntil(lambda: s.done, timeout=5000)
    assert s.status == "crashed"
    assert "no workers today" in w.console.current_console().view.toPlainText()
    w.shutdown_for_tests()


def test_real_llm_call_shows_in_the_trace(real_window, qtbot, tmp_path):
    p = tmp_path / "ask.lua"
    p.write_text(
        'local r = LLM.chat({{role = "user", content = "Name a colour"}}, {system = "One word."})\nprint(r.content)\n'
    )
    page = real_window.tabs.open_file(str(p))
    session = run_and_wait(real_window, qtbot, page, timeout=90000)
    assert session.status == "ok", session.result
    real_window.docks["trace"].raise_()
    assert real_window.trace.select_first_span("llm")
    span = real_window.trace.spans()[0]
    assert span["model"].startswith("offline/") and span["line"] == 1
    chat = real_window.trace.chat.toPlainText()
    assert "One word." in chat and "Name a colour" in chat
    item = real_window.trace.tree.currentItem()
    real_window.tabs.new_file("lua", "")
    real_window.trace.tree.itemDoubleClicked.emit(item, 0)
    assert real_window.tabs.current_page() is page and page.editor.caret()[0] == 0


def test_run_selection_in_repl(window, qtbot):
    page = window.tabs.new_file("lua", "x = 5\n6 * 7\n")
    page.editor.set_cursor(1, 0)
    window.running.run_selection()
    qtbot.waitUntil(lambda: "42" in window.repl.output.toPlainText(), timeout=5000)
    assert window.console.tabs.currentWidget() is window.repl


def test_a_huge_line_is_cut_not_laid_out(qtbot):
    from app.ui.console import MAX_LINE_CHARS, ConsoleView

    view = ConsoleView()
    qtbot.addWidget(view)
    for _ in range(100):
        view.append_output([("stdout", "x" * 30000)])
    view.append_output([("stdout", "y\nnext line\n")])
    lines = view.toPlainText().split("\n")
    assert len(lines[0]) < MAX_LINE_CHARS + 60 and "more characters not shown" in lines[0]
    assert f"{100 * 30000 + 1 - MAX_LINE_CHARS} more characters" in lines[0]
    assert lines[1] == "next line"


def test_input_is_remembered_per_spell(window, qtbot, tmp_path):
    a, b = tmp_path / "a.lua", tmp_path / "b.lua"
    a.write_text("x")
    b.write_text("y")
    pa = window.tabs.open_file(str(a))
    window.console.input.setText('{"who": "a"}')
    run_and_wait(window, qtbot, pa)
    pb = window.tabs.open_file(str(b))
    window.console.input.setText('{"who": "b"}')
    run_and_wait(window, qtbot, pb)
    window.tabs.setCurrentWidget(pa)
    assert window.console.input.text() == '{"who": "a"}'
    window.tabs.setCurrentWidget(pb)
    assert window.console.input.text() == '{"who": "b"}'


def test_first_run_from_the_welcome_page_shows_a_model_call(real_window, qtbot, tmp_path):
    """The welcome page's one click runs (a copy of) hello.lua, which asks the offline model to say hello: the
    LLM Trace comes to the front with that call selected, and the status bar counts its tokens."""
    import shutil

    from app.ui.welcome import WelcomePage

    examples = tmp_path / "examples"  # LLMSPELL_EXAMPLES_DIR of the test
    examples.mkdir(exist_ok=True)
    shutil.copy(os.path.join(ROOT, "examples", "hello.lua"), examples / "hello.lua")
    w = real_window
    w.action_welcome()
    welcome = w.tabs.currentWidget()
    assert isinstance(welcome, WelcomePage)
    assert welcome.run_button.isEnabled(), welcome.hello
    welcome.run_button.click()
    qtbot.waitUntil(lambda: bool(w.runs.sessions), timeout=5000)
    qtbot.waitUntil(lambda: w.runs.sessions[-1].done, timeout=120000)  # the first litellm import: seconds
    run = w.runs.sessions[-1]
    assert run.status == "ok", run.result
    qtbot.waitUntil(lambda: w.trace.shown() and w.trace.tree.currentItem() is not None, timeout=10000)
    span = w.trace.spans(run.number)[0]
    assert span["kind"] == "llm" and "Say hello to world" in json.dumps(span)
    assert w.tabs.current_page().path is None  # a copy: the shipped example is never the buffer
    assert f"{run.stats.tokens} tokens" in w.run_label.text() and run.stats.tokens > 0


def test_an_untitled_buffer_s_errors_name_the_buffer(window, qtbot):
    """An unsaved buffer runs under a path in the data folder; its console names the buffer instead, and its
    error link still leads back to it."""
    page = window.tabs.new_file("lua", "x\nFAIL()\n")
    run_and_wait(window, qtbot, page)
    con = window.console.current_console()
    text = con.view.toPlainText()
    assert page.run_path() not in text and f"{page.title}:2" in text
    other = window.tabs.new_file("lua", "")
    assert window.tabs.current_page() is other
    con.view.linkActivated.emit(*con.view.links()[0])
    assert window.tabs.current_page() is page and page.editor.caret()[0] == 1
    assert window.run_label.text().startswith(f"{page.title}: ")


def test_console_tab_menu_closes_others_finished_and_all(window, qtbot, tmp_path):
    p = tmp_path / "s.lua"
    p.write_text("print('x')\n")
    page = window.tabs.open_file(str(p))
    runs = [run_and_wait(window, qtbot, page) for _ in range(3)]
    console = window.console
    assert len(console.consoles) == 3
    second = console.tabs.indexOf(console.consoles[1])
    entries = {text: (slot, enabled) for text, slot, enabled in console.tab_menu_entries(second)}
    assert all(enabled for _slot, enabled in entries.values())
    entries["Close Others"][0]()
    assert [c.session for c in console.consoles] == [runs[1]]
    assert console.tabs.widget(0) is console.repl_widget  # the REPL never closes
    run_and_wait(window, qtbot, page)
    entries = {text: (slot, enabled) for text, slot, enabled in console.tab_menu_entries(0)}  # on the REPL tab
    assert not entries["Close"][1]
    entries["Close All"][0]()
    assert console.consoles == [] and console.tabs.count() == 1


def test_elapsed_time_leaves_out_time_paused_in_the_debugger(monkeypatch):
    from app.ui import run_service

    clock = [100.0]
    monkeypatch.setattr(run_service.time, "monotonic", lambda: clock[0])
    s = run_service.RunSession("x.lua", "lua")
    clock[0] += 2.0  # runs 2 s
    s.set_paused(True)
    clock[0] += 8.0  # paused 8 s
    assert s.elapsed() == 2.0
    s.set_paused(False)
    clock[0] += 1.0  # runs 1 s more
    assert s.elapsed() == 3.0 and s.paused_s == 8.0


def test_status_bar_tells_about_the_current_file(window, qtbot, tmp_path):
    """The status bar describes the current tab's last run (not whichever run came last), and says when
    runs of other files are going."""
    a, b = tmp_path / "a.lua", tmp_path / "b.lua"
    a.write_text("print('a')\n")
    b.write_text("print('b')\n")
    pa = window.tabs.open_file(str(a))
    run_and_wait(window, qtbot, pa)
    pb = window.tabs.open_file(str(b))
    assert window.run_label.text() == "Ready"  # b has not run
    run_and_wait(window, qtbot, pb)
    assert window.run_label.text().startswith("b.lua: ok")
    window.tabs.setCurrentWidget(pa)
    assert window.run_label.text().startswith("a.lua: ok")


def test_runners_conform_to_the_seam():
    """The UI programs against app.runs.SpellRunner: the real runner and the fakes implement it with the same
    parameters, so production code never bends around a fake."""
    import inspect

    from ui_fakes import FakeRepl, FakeRun, FakeRunner, SharedRunner

    from app.runner import ReplSession, Run, Runner
    from app.runs import ReplHandle, RunHandle, SpellRunner

    assert isinstance(FakeRunner(), SpellRunner)
    assert issubclass(Runner, SpellRunner)
    for protocol, impls in (
        (SpellRunner, (Runner, FakeRunner, SharedRunner)),
        (RunHandle, (Run, FakeRun)),
        (ReplHandle, (ReplSession, FakeRepl)),
    ):
        for name, member in vars(protocol).items():
            if name.startswith("_") or not callable(member):
                continue
            want = list(inspect.signature(member).parameters)
            for impl in impls:
                assert list(inspect.signature(getattr(impl, name)).parameters) == want, (impl, name)
