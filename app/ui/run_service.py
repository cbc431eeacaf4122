"""The Qt side of running spells: owns the Runner (created off the UI thread after the window shows), adapts its
background-thread observer calls to batched UI-thread updates, and serves REPL sessions and syntax checks.

Nothing here blocks the UI thread on a worker: ``runner.start``/``cancel``/``check``/``repl`` and ``eval`` all run on
background threads, and observer events are queued and drained by one timer with a per-tick budget, so a spell that
floods output cannot starve the event loop."""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, Signal

from app.config import llm_settings
from app.engines.base import SpellFailure
from app.runs import ReplHandle, RunHandle, RunOptions, RunResult, RunStatus, SpellRunner

if TYPE_CHECKING:
    from app.debugger.session import DebugSession

log = logging.getLogger(__name__)

DRAIN_INTERVAL_MS = 25
TEXT_BUDGET_PER_TICK = 32 * 1024  # characters of output handed to the UI per tick (all runs together)
BACKLOG_LIMIT = 8 * 1024 * 1024  # past this many queued characters, older output is dropped with a note


class _Channel:
    """A thread-safe queue of observer events for one run or REPL session."""

    def __init__(self) -> None:
        self.items: deque[tuple[str, Any, Any]] = deque()
        self.lock = threading.Lock()
        self.backlog = 0
        self.dropped = 0
        self.tests: list[Any] = []  # test events (TestStarted / TestResult) taken from the queue, in order

    def put(self, kind: str, a: Any = None, b: Any = None) -> None:
        with self.lock:
            self.items.append((kind, a, b))
            if kind == "out":
                self.backlog += len(b)
                if self.backlog > BACKLOG_LIMIT:  # drop the oldest half of the queued output, keep the rest
                    keep: deque[tuple[str, Any, Any]] = deque()
                    for item in self.items:
                        if item[0] == "out" and self.backlog > BACKLOG_LIMIT // 2:
                            self.backlog -= len(item[2])
                            self.dropped += len(item[2])
                        else:
                            keep.append(item)
                    self.items = keep

    def take(self, budget: int) -> tuple[list[tuple[str, str]], list[dict], list[Any], int, int]:
        """Up to ``budget`` characters of output (merged by stream), spans (last per id), finish events."""
        out: list[tuple[str, str]] = []
        spans: dict[Any, dict] = {}
        fins: list[Any] = []
        used = 0
        with self.lock:
            dropped, self.dropped = self.dropped, 0
            while self.items and used < budget:
                kind, a, b = self.items[0]
                if kind == "out":
                    text = b
                    if used + len(text) > budget and used > 0:
                        break
                    if len(text) > budget:  # split a huge chunk
                        text, rest = text[:budget], text[budget:]
                        self.items[0] = ("out", a, rest)
                    else:
                        self.items.popleft()
                    self.backlog -= len(text)
                    used += len(text)
                    if out and out[-1][0] == a:
                        out[-1] = (a, out[-1][1] + text)
                    else:
                        out.append((a, text))
                elif kind == "test":
                    self.items.popleft()
                    self.tests.append(a)
                elif kind == "span":
                    self.items.popleft()
                    sid = a.get("id") if isinstance(a, dict) else id(a)
                    spans.pop(sid, None)
                    spans[sid] = a
                else:
                    self.items.popleft()
                    fins.append(a)
        return out, list(spans.values()), fins, used, dropped

    def take_tests(self) -> list[Any]:
        """The test events taken by :meth:`take` since the last call."""
        with self.lock:
            tests, self.tests = self.tests, []
        return tests

    def take_ordered(self, limit: int = 500) -> list[tuple[str, Any, Any]]:
        """Up to ``limit`` events in arrival order, consecutive output of one stream merged (for the REPL)."""
        out: list[tuple[str, Any, Any]] = []
        with self.lock:
            while self.items and len(out) < limit:
                kind, a, b = self.items.popleft()
                if kind == "out":
                    self.backlog -= len(b)
                    if out and out[-1][0] == "out" and out[-1][1] == a:
                        out[-1] = ("out", a, out[-1][2] + b)
                        continue
                out.append((kind, a, b))
        return out


