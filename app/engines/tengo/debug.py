"""Debugger hooks for Tengo spells (compiled in only for debug runs: normal runs pay nothing).

With ``Interpreter(debug_hook=hook)`` every statement first calls ``hook("line", stack)``, every function call
``hook("call", stack)`` and every return ``hook("return", stack)``. ``stack`` is the list of active
:class:`DebugFrame` objects, outermost first; the hook may block (e.g. wait for the user at a breakpoint) and
inspect variables with :meth:`DebugFrame.variables`. The hook runs on the interpreter's thread.
"""
from __future__ import annotations

import logging
from typing import Any, Callable, Protocol

from .objects import Cell, UNDEFINED

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
        return st(fr)
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


__all__ = ["DebugFrame", "DebugHook", "Scope", "statement_lines", "UNDEFINED"]


def statement_lines(source: str, filename: str = "<spell>") -> set[int]:
    """Lines holding a statement (where a breakpoint can hit); raises :class:`~.errors.TengoParseError`."""
    from . import nodes as N
    from .parser import parse

    lines: set[int] = set()

    def walk(node: Any) -> None:
        if isinstance(node, list):
            for x in node:
                walk(x)
            return
        if not isinstance(node, N.Node):
            return
        if type(node) not in (N.BlockStmt, N.EmptyStmt) and type(node).__name__.endswith("Stmt"):
            lines.add(node.line)
        for name in node.fields:
            walk(getattr(node, name))

    walk(parse(source, filename))
    return lines
