"""Executors run an eval's jobs and yield their records as they finish (in order of completion).

- :class:`LocalExecutor`: the engine pool of this process, ``concurrency`` runs at once.
- :class:`RayExecutor`: Ray actors, each holding a warm :class:`~app.evals.rowrun.RowRunner` (its own engine
  pool); jobs are Ray tasks on them. The actors read API keys from the cluster's environment: nothing of the
  client's keyring or environment is sent (the spell's source, its bundle of modules and the jobs are).
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import logging
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Protocol, TypeVar

from app.evals.bundle import SpellBundle, bundle_spell, unpack
from app.evals.rowrun import Job, RowRunner, SpellSpec

log = logging.getLogger(__name__)
H = TypeVar("H")  # an executor's handle of a job in flight


class Executor(Protocol):
    """Runs jobs; :meth:`results` yields one record per job as each finishes."""

    def results(self, jobs: Iterable[Job]) -> Iterator[dict[str, Any]]: ...
    def cancel(self) -> None: ...
    def close(self) -> None: ...


class LocalExecutor:
    """The engine pool of this process; at most ``concurrency`` jobs in flight."""

    def __init__(self, spell: SpellSpec, concurrency: int, row_runner: RowRunner | None = None):
        self.concurrency = max(1, concurrency)
        self.row_runner = row_runner or RowRunner(spell, warm=min(self.concurrency, 8))
        self._owns = row_runner is None
        self._cancelled = threading.Event()
        self._threads = concurrent.futures.ThreadPoolExecutor(self.concurrency, thread_name_prefix="eval")

    def results(self, jobs: Iterable[Job]) -> Iterator[dict[str, Any]]:
        def wait(
            pending: list[concurrent.futures.Future[dict[str, Any]]],
        ) -> tuple[list[dict[str, Any]], list[concurrent.futures.Future[dict[str, Any]]]]:
            done, rest = concurrent.futures.wait(pending, return_when=concurrent.futures.FIRST_COMPLETED)
            return [f.result() for f in done if not f.cancelled()], list(rest)

        return _as_completed(
            jobs, self.concurrency, self._cancelled, lambda job: self._threads.submit(self.row_runner.run, job), wait
        )

    def cancel(self) -> None:
        """Start no more jobs; the ones in flight finish (their records still arrive)."""
        self._cancelled.set()

    def close(self) -> None:
        self._threads.shutdown(wait=True, cancel_futures=True)
        if self._owns:
            self.row_runner.close()


class RayExecutor:
    """Jobs spread over Ray actors (``actors`` of them, one CPU each), results as they complete."""

    def __init__(
        self,
        spell: SpellSpec,
        concurrency: int,
        address: str | None = None,
        actors: int | None = None,
        init_kwargs: dict[str, Any] | None = None,
    ):
        try:
            import ray
        except ImportError:
            raise RuntimeError("the Ray executor needs Ray: pip install 'llmspell-studio[scale]'") from None
        self.ray = ray
        if not ray.is_initialized():
            kwargs = dict(init_kwargs or {})
            kwargs.setdefault("log_to_driver", False)
            kwargs.setdefault("include_dashboard", False)
            if address:
                kwargs["address"] = address
            ray.init(**kwargs)
        self.concurrency = max(1, concurrency)
        bundle = bundle_spell(spell.path, spell.language)  # the nodes need no copy of the spell's folder
        n = actors or max(1, min(self.concurrency, int(ray.cluster_resources().get("CPU", 1))))
        # threaded actors: each serves up to its share of the jobs in flight at once (its pool has the workers)
        options: dict[str, Any] = {"num_cpus": 1, "max_concurrency": max(1, self.concurrency // n + 1)}
        actor_cls = ray.remote(**options)(_EvalActor)
        self.actors: list[Any] = [actor_cls.remote(spell, bundle) for _ in range(n)]
        self._cancelled = threading.Event()

    def results(self, jobs: Iterable[Job]) -> Iterator[dict[str, Any]]:
        ray = self.ray
        load = [0] * len(self.actors)  # jobs in flight per actor: the next goes to the least busy

        def submit(job: Job) -> tuple[Any, int]:
            i = min(range(len(self.actors)), key=load.__getitem__)
            load[i] += 1
            return self.actors[i].run.remote(job), i

        def wait(pending: list[tuple[Any, int]]) -> tuple[list[dict[str, Any]], list[tuple[Any, int]]]:
            done, _ = ray.wait([ref for ref, _ in pending], num_returns=1)
            finished = [(ref, i) for ref, i in pending if ref in done]
            for _, i in finished:
                load[i] -= 1
            return [ray.get(ref) for ref, _ in finished], [p for p in pending if p not in finished]

        return _as_completed(jobs, self.concurrency, self._cancelled, submit, wait)

    def cancel(self) -> None:
        self._cancelled.set()

    def close(self) -> None:
        try:  # each actor stops its engine pool and removes its copy of the spell, then goes
            self.ray.wait([a.close.remote() for a in self.actors], num_returns=len(self.actors), timeout=10)
        except Exception:  # an actor already gone
            log.debug("closing eval actors failed", exc_info=True)
        for a in self.actors:
            try:
                self.ray.kill(a)
            except Exception:  # an actor already gone
                log.debug("killing an eval actor failed", exc_info=True)
        self.actors = []


def _as_completed(
    jobs: Iterable[Job],
    limit: int,
    cancelled: threading.Event,
    submit: Callable[[Job], H],
    wait: Callable[[list[H]], tuple[list[dict[str, Any]], list[H]]],
) -> Iterator[dict[str, Any]]:
    """Keep up to ``limit`` jobs submitted (none once ``cancelled``) and yield their records as they finish:
    ``wait`` blocks until at least one finished and returns their records and the handles still pending."""
    pending: list[H] = []
    it = iter(jobs)
    exhausted = False
    while True:
        while not exhausted and not cancelled.is_set() and len(pending) < limit:
            job = next(it, None)
            if job is None:
                exhausted = True
                break
            pending.append(submit(job))
        if not pending:
            return
        records, pending = wait(pending)
        yield from records


class _EvalActor:
    """A Ray actor: one warm RowRunner (engine pool) serving jobs; API keys from this node's environment. The
    spell runs from a private copy of its bundle, so ``require`` and the project's ``llmspell.toml`` work on nodes
    that never saw the client's files."""

    def __init__(self, spell: SpellSpec, bundle: SpellBundle):
        self._folder = tempfile.mkdtemp(prefix="llmspell-eval-spell-")
        self.row_runner = RowRunner(dataclasses.replace(spell, path=unpack(bundle, self._folder)), warm=1)

    def run(self, job: Job) -> dict[str, Any]:
        return self.row_runner.run(job)

    def close(self) -> None:
        self.row_runner.close()
        shutil.rmtree(self._folder, ignore_errors=True)
