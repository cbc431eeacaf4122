"""The ``hex`` module: ``encode(bytes) → string``, ``decode(string) → bytes/error``."""

from __future__ import annotations

import logging
from typing import Any

from ..convert import to_byte_slice
from ..objects import ImmutableMap
from .common import bad_arg, nargs, s_arg, wrap_error
from .common import module as make_module

log = logging.getLogger(__name__)


def h_encode(rt: Any, args: list) -> Any:
    nargs(args, 1)
    b = to_byte_slice(args[0])
    if b is None:
        raise bad_arg(0, "bytes", args[0])
    return b.hex()


def h_decode(rt: Any, args: list) -> Any:
    nargs(args, 1)
    s = s_arg(args, 0)
    try:
        if len(s) % 2:
            return wrap_error("encoding/hex: odd length hex string")
        return bytes.fromhex(s)
    except ValueError:
        return wrap_error("encoding/hex: invalid byte")


def module(rt: Any) -> ImmutableMap:
    return make_module({"encode": h_encode, "decode": h_decode})
