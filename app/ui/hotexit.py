"""Hot exit: unsaved buffers are backed up every few seconds under the data dir and restored after a crash or kill.

Each running IDE keeps its backups in its own folder, ``backups/<instance>/``, one JSON file per dirty buffer,
written atomically and removed when the buffer is saved, closed or discarded. The folder holds a lock file that
the instance keeps locked while it lives; at start an instance adopts the backups of every folder whose lock is
free (an instance that crashed or was killed) and leaves the folders of running instances alone."""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO

from app.ui import paths
from app.ui.fileio import atomic_write_bytes

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no lock; every other folder counts as orphaned
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

BACKUP_INTERVAL_MS = 2000
LOCK_NAME = "instance.lock"


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


def _try_lock(path: Path) -> IO[bytes] | None:
    """Open and exclusively lock ``path``; None when another live process holds it."""
    fh = open(path, "a+b")
    if fcntl is None:
        return fh
    try:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        fh.close()
        return None
    return fh


class BackupStore:
    """This instance's backups (under ``root``, default :func:`app.ui.paths.backup_dir`)."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = root or paths.backup_dir()
        self.folder = self.root / f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.folder.mkdir(parents=True, exist_ok=True)
        self._lock = _try_lock(self.folder / LOCK_NAME)

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

    def ids(self) -> set[str]:
        return {p.stem for p in self.folder.glob("*.json")}

    def orphans(self) -> list[tuple[Path, list[Backup]]]:
        """Backups left by instances that are no longer running: ``[(folder, backups oldest first)]``.

        The folders stay locked by this instance until :meth:`discard_orphans`, so no other starting
        instance adopts the same buffers."""
        found = []
        self._orphan_locks: list[IO[bytes]] = getattr(self, "_orphan_locks", [])
        for folder in sorted(p for p in self.root.iterdir() if p.is_dir() and p != self.folder):
            lock = _try_lock(folder / LOCK_NAME)
            if lock is None:
                continue  # a running IDE owns it
            self._orphan_locks.append(lock)
            found.append((folder, _load(folder)))
        legacy = _load(self.root)  # backups written directly under backups/
        if legacy:
            found.append((self.root, legacy))
        return found

    def discard_orphans(self, folders: list[Path]) -> None:
        """Delete adopted folders (after their buffers were backed up again by this instance)."""
        for folder in folders:
            if folder == self.root:
                for f in folder.glob("*.json"):
                    f.unlink(missing_ok=True)
                continue
            shutil.rmtree(folder, ignore_errors=True)
        for lock in getattr(self, "_orphan_locks", []):
            lock.close()
        self._orphan_locks = []

    def close(self, remove: bool = True) -> None:
        """At a clean exit: drop this instance's folder (its buffers were saved or discarded)."""
        if remove:
            shutil.rmtree(self.folder, ignore_errors=True)
        if self._lock is not None:
            self._lock.close()
            self._lock = None


def _load(folder: Path) -> list[Backup]:
    out = []
    for f in sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime):
        try:
            d = json.loads(f.read_text("utf-8"))
            out.append(Backup(**{k: v for k, v in d.items() if k in Backup.__dataclass_fields__}))
        except Exception:
            log.exception("unreadable backup %s", f)
    return out
