"""Session state restored on start: open tabs with cursors, the workspace, window layout, recent files."""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field
from typing import Any

from app.ui import paths
from app.ui.fileio import atomic_write_bytes

log = logging.getLogger(__name__)

MAX_RECENT = 15


@dataclass
class TabState:
    path: str
    line: int = 0
    column: int = 0
    first_visible: int = 0


@dataclass
class SessionState:
    tabs: list[TabState] = field(default_factory=list)
    current: int = 0
    workspace: str | None = None
    geometry: str = ""  # base64 of QMainWindow.saveGeometry()
    window_state: str = ""  # base64 of QMainWindow.saveState() (sessions before the two layouts)
    layouts: dict[str, str] = field(default_factory=dict)  # PanelLayout.saved_states(): editing and debugging
    recent_files: list[str] = field(default_factory=list)
    recent_folders: list[str] = field(default_factory=list)
    repl_history: list[str] = field(default_factory=list)
    input_json: str = ""
    inputs: dict[str, str] = field(default_factory=dict)  # the INPUT last used per spell path
    welcome_shown: bool = False
    breakpoints: list[dict[str, Any]] = field(default_factory=list)  # BreakpointStore.to_json()
    watches: list[str] = field(default_factory=list)  # the Watch panel's expressions

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> SessionState:
        known = {k: v for k, v in d.items() if k in cls.__dataclass_fields__}
        known["tabs"] = [
            TabState(**{k: v for k, v in t.items() if k in TabState.__dataclass_fields__})
            for t in known.get("tabs", [])
            if isinstance(t, dict) and t.get("path")
        ]
        return cls(**known)


def session_file():
    return paths.data_dir() / "session.json"


def load() -> SessionState:
    try:
        return SessionState.from_dict(json.loads(session_file().read_text("utf-8")))
    except FileNotFoundError:
        return SessionState()
    except Exception:
        log.exception("unreadable session state; starting fresh")
        return SessionState()


def save(state: SessionState) -> None:
    atomic_write_bytes(session_file(), json.dumps(asdict(state), ensure_ascii=False, indent=1).encode("utf-8"))


def add_recent(items: list[str], path: str) -> list[str]:
    """``path`` moved to the front of ``items`` (deduplicated, bounded)."""
    return ([path] + [p for p in items if p != path])[:MAX_RECENT]
