"""The window's plumbing: the action table, dialogs wired to actions, outline, tooltips, recent files, theme."""

from __future__ import annotations

from PySide6.QtWidgets import QInputDialog, QToolTip

from app.ui import actions as A


def test_action_table_builds_menus_shortcuts_and_toolbar(window):
    shortcuts: dict[str, str] = {}
    for spec in A.ACTIONS:
        for sc in spec.shortcuts:
            assert sc not in shortcuts, f"{sc} bound twice: {shortcuts[sc]} and {spec.id}"
            shortcuts[sc] = spec.id
        if spec.handler:
            assert callable(window.handler(spec)), spec.handler
            assert spec.id in window.actions_by_id
    assert window.actions_by_id["run"].shortcut().toString() == "F5"
    assert window.actions_by_id["stop"].shortcut().toString() == "Shift+F5"
    tb = [a.objectName() for a in window.toolbar.actions() if a.objectName()]
    assert {"action_run", "action_stop", "action_save"} <= set(tb)
    menus = [m.title() for m in window.menuBar().findChildren(type(window.examples_menu)) if m.title()]
    assert {"&File", "&Edit", "&View", "&Run", "&Help"} <= set(menus)


def test_go_to_line_action(window, monkeypatch):
    page = window.tabs.new_file("lua", "\n".join(f"x{i} = {i}" for i in range(50)))
    monkeypatch.setattr(QInputDialog, "getInt", staticmethod(lambda *a, **k: (30, True)))
    window.editing.goto_line()
    assert page.editor.caret()[0] == 29


def test_outline_panel_lists_and_jumps(window, qtbot):
    page = window.tabs.new_file("lua", "local function a()\nend\n\nfunction M.b(x)\nend\n")
    window.docks["outline"].show()
    window.refresh_outline()
    tree = window.outline.tree
    assert [tree.topLevelItem(i).text(0) for i in range(tree.topLevelItemCount())] == ["ƒ  a()", "ƒ  M.b(x)"]
    window.outline.filter.setText("b")
    assert tree.topLevelItemCount() == 1
    window.outline._activated(tree.topLevelItem(0))
    assert page.editor.caret()[0] == 3


def test_outline_follows_edits(window, qtbot):
    page = window.tabs.new_file("lua", "")
    window.docks["outline"].show()
    page.editor.insertText(0, "function late()\nend\n")
    qtbot.waitUntil(lambda: window.outline.tree.topLevelItemCount() == 1, timeout=3000)


def test_diagnostic_tooltip_on_hover(window, qtbot):
    page = window.tabs.new_file("lua", "local a = = 1\n")
    qtbot.waitUntil(lambda: bool(page.editor.diagnostics), timeout=5000)
    ed = page.editor
    pos = ed.position_at(0, 10)
    x, y = ed.pointXFromPosition(pos), ed.pointYFromPosition(pos) + 4
    shown = []
    orig = QToolTip.showText
    QToolTip.showText = staticmethod(lambda p, text, *a: shown.append(text))
    try:
        ed.dwellStart.emit(x, y)
    finally:
        QToolTip.showText = orig
    assert shown and "unexpected symbol" in shown[0]


def test_theme_toggle_action_and_zoom(window):
    before = window.store.settings.theme
    window.actions_by_id["dark"].trigger()
    assert window.store.settings.theme != before
    page = window.tabs.new_file("lua", "x")
    window.actions_by_id["zoom_in"].trigger()
    assert page.editor.zoom() == 1
    window.actions_by_id["zoom_reset"].trigger()
    assert page.editor.zoom() == 0


def test_recent_files_menu(window, tmp_path):
    f = tmp_path / "r.lua"
    f.write_text("x")
    page = window.tabs.open_file(str(f))
    window.tabs.close_tab(window.tabs.indexOf(page))
    window.workspace_part.fill_recent_menu(window.recent_menu)
    acts = [a for a in window.recent_menu.actions() if a.text() == str(f)]
    acts[0].trigger()
    assert window.tabs.current_page().path == str(f)


def test_comment_and_add_next_occurrence_actions(window):
    page = window.tabs.new_file("lua", "foo = foo + 1\n")
    window.actions_by_id["comment"].trigger()
    assert page.editor.text() == "-- foo = foo + 1\n"
    window.actions_by_id["comment"].trigger()
    page.editor.set_cursor(0, 1)
    window.editing.add_next_occurrence()  # selects the word
    window.editing.add_next_occurrence()  # adds the next one
    assert page.editor.selections() == 2


