"""The debugger and editor intelligence wired into the main window: a real debug run driven through the window's
actions (breakpoint by margin click and F9, Debug, stop with current line, stack and variables, step over,
continue, finish), breakpoints kept with the session, and completion / option keys / call tips in a real editor."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QWidget

from app.ui.window.debugging import DEBUG_TOOLBAR

SPELL = """local function add(a, b)
  local s = a + b
  return s
end
local total = 0
for i = 1, 3 do
  total = add(total, i)
end
print("total", total)
return total
"""


def click_margin(qtbot, editor, line: int, margin: int = 1) -> None:
    """A real mouse click in ``editor``'s symbol margin at 1-based ``line``."""
    x = sum(editor.marginWidthN(i) for i in range(margin)) + editor.marginWidthN(margin) // 2
    pos = editor.positionFromLine(line - 1)
    y = editor.pointYFromPosition(pos) + editor.textHeight(line - 1) // 2
    qtbot.mouseClick(editor.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, y))


def has_marker(editor, line: int, num: int) -> bool:
    return bool(editor.markerGet(line - 1) & (1 << num))


def stack_names(window) -> list[str]:
    tree = window.debugger.docks.call_stack.tree
    return [tree.topLevelItem(i).text(0) for i in range(tree.topLevelItemCount())]


def locals_of(window) -> dict[str, str]:
    tree = window.debugger.docks.variables.tree
    for i in range(tree.topLevelItemCount()):
        scope = tree.topLevelItem(i)
        if scope.text(0) == "Locals":
            return {scope.child(j).text(0): scope.child(j).text(1) for j in range(scope.childCount())}
    return {}


def wait_stop(qtbot, ctl, before: int) -> None:
    qtbot.waitUntil(lambda: ctl.stops > before and ctl.is_paused, timeout=20000)


