"""``State``: scoped key/value storage. ``run`` lives for one run; ``workspace`` and ``global`` persist in SQLite.

The database is ``state.sqlite3`` under ``platformdirs.user_data_dir("llmspell-studio")``, or under the folder
named by the environment variable ``LLMSPELL_DATA_DIR`` (tests set it). The ``workspace`` scope is keyed by the
run's workspace folder (``ctx.workspace``, else the spell's folder), so spells of one project share it.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sqlite3
import threading
from collections.abc import Iterator
from typing import Any, TypedDict

from app.bridges.errors import SpellError
from app.bridges.registry import Bridge, BridgeContext, bridge

log = logging.getLogger(__name__)

SCOPES = ("run", "workspace", "global")
MAX_VALUE_BYTES = 1024 * 1024
MAX_KEY = 256
MAX_SCOPE_BYTES = 64 * 1024 * 1024  # per run scope, and per workspace/global namespace
MAX_SCOPE_KEYS = 10000


def data_dir() -> str:
    """The folder for persistent data (created on demand)."""
    path = os.environ.get("LLMSPELL_DATA_DIR")
    if not path:
        import platformdirs  # noqa: PLC0415 - cheap, but only needed here

        path = platformdirs.user_data_dir("llmspell-studio")
    os.makedirs(path, exist_ok=True)
    return path


class StateStore:
    """The run's state (service ``"state"``)."""

    def __init__(self, ctx: BridgeContext):
        self.ctx = ctx
        self._run: dict[str, str] = {}
        self._run_bytes = 0
        self._lock = threading.Lock()
        self._db_path: str | None = None

    # helpers ---------------------------------------------------------------------------------------------------
    def _namespace(self, scope: str) -> str:
        if scope not in SCOPES:
            raise SpellError("invalid_argument", f"unknown state scope {scope!r} (use {', '.join(SCOPES)})")
        if scope == "workspace":
            folder = self.ctx.workspace or self.ctx.spell_dir
            if not folder:
                raise SpellError("invalid_argument", "the workspace scope needs a spell saved in a folder")
            return os.path.realpath(folder)
        return ""

    def _connect(self) -> sqlite3.Connection:
        if self._db_path is None:
            self._db_path = os.path.join(data_dir(), "state.sqlite3")
        conn = sqlite3.connect(self._db_path, timeout=10)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(
            "CREATE TABLE IF NOT EXISTS kv (scope TEXT NOT NULL, ns TEXT NOT NULL, key TEXT NOT NULL, "
            "value TEXT NOT NULL, PRIMARY KEY (scope, ns, key))"
        )
        return conn

    @staticmethod
    def _check_key(key: str) -> None:
        if not isinstance(key, str) or not key or len(key) > MAX_KEY:
            raise SpellError("invalid_argument", f"state keys must be non-empty strings of at most {MAX_KEY} chars")

    @staticmethod
    def _encode(value: Any) -> str:
        try:
            text = json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        except (TypeError, ValueError) as e:
            raise SpellError("invalid_argument", f"state values must be JSON-compatible: {e}") from None
        if len(text.encode("utf-8")) > MAX_VALUE_BYTES:
            raise SpellError("limit_exceeded", f"state value larger than {MAX_VALUE_BYTES} bytes")
        return text

    # operations ------------------------------------------------------------------------------------------------
    def get(self, scope: str, key: str) -> Any:
        ns = self._namespace(scope)
        self._check_key(key)
        if scope == "run":
            with self._lock:
                text = self._run.get(key)
        else:
            with self._connect() as conn:
                row = conn.execute("SELECT value FROM kv WHERE scope=? AND ns=? AND key=?", (scope, ns, key)).fetchone()
            text = row[0] if row else None
        return None if text is None else json.loads(text)

    def set(self, scope: str, key: str, value: Any) -> None:
        ns = self._namespace(scope)
        self._check_key(key)
        text = self._encode(value)
        if scope == "run":
            with self._lock:
                old = self._run.get(key)
                self._check_quota(len(self._run) + (old is None), self._run_bytes - len(old or "") + len(text))
                self._run[key] = text
                self._run_bytes += len(text) - len(old or "")
            return
        with self._connect() as conn:
            count, size = conn.execute(
                "SELECT COUNT(*), COALESCE(SUM(LENGTH(value)), 0) FROM kv WHERE scope=? AND ns=?", (scope, ns)
            ).fetchone()
            row = conn.execute(
                "SELECT LENGTH(value) FROM kv WHERE scope=? AND ns=? AND key=?", (scope, ns, key)
            ).fetchone()
            self._check_quota(count + (row is None), size - (row[0] if row else 0) + len(text))
            conn.execute(
                "INSERT OR REPLACE INTO kv (scope, ns, key, value) VALUES (?, ?, ?, ?)", (scope, ns, key, text)
            )

    @staticmethod
    def _check_quota(keys: int, size: int) -> None:
        if keys > MAX_SCOPE_KEYS:
            raise SpellError("limit_exceeded", f"a state scope holds at most {MAX_SCOPE_KEYS} keys")
        if size > MAX_SCOPE_BYTES:
            raise SpellError("limit_exceeded", f"a state scope holds at most {MAX_SCOPE_BYTES // (1024 * 1024)} MB")

    def delete(self, scope: str, key: str) -> bool:
        ns = self._namespace(scope)
        self._check_key(key)
        if scope == "run":
            with self._lock:
                old = self._run.pop(key, None)
                self._run_bytes -= len(old or "")
                return old is not None
        with self._connect() as conn:
            return conn.execute("DELETE FROM kv WHERE scope=? AND ns=? AND key=?", (scope, ns, key)).rowcount > 0

    def keys(self, scope: str, prefix: str = "") -> list[str]:
        ns = self._namespace(scope)
        if scope == "run":
            with self._lock:
                return sorted(k for k in self._run if k.startswith(prefix))
        with self._connect() as conn:
            rows = conn.execute("SELECT key FROM kv WHERE scope=? AND ns=? ORDER BY key", (scope, ns)).fetchall()
        return [r[0] for r in rows if r[0].startswith(prefix)]

    def clear(self, scope: str) -> int:
        ns = self._namespace(scope)
        if scope == "run":
            with self._lock:
                n = len(self._run)
                self._run.clear()
                self._run_bytes = 0
                return n
        with self._connect() as conn:
            return conn.execute("DELETE FROM kv WHERE scope=? AND ns=?", (scope, ns)).rowcount


