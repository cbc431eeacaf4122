"""The host side of the debugger: breakpoints by file, one debug run's state machine, commands and data requests.

Qt-free: the IDE adapts it with signals (``app/ui/debug_controller.py``), a terminal front end or a test drives it
directly. Typical use::

    store = BreakpointStore()
    store.add("/path/spell.lua", 12, condition="i > 3")
    session = DebugSession(store)
    run = runner.debug("/path/spell.lua", session)
    stop = session.wait_paused(10)          # StopInfo: reason, file, line, frames
    scopes = session.scopes(stop.frames[0]["id"])
    session.step_over()

States: ``starting`` → ``running`` ⇄ ``paused`` → ``ended``. Listeners get ``(event, payload)`` from the run's
reader thread (``paused``, ``running``, ``breakpoints``, ``ended``) and must not block.

LLM and tool call breakpoints are served here, in the host: a hook at the end of the run's ``before_llm`` /
``before_tool`` pipeline (after the spell's own hooks, so the request shown is the one that would be sent) pauses
the bridge thread. The worker waits inside the bridge call meanwhile, so the stack and variables can still be
read; the user continues (optionally with an edited request), answers the call by hand, steps, or stops.
"""

from __future__ import annotations

import copy
import fnmatch
import itertools
import json
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from app.engines.protocol import DebugCommand, DebugReply, FrameKind, Paused

if TYPE_CHECKING:
    from app.bridges.registry import BridgeContext
    from app.runner import Run

log = logging.getLogger(__name__)

HOOK_PRIORITY = -(10**9)  # after every hook of the spell's own
REQUEST_TIMEOUT_S = 10.0


class DebugState(StrEnum):
    """Where a debug session is (a :class:`~enum.StrEnum`: equal to its lower-case name)."""

    IDLE = "idle"  # the IDE's controller only: no session yet
    STARTING = "starting"  # created, the run not attached yet
    RUNNING = "running"
    PAUSED = "paused"
    ENDED = "ended"


class DebugError(Exception):
    """A debug request failed (the worker's message), timed out, or the run is not stopped."""


# ------------------------------------------------------------------------------------------------ breakpoints
@dataclass
class Breakpoint:
    """A line breakpoint (or logpoint) in a file. ``line`` is where the user put it; ``actual_line`` where it
    landed after verification (the next code line), ``verified`` once a loaded chunk holds it."""

    id: int
    file: str
    line: int
    condition: str | None = None
    hit: str | None = None  # "== n", ">= n", "% n" (every nth)
    log: str | None = None  # logpoint message with {expr} parts: printed, no stop
    enabled: bool = True
    verified: bool = False
    actual_line: int | None = None
    message: str | None = None

    def to_worker(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "line": self.line,
            "condition": self.condition,
            "hit": self.hit,
            "log": self.log,
            "enabled": self.enabled,
        }


def _norm(path: str) -> str:
    return os.path.realpath(os.path.abspath(path))


