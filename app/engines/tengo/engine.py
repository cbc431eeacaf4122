"""Tengo spells behind the engine interface (:mod:`app.engines.base`).

A fresh :class:`~.interpreter.Interpreter` per run; nothing of the host is reachable except through the bridges.

* ``INPUT`` is predefined (plain value → Tengo value); the spell's result is the value of a top-level
  ``export`` statement (as for a module; ``export`` ends the run), otherwise None. See :mod:`.bridge` for the
  conversions both ways and the bridge globals (immutable maps of functions, ``import("llmspell")``).
* Output: ``fmt.print/printf/println`` and the extra builtin ``print(...)`` (args joined by spaces, newline)
  go to ``host.output("stdout", ...)``, line-buffered.
* Imports: the stdlib modules ``math text times rand fmt json base64 hex enum`` and sibling source modules via
  ``host.read_module(name)``; ``os`` does not exist.
* Errors: parse and compile errors → ``SpellFailure(code="syntax")``; runtime errors → ``code="runtime"`` with
  the spell frames (innermost first). Limits: call depth is Tengo's MaxFrames (1024) → ``LimitExceeded("stack")``;
  strings and bytes are capped (Tengo's MaxStringLen/MaxBytesLen) at half the memory limit, arrays at that many
  bytes / 16 elements on every append path, ``sprintf`` widths before formatting; and :class:`MemoryWatch`
  stops a run whose process memory grows past the memory limit (maps, many small values: every allocation
  path). All of these, and Python's ``MemoryError``, are ``LimitExceeded("memory")`` naming the spell's line.
  The host's wall clock bounds time.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Callable
from typing import Any, Self

from app import languages
from app.engines.base import BridgeFault, Diagnostic, EngineHost, Frame, LimitExceeded, SpellError, SpellFailure

from .bridge import Converter, HostGate, NonFinite
from .errors import SizeLimit, StackOverflow, TengoCompileError, TengoError, TengoParseError
from .interpreter import Interpreter
from .objects import UNDEFINED, ImmutableMap, to_string
from .pygen import spell_position
from .runtime import MAX_FRAMES
from .stdlib import ALL_MODULES, base64_mod, fmt_mod, hex_mod, json_mod, math_mod, rand_mod, text_mod, times_mod  # noqa: F401
from .tasks import task_global

log = logging.getLogger(__name__)
# (the stdlib modules are imported here so that a warm worker has paid for them before the first run)

STDLIB = frozenset(ALL_MODULES)


def failure_from(err: TengoError, default_file: str) -> SpellFailure:
    """A Tengo error in the spell's terms."""
    pos = err.position
    file, line, col = (pos[0], pos[1], pos[2]) if pos else (default_file, None, None)
    if isinstance(err, (TengoParseError, TengoCompileError)):
        return SpellFailure("syntax", err.message, file, line, col)
    frames = [Frame(p[0], p[1], p[3] if len(p) > 3 else "") for p in err.trace]
    return SpellFailure("runtime", err.message, file, line, col, frames)


class _Output:
    """Line buffer in front of ``host.output`` (the worker sends stdout line by line)."""

    def __init__(self, host: EngineHost, gate: HostGate):
        self.host = host
        self.gate = gate
        self.buf = ""

    def write(self, text: str) -> None:
        self.buf += text
        if "\n" in self.buf:
            head, _, self.buf = self.buf.rpartition("\n")
            with self.gate:
                self.host.output("stdout", head + "\n")

    def flush(self) -> None:
        if self.buf:
            text, self.buf = self.buf, ""
            with self.gate:
                self.host.output("stdout", text)


def _rss_bytes() -> int | None:
    """This process's resident memory now (Linux), else None."""
    try:
        with open("/proc/self/statm", "rb") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError, AttributeError):
        return None


