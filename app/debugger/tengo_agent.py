"""The worker side of the debugger for Tengo spells: same host session and protocol as the Lua agent (``agent.py``).

The Tengo interpreter calls ``hook(event, stack)`` on every statement ("line"), call and return in debug runs
(:mod:`app.engines.tengo.debug`); the hook runs on the interpreter's thread and blocks while the spell is stopped.

Threads. As in the Lua agent, a reader thread (:class:`app.debugger.inbox.DebugInbox`) owns the channel's input
and fills an inbox (the worker's bridge-call loop reads it through ``channel.read``). A debug command (or a
shutdown) arriving while the spell runs only sets a flag; the next line event sees it and serves the command,
so ``pause`` stops a spinning ``for {}`` at its next statement and breakpoint changes apply at once. No ctypes,
no poking.

Spell frames are reported with ``kind: "spell"`` (:class:`app.engines.protocol.FrameKind`, as the Lua agent's).
Scopes: ``Locals`` and ``Upvalues`` (a closure's captured variables).

Expressions (breakpoint conditions, ``{expr}`` parts of log messages, ``evaluate``, the value of ``set_variable``)
are compiled by the interpreter itself (:func:`app.engines.tengo.debug.compile_expression`) over the variables
visible in the frame: its locals and free variables, then the main script's top-level variables (Tengo's
globals). They read the frame's real values (captured variables through their own cells). Evaluations are
read-only as in the Lua agent: expressions only (no assignments, no function literals), ``delete``/``splice``
refused, no bridge calls except the pure ones, and a statement budget for the spell functions they call.

Errors: a runtime error stops (``exception``) in the statement that raised it, before any frame unwinds, when
break on error is on (the session's setting, ``set_options`` while running); continuing raises it on. Errors in
script functions run by bridges (tool bodies...) are caught by the bridge and do not stop, as for Lua.
"""

from __future__ import annotations

import logging
import os
import re
import sys
from typing import Any

from app.debugger.agent import INSPECT_COMMANDS, RESUME_COMMANDS, parse_hit
from app.debugger.agent_base import DebugAgentBase
from app.debugger.inbox import DebugInbox
from app.engines.protocol import DebugCommand, FrameKind, Paused
from app.engines.tengo import objects as O
from app.engines.tengo.debug import compile_expression, parse_expression, statement_lines
from app.engines.tengo.errors import AllocLimit, StackOverflow, TengoError, TengoRuntimeError

log = logging.getLogger(__name__)

SHORT = 200  # characters of a string shown before it is cut (the rest through the "string" command)
EVAL_BUDGET = 100_000  # statements an evaluation may run (in the spell functions it calls)
_LOG_PART = re.compile(r"\{([^{}]+)\}")
_INDEX = re.compile(r"^\[(\d+)\]$")


def parse_log(message: str) -> list[tuple[str, str]]:
    """``"x={x} y"`` → ``[("text", "x="), ("expr", "x"), ("text", " y")]`` (as the Lua agent splits them)."""
    parts: list[tuple[str, str]] = []
    pos = 0
    for m in _LOG_PART.finditer(message):
        if m.start() > pos:
            parts.append(("text", message[pos : m.start()]))
        parts.append(("expr", m.group(1)))
        pos = m.end()
    if pos < len(message):
        parts.append(("text", message[pos:]))
    return parts


def expression_error(text: str) -> str | None:
    """Why ``text`` is not an expression the debugger can evaluate (syntax only), or None."""
    try:
        parse_expression(text)
    except TengoError as e:
        return e.message
    except (ValueError, RecursionError) as e:
        return str(e) or type(e).__name__
    return None


def _refused(name: str) -> O.BuiltinFunction:
    def refuse(rt: Any, args: list) -> Any:
        raise TengoRuntimeError(f"evaluation is read-only: {name}() changes its argument")

    return O.BuiltinFunction(name, refuse)


def describe(v: Any) -> tuple[str, str, bool, int | None]:
    """A Tengo value for the variables panel: (shown, type, expandable, length)."""
    t = type(v)
    tn = O.type_name(v)
    if t is str:
        q = O.go_quote(v if len(v) <= SHORT else v[:SHORT])
        if len(v) > SHORT:
            q = q[:-1] + '…"'
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


