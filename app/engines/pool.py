"""The engine pool: pre-warmed worker processes per language, handed out in O(1), replaced in the background.

Each worker is its own process in its own session, with a scrubbed environment (no provider keys), OS limits set
by the worker itself, and a host-side wall-clock kill. A worker is recycled after ``max_runs`` runs or when its
resident memory grows past ``max_rss_mb``; a killed or crashed one is replaced by a background thread.
"""

from __future__ import annotations

import collections
import concurrent.futures
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from typing import Any

from app.engines.protocol import ChannelClosed, Message, MessageReader, Ready, Shutdown, encode, write_all

log = logging.getLogger(__name__)

STARTUP_TIMEOUT_S = 60.0
MAX_FROM_WORKER = 64 * 1024 * 1024  # a bridge call's arguments, output batch or result: the host decodes them
_PROJECT_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def worker_command(language: str) -> list[str]:
    """How to start a worker: the bundle itself when frozen, else this interpreter with ``-m``."""
    if getattr(sys, "frozen", False):
        return [sys.executable, "--llmspell-worker", language]
    return [sys.executable, "-s", "-m", "app.engines.worker", language]


def worker_environment() -> dict[str, str]:
    """A scrubbed environment: nothing of the host's (no API keys, no tokens, no proxies)."""
    env = {
        "PATH": "/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "HOME": "/nonexistent",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONNOUSERSITE": "1",
        "PYTHONUNBUFFERED": "1",
        "MALLOC_ARENA_MAX": "2",
    }
    if not getattr(sys, "frozen", False):
        env["PYTHONPATH"] = _PROJECT_ROOT
    if os.environ.get("LLMSPELL_WORKER_LOG"):
        env["LLMSPELL_WORKER_LOG"] = os.environ["LLMSPELL_WORKER_LOG"]
    return env


