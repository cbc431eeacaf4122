"""JavaScript spells through quickjs, in a sandbox (docs/facts.md, "quickjs"): one fresh Context per run.

QuickJS offers only ECMAScript built-ins, so there is nothing to take away; ``js_prelude.js`` adds console,
print, require, INPUT and the bridge globals. Host callables never raise (a raised exception poisons the context)
and pass structured values as JSON text. CPU time is bounded from outside: the host kills the worker.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable
from importlib import resources
from typing import Any

import quickjs

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

_PRELUDE = resources.files("app.engines").joinpath("js_prelude.js").read_text("utf-8")
_TEST_PRELUDE = resources.files("app.engines").joinpath("js_test.js").read_text("utf-8")
_FRAME = re.compile(r"^\s*at (?P<fn>\S+(?: \S+)*?) \((?P<file><input>|[^):]*)(?::(?P<line>\d+))?\)\s*$")
_SYNTAX_LINE = re.compile(r"at <input>:(\d+)")
MODULE_LINES = 100000
MAIN_OFFSET = 1000  # the spell's lines start here; lower lines are the prelude's (QuickJS names all code <input>)
STACK_BYTES = 1024 * 1024
_LONE_SURROGATE = re.compile(r"\\\\|\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def _loads(text: str) -> Any:
    """JSON from JavaScript: JSON.stringify writes a lone surrogate as an escape, which Python would turn into a
    str that cannot be encoded as UTF-8 (crashing the worker's protocol writer); make it U+FFFD."""
    if "\\ud" in text or "\\uD" in text:
        text = _LONE_SURROGATE.sub(lambda m: m.group(0) if m.group(0) == "\\\\" else "\\ufffd", text)
    return json.loads(text)


class _Session:
    """One fresh quickjs Context with the prelude installed."""

    def __init__(self, host: EngineHost, spell_file: str):
        self.host = host
        self.spell_file = spell_file
        self.ctx = quickjs.Context()
        self.ctx.set_memory_limit(max(1, int(host.limits.memory_mb)) * 1024 * 1024)
        self.ctx.set_max_stack_size(STACK_BYTES)
        self.ctx.add_callable("__ls_host_call", self._host_call)
        self.ctx.add_callable("__ls_host_output", self._host_output)
        self.ctx.add_callable("__ls_host_module", self._host_module)
        self.ctx.add_callable("__ls_host_send", self._host_send)
        self.ctx.add_callable("__ls_host_cancel", self._host_cancel)
        self.ctx.add_callable("__ls_host_clock", time.monotonic)
        self.ctx.eval(_PRELUDE)
        get = self.ctx.eval
        self.install = get("__ls_internal.install")
        self.run_main = get("__ls_internal.runMain")
        self.pending_reply = get("__ls_internal.pendingReply")
        self.invoke_callback = get("__ls_internal.invokeCallback")
        self.modules = get("__ls_internal.modules")
        self.deliver = get("__ls_internal.deliver")
        self.fire_timers = get("__ls_internal.fireTimers")
        self.strong_timers = get("__ls_internal.strongTimers")
        self.abandon_all = get("__ls_internal.abandonAll")
        self.callback_reply = get("__ls_internal.callbackReply")
        self.take_unheard = get("__ls_internal.takeUnheard")
        self.ctx.eval("delete globalThis.__ls_internal")
        self.callbacks = _JsCallbacks(self)
        self.limit: LimitExceeded | None = None
        #: debug runs: ``hook(path, source) -> source`` for every file before it compiles (app/debugger/js_agent.py)
        self.source_hook: Callable[[str, str], str] | None = None

    # host callables: never raise -------------------------------------------------------------------------
    def _host_call(self, target: Any, method: str, payload: str, line: Any) -> str:
        try:
            args, opts = _loads(payload)
            if isinstance(target, float) and target.is_integer():
                target = int(target)
            value = self.host.bridge_call(
                target,
                method,
                args,
                opts,
                int(line) if isinstance(line, (int, float)) else None,
                self.callbacks,  # type: ignore[arg-type]
            )
            return json.dumps({"ok": True, "value": value}, ensure_ascii=False)
        except BridgeFault as f:
            return json.dumps(
                {"ok": False, "error": {"code": f.code, "message": f.message, "retryable": f.retryable}},
                ensure_ascii=False,
            )
        except LimitExceeded as e:
            self.limit = e
            return json.dumps({"ok": False, "error": {"code": "limit_exceeded", "message": e.message}})
        except Exception as e:  # a bug on our side
            log.exception("bridge call failed inside the worker")
            return json.dumps({"ok": False, "error": {"code": "internal", "message": str(e)}})

    def _host_send(self, target: Any, method: str, payload: str, line: Any, abortable: Any = False) -> str:
        """Start a promise's bridge call without waiting; its answer is delivered by :meth:`run_loop`."""
        try:
            args, opts = _loads(payload)
            if isinstance(target, float) and target.is_integer():
                target = int(target)
            if not hasattr(self.host, "send_call"):
                raise BridgeFault("invalid_argument", "async bridge calls are not available here")
            call_id = self.host.send_call(
                target,
                method,
                args,
                opts,
                int(line) if isinstance(line, (int, float)) else None,
                self.callbacks,  # type: ignore[arg-type]
                bool(abortable),
            )
            return json.dumps({"ok": True, "id": call_id})
        except BridgeFault as f:
            return json.dumps({"ok": False, "error": {"code": f.code, "message": f.message}})
        except Exception as e:  # a bug on our side
            log.exception("starting a promise's bridge call failed inside the worker")
            return json.dumps({"ok": False, "error": {"code": "internal", "message": str(e)}})

    def _host_cancel(self, call_id: Any) -> None:
        try:
            self.host.cancel_call(int(call_id))
        except Exception:  # never raise into quickjs
            log.exception("cancelling a call failed")

    def callback_reply_ready(self, key: int) -> bool:
        """Whether the async script function's promise under ``key`` has settled (its reply waits)."""
        return self.callback_reply(key, False) is not None

    def run_loop(self, settled: Callable[[], bool], drain: bool = True) -> None:
        """The event loop: run promise jobs, due timers and the answers of calls in flight until ``settled()``
        and, with ``drain``, nothing is left that could still run (calls in flight, timers) — as a JavaScript
        program waits for its promises and timers. Without ``drain`` (an async script function called by a
        bridge, whose caller waits for it) it returns as soon as ``settled()``. Stops early on a limit."""
        ctx, host = self.ctx, self.host
        pending_calls = getattr(host, "pending_calls", lambda: 0)
        while True:
            while ctx.execute_pending_job():
                if self.limit:
                    return
            next_at = self.fire_timers(time.monotonic())
            if self.limit:
                return
            if ctx.execute_pending_job():
                continue  # a timer queued jobs
            if not drain and settled():
                return
            if pending_calls() == 0:
                if next_at < 0 or (settled() and self.strong_timers() == 0):
                    return  # nothing is left that could run (or only timers that do not hold the run)
            timeout = None if next_at < 0 else max(0.0, next_at - time.monotonic())
            msg = host.wait_any(timeout)
            if msg is not None:
                reply = {"ok": False, "error": msg.error} if msg.error else {"ok": True, "value": msg.value}
                self.deliver(msg.call_id, json.dumps(reply, ensure_ascii=False))

    def _host_output(self, stream: str, text: str) -> None:
        try:
            self.host.output(stream, text)
        except LimitExceeded as e:
            self.limit = e
        except Exception:
            log.exception("output failed")

    def _host_module(self, rel: str) -> str:
        try:
            path, source = self.host.read_module(rel)
            if self.source_hook is not None:
                source = self.source_hook(path, source)
        except BridgeFault as f:
            return json.dumps({"ok": False, "error": {"code": f.code, "message": f.message}})
        except Exception:  # never raise into quickjs (a spell can pass a non-string after patching built-ins)
            log.exception("read_module failed")
            return json.dumps({"ok": False, "error": {"code": "invalid_argument", "message": "bad module name"}})
        return json.dumps({"ok": True, "path": path, "rel": rel, "source": source}, ensure_ascii=False)

    # running ---------------------------------------------------------------------------------------------
    def compile_main(self, source: str) -> Any:
        if self.source_hook is not None:
            source = self.source_hook(self.spell_file, source)
        try:
            return self.ctx.eval(_wrap_main(source))
        except quickjs.JSException as e:
            raise SpellError(self.syntax_failure(str(e))) from None

    def syntax_failure(self, text: str) -> SpellFailure:
        first = text.strip().splitlines()[0] if text.strip() else text
        m = _SYNTAX_LINE.search(text)
        line = int(m.group(1)) if m else None
        msg = first.split(": ", 1)[1] if first.startswith("SyntaxError: ") else first
        file, line = self.place(line) if line is not None else (self.spell_file, None)
        return SpellFailure("syntax", msg, file, line)

    def place(self, line: int) -> tuple[str, int | None]:
        """Map a QuickJS line to (file, spell line); prelude lines map to (spell, None)."""
        if line >= MODULE_LINES:
            return self._module_path(line // MODULE_LINES), line % MODULE_LINES
        if line > MAIN_OFFSET:
            return self.spell_file, line - MAIN_OFFSET
        return self.spell_file, None

    def _module_path(self, k: int) -> str:
        return self.modules_json().get(str(k), self.spell_file)

    def modules_json(self) -> dict[str, str]:
        try:
            return json.loads(self.modules.json())
        except Exception:
            return {}

    def execute(self, fn: Any, call: Callable[[], str]) -> Any:
        try:
            reply = _loads(call())
            if reply.get("pending"):
                self.run_loop(lambda: self.pending_reply() is not None)
                done = self.pending_reply()
                if done is None:
                    raise SpellError(SpellFailure("runtime", "the spell's promise never settled", self.spell_file))
                reply = _loads(done)
            elif reply.get("ok"):
                self.run_loop(lambda: True)  # timers and promise callbacks the spell left behind still run
        except quickjs.StackOverflow:
            raise LimitExceeded("stack", "stack overflow (recursion too deep)") from None
        except quickjs.JSException as e:
            text = str(e)
            if "out of memory" in text or text.strip() == "null":
                raise LimitExceeded("memory", f"memory limit of {self.host.limits.memory_mb} MB exceeded") from None
            if "stack overflow" in text:
                raise LimitExceeded("stack", "stack overflow (recursion too deep)") from None
            raise SpellError(SpellFailure("runtime", text.strip().splitlines()[0], self.spell_file)) from None
        if self.limit:
            raise self.limit
        if reply["ok"]:
            unheard = self.take_unheard()  # a bridge call that failed with nothing awaiting it fails the run
            if unheard:
                raise self.error_limit_or_failure(_loads(unheard))
            return reply["value"]
        self.abandon_all()  # the spell failed: calls still in flight are not needed any more
        raise self.error_limit_or_failure(reply["error"])

    def error_limit_or_failure(self, err: dict[str, Any]) -> Exception:
        name, message = err.get("name") or "Error", err.get("message") or ""
        if name == "InternalError" and "stack overflow" in message:
            return LimitExceeded("stack", "stack overflow (recursion too deep)")
        if (name == "InternalError" and "out of memory" in message) or (name == "Uncaught" and message == "null"):
            return LimitExceeded("memory", f"memory limit of {self.host.limits.memory_mb} MB exceeded")
        frames = self.frames(err.get("stack") or "")
        file, line = (frames[0].file, frames[0].line) if frames else (self.spell_file, None)
        code = err.get("code") or "runtime"
        text = message if name in ("Error", "SpellError", "Uncaught") else f"{name}: {message}"
        if name == "Uncaught":
            text = f"uncaught {message}"
        return SpellError(SpellFailure(code, text, file, line, None, frames))

    def frames(self, stack: str) -> list[Frame]:
        out: list[Frame] = []
        for raw in stack.splitlines():
            m = _FRAME.match(raw)
            if not m or m["file"] != "<input>" or not m["line"]:
                continue
            fn, qline = m["fn"], int(m["line"])
            file, line = self.place(qline)
            if line is None:
                continue  # a prelude frame
            out.append(Frame(file, line, "main chunk" if fn in ("__ls_main", "<eval>") else fn))
        return out


_PARSED_MARK = "__ls_parsed_without_error__"
_PARSED = f"throw '{_PARSED_MARK}';"  # on line 1, which _wrap_main leaves empty


_AWAIT = re.compile(r"\bawait\b")


def _wrap_main(source: str) -> str:
    """The spell as a function body (so a top-level ``return`` is its result), starting at MAIN_OFFSET + 1.
    A spell that uses ``await`` gets an async function, so ``await`` works at its top level."""
    head = "(async function __ls_main(" if _AWAIT.search(source) else "(function __ls_main("
    return "\n" * MAIN_OFFSET + head + "INPUT, require, module, exports) {" + source + "\n})"


class _JsCallbacks(ScriptFunctions):
    """The run's script functions by id, as Python callables for the worker (ids are assigned in JS)."""

    def __init__(self, session: _Session):
        self.session = session

    def get(self, callback_id: int) -> Callable[..., Any]:
        def call(*args: Any) -> Any:
            s = self.session
            try:
                reply = _loads(s.invoke_callback(callback_id, json.dumps(list(args), ensure_ascii=False)))
                if "pending" in reply:  # an async script function: run the event loop until it settles
                    key = reply["pending"]
                    s.run_loop(lambda: s.callback_reply_ready(key), drain=False)
                    done = s.callback_reply(key, True)
                    reply = (
                        _loads(done)
                        if done is not None
                        else {
                            "ok": False,
                            "error": {
                                "name": "SpellError",
                                "code": "tool_failed",
                                "message": "the async function's promise never settled",
                                "stack": "",
                            },
                        }
                    )
            except quickjs.StackOverflow:
                raise LimitExceeded("stack", "stack overflow (recursion too deep)") from None
            if s.limit:
                raise s.limit
            if reply["ok"]:
                return reply["value"]
            err = s.error_limit_or_failure(reply["error"])
            if isinstance(err, LimitExceeded):
                raise err
            failure = err.failure  # type: ignore[attr-defined]
            code = reply["error"].get("code") or "tool_failed"
            raise BridgeFault(code if code != "runtime" else "tool_failed", failure.message, frames=failure.traceback)

        return call


class JsEngine:
    """JavaScript (quickjs) behind the engine interface."""

    language = "js"

    def __init__(self) -> None:
        self._repl: _Session | None = None

    def check(self, source: str, filename: str) -> list[Diagnostic]:
        ctx = quickjs.Context()
        try:
            # Parse only: the wrapper is plain text, so a spell starting with "}); code; (function () {" would run
            # its code here. The first statement throws before anything runs; parse errors come first.
            ctx.eval(_PARSED + _wrap_main(source))
        except quickjs.JSException as e:
            text = str(e)
            if text.splitlines()[:1] == [_PARSED_MARK]:
                return []
            m = _SYNTAX_LINE.search(text)
            first = text.strip().splitlines()[0]
            msg = first.split(": ", 1)[1] if ": " in first else first
            line = int(m.group(1)) - MAIN_OFFSET if m else 1
            return [Diagnostic(filename, max(1, line), 1, msg)]
        return []

    def run(self, source: str, filename: str, inputs: Any, host: EngineHost) -> Any:
        s = _Session(host, filename)
        spec = {"globals": host.bridges.globals, "types": host.bridges.types}
        s.install(s.ctx.parse_json(json.dumps(spec)), s.ctx.parse_json(json.dumps(inputs, ensure_ascii=False)))
        debug = getattr(getattr(host, "request", None), "debug", None)
        if debug is not None:  # a debug run: app/debugger/js_agent.py instruments every file as it loads
            agent_class = languages.JS.debug_agent_class()
            with agent_class(s, host, debug):
                fn = s.compile_main(source)
                return s.execute(fn, lambda: s.run_main(fn))
        fn = s.compile_main(source)
        return s.execute(fn, lambda: s.run_main(fn))

    def run_tests(self, source: str, filename: str, options: dict[str, Any], host: EngineHost) -> Any:
        s = _Session(host, filename)
        spec = {"globals": host.bridges.globals, "types": host.bridges.types}
        s.install(s.ctx.parse_json(json.dumps(spec)), None)

        def emit(kind: str, payload: str) -> None:  # never raises into quickjs
            try:
                host.test_event(str(kind), _loads(str(payload)))
            except LimitExceeded as e:
                s.limit = e
            except Exception:
                log.exception("test report failed")

        s.ctx.add_callable("__ls_host_test", emit)
        s.ctx.eval(_TEST_PRELUDE)
        set_source = s.ctx.eval("__ls_test_internal.setSource")
        s.ctx.eval("__ls_test_internal.setUnheard")(s.take_unheard)
        # runAll(options) → a promise of the counts (tests may be async); run like an async main, so the event
        # loop (bridge calls, timers) settles it
        runner_for = s.ctx.eval("((runAll) => (options) => () => runAll(options))(__ls_test_internal.runAll)")
        s.ctx.eval("delete globalThis.__ls_test_internal")
        set_source(source)
        run_all = runner_for(json.dumps({k: options.get(k) for k in ("filter", "line", "bail")}))

        def declare_and_run() -> Any:
            fn = s.compile_main(source)
            s.execute(fn, lambda: s.run_main(fn))
            return s.execute(run_all, lambda: s.run_main(run_all))

        debug = getattr(getattr(host, "request", None), "debug", None)
        if debug is not None:  # "debug this test": the agent instruments the test file as it compiles
            with languages.JS.debug_agent_class()(s, host, debug):
                return declare_and_run()
        return declare_and_run()

    def repl_eval(self, source: str, host: EngineHost) -> Any:
        if self._repl is None:
            self._repl = _Session(host, "<repl>")
            spec = {"globals": host.bridges.globals, "types": host.bridges.types}
            self._repl.install(self._repl.ctx.parse_json(json.dumps(spec)), None)
        s = self._repl
        s.host = host
        s.limit = None
        try:
            value = s.ctx.eval(source)
        except quickjs.JSException as e:
            text = str(e).strip()
            if text.startswith("SyntaxError"):
                raise SpellError(s.syntax_failure(text)) from None
            first = text.splitlines()[0]
            raise SpellError(SpellFailure("runtime", first, "<repl>", None, None, s.frames(text))) from None
        if s.limit:
            raise s.limit
        if isinstance(value, quickjs.Object):
            try:
                return _loads(value.json())
            except Exception:
                return str(value)
        return value

    def reset_repl(self) -> None:
        self._repl = None
