"""The IDE's settings store (Qt signals on change) over :mod:`app.config`, which holds the settings themselves and
the credential functions (shared with the CLI; re-exported here for the UI)."""

from __future__ import annotations

import json
import logging
from dataclasses import asdict
from typing import Any

from PySide6.QtCore import QObject, Signal

from app.config import (  # noqa: F401
    BASE_URL_ENV,
    BASE_URLS,
    DEFAULT_MODEL,
    KEYRING_SERVICE,
    MODEL_SUGGESTIONS,
    PROFILES,
    PROVIDERS,
    THEMES,
    CredentialSource,
    Settings,
    credential_configured,
    credential_source,
    delete_credential,
    export_to_environment,
    keyring_problem,
    load_settings,
    set_credential,
    set_session_credential,
    settings_path,
)
from app.ui.fileio import atomic_write_bytes

log = logging.getLogger(__name__)


class SettingsStore(QObject):
    """Loads, holds and persists :class:`Settings`; ``changed`` fires after every update (apply live)."""

    changed = Signal(object)  # Settings
    #: the settings of the last store created (read by code without a reference to the window)
    current: Settings | None = None

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.path = settings_path()
        self.first_start = not self.path.exists()
        self.settings = self._load()
        SettingsStore.current = self.settings

    def _load(self) -> Settings:
        return load_settings(self.path)

    def save(self) -> bool:
        """Persist the settings atomically; False (and a log line) when the config dir cannot be written."""
        try:
            atomic_write_bytes(self.path, json.dumps(asdict(self.settings), indent=2).encode("utf-8"))
        except OSError as e:
            log.error("cannot save settings to %s: %s", self.path, e)
            return False
        self.first_start = False
        return True

    def update(self, **changes: Any) -> None:
        """Change some settings, persist, and notify."""
        for k, v in changes.items():
            if not hasattr(self.settings, k):
                raise AttributeError(k)
            setattr(self.settings, k, v)
        SettingsStore.current = self.settings
        self.save()
        self.changed.emit(self.settings)