def test_debug_run_through_the_window(real_window, qtbot, tmp_path):
    w = real_window
    ctl = w.debugger.controller
    path = tmp_path / "dbg.lua"
    path.write_text(SPELL)
    page = w.tabs.open_file(str(path))
    ed = page.editor
    binding = w.debugger.bindings[id(page)]
    acts = w.actions_by_id
    assert not acts["step_over"].isEnabled() and not acts["pause"].isEnabled()

    # a breakpoint by a click in the margin (line 2, in add) and one by F9 (line 9)
    click_margin(qtbot, ed, 2)
    assert [b.line for b in ctl.store.for_file(str(path))] == [2]
    qtbot.waitUntil(lambda: has_marker(ed, 2, binding.MARKER_BP))
    ed.set_cursor(8, 0)
    acts["toggle_breakpoint"].trigger()
    assert sorted(b.line for b in ctl.store.for_file(str(path))) == [2, 9]
    qtbot.waitUntil(lambda: has_marker(ed, 9, binding.MARKER_BP))

    # Debug (Ctrl+F5): stopped in add with its arguments in the variables panel
    acts["debug"].trigger()
    wait_stop(qtbot, ctl, 0)
    assert (ctl.stop.reason, ctl.stop.line) == ("breakpoint", 2)
    assert has_marker(ed, 2, binding.MARKER_CURRENT) and has_marker(ed, 2, binding.MARKER_CURRENT_BG)
    qtbot.waitUntil(lambda: stack_names(w)[:1] == ["add"] and "main chunk" in stack_names(w))
    assert w.debugger.docks.call_stack.isVisible() and w.debugger.docks.variables.isVisible()
    qtbot.waitUntil(lambda: {"a": "0", "b": "1"}.items() <= locals_of(w).items(), timeout=10000)
    assert acts["step_over"].isEnabled() and acts["run_to_cursor"].isEnabled() and not acts["pause"].isEnabled()
    assert acts["stop"].isEnabled()
    assert "paused in the debugger" in w.run_label.text()
    # the debugging layout: its toolbar, the debugger's panels where the files were, back to editing at the end
    from app.ui.window.panels import LayoutMode

    assert w.panels.mode is LayoutMode.DEBUGGING and w.debugging.toolbar.isVisible()
    assert not w.docks["files"].isVisible() and w.docks["watches"].isVisible()
    assert acts["continue"].isEnabled() and acts["restart_debug"].isEnabled()
    con = w.console.current_console()
    assert con.session is w.running.debug_run
    assert "paused (breakpoint) at dbg.lua:2" in con.status.text() and "running" not in con.status.text()
    assert w.console.tabs.tabText(w.console.tabs.indexOf(con)).startswith("‖")

    # hovering a name while stopped shows its value (not the docs); hovering a bridge method keeps its docs
    from PySide6.QtWidgets import QToolTip

    pos = ed.positionFromLine(1) + len("  local s = a")
    x, y = ed.pointXFromPosition(pos), ed.pointYFromPosition(pos) + 4
    assert binding.expression_at(pos - 1) == "a"
    assert ed.value_hover(pos - 1, x, y)
    qtbot.waitUntil(lambda: QToolTip.text() == "a = 0", timeout=5000)
    QToolTip.hideText()
    ed.dwellStart.emit(x, y)
    qtbot.waitUntil(lambda: QToolTip.text() == "a = 0", timeout=5000)
    QToolTip.hideText()

    # F10: to line 3, where s is known
    before = ctl.stops
    acts["step_over"].trigger()
    wait_stop(qtbot, ctl, before)
    assert ctl.stop.line == 3 and ctl.stop.reason == "step"
    qtbot.waitUntil(lambda: has_marker(ed, 3, binding.MARKER_CURRENT))
    assert not has_marker(ed, 2, binding.MARKER_CURRENT)
    qtbot.waitUntil(lambda: locals_of(w).get("s") == "1", timeout=10000)

    # a click on the breakpoint removes it; F5 continues to the F9 breakpoint
    click_margin(qtbot, ed, 2)
    assert [b.line for b in ctl.store.for_file(str(path))] == [9]
    before = ctl.stops
    acts["run"].trigger()
    wait_stop(qtbot, ctl, before)
    assert ctl.stop.line == 9
    qtbot.waitUntil(lambda: stack_names(w) == ["main chunk"])
    qtbot.waitUntil(lambda: locals_of(w).get("total") == "6", timeout=10000)

    # F5 again: to the end
    run = w.running.debug_run
    acts["run"].trigger()
    qtbot.waitUntil(lambda: ctl.state == "ended", timeout=20000)
    qtbot.waitUntil(lambda: run.done, timeout=20000)
    assert run.result.value == 6
    assert not has_marker(ed, 9, binding.MARKER_CURRENT)
    assert w.panels.mode is LayoutMode.EDITING and not w.debugging.toolbar.isVisible()
    assert w.docks["files"].isVisible() and not w.docks["variables"].isVisible()
    assert not acts["continue"].isEnabled()
    assert not acts["step_over"].isEnabled()
    assert w.debugger.docks.call_stack.tree.topLevelItemCount() == 0
    qtbot.waitUntil(
        lambda: (
            "total\t6" in w.console.current_console().view.toPlainText()
            or "total 6" in w.console.current_console().view.toPlainText()
        ),
        timeout=5000,
    )