class MemoryStateStore(StateStore):
    """A store whose every scope lives in memory and ends with it: a test's State (tests never touch the user's
    persistent state, and each test starts empty). One in-memory database, used by one thread at a time (bridges
    call from several)."""

    def __init__(self, ctx: BridgeContext):
        super().__init__(ctx)
        self._memory = sqlite3.connect(":memory:", check_same_thread=False)
        self._memory.execute(
            "CREATE TABLE IF NOT EXISTS kv (scope TEXT NOT NULL, ns TEXT NOT NULL, "
            "key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (scope, ns, key))"
        )
        self._memory_lock = threading.Lock()

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:  # type: ignore[override]
        with self._memory_lock, self._memory as conn:  # the connection's own context: commit or roll back
            yield conn


class KeysOptions(TypedDict, total=False):
    prefix: str


@bridge("State")
class StateBridge(Bridge):
    """Keep JSON-compatible values by scope: ``"run"`` (this run only), ``"workspace"`` (this project's folder,
    across runs) and ``"global"`` (every spell of this user, across runs). Persistent scopes live in SQLite in
    the user's data folder."""

    def _store(self) -> StateStore:
        return self.ctx.service("state", lambda: StateStore(self.ctx))

    def get(self, scope: str, key: str, default: Any = None) -> Any:
        """Read a value.

        Args:
            scope: "run", "workspace" or "global".
            key: The key.
            default: What to return when the key is not set.
        Returns:
            The stored value, or default.
        Errors:
            invalid_argument: an unknown scope or a bad key.
        Example (lua):
            local runs = State.get("workspace", "runs", 0)
            State.set("workspace", "runs", runs + 1)
        Example (js):
            const runs = State.get("workspace", "runs", 0);
            State.set("workspace", "runs", runs + 1);
        """
        value = self._store().get(scope, key)
        return default if value is None else value

    def set(self, scope: str, key: str, value: Any) -> None:
        """Store a value (nil deletes the key).

        Args:
            scope: "run", "workspace" or "global".
            key: The key (a non-empty string of at most 256 characters).
            value: A JSON-compatible value (nil, boolean, number, string or table of them; at most 1 MB).
        Errors:
            invalid_argument: the value is not JSON-compatible (functions, NaN, ...).
            limit_exceeded: the value is larger than 1 MB, or the scope would hold more than 10,000 keys or 64 MB.
        Example (lua):
            State.set("run", "draft", {title = "Owls", words = 420})
            State.set("global", "theme", "dark")
        Example (js):
            State.set("run", "draft", {title: "Owls", words: 420});
            State.set("global", "theme", "dark");
        """
        if value is None:
            self._store().delete(scope, key)
        else:
            self._store().set(scope, key, value)

    def delete(self, scope: str, key: str) -> bool:
        """Remove a key.

        Args:
            scope: "run", "workspace" or "global".
            key: The key.
        Returns:
            true when the key existed.
        Example (lua):
            State.delete("workspace", "cache")
            print(State.get("workspace", "cache"))  -- nil
        Example (js):
            State.delete("workspace", "cache");
            console.log(State.get("workspace", "cache"));  // null
        """
        return self._store().delete(scope, key)

    def keys(self, scope: str, opts: KeysOptions | None = None) -> list[str]:
        """List the keys of a scope in sorted order.

        Args:
            scope: "run", "workspace" or "global".
        Options:
            prefix: Only keys starting with this text.
        Returns:
            The keys.
        Example (lua):
            for _, k in ipairs(State.keys("workspace", {prefix = "notes."})) do print(k) end
            print(#State.keys("run"))
        Example (js):
            for (const k of State.keys("workspace", {prefix: "notes."})) console.log(k);
            console.log(State.keys("run").length);
        """
        return self._store().keys(scope, (opts or {}).get("prefix", ""))

    def clear(self, scope: str) -> int:
        """Remove every key of a scope (for workspace: of this workspace only).

        Args:
            scope: "run", "workspace" or "global".
        Returns:
            The number of keys removed.
        Example (lua):
            local n = State.clear("run")
            print(n .. " keys removed")
        Example (js):
            const n = State.clear("run");
            console.log(n + " keys removed");
        """
        return self._store().clear(scope)
