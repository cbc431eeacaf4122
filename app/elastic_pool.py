"""A thread pool that never queues work behind busy threads and gives idle threads back.

The runner's bridge calls block for long (LLM I/O, callbacks into the spell) and some wait for each other (a reader
must always be found for a run whose calls wait on callbacks), so a bounded pool could deadlock. Threads start on
demand instead, are reused while busy periods last, and exit after ``idle_s`` seconds without work, so a burst
(a parallel workflow, many runs at once) leaves no hundreds of idle threads, each with its event loop and
descriptors, behind.
"""

from __future__ import annotations

import itertools
import logging
import queue
import threading
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)


class ElasticPool:
    """``submit(fn, *args)`` runs ``fn`` on an idle thread of the pool, or on a new one when none is idle."""

    def __init__(self, name: str, idle_s: float = 15.0):
        self.name = name
        self.idle_s = idle_s
        self._tasks: queue.SimpleQueue[tuple[Callable[..., Any], tuple[Any, ...]]] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._unclaimed = 0  # idle threads no submitted task is promised to (idle threads = this + queued tasks)
        self._threads = 0
        self._closed = False
        self._ids = itertools.count(1)

    @property
    def threads(self) -> int:
        """Threads alive now (busy or idle)."""
        with self._lock:
            return self._threads

    def submit(self, fn: Callable[..., Any], *args: Any) -> None:
        with self._lock:
            if self._closed:
                raise RuntimeError(f"the {self.name} pool is shut down")
            if self._unclaimed:
                self._unclaimed -= 1
                self._tasks.put((fn, args))
                return
            self._threads += 1
        threading.Thread(target=self._work, args=(fn, args), name=f"{self.name}-{next(self._ids)}", daemon=True).start()

    def shutdown(self) -> None:
        """Take no more work; idle threads exit as their idle time runs out."""
        with self._lock:
            self._closed = True

    def _work(self, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
        while True:
            try:
                fn(*args)
            except BaseException:
                log.exception("%s task failed", self.name)
            fn = args = None  # type: ignore[assignment]  # drop references while idle
            with self._lock:
                self._unclaimed += 1
            while True:
                try:
                    fn, args = self._tasks.get(timeout=self.idle_s)
                    break
                except queue.Empty:
                    with self._lock:
                        if self._unclaimed:  # nobody is handing us work: leave
                            self._unclaimed -= 1
                            self._threads -= 1
                            return
                    # a task was promised to an idle thread: it is on its way, wait for it
