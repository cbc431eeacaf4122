"""The worker side of the debugger for Tengo spells: same host session and protocol as the Lua agent (``agent.py``).

The Tengo interpreter calls ``hook(event, stack)`` on every statement ("line"), call and return in debug runs
(:mod:`app.engines.tengo.debug`); the hook runs on the interpreter's thread and blocks while the spell is stopped.

Threads. As in the Lua agent, a reader thread owns the channel's input for the length of the run and fills an
inbox (the worker's bridge-call loop reads it through ``channel.read``). A debug command (or a shutdown) arriving
while the spell runs only sets a flag; the next line event sees it and serves the command, so ``pause`` stops a
spinning ``for {}`` at its next statement and breakpoint changes apply at once. No ctypes, no poking.

Spell frames are reported with ``kind: "lua"`` (the protocol's "spell frame" kind, which the session and the IDE
panels look for). Scopes: ``Locals`` and ``Upvalues`` (a closure's captured variables). Not supported for Tengo:
breakpoint conditions and log messages (reported on the breakpoint), ``evaluate``/``set_variable`` (an error
reply), break on error.
"""
from __future__ import annotations

import logging
import os
import select
import threading
from collections import deque
from typing import Any

from app.debugger.agent import INSPECT_COMMANDS, RESUME_COMMANDS, parse_hit
from app.engines.protocol import ChannelClosed, DebugCommand, DebugReply, Paused, Shutdown
from app.engines.tengo import objects as O
from app.engines.tengo.debug import statement_lines
from app.engines.tengo.errors import TengoError

log = logging.getLogger(__name__)

SHORT = 200          # characters of a string shown before it is cut (the rest through the "string" command)


def describe(v: Any) -> tuple[str, str, bool, int | None]:
    """A Tengo value for the variables panel: (shown, type, expandable, length)."""
    t = type(v)
    tn = O.type_name(v)
    if t is str:
        q = O.go_quote(v if len(v) <= SHORT else v[:SHORT])
        if len(v) > SHORT:
            q = q[:-1] + "…\""
        return q, tn, len(v) > SHORT, len(v)
    if t is O.Array or t is O.ImmutableArray:
        n = len(v.value)
        return f"{tn} [{n}]", tn, n > 0, n
    if t is O.Map or t is O.ImmutableMap:
        n = len(v.value)
        return f"{tn} {{{n}}}", tn, n > 0, n
    if t is O.Error:
        return "error: " + describe(v.value)[0], tn, True, None
    if t is bytes:
        return f"bytes [{len(v)}]", tn, False, len(v)
    if t is O.CompiledFunction:
        code = v.code
        name = getattr(code, "name", "") or "function"
        return f"function {name}", tn, False, None
    try:
        return O.to_string(v), tn, False, None
    except Exception:  # pragma: no cover - defensive
        return f"<{tn}>", tn, False, None


