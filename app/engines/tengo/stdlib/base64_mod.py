"""The ``base64`` module (std/url alphabets, padded and raw); decode errors are error values."""

from __future__ import annotations

import base64
import binascii
import logging
from typing import Any

from ..convert import to_byte_slice
from ..objects import ImmutableMap
from .common import bad_arg, nargs, s_arg, wrap_error
from .common import module as make_module

log = logging.getLogger(__name__)


def _enc(url: bool, raw: bool):
    def f(rt: Any, args: list) -> Any:
        nargs(args, 1)
        b = to_byte_slice(args[0])
        if b is None:
            raise bad_arg(0, "bytes", args[0])
        s = (base64.urlsafe_b64encode(b) if url else base64.b64encode(b)).decode("ascii")
        return s.rstrip("=") if raw else s

    return f


def _dec(url: bool, raw: bool):
    def f(rt: Any, args: list) -> Any:
        nargs(args, 1)
        s = s_arg(args, 0)
        if raw:
            if "=" in s:
                return wrap_error(f"illegal base64 data at input byte {s.index('=')}")
            s = s + "=" * (-len(s) % 4)
        try:
            data = s.encode("ascii")
            alt = b"-_" if url else b"+/"
            return base64.b64decode(data, altchars=alt, validate=True)
        except (binascii.Error, ValueError, UnicodeEncodeError):
            return wrap_error("illegal base64 data at input byte 0")

    return f


def module(rt: Any) -> ImmutableMap:
    return make_module(
        {
            "encode": _enc(False, False),
            "decode": _dec(False, False),
            "raw_encode": _enc(False, True),
            "raw_decode": _dec(False, True),
            "url_encode": _enc(True, False),
            "url_decode": _dec(True, False),
            "raw_url_encode": _enc(True, True),
            "raw_url_decode": _dec(True, True),
        }
    )
