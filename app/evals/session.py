"""One eval from start to end: jobs from the spec (minus those already in the results when resuming), an executor,
every record written as it arrives, and a callback per record (the CLI's progress bar, the IDE's table)."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from app.engines.base import language_for
from app.evals.executors import Executor, LocalExecutor, RayExecutor
from app.evals.results import ResultsWriter, cassette_dir, key_of, read_results
from app.evals.rowrun import Job, SpellSpec, cassette_id
from app.evals.spec import EvalSpec

EMPTY_CASSETTE = '{"cassette": "llmspell", "version": 1}\n'


@dataclass
class Progress:
    """Where an eval stands: jobs done of total (this session's), passes, cost, time."""

    total: int
    done: int = 0
    passed: int = 0
    cost: float = 0.0
    started: float = field(default_factory=time.monotonic)

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    @property
    def eta_s(self) -> float | None:
        if not self.done:
            return None
        return self.elapsed / self.done * (self.total - self.done)

    @property
    def pass_rate(self) -> float:
        return self.passed / self.done if self.done else 0.0


@dataclass
class EvalOptions:
    out: str
    executor: str = "local"  # or "ray"
    address: str | None = None  # Ray cluster address (None: a local instance)
    resume: bool = False
    replay_from: str | None = None  # results file whose cassettes answer the models
    settings: dict[str, Any] = field(default_factory=dict)  # run settings (base URLs...), not the model
    concurrency: int | None = None  # overrides the spec's


def spell_spec(spec: EvalSpec, settings: dict[str, Any]) -> SpellSpec:
    with open(spec.spell, "rb") as f:
        source = f.read().decode("utf-8")
    return SpellSpec(spec.spell, source, language_for(spec.spell), spec.profile, spec.timeout, dict(settings))


def jobs_of(
    spec: EvalSpec,
    skip: set[tuple[int, str, int]] = frozenset(),  # type: ignore[assignment]
    replay_dir: str | None = None,
) -> Iterator[Job]:
    """Every row × model × repeat not in ``skip``, row by row; replaying, each with its recorded cassette."""
    for row in spec.rows:
        for model in spec.models:
            for repeat in range(spec.repeat):
                if (row.index, model.label, repeat) in skip:
                    continue
                cid = cassette_id(row.index, model.label, repeat)
                replay = None
                if replay_dir is not None:
                    try:
                        with open(os.path.join(replay_dir, cid), encoding="utf-8") as f:
                            replay = f.read()
                    except FileNotFoundError:
                        replay = EMPTY_CASSETTE  # recorded no exchange: a model call now is an error, not a cost
                yield Job(
                    row.index,
                    model.id,
                    model.label,
                    repeat,
                    row.data,
                    row.inputs,
                    spec.assertions_for(row),
                    cid,
                    replay,
                )


class EvalRun:
    """Runs an eval (on the calling thread: :meth:`run`); :meth:`cancel` from any thread stops starting jobs."""

    def __init__(
        self,
        spec: EvalSpec,
        options: EvalOptions,
        on_record: Callable[[dict[str, Any], Progress], None] | None = None,
        executor: Executor | None = None,
    ):
        self.spec = spec
        self.options = options
        self.on_record = on_record
        self._executor = executor
        self._cancelled = threading.Event()
        self.records: dict[tuple[int, str, int], dict[str, Any]] = {}
        self.progress = Progress(0)

    def _make_executor(self) -> Executor:
        spell = spell_spec(self.spec, self.options.settings)
        concurrency = self.options.concurrency or self.spec.concurrency
        if self.options.executor == "ray":
            return RayExecutor(spell, concurrency, self.options.address)
        if self.options.executor != "local":
            raise ValueError(f"unknown executor {self.options.executor!r} (local or ray)")
        return LocalExecutor(spell, concurrency)

    def cancel(self) -> None:
        self._cancelled.set()
        if self._executor is not None:
            self._executor.cancel()

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def run(self) -> list[dict[str, Any]]:
        """Run every missing job; the records of the eval's matrix (earlier ones too when resuming), in matrix
        order."""
        if self.options.resume:
            for r in read_results(self.options.out):
                self.records[key_of(r)] = r
        replay_dir = cassette_dir(self.options.replay_from) if self.options.replay_from else None
        if replay_dir is not None and not os.path.isdir(replay_dir):
            replay_dir_missing = not os.path.exists(self.options.replay_from or "")
            raise FileNotFoundError(
                f"no recorded cassettes to replay: {replay_dir} "
                + ("(and no results file)" if replay_dir_missing else "does not exist")
            )
        skip = set(self.records)
        total = sum(
            1
            for r in self.spec.rows
            for m in self.spec.models
            for k in range(self.spec.repeat)
            if (r.index, m.label, k) not in skip
        )
        self.progress = Progress(total)
        # Replaying into the same results file is fine: a job reads its cassette before its new one replaces it.
        writer = ResultsWriter(self.options.out, resume=self.options.resume)
        if self._executor is None:
            self._executor = self._make_executor()
        try:
            if self._cancelled.is_set():
                self._executor.cancel()
            for record in self._executor.results(jobs_of(self.spec, skip, replay_dir)):
                stored = writer.write(record)
                self.records[key_of(stored)] = stored
                p = self.progress
                p.done += 1
                p.passed += 1 if stored.get("pass") else 0
                p.cost += float(stored.get("cost") or 0.0)
                if self.on_record is not None:
                    self.on_record(stored, p)
        finally:
            writer.close()
            self._executor.close()
        order = {m.label: i for i, m in enumerate(self.spec.models)}
        rows = {r.index for r in self.spec.rows}
        mine = [
            r
            for k, r in self.records.items()  # a resumed file may hold rows or models the eval no longer has
            if k[0] in rows and k[1] in order and k[2] < self.spec.repeat
        ]
        return sorted(mine, key=lambda r: (r["row"], order[r["model"]], r["repeat"]))