class TengoDebugAgent:
    """One debug run of a Tengo spell inside the worker (a context manager around the run)."""

    def __init__(self, host: Any, config: dict[str, Any]):
        self.host = host
        self.config = config or {}
        self.worker = host.worker
        self.channel = self.worker.channel
        self.run_id = host.request.run_id
        self.main_path = os.path.realpath(self.config.get("main_path") or host.spell_path)
        self.files: dict[str, list[dict[str, Any]]] = {}
        for path, bps in (self.config.get("breakpoints") or {}).items():
            self.files[os.path.realpath(path)] = list(bps)
        self.main_source: str | None = None
        self.main_file: str | None = None     # the file name the interpreter uses for the main script
        self.temp_bp: dict[str, Any] | None = None
        self.active: dict[tuple[str, int], list[dict[str, Any]]] = {}
        self.hits: dict[Any, int] = {}
        self._real: dict[str, str] = {}
        self.modes: list[str] = ["running"]
        self.pause_requested = False
        self.step: tuple[str, int] | None = None   # (mode, depth) after step_in/over/out
        self.stack: list[Any] = []
        self.rt_stack: list[Any] | None = None   # the interpreter's debug stack (set by the engine)
        self.refs: list[Any] = [None]
        self.closed = False
        self.pending = False                      # a command waits in the inbox (read by the line hook)
        self._cv = threading.Condition()
        self._inbox: deque[Any] = deque()
        self._closed_channel = False
        self._wake_r, self._wake_w = os.pipe()
        self._stop_reader = False
        self._orig_bridge_call = host.bridge_call
        host.bridge_call = self._bridge_call
        self._orig_serve_callback = host.serve_callback
        host.serve_callback = self._serve_callback
        self._orig_read = self.channel.read
        self.channel.read = self._inbox_read
        self.worker.debug_agent = self
        self._reader = threading.Thread(target=self._reader_loop, name="tengo-debug-reader", daemon=True)
        self._reader.start()

    # life cycle ------------------------------------------------------------------------------------------------
    def __enter__(self) -> "TengoDebugAgent":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self._stop_reader = True
        os.write(self._wake_w, b"x")
        self._reader.join(5.0)
        os.close(self._wake_r)
        os.close(self._wake_w)
        try:
            del self.channel.read
        except AttributeError:
            self.channel.read = self._orig_read
        self.host.bridge_call = self._orig_bridge_call
        self.host.serve_callback = self._orig_serve_callback
        if getattr(self.worker, "debug_agent", None) is self:
            self.worker.debug_agent = None

    def start(self, source: str, filename: str) -> None:
        """The main script is about to compile: verify the breakpoints, tell the host."""
        self.main_source = source
        self.main_file = filename
        self._real[filename] = self.main_path
        for fpath, recs in self._apply().items():
            self._event("breakpoints", file=fpath, breakpoints=recs)

    # the channel ---------------------------------------------------------------------------------------------------
    def _reader_loop(self) -> None:
        reader = self.channel.reader
        fd = reader.fd
        while not self._stop_reader:
            try:
                while True:
                    msg = reader.read(0.0)
                    if msg is None:
                        break
                    with self._cv:
                        self._inbox.append(msg)
                        if isinstance(msg, (DebugCommand, Shutdown)):
                            self.pending = True
                        self._cv.notify_all()
                ready, _, _ = select.select([fd, self._wake_r], [], [])
                if self._stop_reader:
                    return
                if fd in ready:
                    reader._fill(0.0)
            except ChannelClosed:
                with self._cv:
                    self._closed_channel = True
                    self.pending = True
                    self._cv.notify_all()
                return
            except Exception:
                log.exception("debug reader failed")
                return

    def _inbox_read(self) -> Any:
        with self._cv:
            while not self._inbox:
                if self._closed_channel:
                    raise ChannelClosed("end of stream")
                self._cv.wait()
            return self._inbox.popleft()

    def _next_command(self, block: bool) -> DebugCommand | None:
        with self._cv:
            while True:
                for i, m in enumerate(self._inbox):
                    if isinstance(m, DebugCommand):
                        del self._inbox[i]
                        return m
                    if isinstance(m, Shutdown):
                        os._exit(0)
                if self._closed_channel:
                    os._exit(0)  # the host is gone: nobody will resume this run
                self.pending = False
                if not block:
                    return None
                self._cv.wait()

    def _reply(self, msg: DebugCommand, value: Any = None, error: str | None = None) -> None:
        if msg.request_id:
            self.channel.send(DebugReply(msg.request_id, value, error))

    def _event(self, name: str, **data: Any) -> None:
        self.channel.send(DebugReply(0, {"event": name, **data}))

    # breakpoints ---------------------------------------------------------------------------------------------------
    def _realpath(self, file: str) -> str:
        p = self._real.get(file)
        if p is None:
            p = self._real[file] = os.path.realpath(file)
        return p

    def _lines_of(self, path: str) -> set[int] | None:
        try:
            if path == self.main_path and self.main_source is not None:
                return statement_lines(self.main_source, path)
            if os.path.getsize(path) > 4 * 1024 * 1024:
                return None
            with open(path, encoding="utf-8") as f:
                return statement_lines(f.read(), path)
        except (OSError, UnicodeDecodeError, TengoError, RecursionError):
            return None

    def _apply(self) -> dict[str, list[dict[str, Any]]]:
        results: dict[str, list[dict[str, Any]]] = {}
        active: dict[tuple[str, int], list[dict[str, Any]]] = {}
        bps_by_path = {p: list(b) for p, b in self.files.items()}
        if self.temp_bp:
            bps_by_path.setdefault(self.temp_bp["file"], []).append(self.temp_bp)
        for path, bps in bps_by_path.items():
            lines = self._lines_of(path)
            out = results.setdefault(path, [])
            for bp in bps:
                req = int(bp["line"])
                rec: dict[str, Any] = {"id": bp.get("id"), "requested_line": req, "line": req,
                                       "verified": False, "message": None}
                mode, n, hit_err = parse_hit(bp.get("hit"))
                line = min((ln for ln in lines if ln >= req), default=None) if lines is not None else None
                if lines is None:
                    rec["message"] = "cannot read the file"
                elif line is None:
                    rec["message"] = "no code on or after this line"
                elif bp.get("condition") or bp.get("log"):
                    rec["message"] = "conditions and log messages are not supported for Tengo spells"
                elif hit_err:
                    rec["message"] = hit_err
                else:
                    rec["line"] = line
                    rec["verified"] = True
                    if line != req:
                        rec["message"] = f"moved to line {line}, the next line with code"
                    if bp.get("enabled", True):
                        active.setdefault((path, line), []).append(
                            {"id": bp.get("id"), "hit_mode": mode, "hit_n": n,
                             "temporary": bool(bp.get("temporary"))})
                if not bp.get("temporary"):
                    out.append(rec)
        self.active = active
        return results

    def _hit(self, bps: list[dict[str, Any]]) -> str | None:
        reason = None
        for bp in bps:
            key = bp["id"]
            n = self.hits[key] = self.hits.get(key, 0) + 1
            mode, want = bp["hit_mode"], bp["hit_n"]
            if mode is None or (mode == ">=" and n >= want) or (mode == "==" and n == want) \
                    or (mode == "%" and n % want == 0):
                reason = "run_to_cursor" if bp["temporary"] else (reason or "breakpoint")
        return reason

    # the hook --------------------------------------------------------------------------------------------------------
    def hook(self, event: str, stack: list[Any]) -> None:
        if event != "line" or not stack:
            return
        if self.pending:
            while True:
                msg = self._next_command(block=False)
                if msg is None:
                    break
                self.handle_command(msg)
        reason = None
        if self.pause_requested:
            reason = "pause"
        elif self.step is not None:
            mode, depth = self.step
            d = len(stack)
            if mode == "step_in" or (mode == "step_over" and d <= depth) or (mode == "step_out" and d < depth):
                reason = "step"
        if self.active:
            top = stack[-1]
            bps = self.active.get((self._realpath(top.file), top.line))
            if bps:
                reason = self._hit(bps) or reason
        if reason is not None:
            self._stopped(reason, stack)

    def _stopped(self, reason: str, stack: list[Any]) -> None:
        self.modes.append("paused")
        self.stack = stack
        try:
            if self.temp_bp is not None:
                self.temp_bp = None
                self._apply()
            self.pause_requested = False
            self.step = None
            frames = self._frames()
            top = frames[0] if frames else None
            self.worker.out.flush()
            self.channel.send(Paused(self.run_id, reason, top and top["file"], top and top["line"],
                                     {"frames": frames, "thread": "main"}))
            while True:
                msg = self._next_command(block=True)
                assert msg is not None
                action = self.handle_command(msg)
                if action is not None:
                    self._resume(action, len(stack))
                    return
        finally:
            self.refs = [None]
            self.modes.pop()

    def _resume(self, action: str, depth: int) -> None:
        self.step = None if action == "continue" else (action, depth)

    def _bridge_call(self, target: Any, method: str, args: list[Any], opts: Any, line: Any,
                     callbacks: Any) -> Any:
        self.modes.append("bridge")
        try:
            return self._orig_bridge_call(target, method, args, opts, line, callbacks)
        finally:
            self.modes.pop()

    def _serve_callback(self, msg: Any) -> None:
        self.modes.append("running")
        try:
            self._orig_serve_callback(msg)
        finally:
            self.modes.pop()

    # commands ------------------------------------------------------------------------------------------------------
    def _current_stack(self) -> list[Any]:
        if self.modes[-1] == "paused":
            return self.stack
        rt_stack = getattr(self, "rt_stack", None)
        return list(rt_stack) if rt_stack is not None else []

    def _frames(self) -> list[dict[str, Any]]:
        out = []
        for i, f in enumerate(reversed(self._current_stack()), 1):
            out.append({"id": i, "name": f.function or "main chunk", "file": self._realpath(f.file),
                        "chunk": os.path.basename(f.file), "line": f.line, "kind": "lua", "thread": "main"})
        return out

    def _frame(self, fid: int) -> Any:
        st = self._current_stack()
        if not 1 <= fid <= len(st):
            raise ValueError(f"no frame {fid}")
        return st[len(st) - fid]

    def _ref(self, rec: Any) -> int:
        self.refs.append(rec)
        return len(self.refs) - 1

    def _variable(self, name: str, v: Any) -> dict[str, Any]:
        shown, t, expandable, length = describe(v)
        return {"name": name, "value": shown, "type": t, "ref": self._ref(("value", v)) if expandable else 0,
                "length": length}

    def handle_command(self, msg: DebugCommand) -> str | None:
        """Serve one command; returns the resume action when it resumes a stopped spell."""
        cmd, args = msg.command, msg.args or {}
        mode = self.modes[-1]
        try:
            if cmd == "set_breakpoints":
                path = os.path.realpath(args["file"])
                self.files[path] = list(args.get("breakpoints") or [])
                self._reply(msg, {"file": path, "breakpoints": self._apply().get(path, [])})
                return None
            if cmd == "set_options":
                self._reply(msg, {"ok": True})
                return None
            if cmd == "pause":
                if mode != "paused":
                    self.pause_requested = True  # running or in a bridge call: stop at the next statement
                self._reply(msg, {"ok": True})
                return None
            if cmd in RESUME_COMMANDS:
                action = cmd
                if cmd == "run_to_cursor":
                    self.temp_bp = {"id": -1, "file": os.path.realpath(args["file"]), "line": int(args["line"]),
                                    "temporary": True}
                    self._apply()
                    action = "continue"
                self._reply(msg, {"ok": True})
                if mode == "paused":
                    return action
                if mode == "bridge" and action != "continue":
                    self._resume(action, len(self._current_stack()))  # stopped at an LLM/tool call
                return None
            if cmd in INSPECT_COMMANDS:
                if mode == "running":
                    self._reply(msg, error="the spell is running (pause it first)")
                    return None
                self._reply(msg, self._inspect(cmd, args))
                return None
            self._reply(msg, error=f"unknown debug command {cmd!r}")
        except (KeyError, TypeError, ValueError) as e:
            self._reply(msg, error=f"bad {cmd} request: {e}")
        return None

    def _inspect(self, cmd: str, args: dict[str, Any]) -> Any:
        if cmd == "stack":
            return self._frames()
        if cmd == "scopes":
            fid = int(args.get("frame", 1))
            self._frame(fid)
            return [{"name": "Locals", "ref": self._ref(("locals", fid))},
                    {"name": "Upvalues", "ref": self._ref(("free", fid))}]
        if cmd == "variables":
            return self._variables(int(args["ref"]), int(args.get("start", 0)), int(args.get("count", 100)))
        if cmd == "string":
            rec = self._get_ref(int(args["ref"]))
            if rec[0] != "value" or type(rec[1]) is not str:
                raise ValueError("not a string reference")
            s, off = rec[1], int(args.get("offset", 1))
            return {"text": s[off - 1:off - 1 + int(args.get("length", 65536))], "length": len(s)}
        raise ValueError(f"{cmd} is not supported for Tengo spells yet")

    def _get_ref(self, ref: int) -> Any:
        if not 0 < ref < len(self.refs):
            raise ValueError(f"unknown variable reference {ref}")
        return self.refs[ref]

    def _variables(self, ref: int, start: int, count: int) -> dict[str, Any]:
        kind, x = self._get_ref(ref)
        if kind in ("locals", "free"):
            f = self._frame(x)
            values = f.variables()
            pairs = [(n, values[n]) for n, (k, _i) in f.scope.items()
                     if n in values and (k == "local") == (kind == "locals")]
        else:
            t = type(x)
            if t is O.Array or t is O.ImmutableArray:
                pairs = [(f"[{i}]", e) for i, e in enumerate(x.value)]
            elif t is O.Map or t is O.ImmutableMap:
                pairs = sorted(x.value.items())
            elif t is O.Error:
                pairs = [("value", x.value)]
            else:
                pairs = []
        items = [self._variable(n, v) for n, v in pairs[start:start + count]]
        return {"items": items, "total": len(pairs)}