class WorkerProcess:
    """The host's handle on one worker process."""

    def __init__(self, language: str):
        self.language = language
        self.started = time.monotonic()
        self.proc = subprocess.Popen(
            worker_command(language),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=worker_environment(),
            cwd="/",
            start_new_session=True,
            close_fds=True,
            bufsize=0,
        )
        self.pid = self.proc.pid
        assert self.proc.stdin and self.proc.stdout and self.proc.stderr
        self._write_fd = self.proc.stdin.fileno()
        self.reader = MessageReader(self.proc.stdout.fileno(), MAX_FROM_WORKER)
        self._write_lock = threading.Lock()
        self._stdin_closed = False
        self.runs = 0
        self.rss_kb = 0
        self.stderr_tail: collections.deque[str] = collections.deque(maxlen=40)
        self.killed_because: str | None = None
        threading.Thread(target=self._drain_stderr, name=f"worker-{self.pid}-stderr", daemon=True).start()

    def _drain_stderr(self) -> None:
        assert self.proc.stderr
        try:
            for raw in iter(self.proc.stderr.readline, b""):
                line = raw.decode("utf-8", "replace").rstrip()
                self.stderr_tail.append(line)
                log.debug("worker %s: %s", self.pid, line)
        except (OSError, ValueError):
            pass
        finally:
            self.proc.stderr.close()

    def wait_ready(self, timeout: float = STARTUP_TIMEOUT_S) -> None:
        msg = self.reader.read(timeout)
        if not isinstance(msg, Ready):
            self.kill("startup")
            tail = "\n".join(self.stderr_tail)
            raise RuntimeError(f"{self.language} worker did not start: {tail or msg!r}")

    def send(self, msg: Message) -> None:
        """Write ``msg`` to the worker (OSError once the worker is closed: never to a reused descriptor)."""
        data = encode(msg)
        with self._write_lock:
            if self._stdin_closed:
                raise BrokenPipeError(f"worker {self.pid} is closed")
            write_all(self._write_fd, data)

    def read(self, timeout: float | None = None) -> Message | None:
        return self.reader.read(timeout)

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None and self.killed_because is None

    def kill(self, reason: str) -> None:
        """Kill the worker and everything in its session, at once."""
        if self.killed_because is None:
            self.killed_because = reason
        if hasattr(os, "killpg"):  # POSIX: the worker's whole session
            try:
                os.killpg(self.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        try:
            self.proc.kill()
        except OSError:
            pass

    def reap(self, timeout: float = 2.0) -> int | None:
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def close(self) -> None:
        """Ask the worker to exit; kill it if it does not."""
        try:
            self.send(Shutdown())
        except OSError:
            pass
        if self.reap(1.0) is None:
            self.kill("shutdown")
            self.reap(1.0)
        # A closed descriptor's number is soon reused (another worker's pipe, a socket, a database file), and
        # threads of a run that ended may still hold this worker: sends check the flag under the write lock, reads
        # the reader's flag (nobody reads a worker once its run is over: the runner's sessions make sure).
        with self._write_lock:
            self._stdin_closed = True
            self.reader.close()
            for f in (self.proc.stdin, self.proc.stdout):
                try:
                    f and f.close()
                except OSError:
                    pass

    def exit_description(self) -> str:
        code = self.proc.poll()
        if code is None:
            return "still running"
        if code < 0:
            try:
                return f"killed by signal {signal.Signals(-code).name}"
            except ValueError:
                return f"killed by signal {-code}"
        return f"exited with status {code}"


class EnginePool:
    """Warm workers per language. ``acquire`` is O(1) when one is ready; a cold start happens only when none is."""

    def __init__(self, warm: dict[str, int] | None = None, max_runs: int = 100, max_rss_mb: int = 512):
        self.warm = dict(warm if warm is not None else {"lua": 1, "js": 1})
        self.max_runs = max_runs
        self.max_rss_kb = max_rss_mb * 1024
        self._ready: dict[str, collections.deque[WorkerProcess]] = collections.defaultdict(collections.deque)
        self._busy: set[WorkerProcess] = set()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._closed = False
        self.cold_starts = 0
        self.replaced = 0
        self._spawner_thread = threading.local()  # .on is True on the spawner's own threads
        self._spawner = concurrent.futures.ThreadPoolExecutor(
            max_workers=4, thread_name_prefix="worker-spawn", initializer=self._mark_spawner_thread
        )
        self._filler = threading.Thread(target=self._fill_loop, name="engine-pool", daemon=True)
        self._filler.start()
        self._wake.set()

    # background refill --------------------------------------------------------------------------------------
    def _fill_loop(self) -> None:
        while not self._closed:
            self._wake.wait()
            self._wake.clear()
            for language, want in list(self.warm.items()):
                while not self._closed:
                    with self._lock:
                        have = len(self._ready[language])
                    if have >= want:
                        break
                    try:
                        w = self._spawn(language)
                    except Exception:
                        log.exception("cannot start a %s worker", language)
                        time.sleep(1.0)
                        break
                    with self._lock:
                        if self._closed:
                            w.close()
                            return
                        self._ready[language].append(w)

    def _spawn(self, language: str) -> WorkerProcess:
        """Start a worker from a long-lived pool thread: Linux sends a worker's PDEATHSIG when the *thread*
        that forked it ends, so a worker forked by a short-lived run thread would die with that thread."""
        if threading.current_thread() is self._filler or getattr(self._spawner_thread, "on", False):
            return self._spawn_here(language)
        return self._spawner.submit(self._spawn_here, language).result()

    def _mark_spawner_thread(self) -> None:
        self._spawner_thread.on = True

    @staticmethod
    def _spawn_here(language: str) -> WorkerProcess:
        w = WorkerProcess(language)
        w.wait_ready()
        return w

    def prewarm(self, language: str, count: int = 1) -> None:
        """Keep at least ``count`` warm workers of ``language`` from now on."""
        self.warm[language] = max(self.warm.get(language, 0), count)
        self._wake.set()

    def wait_warm(self, timeout: float = 30.0) -> bool:
        """Block until every language has its warm workers (tests and benchmarks use this)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if all(len(self._ready[lang]) >= n for lang, n in self.warm.items()):
                    return True
            time.sleep(0.01)
        return False

    # leasing -------------------------------------------------------------------------------------------------
    def acquire(self, language: str) -> WorkerProcess:
        """A ready worker for ``language`` (starting one if none is warm)."""
        if self._closed:
            raise RuntimeError("the engine pool is shut down")
        while True:
            with self._lock:
                queue = self._ready[language]
                w = queue.popleft() if queue else None
            if w is None:
                break
            if w.alive:
                with self._lock:
                    self._busy.add(w)
                self._wake.set()
                return w
            w.close()  # died while idle: replace it
            self.replaced += 1
        self.cold_starts += 1
        self._wake.set()
        w = self._spawn(language)
        with self._lock:
            self._busy.add(w)
        return w

    def acquire_owned(self, language: str) -> WorkerProcess:
        """A worker that leaves the pool for good: the caller (a REPL session) keeps it and closes it itself."""
        w = self.acquire(language)
        with self._lock:
            self._busy.discard(w)
        return w

    def release(self, w: WorkerProcess, stats: dict[str, Any] | None = None) -> None:
        """Give a worker back after a run; recycle it if it served enough runs or grew too big."""
        stats = stats or {}
        w.runs = int(stats.get("runs", w.runs + 1))
        w.rss_kb = int(stats.get("rss_kb", w.rss_kb))
        with self._lock:
            self._busy.discard(w)
        if not w.alive or stats.get("exiting") or w.runs >= self.max_runs or w.rss_kb > self.max_rss_kb or self._closed:
            self.discard(w, "recycled")
            return
        with self._lock:
            # Keep up to twice what the pool is asked to keep warm (at least two): one run after another keeps
            # its worker plus the replacement started when it began (no churn), while after a burst of runs that
            # started cold workers the extra ones exit instead of idling on (tens of MB each).
            if len(self._ready[w.language]) < max(2, 2 * self.warm.get(w.language, 0)):
                self._ready[w.language].append(w)
                return
        self.discard(w, "surplus")

    def discard(self, w: WorkerProcess, reason: str = "discarded") -> None:
        """Retire a worker (killed, crashed or recycled); a replacement starts in the background."""
        with self._lock:
            self._busy.discard(w)
        if reason not in ("recycled", "surplus"):
            self.replaced += 1
        threading.Thread(target=w.close, name="worker-close", daemon=True).start()
        self._wake.set()

    def ready_count(self, language: str) -> int:
        with self._lock:
            return len(self._ready[language])

    def shutdown(self) -> None:
        self._closed = True
        self._spawner.shutdown(wait=False, cancel_futures=True)
        self._wake.set()
        with self._lock:
            workers = [w for q in self._ready.values() for w in q] + list(self._busy)
            self._ready.clear()
            self._busy.clear()
        for w in workers:
            w.close()


__all__ = ["EnginePool", "WorkerProcess", "ChannelClosed", "worker_command", "worker_environment"]
