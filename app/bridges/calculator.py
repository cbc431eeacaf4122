"""A safe arithmetic evaluator for the ``calculator`` tool: Python's parser, our own evaluator, no ``eval``."""
from __future__ import annotations

import ast
import logging
import math
import operator
from collections.abc import Callable
from typing import Any

from app.bridges.errors import SpellError

log = logging.getLogger(__name__)

MAX_LENGTH = 500
MAX_POWER = 1000
_BINARY: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod, ast.Pow: operator.pow,
}
_UNARY: dict[type, Callable[[Any], Any]] = {ast.UAdd: operator.pos, ast.USub: operator.neg}
FUNCTIONS: dict[str, Callable[..., Any]] = {
    "sqrt": math.sqrt, "abs": abs, "round": round, "min": min, "max": max, "floor": math.floor,
    "ceil": math.ceil, "log": math.log, "log10": math.log10, "exp": math.exp, "sin": math.sin, "cos": math.cos,
    "tan": math.tan,
}
CONSTANTS = {"pi": math.pi, "e": math.e}


def evaluate(expression: str) -> int | float:
    """The value of an arithmetic ``expression`` (numbers, + - * / // % ^ **, parentheses, math functions)."""
    if len(expression) > MAX_LENGTH:
        raise SpellError("invalid_argument", f"expression longer than {MAX_LENGTH} characters")
    try:
        tree = ast.parse(expression.replace("^", "**").strip(), mode="eval")
    except SyntaxError as e:
        raise SpellError("invalid_argument", f"cannot parse expression {expression!r}: {e.msg}") from None
    try:
        value = _eval(tree.body)
    except ZeroDivisionError:
        raise SpellError("invalid_argument", "division by zero") from None
    except (OverflowError, ValueError) as e:
        raise SpellError("invalid_argument", f"cannot evaluate {expression!r}: {e}") from None
    if isinstance(value, int) and abs(value) >= 2 ** 63:  # spells have 64-bit integers
        try:
            value = float(value)
        except OverflowError:
            raise SpellError("invalid_argument", f"the result of {expression!r} is too large") from None
    if isinstance(value, float) and value.is_integer() and abs(value) < 2 ** 53:
        return int(value)
    if isinstance(value, complex) or (isinstance(value, float) and not math.isfinite(value)):
        raise SpellError("invalid_argument", f"the result of {expression!r} is not a finite real number")
    return value


def _eval(node: ast.AST) -> Any:
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        return node.value
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        left, right = _eval(node.left), _eval(node.right)
        if isinstance(node.op, ast.Pow) and (abs(right) > MAX_POWER or abs(left) > 10 ** 6 and right > 10):
            raise SpellError("invalid_argument", "exponent too large")
        return _BINARY[type(node.op)](left, right)
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        return _UNARY[type(node.op)](_eval(node.operand))
    if isinstance(node, ast.Name) and node.id in CONSTANTS:
        return CONSTANTS[node.id]
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in FUNCTIONS
            and not node.keywords):
        return FUNCTIONS[node.func.id](*[_eval(a) for a in node.args])
    raise SpellError("invalid_argument", f"unsupported expression element: {ast.dump(node)[:60]}")
