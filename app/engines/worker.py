"""The worker process: one language, pre-warmed, running one spell at a time in a fresh runtime.

Started by the pool as ``python -m app.engines.worker LANG`` (or ``<bundle> --llmspell-worker LANG`` when frozen).
Talks to the host over its standard input/output with length-prefixed messages (``protocol.py``); anything else
written to fd 1 lands on standard error. Knows nothing of Qt, litellm or the bridges' Python code.
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any

from app import languages
from app.engines.base import BridgeFault, BridgeSpec, Engine, LimitExceeded, Limits, SpellError, SpellFailure
from app.engines.protocol import (
    BridgeCall,
    BridgeResult,
    CallbackCall,
    CallbackResult,
    CancelCall,
    DebugCommand,
    MessageReader,
    Output,
    Ready,
    RunFinished,
    RunRequest,
    Shutdown,
    TestResult,
    TestStarted,
    encode,
    write_all,
)

try:  # POSIX only: on other systems the host's wall clock and the engines' own limits remain
    import resource
except ImportError:  # pragma: no cover - Windows
    resource = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

ADDRESS_SPACE_MB = 4096  # OS backstop for the whole worker; per-run limits are tighter (engine limits)
FLUSH_INTERVAL_S = 0.02  # output is batched: at most this long in the buffer
FLUSH_BYTES = 32 * 1024
MAX_MODULE_BYTES = 4 * 1024 * 1024
MAX_NESTED_CALLS = 16  # a callback calling a bridge that calls back...: each level holds a host thread
MAX_QUEUED_CALLS = 10_000  # a run's task calls waiting for a slot (their arguments live in the worker's memory,
# outside the spell's memory limit)


def load_engine(language: str) -> Engine:
    """Import the engine for ``language`` (this is the warm-up: imports happen before the first run)."""
    lang = languages.find(language)
    if lang is None:
        raise ValueError(f"unknown language {language!r}")
    engine: Engine = lang.load_engine()
    return engine


class Channel:
    """The worker's end of the pipes: thread-safe sends, blocking reads."""

    def __init__(self, in_fd: int, out_fd: int):
        self.reader = MessageReader(in_fd)
        self.out_fd = out_fd
        self.lock = threading.Lock()

    def send(self, msg: Any) -> None:
        data = encode(msg)
        with self.lock:
            write_all(self.out_fd, data)

    def read(self, timeout: float | None = None) -> Any:
        return self.reader.read(timeout)


class OutputBuffer:
    """Batches printed text so a flood of prints costs few messages; flushed at most every 20 ms.

    The flusher thread sleeps until there is something to flush: an idle worker never wakes up."""

    def __init__(self, channel: Channel):
        self.channel = channel
        self.lock = threading.Lock()
        self.parts: list[tuple[str, str]] = []
        self.size = 0
        self.last_flush = 0.0
        self.run_id = ""
        self._pending = threading.Event()  # text is waiting for the flusher

    def write(self, stream: str, text: str) -> None:
        with self.lock:
            if self.parts and self.parts[-1][0] == stream:
                self.parts[-1] = (stream, self.parts[-1][1] + text)
            else:
                self.parts.append((stream, text))
            self.size += len(text)
            if self.size >= FLUSH_BYTES or time.monotonic() - self.last_flush >= FLUSH_INTERVAL_S:
                self._flush_locked()
            elif not self._pending.is_set():
                self._pending.set()

    def flush(self) -> None:
        with self.lock:
            self._flush_locked()

    def _flush_locked(self) -> None:
        for stream, text in self.parts:
            self.channel.send(Output(self.run_id, stream, text))
        self.parts.clear()
        self.size = 0
        self.last_flush = time.monotonic()

    def run_flusher(self) -> None:
        while True:
            self._pending.wait()
            time.sleep(FLUSH_INTERVAL_S)
            with self.lock:
                self._pending.clear()
                try:
                    self._flush_locked()
                except OSError:
                    return


