"""The one way to run a spell: take a worker from the pool, send the request, serve bridge calls, collect output,
spans and the result. The IDE and the CLI both use :class:`Runner`.

Threads: the thread that runs :meth:`Runner.run` reads the worker's messages until the first bridge call that is
not ``@inline`` (quick ones are served right where they are read). From then on pool threads read and serve,
leader/follower style: the thread that reads a call serves it itself and then reads on, so the thread the worker
woke does the work, with no hand-off on the call's path. Another pool thread reads only while that is needed
(a callback's result, a debug run's replies). Calls may call back into the spell or run LLM I/O concurrently.
The run's own thread waits for the end and reads when nobody does, so a run stopped (or out of time) with a
call in flight reports at once. Observers are called from these background threads.
"""

from __future__ import annotations

import concurrent.futures
import itertools
import logging
import os
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from app.bridges import registry
from app.bridges.budget import HostBudget, budget_of
from app.bridges.errors import CODES, SpellError, internal_error
from app.bridges.registry import BridgeContext, BridgeHost, CallScope
from app.bridges.trace import Tracer
from app.elastic_pool import ElasticPool
from app.engines.base import Diagnostic, Frame, Limits, SpellFailure, language_for
from app.engines.pool import EnginePool, WorkerProcess
from app.engines.profiles import limits_for
from app.engines.protocol import (
    BridgeCall,
    BridgeResult,
    CallbackCall,
    CallbackResult,
    CancelCall,
    ChannelClosed,
    DebugCommand,
    DebugReply,
    MessageTooLarge,
    Output,
    Paused,
    RunFinished,
    RunRequest,
    TestResult,
    TestStarted,
)
from app.runs import EXIT_CODES, ReplHandle, RunHandle, RunObserver, RunOptions, RunResult, RunStatus, SpellRunner

__all__ = [
    "EXIT_CODES",
    "ReplHandle",
    "Run",
    "RunHandle",
    "RunObserver",
    "RunOptions",
    "RunResult",
    "RunStatus",
    "Runner",
    "SpellRunner",
    "prefetch_llm_support",
]

if TYPE_CHECKING:  # plain runs never import the debugger
    from app.debugger.session import DebugSession

log = logging.getLogger(__name__)


class _NullObserver:
    def on_output(self, stream: str, text: str) -> None:
        pass

    def on_span(self, span: dict[str, Any]) -> None:
        pass

    def on_finished(self, result: RunResult) -> None:
        pass


def _notify(observer: Any, name: str, *args: Any) -> None:
    fn = getattr(observer, name, None)
    if fn is None:
        return
    try:
        fn(*args)
    except Exception:
        log.exception("observer %s failed", name)


class Run:
    """One spell run in flight."""

    def __init__(self, run_id: str, observer: Any):
        self.run_id = run_id
        self.observer = observer
        self.result: RunResult | None = None
        self._done = threading.Event()
        self._cancel_requested = False
        self._lock = threading.Lock()
        self.worker: WorkerProcess | None = None
        self.ctx: BridgeContext | None = None
        self.debug: DebugSession | None = None  # the session of a debug run
        self._send: Callable[[DebugCommand], bool] | None = None  # the run session's guarded send
        self.children: list[Run] = []  # Spell.run child runs in flight (stopped with this run)

    @property
    def done(self) -> bool:
        return self._done.is_set()

    def cancel(self) -> None:
        """Stop the run now, whatever the spell is doing (its worker is killed and replaced)."""
        with self._lock:
            self._cancel_requested = True
            if self.ctx is not None:
                self.ctx.cancelled.set()
            if self.worker is not None and not self._done.is_set():
                self.worker.kill("cancelled")
            children = list(self.children)
        for child in children:
            child.cancel()

    def wait(self, timeout: float | None = None) -> RunResult | None:
        self._done.wait(timeout)
        return self.result

    def send_debug(self, command: DebugCommand) -> bool:
        """Send a debugger command to the run's worker through the run's guarded send: False once the run is
        over (its worker may be serving another run by then) or before it started."""
        send = self._send
        return send(command) if send is not None else False

    def _detach(self) -> None:
        """The run is over and its worker goes back to the pool: a late Stop must not kill it (nor the debugger
        talk to it) while it serves another run."""
        with self._lock:
            self.worker = None

    def _attach(self, worker: WorkerProcess, ctx: BridgeContext, send: Callable[[DebugCommand], bool]) -> None:
        with self._lock:
            self.worker = worker
            self.ctx = ctx
            self._send = send
            if self._cancel_requested:
                ctx.cancelled.set()
                worker.kill("cancelled")

    def _finish(self, result: RunResult) -> None:
        self.result = result
        if self.debug is not None:
            self.debug.on_finished(result)
        self._done.set()
        _notify(self.observer, "on_finished", result)


