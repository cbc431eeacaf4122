"""The worker side of the debugger for JavaScript spells: same host session and protocol as the Lua agent.

quickjs has no debugger API, so a debug run loads every file instrumented (:mod:`app.debugger.js_instrument`):
statement probes gated by a per-function flag, a shadow stack kept by the functions that run hot, scope closures
at the probes. ``js_agent.js`` (the JavaScript half) decides at each hot probe whether to stop (breakpoints with
conditions, hit counts and log messages, steps, pause) and keeps the values a stopped spell shows; this half owns
the worker's channel during the run, verifies breakpoints, instruments files as they load and serves the host's
:class:`~app.engines.protocol.DebugCommand` messages while the spell is stopped (it blocks inside the probe's
host call, as the Lua agent blocks inside its hook).

Threads. quickjs releases the GIL while JavaScript runs but its context must only be used from the worker's
thread. A reader thread owns the channel's input and fills an inbox (the worker's bridge-call loop reads it
through ``channel.read``); a debug command arriving while the spell runs is seen by quickjs's interrupt handler
(:mod:`app.debugger.js_interrupt`), which turns the hot flags on so that the next statement calls
:meth:`_js_poll`: ``pause`` stops ``while (true) {}`` and breakpoints set while running take effect. (Without
the handler, loop counters poll every ``POLL_EVERY`` iterations.)

Spell frames are reported with ``kind: "spell"`` (:class:`app.engines.protocol.FrameKind`). Scopes: ``Locals`` (the
function's parameters, variables of the enclosing blocks, ``this``, ``arguments`` when it uses them),
``Closure`` (variables it captures from enclosing functions) and ``Globals`` (the file's top-level names).
Frames entered while the debugger was not needed (no breakpoint in them, no step running) join the shadow stack
at their first statement after that; until then they are not listed.
"""

from __future__ import annotations

import json
import logging
import os
import re
from importlib import resources
from typing import Any

from app.debugger.agent import INSPECT_COMMANDS, RESUME_COMMANDS, parse_hit
from app.debugger.agent_base import DebugAgentBase
from app.debugger.inbox import DebugInbox
from app.debugger.js_instrument import Instrumented, JsInstrumentError, instrument, parse
from app.debugger.js_interrupt import Poker
from app.engines.protocol import DebugCommand, Paused

log = logging.getLogger(__name__)

_AGENT_SOURCE = resources.files("app.debugger").joinpath("js_agent.js").read_text("utf-8")
_LOG_PART = re.compile(r"\{([^{}]+)\}")
_WRITES = {"assignment_expression", "augmented_assignment_expression", "update_expression"}
MAX_VERIFY_BYTES = 4 * 1024 * 1024


def parse_log(message: str) -> list[list[str]]:
    """``"x={x} y"`` → ``[["text", "x="], ["expr", "x"], ["text", " y"]]``."""
    parts: list[list[str]] = []
    pos = 0
    for m in _LOG_PART.finditer(message):
        if m.start() > pos:
            parts.append(["text", message[pos : m.start()]])
        parts.append(["expr", m.group(1)])
        pos = m.end()
    if pos < len(message):
        parts.append(["text", message[pos:]])
    return parts


def expression_error(text: str) -> str | None:
    """Why ``text`` is not one read-only JavaScript expression (syntax only), or None."""
    root = parse(f"(\n{text}\n);")
    stmts = [c for c in root.named_children if c.type != "comment"]
    if root.has_error or len(stmts) != 1 or stmts[0].type != "expression_statement":
        return f"not an expression: {text.strip()[:80]}"
    stack = [stmts[0]]
    while stack:
        n = stack.pop()
        if n.type in _WRITES:
            return "evaluation is read-only: assignments are not allowed"
        if n.type == "unary_expression" and n.children and n.children[0].type == "delete":
            return "evaluation is read-only: delete is not allowed"
        stack.extend(n.children)
    return None


class _Loaded:
    """A file as the debug run loaded it."""

    def __init__(self, fid: int, path: str, info: Instrumented):
        self.fid = fid
        self.path = path
        self.info = info