def test_pause_and_stop_a_spinning_debug_run(real_window, qtbot, tmp_path):
    w = real_window
    ctl = w.debugger.controller
    path = tmp_path / "spin.lua"
    path.write_text("local n = 0\nwhile true do\n  n = n + 1\nend\n")
    w.tabs.open_file(str(path))
    w.actions_by_id["debug"].trigger()
    qtbot.waitUntil(lambda: ctl.state == "running", timeout=20000)
    assert w.actions_by_id["pause"].isEnabled() and not w.actions_by_id["step_over"].isEnabled()
    qtbot.wait(300)  # let it reach the loop (a pause right at the start stops on line 1, correctly)
    before = ctl.stops
    w.actions_by_id["pause"].trigger()  # F6: a spinning spell stops at the next line it runs
    wait_stop(qtbot, ctl, before)
    assert ctl.stop.reason == "pause" and ctl.stop.line in (2, 3)
    run = w.running.debug_run
    con = w.console.current_console()
    assert con.session is run and "paused (pause) at spin.lua:" in con.status.text()
    # continue: the run's tab says running again (not paused)
    w.actions_by_id["run"].trigger()
    qtbot.waitUntil(lambda: ctl.state == "running", timeout=20000)
    assert "● running" in con.status.text() and "paused" not in con.status.text()
    assert w.console.tabs.tabText(w.console.tabs.indexOf(con)).startswith("●")
    w.actions_by_id["stop"].trigger()
    qtbot.waitUntil(lambda: run.done and ctl.state == "ended", timeout=20000)
    assert run.status != "ok"


def _js_not_debuggable(monkeypatch):
    """Every spell language has a debug agent now: the refusal path is seen with JS taken out of the registry's
    debuggable languages (as a new language without an agent would be)."""
    from app import languages

    real = languages.is_debuggable
    monkeypatch.setattr(languages, "is_debuggable", lambda lang: lang != "js" and real(lang))
    monkeypatch.setattr(languages, "debuggable", lambda: (languages.LUA, languages.TENGO))


def test_debug_only_in_languages_the_debugger_speaks(window, qtbot, tmp_path, monkeypatch):
    """Debugging a spell whose language has no debug agent says why not in a dialog (a status message is too easy
    to miss)."""
    _js_not_debuggable(monkeypatch)
    from PySide6.QtWidgets import QMessageBox

    told: list[str] = []
    monkeypatch.setattr(QMessageBox, "information", staticmethod(lambda _p, _t, text, *a, **k: told.append(text)))
    path = tmp_path / "s.js"
    path.write_text("console.log(1)\n")
    window.tabs.open_file(str(path))
    assert window.action_debug() is None
    assert len(told) == 1 and "Lua and Tengo" in told[0] and "s.js" in told[0] and "Run (F5)" in told[0]
    assert window.fake_runner.started == []
    assert window.debugger.controller.state == "idle"


def test_breakpoints_persist_with_the_session(make_window, qtbot, tmp_path):
    path = tmp_path / "keep.lua"
    path.write_text(SPELL)
    w = make_window()
    w.tabs.open_file(str(path))
    w.debugger.controller.store.add(str(path), 7, condition="i == 2")
    w.save_session()
    w.shutdown_for_tests()
    w2 = make_window()
    bps = w2.debugger.controller.store.for_file(str(path))
    assert [(b.line, b.condition) for b in bps] == [(7, "i == 2")]
    page = w2.tabs.page_for(str(path))
    assert page is not None
    binding = w2.debugger.bindings[id(page)]
    qtbot.waitUntil(lambda: has_marker(page.editor, 7, binding.MARKER_BP_SPECIAL))


# ------------------------------------------------------------------------------------------------ editor intelligence
def intel_page(window, qtbot, language="lua"):
    from app.ui import editor_intel

    qtbot.waitUntil(lambda: getattr(window._bridges_ready, "intel_ready", False), timeout=30000)
    page = window.tabs.new_file(language, "")
    qtbot.waitUntil(lambda: isinstance(page.editor.completer, editor_intel.EditorDriver))
    QWidget.setFocus(page.editor)
    return page