class Runner:
    """Runs spells through an engine pool; safe to share between threads."""

    def __init__(
        self, pool: EnginePool | None = None, settings: dict[str, Any] | None = None, warm: dict[str, int] | None = None
    ):
        self.pool = pool or EnginePool(warm=warm)
        self.settings = dict(settings or {})
        self._threads = ElasticPool("bridge")  # never queues a reader behind busy calls (see elastic_pool)
        registry.load_all()
        self._spec = registry.describe()
        self._test_spec = registry.describe(tests=True)
        self._owns_pool = pool is None

    # public API ---------------------------------------------------------------------------------------------
    def start(
        self, path: str, source: str | None = None, options: RunOptions | None = None, observer: Any = None
    ) -> Run:
        """Start a run on a background thread and return at once."""
        run = Run(uuid.uuid4().hex[:12], observer or _NullObserver())
        threading.Thread(
            target=self._execute,
            args=(run, path, source, options or RunOptions()),
            name=f"run-{run.run_id}",
            daemon=True,
        ).start()
        return run

    def debug(
        self,
        path: str,
        session: DebugSession,
        source: str | None = None,
        options: RunOptions | None = None,
        observer: Any = None,
    ) -> Run:
        """Start a run under the debugger, driven by ``session`` (its breakpoints, stops and commands)."""
        run = Run(uuid.uuid4().hex[:12], observer or _NullObserver())
        run.debug = session
        threading.Thread(
            target=self._execute,
            args=(run, path, source, options or RunOptions()),
            name=f"run-{run.run_id}",
            daemon=True,
        ).start()
        return run

    def run(
        self, path: str, source: str | None = None, options: RunOptions | None = None, observer: Any = None
    ) -> RunResult:
        """Run a spell to its end on the calling thread."""
        run = Run(uuid.uuid4().hex[:12], observer or _NullObserver())
        self._execute(run, path, source, options or RunOptions())
        assert run.result is not None
        return run.result

    def check(self, source: str, path: str, language: str | None = None) -> list[Diagnostic]:
        """Syntax errors of ``source``, found in a worker (never on the caller's thread's runtime)."""
        lang = language_for(path, language)
        worker = self.pool.acquire(lang)
        try:
            worker.send(RunRequest(uuid.uuid4().hex[:12], "check", lang, source, path, None))
            while True:
                msg = worker.read(30.0)
                if msg is None:
                    worker.kill("timeout")
                    self.pool.discard(worker, "timeout")
                    return []
                if isinstance(msg, RunFinished):
                    self.pool.release(worker, msg.stats)
                    return [Diagnostic(**d) for d in msg.diagnostics]
        except ChannelClosed:
            self.pool.discard(worker, "crashed")
            return []

    def repl(self, language: str, options: RunOptions | None = None) -> ReplSession:
        """A persistent REPL runtime (its own worker) with the bridges available."""
        return ReplSession(self, language, options or RunOptions())

    def shutdown(self) -> None:
        self._threads.shutdown()
        if self._owns_pool:
            self.pool.shutdown()

    # the run --------------------------------------------------------------------------------------------------
    def _execute(self, run: Run, path: str, source: str | None, options: RunOptions) -> None:
        started = time.perf_counter()
        try:
            lang = language_for(path, options.language)
            limits = limits_for(
                options.profile,
                options.timeout_s,
                options.memory_mb,
                options.output_bytes,
                options.http_allow,
                options.limit_overrides,
            )
            if source is None:
                with open(path, "rb") as f:
                    source = f.read().decode("utf-8")
        except (ValueError, OSError, UnicodeDecodeError) as e:
            run._finish(
                RunResult(
                    RunStatus.ERROR, failure=SpellFailure("usage", _usage_message(path, e), path), run_id=run.run_id
                )
            )
            return
        if options.test is None:  # tests mostly meet mocks: litellm is imported when a call reaches a model
            prefetch_llm_support(source)
        spell_dir = os.path.dirname(os.path.abspath(path)) if os.path.exists(path) else None
        debug = None
        if run.debug is None and options.debug is not None:
            from app.debugger.session import DebugSession

            run.debug = DebugSession.from_options(options.debug)
        if run.debug is not None:
            debug = run.debug.worker_config(path)
        test = dict(options.test) if options.test is not None else None
        req = RunRequest(
            run.run_id,
            "test" if test is not None else "run",
            lang,
            source,
            path,
            spell_dir,
            options.inputs,
            asdict(limits),
            self._test_spec if test is not None else self._spec,
            debug,
            test,
        )
        worker = self.pool.acquire(lang)
        result = _RunSession(self, run, worker, limits, options, path, spell_dir, lang).serve(req, started)
        run._finish(result)

    def _context(
        self, run: Run, path: str, spell_dir: str | None, lang: str, limits: Limits, options: RunOptions
    ) -> BridgeContext:
        settings = {**self.settings, **options.settings}
        ctx = BridgeContext(
            run_id=run.run_id,
            spell_path=path,
            spell_dir=spell_dir,
            workspace=options.workspace or spell_dir,
            language=lang,
            profile=options.profile,
            limits=limits,
            settings=settings,
            output=lambda stream, text: _notify(
                run.observer, "on_output", stream, text if text.endswith("\n") else text + "\n"
            ),
        )
        ctx.services["tracer"] = _make_tracer(run.observer, budget_of(ctx))
        ctx.services.update(options.services)
        if options.test is not None:
            from app.bridges.mock import MockRegistry
            from app.bridges.state import MemoryStateStore

            ctx.test_run = True
            ctx.services["mocks"] = MockRegistry()
            ctx.services["state"] = MemoryStateStore(ctx)  # tests never touch the user's persistent state
        return ctx


