"""AST node classes of Tengo (expressions and statements). Every node has ``line`` and ``col``."""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger(__name__)


class Node:
    __slots__ = ("line", "col")
    fields: tuple[str, ...] = ()

    def __init__(self, line: int, col: int, *args: Any):
        self.line = line
        self.col = col
        self.ann = None  # resolver annotation
        for name, value in zip(self.fields, args):
            setattr(self, name, value)

    def __repr__(self) -> str:
        inner = ", ".join(f"{f}={getattr(self, f, None)!r}" for f in self.fields)
        return f"{type(self).__name__}({inner})"


def _node(name: str, *fields: str) -> type:
    cls = type(name, (Node,), {"__slots__": fields + ("ann",), "fields": fields})
    # a specialised __init__ (field names are fixed identifiers of this module, never spell text)
    params = "".join(f", {f}=None" for f in fields)
    body = "".join(f"\n    self.{f} = {f}" for f in fields)
    env: dict[str, Any] = {}
    exec(
        f"def __init__(self, line, col{params}):\n    self.line = line\n    self.col = col\n"
        f"    self.ann = None{body}\n",
        env,
    )
    cls.__init__ = env["__init__"]
    return cls


# expressions
Ident = _node("Ident", "name")
IntLit = _node("IntLit", "value")
FloatLit = _node("FloatLit", "value")
StringLit = _node("StringLit", "value")
CharLit = _node("CharLit", "value")
BoolLit = _node("BoolLit", "value")
UndefinedLit = _node("UndefinedLit")
ArrayLit = _node("ArrayLit", "elements")
MapLit = _node("MapLit", "keys", "values")
FuncLit = _node("FuncLit", "params", "variadic", "body")
BinaryExpr = _node("BinaryExpr", "op", "lhs", "rhs")
UnaryExpr = _node("UnaryExpr", "op", "expr")
CondExpr = _node("CondExpr", "cond", "true_expr", "false_expr")
IndexExpr = _node("IndexExpr", "expr", "index")
SliceExpr = _node("SliceExpr", "expr", "low", "high")
SelectorExpr = _node("SelectorExpr", "expr", "sel")
CallExpr = _node("CallExpr", "func", "args", "ellipsis")
ErrorExpr = _node("ErrorExpr", "expr")
ImmutableExpr = _node("ImmutableExpr", "expr")
ImportExpr = _node("ImportExpr", "name")

# statements
ExprStmt = _node("ExprStmt", "expr")
AssignStmt = _node("AssignStmt", "lhs", "rhs", "op")
BlockStmt = _node("BlockStmt", "stmts")
IfStmt = _node("IfStmt", "init", "cond", "body", "else_")
ForStmt = _node("ForStmt", "init", "cond", "post", "body")
ForInStmt = _node("ForInStmt", "key", "value", "iterable", "body")
ReturnStmt = _node("ReturnStmt", "result")
BranchStmt = _node("BranchStmt", "kind")
ExportStmt = _node("ExportStmt", "result")
EmptyStmt = _node("EmptyStmt")
