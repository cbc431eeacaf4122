"""Files and workspace: open/save/save as, unsaved markers, encodings kept, reopen closed, changed on disk, file tree,
find in files, drag and drop."""

from __future__ import annotations

import os

import pytest
from PySide6.QtCore import QMimeData, QPoint, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QWidget


def test_edit_save_keeps_encoding_and_line_endings(window, tmp_path, qtbot):
    p = tmp_path / "spell.lua"
    p.write_bytes("-- café\r\nprint(1)\r\n".encode("cp1252"))
    page = window.tabs.open_file(str(p))
    assert window.tabs.tabText(window.tabs.indexOf(page)) == "spell.lua"
    page.editor.set_cursor(1, 8)
    QWidget.setFocus(page.editor)
    qtbot.keyClicks(page.editor, " -- ok")
    assert page.dirty
    assert window.tabs.tabText(window.tabs.indexOf(page)).endswith("●")
    assert "●" in window.windowTitle()
    window.tabs.save()
    assert not page.dirty
    assert not window.tabs.tabText(window.tabs.indexOf(page)).endswith("●")
    assert p.read_bytes() == "-- café\r\nprint(1) -- ok\r\n".encode("cp1252")
    assert [f for f in os.listdir(tmp_path) if f.startswith(".")] == []
    assert "CP1252" in window.file_label.text() and "CRLF" in window.file_label.text()


def test_save_as_untitled_switches_language(window, tmp_path, monkeypatch):
    from app.ui import editor_tabs

    page = window.tabs.new_file("lua", "console.log(1)\n")
    target = tmp_path / "out.js"
    monkeypatch.setattr(editor_tabs, "ask_save_path", lambda parent, suggestion: str(target))
    assert window.tabs.save(page)
    assert target.read_text() == "console.log(1)\n"
    assert page.language == "js" and page.path == str(target)


def test_close_asks_and_cancel_keeps_tab(window, tmp_path, monkeypatch):
    from app.ui import editor_tabs

    page = window.tabs.new_file("lua", "x = 1")
    page.editor.insertText(0, "y")
    asked = []
    monkeypatch.setattr(editor_tabs, "ask_unsaved", lambda parent, names: asked.append(names) or "cancel")
    assert not window.tabs.close_tab(window.tabs.indexOf(page))
    assert page in window.tabs.pages() and asked == [[page.title]]


def test_reopen_closed_tab_restores_cursor(window, tmp_path):
    p = tmp_path / "a.lua"
    p.write_text("a\nb\nc\n")
    page = window.tabs.open_file(str(p), line=3)
    window.tabs.close_tab(window.tabs.indexOf(page))
    assert window.tabs.page_for(str(p)) is None
    again = window.tabs.reopen_closed()
    assert again.path == str(p) and again.editor.caret()[0] == 2


def test_file_changed_on_disk_is_offered_for_reload(window, tmp_path, qtbot):
    p = tmp_path / "a.lua"
    p.write_text("old\n")
    page = window.tabs.open_file(str(p))
    p.write_text("new text from elsewhere\n")
    os.utime(p, ns=(page.meta.mtime_ns + 10**9, page.meta.mtime_ns + 10**9))
    window.tabs.check_disk()
    qtbot.waitUntil(lambda: page.info.isVisibleTo(page), timeout=3000)
    assert "changed on disk" in page.info.label.text()
    reload_button = next(b for b in page.info.buttons if b.text() == "Reload")
    reload_button.click()
    assert page.editor.text() == "new text from elsewhere\n" and not page.dirty
    page.editor.undo()  # a reload can be undone
    assert page.editor.text() == "old\n"


def test_own_save_does_not_trigger_reload_offer(window, tmp_path, qtbot):
    p = tmp_path / "a.lua"
    p.write_text("x\n")
    page = window.tabs.open_file(str(p))
    page.editor.insertText(0, "y")
    window.tabs.save(page)
    qtbot.wait(400)
    window.tabs.check_disk()
    assert not page.info.isVisibleTo(page)


def test_workspace_tree_create_rename_delete(window, tmp_path, qtbot):
    ws = tmp_path / "ws"
    ws.mkdir()
    window.set_workspace(str(ws))
    created = window.files.new_file(str(ws), "one.lua")
    assert os.path.isfile(created) and window.tabs.page_for(created) is not None
    renamed = window.files.rename(created, "two.lua")
    assert renamed and os.path.isfile(renamed) and not os.path.exists(created)
    assert window.tabs.page_for(renamed) is not None
    folder = window.files.new_folder(str(ws), "sub")
    assert os.path.isdir(folder)
    assert window.files.delete(folder)
    assert not os.path.exists(folder)


