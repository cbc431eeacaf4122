"""Where the IDE keeps its files: config (settings), data (session, hot-exit backups), bundled examples and resources.

``LLMSPELL_CONFIG_DIR`` and ``LLMSPELL_DATA_DIR`` override the platform directories (tests point them at temp dirs).
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

from app import config

log = logging.getLogger(__name__)

APP_NAME, APP_AUTHOR = config.APP_NAME, config.APP_AUTHOR


def _platform_data_dir() -> Path:
    import platformdirs  # cheap, but only needed here

    return Path(platformdirs.user_data_dir(APP_NAME, APP_AUTHOR))


def config_dir() -> Path:
    """The settings folder (created on demand)."""
    return config.config_dir()


def data_dir() -> Path:
    """The per-user data folder: session state and hot-exit backups (created on demand)."""
    d = Path(os.environ["LLMSPELL_DATA_DIR"]) if os.environ.get("LLMSPELL_DATA_DIR") else _platform_data_dir()
    d.mkdir(parents=True, exist_ok=True)
    return d


def backup_dir() -> Path:
    """Hot-exit backups of unsaved buffers."""
    d = data_dir() / "backups"
    d.mkdir(parents=True, exist_ok=True)
    return d


def _root() -> Path:
    if getattr(sys, "frozen", False):  # PyInstaller bundle: data files sit next to the executable
        return Path(getattr(sys, "_MEIPASS", Path(sys.executable).parent))
    return Path(__file__).resolve().parents[2]


def examples_dir() -> Path:
    """The bundled ``examples/`` folder (``LLMSPELL_EXAMPLES_DIR`` overrides it)."""
    if os.environ.get("LLMSPELL_EXAMPLES_DIR"):
        return Path(os.environ["LLMSPELL_EXAMPLES_DIR"])
    return _root() / "examples"


def resources_dir() -> Path:
    """The bundled ``resources/`` folder (style sheets, icons)."""
    return _root() / "resources"
