"""Record/replay of LLM exchanges (``llmspell run --record FILE`` / ``--replay FILE``).

A cassette is JSON Lines: a header ``{"cassette": "llmspell", "version": 1}``, then one line per exchange
``{"key", "request", "response"}``. The key is a hash of the normalised request (kind, model, messages, tools,
response format, sampling options). Recording appends one line per exchange (so a crashed run still leaves a usable
cassette, and long runs stay linear). Replay answers each request with the recorded responses for the same key in
order (the last one repeats when a key is asked more often than it was recorded); a request that is not in the
cassette fails with ``not_found`` naming the call. Recorded errors replay as the same error. Streams keep their
chunks. API keys are never part of a request. (A JSON object ``{"version", "interactions": [...]}`` is read too.)
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
from typing import Any

from app.bridges.errors import SpellError
from app.bridges.litellm_support import redact

log = logging.getLogger(__name__)

VERSION = 1
KEY_PARAMS = ("temperature", "max_tokens", "stop", "seed", "tool_choice")


def request_key(request: dict[str, Any]) -> str:
    """The stable hash of a normalised request."""
    text = json.dumps(request, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def normalise(kind: str, model: str, body: dict[str, Any]) -> dict[str, Any]:
    """The part of a request that identifies it (``kind``: "chat", "stream" or "embed")."""
    req: dict[str, Any] = {"kind": kind, "model": model}
    for field in ("messages", "input", "tools", "response_format"):
        if body.get(field) is not None:
            req[field] = body[field]
    params = {k: body[k] for k in KEY_PARAMS if body.get(k) is not None}
    if params:
        req["params"] = params
    return redact(req)


class Cassette:
    """One cassette file, opened for ``"record"`` or ``"replay"``."""

    def __init__(self, path: str, mode: str):
        if mode not in ("record", "replay"):
            raise ValueError(mode)
        self.path = path
        self.mode = mode
        self._lock = threading.Lock()
        self._interactions: list[dict[str, Any]] = []
        self._used: dict[str, int] = {}
        self._started = False
        if mode == "replay":
            self._load()

    def _load(self) -> None:
        try:
            with open(self.path, encoding="utf-8") as f:
                text = f.read()
        except FileNotFoundError:
            raise SpellError("not_found", f"replay cassette {self.path} does not exist") from None
        except OSError as e:
            raise SpellError("invalid_argument", f"cannot read replay cassette {self.path}: {e}") from None
        try:
            data = json.loads(text)
            if isinstance(data, dict) and isinstance(data.get("interactions"), list):
                self._interactions = data["interactions"]
                return
        except ValueError:
            pass
        lines = text.splitlines()
        try:
            header = json.loads(lines[0]) if lines else None
        except ValueError:
            header = None
        if not isinstance(header, dict) or header.get("cassette") != "llmspell":
            raise SpellError("invalid_argument", f"{self.path} is not an llmspell cassette")
        for n, line in enumerate(lines[1:], 2):
            try:
                self._interactions.append(json.loads(line))
            except ValueError:
                if n == len(lines):  # a run that died mid-write leaves half a last line
                    log.warning("%s: ignoring an incomplete last line", self.path)
                    break
                raise SpellError("invalid_argument", f"{self.path}: line {n} is not JSON") from None

    def lookup(self, request: dict[str, Any], call: str) -> dict[str, Any]:
        """The recorded response for ``request``; ``call`` names the spell call for the error message."""
        key = request_key(request)
        with self._lock:
            matches = [i for i in self._interactions if i.get("key") == key]
            if not matches:
                raise SpellError(
                    "not_found",
                    f"replay: {call} is not in cassette {os.path.basename(self.path)} "
                    f"(model {request.get('model')}, {_describe(request)}); "
                    "record the run again",
                )
            n = self._used.get(key, 0)
            self._used[key] = n + 1
            return matches[min(n, len(matches) - 1)]["response"]

    def record(self, request: dict[str, Any], response: dict[str, Any]) -> None:
        """Append one exchange to the cassette file (created, with its header, by the first one)."""
        entry = {"key": request_key(request), "request": request, "response": redact(response)}
        line = json.dumps(entry, ensure_ascii=False, separators=(",", ":"), default=str) + "\n"
        with self._lock:
            if not self._started:
                write_empty(self.path)
                self._started = True
            with open(self.path, "a", encoding="utf-8") as f:
                f.write(line)
            self._interactions.append(entry)

    def interactions(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._interactions)


def write_empty(path: str) -> None:
    """Start a fresh recording at ``path``: a cassette with its header and no exchange yet.

    A recording whose run makes no model call (every call mocked) then still leaves a cassette to replay,
    and re-recording never leaves the exchanges of an older recording behind."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(json.dumps({"cassette": "llmspell", "version": VERSION}) + "\n")


def _describe(request: dict[str, Any]) -> str:
    messages = request.get("messages") or []
    if messages:
        last = messages[-1]
        text = last.get("content") if isinstance(last, dict) else ""
        text = text if isinstance(text, str) else json.dumps(text)
        return f"last message {text[:60]!r}"
    if request.get("input") is not None:
        return f"input {json.dumps(request['input'])[:60]}"
    return "empty request"


def from_settings(settings: dict[str, Any]) -> Cassette | None:
    """The run's cassette from the ``replay`` (wins) or ``record`` setting, or None."""
    if settings.get("replay"):
        return Cassette(str(settings["replay"]), "replay")
    if settings.get("record"):
        return Cassette(str(settings["record"]), "record")
    return None