def test_delete_needs_confirmation(window, tmp_path, monkeypatch):
    from app.ui import file_tree

    p = tmp_path / "keep.lua"
    p.write_text("x")
    monkeypatch.setattr(file_tree, "confirm_delete", lambda parent, path: False)
    assert not window.files.delete(str(p))
    assert p.exists()


def test_find_in_files(window, tmp_path, qtbot):
    ws = tmp_path / "ws"
    (ws / "lib").mkdir(parents=True)
    (ws / "a.lua").write_text("local needle = 1\nprint(needle)\n")
    (ws / "lib" / "b.js").write_text("const Needle = 2\n")
    (ws / "image.png").write_bytes(b"needle")
    window.set_workspace(str(ws))
    panel = window.find_files
    panel.query.setText("needle")
    panel.start_search()
    qtbot.waitUntil(lambda: len(panel.hits) == 3, timeout=5000)
    panel.case.setChecked(True)
    panel.word.setChecked(True)
    panel.start_search()
    qtbot.waitUntil(lambda: len(panel.hits) == 2, timeout=5000)
    top = panel.tree.topLevelItem(0)
    panel._activated(top.child(1))
    page = window.tabs.current_page()
    assert page.path == str(ws / "a.lua") and page.editor.caret()[0] == 1


def test_drop_files_and_folder(window, tmp_path):
    f = tmp_path / "dropped.lua"
    f.write_text("x")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(f)), QUrl.fromLocalFile(str(tmp_path))])
    ev = QDropEvent(
        QPoint(10, 10).toPointF(),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
    )
    window.dropEvent(ev)
    assert window.tabs.page_for(str(f)) is not None
    assert window.workspace == str(tmp_path)


def test_find_replace_bar(window, qtbot):
    page = window.tabs.new_file("lua", "foo bar foo\n")
    window.editing.replace()
    bar = window.find_bar
    bar.find_edit.setText("foo")
    assert "2 matches" in bar.status.text()
    bar.replace_edit.setText("baz")
    assert bar.replace_all() == 2
    assert page.editor.text() == "baz bar baz\n"
    bar.close_bar()
    assert not bar.isVisible()


def test_go_to_definition_action(window):
    page = window.tabs.new_file("lua", "local function helper()\nend\n\nhelper()\n")
    page.editor.set_cursor(3, 2)
    window.editing.goto_definition()
    assert page.editor.caret()[0] == 0


def test_middle_click_closes_a_tab(window, qtbot):
    page = window.tabs.new_file("lua", "")
    bar = window.tabs.tabBar()
    rect = bar.tabRect(window.tabs.indexOf(page))
    qtbot.mouseClick(bar, Qt.MouseButton.MiddleButton, pos=rect.center())
    assert page not in window.tabs.pages()


def test_saving_over_a_file_changed_on_disk_asks(window, tmp_path, monkeypatch):
    from app.ui import editor_tabs

    p = tmp_path / "a.lua"
    p.write_text("mine\n")
    page = window.tabs.open_file(str(p))
    page.editor.insertText(0, "edited ")
    p.write_text("theirs, longer\n")
    asked = []
    monkeypatch.setattr(editor_tabs, "ask_overwrite", lambda parent, name: asked.append(name) or False)
    assert not window.tabs.save(page)
    assert p.read_text() == "theirs, longer\n" and asked == ["a.lua"]
    monkeypatch.setattr(editor_tabs, "ask_overwrite", lambda parent, name: True)
    assert window.tabs.save(page)
    assert p.read_text() == "edited mine\n"


def test_keep_mine_then_save_does_not_ask_again(window, tmp_path, monkeypatch, qtbot):
    from app.ui import editor_tabs

    p = tmp_path / "a.lua"
    p.write_text("mine\n")
    page = window.tabs.open_file(str(p))
    page.editor.insertText(0, "edited ")
    p.write_text("theirs, longer\n")
    window.tabs.check_disk()
    keep = next(b for b in page.info.buttons if b.text() == "Keep mine")
    keep.click()
    monkeypatch.setattr(editor_tabs, "ask_overwrite", lambda parent, name: pytest.fail("asked again"))
    assert window.tabs.save(page)
    assert p.read_text() == "edited mine\n"
