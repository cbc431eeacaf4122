"""The project file ``llmspell.toml``: found in a spell's folder or the nearest parent folder that has one.

One small module so every section reads the same file the same way: ``[lint]`` (rule severities, read by
:mod:`app.lint`) today; other sections (``[models]``...) hang off :class:`ProjectConfig` as they come.

    [lint]
    unused-param = "off"        # error | warning | info | off
    global-assignment = "error"
"""

from __future__ import annotations

import logging
import os
import tomllib
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)

FILE_NAME = "llmspell.toml"
_MAX_BYTES = 1024 * 1024


class ProjectConfigError(ValueError):
    """``llmspell.toml`` is unreadable or malformed; the message names the file (and line, for TOML errors)."""


@dataclass
class ProjectConfig:
    """The parsed file (``path`` is None when no project file was found)."""

    path: str | None = None
    data: dict[str, Any] = field(default_factory=dict)

    def section(self, name: str) -> dict[str, Any]:
        """A top-level table (empty when absent); ``ProjectConfigError`` when it is not a table."""
        value = self.data.get(name, {})
        if not isinstance(value, dict):
            raise ProjectConfigError(f"{self.path}: [{name}] must be a table")
        return value


def find(start: str) -> str | None:
    """The ``llmspell.toml`` in ``start`` (a file's folder or a folder) or its nearest parent, or None."""
    folder = os.path.abspath(start)
    if not os.path.isdir(folder):
        folder = os.path.dirname(folder)
    while True:
        candidate = os.path.join(folder, FILE_NAME)
        if os.path.isfile(candidate):
            return candidate
        parent = os.path.dirname(folder)
        if parent == folder:
            return None
        folder = parent


def load(path: str) -> ProjectConfig:
    """Parse one project file."""
    try:
        if os.path.getsize(path) > _MAX_BYTES:
            raise ProjectConfigError(f"{path}: larger than 1 MB")
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except tomllib.TOMLDecodeError as e:
        raise ProjectConfigError(f"{path}: {e}") from None
    except OSError as e:
        raise ProjectConfigError(f"{path}: {e.strerror or e}") from None
    return ProjectConfig(path, data)


def for_path(spell_path: str) -> ProjectConfig:
    """The project configuration that applies to a spell (empty when there is no project file)."""
    if not spell_path:
        return ProjectConfig()
    found = find(spell_path)
    return load(found) if found else ProjectConfig()
