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
#: Integers are bounded *before* each operation (Python's big-integer arithmetic runs in C under the GIL, where
#: nothing can interrupt it): no operand or result may exceed this many bits, far past the 64-bit integers and
#: doubles a spell can receive, and small enough that every operation takes microseconds.
MAX_BITS = 4096
MAX_NDIGITS = 400  # round(x, n): 10 ** |n| is computed inside
_BINARY: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_UNARY: dict[type, Callable[[Any], Any]] = {ast.UAdd: operator.pos, ast.USub: operator.neg}
FUNCTIONS: dict[str, Callable[..., Any]] = {
    "sqrt": math.sqrt,
    "abs": abs,
    "round": round,
    "min": min,
    "max": max,
    "floor": math.floor,
    "ceil": math.ceil,
    "log": math.log,
    "log10": math.log10,
    "exp": math.exp,
    "sin": math.sin,
    "cos": math.cos,
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
    except (OverflowError, ValueError, TypeError) as e:
        reason = {OverflowError: "a number is out of range", TypeError: "a function got the wrong arguments"}.get(
            type(e), "a function's argument is out of its domain"
        )
        raise SpellError("invalid_argument", f"cannot evaluate {expression!r}: {reason}") from None
    if isinstance(value, int) and abs(value) >= 2**63:  # spells have 64-bit integers
        try:
            value = float(value)
        except OverflowError:
            raise SpellError("invalid_argument", f"the result of {expression!r} is too large") from None
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    if isinstance(value, complex) or (isinstance(value, float) and not math.isfinite(value)):
        raise SpellError("invalid_argument", f"the result of {expression!r} is not a finite real number")
    return value


def _bits(value: Any) -> int:
    """The size of an integer operand in bits (floats are fixed-size: 0)."""
    return abs(value).bit_length() if isinstance(value, int) else 0


def _check_binary(op: ast.operator, left: Any, right: Any) -> None:
    """Refuse an operation whose integer result would be too large, before Python computes it."""
    if isinstance(op, ast.Pow):
        if abs(right) > MAX_POWER:
            raise SpellError("invalid_argument", f"exponent too large (at most {MAX_POWER})")
        if isinstance(left, int) and isinstance(right, int) and right > 0 and _bits(left) * right > MAX_BITS:
            raise SpellError("invalid_argument", f"the power would have more than {MAX_BITS} bits")
    elif isinstance(op, ast.Mult) and _bits(left) + _bits(right) > MAX_BITS:
        raise SpellError("invalid_argument", f"the product would have more than {MAX_BITS} bits")


def _bounded(value: Any) -> Any:
    if isinstance(value, int) and _bits(value) > MAX_BITS:
        raise SpellError("invalid_argument", f"an intermediate result has more than {MAX_BITS} bits")
    return value


def _eval(node: ast.AST) -> Any:
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        return node.value
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        left, right = _eval(node.left), _eval(node.right)
        _check_binary(node.op, left, right)
        return _bounded(_BINARY[type(node.op)](left, right))
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        return _UNARY[type(node.op)](_eval(node.operand))
    if isinstance(node, ast.Name) and node.id in CONSTANTS:
        return CONSTANTS[node.id]
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in FUNCTIONS
        and not node.keywords
    ):
        args = [_eval(a) for a in node.args]
        if node.func.id == "round" and len(args) > 1 and isinstance(args[1], int) and abs(args[1]) > MAX_NDIGITS:
            raise SpellError("invalid_argument", f"round() takes at most {MAX_NDIGITS} digits")
        return _bounded(FUNCTIONS[node.func.id](*args))
    raise SpellError("invalid_argument", f"unsupported expression element: {ast.dump(node)[:60]}")
