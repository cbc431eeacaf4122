"""Hot exit: unsaved buffers are backed up every few seconds under the data dir and restored after a crash or kill.

A backup is one JSON file per dirty buffer (``backups/<id>.json``), written atomically, removed when the buffer is
saved, closed or discarded. Whatever backups exist at start belong to a session that did not end cleanly."""
from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from app.ui import paths
from app.ui.fileio import atomic_write_bytes

log = logging.getLogger(__name__)

BACKUP_INTERVAL_MS = 2000


@dataclass
class Backup:
    """What a buffer needs to come back."""
    id: str
    path: str | None
    title: str
    language: str
    text: str
    line: int = 0
    column: int = 0
    encoding: str = "utf-8"
    bom: bool = False
    eol: str = "\n"
    disk_mtime_ns: int = 0
    saved_at: float = 0.0


class BackupStore:
    """Reads and writes backups in ``folder`` (default: :func:`app.ui.paths.backup_dir`)."""

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = folder or paths.backup_dir()
        self.folder.mkdir(parents=True, exist_ok=True)

    def _file(self, backup_id: str) -> Path:
        return self.folder / f"{backup_id}.json"

    def write(self, b: Backup) -> None:
        b.saved_at = time.time()
        atomic_write_bytes(self._file(b.id), json.dumps(asdict(b), ensure_ascii=False).encode("utf-8"))

    def remove(self, backup_id: str) -> None:
        try:
            os.unlink(self._file(backup_id))
        except FileNotFoundError:
            pass

    def load_all(self) -> list[Backup]:
        """Every readable backup, oldest first (unreadable ones are left in place and logged)."""
        out = []
        for f in sorted(self.folder.glob("*.json"), key=lambda p: p.stat().st_mtime):
            try:
                d = json.loads(f.read_text("utf-8"))
                out.append(Backup(**{k: v for k, v in d.items() if k in Backup.__dataclass_fields__}))
            except Exception:
                log.exception("unreadable backup %s", f)
        return out

    def ids(self) -> set[str]:
        return {p.stem for p in self.folder.glob("*.json")}