class _Observer:
    """What the runner calls from its threads: only appends to a channel."""

    def __init__(self, channel: _Channel) -> None:
        self._ch = channel

    def on_output(self, stream: str, text: str) -> None:
        if text:
            self._ch.put("out", str(stream), str(text))

    def on_span(self, span: dict) -> None:
        self._ch.put("span", dict(span))

    def on_finished(self, result: RunResult) -> None:
        self._ch.put("fin", result)

    def on_test_started(self, msg: Any) -> None:
        self._ch.put("test", msg)

    def on_test_result(self, msg: Any) -> None:
        self._ch.put("test", msg)


class _ReplObserver(_Observer):
    """For REPL entries the result comes from ``eval``'s return value; a finish notification would repeat it."""

    def on_finished(self, result: RunResult) -> None:
        pass


@dataclass
class RunStats:
    tokens: int = 0
    cost: float = 0.0


class RunSession(QObject):
    """One run as the UI sees it. Signals arrive on the UI thread, batched."""

    output = Signal(object)  # [(stream, text), ...] (object: no conversion of big lists)
    spanUpdated = Signal(dict)
    finished = Signal(object)  # RunResult
    testEvent = Signal(object)  # a test run's TestStarted / TestResult (app.engines.protocol), before finished
    statsChanged = Signal()

    _ids = itertools.count(1)

    def __init__(
        self,
        path: str,
        language: str,
        parent: QObject | None = None,
        debug_session: DebugSession | None = None,
        origin: object | None = None,
    ) -> None:
        super().__init__(parent)
        self.number = next(self._ids)
        self.path = path
        self.display_path = path  # what the user calls it (an untitled buffer's name instead of its run path)
        self.language = language
        self.debug_session = debug_session  # the session of a debug run
        self.origin = origin  # what started the run (the IDE's editor page), for front ends
        self.channel = _Channel()
        self.observer = _Observer(self.channel)
        self.run: RunHandle | None = None
        self.result: RunResult | None = None
        self.started = time.monotonic()
        self.ended: float | None = None
        self.paused_s = 0.0  # time spent paused in the debugger
        self._paused_at: float | None = None
        self.cancel_requested = False
        self.spans: dict[Any, dict] = {}
        self.stats = RunStats()

    @property
    def done(self) -> bool:
        return self.result is not None

    @property
    def status(self) -> str:
        if self.result is None:
            return "stopping" if self.cancel_requested else "running"
        return str(self.result.status)

    def set_paused(self, paused: bool) -> None:
        """The debugger stopped (True) or resumed (False) this run: paused time does not count as run time."""
        now = time.monotonic()
        if paused and self._paused_at is None:
            self._paused_at = now
        elif not paused and self._paused_at is not None:
            self.paused_s += now - self._paused_at
            self._paused_at = None

    def elapsed(self) -> float:
        """Seconds the run has taken, not counting time paused in the debugger (the runner's own measure once it
        finished)."""
        paused = self.paused_s
        if self._paused_at is not None:
            paused += (self.ended or time.monotonic()) - self._paused_at
        if self.result is not None and self.result.duration_s > 0:
            return max(0.0, float(self.result.duration_s) - paused)
        return max(0.0, (self.ended or time.monotonic()) - self.started - paused)

    def cancel(self) -> None:
        """Stop the run (the runner stops it within a second, whatever it does). Never blocks the UI."""
        if self.done:
            return
        self.cancel_requested = True
        run = self.run
        if run is not None:
            threading.Thread(target=_safe_cancel, args=(run,), name="run-cancel", daemon=True).start()
        self.statsChanged.emit()

    def _deliver(self, out: list, spans: list, fins: list, dropped: int) -> None:
        if dropped:
            note = f"\n[… {dropped} characters of output skipped: the console could not keep up …]\n"
            out = [("warn", note)] + out
        if out:
            self.output.emit(out)
        changed = False
        for s in spans:
            self.spans[s.get("id", id(s))] = s
            self.spanUpdated.emit(s)
            changed = True
        if changed:
            self._recount()
        for r in fins:
            if self.result is not None:
                continue
            self.result = r
            self.ended = time.monotonic()
            st = r.stats or {}
            if isinstance(st, dict):
                tok = st.get("tokens")
                if isinstance(tok, dict):
                    tok = tok.get("total")
                if isinstance(tok, (int, float)):
                    self.stats.tokens = int(tok)
                if isinstance(st.get("cost"), (int, float)):
                    self.stats.cost = float(st["cost"])
            self.finished.emit(r)
            changed = True
        if changed:
            self.statsChanged.emit()

    def _recount(self) -> None:
        tokens, cost = 0, 0.0
        for s in self.spans.values():
            if s.get("kind", "llm") != "llm":
                continue
            t = s.get("tokens") or {}
            if isinstance(t, dict):
                tokens += int(t.get("total") or (t.get("prompt") or 0) + (t.get("completion") or 0))
            cost += float(s.get("cost") or 0)
        self.stats = RunStats(tokens, cost)


