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
  strings and bytes are capped (Tengo's MaxStringLen/MaxBytesLen) at half the memory limit; Python
  ``MemoryError`` → ``LimitExceeded("memory")``. The host's wall clock bounds time.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from app import languages
from app.engines.base import BridgeFault, Diagnostic, EngineHost, Frame, LimitExceeded, SpellError, SpellFailure

from .bridge import Converter
from .errors import StackOverflow, TengoCompileError, TengoError, TengoParseError
from .interpreter import Interpreter
from .objects import UNDEFINED, ImmutableMap, to_string
from .runtime import MAX_FRAMES
from .stdlib import ALL_MODULES, base64_mod, fmt_mod, hex_mod, json_mod, math_mod, rand_mod, text_mod, times_mod  # noqa: F401

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

    def __init__(self, host: EngineHost):
        self.host = host
        self.buf = ""

    def write(self, text: str) -> None:
        self.buf += text
        if "\n" in self.buf:
            head, _, self.buf = self.buf.rpartition("\n")
            self.host.output("stdout", head + "\n")

    def flush(self) -> None:
        if self.buf:
            text, self.buf = self.buf, ""
            self.host.output("stdout", text)


class _Session:
    """One interpreter plus its bridges, output and (for the REPL) its variables."""

    def __init__(self, host: EngineHost, filename: str, debug_hook: Any = None):
        self.host = host
        self.filename = filename
        self.out = _Output(host)
        limit = max(1, int(host.limits.memory_mb)) * 1024 * 1024 // 2
        self.interp = Interpreter(stdlib=STDLIB, loader=self._load_module, output=self.out.write,
                                  max_frames=MAX_FRAMES, max_string_len=limit, max_bytes_len=limit,
                                  max_array_len=limit // 16,
                                  main_export=True, debug_hook=debug_hook)
        rt = self.interp.rt
        rt.host = host
        rt.flush_output = self.out.flush
        self.conv = Converter(rt, host, self._callback_error)
        bridge_globals = self.conv.globals()
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
        failure = failure_from(e, self.filename) if isinstance(e, TengoError) else \
            SpellFailure("runtime", str(e), self.filename)
        fault = BridgeFault("tool_failed", failure.message)
        fault.frames = failure.traceback
        return fault

    def execute(self, compile_fn: Callable[[], Any], values: dict[str, Any]) -> Any:
        try:
            prog = compile_fn()
            exported = prog.run(values)
        except StackOverflow:
            raise LimitExceeded("stack", "stack overflow (recursion too deep)") from None
        except TengoError as e:
            raise SpellError(failure_from(e, self.filename)) from None
        except MemoryError:
            raise LimitExceeded("memory", f"memory limit of {self.host.limits.memory_mb} MB exceeded") from None
        except RecursionError:
            raise LimitExceeded("stack", "stack overflow (nesting too deep)") from None
        except (TypeError, ValueError, AttributeError, KeyError, IndexError, ZeroDivisionError, OverflowError,
                UnicodeError) as e:
            # an interpreter bug: report it in the spell's terms, keep the Python details in the log
            log.exception("internal error in the Tengo interpreter")
            raise SpellError(SpellFailure("runtime", f"internal interpreter error: {type(e).__name__}",
                                          self.filename)) from None
        finally:
            self.out.flush()
        self.last = prog
        if not prog.has_export:
            return None
        try:
            return self.conv.to_plain(exported)
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
        debug = getattr(getattr(host, "request", None), "debug", None)
        if debug is not None and self.debug_hook is None:  # a debug run: the registry's agent (tengo_agent.py)
            agent_class = languages.TENGO.debug_agent_class()
            with agent_class(host, debug) as agent:
                agent.start(source, filename)
                self.debug_hook = agent.hook
                try:
                    return self.run(source, filename, inputs, host)
                finally:
                    self.debug_hook = None
        s = _Session(host, filename, self.debug_hook)
        if self.debug_hook is not None:
            agent = getattr(self.debug_hook, "__self__", None)
            if agent is not None and hasattr(agent, "rt_stack"):
                agent.rt_stack = s.interp.rt.debug_stack
                agent.interp = s.interp  # compiles watch expressions and breakpoint conditions
        value = s.conv.from_plain(inputs)
        return s.execute(lambda: s.interp.compile(source, filename, ["INPUT"]), {"INPUT": value})

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