class JsDebugAgent(DebugAgentBase):
    """One debug run of a JavaScript spell inside the worker (a context manager around the run)."""

    def __init__(self, session: Any, host: Any, config: dict[str, Any]):
        self._begin(host, config)
        self.session = session
        self.ctx = session.ctx
        self.loaded: dict[str, _Loaded] = {}
        self.next_fid = 0
        inbox = DebugInbox(self.worker, "js-debug-reader")
        # the JavaScript half
        ctx = self.ctx
        ctx.add_callable("__ls_dbg_stop", self._js_stop)
        ctx.add_callable("__ls_dbg_poll", self._js_poll)
        ctx.add_callable("__ls_dbg_output", self._js_output)
        ctx.eval("globalThis.__ls_dbg_ctl = (" + _AGENT_SOURCE + ")(__ls_dbg_stop, __ls_dbg_poll, __ls_dbg_output)")
        self.js = {
            name: ctx.eval(f"__ls_dbg_ctl.{name}")
            for name in (
                "addFile",
                "setBreakpoints",
                "setOptions",
                "step",
                "inspect",
                "callback",
                "isEvaluating",
                "endBridgeStop",
            )
        }
        ctx.eval("globalThis.__ls_dbg_poke = __ls_dbg_ctl.poke")
        self.poker = Poker()
        self.poked = self.poker.install(ctx, "__ls_dbg_poke", lambda: inbox.pending and self.modes[-1] == "running")
        if not self.poked:
            log.info("pausing a JS spell through loop counters (no interrupt handler)")
        ctx.eval(
            "delete globalThis.__ls_dbg_ctl; delete globalThis.__ls_dbg_stop; delete globalThis.__ls_dbg_poll;"
            " delete globalThis.__ls_dbg_output; delete globalThis.__ls_dbg_poke"
        )
        self._set_options(
            {
                "break_on_error": bool(self.config.get("break_on_error", True)),
                "break_on_caught": bool(self.config.get("break_on_caught", False)),
            }
        )
        session.source_hook = self.prepare
        self._attach(inbox)

    # life cycle ------------------------------------------------------------------------------------------------
    def __enter__(self) -> JsDebugAgent:
        return self

    def _mark_closed(self) -> None:
        self.closed = True
        self.poker.close()

    def _after_close(self) -> None:
        self.session.source_hook = None

    # loading -------------------------------------------------------------------------------------------------
    def prepare(self, path: str, source: str) -> str:
        """A file about to be compiled (the main spell or a required module): instrumented, breakpoints sent."""
        real = self.main_path if path == self.session.spell_file else os.path.realpath(path)
        fid = self.next_fid
        try:
            info = instrument(source, fid, loop_polls=not self.poked)
        except (JsInstrumentError, RecursionError) as e:
            log.info("%s runs without probes: %s", path, e)
            return source  # a syntax error: the normal compile reports it
        self.next_fid += 1
        self.loaded[real] = _Loaded(fid, real, info)
        names: list[list[list[Any]]] = []
        index: dict[tuple[Any, ...], int] = {}
        sites = []
        for s in info.sites:
            key = tuple(s.names)
            if key not in index:
                index[key] = len(names)
                names.append([[n, kind, settable] for n, kind, settable in s.names])
            sites.append([s.line, s.k, index[key], 1 if s.statement else 0])
        meta = {
            "path": real,
            "functions": [[f.name, f.line, f.end_line, f.kind] for f in info.functions],
            "sites": sites,
            "names": names,
            "top": [[n, settable] for n, settable in info.top_names],
        }
        self.js["addFile"](fid, json.dumps(meta))
        results = self._apply()
        for fpath, recs in results.items():
            if fpath == real or real == self.main_path:
                self.inbox.event("breakpoints", file=fpath, breakpoints=recs)
        return info.text

    # breakpoints ---------------------------------------------------------------------------------------------
    def _info_for(self, path: str) -> Instrumented | None:
        loaded = self.loaded.get(path)
        if loaded is not None:
            return loaded.info
        try:
            if os.path.getsize(path) > MAX_VERIFY_BYTES:
                return None
            with open(path, encoding="utf-8") as f:
                return instrument(f.read(), -1)
        except (OSError, UnicodeDecodeError, JsInstrumentError, RecursionError):
            return None

    def _apply(self) -> dict[str, list[dict[str, Any]]]:
        results: dict[str, list[dict[str, Any]]] = {}
        spec: dict[str, dict[str, Any]] = {}
        bps_by_path = {p: list(b) for p, b in self.files.items()}
        if self.temp_bp:
            bps_by_path.setdefault(self.temp_bp["file"], []).append(self.temp_bp)
        for path, bps in bps_by_path.items():
            info = self._info_for(path)
            loaded = self.loaded.get(path)
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
                line = info.resolve_line(req) if info is not None else None
                if info is None:
                    rec["message"] = "cannot read the file"
                elif line is None:
                    rec["message"] = "no code on or after this line"
                elif hit_err:
                    rec["message"] = hit_err
                else:
                    rec["line"] = line
                    rec["verified"] = loaded is not None or path == self.main_path
                    if line != req:
                        rec["message"] = f"moved to line {line}, the next line with code"
                    if not rec["verified"]:
                        rec["message"] = "not loaded yet" + (f"; will move to line {line}" if line != req else "")
                    cond = str(bp.get("condition") or "").strip() or None
                    cond_err = expression_error(cond) if cond else None
                    log_parts = parse_log(str(bp["log"])) if bp.get("log") else None
                    for kind, text in log_parts or ():
                        err = expression_error(text) if kind == "expr" else None
                        if err and not cond_err:
                            rec["message"] = f"log message error: {{{text}}}: {err}"
                    if cond_err:
                        rec["message"] = f"condition error: {cond_err}"
                        rec["condition_error"] = cond_err
                    if loaded is not None and bp.get("enabled", True):
                        fspec = spec.setdefault(str(loaded.fid), {"hot": [], "lines": {}})
                        fspec["hot"].extend(info.sites[i].k for i in info.sites_at(line))
                        fspec["lines"].setdefault(str(line), []).append(
                            {
                                "id": bp.get("id"),
                                "line": line,
                                "condition": None if cond_err else cond,
                                "cond_error": cond_err,
                                "hit_mode": mode,
                                "hit_n": n,
                                "log_parts": log_parts,
                                "temporary": bool(bp.get("temporary")),
                                "enabled": True,
                            }
                        )
                if not bp.get("temporary"):
                    out.append(rec)
        for fspec in spec.values():
            for recs in fspec["lines"].values():
                for b in recs:
                    if b["cond_error"]:  # reaching the line stops with the error, as for Lua
                        b["condition"] = "(() => { throw new SyntaxError(" + json.dumps(b["cond_error"]) + "); })()"
        self.js["setBreakpoints"](json.dumps(spec))
        return results

    def _set_options(self, opts: dict[str, Any]) -> None:
        self.js["setOptions"](json.dumps(opts))

    def _place(self, frames: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Frames known only from quickjs's stack trace: their file and line from the quickjs line."""
        for f in frames:
            q = f.pop("qline", None)
            if q is not None:
                file, line = self.session.place(int(q))
                f["file"] = self.main_path if file == self.session.spell_file else os.path.realpath(file)
                f["line"] = line
                f["chunk"] = os.path.basename(f["file"])
        return frames

    # host callables (called by js_agent.js; must never raise) -----------------------------------------------
    def _js_output(self, text: str) -> None:
        try:
            self.worker.out.flush()
            self.host.output("stdout", str(text))
        except Exception:
            log.exception("log message output failed")

    def _js_poll(self) -> str | None:
        try:
            if self.inbox.pending:
                while True:
                    msg = self.inbox.next_command(block=False)
                    if msg is None:
                        break
                    self.handle_command(msg)
            if self.pause_requested:
                self.pause_requested = False
                return "pause"
        except Exception:
            log.exception("debug poll failed")
        return None

    def _js_stop(self, payload: str) -> str:
        """Stopped (breakpoint, step, pause, exception): tell the host, serve commands until it resumes us."""
        self.modes.append("paused")
        try:
            stop = json.loads(payload)
            if self.temp_bp is not None:
                self.temp_bp = None
                self._apply()
            self.pause_requested = False
            self.worker.out.flush()
            data = stop.get("data") or {}
            data["frames"] = self._place(data.get("frames") or [])
            self.channel.send(Paused(self.run_id, stop["reason"], stop.get("file"), stop.get("line"), data))
            while True:
                msg = self.inbox.next_command(block=True)
                assert msg is not None
                action = self.handle_command(msg)
                if action is not None:
                    return action
        except Exception:
            log.exception("debugger stop failed")
            return "continue"
        finally:
            self.modes.pop()

    def _evaluating(self) -> bool:
        return bool(self.js["isEvaluating"]())

    def _after_bridge_call(self) -> None:
        self.js["endBridgeStop"]()

    def _enter_callback(self) -> None:
        self.js["callback"](1)

    def _leave_callback(self) -> None:
        self.js["callback"](-1)

    # commands ------------------------------------------------------------------------------------------------
    def _step_from_bridge(self, action: str) -> None:
        self.js["step"](action)

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
                self._set_options({k: bool(v) for k, v in args.items() if k in ("break_on_error", "break_on_caught")})
                self.inbox.reply(msg, {"ok": True})
                return None
            if cmd == "pause":
                if mode == "bridge":
                    self.js["step"]("pause")  # stop at the next statement after the bridge call
                elif mode != "paused":
                    self.pause_requested = True
                self.inbox.reply(msg, {"ok": True})
                return None
            if cmd in RESUME_COMMANDS:
                return self._resume_command(msg, args, mode)
            if cmd in INSPECT_COMMANDS:
                if mode == "running":
                    self.inbox.reply(msg, error="the spell is running (pause it first)")
                    return None
                if cmd in ("evaluate",):
                    err = expression_error(str(args.get("expression", "")))
                    if err:
                        self.inbox.reply(msg, {"ok": False, "error": err})
                        return None
                if cmd == "set_variable":
                    err = expression_error(str(args.get("value", "")))
                    if err:
                        self.inbox.reply(msg, {"ok": False, "error": err})
                        return None
                res = json.loads(self.js["inspect"](cmd, json.dumps(args)))
                if res.get("ok"):
                    self.inbox.reply(msg, self._place(res.get("value")) if cmd == "stack" else res.get("value"))
                else:
                    self.inbox.reply(msg, error=f"{cmd} failed: {res.get('error')}")
                return None
            self.inbox.reply(msg, error=f"unknown debug command {cmd!r}")
        except (KeyError, TypeError, ValueError) as e:
            self.inbox.reply(msg, error=f"bad {cmd} request: {e}")
        return None