def _safe_cancel(run: RunHandle | ReplHandle) -> None:
    try:
        run.cancel()
    except Exception:
        log.exception("cancelling a run failed")


class ReplSession(QObject):
    """A persistent REPL runtime for one language; evaluations run one at a time on their own thread."""

    output = Signal(object)
    evaluated = Signal(object)  # RunResult
    ready = Signal()

    def __init__(self, service: RunService, language: str) -> None:
        super().__init__(service)
        self.service = service
        self.language = language
        self.channel = _Channel()
        self.observer = _ReplObserver(self.channel)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"repl-{language}")
        self._session: ReplHandle | None = None
        self._closed = False
        self.pending = 0  # entries submitted and not answered yet

    def _ensure(self) -> ReplHandle:
        if self._session is None:
            self._session = self.service.wait_runner().repl(self.language, self.service.repl_options())
        return self._session

    def evaluate(self, source: str) -> None:
        """Evaluate ``source`` in the background; ``output`` and then ``evaluated`` follow."""
        if self._closed:
            raise RuntimeError("REPL session closed")
        self.pending += 1

        def work() -> None:
            try:
                result = self._ensure().eval(source, self.observer)
            except Exception as e:
                log.exception("REPL evaluation failed")
                result = RunResult(RunStatus.CRASHED, failure=SpellFailure("internal", f"REPL failed: {e}"))
            self.channel.put("fin", result)

        self._pool.submit(work)

    def _deliver_ordered(self, events: list[tuple[str, Any, Any]]) -> None:
        for kind, a, b in events:
            if kind == "out":
                self.output.emit([(a, b)])
            elif kind == "fin":
                self.pending = max(0, self.pending - 1)
                self.evaluated.emit(a)

    def cancel(self) -> None:
        """Stop the entry being evaluated (the runner kills the session's worker; the next entry gets a fresh
        runtime). Never blocks the UI."""
        session = self._session
        if session is not None and self.pending:
            threading.Thread(target=_safe_cancel, args=(session,), name="repl-cancel", daemon=True).start()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        session, self._session = self._session, None

        def work() -> None:
            if session is not None:
                try:
                    session.close()
                except Exception:
                    log.exception("closing REPL session failed")

        self._pool.submit(work)
        self._pool.shutdown(wait=False)


