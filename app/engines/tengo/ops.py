"""Binary and unary operators of Tengo on every runtime type (mirrors the ``BinaryOp`` methods of objects.go)."""

from __future__ import annotations

import logging
from typing import Any

from .errors import SizeLimit, TengoRuntimeError
from .objects import Array, Char, ImmutableArray, Time, blen, is_falsy, to_string, type_name, wrap_i32, wrap_int

log = logging.getLogger(__name__)


class Limits:
    """Tengo's package-level size limits (``tengo.MaxStringLen``/``MaxBytesLen``), set per run by the host,
    plus an array length cap of ours (memory safety; Tengo has none)."""

    max_string_len = 2147483647
    max_bytes_len = 2147483647
    max_array_len = 2147483647


LIMITS = Limits()


def string_limit_error() -> TengoRuntimeError:
    return SizeLimit("exceeding string size limit")


def bytes_limit_error() -> TengoRuntimeError:
    return SizeLimit("exceeding bytes size limit")


def check_str(s: str) -> str:
    if len(s) > LIMITS.max_string_len and blen(s) > LIMITS.max_string_len:
        raise string_limit_error()
    return s


def invalid_op(op: str, a: Any, b: Any) -> TengoRuntimeError:
    return TengoRuntimeError(f"invalid operation: {type_name(a)} {op} {type_name(b)}")


def _append(a: Any, items: list) -> Any:
    from .goslice import append_to

    if len(a.value) + len(items) > LIMITS.max_array_len:
        raise SizeLimit("exceeding array size limit")
    return append_to(a, items)


def int_op(op: str, a: int, b: int) -> Any:
    if op == "+":
        return wrap_int(a + b)
    if op == "-":
        return wrap_int(a - b)
    if op == "*":
        return wrap_int(a * b)
    if op == "/":
        if b == 0:
            raise TengoRuntimeError("runtime error: integer divide by zero")
        q = abs(a) // abs(b)
        return wrap_int(q if (a >= 0) == (b >= 0) else -q)
    if op == "%":
        if b == 0:
            raise TengoRuntimeError("runtime error: integer divide by zero")
        r = abs(a) % abs(b)
        return r if a >= 0 else -r
    if op == "&":
        return a & b
    if op == "|":
        return a | b
    if op == "^":
        return a ^ b
    if op == "&^":
        return a & ~b
    if op == "<<":
        if b < 0 or b >= 64:
            return 0
        return wrap_int(a << b)
    if op == ">>":
        if b < 0 or b >= 64:
            return -1 if a < 0 else 0
        return a >> b
    if op == "<":
        return a < b
    if op == ">":
        return a > b
    if op == "<=":
        return a <= b
    if op == ">=":
        return a >= b
    raise invalid_op(op, a, b)


def float_op(op: str, a: float, b: float, lhs: Any, rhs: Any) -> Any:
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    if op == "/":
        try:
            return a / b
        except ZeroDivisionError:
            if a != a or a == 0:
                return float("nan")
            neg = (a < 0) != (str(b)[0] == "-")
            return float("-inf") if neg else float("inf")
    if op == "<":
        return a < b
    if op == ">":
        return a > b
    if op == "<=":
        return a <= b
    if op == ">=":
        return a >= b
    raise invalid_op(op, lhs, rhs)


_CMP = {"<", ">", "<=", ">="}


def binary_op(op: str, a: Any, b: Any) -> Any:
    """``a op b`` for the arithmetic, bitwise and comparison operators (not ``== != && ||``)."""
    ta, tb = type(a), type(b)
    if ta is int:
        if tb is int:
            return int_op(op, a, b)
        if tb is float:
            return float_op(op, float(a), b, a, b)
        if tb is Char:
            if op == "+":
                return Char(wrap_i32(a + b.v))
            if op == "-":
                return Char(wrap_i32(a - b.v))
            if op in _CMP:
                return int_op(op, a, b.v)
        raise invalid_op(op, a, b)
    if ta is float:
        if tb is float:
            return float_op(op, a, b, a, b)
        if tb is int:
            return float_op(op, a, float(b), a, b)
        raise invalid_op(op, a, b)
    if ta is str:
        if op == "+":
            if tb is str:
                r = a + b
            else:
                r = a + to_string(b)
            return check_str(r)
        if tb is str and op in _CMP:
            if a.isascii() and b.isascii():
                x, y = a, b
            else:
                x, y = a.encode("utf-8", "surrogateescape"), b.encode("utf-8", "surrogateescape")
            if op == "<":
                return x < y
            if op == ">":
                return x > y
            if op == "<=":
                return x <= y
            return x >= y
        raise invalid_op(op, a, b)
    if ta is Char:
        if tb is Char or tb is int:
            bv = b.v if tb is Char else b
            if op == "+":
                return Char(wrap_i32(a.v + bv))
            if op == "-":
                return Char(wrap_i32(a.v - bv))
            if op in _CMP:
                return int_op(op, a.v, bv)
        raise invalid_op(op, a, b)
    if ta is bytes:
        if op == "+" and tb is bytes:
            if len(a) + len(b) > LIMITS.max_bytes_len:
                raise bytes_limit_error()
            return a + b
        raise invalid_op(op, a, b)
    if ta is Array:
        if op == "+" and tb is Array:
            if not b.value:
                return a  # Go: `append` of nothing returns the same array
            return _append(a, b.value)
        raise invalid_op(op, a, b)
    if ta is ImmutableArray:
        if op == "+" and tb is ImmutableArray:
            return _append(a, b.value)
        raise invalid_op(op, a, b)
    if ta is Time:
        if tb is int:
            if op == "+":
                return Time(a.ns + b, a.tz)
            if op == "-":
                return Time(a.ns - b, a.tz)
        elif tb is Time:
            if op == "-":
                return wrap_int(a.ns - b.ns)
            if op in _CMP:
                return int_op(op, a.ns, b.ns)
        raise invalid_op(op, a, b)
    custom = getattr(a, "tengo_binary_op", None)
    if custom is not None:
        return custom(op, b)
    raise invalid_op(op, a, b)


def unary_op(op: str, v: Any) -> Any:
    t = type(v)
    if op == "!":
        return is_falsy(v)
    if op == "-":
        if t is int:
            return wrap_int(-v)
        if t is float:
            return -v
    elif op == "^":
        if t is int:
            return ~v
    elif op == "+":
        if t is int or t is float:
            return v
    raise TengoRuntimeError(f"invalid operation: {op}{type_name(v)}")


__all__ = ["LIMITS", "binary_op", "unary_op"]
