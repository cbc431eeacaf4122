"""Lua 5.4 spells through lupa, in a sandbox (docs/facts.md, "lupa"): a fresh runtime per run, no Python reachable.

The sandbox itself is Lua code (``lua_sandbox.lua``): it builds a whitelisted ``_ENV``, the bridge globals from
the registry's description, and encodes values for the host as JSON so cycles, depth and array-ness are decided
in one place. Python objects never enter the spell's environment: the host functions stay upvalues.
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
from collections.abc import Callable
from importlib import resources
from typing import Any

from lupa import lua54

from app import languages
from app.engines.base import (
    BridgeFault,
    Diagnostic,
    EngineHost,
    Frame,
    LimitExceeded,
    ScriptFunctions,
    SpellError,
    SpellFailure,
)

log = logging.getLogger(__name__)

_SANDBOX_SOURCE = resources.files("app.engines").joinpath("lua_sandbox.lua").read_text("utf-8")
_TASKS_SOURCE = resources.files("app.engines").joinpath("lua_tasks.lua").read_text("utf-8")
_TEST_SOURCE = resources.files("app.engines").joinpath("lua_test.lua").read_text("utf-8")
_LOCATION = re.compile(r"^(?P<file>.*?):(?P<line>\d+): (?P<msg>.*)$", re.S)
_NEAR = re.compile(r"near '(?P<tok>[^']*)'")
MAX_RESULT_CHARS = 64 * 1024 * 1024


def _deny_getattr(obj: Any, name: Any) -> Any:
    raise AttributeError("access to Python attributes is not allowed in spells")


def _deny_setattr(obj: Any, name: Any, value: Any) -> None:
    raise AttributeError("access to Python attributes is not allowed in spells")


def new_runtime() -> Any:
    """A bare LuaRuntime with Python's eval/builtins unregistered and attribute access denied."""
    return lua54.LuaRuntime(
        register_eval=False,
        register_builtins=False,
        unpack_returned_tuples=True,
        attribute_handlers=(_deny_getattr, _deny_setattr),
        max_memory=0,
    )


def _lua_load(rt: Any, source: str, chunk: str, env: Any = None) -> tuple[Any, Any]:
    """Lua's ``load`` in text mode: ``(function, None)`` or ``(None, message)``."""
    load = rt.globals().load
    res = load(source, chunk, "t", env) if env is not None else load(source, chunk, "t")
    if isinstance(res, tuple):
        return res[0], res[1] if len(res) > 1 else None
    return res, None


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


