"""Per-run state shared by generated code: call depth, limits, output, the current line, and function calls.

Control-flow signals of statements are the sentinels below (statements return ``None`` normally).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from .errors import StackOverflow, TengoError, TengoRuntimeError
from .objects import UNDEFINED, Array, BuiltinFunction, Cell, CompiledFunction, ImmutableArray, type_name

log = logging.getLogger(__name__)

BREAK = "break"
CONTINUE = "continue"
RET = "return"
TAIL = "tail"


class Tail(tuple):
    """``(function, args)``: what a direct entry (:mod:`.pygen`) returns for a tail call."""

    __slots__ = ()


MAX_FRAMES = 1024


class FuncCode:
    """Code shared by all closures of one function literal."""

    __slots__ = (
        "nparams",
        "variadic",
        "nslots",
        "body",
        "cell_params",
        "pad",
        "name",
        "filename",
        "line",
        "fast_n",
        "direct",
        "dn",
    )

    def __init__(
        self,
        nparams: int,
        variadic: bool,
        nslots: int,
        body: Callable,
        cell_params: tuple,
        name: str,
        filename: str,
        line: int,
    ):
        self.nparams = nparams
        self.variadic = variadic
        self.nslots = nslots
        self.body = body
        self.cell_params = cell_params
        self.pad = [None] * (nslots - 2 - nparams)
        self.name = name
        self.filename = filename
        self.line = line
        self.fast_n = -1 if variadic else nparams  # arity when no packing is needed
        #: the fast backend's direct entry ``direct(free, depth, *params) -> value | Tail`` (see .pygen), and
        #: the arity callers may use it with (-1: no direct entry, call ``body`` with a frame)
        self.direct: Callable | None = None
        self.dn = -1


def fix_args(code: FuncCode, args: list) -> list:
    """Check arity (Tengo's messages) and pack variadic arguments."""
    n = code.nparams
    if code.variadic:
        if len(args) < n - 1:
            raise TengoRuntimeError(f"wrong number of arguments: want>={n - 1}, got={len(args)}")
        return args[: n - 1] + [Array(args[n - 1 :])]
    if len(args) != n:
        raise TengoRuntimeError(f"wrong number of arguments: want={n}, got={len(args)}")
    return args


class Runtime:
    """One run's mutable state. Generated closures keep a reference to it."""

    def __init__(self, max_frames: int = MAX_FRAMES, output: Callable[[str], None] | None = None):
        self.depth = 0
        self.max_frames = max_frames
        self.output = output or (lambda text: None)
        self.line = 0
        self.filename = ""
        self.host: Any = None
        self.max_allocs: int | None = None  # Tengo's MaxAllocs (None: unlimited, no counting compiled in)
        self.allocs = 0
        self.debug_hook: Any = None  # debug runs: see .debug (line/call/return events)
        self.debug_stack: list = []

    def invoke(self, fn: CompiledFunction, args: list) -> Any:
        """Run a compiled function whose ``args`` already passed :func:`fix_args`."""
        self.depth += 1
        if self.depth > self.max_frames:
            self.depth -= 1
            raise StackOverflow()
        while True:
            code = fn.code
            fr = [fn.free, None, *args, *code.pad]
            for i in code.cell_params:
                fr[i] = Cell(fr[i])
            r = code.body(fr)
            if r is TAIL:
                fn, args = fr[1]
                continue
            self.depth -= 1
            return fr[1] if r is RET else UNDEFINED

    def finish_tail(self, pair: tuple, depth: int) -> Any:
        """Continue a call whose body ended in a tail call (the frame count is ``depth``)."""
        self.depth = depth
        fn, args = pair
        while True:
            code = fn.code
            fr = [fn.free, None, *args, *code.pad]
            for i in code.cell_params:
                fr[i] = Cell(fr[i])
            r = code.body(fr)
            if r is TAIL:
                fn, args = fr[1]
                continue
            self.depth = depth - 1
            return fr[1] if r is RET else UNDEFINED

    def call(self, fn: Any, args: list) -> Any:
        """Call any Tengo callable from Python (builtins, bridges, stdlib)."""
        t = type(fn)
        if t is CompiledFunction:
            return self.invoke(fn, fix_args(fn.code, args))
        if t is BuiltinFunction:
            return fn.fn(self, args)
        c = getattr(fn, "tengo_call", None)
        if c is not None:
            return c(self, args)
        raise TengoRuntimeError(f"not callable: {type_name(fn)}")


def spread(args: list) -> list:
    """Expand the last argument of a ``f(a, b...)`` call."""
    last = args[-1]
    if type(last) is Array or type(last) is ImmutableArray:
        return args[:-1] + list(last.value)
    raise TengoRuntimeError(f"not an array: {type_name(last)}")


__all__ = ["BREAK", "CONTINUE", "RET", "TAIL", "Tail", "FuncCode", "Runtime", "fix_args", "spread", "TengoError"]