class MemoryWatch:
    """Counts every allocation of a run at once: a thread samples the process's resident memory every
    :data:`INTERVAL_S`, and once it has grown past the run's memory limit (from where it was when the run
    started) the spell's thread is interrupted with ``MemoryError`` at its next instruction (a signal; held while
    the spell is inside a host call, see :class:`HostGate`). Where it cannot work (no ``/proc``, no
    ``pthread_kill``, not the main thread) the explicit caps and the worker's address-space limit remain."""

    INTERVAL_S = 0.02
    SIGNAL = getattr(signal, "SIGUSR1", None)

    def __init__(self, limit_bytes: int, gate: HostGate, enabled: bool = True):
        self.enabled = enabled
        self.limit = limit_bytes
        self.gate = gate
        self.tripped = False
        self._active = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._previous: Any = None

    def __enter__(self) -> Self:
        baseline = _rss_bytes() if self.enabled else None
        if (
            baseline is None
            or self.SIGNAL is None
            or not hasattr(signal, "pthread_kill")
            or threading.current_thread() is not threading.main_thread()
        ):
            return self
        self._previous = signal.signal(self.SIGNAL, self._on_signal)
        self._active = True
        self._thread = threading.Thread(
            target=self._sample, args=(baseline, threading.get_ident()), name="tengo-memory-watch", daemon=True
        )
        self._thread.start()
        return self

    def _sample(self, baseline: int, target: int) -> None:
        while not self._stop.wait(self.INTERVAL_S):
            rss = _rss_bytes()
            if rss is not None and rss - baseline > self.limit:
                self.tripped = True
                signal.pthread_kill(target, self.SIGNAL)  # type: ignore[arg-type]

    def _on_signal(self, signum: int, frame: Any) -> None:
        if not self._active or not self.tripped:
            return
        if self.gate.depth:
            self.gate.pending = True  # raised when the host call returns (or a callback starts)
            return
        raise MemoryError("memory limit")

    def __exit__(self, *exc: object) -> None:
        if self._thread is None:
            return
        self._active = False
        self._stop.set()
        self._thread.join()
        signal.signal(self.SIGNAL, self._previous if self._previous is not None else signal.SIG_DFL)  # type: ignore[arg-type]
        self.gate.pending = False


class _Session:
    """One interpreter plus its bridges, output and (for the REPL) its variables."""

    def __init__(self, host: EngineHost, filename: str, debug_hook: Any = None):
        self.host = host
        self.filename = filename
        self.gate = HostGate()
        self.out = _Output(host, self.gate)
        limit = max(1, int(host.limits.memory_mb)) * 1024 * 1024 // 2
        self.debug_hook = debug_hook
        self.interp = Interpreter(
            stdlib=STDLIB,
            loader=self._load_module,
            output=self.out.write,
            max_frames=MAX_FRAMES,
            max_string_len=limit,
            max_bytes_len=limit,
            max_array_len=limit // 16,
            main_export=True,
            debug_hook=debug_hook,
        )
        rt = self.interp.rt
        rt.host = host
        rt.flush_output = self.out.flush
        self.conv = Converter(rt, host, self._callback_error, self.gate)
        bridge_globals = self.conv.globals()
        bridge_globals["Task"] = task_global(self.conv, host)
        self.interp.builtins.update(bridge_globals)
        self.interp.builtins["print"] = _print_builtin()
        self.interp.builtin_modules["llmspell"] = ImmutableMap(dict(bridge_globals))
        self.vars: dict[str, Any] = {}

    def _load_module(self, name: str) -> tuple[str, str] | None:
        try:
            return self.host.read_module(name)
        except BridgeFault as f:
            log.debug("module %s: %s", name, f.message)
            return None

    def _callback_error(self, e: Exception) -> Exception:
        if isinstance(e, StackOverflow) or isinstance(e, RecursionError):
            return LimitExceeded("stack", "stack overflow (recursion too deep)")
        if isinstance(e, (MemoryError, SizeLimit)):
            return self._memory_limit(e)
        failure = (
            failure_from(e, self.filename)
            if isinstance(e, TengoError)
            else SpellFailure("runtime", str(e), self.filename)
        )
        fault = BridgeFault("tool_failed", failure.message)
        fault.frames = failure.traceback
        return fault

    def _memory_limit(self, e: BaseException) -> LimitExceeded:
        """``memory limit of 8 MB exceeded (exceeding array size limit) at spell.tengo:3``."""
        pos = e.position if isinstance(e, SizeLimit) else None
        pos = pos or spell_position(e.__traceback__)
        file, line = (pos[0], pos[1]) if pos else (self.filename, self.interp.rt.line)
        why = f" ({e.message})" if isinstance(e, SizeLimit) else ""
        at = f" at {file}:{line}" if line else ""
        return LimitExceeded("memory", f"memory limit of {self.host.limits.memory_mb} MB exceeded{why}{at}")

    def execute(self, compile_fn: Callable[[], Any], values: dict[str, Any]) -> Any:
        watch = MemoryWatch(
            max(1, int(self.host.limits.memory_mb)) * 1024 * 1024, self.gate, enabled=self.debug_hook is None
        )  # a debug run talks to the host from its hooks
        try:
            with watch:
                prog = compile_fn()
                exported = prog.run(values)
        except StackOverflow:
            raise LimitExceeded("stack", "stack overflow (recursion too deep)") from None
        except SizeLimit as e:
            raise self._memory_limit(e) from None
        except TengoError as e:
            raise SpellError(failure_from(e, self.filename)) from None
        except MemoryError as e:
            raise self._memory_limit(e) from None
        except RecursionError:
            raise LimitExceeded("stack", "stack overflow (nesting too deep)") from None
        except (
            TypeError,
            ValueError,
            AttributeError,
            KeyError,
            IndexError,
            ZeroDivisionError,
            OverflowError,
            UnicodeError,
        ) as e:
            # an interpreter bug: report it in the spell's terms, keep the Python details in the log
            log.exception("internal error in the Tengo interpreter")
            raise SpellError(
                SpellFailure("runtime", f"internal interpreter error: {type(e).__name__}", self.filename)
            ) from None
        finally:
            self.out.flush()
        self.last = prog
        if not prog.has_export:
            return None
        try:
            return self.conv.to_plain(exported)
        except NonFinite as e:
            raise SpellError(
                SpellFailure("runtime", f"the spell's result cannot be returned: {e.message}", self.filename)
            ) from None
        except TengoError as e:
            raise SpellError(failure_from(e, self.filename)) from None