class _RunSession:
    """Serves one run's messages (reader side) and its bridge calls."""

    def __init__(
        self,
        runner: Runner,
        run: Run,
        worker: WorkerProcess,
        limits: Limits,
        options: RunOptions,
        path: str,
        spell_dir: str | None,
        lang: str,
        keep_worker: bool = False,
    ):
        self.runner = runner
        self.keep_worker = keep_worker  # a REPL session keeps its worker between entries
        self.run = run
        self.worker = worker
        self.limits = limits
        self.path = path
        self.ctx = runner._context(run, path, spell_dir, lang, limits, options)
        self.ctx.invoke_callback = self.invoke_callback
        if self.ctx.test_run:
            self.ctx.services["child_runs"] = self.run_child
        if run.debug is not None:
            run.debug.attach(run, self.ctx)
        self.bridges = BridgeHost(self.ctx)
        self.budget = budget_of(self.ctx)  # host-side budgets: going over one stops the worker
        self.budget.on_exceeded = lambda message: self.worker.kill("host_limit")
        worker.reader.max_elements = limits.message_elements
        self._pending: dict[int, concurrent.futures.Future[Any]] = {}
        self._concurrent: dict[int, CallScope] = {}  # a task's/promise's calls in flight, by call id
        self._concurrent_lock = threading.Lock()
        self._ids = itertools.count(1)
        self._dead = threading.Event()
        self._ended = threading.Event()  # set by the last reader: the run is over
        self._role_lock = threading.Lock()
        self._send_lock = threading.Lock()  # sends vs. the end of the run (see _send)
        self._reading = False  # a thread holds the reader role (see _take_reading)
        self._finished: RunFinished | None = None
        self._deadline = 0.0
        self.too_large = ""
        self._children = threading.BoundedSemaphore(MAX_CHILD_RUNS_AT_ONCE)  # Spell.run of a test, at once

    def serve(self, req: RunRequest, started: float) -> RunResult:
        run, worker = self.run, self.worker
        run._attach(worker, self.ctx, self._send)
        self._deadline = time.monotonic() + self.limits.timeout_s
        self._reading = True
        try:
            worker.send(req)
        except OSError:
            self._end_reading()
        else:
            self._reader(serve_here=False)
        self._watch()
        finished = self._finished if self.budget.exceeded is None else None  # over budget: the host stopped it
        duration = time.perf_counter() - started
        spans = _spans(self.ctx)
        stats = _span_stats(spans)
        if finished is not None:
            stats.update(finished.stats)
            run._detach()
            if not self.keep_worker:
                self.runner.pool.release(worker, finished.stats)
            elif finished.stats.get("exiting"):
                worker.close()
            if finished.ok:
                return RunResult(RunStatus.OK, finished.value, None, duration, stats, spans, run.run_id)
            if run._cancel_requested:  # the spell failed because it was stopped (a call said "cancelled")
                return RunResult(
                    RunStatus.CANCELLED,
                    None,
                    SpellFailure("cancelled", "stopped by the user", self.path),
                    duration,
                    stats,
                    spans,
                    run.run_id,
                )
            failure = SpellFailure.from_dict(finished.error or {"code": "internal", "message": "unknown error"})
            status = RunStatus.LIMIT if failure.code == "limit_exceeded" else RunStatus.ERROR
            return RunResult(status, None, failure, duration, stats, spans, run.run_id)
        # No RunFinished: the worker was killed (timeout, stop) or crashed.
        code = worker.reap(2.0)
        if self.keep_worker:
            threading.Thread(target=worker.close, daemon=True).start()
        else:
            self.runner.pool.discard(worker, worker.killed_because or "crashed")
        reason = worker.killed_because
        if reason == "timeout":
            failure = SpellFailure("limit_exceeded", f"time limit of {self.limits.timeout_s:g} s exceeded", self.path)
            return RunResult(RunStatus.LIMIT, None, failure, duration, {**stats, "limit": "time"}, spans, run.run_id)
        if reason == "host_limit":
            failure = SpellFailure(
                "limit_exceeded", self.budget.exceeded or "a host budget was exceeded", self.path, self.ctx.current_line
            )
            return RunResult(
                RunStatus.LIMIT,
                None,
                failure,
                duration,
                {**stats, "limit": self.budget.exceeded_name},
                spans,
                run.run_id,
            )
        if reason == "too_large":
            failure = SpellFailure(
                "limit_exceeded", f"the spell sent too much data at once: {self.too_large}", self.path
            )
            return RunResult(RunStatus.LIMIT, None, failure, duration, {**stats, "limit": "message"}, spans, run.run_id)
        if reason == "cancelled":
            return RunResult(
                RunStatus.CANCELLED,
                None,
                SpellFailure("cancelled", "stopped by the user", self.path),
                duration,
                stats,
                spans,
                run.run_id,
            )
        detail = worker.exit_description() if code is not None else "stopped answering"
        tail = [line for line in worker.stderr_tail if line.strip()][-3:]
        message = f"the worker running the spell crashed ({detail})"
        if tail:
            message += ": " + " | ".join(tail)
        return RunResult(
            RunStatus.CRASHED, None, SpellFailure("crashed", message, self.path), duration, stats, spans, run.run_id
        )

    # reading ---------------------------------------------------------------------------------------------------
    # At most one thread holds the reader role. A thread that reads a bridge call gives the role up and serves
    # the call itself, then reads on if nobody took the role meanwhile: the thread the worker's message woke does
    # the work, with no hand-off on the call's path (measured: benchmarks/bench_llm_overhead.py).
    # Someone else reads only while it is needed: while callbacks are pending (their results, and the calls of
    # other callbacks, e.g. a parallel workflow's steps, come meanwhile), in a debug run (replies),
    # or the end of a run that was stopped or ran out of time while a call was in flight (the run's own thread
    # watches for that, so a stopped run reports at once).
    def _take_reading(self) -> bool:
        with self._role_lock:
            if self._reading or self._ended.is_set():
                return False
            self._reading = True
            return True

    def _ensure_reader(self) -> None:
        if self._take_reading():
            try:
                self.runner._threads.submit(self._reader, True)
            except RuntimeError:  # the runner is shutting down: leave the reading to the run's own thread
                with self._role_lock:
                    self._reading = False
                raise SpellError("cancelled", "the runner is shutting down") from None

    def _watch(self) -> None:
        """The run's own thread, after the first call: wait for the end, reading when nobody does."""
        while not self._ended.wait(_WATCH_S):
            if self.worker.killed_because is not None or time.monotonic() >= self._deadline + self._paused_s():
                if self._take_reading():
                    self._reader(serve_here=False)

    def _reader(self, serve_here: bool, call: BridgeCall | None = None) -> None:
        """Hold the reader role (taken by the caller): read, and serve the calls read here or on a pool thread."""
        while True:
            if call is not None:
                self.serve_call(call)
                if not self._take_reading():
                    return
            call = self._read_until_call()
            if call is None:
                return
            if not serve_here:
                try:
                    self.runner._threads.submit(self._reader, True, call)
                    return
                except RuntimeError:  # the runner is shutting down: serve it here
                    serve_here = True

    def _read_until_call(self) -> BridgeCall | None:
        """Read messages until a bridge call to serve (the role is given up) or the end of the run (None)."""
        run, worker = self.run, self.worker
        try:
            while True:
                if worker.killed_because is None:
                    msg = worker.read(max(0.0, self._deadline + self._paused_s() - time.monotonic()))
                    if msg is None:
                        if self._deadline + self._paused_s() > time.monotonic():
                            continue  # stopped in the debugger: time spent stopped does not count
                        worker.kill("timeout")
                        continue
                else:
                    msg = worker.read(5.0)  # killed: drain what it wrote until the end of the stream
                    if msg is None:
                        break
                if isinstance(msg, Output):
                    if self.budget.add("output_bytes", len(msg.text.encode("utf-8", "replace"))):
                        _notify(run.observer, "on_output", msg.stream, msg.text)
                elif isinstance(msg, BridgeCall):
                    if worker.killed_because is not None:
                        continue  # draining a stopped worker: its calls get no answer
                    if msg.concurrent and not self._admit(msg):
                        continue
                    if self.bridges.is_inline(msg.target, msg.method):
                        self.serve_call(msg)
                        continue
                    if msg.concurrent:
                        # a task's call: the spell runs on and its next calls are likely in the pipe already,
                        # so the reader stays the reader and hands the call to a pool thread (a hand-off per
                        # call is cheaper than a chain of reader hand-offs, one per call)
                        try:
                            self.runner._threads.submit(self.serve_call, msg)
                            continue
                        except RuntimeError:  # the runner is shutting down: serve it the usual way
                            pass
                    with self._role_lock:
                        self._reading = False
                    if self._pending or run.debug is not None or msg.concurrent:
                        # Others wait for the worker (callback results; a parallel workflow's other steps
                        # send their calls meanwhile; a task's call leaves the spell running, so its next
                        # calls come while this one is served) or the debugger's replies may come: someone
                        # reads on.
                        self._ensure_reader()
                    return msg
                elif isinstance(msg, CancelCall):
                    with self._concurrent_lock:
                        scope = self._concurrent.get(msg.call_id)
                    if scope is not None:
                        scope.cancelled.set()
                elif isinstance(msg, CallbackResult):
                    fut = self._pending.pop(msg.call_id, None)
                    if fut is not None:
                        fut.set_result(msg)
                elif isinstance(msg, RunFinished):
                    self._finished = msg
                    break
                elif isinstance(msg, TestStarted):
                    if self.ctx.test_run:
                        from app.bridges.mock import begin_test

                        begin_test(self.ctx)
                    _notify(run.observer, "on_test_started", msg)
                elif isinstance(msg, TestResult):
                    _notify(run.observer, "on_test_result", msg)
                elif isinstance(msg, Paused):
                    if run.debug is not None:
                        run.debug.on_paused(msg)
                    _notify(run.observer, "on_paused", msg)
                elif isinstance(msg, DebugReply) and run.debug is not None:
                    run.debug.on_reply(msg)
        except MessageTooLarge as e:
            worker.kill("too_large")
            self.too_large = str(e)
        except (ChannelClosed, OSError):
            pass
        except BaseException:
            log.exception("reading the worker's messages failed")
            worker.kill("crashed")
        self._end_reading()
        return None

    def _end_reading(self) -> None:
        with self._send_lock, self._role_lock:  # from now on nothing is sent to the worker, nobody reads it
            self._dead.set()
            self._ended.set()
        if self._finished is None:
            self.ctx.cancelled.set()
        with self._concurrent_lock:  # tasks' calls still in flight when the run ended: nobody will read them
            abandoned = list(self._concurrent.values())
        for scope in abandoned:
            scope.cancelled.set()
        for fut in list(self._pending.values()):
            if not fut.done():
                fut.set_exception(SpellError("cancelled", "the run ended"))

    def _send(self, msg: BridgeResult | CallbackCall | DebugCommand) -> bool:
        """Send to the worker unless the run is over: its worker may be serving another run by then, and a late
        answer (a parallel step still in flight when the spell failed) must never reach that run. False when
        not sent."""
        with self._send_lock:
            if self._ended.is_set():
                return False
            self.worker.send(msg)
            return True

    def _paused_s(self) -> float:
        return self.run.debug.paused_seconds() if self.run.debug is not None else 0.0

    # bridge calls ---------------------------------------------------------------------------------------------
    def _admit(self, msg: BridgeCall) -> bool:
        """Register a task's call (so a CancelCall finds it); refuse it past the run's cap. The worker keeps to
        the cap itself (further calls wait there), so a refusal means a worker that does not."""
        with self._concurrent_lock:
            if len(self._concurrent) >= max(1, self.limits.max_concurrent_calls):
                admitted = False
            else:
                self._concurrent[msg.call_id] = CallScope(msg.line, cancellable=msg.abortable)
                admitted = True
        if not admitted:
            self._send(
                BridgeResult(
                    msg.call_id,
                    error={
                        "code": "limit_exceeded",
                        "message": f"more than {self.limits.max_concurrent_calls} bridge calls in flight at once",
                    },
                )
            )
        return admitted

    def serve_call(self, msg: BridgeCall) -> None:
        scope = None
        if msg.concurrent:
            with self._concurrent_lock:
                scope = self._concurrent.get(msg.call_id)
        scope = scope or CallScope(msg.line)
        try:
            with self.ctx.serving(scope):
                value = self.bridges.call(msg.target, msg.method, msg.args, msg.opts, msg.line)
            reply = BridgeResult(msg.call_id, value=value)
        except SpellError as e:
            reply = BridgeResult(msg.call_id, error=e.to_dict())
        except Exception:  # a host bug: its text may quote host data, so the spell gets only our message
            log.exception("bridge %s.%s failed", msg.target, msg.method)
            reply = BridgeResult(msg.call_id, error=internal_error(msg.target, msg.method))
        if msg.concurrent:  # the slot is free before the worker hears of it (it may send the next call at once)
            with self._concurrent_lock:
                self._concurrent.pop(msg.call_id, None)
        try:
            self._send(reply)
        except OSError:
            pass  # the worker is gone; the reader reports how

    def run_child(self, path: str, inputs: Any, timeout_s: float | None, model: str | None) -> dict[str, Any]:
        """``Spell.run`` of a test: a child run on the same pool in a fresh sandbox, with this run's mocks,
        State, cassette and limits, within the time this run has left. Its spans reach this run's observer (the
        IDE's trace panel) as they happen."""
        from app.bridges.calls import calls_from_spans
        from app.bridges.llm_client import client_of
        from app.bridges.mock import registry_of

        left = self._deadline + self._paused_s() - time.monotonic() - 0.05
        if left <= 0:
            raise SpellError("limit_exceeded", "Spell.run: the test has no time left")
        settings = dict(self.ctx.settings)
        if model:
            settings["default_model"] = model
        services: dict[str, Any] = {k: self.ctx.services[k] for k in ("mocks", "state") if k in self.ctx.services}
        cassette = client_of(self.ctx).cassette()
        if cassette is not None:
            services["cassette"] = cassette
        options = RunOptions(
            inputs=inputs,
            profile=self.ctx.profile,
            timeout_s=min(timeout_s or left, left),
            memory_mb=self.limits.memory_mb,
            output_bytes=self.limits.output_bytes,
            settings=settings,
            workspace=self.ctx.workspace,
            http_allow=self.limits.http_allow,
            services=services,
        )
        child_id = uuid.uuid4().hex[:12]
        collector = _ChildObserver(self.run.observer, f"{child_id}:")
        child = Run(child_id, collector)
        # a test starting spells from parallel workflow steps holds a worker and a host thread per child: bounded
        if not self._children.acquire(timeout=left):
            raise SpellError("limit_exceeded", "Spell.run: the test has no time left")
        try:
            with self.run._lock:
                if self.run._cancel_requested:
                    raise SpellError("cancelled", "the test was stopped")
                self.run.children.append(child)
            try:
                self.runner._execute(child, path, None, options)
            finally:
                with self.run._lock:
                    self.run.children.remove(child)
        finally:
            self._children.release()
        result = child.result
        assert result is not None
        calls = calls_from_spans(result.spans)
        mocks = registry_of(self.ctx)
        if mocks is not None:
            mocks.add_child_calls(calls)
        error = None
        if not result.ok:
            f = result.failure
            error = {
                "code": f.code if f else result.status,
                "message": f.message if f else result.status,
                "file": f.file if f else None,
                "line": f.line if f else None,
            }
        return {"result": result.value, "output": collector.text(), "error": error, "calls": calls}

    def invoke_callback(self, callback_id: int, args: list[Any]) -> Any:
        """Run a script function in the worker, nested inside the pending bridge call.

        No lock: the worker is single-threaded and serves each CallbackCall whenever it waits for a bridge
        result, nesting them on its own stack; results are matched by id. So callbacks from several host
        threads (a parallel workflow) interleave their LLM I/O while their script code runs one at a time."""
        if self._dead.is_set() or self.ctx.cancelled.is_set():
            raise SpellError("cancelled", "the run was stopped")
        call_id = next(self._ids)
        fut: concurrent.futures.Future[Any] = concurrent.futures.Future()
        self._pending[call_id] = fut
        if self._ended.is_set():  # ended between the check above and now: nobody would answer
            self._pending.pop(call_id, None)
            raise SpellError("cancelled", "the run ended")
        self._ensure_reader()  # someone must read the result while this thread waits for it
        try:
            if not self._send(CallbackCall(call_id, callback_id, self.bridges.to_spell(args))):
                raise OSError("the run ended")
        except OSError:
            self._pending.pop(call_id, None)
            raise SpellError("cancelled", "the run ended") from None
        try:
            msg: CallbackResult = fut.result()
        except concurrent.futures.CancelledError:
            raise SpellError("cancelled", "the run ended") from None
        if msg.error:
            code = msg.error.get("code") or "tool_failed"
            err = SpellError(code if code in _CODES else "tool_failed", msg.error.get("message", ""))
            err.traceback = [Frame(**f) for f in msg.error.get("traceback") or []]  # type: ignore[attr-defined]
            raise err
        return self.bridges.to_host(msg.value)


