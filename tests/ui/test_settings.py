"""Settings: persisted in the config dir, applied live; API keys in the keyring, shown as configured, never shown."""

from __future__ import annotations

import json
import os

from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication

from app.ui import settings as S
from app.ui.settings_dialog import SettingsDialog


def test_settings_persist_and_apply_live(window, qtbot, tmp_path):
    dlg = SettingsDialog(window.store, window)
    qtbot.addWidget(dlg)
    dlg.model.setCurrentText("openai/gpt-4o-mini")
    dlg.theme.setCurrentIndex(dlg.theme.findData("dark"))
    dlg.size_box.setValue(15)
    dlg.profile.setCurrentIndex(dlg.profile.findData("strict"))
    dlg.timeout.setValue(12)
    saved = json.loads((tmp_path / "config" / "settings.json").read_text())
    assert saved["default_model"] == "openai/gpt-4o-mini" and saved["theme"] == "dark"
    assert saved["font_size"] == 15 and saved["profile"] == "strict" and saved["timeout_s"] == 12
    # applied live: UI palette and editor colours
    assert QApplication.instance().palette().color(QPalette.ColorRole.Window).name() == "#252526"
    page = window.tabs.new_file("lua", "x")
    from app.ui.editor import STYLE_DEFAULT
    from app.ui.theme import DARK, bgr

    assert page.editor.styleBack(STYLE_DEFAULT) == bgr(DARK.editor_bg)
    assert page.editor.styleSize(STYLE_DEFAULT) == 15
    assert window.actions_by_id["dark"].isChecked()
    # and they reach the next run
    window.tabs.new_file("lua", "ok")
    s = window.action_run()
    qtbot.waitUntil(lambda: s.done, timeout=5000)
    _path, opts = window.fake_runner.started[-1]
    assert opts.profile == "strict" and opts.timeout_s == 12 and opts.settings["default_model"] == "openai/gpt-4o-mini"
    # a new store (next start) reads them back
    again = S.SettingsStore()
    assert again.settings.theme == "dark" and again.settings.font_size == 15 and not again.first_start


def test_api_keys_live_in_the_keyring_only(window, qtbot, tmp_path, ui_env):
    dlg = SettingsDialog(window.store, window)
    qtbot.addWidget(dlg)
    assert dlg.key_status["openai"].text() == "not set"
    dlg.set_key("openai", "sk-test-secret-123")
    assert ui_env.store[(S.KEYRING_SERVICE, "openai")] == "sk-test-secret-123"
    assert dlg.key_status["openai"].text() == "✔ in the keyring"
    assert dlg.key_remove["openai"].isEnabled()
    # never written to a file, never shown in the dialog
    for root, _dirs, files in os.walk(tmp_path):
        for f in files:
            assert b"sk-test-secret" not in open(os.path.join(root, f), "rb").read()
    shown = " ".join(w.text() for w in dlg.findChildren(type(dlg.key_status["openai"])))
    assert "sk-test" not in shown
    assert os.environ.get("OPENAI_API_KEY") == "sk-test-secret-123"  # for litellm in this host process only
    dlg.remove_key("openai")
    assert (S.KEYRING_SERVICE, "openai") not in ui_env.store
    assert dlg.key_status["openai"].text() == "not set"
    assert "OPENAI_API_KEY" not in os.environ


def test_export_to_environment_reads_keyring(ui_env, monkeypatch):
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)  # restored to "absent" after the test
    monkeypatch.delenv("OLLAMA_API_BASE", raising=False)
    ui_env.store[(S.KEYRING_SERVICE, "anthropic")] = "k-1"
    S.export_to_environment(S.Settings(base_urls={"ollama": "http://127.0.0.1:1"}))
    assert os.environ["ANTHROPIC_API_KEY"] == "k-1"
    assert os.environ["OLLAMA_API_BASE"] == "http://127.0.0.1:1"
    S.delete_credential("anthropic")
    assert "ANTHROPIC_API_KEY" not in os.environ


def test_base_urls_persist(window, qtbot):
    dlg = SettingsDialog(window.store, window)
    qtbot.addWidget(dlg)
    dlg.urls["ollama"].setText("http://127.0.0.1:11434")
    dlg.urls["ollama"].editingFinished.emit()
    assert S.SettingsStore().settings.base_urls == {"ollama": "http://127.0.0.1:11434"}


def test_bad_settings_file_falls_back_to_defaults(tmp_path):
    (tmp_path / "config").mkdir(exist_ok=True)
    (tmp_path / "config" / "settings.json").write_text("{broken")
    assert S.SettingsStore().settings == S.Settings()
    (tmp_path / "config" / "settings.json").write_text('{"theme": "neon", "font_size": 999, "extra": 1}')
    s = S.SettingsStore().settings
    assert s.theme == "light" and s.font_size == 48


def test_without_a_keyring_keys_are_kept_for_the_session_only(window, qtbot, tmp_path, monkeypatch):
    """No keyring backend: Settings says so, names each key's environment variable, and a key set anyway is used
    for this session only (in this process's environment, never in a file)."""
    import keyring
    from keyring.backends import fail

    keyring.set_keyring(fail.Keyring())  # the autouse fixture restores the previous backend
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    dlg = SettingsDialog(window.store, window)
    qtbot.addWidget(dlg)
    assert not dlg.keyring_note.isHidden() and "keyring" in dlg.keyring_note.text().lower()
    assert "session only" in dlg.keyring_note.text() and "environment variable" in dlg.keyring_note.text()
    assert "OPENAI_API_KEY" in dlg.key_env["openai"].text()
    assert dlg.key_set["openai"].isEnabled()
    dlg.set_key("openai", "sk-session-only-42")
    assert dlg.key_status["openai"].text() == "✔ this session only"
    assert os.environ.get("OPENAI_API_KEY") == "sk-session-only-42"
    for root, _dirs, files in os.walk(tmp_path):
        for f in files:
            assert b"sk-session-only" not in open(os.path.join(root, f), "rb").read()
    dlg.remove_key("openai")
    assert dlg.key_status["openai"].text() == "not set" and "OPENAI_API_KEY" not in os.environ


def test_a_key_from_the_environment_is_named_and_left_alone(window, qtbot, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-from-env")
    dlg = SettingsDialog(window.store, window)
    qtbot.addWidget(dlg)
    assert dlg.key_status["anthropic"].text() == "✔ from ANTHROPIC_API_KEY"
    assert not dlg.key_remove["anthropic"].isEnabled()


def test_check_boxes_show_in_the_dark_theme(window, qtbot):
    """An unchecked box's outline stands out from the dark background (Fusion's own nearly vanished)."""
    from PySide6.QtGui import QColor
    from PySide6.QtWidgets import QCheckBox

    window.store.update(theme="dark")
    box = QCheckBox("Uncaught errors")
    qtbot.addWidget(box)
    box.show()
    qtbot.waitExposed(box)
    image = box.grab().toImage()
    background = QColor(image.pixel(image.width() - 1, image.height() - 1)).lightness()
    indicator = [QColor(image.pixel(x, y)).lightness() for x in range(18) for y in range(image.height())]
    assert max(abs(v - background) for v in indicator) > 80
