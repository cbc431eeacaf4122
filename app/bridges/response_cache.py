"""The exact-match response cache: an answered request, asked again, is answered from disk for free.

Keyed by the whole request as the provider would see it (model, messages, tools, response format, sampling
parameters, and the server it goes to), hashed; stored with ``diskcache`` in the user cache folder
(``LLMSPELL_CACHE_DIR`` overrides it), bounded in size (least recently used entries go first). Errors are never
cached. Shared by every run of this process and by other processes (diskcache is process-safe).
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from pathlib import Path
from typing import Any

from app.bridges.cassette import normalise

SIZE_LIMIT = 512 * 1024 * 1024  # bytes on disk
APP_NAME = "llmspell-studio"
APP_AUTHOR = "LLMSpell"


def cache_dir() -> Path:
    """Where cached responses live."""
    if os.environ.get("LLMSPELL_CACHE_DIR"):
        return Path(os.environ["LLMSPELL_CACHE_DIR"]) / "responses"
    import platformdirs  # noqa: PLC0415 - only needed when the cache is used

    return Path(platformdirs.user_cache_dir(APP_NAME, APP_AUTHOR)) / "responses"


def request_key(model: str, body: dict[str, Any], api_base: str | None) -> str:
    """The cache key of a chat request (streamed or not: the answer is the same)."""
    ident = {"request": normalise("chat", model, body), "api_base": api_base or ""}
    raw = json.dumps(ident, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


class ResponseCache:
    """The on-disk cache. Thread- and process-safe."""

    def __init__(self, folder: Path | None = None):
        import diskcache  # noqa: PLC0415 - loaded when the cache is first used

        self.folder = folder or cache_dir()
        self.folder.mkdir(parents=True, exist_ok=True)
        self._cache = diskcache.Cache(str(self.folder), size_limit=SIZE_LIMIT, eviction_policy="least-recently-used")

    def get(self, key: str) -> dict[str, Any] | None:
        """The stored record for ``key`` (counted as a hit), or None (counted as a miss)."""
        record = self._cache.get(key)
        self._cache.incr("__hits__" if record is not None else "__misses__", default=0)
        return record if isinstance(record, dict) else None

    def put(self, key: str, record: dict[str, Any]) -> None:
        self._cache.set(key, record)

    def stats(self) -> dict[str, Any]:
        """Entries, bytes on disk, hits and misses since the cache was last cleared."""
        hits = int(self._cache.get("__hits__", 0))
        misses = int(self._cache.get("__misses__", 0))
        entries = len(self._cache) - sum(1 for k in ("__hits__", "__misses__") if k in self._cache)
        return {
            "folder": str(self.folder),
            "entries": entries,
            "bytes": int(self._cache.volume()),
            "hits": hits,
            "misses": misses,
        }

    def clear(self) -> int:
        """Remove every entry and reset the counters; returns how many entries there were."""
        entries = self.stats()["entries"]
        self._cache.clear()
        return int(entries)

    def close(self) -> None:
        self._cache.close()


_shared: ResponseCache | None = None
_shared_lock = threading.Lock()


def shared_cache() -> ResponseCache:
    """This process's cache (opened on first use)."""
    global _shared
    with _shared_lock:
        if _shared is None or _shared.folder != cache_dir():
            _shared = ResponseCache()
        return _shared