class _Session:
    """One sandboxed runtime: the spell's environment and the host functions it may reach."""

    def __init__(self, host: EngineHost, spell_file: str):
        self.host = host
        self.spell_file = spell_file
        self.names: dict[str, str] = {}  # chunk name → absolute path
        self.rt = new_runtime()
        self.memory_limit = max(1, int(host.limits.memory_mb)) * 1024 * 1024
        self.sandbox = self.rt.execute(_SANDBOX_SOURCE, self._host_call, self._host_output, self._host_module, None)
        self.callbacks = _LuaCallbacks(self)
        spec = {"globals": host.bridges.globals, "types": host.bridges.types}
        # lupa 2.8: indexing a Lua table made here fails (returns a tuple) while a coroutine started by
        # coroutine.resume runs, e.g. when it calls a bridge: the sandbox's functions are looked up once, now.
        self._mark_array = self.sandbox.mark_array
        self._make_handle = self.sandbox.make_handle
        self.invoke_callback = self.sandbox.invoke_callback
        self.env = self.sandbox.setup(self.to_lua(spec), None, spell_file)
        self.tasks = self._install_tasks()

    def _install_tasks(self) -> Any:
        """The ``Task`` global (lua_tasks.lua), when the worker can make calls without waiting for them."""
        if not hasattr(self.host, "send_call"):
            return None
        internals = self.sandbox.internals
        guard = internals.guard
        tasks_fn, _err = _lua_load(self.rt, _TASKS_SOURCE, "=[llmspell tasks]")
        tasks = tasks_fn(
            guard(self._host_send),
            guard(self._host_wait),
            guard(self._host_cancel),
            guard(self._host_clock),
            guard(self._host_pending),
            internals,
        )
        self.sandbox.set_tasks(tasks.task_call, tasks.drain, tasks.cancel_all, tasks.task_where)
        self.env.Task = tasks["global"]
        return tasks

    # conversion ---------------------------------------------------------------------------------------------
    def to_lua(self, value: Any) -> Any:
        """A plain host value as a Lua value: lists become array tables, handles become objects."""
        if value is None or isinstance(value, (bool, int, float, str)):
            return value
        if isinstance(value, list):
            return self._mark_array(self.rt.table_from([self.to_lua(v) for v in value]))
        if isinstance(value, dict):
            if "$handle" in value and "$type" in value and len(value) == 2:  # else plain data (as in JS)
                return self._make_handle(value["$handle"], value.get("$type"))
            return self.rt.table_from({k: self.to_lua(v) for k, v in value.items() if v is not None})
        return str(value)

    def push(self, value: Any) -> Any:
        """Convert with the memory limit lifted: Lua aborts the process when the host pushes past it."""
        self.rt.set_max_memory(0)
        try:
            return self.to_lua(value)
        finally:
            self.rt.set_max_memory(self.memory_limit)

    # host functions (called from Lua; they never raise) -----------------------------------------------------
    def _host_call(self, target: Any, method: Any, payload: Any, line: Any) -> tuple[str, Any]:
        try:
            args, opts = json.loads(_text(payload))
            if isinstance(target, float) and target.is_integer():
                target = int(target)
            value = self.host.bridge_call(
                target if isinstance(target, int) else _text(target),
                _text(method),
                args,
                opts,
                line,
                self.callbacks,  # type: ignore[arg-type]
            )
            return "ok", self.push(value)
        except BridgeFault as f:
            return "error", self.push({"code": f.code, "message": f.message, "retryable": f.retryable})
        except LimitExceeded:
            raise
        except Exception as e:  # a bug on our side: report it in the spell's terms, log the details
            log.exception("bridge call failed inside the worker")
            return "error", self.push({"code": "internal", "message": str(e)})

    def _host_send(self, target: Any, method: Any, payload: Any, line: Any, abortable: Any = False) -> tuple[str, Any]:
        """Start a task's bridge call without waiting: ``("ok", call_id)`` or ``("error", fault)``."""
        try:
            args, opts = json.loads(_text(payload))
            if isinstance(target, float) and target.is_integer():
                target = int(target)
            call_id = self.host.send_call(
                target if isinstance(target, int) else _text(target),
                _text(method),
                args,
                opts,
                line,
                self.callbacks,  # type: ignore[arg-type]
                bool(abortable),
            )
            return "ok", call_id
        except BridgeFault as f:
            return "error", self.push({"code": f.code, "message": f.message, "retryable": f.retryable})
        except Exception as e:  # a bug on our side: report it in the spell's terms, log the details
            log.exception("starting a task's bridge call failed inside the worker")
            return "error", self.push({"code": "internal", "message": str(e)})

    def _host_wait(self, timeout: Any) -> tuple[Any, ...]:
        """The next answer to a task's call as ``(call_id, "ok"|"error", value)``; nothing when ``timeout``
        seconds pass first."""
        msg = self.host.wait_any(None if timeout is None else float(timeout))
        if msg is None:
            return (None,)
        if msg.error:
            err = {
                "code": msg.error.get("code", "internal"),
                "message": msg.error.get("message", ""),
                "retryable": bool(msg.error.get("retryable")),
            }
            return msg.call_id, "error", self.push(err)
        return msg.call_id, "ok", self.push(msg.value)

    def _host_cancel(self, call_id: Any) -> None:
        self.host.cancel_call(int(call_id))

    def _host_pending(self) -> int:
        return int(self.host.pending_calls())

    @staticmethod
    def _host_clock() -> float:
        return time.monotonic()

    def _host_output(self, stream: Any, text: Any) -> None:
        self.host.output(_text(stream), _text(text))

    def _host_module(self, name: Any) -> tuple[str, Any, Any]:
        try:
            path, source = self.host.read_module(_text(name))
        except BridgeFault as f:
            return "error", self.push({"code": f.code, "message": f.message}), None
        chunk = self.chunk_name(path)
        return "ok", chunk, source

    def chunk_name(self, path: str) -> str:
        base = self.host.spell_dir
        name = os.path.relpath(path, base) if base and os.path.isabs(path) else path
        self.names[name] = path
        return name

    # running ------------------------------------------------------------------------------------------------
    def load(self, source: str, chunk: str) -> Any:
        fn, err = _lua_load(self.rt, source, "@" + chunk, self.env)
        if fn is None:
            raise SpellError(self.syntax_failure(_text(err)))
        return fn

    def syntax_failure(self, message: str) -> SpellFailure:
        m = _LOCATION.match(message)
        if not m:
            return SpellFailure("syntax", message, self.spell_file)
        return SpellFailure("syntax", m["msg"], self.names.get(m["file"], self.spell_file), int(m["line"]))

    def call_main(self, fn: Any) -> Any:
        self.rt.set_max_memory(self.memory_limit)
        try:
            status, value = self.sandbox.run_main(fn)
        except lua54.LuaMemoryError:
            raise LimitExceeded("memory", f"memory limit of {self.host.limits.memory_mb} MB exceeded") from None
        except lua54.LuaError as e:
            msg = _text(e)
            if "stack overflow" in msg:
                raise LimitExceeded("stack", "stack overflow (recursion too deep)") from None
            raise SpellError(SpellFailure("runtime", msg, self.spell_file)) from None
        finally:
            self.rt.set_max_memory(0)
        if status == "ok":
            return json.loads(_text(value))
        message = _text(value["message"])
        if value["kind"] == "runtime" and (
            message in ("nil", "error in error handling") or message.endswith("not enough memory")
        ):
            if self.rt.get_memory_used() > 0.5 * self.memory_limit or message.endswith("not enough memory"):
                raise LimitExceeded("memory", f"memory limit of {self.host.limits.memory_mb} MB exceeded")
        raise SpellError(self.failure(value))

    def frames(self, raw: Any) -> list[Frame]:
        out: list[Frame] = []
        if raw is None:
            return out
        for i in range(1, len(raw) + 1):
            f = raw[i]
            name = _text(f["file"])
            out.append(Frame(self.names.get(name, name), int(f["line"]), _text(f["function"] or "")))
        return out

    def failure(self, info: Any) -> SpellFailure:
        kind = _text(info["kind"])
        frames = self.frames(info["frames"])
        message = _text(info["message"])
        if kind == "bridge":
            file = info["file"]
            file = self.names.get(_text(file), _text(file)) if file is not None else None
            line = int(info["line"]) if info["line"] is not None else None
            if file is None:
                file, line = (frames[0].file, frames[0].line) if frames else (self.spell_file, None)
            return SpellFailure(_text(info["code"]), message, file, line, None, frames)
        if "stack overflow" in message:
            raise LimitExceeded("stack", "stack overflow (recursion too deep)")
        if message.endswith("not enough memory"):
            raise LimitExceeded("memory", f"memory limit of {self.host.limits.memory_mb} MB exceeded")
        file, line = (frames[0].file, frames[0].line) if frames else (self.spell_file, None)
        m = _LOCATION.match(message)
        if m and m["line"].isdigit():
            name = m["file"]
            if name in self.names:
                file = self.names[name]
            elif name.startswith("...") and frames:
                file = next((f.file for f in frames if f.file.endswith(name[3:])), file)
            line = int(m["line"])
            message = m["msg"]
        return SpellFailure("runtime", message, file, line, None, frames)


