"""Tengo's builtin functions (``len``, ``append``, conversions, ``is_*``, ``format``, ``range``, ...)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from .access import can_iterate
from .convert import to_byte_slice, to_float, to_int, to_time
from .errors import SizeLimit, TengoRuntimeError
from .gofmt import sprintf
from .goslice import append_to
from .goslice import splice as go_splice
from .objects import (
    UNDEFINED,
    Array,
    BuiltinFunction,
    Char,
    CompiledFunction,
    Error,
    ImmutableArray,
    ImmutableMap,
    Map,
    Time,
    as_str,
    blen,
    copy_value,
    is_callable,
    is_falsy,
    type_name,
)
from .ops import LIMITS, bytes_limit_error, string_limit_error

log = logging.getLogger(__name__)

ORD = ("first", "second", "third", "fourth", "fifth")


def wrong_args() -> TengoRuntimeError:
    return TengoRuntimeError("wrong number of arguments")


def invalid_arg(i: int, expected: str, got: Any) -> TengoRuntimeError:
    name = ORD[i] if isinstance(i, int) else i
    return TengoRuntimeError(f"invalid type for argument '{name}': expected {expected}, found {type_name(got)}")


def _nargs(args: list, lo: int, hi: int | None = None) -> None:
    if len(args) < lo or (hi is not None and len(args) > hi):
        raise wrong_args()


def b_len(rt: Any, args: list) -> Any:
    _nargs(args, 1, 1)
    v = args[0]
    t = type(v)
    if t is str:
        return blen(v)
    if t is bytes:
        return len(v)
    if t in (Array, ImmutableArray, Map, ImmutableMap):
        return len(v.value)
    raise invalid_arg(0, "array/string/bytes/map", v)


def b_copy(rt: Any, args: list) -> Any:
    _nargs(args, 1, 1)
    return copy_value(args[0])


def b_append(rt: Any, args: list) -> Any:
    if len(args) < 2:
        raise wrong_args()
    v = args[0]
    if type(v) is Array or type(v) is ImmutableArray:
        if len(v.value) + len(args) > LIMITS.max_array_len:
            raise SizeLimit("exceeding array size limit")
        return append_to(v, args[1:])
    raise invalid_arg(0, "array", v)


def b_delete(rt: Any, args: list) -> Any:
    _nargs(args, 2, 2)
    m, k = args
    if type(m) is not Map:
        raise invalid_arg(0, "map", m)
    if type(k) is not str:
        raise invalid_arg(1, "string", k)
    m.value.pop(k, None)
    return UNDEFINED


def b_splice(rt: Any, args: list) -> Any:
    if not args:
        raise wrong_args()
    arr = args[0]
    if type(arr) is not Array:
        raise invalid_arg(0, "array", arr)
    lst = arr.value
    n = len(lst)
    start = 0
    if len(args) > 1:
        if type(args[1]) is not int:
            raise invalid_arg(1, "int", args[1])
        start = args[1]
        if start < 0 or start > n:
            raise TengoRuntimeError("index out of bounds")
    count = n - start
    if len(args) > 2:
        if type(args[2]) is not int:
            raise invalid_arg(2, "int", args[2])
        count = args[2]
        if count < 0:
            raise TengoRuntimeError("index out of bounds")
    if start + count > n:
        count = n - start
    return go_splice(arr, start, start + count, list(args[3:]))


def _conv(args: list, fn: Callable[[Any], Any]) -> Any:
    _nargs(args, 1, 2)
    v = fn(args[0])
    if v is not None:
        return v
    return args[1] if len(args) == 2 else UNDEFINED


def b_string(rt: Any, args: list) -> Any:
    _nargs(args, 1, 2)
    v = args[0]
    if type(v) is str:
        return v
    s = as_str(v)
    if s is not None:
        if len(s) > LIMITS.max_string_len:
            raise string_limit_error()
        return s
    return args[1] if len(args) == 2 else UNDEFINED


def b_int(rt: Any, args: list) -> Any:
    return _conv(args, to_int)


def b_float(rt: Any, args: list) -> Any:
    return _conv(args, to_float)


def b_bool(rt: Any, args: list) -> Any:
    _nargs(args, 1, 2)
    v = args[0]
    if type(v) is bool:
        return v
    return not is_falsy(v)


def b_char(rt: Any, args: list) -> Any:
    def conv(v: Any) -> Any:
        if type(v) is Char:
            return v
        if type(v) is int:
            return Char(((v + (1 << 31)) & 0xFFFFFFFF) - (1 << 31))
        return None

    return _conv(args, conv)


def b_bytes(rt: Any, args: list) -> Any:
    _nargs(args, 1, 2)
    v = args[0]
    if type(v) is int:
        if v > LIMITS.max_bytes_len:
            raise bytes_limit_error()
        return bytes(max(v, 0))
    b = to_byte_slice(v)
    if b is not None:
        if len(b) > LIMITS.max_bytes_len:
            raise bytes_limit_error()
        return b
    return args[1] if len(args) == 2 else UNDEFINED


def b_time(rt: Any, args: list) -> Any:
    return _conv(args, to_time)


def _is(pred: Callable[[Any], bool]) -> Callable:
    def f(rt: Any, args: list) -> Any:
        _nargs(args, 1, 1)
        return pred(args[0])

    return f


def b_type_name(rt: Any, args: list) -> Any:
    _nargs(args, 1, 1)
    return type_name(args[0])


def b_format(rt: Any, args: list) -> Any:
    if not args:
        raise wrong_args()
    f = args[0]
    if type(f) is not str:
        raise invalid_arg("format", "string", f)  # type: ignore[arg-type]
    s = sprintf(f, args[1:])
    if len(s) > LIMITS.max_string_len and blen(s) > LIMITS.max_string_len:
        raise string_limit_error()
    return s


def b_range(rt: Any, args: list) -> Any:
    _nargs(args, 2, 3)
    names = ("start", "stop", "step")
    for i, a in enumerate(args):
        if type(a) is not int:
            raise invalid_arg(names[i], "int", a)  # type: ignore[arg-type]
    start, stop = args[0], args[1]
    step = args[2] if len(args) == 3 else 1
    if step <= 0:
        raise TengoRuntimeError(f"invalid range step: must be > 0, got {step}")
    r = range(start, stop, step) if start <= stop else range(start, stop, -step)
    if len(r) > LIMITS.max_array_len:
        raise SizeLimit("exceeding array size limit")
    return Array(list(r))


def b_freeze(rt: Any, args: list) -> Any:
    """HEAD-only: deep immutable copy of arrays and maps."""
    _nargs(args, 1, 1)

    def fz(v: Any) -> Any:
        if type(v) in (Array, ImmutableArray):
            return ImmutableArray([fz(e) for e in v.value])
        if type(v) in (Map, ImmutableMap):
            return ImmutableMap({k: fz(e) for k, e in v.value.items()})
        return v

    return fz(args[0])


BUILTINS: dict[str, Callable] = {
    "len": b_len,
    "copy": b_copy,
    "append": b_append,
    "delete": b_delete,
    "splice": b_splice,
    "string": b_string,
    "int": b_int,
    "bool": b_bool,
    "float": b_float,
    "char": b_char,
    "bytes": b_bytes,
    "time": b_time,
    "is_int": _is(lambda v: type(v) is int),
    "is_float": _is(lambda v: type(v) is float),
    "is_string": _is(lambda v: type(v) is str),
    "is_bool": _is(lambda v: type(v) is bool),
    "is_char": _is(lambda v: type(v) is Char),
    "is_bytes": _is(lambda v: type(v) is bytes),
    "is_array": _is(lambda v: type(v) is Array),
    "is_immutable_array": _is(lambda v: type(v) is ImmutableArray),
    "is_map": _is(lambda v: type(v) is Map),
    "is_immutable_map": _is(lambda v: type(v) is ImmutableMap),
    "is_iterable": _is(can_iterate),
    "is_time": _is(lambda v: type(v) is Time),
    "is_error": _is(lambda v: type(v) is Error),
    "is_undefined": _is(lambda v: v is UNDEFINED),
    "is_function": _is(lambda v: type(v) is CompiledFunction),
    "is_callable": _is(is_callable),
    "type_name": b_type_name,
    "format": b_format,
    "range": b_range,
    "freeze": b_freeze,
}


def builtin_objects(extra: dict[str, Callable] | None = None) -> dict[str, BuiltinFunction]:
    """Name → :class:`BuiltinFunction` for the compiler's builtin scope."""
    table = dict(BUILTINS)
    if extra:
        table.update(extra)
    return {name: BuiltinFunction(name, fn) for name, fn in table.items()}