def test_completion_members_option_keys_and_call_tip(window, qtbot):
    from app.ui import editor_intel

    page = intel_page(window, qtbot)
    ed = page.editor
    # pages opened before the reference was ready get the driver too
    assert all(isinstance(p.editor.completer, editor_intel.EditorDriver) for p in window.tabs.pages())

    qtbot.keyClicks(ed, "LLM.")
    assert ed.autoCActive()
    shown = ed.completer._shown
    assert shown is not None and shown.context == "member" and "complete" in shown.labels()
    ed.autoCCancel()

    qtbot.keyClicks(ed, 'complete("x", ')
    assert ed.callTipActive()
    tip = editor_intel.call_tip(ed.text(), len(ed.text()), "lua")
    assert tip is not None and tip.highlight is not None and tip.arg_index == 1
    qtbot.keyClicks(ed, "{")
    assert ed.autoCActive()
    shown = ed.completer._shown
    assert shown.context == "option" and "model" in shown.labels()
    assert shown.insert_for("model") == "model = "
    assert not ed.callTipActive()  # Scintilla shows one of them: the keys now, the tip once one is chosen

    # choosing a key inserts "key = "
    ed.autoCSelect("model")
    ed.autoCComplete()
    qtbot.waitUntil(lambda: ed.text().endswith("{model = "))
    assert ed.callTipActive()  # and the signature is back, the options argument highlighted


def test_ctrl_space_and_hover_docs(window, qtbot):
    page = intel_page(window, qtbot)
    ed = page.editor
    ed.set_text("local reply = LLM.complete('hi')\nLL")
    ed.gotoPos(len(ed.text().encode()))
    window.actions_by_id["complete"].trigger()
    assert ed.autoCActive() and "LLM" in ed.completer._shown.labels()
    ed.autoCCancel()
    pos = ed.text().index("complete") + 2
    doc = ed.hover_text(pos)
    assert doc and "complete" in doc


def test_closed_tabs_do_not_break_debugging(real_window, qtbot, tmp_path):
    """Pages come and go: a closed page's binding goes with it, and a new page always gets its margin."""
    w = real_window
    ctl = w.debugger.controller
    for i in range(3):
        p = tmp_path / f"tmp{i}.lua"
        p.write_text("return 1\n")
        w.tabs.open_file(str(p))
        w.action_close_tab()
    qtbot.wait(50)
    path = tmp_path / "after.lua"
    path.write_text(SPELL)
    page = w.tabs.open_file(str(path))
    binding = w.debugger.bindings[id(page)]
    assert binding.editor is page.editor
    click_margin(qtbot, page.editor, 2)
    qtbot.waitUntil(lambda: has_marker(page.editor, 2, binding.MARKER_BP))
    w.actions_by_id["debug"].trigger()
    wait_stop(qtbot, ctl, ctl.stops)
    assert has_marker(page.editor, 2, binding.MARKER_CURRENT)
    w.store.update(theme="dark")  # the band follows the theme
    w.actions_by_id["stop"].trigger()
    qtbot.waitUntil(lambda: ctl.state == "ended", timeout=20000)


def test_javascript_completion_is_camel_case(window, qtbot):
    page = intel_page(window, qtbot, "js")
    ed = page.editor
    qtbot.keyClicks(ed, "LLM.")
    assert ed.autoCActive() and "countTokens" in ed.completer._shown.labels()
    ed.autoCCancel()
    qtbot.keyClicks(ed, 'complete("x", {')
    assert ed.completer._shown.context == "option" and "maxTokens" in ed.completer._shown.labels()
    assert ed.completer._shown.insert_for("maxTokens") == "maxTokens: "


def test_untitled_buffers_take_breakpoints(window, qtbot):
    """F9 in an untitled buffer sets a breakpoint on the path its runs use (no "save first")."""
    page = window.tabs.new_file("lua", "print(1)\nprint(2)\n")
    page.editor.set_cursor(1, 0)
    window.debugging.toggle_breakpoint()
    bps = window.debugger.controller.store.all()
    assert [(b.file, b.line) for b in bps] == [(page.run_path(), 2)]
    binding = window.debugger.bindings[id(page)]
    qtbot.waitUntil(lambda: has_marker(page.editor, 2, binding.MARKER_BP))


