"""Helpers shared by the Python stdlib modules: argument coercion (Tengo's ``ToString``/``ToInt``...),
error wrapping, and building module maps of ``user-function`` objects."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from ..builtins import ORD
from ..convert import to_float, to_int
from ..errors import SizeLimit, TengoRuntimeError
from ..objects import BuiltinFunction, Error, ImmutableMap, Time, as_str, type_name
from ..ops import LIMITS

log = logging.getLogger(__name__)


def wrong_args() -> TengoRuntimeError:
    return TengoRuntimeError("wrong number of arguments")


def bad_arg(i: int, expected: str, v: Any) -> TengoRuntimeError:
    return TengoRuntimeError(f"invalid type for argument '{ORD[i]}': expected {expected}, found {type_name(v)}")


def nargs(args: list, *allowed: int) -> None:
    if len(args) not in allowed:
        raise wrong_args()


def s_arg(args: list, i: int) -> str:
    s = as_str(args[i])
    if s is None:
        raise bad_arg(i, "string(compatible)", args[i])
    return s


def i_arg(args: list, i: int) -> int:
    v = to_int(args[i])
    if v is None:
        raise bad_arg(i, "int(compatible)", args[i])
    return v


def f_arg(args: list, i: int) -> float:
    v = to_float(args[i])
    if v is None or type(args[i]) is str:
        raise bad_arg(i, "float(compatible)", args[i])
    return v


def t_arg(args: list, i: int) -> Time:
    from ..convert import to_time

    v = to_time(args[i])
    if v is None:
        raise bad_arg(i, "time(compatible)", args[i])
    return v


def wrap_error(msg: str) -> Error:
    return Error(msg)


def check_str(s: str) -> str:
    if len(s) > LIMITS.max_string_len:
        raise SizeLimit("exceeding string size limit")
    return s


def module(funcs: dict[str, Callable], consts: dict[str, Any] | None = None) -> ImmutableMap:
    """An importable module: functions become ``user-function:<name>`` values."""
    attrs: dict[str, Any] = {}
    for name, fn in funcs.items():
        attrs[name] = BuiltinFunction(name, fn, "user-function")
    if consts:
        attrs.update(consts)
    return ImmutableMap(attrs)


# -- typed wrappers mirroring Tengo's func_typedefs.go ------------------------------------------------------
def a_s_r(fn: Callable[[str], Any]) -> Callable:
    def f(rt: Any, args: list) -> Any:
        nargs(args, 1)
        return fn(s_arg(args, 0))

    return f


def a_ss_r(fn: Callable[[str, str], Any]) -> Callable:
    def f(rt: Any, args: list) -> Any:
        nargs(args, 2)
        return fn(s_arg(args, 0), s_arg(args, 1))

    return f


def a_ssi_r(fn: Callable[[str, str, int], Any]) -> Callable:
    def f(rt: Any, args: list) -> Any:
        nargs(args, 3)
        return fn(s_arg(args, 0), s_arg(args, 1), i_arg(args, 2))

    return f


def a_f_r(fn: Callable[[float], Any]) -> Callable:
    def f(rt: Any, args: list) -> Any:
        nargs(args, 1)
        return fn(f_arg(args, 0))

    return f


def a_ff_r(fn: Callable[[float, float], Any]) -> Callable:
    def f(rt: Any, args: list) -> Any:
        nargs(args, 2)
        return fn(f_arg(args, 0), f_arg(args, 1))

    return f


def a_i_r(fn: Callable[[int], Any]) -> Callable:
    def f(rt: Any, args: list) -> Any:
        nargs(args, 1)
        return fn(i_arg(args, 0))

    return f
