"""The ``fmt`` module: ``print``, ``printf``, ``println`` (to the host's stdout) and ``sprintf``."""

from __future__ import annotations

import logging
from typing import Any

from ..errors import SizeLimit, TengoRuntimeError
from ..gofmt import sprintf
from ..objects import ImmutableMap
from ..ops import LIMITS
from .common import module as make_module

log = logging.getLogger(__name__)


def _print_args(args: list) -> list[str]:
    """Tengo's ``getPrintArgs``: ``ToString`` of each argument (undefined → ""), total within MaxStringLen."""
    from ..objects import as_str

    out = []
    total = 0
    for a in args:
        s = as_str(a) or ""
        total += len(s)
        if total > LIMITS.max_string_len:
            raise SizeLimit("exceeding string size limit")
        out.append(s)
    return out


def _check(s: str) -> str:
    if len(s) > LIMITS.max_string_len:
        raise SizeLimit("exceeding string size limit")
    return s


def f_print(rt: Any, args: list) -> Any:
    from ..objects import UNDEFINED

    rt.output("".join(_print_args(args)))
    return UNDEFINED


def f_println(rt: Any, args: list) -> Any:
    from ..objects import UNDEFINED

    rt.output(" ".join(_print_args(args)) + "\n")
    return UNDEFINED


def f_printf(rt: Any, args: list) -> Any:
    from ..objects import UNDEFINED

    if not args:
        raise TengoRuntimeError("wrong number of arguments")
    if type(args[0]) is not str:
        raise TengoRuntimeError(f"invalid type for argument 'format': expected string, found {args[0]!r}")
    rt.output(_check(sprintf(args[0], args[1:])) if len(args) > 1 else args[0])
    return UNDEFINED


def f_sprintf(rt: Any, args: list) -> Any:
    if not args:
        raise TengoRuntimeError("wrong number of arguments")
    if type(args[0]) is not str:
        from ..objects import type_name

        raise TengoRuntimeError(f"invalid type for argument 'format': expected string, found {type_name(args[0])}")
    if len(args) == 1:
        return args[0]
    return _check(sprintf(args[0], args[1:]))


def module(rt: Any) -> ImmutableMap:
    return make_module({"print": f_print, "printf": f_printf, "println": f_println, "sprintf": f_sprintf})