class _LuaCallbacks(ScriptFunctions):
    """The run's script functions by id, as Python callables for the worker (ids are assigned in Lua)."""

    def __init__(self, session: _Session):
        self.session = session

    def get(self, callback_id: int) -> Callable[..., Any]:
        def call(*args: Any) -> Any:
            s = self.session
            s.rt.set_max_memory(0)
            try:
                lua_args = s.rt.table_from([s.to_lua(a) for a in args])
            finally:
                s.rt.set_max_memory(s.memory_limit)
            try:
                status, value = s.invoke_callback(callback_id, lua_args, len(args))
            except lua54.LuaMemoryError:
                raise LimitExceeded("memory", f"memory limit of {s.host.limits.memory_mb} MB exceeded") from None
            if status == "ok":
                return json.loads(_text(value))
            code = _text(value["code"])
            raise BridgeFault(code, _text(value["message"]), frames=s.frames(value["frames"]))

        return call


class LuaEngine:
    """Lua 5.4 (lupa) behind the engine interface."""

    language = "lua"

    def __init__(self) -> None:
        self._repl: _Session | None = None

    def check(self, source: str, filename: str) -> list[Diagnostic]:
        rt = new_runtime()
        fn, err = _lua_load(rt, source, "@" + filename)
        if fn is not None:
            return []
        message = _text(err)
        m = _LOCATION.match(message)
        if not m:
            return [Diagnostic(filename, 1, 1, message)]
        line, msg = int(m["line"]), m["msg"]
        return [Diagnostic(filename, line, _column(source, line, msg, rt), msg)]

    def run(self, source: str, filename: str, inputs: Any, host: EngineHost) -> Any:
        session = _Session(host, filename)
        session.env.INPUT = session.to_lua(inputs)
        debug = getattr(getattr(host, "request", None), "debug", None)
        if debug is not None:  # a debug run: the registry's agent (app/debugger/agent.py) owns loading and hooks
            agent_class = languages.LUA.debug_agent_class()
            with agent_class(session, host, debug) as agent:
                return session.call_main(agent.load_main(source, session.chunk_name(filename)))
        fn = session.load(source, session.chunk_name(filename))
        return session.call_main(fn)

    def run_tests(self, source: str, filename: str, options: dict[str, Any], host: EngineHost) -> Any:
        session = _Session(host, filename)
        chunk = session.chunk_name(filename)

        def emit(kind: Any, payload: Any) -> None:
            host.test_event(_text(kind), json.loads(_text(payload)))

        api = session.rt.execute(_TEST_SOURCE, session.env, emit, session.sandbox.encode, chunk)
        run_all = api.run_all
        debug = getattr(getattr(host, "request", None), "debug", None)
        if debug is not None:  # "debug this test": the debugger owns loading and hooks
            from app.debugger.agent import LuaDebugAgent

            with LuaDebugAgent(session, host, debug) as agent:
                session.call_main(agent.load_main(source, chunk))
                return self._run_selected(session, run_all, options)
        session.call_main(session.load(source, chunk))
        return self._run_selected(session, run_all, options)

    @staticmethod
    def _run_selected(session: _Session, run_all: Any, options: dict[str, Any]) -> Any:
        opts = session.to_lua({k: options.get(k) for k in ("filter", "line", "bail")})
        return session.call_main(session.rt.eval("function(f, o) return function() return f(o) end end")(run_all, opts))

    def repl_eval(self, source: str, host: EngineHost) -> Any:
        if self._repl is None:
            self._repl = _Session(host, "<repl>")
        s = self._repl
        s.host = host
        fn, _err = _lua_load(s.rt, "return " + source, "@<repl>", s.env)
        if fn is None:
            fn = s.load(source, "<repl>")
        return s.call_main(fn)

    def reset_repl(self) -> None:
        self._repl = None


def _column(source: str, line: int, message: str, rt: Any = None) -> int:
    """The column of a Lua syntax error (Lua reports only lines).

    The parser fails at the same token for every prefix of the source that holds that token, and differently
    (usually ``near <eof>``) for shorter ones: a binary search over the error line finds the token's end."""
    lines = source.splitlines(keepends=True)
    if not (1 <= line <= len(lines)):
        return 1
    m = _NEAR.search(message)
    token = m["tok"] if m else ""
    if not token or token == "<eof>":
        return 1
    rt = rt or new_runtime()
    start = sum(len(x) for x in lines[: line - 1])
    text = lines[line - 1].rstrip("\r\n")

    def same_error(j: int) -> bool:
        _fn, err = _lua_load(rt, source[: start + j], "=check")
        return err is not None and _text(err).endswith(f":{line}: {message}")

    lo, hi = len(token), len(text)
    if hi < lo or not same_error(hi):
        idx = text.rfind(token)
        return idx + 1 if idx >= 0 else 1
    while lo < hi:
        mid = (lo + hi) // 2
        if same_error(mid):
            hi = mid
        else:
            lo = mid + 1
    return max(1, lo - len(token) + 1)
