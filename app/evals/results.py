"""The results JSONL, the source of truth of an eval: one flushed line per finished row × model × repeat.

A record: ``row`` (index in the dataset), ``model`` (label), ``model_id``, ``repeat``, ``pass``, ``score``, ``input``,
``output``, ``error`` ({code, message, line} or null), ``assertions`` ([{name, type, pass, score, reason, weight}]),
``tokens``, ``cost`` (USD), ``latency_ms``, ``calls`` (tools called), ``status``, ``cassette`` (file name under the
``<results>.cassettes/`` folder, or null when the run called no model).

An interrupted eval leaves whole lines plus at most one half-written last line: readers skip it, and
:class:`ResultsWriter` cuts it off before appending, so ``--resume`` (skip the keys present) loses and duplicates
nothing. Cassettes are written (atomically) before their result line.
"""

from __future__ import annotations

import json
import logging
import os
import statistics
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

Key = tuple[int, str, int]


def key_of(record: dict[str, Any]) -> Key:
    return (int(record["row"]), str(record["model"]), int(record.get("repeat", 0)))


def cassette_dir(results_path: str) -> str:
    """Where the cassettes of a results file live."""
    base = results_path.removesuffix(".jsonl")
    return base + ".cassettes"


def read_results(path: str) -> list[dict[str, Any]]:
    """The complete records of a results file (a half-written last line is skipped; a bad line elsewhere is an
    error naming it). Later lines for the same key replace earlier ones."""
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except FileNotFoundError:
        return []
    lines = text.split("\n")
    complete = lines[:-1]  # the part after the last newline is unfinished (or empty)
    if lines[-1].strip():
        log.warning("%s: ignoring an unfinished last line", path)
    by_key: dict[Key, dict[str, Any]] = {}
    for n, line in enumerate(complete, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            by_key[key_of(record)] = record
        except (ValueError, KeyError, TypeError):
            raise ValueError(f"{path}:{n}: not a result record") from None
    return list(by_key.values())


class ResultsWriter:
    """Appends records as they arrive (thread-safe), each line flushed; cassettes beside them."""

    def __init__(self, path: str, resume: bool):
        self.path = path
        self.cassettes = cassette_dir(path)
        os.makedirs(os.path.dirname(os.path.abspath(path)) or ".", exist_ok=True)
        self._lock = threading.Lock()
        if resume and os.path.exists(path):
            _cut_unfinished_line(path)
            self._file = open(path, "a", encoding="utf-8")  # noqa: SIM115 - open until close()
        else:
            self._file = open(path, "w", encoding="utf-8")  # noqa: SIM115 - open until close()

    def write(self, record: dict[str, Any]) -> dict[str, Any]:
        """Store the record's cassette (``cassette_text``) and append its line; returns the stored record."""
        record = dict(record)
        text = record.pop("cassette_text", None)
        if text and record.get("cassette"):
            os.makedirs(self.cassettes, exist_ok=True)
            target = os.path.join(self.cassettes, record["cassette"])
            tmp = f"{target}.tmp{os.getpid()}.{threading.get_ident()}"
            with open(tmp, "w", encoding="utf-8") as f:
                f.write(text)
            os.replace(tmp, target)
        line = json.dumps(record, ensure_ascii=False, default=str) + "\n"
        with self._lock:
            self._file.write(line)
            self._file.flush()
        return record

    def close(self) -> None:
        with self._lock:
            if not self._file.closed:
                self._file.flush()
                os.fsync(self._file.fileno())
                self._file.close()


def _cut_unfinished_line(path: str) -> None:
    with open(path, "rb+") as f:
        data = f.read()
        end = data.rfind(b"\n") + 1
        if end < len(data):
            f.truncate(end)


# ------------------------------------------------------------------------------------------------ summaries
@dataclass
class ModelSummary:
    model: str
    runs: int
    passed: int
    errors: int
    mean_score: float
    cost: float
    tokens: int
    p50_ms: float
    p95_ms: float

    @property
    def pass_rate(self) -> float:
        return self.passed / self.runs if self.runs else 0.0


def percentile(values: list[float], q: float) -> float:
    """The nearest-rank ``q`` percentile (0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(-(-q * len(ordered) // 100))))
    return ordered[rank - 1]


def summarize(records: Iterable[dict[str, Any]], models: list[str] | None = None) -> list[ModelSummary]:
    """Per model (in ``models`` order when given, else first seen): pass rate, mean score, cost, latencies."""
    groups: dict[str, list[dict[str, Any]]] = {m: [] for m in models or []}
    for r in records:
        groups.setdefault(str(r["model"]), []).append(r)
    out = []
    for model, rs in groups.items():
        lat = [float(r.get("latency_ms") or 0.0) for r in rs]
        out.append(
            ModelSummary(
                model,
                len(rs),
                sum(1 for r in rs if r.get("pass")),
                sum(1 for r in rs if r.get("error")),
                statistics.fmean([float(r.get("score") or 0.0) for r in rs]) if rs else 0.0,
                sum(float(r.get("cost") or 0.0) for r in rs),
                sum(int(r.get("tokens") or 0) for r in rs),
                percentile(lat, 50),
                percentile(lat, 95),
            )
        )
    return out


@dataclass
class Change:
    row: int
    model: str
    repeat: int
    before: bool | None  # None: not in the old results
    after: bool


def compare(old: Iterable[dict[str, Any]], new: Iterable[dict[str, Any]]) -> list[Change]:
    """Rows whose pass/fail differs between two results files (and rows new in ``new``), in row order."""
    before = {key_of(r): bool(r.get("pass")) for r in old}
    changes = []
    for r in new:
        k = key_of(r)
        now = bool(r.get("pass"))
        if before.get(k) is not now:
            changes.append(Change(k[0], k[1], k[2], before.get(k), now))
    return sorted(changes, key=lambda c: (c.row, c.model, c.repeat))
