"""Tengo's ``ToInt``/``ToFloat64``/``ToString``-style conversions used by builtins and the stdlib."""

from __future__ import annotations

import logging
import math
import re
from typing import Any

from .objects import MIN_INT, UNDEFINED, Char, Time, as_str, to_bytes

log = logging.getLogger(__name__)

_GO_INT = re.compile(r"[+-]?[0-9]+\Z")
_GO_FLOAT = re.compile(
    r"[+-]?(?:(?:[0-9](?:_?[0-9])*)?\.?[0-9]*(?:[eE][+-]?[0-9]+)?|inf(?:inity)?|nan)\Z", re.IGNORECASE
)


def parse_go_int(s: str, base: int = 10) -> int | None:
    """``strconv.ParseInt(s, base, 64)``; None on error (syntax or range)."""
    try:
        if base == 0:
            body = s.lstrip("+-")
            if body[:2].lower() in ("0x", "0b", "0o") or (len(body) > 1 and body[0] == "0"):
                v = int(s.replace("_", ""), 0) if body[:2].lower() in ("0x", "0b", "0o") else int(s.replace("_", ""), 8)
            else:
                if not _GO_INT.match(s.replace("_", "")):
                    return None
                v = int(s.replace("_", ""), 10)
        else:
            if base == 10 and not _GO_INT.match(s):
                return None
            if any(c.isspace() or c == "_" for c in s):
                return None
            v = int(s, base)
    except ValueError:
        return None
    if v > (1 << 63) - 1 or v < MIN_INT:
        return None
    return v


def parse_go_float(s: str) -> float | None:
    """``strconv.ParseFloat(s, 64)`` (decimal forms, inf/nan; no surrounding spaces)."""
    if not s or s != s.strip():
        return None
    try:
        if s.lower().lstrip("+-").startswith("0x"):
            if "p" not in s.lower():
                return None  # Go requires a p exponent in hexadecimal floats
            return float.fromhex(s.replace("_", ""))
        if "_" in s:
            return None
        v = float(s)
    except ValueError:
        return None
    if math.isinf(v) and "inf" not in s.lower():
        return None  # out of range → ErrRange in Go
    return v


def float_to_int(f: float) -> int:
    """Go's ``int64(f)`` on amd64 (out of range / NaN → MinInt64)."""
    if f != f or f >= 9.223372036854775807e18 or f < -9.223372036854775808e18:
        return MIN_INT
    return int(f)


def to_int(v: Any) -> int | None:
    t = type(v)
    if t is int:
        return v
    if t is float:
        return float_to_int(v)
    if t is Char:
        return v.v
    if t is bool:
        return 1 if v else 0
    if t is str:
        return parse_go_int(v)
    return None


def to_float(v: Any) -> float | None:
    t = type(v)
    if t is float:
        return v
    if t is int:
        return float(v)
    if t is str:
        return parse_go_float(v)
    return None


def to_string(v: Any) -> str | None:
    return as_str(v)


def to_byte_slice(v: Any) -> bytes | None:
    t = type(v)
    if t is bytes:
        return v
    if t is str:
        return to_bytes(v)
    return None


def to_time(v: Any) -> Time | None:
    t = type(v)
    if t is Time:
        return v
    if t is int:
        return Time(v * 1_000_000_000, None)
    return None


def to_interface(v: Any) -> Any:
    """Tengo value → plain Python value (arrays → list, maps → dict, undefined → None)."""
    from .objects import Array, Error, Map

    t = type(v)
    if v is UNDEFINED:
        return None
    if isinstance(v, Array):
        return [to_interface(e) for e in v.value]
    if isinstance(v, Map):
        return {k: to_interface(e) for k, e in v.value.items()}
    if t is Char:
        return v.v
    if t is Error:
        return {"error": to_interface(v.value)}
    return v