def _print_builtin() -> Any:
    from .objects import BuiltinFunction

    def b_print(rt: Any, args: list) -> Any:
        rt.output(" ".join(a if type(a) is str else to_string(a) for a in args) + "\n")
        return UNDEFINED

    return BuiltinFunction("print", b_print)


class TengoEngine:
    """Tengo 2 (pure Python interpreter) behind the engine interface."""

    language = "tengo"

    def __init__(self) -> None:
        self._repl: _Session | None = None
        #: set by a debug run: ``hook(event, stack)`` for line/call/return events (see :mod:`.debug`)
        self.debug_hook: Callable[[str, list], None] | None = None

    def check(self, source: str, filename: str) -> list[Diagnostic]:
        """Parse and compile errors (unknown names are assumed to be host globals; imports are not loaded)."""
        interp = Interpreter(stdlib=STDLIB, lenient=True)
        try:
            interp.check(source, filename, ["INPUT"])
        except TengoError as e:
            pos = e.position
            if pos is None:
                return [Diagnostic(filename, 1, 1, e.message)]
            return [Diagnostic(filename, pos[1], pos[2], e.message)]
        except RecursionError:
            return [Diagnostic(filename, 1, 1, "source nested too deeply")]
        return []

    def run(self, source: str, filename: str, inputs: Any, host: EngineHost) -> Any:
        def main(s: _Session) -> Any:
            value = s.conv.from_plain(inputs)
            return s.execute(lambda: s.interp.compile(source, filename, ["INPUT"]), {"INPUT": value})

        return self._in_session(source, filename, host, main)

    def run_tests(self, source: str, filename: str, options: dict[str, Any], host: EngineHost) -> Any:
        """A test file: ``test``/``skip`` run each test as the script reaches it (see :mod:`.testing`)."""
        from .testing import TestApi

        def main(s: _Session) -> Any:
            api = TestApi(s.interp.rt, filename, options, self._emitter(s, host), s.conv.to_plain)
            builtins = api.builtins()
            s.interp.builtins.update(builtins)
            s.interp.builtin_modules["assert"] = builtins["assert"]
            s.execute(lambda: s.interp.compile(source, filename, ["INPUT"]), {"INPUT": UNDEFINED})
            return dict(api.counts)

        return self._in_session(source, filename, host, main)

    def _in_session(self, source: str, filename: str, host: EngineHost, main: Callable[[_Session], Any]) -> Any:
        """``main`` in a fresh session; in a debug run, under the registry's debug agent (tengo_agent.py)."""
        debug = getattr(getattr(host, "request", None), "debug", None)
        if debug is not None and self.debug_hook is None:
            agent_class = languages.TENGO.debug_agent_class()
            with agent_class(host, debug) as agent:
                agent.start(source, filename)
                self.debug_hook = agent.hook
                try:
                    return self._in_session(source, filename, host, main)
                finally:
                    self.debug_hook = None
        s = _Session(host, filename, self.debug_hook)
        if self.debug_hook is not None:
            agent = getattr(self.debug_hook, "__self__", None)
            if agent is not None and hasattr(agent, "rt_stack"):
                agent.rt_stack = s.interp.rt.debug_stack
                agent.interp = s.interp  # compiles watch expressions and breakpoint conditions
        return main(s)

    @staticmethod
    def _emitter(s: _Session, host: EngineHost) -> Callable[[str, dict], None]:
        def emit(kind: str, data: dict) -> None:
            s.out.flush()
            host.test_event(kind, data)

        return emit

    def repl_eval(self, source: str, host: EngineHost) -> Any:
        """One REPL entry: variables persist between entries; a final expression is the entry's value."""
        if self._repl is None:
            self._repl = _Session(host, "<repl>")
            self._repl.vars = {"INPUT": UNDEFINED}
        s = self._repl
        s.host = host
        s.out.host = host
        value = s.execute(lambda: s.interp.compile_repl(source, "<repl>", s.vars), dict(s.vars))
        s.vars.update(s.last.top_level())
        return value

    def reset_repl(self) -> None:
        self._repl = None
