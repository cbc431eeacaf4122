"""Entry point of the IDE: ``llmspell-studio [FILE|FOLDER ...]`` or ``python -m app.ui``."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

_T0 = time.perf_counter()


def _setup_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )


def create_window(argv: list[str] | None = None, runner_factory: Callable[[], Any] | None = None, restore: bool = True):
    """Make (or reuse) the QApplication and build the main window; returns ``(app, window)``.

    The runner is *not* started here: call ``window.runs.start_runner()`` once the window shows."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is None:
        QGuiApplication.setHighDpiScaleFactorRoundingPolicy(Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
        app = QApplication(argv or [sys.argv[0]])
        app.setApplicationName("LLMSpell Studio")
        app.setOrganizationName("LLMSpell")
        app.setDesktopFileName("llmspell-studio")
        from app.ui.main_window import app_icon

        app.setWindowIcon(app_icon())
    from app.ui.main_window import MainWindow
    from app.ui.run_service import RunService
    from app.ui.settings import SettingsStore

    store = SettingsStore()
    service = RunService(runner_factory)
    window = MainWindow(store, service, restore=restore)
    return app, window


def main(argv: list[str] | None = None) -> int:
    """Start the IDE; the engine pool starts in the background after the window is shown."""
    parser = argparse.ArgumentParser(prog="llmspell-studio", description="LLMSpell Studio: an IDE for LLM spells")
    parser.add_argument("paths", nargs="*", help="files to open, or a folder to use as the workspace")
    parser.add_argument("--no-restore", action="store_true", help="do not reopen the last session's tabs")
    parser.add_argument("--verbose", action="store_true", help="debug logging")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    _setup_logging(args.verbose)
    from PySide6.QtCore import QTimer

    app, window = create_window([sys.argv[0]], restore=not args.no_restore)
    window.open_paths([os.path.abspath(p) for p in args.paths])
    window.show()
    QTimer.singleShot(0, window.runs.start_runner)
    log.info("window shown after %.3f s", time.perf_counter() - _T0)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
