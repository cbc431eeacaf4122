"""Runtime values of Tengo and their generic behaviour (type names, String(), truthiness, equality, copy).

Representation (chosen for speed; the hot paths test ``type(x) is int``):

=================  ================================================================
Tengo              Python
=================  ================================================================
int                ``int`` (kept within int64 by the operators)
float              ``float``
bool               ``bool``
string             ``str`` (Go byte string decoded UTF-8 + ``surrogateescape``)
bytes              ``bytes``
char               :class:`Char`
array / immutable  :class:`Array` / :class:`ImmutableArray` (``.value`` list)
map / immutable    :class:`Map` / :class:`ImmutableMap` (``.value`` dict)
error              :class:`Error`
undefined          :data:`UNDEFINED`
time               :class:`Time` (ns since the Unix epoch + location)
functions          :class:`CompiledFunction`, :class:`BuiltinFunction`
=================  ================================================================
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from decimal import Decimal
from typing import Any

log = logging.getLogger(__name__)

MAX_INT = (1 << 63) - 1
MIN_INT = -(1 << 63)


def wrap_int(v: int) -> int:
    """Wrap a Python int into int64 like Go's arithmetic."""
    if MIN_INT <= v <= MAX_INT:
        return v
    return ((v + (1 << 63)) & 0xFFFFFFFFFFFFFFFF) - (1 << 63)


def wrap_i32(v: int) -> int:
    return ((v + (1 << 31)) & 0xFFFFFFFF) - (1 << 31)


class Undefined:
    __slots__ = ()

    def __repr__(self) -> str:
        return "<undefined>"

    def __bool__(self) -> bool:
        return False


UNDEFINED = Undefined()


class Char:
    """A rune (int32)."""

    __slots__ = ("v",)

    def __init__(self, v: int):
        self.v = v

    def __repr__(self) -> str:
        return f"Char({self.v})"


class Array:
    """A Tengo array (a Go slice): ``value`` holds the elements, ``cap`` the Go capacity; ``grp``/``off``
    describe a shared backing array (see :mod:`.goslice`)."""

    __slots__ = ("value", "cap", "grp", "off", "__weakref__")

    def __init__(self, value: list, cap: int | None = None):
        self.value = value
        self.cap = len(value) if cap is None else cap
        self.grp = None
        self.off = 0

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.value!r})"


class ImmutableArray(Array):
    __slots__ = ()


class Map:
    __slots__ = ("value",)

    def __init__(self, value: dict):
        self.value = value

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.value!r})"


class ImmutableMap(Map):
    __slots__ = ()


class Error:
    __slots__ = ("value",)

    def __init__(self, value: Any):
        self.value = value

    def __repr__(self) -> str:
        return f"Error({self.value!r})"


class Time:
    """A Go ``time.Time``: nanoseconds since the Unix epoch (UTC) and a ``tzinfo`` (None = UTC)."""

    __slots__ = ("ns", "tz")
    ZERO_NS = -62135596800 * 1_000_000_000  # 0001-01-01 00:00:00 UTC

    def __init__(self, ns: int, tz: Any = None):
        self.ns = ns
        self.tz = tz

    def __repr__(self) -> str:
        return f"Time({self.ns})"


class CompiledFunction:
    """A Tengo function value: shared code (``code``) plus captured cells (``free``)."""

    __slots__ = ("code", "free")

    def __init__(self, code: Any, free: tuple):
        self.code = code
        self.free = free


class BuiltinFunction:
    """A function implemented in Python: ``fn(rt, args) -> value``."""

    __slots__ = ("name", "fn", "kind")

    def __init__(self, name: str, fn: Callable, kind: str = "builtin-function"):
        self.name = name
        self.fn = fn
        self.kind = kind

    def __repr__(self) -> str:
        return f"<{self.kind}:{self.name}>"


class Cell:
    """A captured variable (Tengo's ObjectPtr)."""

    __slots__ = ("v",)

    def __init__(self, v: Any):
        self.v = v


# -- strings -----------------------------------------------------------------------------------------------
def to_bytes(s: str) -> bytes:
    return s.encode("utf-8", "surrogateescape")


def from_bytes(b: bytes) -> str:
    return b.decode("utf-8", "surrogateescape")


def blen(s: str) -> int:
    """Length of a string in bytes."""
    return len(s) if s.isascii() else len(s.encode("utf-8", "surrogateescape"))


def runes(s: str) -> list[int]:
    """Go's ``[]rune(s)``: invalid bytes become U+FFFD."""
    if s.isascii():
        return [ord(c) for c in s]
    return [0xFFFD if 0xDC80 <= ord(c) <= 0xDCFF else ord(c) for c in s]


def rune_str(r: int) -> str:
    """Go's ``string(rune)``."""
    if r < 0 or r > 0x10FFFF or 0xD800 <= r <= 0xDFFF:
        return "\ufffd"
    return chr(r)


def go_quote(s: str) -> str:
    """``strconv.Quote``."""
    out = ['"']
    for c in s:
        o = ord(c)
        if c == '"':
            out.append('\\"')
        elif c == "\\":
            out.append("\\\\")
        elif 0xDC80 <= o <= 0xDCFF:
            out.append(f"\\x{o - 0xDC00:02x}")
        elif o < 0x20 or o == 0x7F:
            out.append(
                {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v"}.get(
                    c, f"\\x{o:02x}"
                )
            )
        elif o < 0x7F or c.isprintable():
            out.append(c)
        elif o < 0x10000:
            out.append(f"\\u{o:04x}")
        else:
            out.append(f"\\U{o:08x}")
    out.append('"')
    return "".join(out)