class WorkerHost:
    """The :class:`~app.engines.base.EngineHost` of one run inside this worker."""

    def __init__(self, worker: Worker, request: RunRequest):
        self.worker = worker
        self.request = request
        self.spell_path = request.path
        self.spell_dir = request.spell_dir
        known = {k: v for k, v in request.limits.items() if k in Limits.__dataclass_fields__}
        if "http_allow" in known:
            known["http_allow"] = tuple(known["http_allow"])
        self.limits = Limits(**known)
        self.bridges = BridgeSpec(request.bridges.get("globals", {}), request.bridges.get("types", {}))
        self.output_bytes = 0
        self.callbacks: Mapping[int, Callable[..., Any]] = {}
        self.call_seq = 0
        self.depth = 0
        self.results: dict[int, BridgeResult] = {}  # answers that arrived while a nested call was waiting
        # Concurrent calls (tasks, promises): sent without waiting; their answers are collected by wait_any.
        self.max_concurrent = max(1, int(self.limits.max_concurrent_calls))
        self.in_flight: set[int] = set()  # sent, not answered (a cancelled one holds its slot till then)
        self.queued: deque[BridgeCall] = deque()  # over the cap: sent when a slot frees
        self.abandoned: set[int] = set()  # cancelled by the spell: their answers are dropped
        self.answered: deque[BridgeResult] = deque()  # concurrent answers read while something else waited

    def output(self, stream: str, text: str) -> None:
        if stream == "stdout" and not text.endswith("\n"):
            text += "\n"
        self.output_bytes += len(text.encode("utf-8", "replace"))
        if self.output_bytes > self.limits.output_bytes:
            self.worker.finish_limit(
                self.request, LimitExceeded("output", f"output limit of {self.limits.output_bytes} bytes exceeded")
            )
        self.worker.out.write(stream, text)

    def bridge_call(
        self,
        target: str | int,
        method: str,
        args: list[Any],
        opts: dict[str, Any] | None,
        line: int | None,
        callbacks: Mapping[int, Callable[..., Any]],
    ) -> Any:
        # Unbounded nesting would hold one host bridge thread per level (shared by every run) until the time limit.
        if self.depth >= MAX_NESTED_CALLS:
            raise BridgeFault(
                "limit_exceeded",
                f"bridge calls nested more than {MAX_NESTED_CALLS} deep "
                "(a callback calling a bridge that calls it back...)",
            )
        self.depth += 1
        try:
            return self._bridge_call(target, method, args, opts, line, callbacks)
        finally:
            self.depth -= 1

    def _bridge_call(
        self,
        target: str | int,
        method: str,
        args: list[Any],
        opts: dict[str, Any] | None,
        line: int | None,
        callbacks: Mapping[int, Callable[..., Any]],
    ) -> Any:
        self.callbacks = callbacks
        self.worker.out.flush()
        self.call_seq += 1
        call_id = self.call_seq
        self.worker.channel.send(BridgeCall(call_id, target, method, args, opts, line))
        while True:
            msg = self.results.pop(call_id, None) or self.worker.channel.read()
            if isinstance(msg, BridgeResult):
                if msg.call_id in self.in_flight:  # a task's call: wait_any hands it out later
                    self._concurrent_answered(msg)
                    continue
                if msg.call_id != call_id:  # the answer to an outer call, which waits below us on the stack
                    self.results[msg.call_id] = msg
                    continue
                if msg.error:
                    raise BridgeFault(
                        msg.error.get("code", "internal"),
                        msg.error.get("message", ""),
                        bool(msg.error.get("retryable")),
                    )
                return msg.value
            self._serve_while_waiting(msg)

    def _serve_while_waiting(self, msg: Any) -> None:
        """A message other than a bridge result, read while a call waits: the host's callbacks and debug
        commands are served here (nested on this stack)."""
        if isinstance(msg, CallbackCall):
            self.serve_callback(msg)
        elif isinstance(msg, Shutdown):
            os._exit(0)
        elif isinstance(msg, DebugCommand):
            self.worker.debug_command(msg)
        else:
            log.warning("unexpected message while waiting for a bridge result: %s", msg.type)

    # concurrent calls (tasks and promises) -------------------------------------------------------------------
    def send_call(
        self,
        target: str | int,
        method: str,
        args: list[Any],
        opts: dict[str, Any] | None,
        line: int | None,
        callbacks: Mapping[int, Callable[..., Any]],
        abortable: bool = False,
    ) -> int:
        """Start a bridge call without waiting for it; its answer comes from :meth:`wait_any` under the returned
        id. Past the run's cap the call waits here, unsent, until an earlier one is answered. ``abortable``: the
        spell is likely to cancel it (a race, a timeout, a signal), so the host keeps its request closable."""
        self.callbacks = callbacks
        self.worker.out.flush()
        self.call_seq += 1
        call = BridgeCall(self.call_seq, target, method, args, opts, line, concurrent=True, abortable=abortable)
        if len(self.in_flight) < self.max_concurrent:
            self.in_flight.add(call.call_id)
            self.worker.channel.send(call)
        elif len(self.queued) >= MAX_QUEUED_CALLS:
            raise BridgeFault(
                "limit_exceeded",
                f"more than {MAX_QUEUED_CALLS} bridge calls waiting for a slot "
                f"(at most {self.max_concurrent} run at once)",
            )
        else:
            self.queued.append(call)
        return call.call_id

    def cancel_call(self, call_id: int) -> None:
        """Abandon a call started with :meth:`send_call`: an unsent one is dropped, a sent one is cancelled on
        the host (which still answers it; the answer is dropped here)."""
        for call in self.queued:
            if call.call_id == call_id:
                self.queued.remove(call)
                return
        if call_id in self.in_flight and call_id not in self.abandoned:
            self.abandoned.add(call_id)
            self.worker.channel.send(CancelCall(call_id))

    def pending_calls(self) -> int:
        """Calls started with :meth:`send_call` whose answer the spell still waits for."""
        return len(self.in_flight) - len(self.abandoned) + len(self.queued) + len(self.answered)

    def wait_any(self, timeout: float | None) -> BridgeResult | None:
        """The next answer to a call started with :meth:`send_call` (serving callbacks and debug commands
        meanwhile); None when ``timeout`` seconds pass first (a task's sleep), or at once when no timeout is given
        and no such call is pending."""
        deadline = None if timeout is None else time.monotonic() + max(0.0, timeout)
        self.worker.out.flush()
        while not self.answered:
            if not self.in_flight and deadline is None:
                return None  # nothing could ever answer
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                return None
            msg = self.worker.channel.read(left)
            if msg is None:
                return None
            if isinstance(msg, BridgeResult):
                if msg.call_id in self.in_flight:
                    self._concurrent_answered(msg)
                else:  # a sync call's answer (a callback's nested call lower on the stack waits for it)
                    self.results[msg.call_id] = msg
            else:
                self._serve_while_waiting(msg)
        return self.answered.popleft()

    def _concurrent_answered(self, msg: BridgeResult) -> None:
        self.in_flight.discard(msg.call_id)
        if self.queued:
            call = self.queued.popleft()
            self.in_flight.add(call.call_id)
            self.worker.channel.send(call)
        if msg.call_id in self.abandoned:
            self.abandoned.discard(msg.call_id)
        else:
            self.answered.append(msg)

    def serve_callback(self, msg: CallbackCall) -> None:
        fn = self.callbacks.get(msg.callback_id)
        if fn is None:
            self.worker.channel.send(
                CallbackResult(
                    msg.call_id,
                    error={"code": "invalid_argument", "message": f"script function #{msg.callback_id} is gone"},
                )
            )
            return
        try:
            value = fn(*msg.args)
        except BridgeFault as f:
            frames = [vars(fr) for fr in f.frames]
            message = f.message
            if frames and not message.startswith(f"{frames[0]['file']}:"):
                message = f"{frames[0]['file']}:{frames[0]['line']}: {message}"
            self.worker.out.flush()
            self.worker.channel.send(
                CallbackResult(
                    msg.call_id,
                    error={"code": f.code, "message": message, "retryable": f.retryable, "traceback": frames},
                )
            )
            return
        except LimitExceeded as e:
            self.worker.finish_limit(self.request, e)
            return
        except SpellError as e:
            self.worker.out.flush()
            self.worker.channel.send(
                CallbackResult(msg.call_id, error={"code": "tool_failed", "message": str(e.failure)})
            )
            return
        except Exception as e:  # an engine bug: answer the host anyway, it is waiting for this call
            log.exception("callback failed inside the worker")
            self.worker.out.flush()
            self.worker.channel.send(
                CallbackResult(
                    msg.call_id,
                    error={"code": "internal", "message": f"internal engine error in a callback: {type(e).__name__}"},
                )
            )
            return
        self.worker.out.flush()
        self.worker.channel.send(CallbackResult(msg.call_id, value=value))

    def test_event(self, kind: str, data: dict[str, Any]) -> None:
        self.worker.out.flush()  # a test's output comes before its result
        run_id = self.request.run_id
        if kind == "started":
            self.worker.channel.send(TestStarted(run_id, int(data["test_id"]), str(data["name"]), data.get("line")))
            return
        fields = {k: v for k, v in data.items() if k in TestResult.__dataclass_fields__ and k != "run_id"}
        self.worker.channel.send(TestResult(run_id, **fields))

    def read_module(self, name: str) -> tuple[str, str]:
        if not self.spell_dir:
            raise BridgeFault("module_not_found", f"cannot require {name!r}: this spell has no folder")
        try:
            candidates = languages.get(self.request.language).module_candidates(name)
        except languages.ModuleNameError as e:
            raise BridgeFault("invalid_argument", str(e)) from None
        root = os.path.realpath(self.spell_dir)
        for rel in candidates:
            path = os.path.realpath(os.path.join(root, rel))
            if os.path.commonpath([root, path]) != root:
                raise BridgeFault("permission_denied", f"module {name!r} is outside the spell's folder")
            if os.path.isfile(path):
                if os.path.getsize(path) > MAX_MODULE_BYTES:
                    raise BridgeFault("invalid_argument", f"module {name!r} is larger than 4 MB")
                with open(path, "rb") as f:
                    data = f.read()
                try:
                    return path, data.decode("utf-8")
                except UnicodeDecodeError:
                    raise BridgeFault("invalid_argument", f"module {name!r} is not UTF-8 text") from None
        raise BridgeFault("module_not_found", f"module {name!r} not found in {self.spell_dir}")