def test_untitled_run_error_link_finds_the_buffer(window, qtbot):
    page = window.tabs.new_file("lua", "x = 1\nFAIL()\n")
    s = window.action_run()
    qtbot.waitUntil(lambda: s.done, timeout=5000)
    qtbot.wait(60)
    other = window.tabs.new_file("lua", "")
    links = window.console.current_console().view.links()
    assert links and links[0][1] == 2
    window.console.linkActivated.emit(*links[0])
    assert window.tabs.current_page() is page and window.tabs.current_page() is not other
    assert page.editor.caret()[0] == 1


def test_reference_dock_opens_on_f1(window):
    page = window.tabs.new_file("lua", "JSON.encode({})\n")
    page.editor.set_cursor(0, 6)
    window.reference.show()
    panel = window.reference.panel
    assert panel is not None and panel.isVisible()


def test_cursor_label(window, qtbot):
    page = window.tabs.new_file("lua", "ab\ncd\n")
    page.editor.set_cursor(1, 1)
    qtbot.waitUntil(lambda: window.cursor_label.text() == "Ln 2, Col 2", timeout=2000)


def test_keyboard_shortcuts_reach_the_window_from_the_editor(window, qtbot):
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QWidget

    page = window.tabs.new_file("lua", "HANG")
    window.activateWindow()
    QWidget.setFocus(page.editor)
    qtbot.waitUntil(lambda: page.editor.hasFocus(), timeout=2000)
    qtbot.keyClick(page.editor, Qt.Key.Key_F5)
    qtbot.waitUntil(lambda: bool(window.runs.sessions), timeout=2000)
    s = window.runs.sessions[-1]
    qtbot.waitUntil(lambda: s.run is not None, timeout=2000)
    qtbot.keyClick(page.editor, Qt.Key.Key_F5, Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: s.done, timeout=5000)
    assert s.status == "cancelled"
    qtbot.keyClick(page.editor, Qt.Key.Key_Slash, Qt.KeyboardModifier.ControlModifier)
    assert page.editor.text() == "-- HANG"
    qtbot.keyClick(page.editor, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert window.find_bar.isVisible()


def test_hover_shows_bridge_signatures(window):
    page = window.tabs.new_file("lua", "local s = JSON.encode({})\n")
    ed = page.editor
    assert ed.hover_text(ed.position_at(0, 16)).startswith("JSON.encode(value")
    assert ed.hover_text(ed.position_at(0, 11)).startswith("JSON: ")
    assert ed.hover_text(ed.position_at(0, 7)) is None


def test_tab_switching_and_close_others(window):
    assert window.tabs.close_all()  # the welcome page of a first start
    a = window.tabs.new_file("lua", "")
    b = window.tabs.new_file("lua", "")
    c = window.tabs.new_file("lua", "")
    window.editing.next_tab()
    assert window.tabs.current_page() is a
    window.editing.prev_tab()
    assert window.tabs.current_page() is c
    assert window.tabs.close_others(b)
    assert window.tabs.pages() == [b]


def test_reset_layout_brings_panels_back(window):
    window.docks["outline"].hide()
    window.docks["trace"].setFloating(True)
    window.panels.reset()
    assert window.docks["outline"].isVisible() and not window.docks["trace"].isFloating()


def test_system_theme_resolves(window):
    from app.ui import theme

    window.store.update(theme="system")
    assert theme.get("system").name in ("light", "dark")
    assert window.actions_by_id["dark"].isChecked() == (theme.get("system").name == "dark")


def test_every_action_runs(window, qtbot, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QDialog, QMessageBox

    shown = []
    monkeypatch.setattr(QDialog, "exec", lambda self: shown.append(type(self).__name__) or 0)
    monkeypatch.setattr(QMessageBox, "about", staticmethod(lambda *a: shown.append("about")))
    modal = {"quit"}
    f = tmp_path / "s.lua"
    f.write_text("local function f()\nend\nf()\n")
    page = window.tabs.open_file(str(f))
    page.editor.set_cursor(2, 0)
    for spec in A.ACTIONS:
        if spec.id in modal or spec.id not in window.actions_by_id:
            continue
        if window.tabs.current_page() is None:
            window.tabs.open_file(str(f))
        window.actions_by_id[spec.id].trigger()
        qtbot.wait(5)
    qtbot.waitUntil(lambda: not window.runs.active(), timeout=5000)
    assert "SettingsDialog" in shown and "about" in shown