def test_javascript_breakpoints_by_margin_click_and_f9(window, qtbot, tmp_path):
    """JS spells are debuggable: a margin click and F9 set breakpoints with markers."""
    store = window.debugger.controller.store
    path = tmp_path / "s.js"
    path.write_text("let x = 1\nlet y = 2\n")
    page = window.tabs.open_file(str(path))
    binding = window.debugger.bindings[id(page)]
    click_margin(qtbot, page.editor, 1)
    assert [b.line for b in store.for_file(str(path))] == [1]
    qtbot.waitUntil(lambda: has_marker(page.editor, 1, binding.MARKER_BP))
    page.editor.set_cursor(1, 0)
    window.actions_by_id["toggle_breakpoint"].trigger()
    assert sorted(b.line for b in store.for_file(str(path))) == [1, 2]


def test_no_breakpoints_in_a_language_without_debugger(window, qtbot, tmp_path, monkeypatch):
    """A margin click (or F9) in an editor whose language has no debug agent says so in the status bar and sets
    nothing; breakpoints already stored for such a file show no markers."""
    _js_not_debuggable(monkeypatch)
    store = window.debugger.controller.store
    for name in ("s.js",):
        path = tmp_path / name
        path.write_text("let x = 1\nlet y = 2\n")
        page = window.tabs.open_file(str(path))
        binding = window.debugger.bindings[id(page)]
        window.statusBar().clearMessage()
        click_margin(qtbot, page.editor, 1)
        assert store.for_file(str(path)) == []
        assert "Lua and Tengo only" in window.statusBar().currentMessage()
        assert not has_marker(page.editor, 1, binding.MARKER_BP)
        page.editor.set_cursor(1, 0)
        window.statusBar().clearMessage()
        window.actions_by_id["toggle_breakpoint"].trigger()
        assert store.for_file(str(path)) == []
        assert "Lua and Tengo only" in window.statusBar().currentMessage()
        store.add(str(path), 2)  # e.g. from an older session
        qtbot.wait(20)
        binding.refresh()
        assert not has_marker(page.editor, 2, binding.MARKER_BP)
    # Lua still works
    path = tmp_path / "s.lua"
    path.write_text("local x = 1\nreturn x\n")
    page = window.tabs.open_file(str(path))
    binding = window.debugger.bindings[id(page)]
    click_margin(qtbot, page.editor, 1)
    assert [b.line for b in store.for_file(str(path))] == [1]
    qtbot.waitUntil(lambda: has_marker(page.editor, 1, binding.MARKER_BP))


def test_breakpoints_dock_fits_at_the_default_window_sizes(window, qtbot, tmp_path):
    """At 1024x680, 1280x800 and 1440x900 the Breakpoints dock shows every column (Status too) and its filter fields
    whole."""
    from PySide6.QtGui import QFontMetrics

    path = tmp_path / "fit.lua"
    path.write_text(SPELL)
    ctl = window.debugger.controller
    ctl.store.add(str(path), 2)
    ctl.store.add(str(path), 7, condition="answer == nil")
    docks = window.debugger.docks
    from app.ui.window.panels import LayoutMode

    window.panels.switch(LayoutMode.DEBUGGING)  # where the Breakpoints panel lives
    window.panels.show("breakpoints")
    panel = docks.breakpoints
    for size in ((1280, 800), (1440, 900), (1024, 680)):
        window.resize(*size)
        qtbot.wait(50)
        tree = panel.tree
        header = tree.header()
        last = len(panel.COLUMNS) - 1
        assert not header.isSectionHidden(last)
        assert header.sectionViewportPosition(last) + header.sectionSize(last) <= tree.viewport().width() + 1, size
        assert header.sectionSize(last) >= header.sectionSizeHint(last), size
        for field in (panel.models, panel.tool_names):
            need = QFontMetrics(field.font()).horizontalAdvance(field.placeholderText())
            assert field.width() >= need, (size, field.placeholderText(), field.width(), need)


