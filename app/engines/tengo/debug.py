"""Debugger hooks for Tengo spells (compiled in only for debug runs: normal runs pay nothing).

With ``Interpreter(debug_hook=hook)`` every statement first calls ``hook("line", stack)``, every function call
``hook("call", stack)`` and every return ``hook("return", stack)``. A runtime error leaving a statement calls
``hook("error", stack)`` while the error's frames are still on the stack (the error is ``sys.exception()``; it is
raised on afterwards, once per statement it leaves). ``stack`` is the list of active :class:`DebugFrame`
objects, outermost first; the hook may block (e.g. wait for the user at a breakpoint) and inspect variables with
:meth:`DebugFrame.variables`. The hook runs on the interpreter's thread.

:func:`compile_expression` compiles one Tengo expression (watches, hover values, breakpoint conditions) with the
interpreter's own resolver and code generator, over a list of variables it reads through cells.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Protocol

from . import nodes as N
from .errors import TengoRuntimeError
from .objects import UNDEFINED, Cell

log = logging.getLogger(__name__)

#: ``name -> ("local", slot) | ("free", index)`` for the names visible at one statement
Scope = dict[str, tuple[str, int]]


class DebugFrame:
    """One active function (or the main script / a module body) of a debug run."""

    __slots__ = ("function", "file", "line", "fr", "scope", "depth")

    def __init__(self, function: str, file: str, fr: list, depth: int):
        self.function = function
        self.file = file
        self.line = 0
        self.fr = fr
        self.scope: Scope = {}
        self.depth = depth

    def variables(self) -> dict[str, Any]:
        """The Tengo values of the variables visible at the current statement (unset ones omitted)."""
        out: dict[str, Any] = {}
        for name, (kind, idx) in self.scope.items():
            try:
                v = self.fr[idx] if kind == "local" else self.fr[0][idx]
            except IndexError:  # pragma: no cover - defensive
                continue
            if type(v) is Cell:
                v = v.v
            if v is None:
                continue
            out[name] = v
        return out

    def __repr__(self) -> str:
        return f"<DebugFrame {self.function or '<main>'} {self.file}:{self.line}>"


class DebugHook(Protocol):
    def __call__(self, event: str, stack: list[DebugFrame]) -> None:
        """``event`` is "line", "call" or "return"."""


def wrap_statement(st: Callable, line: int, scope: Scope, rt: Any, hook: DebugHook) -> Callable:
    """A statement closure that reports a line event before running."""

    def traced(fr: list) -> Any:
        stack = rt.debug_stack
        if stack:
            top = stack[-1]
            top.line = line
            top.scope = scope
        hook("line", stack)
        try:
            return st(fr)
        except TengoRuntimeError:
            hook("error", stack)
            raise

    return traced


def wrap_body(body: Callable, name: str, filename: str, rt: Any, hook: DebugHook) -> Callable:
    """A function body closure that maintains the debug stack and reports call/return events."""

    def traced_body(fr: list) -> Any:
        stack = rt.debug_stack
        stack.append(DebugFrame(name, filename, fr, len(stack)))
        hook("call", stack)
        try:
            return body(fr)
        finally:
            hook("return", stack)
            stack.pop()

    return traced_body


__all__ = [
    "DebugFrame",
    "DebugHook",
    "Scope",
    "statement_lines",
    "parse_expression",
    "compile_expression",
    "EXPRESSION_FILE",
    "UNDEFINED",
]


def statement_lines(source: str, filename: str = "<spell>") -> set[int]:
    """Lines holding a statement (where a breakpoint can hit); raises :class:`~.errors.TengoParseError`."""
    from .parser import parse

    return {
        node.line
        for node in _nodes(parse(source, filename))
        if type(node) not in (N.BlockStmt, N.EmptyStmt) and type(node).__name__.endswith("Stmt")
    }


def _nodes(tree: Any) -> Any:
    """Every AST node in ``tree`` (a node or a list of them), depth first."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(reversed(node))
        elif isinstance(node, N.Node):
            yield node
            stack.extend(getattr(node, name) for name in reversed(node.fields))


EXPRESSION_FILE = "<expression>"
NOT_AN_EXPRESSION = "only expressions can be evaluated here (statements and assignments are refused)"


def parse_expression(text: str) -> Any:
    """The AST of one Tengo expression. Raises :class:`~.errors.TengoParseError` or ``ValueError`` (a statement,
    several expressions, or a function literal: a function's body could loop without ever reaching a statement
    the debugger sees, so evaluations may call the spell's functions but not define new ones)."""
    from .parser import parse

    stmts = [s for s in parse(text, EXPRESSION_FILE) if type(s) is not N.EmptyStmt]
    if len(stmts) != 1 or type(stmts[0]) is not N.ExprStmt:
        raise ValueError(NOT_AN_EXPRESSION if stmts else "empty expression")
    expr = stmts[0].expr
    if any(type(node) is N.FuncLit for node in _nodes(expr)):
        raise ValueError("function literals cannot be evaluated here")
    return expr


def compile_expression(
    interp: Any, text: str, names: tuple[str, ...], builtins: dict[str, Any] | None = None
) -> Callable[[list], Any]:
    """Compile ``text`` for ``interp`` (its runtime, builtins and modules) with the variables ``names`` in
    scope; returns ``run(cells)`` (one :class:`~.objects.Cell` per name, in order) → the value. Raises
    :class:`~.errors.TengoError` (parse/compile: an unknown name, ...) or ``ValueError`` (not an expression).
    The code is the closure backend's, with no debugger hooks of its own (functions it calls keep theirs)."""
    from .codegen import CodeGen
    from .resolver import Resolver

    expr = parse_expression(text)
    resolver = Resolver(
        EXPRESSION_FILE,
        interp.builtins if builtins is None else builtins,
        lambda name, node: interp.import_module(name, node, EXPRESSION_FILE),
    )
    info = resolver.resolve_top([N.ExprStmt(expr.line, expr.col, expr)], list(names), set(names))
    gen = CodeGen(interp.rt, EXPRESSION_FILE)
    gen.fn = info
    ev = gen.expr(expr)
    slots = [info.predefined[n].slot for n in names]
    nslots = info.nslots

    def run(cells: list) -> Any:
        fr: list = [(), None]
        fr.extend([None] * (nslots - 2))
        for slot, cell in zip(slots, cells):
            fr[slot] = cell
        return ev(fr)

    return run