class BreakpointStore:
    """Breakpoints by file path; survives runs and edits (lines move with inserted/deleted lines). Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._by_file: dict[str, list[Breakpoint]] = {}
        self._ids = itertools.count(1)
        self._listeners: list[Callable[[str], None]] = []

    def add_listener(self, fn: Callable[[str], None]) -> None:
        """``fn(file)`` after any change to that file's breakpoints."""
        self._listeners.append(fn)

    def remove_listener(self, fn: Callable[[str], None]) -> None:
        if fn in self._listeners:
            self._listeners.remove(fn)

    def _changed(self, file: str) -> None:
        for fn in list(self._listeners):
            try:
                fn(file)
            except Exception:
                log.exception("breakpoint listener failed")

    def add(
        self,
        file: str,
        line: int,
        condition: str | None = None,
        hit: str | None = None,
        log_message: str | None = None,
        enabled: bool = True,
    ) -> Breakpoint:
        """Add a breakpoint (replacing one on the same line)."""
        file = _norm(file)
        with self._lock:
            bps = self._by_file.setdefault(file, [])
            bps[:] = [b for b in bps if b.line != line]
            bp = Breakpoint(
                next(self._ids), file, int(line), condition or None, hit or None, log_message or None, enabled
            )
            bps.append(bp)
            bps.sort(key=lambda b: b.line)
        self._changed(file)
        return bp

    def remove(self, file: str, line: int) -> bool:
        file = _norm(file)
        with self._lock:
            bps = self._by_file.get(file, [])
            kept = [b for b in bps if b.line != line and b.actual_line != line]
            removed = len(kept) != len(bps)
            self._by_file[file] = kept
        if removed:
            self._changed(file)
        return removed

    def toggle(self, file: str, line: int) -> Breakpoint | None:
        """Add a breakpoint on ``line``, or remove the one there; returns the new one or None."""
        if self.at(file, line) is not None:
            self.remove(file, line)
            return None
        return self.add(file, line)

    def at(self, file: str, line: int) -> Breakpoint | None:
        with self._lock:
            for b in self._by_file.get(_norm(file), []):
                if b.line == line or b.actual_line == line:
                    return b
        return None

    def get(self, bp_id: int) -> Breakpoint | None:
        with self._lock:
            for bps in self._by_file.values():
                for b in bps:
                    if b.id == bp_id:
                        return b
        return None

    def update(self, bp_id: int, **changes: Any) -> Breakpoint | None:
        """Change condition, hit, log, enabled or line of a breakpoint."""
        with self._lock:
            b = self.get(bp_id)
            if b is None:
                return None
            for k, v in changes.items():
                if k in ("condition", "hit", "log"):
                    v = v or None
                setattr(b, k, v)
            file = b.file
        self._changed(file)
        return b

    def for_file(self, file: str) -> list[Breakpoint]:
        with self._lock:
            return list(self._by_file.get(_norm(file), []))

    def files(self) -> list[str]:
        with self._lock:
            return [f for f, bps in self._by_file.items() if bps]

    def all(self) -> list[Breakpoint]:
        with self._lock:
            return [b for bps in self._by_file.values() for b in bps]

    def clear(self, file: str | None = None) -> None:
        with self._lock:
            files = [_norm(file)] if file else list(self._by_file)
            for f in files:
                self._by_file[f] = []
        for f in files:
            self._changed(f)

    def lines_changed(self, file: str, line: int, delta: int) -> None:
        """``delta`` lines were inserted (> 0) or deleted (< 0) after ``line``: move the breakpoints below."""
        if not delta:
            return
        file = _norm(file)
        with self._lock:
            bps = self._by_file.get(file, [])
            for b in bps:
                if b.line > line:
                    b.line = max(line + 1, b.line + delta) if delta < 0 and b.line <= line - delta else b.line + delta
                    b.actual_line = None
                    b.verified = False
            # two breakpoints squeezed onto one line: keep the first
            seen: set[int] = set()
            bps[:] = [b for b in bps if not (b.line in seen or seen.add(b.line))]  # type: ignore[func-returns-value]
        self._changed(file)

    def set_lines(self, file: str, lines: dict[int, int]) -> None:
        """Take the lines of breakpoints from the editor's markers (``{bp id: line}``)."""
        file = _norm(file)
        moved = False
        with self._lock:
            for b in self._by_file.get(file, []):
                if b.id in lines and lines[b.id] != b.line:
                    b.line = lines[b.id]
                    b.actual_line = None
                    b.verified = False
                    moved = True
        if moved:
            self._changed(file)

    def _verified(self, file: str, records: list[dict[str, Any]]) -> None:
        with self._lock:
            by_id = {b.id: b for b in self._by_file.get(_norm(file), [])}
            for rec in records:
                b = by_id.get(rec.get("id"))  # type: ignore[arg-type]
                if b is None:
                    continue
                b.verified = bool(rec.get("verified"))
                b.actual_line = rec.get("line")
                b.message = rec.get("message")
        self._changed(_norm(file))

    def worker_config(self) -> dict[str, list[dict[str, Any]]]:
        with self._lock:
            return {f: [b.to_worker() for b in bps] for f, bps in self._by_file.items() if bps}

    # persistence (the workspace keeps them) --------------------------------------------------------------------
    def to_json(self) -> list[dict[str, Any]]:
        with self._lock:
            return [
                {
                    "file": b.file,
                    "line": b.line,
                    "condition": b.condition,
                    "hit": b.hit,
                    "log": b.log,
                    "enabled": b.enabled,
                }
                for b in self.all()
            ]

    def load_json(self, items: list[dict[str, Any]]) -> None:
        for it in items or []:
            try:
                self.add(
                    it["file"],
                    int(it["line"]),
                    it.get("condition"),
                    it.get("hit"),
                    it.get("log"),
                    bool(it.get("enabled", True)),
                )
            except (KeyError, TypeError, ValueError):
                log.warning("ignoring a stored breakpoint: %r", it)