TENGO_SPELL = """add := func(a, b) {
  s := a + b
  return s
}
total := 0
for i := 1; i <= 3; i++ {
  total = add(total, i)
}
print("total", total)
export total
"""


def test_tengo_debug_run_through_the_window(real_window, qtbot, tmp_path):
    """A Tengo spell under the debugger: margin breakpoint, Debug, stack and locals, step over, continue, end."""
    w = real_window
    ctl = w.debugger.controller
    path = tmp_path / "dbg.tengo"
    path.write_text(TENGO_SPELL)
    page = w.tabs.open_file(str(path))
    ed = page.editor
    binding = w.debugger.bindings[id(page)]
    acts = w.actions_by_id
    assert binding.debuggable
    click_margin(qtbot, ed, 2)
    assert [b.line for b in ctl.store.for_file(str(path))] == [2]
    qtbot.waitUntil(lambda: has_marker(ed, 2, binding.MARKER_BP))

    acts["debug"].trigger()
    wait_stop(qtbot, ctl, 0)
    assert (ctl.stop.reason, ctl.stop.line) == ("breakpoint", 2)
    qtbot.waitUntil(lambda: has_marker(ed, 2, binding.MARKER_CURRENT))
    qtbot.waitUntil(lambda: stack_names(w)[:1] == ["add"] and "main chunk" in stack_names(w))
    qtbot.waitUntil(lambda: {"a": "0", "b": "1"}.items() <= locals_of(w).items(), timeout=10000)

    before = ctl.stops
    acts["step_over"].trigger()
    wait_stop(qtbot, ctl, before)
    assert ctl.stop.line == 3 and ctl.stop.reason == "step"
    qtbot.waitUntil(lambda: locals_of(w).get("s") == "1", timeout=10000)

    click_margin(qtbot, ed, 2)  # remove the breakpoint, then F5 to the end
    assert ctl.store.for_file(str(path)) == []
    run = w.running.debug_run
    acts["run"].trigger()
    qtbot.waitUntil(lambda: ctl.state == "ended", timeout=20000)
    qtbot.waitUntil(lambda: run.done, timeout=20000)
    assert run.result.value == 6
    assert not has_marker(ed, 2, binding.MARKER_CURRENT)
    qtbot.waitUntil(lambda: "total 6" in w.console.current_console().view.toPlainText(), timeout=5000)


def test_restart_debugging_runs_the_same_spell_again(real_window, qtbot, tmp_path):
    """Restart (on the debug toolbar) stops the debug run and starts a new one on the same spell, even when
    another tab is current by then."""
    w = real_window
    ctl = w.debugger.controller
    path = tmp_path / "again.lua"
    path.write_text(SPELL)
    w.tabs.open_file(str(path))
    ctl.toggle_breakpoint(str(path), 2)
    w.action_debug()
    wait_stop(qtbot, ctl, 0)
    first = w.running.debug_run
    w.tabs.new_file("lua", "print(1)\n")  # another tab in front
    assert w.debugging.toolbar.actions()[DEBUG_TOOLBAR.index("restart_debug")] is w.actions_by_id["restart_debug"]
    before = ctl.stops
    w.actions_by_id["restart_debug"].trigger()
    wait_stop(qtbot, ctl, before)
    second = w.running.debug_run
    assert second is not first and second.path == str(path) and ctl.stop.line == 2
    qtbot.waitUntil(lambda: first.done, timeout=20000)
    w.action_stop()
    qtbot.waitUntil(lambda: ctl.state == "ended" and second.done, timeout=20000)


