"""UI test fixtures: offscreen Qt, private data/config folders per test, an in-memory keyring, dialogs that never
block, and windows built around a fake runner (or the real one, shared by the suite)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import keyring  # noqa: E402
import keyring.backend  # noqa: E402
import pytest  # noqa: E402

sys.path.insert(0, os.path.dirname(__file__))
from ui_fakes import FakeRunner, SharedRunner  # noqa: E402


class MemoryKeyring(keyring.backend.KeyringBackend):
    """A keyring that lives in a dict (never the user's real keychain)."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.store.pop((service, username), None)


@pytest.fixture(autouse=True)
def ui_env(tmp_path, monkeypatch) -> Iterator[MemoryKeyring]:
    """Private folders, a memory keyring, and non-blocking answers for every dialog."""
    monkeypatch.setenv("LLMSPELL_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("LLMSPELL_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("LLMSPELL_EXAMPLES_DIR", str(tmp_path / "examples"))
    for env in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY"):
        monkeypatch.delenv(env, raising=False)
    kr = MemoryKeyring()
    old = keyring.get_keyring()
    keyring.set_keyring(kr)
    from PySide6.QtWidgets import QMessageBox

    from app.ui import editor_tabs, file_tree

    monkeypatch.setattr(editor_tabs, "ask_unsaved", lambda parent, names: "discard")
    monkeypatch.setattr(editor_tabs, "ask_overwrite", lambda parent, name: True)
    monkeypatch.setattr(file_tree, "confirm_delete", lambda parent, path: True)
    # a modal dialog would block an offscreen test until its timeout: answer them all at once (cancel)
    for name in ("warning", "critical", "information", "question"):
        monkeypatch.setattr(QMessageBox, name, staticmethod(lambda *a, **k: QMessageBox.StandardButton.Ok))
    from PySide6.QtWidgets import QFileDialog, QInputDialog

    from app.ui import settings_dialog, trace_panel

    monkeypatch.setattr(editor_tabs, "ask_save_path", lambda parent, suggestion: None)
    monkeypatch.setattr(file_tree, "ask_name", lambda *a, **k: None)
    monkeypatch.setattr(settings_dialog, "ask_secret", lambda *a, **k: None)
    monkeypatch.setattr(trace_panel, "ask_export_path", lambda parent: None)
    for name in ("getOpenFileName", "getOpenFileNames", "getSaveFileName"):
        monkeypatch.setattr(QFileDialog, name, staticmethod(lambda *a, **k: ("", "")))
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(lambda *a, **k: ""))
    for name in ("getInt", "getText", "getItem", "getDouble"):
        monkeypatch.setattr(QInputDialog, name, staticmethod(lambda *a, **k: (None, False)))
    yield kr
    keyring.set_keyring(old)


@pytest.fixture
def make_window(qtbot) -> Iterator[Callable[..., Any]]:
    """``make_window(runner_factory=FakeRunner, restore=True)`` → a shown MainWindow with its runner starting."""
    made: list[Any] = []

    def make(runner_factory: Callable[[], Any] | None = None, restore: bool = True) -> Any:
        from app.ui.main import create_window

        runner = (runner_factory or FakeRunner)()
        _app, w = create_window(runner_factory=lambda: runner, restore=restore)
        w.fake_runner = runner
        qtbot.addWidget(w)
        w.show()
        w.runs.start_runner()
        qtbot.waitUntil(lambda: w.runs.ready, timeout=30000)
        made.append(w)
        return w

    yield make
    for w in made:
        w.shutdown_for_tests()


@pytest.fixture
def window(make_window) -> Any:
    return make_window()


@pytest.fixture
def real_window(make_window, runner) -> Any:
    """A window on the suite's shared real Runner (skipped when it cannot start)."""
    return make_window(lambda: SharedRunner(runner))