# ------------------------------------------------------------------------------------------------ session
@dataclass
class StopInfo:
    """Why and where the run stopped. ``frames`` top first: {id, name, file, line, kind}."""

    reason: str  # breakpoint, step, pause, exception, condition_error, run_to_cursor,
    file: str | None = None  # llm_call, tool_call
    line: int | None = None
    frames: list[dict[str, Any]] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def message(self) -> str | None:
        return self.data.get("message")


@dataclass
class CallBreakpoints:
    """Break before LLM calls (all, or models matching globs) and before tool calls (all, or by name)."""

    llm: bool = False
    models: list[str] = field(default_factory=list)
    tools: bool = False
    tool_names: list[str] = field(default_factory=list)

    def wants_llm(self, model: str) -> bool:
        return self.llm and (not self.models or any(fnmatch.fnmatchcase(model, m) for m in self.models))

    def wants_tool(self, name: str) -> bool:
        return self.tools and (not self.tool_names or any(fnmatch.fnmatchcase(name, m) for m in self.tool_names))


class _HostStop:
    """A pending LLM/tool call breakpoint: the bridge thread waits here for the user's decision."""

    def __init__(self, kind: str, payload: dict[str, Any]):
        self.kind = kind
        self.payload = payload
        self.decided = threading.Event()
        self.outcome: Any = None