class TengoDebugAgent(DebugAgentBase):
    """One debug run of a Tengo spell inside the worker (a context manager around the run)."""

    def __init__(self, host: Any, config: dict[str, Any]):
        self._begin(host, config)
        self.main_source: str | None = None
        self.main_file: str | None = None  # the file name the interpreter uses for the main script
        self.active: dict[tuple[str, int], list[dict[str, Any]]] = {}
        self.hits: dict[Any, int] = {}
        self._bp_conds: dict[Any, str | None] = {}
        self._real: dict[str, str] = {}
        self.step: tuple[str, int] | None = None  # (mode, depth) after step_in/over/out
        self.stack: list[Any] = []
        self.rt_stack: list[Any] | None = None  # the interpreter's debug stack (set by the engine)
        self.refs: list[Any] = [None]
        self.interp: Any = None  # the run's Interpreter (set by the engine)
        self.break_on_error = bool(self.config.get("break_on_error", True))
        self.evaluating = False
        self.eval_steps = 0
        self.eval_refused: str | None = None  # a bridge call an evaluation was not allowed to make
        self.callbacks = 0  # script functions running for a bridge (tool bodies...)
        self._compiled: dict[tuple[str, tuple[str, ...]], Any] = {}
        self._eval_builtins: dict[str, Any] | None = None
        self._attach(DebugInbox(self.worker, "tengo-debug-reader"))

    # life cycle ------------------------------------------------------------------------------------------------
    def __enter__(self) -> TengoDebugAgent:
        return self

    def start(self, source: str, filename: str) -> None:
        """The main script is about to compile: verify the breakpoints, tell the host."""
        self.main_source = source
        self.main_file = filename
        self._real[filename] = self.main_path
        for fpath, recs in self._apply().items():
            self.inbox.event("breakpoints", file=fpath, breakpoints=recs)

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
                rec: dict[str, Any] = {
                    "id": bp.get("id"),
                    "requested_line": req,
                    "line": req,
                    "verified": False,
                    "message": None,
                }
                mode, n, hit_err = parse_hit(bp.get("hit"))
                line = min((ln for ln in lines if ln >= req), default=None) if lines is not None else None
                if lines is None:
                    rec["message"] = "cannot read the file"
                elif line is None:
                    rec["message"] = "no code on or after this line"
                elif hit_err:
                    rec["message"] = hit_err
                else:
                    rec["line"] = line
                    rec["verified"] = True
                    if line != req:
                        rec["message"] = f"moved to line {line}, the next line with code"
                    cond = str(bp.get("condition") or "") if str(bp.get("condition") or "").strip() else None
                    cond_err = expression_error(cond) if cond else None
                    log_parts = parse_log(str(bp["log"])) if bp.get("log") else None
                    for kind, text in log_parts or ():
                        err = expression_error(text) if kind == "expr" else None
                        if err and not cond_err:
                            rec["message"] = f"log message error: {{{text}}}: {err}"
                    if cond_err:  # still verified: reaching the line stops with the error (as for Lua)
                        rec["message"] = f"condition error: {cond_err}"
                        rec["condition_error"] = cond_err
                    if bp.get("enabled", True):
                        key = bp.get("id")
                        old = self._bp_conds.get(key)
                        if old is not None and old != cond:
                            self.hits.pop(key, None)  # a new condition counts its hits afresh
                        self._bp_conds[key] = cond
                        active.setdefault((path, line), []).append(
                            {
                                "id": key,
                                "hit_mode": mode,
                                "hit_n": n,
                                "line": line,
                                "temporary": bool(bp.get("temporary")),
                                "condition": cond,
                                "cond_error": cond_err,
                                "log_parts": log_parts,
                            }
                        )
                if not bp.get("temporary"):
                    out.append(rec)
        self.active = active
        return results

    def _hit(self, bps: list[dict[str, Any]], stack: list[Any]) -> tuple[str | None, dict[str, Any]]:
        """The breakpoints of the line just reached: condition, hit count, then log (no stop) or stop."""
        reason, data = None, {}
        for bp in bps:
            cond = bp["condition"]
            if cond:
                ok, v = (False, bp["cond_error"]) if bp["cond_error"] else self._eval(cond, stack[-1], stack)
                if not ok:
                    return "condition_error", {"bp_id": bp["id"], "line": bp["line"], "message": v, "condition": cond}
                if O.is_falsy(v):
                    continue
            key = bp["id"]
            n = self.hits[key] = self.hits.get(key, 0) + 1
            mode, want = bp["hit_mode"], bp["hit_n"]
            if not (
                mode is None
                or (mode == ">=" and n >= want)
                or (mode == "==" and n == want)
                or (mode == "%" and n % want == 0)
            ):
                continue
            if bp["log_parts"] is not None:
                self._log(bp["log_parts"], stack)
                continue
            if bp["temporary"]:
                reason = "run_to_cursor"
            elif reason is None:
                reason = "breakpoint"
                data = {"bp_id": key, "line": bp["line"]}
        return reason, data

    def _log(self, parts: list[tuple[str, str]], stack: list[Any]) -> None:
        out = []
        for kind, text in parts:
            if kind == "text":
                out.append(text)
                continue
            ok, v = self._eval(text, stack[-1], stack)
            if not ok:
                out.append(f"{{{text}: {v}}}")
            else:
                out.append(v if type(v) is str else describe(v)[0])
        flush = getattr(self.interp.rt if self.interp is not None else None, "flush_output", None)
        if flush is not None:
            flush()  # what the spell printed so far comes first
        self.host.output("stdout", "".join(out))

    # the hook --------------------------------------------------------------------------------------------------------
    def hook(self, event: str, stack: list[Any]) -> None:
        if self.evaluating:
            if event == "line":
                self.eval_steps += 1
                if self.eval_steps > EVAL_BUDGET:
                    raise TengoRuntimeError("evaluation took too long (stopped)")
            return
        if event != "line":
            if event == "error":
                self._on_error(stack)
            return
        if not stack:
            return
        if self.inbox.pending:
            while True:
                msg = self.inbox.next_command(block=False)
                if msg is None:
                    break
                self.handle_command(msg)
        reason, data = None, None
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
                bp_reason, data = self._hit(bps, stack)
                reason = bp_reason or reason
        if reason is not None:
            self._stopped(reason, stack, data)

    def _on_error(self, stack: list[Any]) -> None:
        """A runtime error leaves a statement (``sys.exception()``): stop where it was raised, once."""
        e = sys.exception()
        if not isinstance(e, TengoRuntimeError) or e.seen_by_debugger:
            return
        e.seen_by_debugger = True
        if not self.break_on_error or self.callbacks or not stack or isinstance(e, (StackOverflow, AllocLimit)):
            return
        top = stack[-1]
        pos = e.position
        if pos and pos[0] == top.file and isinstance(pos[1], int) and pos[1] > top.line:
            top.line = pos[1]  # a statement over several lines: the line of the failing part
        self._stopped("exception", stack, {"message": e.message})

    def _stopped(self, reason: str, stack: list[Any], data: dict[str, Any] | None = None) -> None:
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
            self.channel.send(
                Paused(
                    self.run_id,
                    reason,
                    top["file"] if top else None,
                    top["line"] if top else None,
                    {**(data or {}), "frames": frames, "thread": "main"},
                )
            )
            while True:
                msg = self.inbox.next_command(block=True)
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

    def _evaluating(self) -> bool:
        return self.evaluating

    def _refused(self, message: str) -> None:
        self.eval_refused = message

    def _enter_callback(self) -> None:
        self.callbacks += 1

    def _leave_callback(self) -> None:
        self.callbacks -= 1

    # commands ------------------------------------------------------------------------------------------------------
    def _current_stack(self) -> list[Any]:
        if self.modes[-1] == "paused":
            return self.stack
        rt_stack = getattr(self, "rt_stack", None)
        return list(rt_stack) if rt_stack is not None else []

    def _frames(self) -> list[dict[str, Any]]:
        out = []
        for i, f in enumerate(reversed(self._current_stack()), 1):
            out.append(
                {
                    "id": i,
                    "name": f.function or "main chunk",
                    "file": self._realpath(f.file),
                    "chunk": os.path.basename(f.file),
                    "line": f.line,
                    "kind": FrameKind.SPELL.value,
                    "thread": "main",
                }
            )
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
        return {
            "name": name,
            "value": shown,
            "type": t,
            "ref": self._ref(("value", v)) if expandable else 0,
            "length": length,
        }

    def _step_from_bridge(self, action: str) -> None:
        self._resume(action, len(self._current_stack()))

    def handle_command(self, msg: DebugCommand) -> str | None:
        """Serve one command; returns the resume action when it resumes a stopped spell."""
        cmd, args = msg.command, msg.args or {}
        mode = self.modes[-1]
        try:
            if cmd == "set_breakpoints":
                path = os.path.realpath(args["file"])
                self.files[path] = list(args.get("breakpoints") or [])
                self.inbox.reply(msg, {"file": path, "breakpoints": self._apply().get(path, [])})
                return None
            if cmd == "set_options":
                if "break_on_error" in args:
                    self.break_on_error = bool(args["break_on_error"])
                self.inbox.reply(msg, {"ok": True})
                return None
            if cmd == "pause":
                if mode != "paused":
                    self.pause_requested = True  # running or in a bridge call: stop at the next statement
                self.inbox.reply(msg, {"ok": True})
                return None
            if cmd in RESUME_COMMANDS:
                return self._resume_command(msg, args, mode)
            if cmd in INSPECT_COMMANDS:
                if mode == "running":
                    self.inbox.reply(msg, error="the spell is running (pause it first)")
                    return None
                self.inbox.reply(msg, self._inspect(cmd, args))
                return None
            self.inbox.reply(msg, error=f"unknown debug command {cmd!r}")
        except (KeyError, TypeError, ValueError) as e:
            self.inbox.reply(msg, error=f"bad {cmd} request: {e}")
        return None

    def _inspect(self, cmd: str, args: dict[str, Any]) -> Any:
        if cmd == "stack":
            return self._frames()
        if cmd == "scopes":
            fid = int(args.get("frame", 1))
            self._frame(fid)
            return [
                {"name": "Locals", "ref": self._ref(("locals", fid))},
                {"name": "Upvalues", "ref": self._ref(("free", fid))},
            ]
        if cmd == "variables":
            return self._variables(int(args["ref"]), int(args.get("start", 0)), int(args.get("count", 100)))
        if cmd == "string":
            rec = self._get_ref(int(args["ref"]))
            if rec[0] != "value" or type(rec[1]) is not str:
                raise ValueError("not a string reference")
            s, off = rec[1], int(args.get("offset", 1))
            return {"text": s[off - 1 : off - 1 + int(args.get("length", 65536))], "length": len(s)}
        if cmd == "evaluate":
            st = self._current_stack()
            frame = self._frame(int(args.get("frame") or 1)) if st else None
            ok, v = self._eval(str(args["expression"]), frame, st)
            if not ok:
                return {"ok": False, "error": v}
            return {**self._variable("result", v), "ok": True}
        if cmd == "set_variable":
            return self._set_variable(int(args["ref"]), str(args["name"]), str(args["value"]))
        raise ValueError(f"{cmd} is not supported for Tengo spells")

    # expressions ---------------------------------------------------------------------------------------------
    def _scope_cells(self, frame: Any, stack: list[Any]) -> tuple[tuple[str, ...], list[O.Cell]]:
        """The variables an expression in ``frame`` sees, with a cell for each: the frame's locals and free
        variables (captured ones through their own cells), then the main script's top-level variables."""
        names: list[str] = []
        cells: list[O.Cell] = []
        seen: set[str] = set()
        frames = [frame]
        if stack and stack[0] is not frame and stack[0].file == frame.file:
            frames.append(stack[0])
        for f in frames:
            fr = f.fr
            for name, (kind, idx) in f.scope.items():
                if name in seen:
                    continue
                try:
                    v = fr[idx] if kind == "local" else fr[0][idx]
                except IndexError:  # pragma: no cover - defensive
                    continue
                seen.add(name)
                names.append(name)
                cells.append(v if type(v) is O.Cell else O.Cell(O.UNDEFINED if v is None else v))
        return tuple(names), cells

    def _compile(self, text: str, names: tuple[str, ...]) -> Any:
        key = (text, names)
        fn = self._compiled.get(key)
        if fn is None:
            if self._eval_builtins is None:
                self._eval_builtins = dict(self.interp.builtins)
                for name in ("delete", "splice"):
                    self._eval_builtins[name] = _refused(name)
            fn = compile_expression(self.interp, text, names, self._eval_builtins)
            if len(self._compiled) > 512:
                self._compiled.clear()
            self._compiled[key] = fn
        return fn

    def _eval(self, text: str, frame: Any, stack: list[Any]) -> tuple[bool, Any]:
        """Evaluate ``text`` in ``frame`` (None: no frame yet, builtins only): (True, value) or (False, error)."""
        if self.interp is None:
            return False, "the spell has not started"
        names, cells = self._scope_cells(frame, stack) if frame is not None else ((), [])
        rt = self.interp.rt
        saved = rt.depth, rt.line, self.evaluating, self.eval_steps, self.eval_refused
        self.evaluating, self.eval_steps, self.eval_refused = True, 0, None
        try:
            value = self._compile(text, names)(cells)
            if self.eval_refused:
                return False, self.eval_refused
            return True, value
        except TengoError as e:
            return False, self.eval_refused or e.message
        except ValueError as e:
            return False, str(e)
        except RecursionError:
            return False, "evaluation nested too deeply"
        except MemoryError:
            return False, "evaluation ran out of memory"
        except Exception as e:
            log.exception("evaluation of %r failed", text)
            return False, f"internal interpreter error: {type(e).__name__}"
        finally:
            rt.depth, rt.line, self.evaluating, self.eval_steps, self.eval_refused = saved

    def _set_variable(self, ref: int, name: str, expr: str) -> dict[str, Any]:
        """Set a local or free variable of a frame, a map key or an array element to the value of ``expr``
        (evaluated in that frame; map and array refs: in the top frame)."""
        kind, x = self._get_ref(ref)
        st = self._current_stack()
        frame = self._frame(x if kind in ("locals", "free") else 1) if st else None
        if frame is None:
            return {"ok": False, "error": "no frame"}
        target = None
        if kind in ("locals", "free"):
            entry = frame.scope.get(name)
            if entry is None or (entry[0] == "local") != (kind == "locals"):
                what = "local" if kind == "locals" else "upvalue"
                return {"ok": False, "error": f"no {what} named {name}"}
            target = entry
        elif kind == "value" and type(x) is O.Map:
            pass
        elif kind == "value" and type(x) is O.Array:
            m = _INDEX.match(name)
            if not m or int(m.group(1)) >= len(x.value):
                return {"ok": False, "error": f"no element {name}"}
        elif kind == "value" and type(x) in (O.ImmutableMap, O.ImmutableArray):
            return {"ok": False, "error": f"an {O.type_name(x)} cannot be changed"}
        else:
            return {"ok": False, "error": "this variable cannot be set"}
        ok, value = self._eval(expr, frame, st)
        if not ok:
            return {"ok": False, "error": value}
        if target is not None:
            k, idx = target
            if k == "local":
                cur = frame.fr[idx]
                if type(cur) is O.Cell:
                    cur.v = value  # a captured local: the closures sharing it see the change too
                else:
                    frame.fr[idx] = value
            else:
                frame.fr[0][idx].v = value
        elif type(x) is O.Map:
            x.value[name] = value
        else:
            x.value[int(name[1:-1])] = value
        return {**self._variable(name, value), "ok": True}

    def _get_ref(self, ref: int) -> Any:
        if not 0 < ref < len(self.refs):
            raise ValueError(f"unknown variable reference {ref}")
        return self.refs[ref]

    def _variables(self, ref: int, start: int, count: int) -> dict[str, Any]:
        kind, x = self._get_ref(ref)
        if kind in ("locals", "free"):
            f = self._frame(x)
            values = f.variables()
            pairs = [
                (n, values[n]) for n, (k, _i) in f.scope.items() if n in values and (k == "local") == (kind == "locals")
            ]
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
        items = [self._variable(n, v) for n, v in pairs[start : start + count]]
        return {"items": items, "total": len(pairs)}