class RunService(QObject):
    """Owns the Runner. ``runner_factory`` builds it (default: ``app.runner.Runner``), off the UI thread."""

    runnerReady = Signal()
    runnerFailed = Signal(str)
    runStarted = Signal(object)  # RunSession
    runFinished = Signal(object)  # RunSession

    def __init__(self, runner_factory: Callable[[], SpellRunner] | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._factory = runner_factory or _default_runner
        self.runner: SpellRunner | None = None
        self.error: str | None = None
        self._ready = threading.Event()
        self._starting = False
        self._starter = ThreadPoolExecutor(max_workers=2, thread_name_prefix="run-start")
        self.sessions: list[RunSession] = []
        self.repls: dict[str, ReplSession] = {}
        self._timer = QTimer(self)
        self._timer.setInterval(DRAIN_INTERVAL_MS)
        self._timer.timeout.connect(self._drain)
        self._ready_sig_sent = False
        self._shut = False

    # ------------------------------------------------------------------------------------------------- runner
    def start_runner(self) -> None:
        """Create the Runner in a background thread (it starts worker processes)."""
        if self._starting:
            return
        self._starting = True

        def work() -> None:
            try:
                self.runner = self._factory()
            except Exception as e:
                log.exception("cannot start the runner")
                self.error = f"{type(e).__name__}: {e}"
            self._ready.set()

        threading.Thread(target=work, name="runner-start", daemon=True).start()
        self._timer.start()

    def wait_runner(self, timeout: float = 60.0) -> SpellRunner:
        """The Runner, waiting for it to start (call from background threads only)."""
        if not self._starting:
            raise RuntimeError("runner not started")
        self._ready.wait(timeout)
        if self.runner is None:
            raise RuntimeError(self.error or "the runner did not start in time")
        return self.runner

    @property
    def ready(self) -> bool:
        return self._ready.is_set() and self.runner is not None

    def check_fn(self) -> Callable[[str, str, str], list] | None:
        """``runner.check`` as a plain function once the runner is ready (for the diagnostics service)."""
        runner = self.runner
        if not self.ready or runner is None:
            return None
        return lambda source, path, language: runner.check(source, path, language=language)

    # ------------------------------------------------------------------------------------------------- runs
    def start_run(
        self,
        path: str,
        source: str | None,
        options: dict[str, Any],
        language: str,
        debug_session: DebugSession | None = None,
        origin: object | None = None,
    ) -> RunSession:
        """Start a run with ``RunOptions(**options)`` (under the debugger when ``debug_session`` is given);
        returns its :class:`RunSession` at once."""
        self.start_runner()
        session = RunSession(path, language, self, debug_session, origin)
        self.sessions.append(session)
        self.runStarted.emit(session)

        def work() -> None:
            try:
                runner = self.wait_runner()
                run_options = RunOptions(**options)
                if debug_session is not None:
                    session.run = runner.debug(
                        path, debug_session, source=source, options=run_options, observer=session.observer
                    )
                else:
                    session.run = runner.start(path, source=source, options=run_options, observer=session.observer)
                if session.cancel_requested:
                    _safe_cancel(session.run)
            except Exception as e:
                log.exception("could not start the run")
                session.channel.put(
                    "fin", RunResult(RunStatus.CRASHED, failure=SpellFailure("internal", f"could not start: {e}"))
                )

        self._starter.submit(work)
        self._timer.start()
        return session

    def active(self) -> list[RunSession]:
        return [s for s in self.sessions if not s.done]

    def cancel_all(self) -> None:
        """Stop every run and any REPL evaluation in progress."""
        for s in self.active():
            s.cancel()
        for r in self.repls.values():
            r.cancel()

    def repl(self, language: str) -> ReplSession:
        """The REPL session for ``language`` (created on first use)."""
        self.start_runner()
        if language not in self.repls:
            self.repls[language] = ReplSession(self, language)
        self._timer.start()
        return self.repls[language]

    def repl_options(self) -> RunOptions | None:
        """RunOptions for new REPL sessions (profile, limits and default model from the settings)."""
        from app.ui.settings import SettingsStore

        st = SettingsStore.current
        if st is None:
            return None
        return RunOptions(**run_options_from_settings(st))

    def reset_repl(self, language: str) -> None:
        s = self.repls.pop(language, None)
        if s is not None:
            s.close()

    # ------------------------------------------------------------------------------------------------- drain
    def _drain(self) -> None:
        if self._ready.is_set() and not self._ready_sig_sent:
            self._ready_sig_sent = True
            if self.runner is not None:
                self.runnerReady.emit()
            else:
                self.runnerFailed.emit(self.error or "runner failed")
        budget = TEXT_BUDGET_PER_TICK
        for s in list(self.sessions):
            if s.done and not s.channel.items:
                continue
            out, spans, fins, used, dropped = s.channel.take(budget)
            budget = max(4096, budget - used)
            for event in s.channel.take_tests():
                s.testEvent.emit(event)
            if out or spans or fins or dropped:
                s._deliver(out, spans, fins, dropped)
                if fins:
                    self.runFinished.emit(s)
        for r in list(self.repls.values()):
            events = r.channel.take_ordered()
            if events:
                r._deliver_ordered(events)
        # keep the last 20 finished runs
        finished = [s for s in self.sessions if s.done and not s.channel.items]
        for s in finished[:-20]:
            self.sessions.remove(s)

    def shutdown(self, timeout: float = 3.0) -> None:
        """Stop runs and the runner's workers (bounded wait; called at exit; idempotent)."""
        if self._shut:
            return
        self._shut = True
        self._timer.stop()
        for s in self.active():
            if s.run is not None:
                _safe_cancel(s.run)
        for r in self.repls.values():
            r.close()
        runner = self.runner

        def work() -> None:
            if runner is not None:
                try:
                    runner.shutdown()
                except Exception:
                    log.exception("runner shutdown failed")

        t = threading.Thread(target=work, name="runner-shutdown", daemon=True)
        t.start()
        t.join(timeout)
        self._starter.shutdown(wait=False, cancel_futures=True)


def _default_runner() -> SpellRunner:
    from app.runner import Runner
    from app.ui import settings

    try:
        settings.export_to_environment(settings.SettingsStore.current)
    except Exception:
        log.exception("cannot read credentials")
    runner = Runner()
    threading.Thread(target=_prewarm_llm, name="llm-prewarm", daemon=True).start()
    return runner


#: set once litellm has been imported in the background (benchmarks wait for it)
PREWARMED = threading.Event()
PREWARM_DELAY_S = 1.5


def _prewarm_llm() -> None:
    """Import litellm in the background shortly after start-up, so the first LLM call does not pay for it.

    The import (seconds of Python and native code in this process) briefly competes with the UI thread for the
    GIL wherever it happens; doing it early, while the user is reading the window, keeps it out of runs."""
    time.sleep(PREWARM_DELAY_S)
    try:
        from app.bridges.litellm_support import get_litellm

        get_litellm()
    except Exception:
        log.debug("litellm prewarm failed", exc_info=True)
    finally:
        PREWARMED.set()


def run_options_from_settings(settings: Any) -> dict[str, Any]:
    """The ``RunOptions`` fields that come from the user's settings (:class:`app.ui.settings.Settings`): profile,
    limits (0 / too small: the profile's) and the model settings (default model, cache, aliases and budgets).
    The one place settings become run options."""
    return {
        "profile": settings.profile,
        "timeout_s": settings.timeout_s or None,
        "memory_mb": settings.memory_mb if settings.memory_mb >= 8 else None,
        "settings": llm_settings(settings),
    }


def format_seconds(s: float) -> str:
    """``0.02 s``, ``3.4 s``, ``2 min 05 s``."""
    if s < 10:
        return f"{s:.2f} s"
    if s < 120:
        return f"{s:.1f} s"
    return f"{int(s // 60)} min {int(s % 60):02d} s"