class _ChildObserver:
    """Collects a Spell.run child's output (bounded by the child's own output limit) and passes its spans on
    to the test run's observer."""

    def __init__(self, parent: Any, prefix: str):
        self.parent = parent
        self.prefix = prefix
        self.parts: list[str] = []
        self.lock = threading.Lock()

    def on_output(self, stream: str, text: str) -> None:
        if stream not in ("stdout", "stderr"):  # what it printed (print, console.log), not its Log lines
            return
        with self.lock:
            self.parts.append(text)

    def on_span(self, span: dict[str, Any]) -> None:
        # span ids are per tracer: the child's get its run's prefix, so they never collide with the test's own
        # or another child's in the test run's trace
        prefix = self.prefix
        _notify(
            self.parent,
            "on_span",
            {
                **span,
                "id": f"{prefix}{span.get('id')}",
                "parent": f"{prefix}{span['parent']}" if span.get("parent") else None,
            },
        )

    def on_finished(self, result: RunResult) -> None:
        pass

    def text(self) -> str:
        with self.lock:
            return "".join(self.parts)


class ReplSession:
    """A REPL: one worker kept for the session, one runtime that persists between entries."""

    def __init__(self, runner: Runner, language: str, options: RunOptions):
        self.runner = runner
        self.language = language_for("", language)
        self.options = options
        self.worker: WorkerProcess | None = None
        self._lock = threading.Lock()

    def eval(self, source: str, observer: Any = None) -> RunResult:
        """Evaluate one entry (an expression's value is the result)."""
        with self._lock:
            if self.worker is None or not self.worker.alive:
                self.worker = self.runner.pool.acquire_owned(self.language)  # owned by this session
            run = Run(uuid.uuid4().hex[:12], observer or _NullObserver())
            limits = limits_for(self.options.profile, self.options.timeout_s, self.options.memory_mb)
            session = _RunSession(
                self.runner, run, self.worker, limits, self.options, "<repl>", None, self.language, keep_worker=True
            )
            req = RunRequest(
                run.run_id, "repl", self.language, source, "<repl>", None, None, asdict(limits), self.runner._spec
            )
            result = session.serve(req, time.perf_counter())
            if not self.worker.alive or result.stats.get("exiting"):
                self.worker = None
            run._finish(result)
            return result

    def cancel(self) -> None:
        w = self.worker
        if w is not None:
            w.kill("cancelled")

    def close(self) -> None:
        with self._lock:
            if self.worker is not None:
                self.worker.close()
                self.worker = None