class Worker:
    """The main loop: wait for a request, run it, report, repeat."""

    def __init__(self, language: str, channel: Channel):
        self.language = language
        self.channel = channel
        self.out = OutputBuffer(channel)
        self.engine = load_engine(language)
        self.runs = 0

    def serve(self) -> None:
        threading.Thread(target=self.out.run_flusher, name="output-flusher", daemon=True).start()
        self.channel.send(Ready(os.getpid(), self.language))
        while True:
            msg = self.channel.read()
            if isinstance(msg, Shutdown):
                return
            if isinstance(msg, RunRequest):
                self.handle(msg)

    def handle(self, req: RunRequest) -> None:
        self.runs += 1
        self.out.run_id = req.run_id
        host = WorkerHost(self, req)
        _set_cpu_backstop(host.limits.timeout_s)
        started = time.perf_counter()
        self.cpu_started = time.thread_time()
        finished = RunFinished(req.run_id, ok=True)
        try:
            if req.mode == "check":
                finished.diagnostics = [vars(d) for d in self.engine.check(req.source, req.path)]
            elif req.mode == "repl":
                finished.value = self.engine.repl_eval(req.source, host)
            elif req.mode == "test":
                finished.value = self.engine.run_tests(req.source, req.path, dict(req.test or {}), host)
            elif req.mode == "repl_reset":
                getattr(self.engine, "reset_repl", lambda: None)()
            else:
                finished.value = self.engine.run(req.source, req.path, req.inputs, host)
        except SpellError as e:
            finished.ok = False
            finished.error = e.failure.to_dict()
        except LimitExceeded as e:
            finished.ok = False
            finished.error = SpellFailure("limit_exceeded", e.message, req.path).to_dict()
            finished.stats["limit"] = e.what
        except RecursionError:
            finished.ok = False
            finished.error = SpellFailure("limit_exceeded", "stack overflow (recursion too deep)", req.path).to_dict()
            finished.stats["limit"] = "stack"
        except MemoryError:
            finished.ok = False
            finished.error = SpellFailure("limit_exceeded", "memory limit exceeded", req.path).to_dict()
            finished.stats["limit"] = "memory"
        except Exception as e:  # a bug in an engine: report it plainly, keep internals out of the spell's view
            log.exception("engine failure")
            finished.ok = False
            finished.error = SpellFailure(
                "internal", f"internal engine error: {type(e).__name__}: {e}", req.path
            ).to_dict()
        finished.stats.update(self.stats(started, host))
        self.out.flush()
        self.channel.send(finished)

    def stats(self, started: float, host: WorkerHost) -> dict[str, Any]:
        return {
            "duration_s": time.perf_counter() - started,
            "cpu_s": time.thread_time() - self.cpu_started,
            "output_bytes": host.output_bytes,
            "rss_kb": _rss_kb(),
            "runs": self.runs,
            "worker_pid": os.getpid(),
        }

    def finish_limit(self, req: RunRequest, e: LimitExceeded) -> None:
        """A limit hit in the middle of the spell: report it and end this process (the pool replaces it)."""
        try:
            self.out.flush()
            self.channel.send(
                RunFinished(
                    req.run_id,
                    ok=False,
                    error=SpellFailure("limit_exceeded", e.message, req.path).to_dict(),
                    stats={"limit": e.what, "rss_kb": _rss_kb(), "runs": self.runs, "exiting": True},
                )
            )
        finally:
            os._exit(0)

    def debug_command(self, msg: DebugCommand) -> None:
        agent = getattr(self, "debug_agent", None)  # set by app.debugger.agent for the length of a debug run
        if agent is None:
            log.debug("debug command outside a debug session: %s", msg.command)
            return
        agent.handle_command(msg)