def test_an_untitled_buffer_is_debugged_with_its_current_line_shown(real_window, qtbot):
    """Ctrl+F5 in an unsaved buffer stops at its breakpoint and shows the current-line marker in that buffer;
    the status bar names the buffer, not the internal path it runs under."""
    w = real_window
    ctl = w.debugger.controller
    page = w.tabs.new_file("lua", SPELL)
    page.editor.set_cursor(1, 0)
    w.actions_by_id["toggle_breakpoint"].trigger()
    w.action_debug()
    wait_stop(qtbot, ctl, 0)
    binding = w.debugger.bindings[id(page)]
    assert ctl.stop.line == 2
    qtbot.waitUntil(lambda: has_marker(page.editor, 2, binding.MARKER_CURRENT))
    assert w.tabs.current_page() is page
    assert f"at {page.title}:2" in w.statusBar().currentMessage()
    assert "untitled/" not in w.statusBar().currentMessage()
    w.action_stop()
    qtbot.waitUntil(lambda: ctl.state == "ended", timeout=20000)


JS_SPELL = """function add(a, b) {
  const s = a + b;
  return s;
}
let total = 0;
for (let i = 1; i <= 3; i++) {
  total = add(total, i);
}
print("total", total);
return total;
"""


def test_debug_a_javascript_spell_through_the_window(real_window, qtbot, tmp_path):
    """The same window flow as for Lua, on a .js spell: margin click and F9, Ctrl+F5, stack and variables
    panels, hover value, F10, F5 to the end. Saves a grab of the stopped window (``js-debug.png``)."""
    w = real_window
    ctl = w.debugger.controller
    path = tmp_path / "dbg.js"
    path.write_text(JS_SPELL)
    page = w.tabs.open_file(str(path))
    ed = page.editor
    binding = w.debugger.bindings[id(page)]
    acts = w.actions_by_id

    click_margin(qtbot, ed, 2)
    qtbot.waitUntil(lambda: has_marker(ed, 2, binding.MARKER_BP))
    ed.set_cursor(8, 0)
    acts["toggle_breakpoint"].trigger()
    assert sorted(b.line for b in ctl.store.for_file(str(path))) == [2, 9]

    acts["debug"].trigger()
    wait_stop(qtbot, ctl, 0)
    assert (ctl.stop.reason, ctl.stop.line) == ("breakpoint", 2)
    assert has_marker(ed, 2, binding.MARKER_CURRENT)
    qtbot.waitUntil(lambda: stack_names(w)[:1] == ["add"] and "main chunk" in stack_names(w))
    qtbot.waitUntil(lambda: {"a": "0", "b": "1", "s": "<uninitialized>"}.items() <= locals_of(w).items(), timeout=10000)
    assert "paused (breakpoint) at dbg.js:2" in w.console.current_console().status.text()

    from PySide6.QtWidgets import QToolTip

    pos = ed.positionFromLine(1) + len("  const s = a")
    x, y = ed.pointXFromPosition(pos), ed.pointYFromPosition(pos) + 4
    assert ed.value_hover(pos - 1, x, y)
    qtbot.waitUntil(lambda: QToolTip.text() == "a = 0", timeout=5000)
    QToolTip.hideText()

    before = ctl.stops
    acts["step_over"].trigger()
    wait_stop(qtbot, ctl, before)
    assert (ctl.stop.line, ctl.stop.reason) == (3, "step")
    qtbot.waitUntil(lambda: locals_of(w).get("s") == "1", timeout=10000)
    w.grab().save(str(tmp_path / "js-debug.png"))
    assert (tmp_path / "js-debug.png").stat().st_size > 10000

    click_margin(qtbot, ed, 2)
    before = ctl.stops
    acts["run"].trigger()
    wait_stop(qtbot, ctl, before)
    assert ctl.stop.line == 9
    qtbot.waitUntil(lambda: stack_names(w) == ["main chunk"])
    qtbot.waitUntil(lambda: locals_of(w).get("total") == "6", timeout=10000)

    run = w.running.debug_run
    acts["run"].trigger()
    qtbot.waitUntil(lambda: run.done, timeout=20000)
    assert run.result.value == 6
