"""The worker side of the Lua debugger: hooks, breakpoints, stops, and the data a stopped spell shows.

Lives inside a worker process for the length of one debug run (``RunRequest.debug`` is not None); plain runs
never import it and keep zero hook overhead. The Lua half (``lua_agent.lua``) runs the hooks and inspects the
stack; this half owns the worker's channel during the run, verifies breakpoints, instruments chunks as they load
and answers the host's :class:`~app.engines.protocol.DebugCommand` messages.

Threads. The Lua runtime stays on the worker's main thread. A reader thread (a :class:`DebugInbox`) owns the
channel's input while the run lasts: every message goes into an inbox that the main thread reads (a pending bridge
call, a stop), and a debug command additionally *pokes* the running coroutine: ``lua_sethook`` with a
one-instruction count hook, called through ctypes from the reader thread (lupa releases the GIL while Lua runs;
``lua_sethook`` is the async-safe way in, as lua.c uses it from a signal handler). The count hook polls the inbox, so
a spinning ``while true do end`` stops, and breakpoints changed while running take effect at once, with no hook cost
until then. Which coroutine runs is kept in a one-slot Lua table that the reader thread reads directly (layout
checked at start-up; when the check fails only the main coroutine can be poked).

Pauses before LLM and tool calls are the host's (``session.py``): the worker is then inside a bridge call, and
answers stack and variable requests from there.
"""

from __future__ import annotations

import ctypes
import logging
import os
import re
import threading
from importlib import resources
from typing import TYPE_CHECKING, Any

from lupa import lua54

from app.debugger.agent_base import DebugAgentBase
from app.debugger.inbox import DebugInbox
from app.debugger.instrument import ENV_KEY, InstrumentError, instrument
from app.debugger.luadump import ChunkInfo, DumpError, analyse
from app.engines.protocol import DebugCommand, FrameKind, Paused

log = logging.getLogger(__name__)

_AGENT_SOURCE = resources.files("app.debugger").joinpath("lua_agent.lua").read_text("utf-8")
_SANDBOX_CHUNK = "<python>"  # how lupa names the chunk of LuaRuntime.execute (the sandbox)
_HIT = re.compile(r"^\s*(==|>=|%|every)?\s*(\d+)\s*$")
LUA_MASKCOUNT = 8
REPOKE_S = 0.01
#: Bridges an evaluation may call: they have no side effects.
RESUME_COMMANDS = ("continue", "step_in", "step_over", "step_out", "run_to_cursor")
INSPECT_COMMANDS = ("stack", "scopes", "variables", "evaluate", "set_variable", "string")


def _lualib() -> ctypes.CDLL:
    lib = ctypes.CDLL(lua54.__file__)
    lib.lua_sethook.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int, ctypes.c_int]
    lib.lua_sethook.restype = None
    lib.lua_gethook.argtypes = [ctypes.c_void_p]
    lib.lua_gethook.restype = ctypes.c_void_p
    lib.lua_gethookmask.argtypes = [ctypes.c_void_p]
    lib.lua_gethookmask.restype = ctypes.c_int
    return lib


_LIB: ctypes.CDLL | None = None


def to_py(value: Any, depth: int = 0) -> Any:
    """A Lua value (tables from lua_agent.lua) as plain Python data: arrays → lists, other tables → dicts."""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if lua54.lua_type(value) == "table" and depth < 20:
        keys = list(value.keys())
        if keys and all(isinstance(k, int) for k in keys) and sorted(keys) == list(range(1, len(keys) + 1)):
            return [to_py(value[k], depth + 1) for k in range(1, len(keys) + 1)]
        return {str(to_py(k)): to_py(value[k], depth + 1) for k in keys}
    return str(value)


def parse_hit(text: str | None) -> tuple[str | None, int | None, str | None]:
    """``"== 3"``, ``">= 3"``, ``"% 3"`` / ``"every 3"``, or ``"3"`` (same as ``>= 3``) → (mode, n, error)."""
    if not text or not str(text).strip():
        return None, None, None
    m = _HIT.match(str(text))
    if not m or int(m.group(2)) <= 0:
        return None, None, f"hit count {text!r} not understood (use == n, >= n, % n)"
    mode = {"every": "%", None: ">="}.get(m.group(1), m.group(1))
    return mode, int(m.group(2)), None


