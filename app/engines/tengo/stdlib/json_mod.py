"""The ``json`` module: ``encode`` (→ bytes, Go float format, no HTML escaping), ``decode`` (ints stay int),
``indent`` and ``html_escape``. Errors are error values."""

from __future__ import annotations

import base64
import json
import logging
import math
from typing import Any

from ..convert import to_byte_slice
from ..gofmt import format_float
from ..objects import UNDEFINED, Array, Char, Error, ImmutableArray, ImmutableMap, Map, Time, from_bytes, to_bytes
from .common import bad_arg, nargs, s_arg, wrap_error
from .common import module as make_module

log = logging.getLogger(__name__)


class _EncodeError(Exception):
    pass


def _enc_string(s: str) -> str:
    out = ['"']
    for c in s:
        o = ord(c)
        if c == '"':
            out.append('\\"')
        elif c == "\\":
            out.append("\\\\")
        elif o < 0x20:
            out.append({"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(c, f"\\u{o:04x}"))
        elif 0xDC80 <= o <= 0xDCFF:
            out.append("\\ufffd")
        elif o in (0x2028, 0x2029):
            out.append(f"\\u{o:04x}")
        else:
            out.append(c)
    out.append('"')
    return "".join(out)


def _enc_float(f: float) -> str:
    if math.isinf(f) or f != f:
        raise _EncodeError("json: unsupported value: " + format_float(f))
    a = abs(f)
    fmt = "f"
    if a != 0 and (a < 1e-6 or a >= 1e21):
        fmt = "e"
    s = format_float(f, fmt, -1)
    if fmt == "e":
        n = len(s)
        if n >= 4 and s[n - 4] == "e" and s[n - 3] == "-" and s[n - 2] == "0":
            s = s[: n - 2] + s[n - 1 :]
    return s


def encode_value(v: Any) -> str:
    t = type(v)
    if t is str:
        return _enc_string(v)
    if t is bool:
        return "true" if v else "false"
    if t is int:
        return str(v)
    if t is float:
        return _enc_float(v)
    if t is Char:
        return str(v.v)
    if t is bytes:
        return '"' + base64.b64encode(v).decode("ascii") + '"'
    if t is Array or t is ImmutableArray:
        return "[" + ",".join(encode_value(e) for e in v.value) + "]"
    if t is Map or t is ImmutableMap:
        return "{" + ",".join(_enc_string(k) + ":" + encode_value(e) for k, e in v.value.items()) + "}"
    if t is Time:
        from .times_mod import rfc3339

        return '"' + rfc3339(v) + '"'
    if t is Error:
        return '{"error":' + encode_value(v.value) + "}" if False else "null"
    return "null"


def j_encode(rt: Any, args: list) -> Any:
    nargs(args, 1)
    try:
        return to_bytes(encode_value(args[0]))
    except _EncodeError as e:
        return wrap_error(str(e))


def _to_tengo(v: Any) -> Any:
    if v is None:
        return UNDEFINED
    if isinstance(v, list):
        return Array([_to_tengo(e) for e in v])
    if isinstance(v, dict):
        return Map({k: _to_tengo(e) for k, e in v.items()})
    return v


def _parse_int(s: str) -> Any:
    v = int(s)
    if -(1 << 63) <= v < (1 << 63):
        return v
    return float(s)


def j_decode(rt: Any, args: list) -> Any:
    nargs(args, 1)
    b = to_byte_slice(args[0])
    if b is None:
        raise bad_arg(0, "bytes/string", args[0])
    try:
        v = json.loads(
            from_bytes(b), parse_int=_parse_int, parse_constant=lambda c: (_ for _ in ()).throw(ValueError(c))
        )
    except (ValueError, RecursionError) as e:
        return wrap_error(str(e).split(":")[0])
    return _to_tengo(v)


def indent_json(src: str, prefix: str, indent: str) -> str:
    """Go ``json.Indent``: re-indent valid JSON text."""
    json.loads(src)  # validate
    out: list[str] = []
    depth = 0
    i, n = 0, len(src)
    need_indent = False
    while i < n:
        c = src[i]
        if c in " \t\r\n":
            i += 1
            continue
        if need_indent and c not in "]}":
            out.append("\n" + prefix + indent * depth)
            need_indent = False
        if c == '"':
            j = i + 1
            while j < n and src[j] != '"':
                j += 2 if src[j] == "\\" else 1
            out.append(src[i : j + 1])
            i = j + 1
            continue
        if c in "[{":
            out.append(c)
            depth += 1
            need_indent = True
        elif c in "]}":
            depth -= 1
            if need_indent:  # empty container
                need_indent = False
            else:
                out.append("\n" + prefix + indent * depth)
            out.append(c)
        elif c == ",":
            out.append(c)
            out.append("\n" + prefix + indent * depth)
        elif c == ":":
            out.append(": ")
        else:
            out.append(c)
        i += 1
    return "".join(out)


def j_indent(rt: Any, args: list) -> Any:
    nargs(args, 3)
    b = to_byte_slice(args[0])
    if b is None:
        raise bad_arg(0, "bytes/string", args[0])
    prefix, ind = s_arg(args, 1), s_arg(args, 2)
    try:
        return to_bytes(indent_json(from_bytes(b), prefix, ind))
    except ValueError as e:
        return wrap_error(str(e).split(":")[0])


def j_html_escape(rt: Any, args: list) -> Any:
    nargs(args, 1)
    b = to_byte_slice(args[0])
    if b is None:
        raise bad_arg(0, "bytes/string", args[0])
    s = from_bytes(b)
    s = s.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    s = s.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return to_bytes(s)


def module(rt: Any) -> ImmutableMap:
    return make_module({"encode": j_encode, "decode": j_decode, "indent": j_indent, "html_escape": j_html_escape})