def _rss_kb() -> int:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * (os.sysconf("SC_PAGE_SIZE") // 1024)
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss if resource else 0


def _set_cpu_backstop(timeout_s: float) -> None:
    """RLIMIT_CPU for this run: the CPU used so far plus the run's time budget (the wall clock fires first)."""
    if resource is None:
        return
    try:
        used = resource.getrusage(resource.RUSAGE_SELF)
        cpu = int(used.ru_utime + used.ru_stime)
        soft = cpu + int(timeout_s * 2) + 5
        _, hard = resource.getrlimit(resource.RLIMIT_CPU)
        if hard != resource.RLIM_INFINITY:
            soft = min(soft, hard)
        resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))
    except (ValueError, OSError):
        pass


def apply_os_limits() -> None:
    """OS limits for the worker process: address space, no files written, no core dumps, die with the host."""
    if resource is None:
        return
    for limit, value in (
        (resource.RLIMIT_AS, ADDRESS_SPACE_MB * 1024 * 1024),
        (resource.RLIMIT_FSIZE, 0),
        (resource.RLIMIT_CORE, 0),
    ):
        try:
            resource.setrlimit(limit, (value, value))
        except (ValueError, OSError):
            log.debug("cannot set limit %s", limit)
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        PR_SET_PDEATHSIG, PR_SET_NO_NEW_PRIVS = 1, 38
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv:
        print("usage: python -m app.engines.worker LANGUAGE", file=sys.stderr)
        return 2
    language = argv[0]
    logging.basicConfig(
        level=os.environ.get("LLMSPELL_WORKER_LOG", "WARNING"),
        stream=sys.stderr,
        format="worker %(process)d %(levelname)s %(name)s: %(message)s",
    )
    # The protocol owns the original stdin/stdout; stray writes to fd 1 go to stderr instead.
    in_fd, out_fd = os.dup(0), os.dup(1)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(2, 1)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C in a terminal is the host's business
    channel = Channel(in_fd, out_fd)
    worker = Worker(language, channel)
    apply_os_limits()
    try:
        worker.serve()
    except Exception as e:  # the host closed the pipe: nothing left to do
        from app.engines.protocol import ChannelClosed

        if not isinstance(e, (ChannelClosed, BrokenPipeError)):
            raise
    return 0


if __name__ == "__main__":
    sys.exit(main())