class _Chunk:
    """A loaded chunk: where it came from, its prototypes and their global ids."""

    def __init__(self, name: str, path: str, info: ChunkInfo, base: int, instrumented: set[int]):
        self.name = name
        self.path = path
        self.info = info
        self.base = base
        self.instrumented = instrumented


class _Api:
    """The Lua side's functions, looked up once."""

    NAMES = (
        "setup",
        "hook_off",
        "arm_env",
        "enter_callback",
        "leave_callback",
        "add_chunk",
        "set_breakpoints",
        "refresh_current",
        "stack",
        "scopes",
        "variables",
        "string_slice",
        "evaluate",
        "set_variable",
        "begin_step",
        "begin_pause",
        "set_options",
        "clear_refs",
        "on_error",
        "set_thread_namer",
    )

    if TYPE_CHECKING:  # the Lua functions named in NAMES, set as attributes below

        def __getattr__(self, name: str) -> Any: ...

    def __init__(self, table: Any):
        for name in self.NAMES:
            setattr(self, name, table[name])


class LuaDebugAgent(DebugAgentBase):
    """One debug run of a Lua spell inside the worker (a context manager around the run)."""

    def __init__(self, session: Any, host: Any, config: dict[str, Any]):
        global _LIB
        self._begin(host, config)
        self.session = session
        self.spell_dir = host.spell_dir
        self.main_chunk: str | None = None
        self.instrument_all = self.config.get("instrument") == "all"
        self.chunks: dict[str, _Chunk] = {}
        self.next_k = 1
        self.evaluating = False
        self._poke_lock = threading.Lock()
        # Lua side
        if _LIB is None:
            _LIB = _lualib()
        self.lib = _LIB
        rt = session.rt
        res = rt.globals().load(_AGENT_SOURCE, "=[llmspell-debug]")
        fn = res[0] if isinstance(res, tuple) else res
        if fn is None:
            raise RuntimeError(f"debugger agent does not compile: {res!r}")
        py = rt.table_from(
            {
                "stop": self._lua_stop,
                "poll": self._lua_poll,
                "safe_point": self._lua_safe_point,
                "output": self._lua_output,
                "eval_flag": self._lua_eval_flag,
            }
        )
        # Attribute access on Lua tables from Python misbehaves inside coroutines (lupa 2.8 returned a tuple):
        # every Lua function used later is looked up now, on the main coroutine.
        self.api = _Api(fn(py))
        self._load = rt.globals().load
        opts = rt.table_from({"break_on_error": bool(self.config.get("break_on_error", True))})
        self.D, _cur, main_hex, cur_hex = self.api.setup(
            session.env, _SANDBOX_CHUNK, opts, session.invoke_callback, session.sandbox.run_main
        )
        self.main_L = int(main_hex, 16)
        self.hookf = self.lib.lua_gethook(self.main_L)
        self.api.hook_off()
        self.cur_table = int(cur_hex, 16)
        self.cur_ok = self._check_current_slot()
        if not self.cur_ok:
            log.warning("cannot read the running coroutine: pause reaches the main coroutine only")
        session.sandbox.set_chunk_loader(self._lua_loader)
        session.sandbox.set_error_observer(self.api.on_error)
        tasks = getattr(session, "tasks", None)
        if tasks is not None:  # tasks run on the debugger's coroutines (hooked, stepped, shown as "task #n")
            coroutine = session.env.coroutine
            tasks.set_coroutines(coroutine.create, coroutine.resume)
            self.api.set_thread_namer(tasks.name_of, tasks.list)
        # a command arriving while the spell runs pokes it to the hook, again every REPOKE_S until taken
        self._attach(DebugInbox(self.worker, "debug-reader", self._poke_if_running, REPOKE_S))

    # life cycle ------------------------------------------------------------------------------------------------
    def __enter__(self) -> LuaDebugAgent:
        return self

    def _mark_closed(self) -> None:
        with self._poke_lock:  # a poke from the reader thread sees it, and then touches Lua no more
            self.closed = True

    def _after_close(self) -> None:
        left = self.inbox.unread()
        if left:
            log.warning("%d messages left unread at the end of a debug run", left)

    # the running coroutine, read from another OS thread ---------------------------------------------------------
    def _current_L(self) -> int:
        if not self.cur_ok:
            return self.main_L
        arr = ctypes.c_void_p.from_address(self.cur_table + 16).value
        return ctypes.c_void_p.from_address(arr).value if arr else self.main_L  # type: ignore[return-value]

    def _check_current_slot(self) -> bool:
        try:
            arr = ctypes.c_void_p.from_address(self.cur_table + 16).value
            if not arr:
                return False
            value = ctypes.c_void_p.from_address(arr).value
            tag = ctypes.c_ubyte.from_address(arr + 8).value
            return value == self.main_L and tag == 0x48  # LUA_VTHREAD | BIT_ISCOLLECTABLE
        except (ValueError, OSError):
            return False

    def _poke(self) -> None:
        """Make the running coroutine call the hook at its next instruction."""
        with self._poke_lock:
            if self.closed or not self.hookf:
                return
            L = self._current_L()
            mask = self.lib.lua_gethookmask(L)
            self.lib.lua_sethook(L, self.hookf, mask | LUA_MASKCOUNT, 1)

    def _poke_if_running(self) -> None:
        if self.modes[-1] == "running":
            self._poke()

    def _lua_safe_point(self) -> None:
        with self._poke_lock:  # after this no poke can hold a pointer to a coroutine Lua has let go of
            pass

    # loading -------------------------------------------------------------------------------------------------------
    def path_of(self, chunk: str) -> str:
        if chunk == self.main_chunk:
            return self.main_path
        if os.path.isabs(chunk) or not self.spell_dir:
            return os.path.realpath(chunk)
        return os.path.realpath(os.path.join(self.spell_dir, chunk))

    def load_main(self, source: str, chunk: str) -> Any:
        """The spell's main chunk, compiled (instrumented where breakpoints are) and ready for ``call_main``."""
        self.main_chunk = chunk
        text = self._prepare(source, chunk)
        return self.session.load(text, chunk)

    def _lua_loader(self, source: Any, name: Any, mode: Any, env: Any) -> tuple[Any, Any]:
        """``require``'s compiler in debug runs (called from the sandbox)."""
        src = source.decode("utf-8") if isinstance(source, bytes) else str(source)
        chunkname = name.decode("utf-8") if isinstance(name, bytes) else str(name)
        chunk = chunkname[1:] if chunkname.startswith("@") else chunkname
        text = self._prepare(src, chunk)
        res = self._load(text, chunkname, "t", env)
        if isinstance(res, tuple):
            return res[0], (res[1] if len(res) > 1 else None)
        return res, None

    def _prepare(self, source: str, chunk: str) -> str:
        try:
            info = analyse(source, "@" + chunk)
        except DumpError:
            return source  # a syntax error: the normal load reports it
        base = self.next_k
        self.next_k += len(info.protos)
        path = self.path_of(chunk)
        if self.instrument_all:
            want = {p.index for p in info.protos}
        else:
            lines = {b["line"] for b in self._bps_for(path)}
            resolved = {info.resolve_line(ln) for ln in lines}
            want = {p.index for p in info.protos if p.lines & resolved}
        text = source
        if want:
            try:
                text = instrument(source, info, {i: base + i for i in want})
            except InstrumentError as e:
                log.warning("no prologues for %s: %s", chunk, e)
                want = set()
        self.chunks[chunk] = _Chunk(chunk, path, info, base, want)
        protos = [
            {
                "k": base + p.index,
                "linedefined": p.linedefined,
                "pline": 1 if p.is_main else p.linedefined,
                "pline_code": (1 if p.is_main else p.linedefined) in p.lines,
                "instrumented": p.index in want,
            }
            for p in info.protos
        ]
        self.api.add_chunk("@" + chunk, self.session.rt.table_from(protos, recursive=True))
        if want:
            self.api.arm_env(ENV_KEY)  # (not env[...] = from Python: lupa fails inside resumed coroutines)
        if self.files or self.temp_bp:
            for fpath, recs in self._apply().items():
                if fpath == path or chunk == self.main_chunk:
                    self.inbox.event("breakpoints", file=fpath, breakpoints=recs)
        return text

    # breakpoints ---------------------------------------------------------------------------------------------------
    def _bps_for(self, path: str) -> list[dict[str, Any]]:
        out = list(self.files.get(path, []))
        if self.temp_bp and self.temp_bp["file"] == path:
            out.append(self.temp_bp)
        return out

    def _chunk_for(self, path: str) -> _Chunk | None:
        for c in self.chunks.values():
            if c.path == path:
                return c
        return None

    def _verify_unloaded(self, path: str) -> ChunkInfo | None:
        try:
            if os.path.getsize(path) > 4 * 1024 * 1024:
                return None
            with open(path, encoding="utf-8") as f:
                return analyse(f.read(), "@" + os.path.basename(path))
        except (OSError, UnicodeDecodeError, DumpError):
            return None

    def _apply(self) -> dict[str, list[dict[str, Any]]]:
        """Send every breakpoint to the Lua side; the verification of each, by file."""
        lua_list: list[dict[str, Any]] = []
        results: dict[str, list[dict[str, Any]]] = {}
        paths = set(self.files) | ({self.temp_bp["file"]} if self.temp_bp else set())
        for path in paths:
            chunk = self._chunk_for(path)
            info = chunk.info if chunk else self._verify_unloaded(path)
            out = results.setdefault(path, [])
            for bp in self._bps_for(path):
                req = int(bp["line"])
                rec: dict[str, Any] = {
                    "id": bp.get("id"),
                    "requested_line": req,
                    "line": req,
                    "verified": False,
                    "message": None,
                }
                mode, n, hit_err = parse_hit(bp.get("hit"))
                if info is None:
                    rec["message"] = "file not loaded yet" if not chunk else "cannot read the file"
                else:
                    line = info.resolve_line(req)
                    if line is None:
                        rec["message"] = "no code on or after this line"
                    else:
                        rec["line"] = line
                        rec["verified"] = chunk is not None
                        if line != req:
                            rec["message"] = f"moved to line {line}, the next line with code"
                        if chunk is None:
                            rec["message"] = "not loaded yet" + (f"; will move to line {line}" if line != req else "")
                if hit_err:
                    rec["message"] = hit_err
                if chunk is not None and rec["verified"]:
                    protos = [chunk.base + p.index for p in chunk.info.protos_at(rec["line"])]
                    lua_list.append(
                        {
                            "id": bp.get("id"),
                            "source": "@" + chunk.name,
                            "line": rec["line"],
                            "protos": protos,
                            "condition": bp.get("condition") or None,
                            "hit_mode": mode,
                            "hit_n": n,
                            "log": bp.get("log") or None,
                            "enabled": bool(bp.get("enabled", True)),
                            "temporary": bool(bp.get("temporary")),
                        }
                    )
                if not bp.get("temporary"):
                    out.append(rec)
        errors = to_py(self.api.set_breakpoints(self.session.rt.table_from(lua_list, recursive=True))) or {}
        if isinstance(errors, dict) and errors:
            for recs in results.values():
                for rec in recs:
                    err = errors.get(str(rec["id"]))
                    if err:
                        rec["message"] = f"condition error: {err}"
                        rec["condition_error"] = err
        self.api.refresh_current()
        return results

    # Python functions the Lua side calls -----------------------------------------------------------------------
    def _lua_output(self, text: Any) -> None:
        self.host.output("stdout", to_py(text))

    def _lua_eval_flag(self, on: Any) -> None:
        self.evaluating = bool(on)

    def _lua_poll(self) -> str | None:
        """The count hook fired (a poke): handle what came in while the spell ran."""
        while True:
            msg = self.inbox.next_command(block=False)
            if msg is None:
                break
            self.handle_command(msg)
        if self.pause_requested:
            self.pause_requested = False
            return "pause"
        return None

    def _lua_stop(self, reason: Any, extra: Any) -> str:
        """Stopped (breakpoint, step, pause, error): tell the host, serve commands until it resumes us."""
        try:
            return self._stopped(reason, extra)
        except Exception:
            log.exception("debugger stop failed")
            raise

    def _stopped(self, reason: Any, extra: Any) -> str:
        self.modes.append("paused")
        try:
            data = to_py(extra) or {}
            if not isinstance(data, dict):
                data = {}
            if self.temp_bp is not None:
                self.temp_bp = None
                self._apply()
            self.pause_requested = False
            frames = self._stack()
            top = next((f for f in frames if f.get("kind") == FrameKind.SPELL), None)
            data["frames"] = frames
            data["thread"] = "coroutine" if self._current_L() != self.main_L else "main"
            self.worker.out.flush()
            self.channel.send(
                Paused(
                    self.run_id, to_py(reason), top.get("file") if top else None, top.get("line") if top else None, data
                )
            )
            while True:
                msg = self.inbox.next_command(block=True)
                assert msg is not None
                action = self.handle_command(msg)
                if action in ("continue", "step_in", "step_over", "step_out"):
                    return action
        finally:
            self.modes.pop()

    def _evaluating(self) -> bool:
        return self.evaluating

    def _enter_callback(self) -> None:
        """Lua runs again for a bridge (a tool body...), so pokes apply."""
        self.api.enter_callback()

    def _leave_callback(self) -> None:
        self.api.leave_callback()

    # commands ------------------------------------------------------------------------------------------------------
    def _stack(self) -> list[dict[str, Any]]:
        frames = to_py(self.api.stack()) or []
        for f in frames:
            if f.get("kind") == "spell" and f.get("chunk"):
                f["file"] = self.path_of(f["chunk"])
        return frames

    def _step_from_bridge(self, action: str) -> None:
        self.api.begin_step(action)

    def handle_command(self, msg: DebugCommand) -> str | None:
        """Serve one command; returns the resume action when it resumes a stopped spell."""
        cmd, args = msg.command, msg.args or {}
        mode = self.modes[-1]
        try:
            if cmd == "set_breakpoints":
                path = os.path.realpath(args["file"])
                self.files[path] = list(args.get("breakpoints") or [])
                results = self._apply()
                self.inbox.reply(msg, {"file": path, "breakpoints": results.get(path, [])})
                return None
            if cmd == "set_options":
                self.api.set_options(
                    self.session.rt.table_from({k: v for k, v in args.items() if k in ("break_on_error",)})
                )
                self.inbox.reply(msg, {"ok": True})
                return None
            if cmd == "pause":
                if mode == "running":
                    self.pause_requested = True
                elif mode == "bridge":
                    self.api.begin_pause()  # waiting for a bridge: stop right after it returns
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
        except lua54.LuaError as e:
            log.exception("debug command %s failed", cmd)
            self.inbox.reply(msg, error=f"{cmd} failed: {e}")
        return None

    def _inspect(self, cmd: str, args: dict[str, Any]) -> Any:
        api = self.api
        if cmd == "stack":
            return self._stack()
        if cmd == "scopes":
            return self._checked(api.scopes(int(args.get("frame", 1))))
        if cmd == "variables":
            return self._checked(
                api.variables(int(args["ref"]), int(args.get("start", 0)), int(args.get("count", 100)))
            )
        if cmd == "string":
            res = api.string_slice(int(args["ref"]), int(args.get("offset", 1)), int(args.get("length", 65536)))
            text, total = res if isinstance(res, tuple) else (res, None)
            if text is None:
                raise ValueError(to_py(total))
            return {"text": to_py(text), "length": to_py(total)}
        if cmd == "evaluate":
            frame = args.get("frame")
            return to_py(api.evaluate(str(args["expression"]), int(frame) if frame else None))
        if cmd == "set_variable":
            return to_py(api.set_variable(int(args["ref"]), str(args["name"]), str(args["value"])))
        raise ValueError(cmd)

    @staticmethod
    def _checked(res: Any) -> Any:
        if isinstance(res, tuple):
            value, err = res[0], res[1] if len(res) > 1 else None
            if value is None:
                raise ValueError(to_py(err))
            return to_py(value)
        return to_py(res)