def format_float_f(f: float) -> str:
    """Go's ``strconv.FormatFloat(f, 'f', -1, 64)``."""
    if f != f:
        return "NaN"
    if f == math.inf:
        return "+Inf"
    if f == -math.inf:
        return "-Inf"
    r = repr(f)
    if "e" in r or "E" in r:
        r = format(Decimal(r), "f")
    if r.endswith(".0"):
        r = r[:-2]
    return r


# -- generic behaviour -------------------------------------------------------------------------------------
def type_name(v: Any) -> str:
    t = type(v)
    name = _TYPE_NAMES.get(t)
    if name is not None:
        return name
    if t is BuiltinFunction:
        return f"{v.kind}:{v.name}"
    return getattr(v, "tengo_type", t.__name__)


_TYPE_NAMES = {
    int: "int",
    float: "float",
    bool: "bool",
    str: "string",
    bytes: "bytes",
    Char: "char",
    Array: "array",
    ImmutableArray: "immutable-array",
    Map: "map",
    ImmutableMap: "immutable-map",
    Error: "error",
    Undefined: "undefined",
    Time: "time",
    CompiledFunction: "compiled-function",
}


def to_string(v: Any) -> str:
    """Tengo's ``Object.String()`` (strings quoted)."""
    t = type(v)
    if t is str:
        return go_quote(v)
    if t is int:
        return str(v)
    if t is bool:
        return "true" if v else "false"
    if t is float:
        return format_float_f(v)
    if t is Char:
        return rune_str(v.v)
    if t is bytes:
        return from_bytes(v)
    if t is Array or t is ImmutableArray:
        return "[" + ", ".join(to_string(e) for e in v.value) + "]"
    if t is Map or t is ImmutableMap:
        return "{" + ", ".join(f"{k}: {to_string(e)}" for k, e in v.value.items()) + "}"
    if t is Error:
        return "error: " + to_string(v.value)
    if t is Undefined:
        return "<undefined>"
    if t is Time:
        from .stdlib.times_mod import time_string

        return time_string(v)
    if t is CompiledFunction:
        return "<compiled-function>"
    if t is BuiltinFunction:
        return f"<{v.kind}>"
    s = getattr(v, "tengo_string", None)
    return s() if s else f"<{type_name(v)}>"


def as_str(v: Any) -> str | None:
    """Tengo's ``ToString``: strings unquoted, undefined → None, others ``String()``."""
    if type(v) is str:
        return v
    if v is UNDEFINED:
        return None
    return to_string(v)


def is_falsy(v: Any) -> bool:
    t = type(v)
    if t is bool:
        return not v
    if t is int:
        return v == 0
    if t is str or t is bytes:
        return not v
    if t is float:
        return v != v
    if t is Char:
        return v.v == 0
    if t is Array or t is ImmutableArray or t is Map or t is ImmutableMap:
        return not v.value
    if t is Error or t is Undefined:
        return True
    if t is Time:
        return v.ns == Time.ZERO_NS
    return False


def equals(a: Any, b: Any) -> bool:
    """Tengo's ``Equals`` (deep for arrays and maps; int == float numerically)."""
    ta, tb = type(a), type(b)
    if ta is int:
        if tb is int or tb is float:
            return a == b
        return False
    if ta is float:
        return (tb is float or tb is int) and a == b
    if ta is str or ta is bytes:
        return tb is ta and a == b
    if ta is bool:
        return tb is bool and a == b
    if ta is Char:
        return tb is Char and a.v == b.v
    if ta is Array or ta is ImmutableArray:
        if tb is not Array and tb is not ImmutableArray:
            return False
        x, y = a.value, b.value
        if len(x) != len(y):
            return False
        for i in range(len(x)):
            if not equals(x[i], y[i]):
                return False
        return True
    if ta is Map or ta is ImmutableMap:
        if tb is not Map and tb is not ImmutableMap:
            return False
        x, y = a.value, b.value
        if len(x) != len(y):
            return False
        for k, v in x.items():
            if not equals(v, y.get(k, UNDEFINED)):
                return False
        return True
    if ta is Time:
        return tb is Time and a.ns == b.ns
    if ta is CompiledFunction or ta is BuiltinFunction:
        return False
    return a is b


def copy_value(v: Any) -> Any:
    """Tengo's ``Copy()`` (deep for arrays and maps; immutable containers copy to mutable ones)."""
    t = type(v)
    if t is Array or t is ImmutableArray:
        from .goslice import seq_cap

        return Array([copy_value(e) for e in v.value], seq_cap(len(v.value)))
    if t is Map or t is ImmutableMap:
        return Map({k: copy_value(e) for k, e in v.value.items()})
    if t is Char:
        return Char(v.v)
    if t is Error:
        return Error(copy_value(v.value))
    if t is Time:
        return Time(v.ns, v.tz)
    if t is CompiledFunction:
        return CompiledFunction(v.code, v.free)
    return v


def is_callable(v: Any) -> bool:
    t = type(v)
    return t is CompiledFunction or t is BuiltinFunction or callable(getattr(v, "tengo_call", None))