_CODES = set(CODES)
MAX_CHILD_RUNS_AT_ONCE = 4  # Spell.run child runs of one test run in flight together
_WATCH_S = 0.1  # how often a run's own thread looks for a stop or a timeout while a call is in flight


_LLM_WORDS = re.compile(r"\b(LLM|Agent|Model|Workflow)\s*[.:]")
_prefetch_started = threading.Event()


def prefetch_llm_support(source: str = "", force: bool = False) -> None:
    """Start importing litellm on a background thread (it takes seconds) when a spell is about to need it,
    so the import overlaps the worker start and the spell's first instructions. The IDE calls this with
    ``force=True`` once its window is up."""
    if _prefetch_started.is_set() or not (force or _LLM_WORDS.search(source)):
        return
    _prefetch_started.set()

    def load() -> None:
        try:
            from app.bridges.litellm_support import get_litellm

            get_litellm()
        except Exception:  # the first real call reports the problem in the spell's terms
            log.debug("litellm prefetch failed", exc_info=True)

    threading.Thread(target=load, name="litellm-prefetch", daemon=True).start()


def _usage_message(path: str, e: Exception) -> str:
    if isinstance(e, FileNotFoundError):
        return f"{path}: no such file"
    if isinstance(e, IsADirectoryError):
        return f"{path}: is a folder, not a spell"
    if isinstance(e, UnicodeDecodeError):
        return f"{path}: not UTF-8 text ({e.reason} at byte {e.start})"
    if isinstance(e, OSError):
        return f"{path}: {e.strerror or e}"
    return str(e)


def _make_tracer(observer: Any, budget: HostBudget | None = None) -> Tracer:
    on_span = None if isinstance(observer, _NullObserver) else getattr(observer, "on_span", None)
    return Tracer(on_span=on_span, budget=budget)


def _spans(ctx: BridgeContext) -> list[dict[str, Any]]:
    tracer = ctx.services.get("tracer")
    if tracer is None or not hasattr(tracer, "spans"):
        return []
    try:
        return list(tracer.spans())
    except Exception:
        log.exception("cannot read spans")
        return []


def _span_stats(spans: list[dict[str, Any]]) -> dict[str, Any]:
    tokens = 0
    cost = 0.0
    for s in spans:
        if s.get("kind") == "llm":
            tokens += int((s.get("tokens") or {}).get("total") or 0)
            cost += float(s.get("cost") or 0.0)
    llm = [s for s in spans if s.get("kind") == "llm"]
    cached = sum(1 for s in llm if isinstance(s.get("response"), dict) and s["response"].get("cached"))
    return {"tokens": tokens, "cost": cost, "llm_calls": len(llm), "cache_hits": cached}