class DebugSession:
    """One debug run (or one ready to start): state, stop, commands, requests. Thread-safe."""

    def __init__(
        self,
        breakpoints: BreakpointStore | None = None,
        break_on_error: bool = True,
        calls: CallBreakpoints | None = None,
        instrument: str = "breakpoints",
    ):
        self.breakpoints = breakpoints or BreakpointStore()
        self.break_on_error = break_on_error
        self.calls = calls or CallBreakpoints()
        self.instrument = instrument
        self.state: DebugState = DebugState.STARTING
        self.stop_info: StopInfo | None = None
        self.result: Any = None
        self.main_path: str | None = None
        self._run: Run | None = None
        self._lock = threading.RLock()
        self._cv = threading.Condition(self._lock)
        self._ids = itertools.count(1)
        self._pending: dict[int, tuple[threading.Event, list[Any]]] = {}
        self._listeners: list[Callable[[str, Any], None]] = []
        self._host_stop: _HostStop | None = None
        self._host_turn = threading.Lock()
        self._paused_since: float | None = None
        self._paused_total = 0.0
        self._stops = 0
        self.breakpoints.add_listener(self._store_changed)
        self._sending_bps = threading.local()

    # configuration -------------------------------------------------------------------------------------------------
    @classmethod
    def from_options(cls, debug: dict[str, Any]) -> DebugSession:
        """A session from the plain settings of ``RunOptions.debug``: ``breakpoints``
        {file: [{line, condition, hit, log, enabled}]}, ``break_on_error``, ``llm``, ``models``, ``tools``,
        ``tool_names``, ``instrument``. (A live session is handed to ``Runner.debug`` instead.)"""
        given = debug.get("store")
        store = given if isinstance(given, BreakpointStore) else BreakpointStore()
        for file, bps in (debug.get("breakpoints") or {}).items():
            for b in bps:
                b = {"line": b} if isinstance(b, int) else b
                store.add(
                    file, int(b["line"]), b.get("condition"), b.get("hit"), b.get("log"), bool(b.get("enabled", True))
                )
        calls = CallBreakpoints(
            bool(debug.get("llm")),
            list(debug.get("models") or []),
            bool(debug.get("tools")),
            list(debug.get("tool_names") or []),
        )
        return cls(store, bool(debug.get("break_on_error", True)), calls, debug.get("instrument", "breakpoints"))

    def worker_config(self, main_path: str) -> dict[str, Any]:
        """What goes to the worker in ``RunRequest.debug``."""
        self.main_path = _norm(main_path)
        return {
            "main_path": self.main_path,
            "break_on_error": self.break_on_error,
            "breakpoints": self.breakpoints.worker_config(),
            "instrument": self.instrument,
        }

    def add_listener(self, fn: Callable[[str, Any], None]) -> None:
        """``fn(event, payload)``: paused (StopInfo), running (None), breakpoints (file), ended (result)."""
        self._listeners.append(fn)

    def _emit(self, event: str, payload: Any = None) -> None:
        for fn in list(self._listeners):
            try:
                fn(event, payload)
            except Exception:
                log.exception("debug listener failed on %s", event)

    # runner hooks (called by app/runner.py) -------------------------------------------------------------------------
    def attach(self, run: Run, ctx: BridgeContext | None = None) -> None:
        """Bind to a run; with its bridge context, install the LLM/tool call breakpoints."""
        self._run = run
        if ctx is not None:
            from app.bridges.hook import hooks_of

            hooks = hooks_of(ctx)
            hooks.add("before_llm", self._before_llm, HOOK_PRIORITY, "debugger: break before LLM calls")
            hooks.add("before_tool", self._before_tool, HOOK_PRIORITY, "debugger: break before tool calls")
        started = False
        with self._cv:
            if self.state == DebugState.STARTING:
                self.state = DebugState.RUNNING
                started = True
                self._cv.notify_all()
        if started:  # front ends learn the run is going (Pause makes sense now), also with no breakpoint to hit
            self._emit("running", None)

    def on_paused(self, msg: Paused) -> None:
        info = StopInfo(msg.reason, msg.file, msg.line, list(msg.data.get("frames") or []), dict(msg.data))
        self._set_paused(info)

    def on_reply(self, msg: DebugReply) -> None:
        if msg.request_id == 0:
            value = msg.value or {}
            if value.get("event") == "breakpoints":
                self.breakpoints._verified(value["file"], value.get("breakpoints") or [])
                self._emit("breakpoints", value["file"])
            return
        with self._lock:
            pending = self._pending.pop(msg.request_id, None)
        if pending is None:
            return
        event, box = pending
        if box and callable(box[0]):
            try:
                box[0](msg.value, msg.error)
            except Exception:
                log.exception("debug reply callback failed")
            return
        box.append(msg)
        event.set()

    def on_finished(self, result: Any) -> None:
        with self._cv:
            self._resume_clock()
            self.state = DebugState.ENDED
            self.result = result
            self.stop_info = None
            pending = list(self._pending.values())
            self._pending.clear()
            hs = self._host_stop
            self._cv.notify_all()
        for event, box in pending:
            if box and callable(box[0]):
                continue
            box.append(DebugReply(0, None, "the run ended"))
            event.set()
        if hs is not None:
            hs.outcome = {"action": "cancel", "reason": "the run ended"}
            hs.decided.set()
        self.breakpoints.remove_listener(self._store_changed)
        self._emit("ended", result)

    def paused_seconds(self) -> float:
        """Time spent stopped so far (the runner adds it to the run's wall-clock limit)."""
        with self._lock:
            extra = time.monotonic() - self._paused_since if self._paused_since is not None else 0.0
            return self._paused_total + extra

    # state ---------------------------------------------------------------------------------------------------------
    def _set_paused(self, info: StopInfo) -> None:
        with self._cv:
            if self.state == DebugState.ENDED:
                return
            self.state = DebugState.PAUSED
            self.stop_info = info
            self._stops += 1
            if self._paused_since is None:
                self._paused_since = time.monotonic()
            self._cv.notify_all()
        self._emit("paused", info)

    def _resume_clock(self) -> None:
        if self._paused_since is not None:
            self._paused_total += time.monotonic() - self._paused_since
            self._paused_since = None

    def _set_running(self) -> None:
        with self._cv:
            if self.state == DebugState.ENDED:
                return
            self.state = DebugState.RUNNING
            self.stop_info = None
            self._resume_clock()
            self._cv.notify_all()
        self._emit("running", None)

    @property
    def paused(self) -> bool:
        return self.state == DebugState.PAUSED

    def wait_paused(self, timeout: float | None = None) -> StopInfo | None:
        """Block until the run stops (or ends: then None). Returns at once if it is stopped now."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cv:
            while self.state not in (DebugState.PAUSED, DebugState.ENDED):
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return None
                self._cv.wait(left)
            return self.stop_info if self.state == DebugState.PAUSED else None

    def wait_ended(self, timeout: float | None = None) -> bool:
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cv:
            while self.state != DebugState.ENDED:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                self._cv.wait(left)
            return True

    # sending -------------------------------------------------------------------------------------------------------
    def _send(self, command: str, args: dict[str, Any] | None = None, request_id: int = 0) -> None:
        """Through the run's guarded send: never to a worker that has moved on to another run."""
        run = self._run
        if run is None or self.state == DebugState.ENDED:
            raise DebugError("the run is not active")
        try:
            sent = run.send_debug(DebugCommand(command, args or {}, request_id))
        except OSError as e:
            raise DebugError(f"the worker is gone: {e}") from None
        if not sent:
            raise DebugError("the run is not active")

    def request(self, command: str, args: dict[str, Any] | None = None, timeout: float = REQUEST_TIMEOUT_S) -> Any:
        """Send a command and wait for the worker's answer (raises :class:`DebugError`)."""
        rid = next(self._ids)
        event = threading.Event()
        box: list[Any] = []
        with self._lock:
            self._pending[rid] = (event, box)
        try:
            self._send(command, args, rid)
        except DebugError:
            with self._lock:
                self._pending.pop(rid, None)
            raise
        if not event.wait(timeout):
            with self._lock:
                self._pending.pop(rid, None)
            raise DebugError(f"{command}: no answer within {timeout:g} s")
        reply: DebugReply = box[0]
        if reply.error:
            raise DebugError(reply.error)
        return reply.value

    def request_async(
        self, command: str, args: dict[str, Any] | None, callback: Callable[[Any, str | None], None]
    ) -> None:
        """Like :meth:`request` without blocking: sent now (so it keeps its order with later commands),
        ``callback(value, error)`` runs when the answer comes, on the run's reader thread."""
        rid = next(self._ids)
        event = threading.Event()
        box: list[Any] = [callback]
        with self._lock:
            self._pending[rid] = (event, box)
        try:
            self._send(command, args, rid)
        except DebugError as e:
            with self._lock:
                self._pending.pop(rid, None)
            callback(None, str(e))

    # commands ------------------------------------------------------------------------------------------------------
    def _resume(self, command: str, args: dict[str, Any] | None = None, host_outcome: Any = None) -> None:
        with self._lock:
            if self.state != DebugState.PAUSED:
                raise DebugError(f"cannot {command.replace('_', ' ')}: the run is {self.state}")
            hs = self._host_stop
            self._host_stop = None
        if hs is not None:
            # an LLM/tool call stop: steps are armed in the worker (inside the bridge call), then the call goes on
            if command in ("step_in", "step_over", "step_out", "run_to_cursor"):
                self.request(command, args)
            self._set_running()
            hs.outcome = host_outcome
            hs.decided.set()
            return
        self._set_running()
        self._send(command, args or {})

    def continue_(self, edited: dict[str, Any] | None = None) -> None:
        """Continue. At an LLM/tool call stop, ``edited`` replaces fields of the request (model, messages,
        params for LLM calls; args for tool calls)."""
        self._resume("continue", None, dict(edited) if edited else None)

    def step_in(self) -> None:
        self._resume("step_in")

    def step_over(self) -> None:
        self._resume("step_over")

    def step_out(self) -> None:
        self._resume("step_out")

    def run_to_cursor(self, file: str, line: int) -> None:
        self._resume("run_to_cursor", {"file": _norm(file), "line": int(line)})

    def answer(self, value: Any) -> None:
        """At an LLM call stop: do not call the model; the spell gets ``value`` (text or a message table). At a
        tool call stop: the tool's result."""
        with self._lock:
            if self._host_stop is None:
                raise DebugError("answer is only possible when stopped before an LLM or tool call")
        self._resume("continue", None, {"action": "skip", "result": value})

    def pause(self) -> None:
        """Stop at the next line the spell runs (a spinning loop included)."""
        if self.state != DebugState.RUNNING:
            raise DebugError(f"cannot pause: the run is {self.state}")
        self._send("pause", {}, 0)

    def stop(self) -> None:
        """End the run now (its worker is killed and replaced)."""
        with self._lock:
            hs = self._host_stop
            self._host_stop = None
        if hs is not None:
            hs.outcome = {"action": "cancel", "reason": "stopped in the debugger"}
            hs.decided.set()
        run = self._run
        if run is not None:
            run.cancel()

    # data ----------------------------------------------------------------------------------------------------------
    def stack(self) -> list[dict[str, Any]]:
        return self.request("stack")

    def scopes(self, frame: int = 1) -> list[dict[str, Any]]:
        return self.request("scopes", {"frame": frame})

    def variables(self, ref: int, start: int = 0, count: int = 100) -> dict[str, Any]:
        """``{"items": [{name, value, type, ref, length}], "total": n}``; ``ref`` > 0 items can be expanded."""
        return self.request("variables", {"ref": ref, "start": start, "count": count})

    def string(self, ref: int, offset: int = 1, length: int = 65536) -> dict[str, Any]:
        """More of a long (truncated) string: ``{"text", "length"}``."""
        return self.request("string", {"ref": ref, "offset": offset, "length": length})

    def evaluate(self, expression: str, frame: int | None = None) -> dict[str, Any]:
        """Evaluate read-only in a frame (default: the top spell frame): ``{"ok": True, value, type, ref}`` or
        ``{"ok": False, "error"}``. Assignments and bridge calls with side effects are refused."""
        args: dict[str, Any] = {"expression": expression}
        if frame is not None:
            args["frame"] = frame
        return self.request("evaluate", args)

    def set_variable(self, ref: int, name: str, value: str) -> dict[str, Any]:
        """Set a local, upvalue or table field (``ref`` of its scope or table) to the value of an expression."""
        return self.request("set_variable", {"ref": ref, "name": name, "value": value})

    def set_break_on_error(self, on: bool) -> None:
        """Break on uncaught errors (also in a run that is going on)."""
        self.break_on_error = bool(on)
        if self.state in (DebugState.RUNNING, DebugState.PAUSED) and self._run is not None:
            self.request_async("set_options", {"break_on_error": self.break_on_error}, lambda _v, _e: None)

    # breakpoints while running ---------------------------------------------------------------------------------
    def _store_changed(self, file: str) -> None:
        if getattr(self._sending_bps, "on", False):
            return
        if self.state in (DebugState.RUNNING, DebugState.PAUSED) and self._run is not None:
            self.sync_breakpoints(file)

    def sync_breakpoints(self, file: str) -> None:
        """Send ``file``'s breakpoints to the worker (they take effect at once, even while the spell runs)."""
        bps = [b.to_worker() for b in self.breakpoints.for_file(file)]
        args = {"file": _norm(file), "breakpoints": bps}

        def done(value: Any, error: str | None) -> None:
            if error or not value:
                return
            self._sending_bps.on = True
            try:
                self.breakpoints._verified(value["file"], value.get("breakpoints") or [])
            finally:
                self._sending_bps.on = False
            self._emit("breakpoints", value["file"])

        self.request_async("set_breakpoints", args, done)

    # LLM and tool call breakpoints (bridge threads) -----------------------------------------------------------
    def _host_pause(self, kind: str, payload: dict[str, Any]) -> Any:
        with self._host_turn:  # parallel calls (workflows, parallel agents) stop one after the other
            return self._host_pause_now(kind, payload)

    def _host_pause_now(self, kind: str, payload: dict[str, Any]) -> Any:
        hs = _HostStop(kind, payload)
        with self._lock:
            if self.state == DebugState.ENDED:
                return None
            self._host_stop = hs
        try:
            frames = self.request("stack", timeout=5.0)
        except DebugError:
            frames = []
        top = next((f for f in frames if f.get("kind") == FrameKind.SPELL), None)
        data = {"request": copy.deepcopy(payload), "kind": kind}
        self._set_paused(StopInfo(kind, top and top.get("file"), top and top.get("line"), frames, data))
        hs.decided.wait()
        return hs.outcome

    def _before_llm(self, payload: dict[str, Any]) -> Any:
        if not self.calls.wants_llm(str(payload.get("model", ""))):
            return None
        request = {k: payload.get(k) for k in ("model", "messages", "params", "caller")}
        return self._host_pause("llm_call", json.loads(json.dumps(request, default=str)))

    def _before_tool(self, payload: dict[str, Any]) -> Any:
        if not self.calls.wants_tool(str(payload.get("tool", ""))):
            return None
        request = {k: payload.get(k) for k in ("tool", "args")}
        return self._host_pause("tool_call", json.loads(json.dumps(request, default=str)))

    def describe(self) -> dict[str, Any]:
        """A summary for logs and tests."""
        return {"state": self.state, "stop": asdict(self.stop_info) if self.stop_info else None, "stops": self._stops}
