"""The ``text`` module: Go ``strings``/``strconv`` functions and regular expressions (see :mod:`.gore`)."""

from __future__ import annotations

import logging
import re
from typing import Any

from ..convert import parse_go_float, parse_go_int
from ..errors import SizeLimit, TengoRuntimeError
from ..gofmt import format_float
from ..objects import Array, BuiltinFunction, ImmutableArray, ImmutableMap, as_str, from_bytes, go_quote, to_bytes
from ..ops import LIMITS
from .common import a_i_r, a_s_r, a_ss_r, a_ssi_r, bad_arg, i_arg, nargs, s_arg, wrap_error
from .gore import ByteMap, compile_go, expand_template, find_all
from .gore import split as re_split_go

log = logging.getLogger(__name__)


def _limit_error() -> TengoRuntimeError:
    return SizeLimit("exceeding string size limit")


def _b(s: str) -> bytes:
    return to_bytes(s)


def _go_count(s: str, sub: str) -> int:
    if sub == "":
        return len(s) + 1
    return _b(s).count(_b(sub))


def _index(s: str, sub: str) -> int:
    return _b(s).find(_b(sub))


def _last_index(s: str, sub: str) -> int:
    return _b(s).rfind(_b(sub))


def _index_any(s: str, chars: str) -> int:
    bm = ByteMap(s)
    for i, c in enumerate(s):
        if c in chars:
            return bm(i)
    return -1


def _last_index_any(s: str, chars: str) -> int:
    bm = ByteMap(s)
    for i in range(len(s) - 1, -1, -1):
        if s[i] in chars:
            return bm(i)
    return -1


def _split_n(s: str, sep: str, n: int, after: bool = False) -> Any:
    if n == 0:
        return Array([])
    if sep == "":
        chars = list(s)
        if n > 0 and len(chars) > n:
            chars = chars[: n - 1] + ["".join(chars[n - 1 :])]
        return Array(chars)
    parts = s.split(sep) if n < 0 else s.split(sep, n - 1)
    if after:
        parts = [p + sep for p in parts[:-1]] + [parts[-1]]
    return Array(parts)


def _fields(s: str) -> Array:
    return Array(s.split())


def _title(s: str) -> str:
    out = []
    prev = " "
    for c in s:
        out.append(c.upper() if not (prev.isalnum() or prev == "_" or prev == "'") else c)
        prev = c
    return "".join(out)


def _trim(s: str, cut: str) -> str:
    return s.strip(cut) if cut else s


def _trim_left(s: str, cut: str) -> str:
    return s.lstrip(cut) if cut else s


def _trim_right(s: str, cut: str) -> str:
    return s.rstrip(cut) if cut else s


def _trim_prefix(s: str, p: str) -> str:
    return s[len(p) :] if p and s.startswith(p) else s


def _trim_suffix(s: str, p: str) -> str:
    return s[: -len(p)] if p and s.endswith(p) else s


def _trim_space(s: str) -> str:
    return s.strip(" \t\n\v\f\r\x85\xa0")


def _compare(a: str, b: str) -> int:
    x, y = _b(a), _b(b)
    return (x > y) - (x < y)


def t_join(rt: Any, args: list) -> Any:
    nargs(args, 2)
    arr = args[0]
    if type(arr) not in (Array, ImmutableArray):
        raise bad_arg(0, "array", arr)
    parts = []
    for idx, a in enumerate(arr.value):
        s = as_str(a)
        if s is None:
            raise TengoRuntimeError(
                f"invalid type for argument 'first[{idx}]': expected string(compatible), found {type(a).__name__}"
            )
        parts.append(s)
    sep = s_arg(args, 1)
    r = sep.join(parts)
    if len(_b(r)) > LIMITS.max_string_len:
        raise _limit_error()
    return r


def t_repeat(rt: Any, args: list) -> Any:
    nargs(args, 2)
    s = s_arg(args, 0)
    n = i_arg(args, 1)
    if len(_b(s)) * n > LIMITS.max_string_len:
        raise _limit_error()
    if n < 0:
        raise TengoRuntimeError("strings: negative Repeat count")
    return s * n


def t_replace(rt: Any, args: list) -> Any:
    nargs(args, 4)
    s, old, new = s_arg(args, 0), s_arg(args, 1), s_arg(args, 2)
    n = i_arg(args, 3)
    if old == new or n == 0:
        return s
    m = _go_count(s, old)
    if m == 0:
        return s
    if n < 0 or m < n:
        n = m
    if old == "":
        chars = list(s)
        out = []
        for i in range(n):
            out.append(new)
            if i < len(chars):
                out.append(chars[i])
        r = "".join(out) + "".join(chars[n:])
    else:
        r = s.replace(old, new, n)
    if len(_b(r)) > LIMITS.max_string_len:
        raise _limit_error()
    return r


def t_substr(rt: Any, args: list) -> Any:
    nargs(args, 2, 3)
    s = s_arg(args, 0)
    lo = i_arg(args, 1)
    b = _b(s)
    n = len(b)
    hi = n
    if len(args) == 3:
        hi = i_arg(args, 2)
    if lo > hi:
        raise TengoRuntimeError("invalid index type")
    lo = min(max(lo, 0), n)
    hi = min(max(hi, 0), n)
    return from_bytes(b[lo:hi])


def _pad(args: list, left: bool) -> Any:
    nargs(args, 2, 3)
    s = s_arg(args, 0)
    width = i_arg(args, 1)
    if width > LIMITS.max_string_len:
        raise _limit_error()
    sb = _b(s)
    if len(sb) >= width:
        return s
    pad = s_arg(args, 2) if len(args) == 3 else " "
    pb = _b(pad)
    if not pb:
        return s
    count = ((width - len(pb)) // len(pb)) + 1
    if left:
        r = pb * count + sb
        return from_bytes(r[len(r) - width :])
    r = sb + pb * count
    return from_bytes(r[:width])


def t_format_bool(rt: Any, args: list) -> Any:
    nargs(args, 1)
    if type(args[0]) is not bool:
        raise bad_arg(0, "bool", args[0])
    return "true" if args[0] else "false"


def t_format_float(rt: Any, args: list) -> Any:
    nargs(args, 4)
    if type(args[0]) is not float:
        raise bad_arg(0, "float", args[0])
    fmt = s_arg(args, 1)
    return format_float(args[0], fmt[:1] or "g", i_arg(args, 2), i_arg(args, 3))


def _int_to_base(v: int, base: int) -> str:
    if not 2 <= base <= 36:
        raise TengoRuntimeError("strconv: illegal AppendInt/FormatInt base")
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    if v == 0:
        return "0"
    neg = v < 0
    v = abs(v)
    out = []
    while v:
        v, r = divmod(v, base)
        out.append(digits[r])
    return ("-" if neg else "") + "".join(reversed(out))


def t_format_int(rt: Any, args: list) -> Any:
    nargs(args, 2)
    if type(args[0]) is not int:
        raise bad_arg(0, "int", args[0])
    return _int_to_base(args[0], i_arg(args, 1))


def t_parse_bool(rt: Any, args: list) -> Any:
    nargs(args, 1)
    if type(args[0]) is not str:
        raise bad_arg(0, "string", args[0])
    s = args[0]
    if s in ("1", "t", "T", "TRUE", "true", "True"):
        return True
    if s in ("0", "f", "F", "FALSE", "false", "False"):
        return False
    return wrap_error(f"strconv.ParseBool: parsing {go_quote(s)}: invalid syntax")


def t_parse_float(rt: Any, args: list) -> Any:
    nargs(args, 2)
    if type(args[0]) is not str:
        raise bad_arg(0, "string", args[0])
    i_arg(args, 1)
    v = parse_go_float(args[0])
    if v is None:
        return wrap_error(f"strconv.ParseFloat: parsing {go_quote(args[0])}: invalid syntax")
    return v


def t_parse_int(rt: Any, args: list) -> Any:
    nargs(args, 3)
    if type(args[0]) is not str:
        raise bad_arg(0, "string", args[0])
    base, bits = i_arg(args, 1), i_arg(args, 2)
    s = args[0]
    v = parse_go_int(s, base) if base in (0,) or 2 <= base <= 36 else None
    if v is None:
        return wrap_error(f"strconv.ParseInt: parsing {go_quote(s)}: invalid syntax")
    if bits and bits < 64 and not -(1 << (bits - 1)) <= v < (1 << (bits - 1)):
        return wrap_error(f"strconv.ParseInt: parsing {go_quote(s)}: value out of range")
    return v


def t_atoi(rt: Any, args: list) -> Any:
    nargs(args, 1)
    s = s_arg(args, 0)
    v = parse_go_int(s, 10)
    if v is None:
        return wrap_error(f"strconv.Atoi: parsing {go_quote(s)}: invalid syntax")
    return v


def t_unquote(rt: Any, args: list) -> Any:
    nargs(args, 1)
    s = s_arg(args, 0)
    if len(s) >= 2 and s[0] == s[-1] == "`":
        return s[1:-1]
    if len(s) >= 2 and s[0] == s[-1] and s[0] in "\"'":
        from ..errors import TengoParseError
        from ..lexer import Lexer

        try:
            lx = Lexer(s, "")
            if s[0] == '"':
                return lx.scan_string(1, 1)
            from ..objects import rune_str

            return rune_str(lx.scan_char(1, 1))
        except TengoParseError:
            pass
    return wrap_error("invalid syntax")


# -- regular expressions -----------------------------------------------------------------------------------
def _match_maps(m: re.Match, s: str, bm: ByteMap) -> Array:
    arr = []
    for g in range((m.re.groups or 0) + 1):
        st, en = m.span(g)
        if st < 0:
            continue
        arr.append(ImmutableMap({"text": s[st:en], "begin": bm(st), "end": bm(en)}))
    return Array(arr)


def _re_find(p: re.Pattern, s: str, args: list, count_idx: int) -> Any:
    bm = ByteMap(s)
    if len(args) <= count_idx:
        m = p.search(s)
        if m is None:
            from ..objects import UNDEFINED

            return UNDEFINED
        return Array([_match_maps(m, s, bm)])
    n = i_arg(args, count_idx)
    ms = find_all(p, s, n)
    if not ms:
        from ..objects import UNDEFINED

        return UNDEFINED
    return Array([_match_maps(m, s, bm) for m in ms])


def _re_replace(p: re.Pattern, s: str, repl: str) -> str:
    r = p.sub(lambda m: expand_template(m, repl), s)
    if len(_b(r)) > LIMITS.max_string_len:
        raise _limit_error()
    return r


def _compile_or_error(pat: str) -> Any:
    try:
        return compile_go(pat)
    except ValueError as e:
        return wrap_error(str(e))


def t_re_match(rt: Any, args: list) -> Any:
    nargs(args, 2)
    p = _compile_or_error(s_arg(args, 0))
    s = s_arg(args, 1)
    if not isinstance(p, re.Pattern):
        return p
    return p.search(s) is not None


def t_re_find(rt: Any, args: list) -> Any:
    nargs(args, 2, 3)
    p = _compile_or_error(s_arg(args, 0))
    if not isinstance(p, re.Pattern):
        return p
    return _re_find(p, s_arg(args, 1), args, 2)


def t_re_replace(rt: Any, args: list) -> Any:
    nargs(args, 3)
    pat, s, repl = s_arg(args, 0), s_arg(args, 1), s_arg(args, 2)
    p = _compile_or_error(pat)
    if not isinstance(p, re.Pattern):
        return p
    return _re_replace(p, s, repl)


def t_re_split(rt: Any, args: list) -> Any:
    nargs(args, 2, 3)
    pat, s = s_arg(args, 0), s_arg(args, 1)
    n = i_arg(args, 2) if len(args) == 3 else -1
    p = _compile_or_error(pat)
    if not isinstance(p, re.Pattern):
        return p
    return Array(re_split_go(p, s, n))


def _regexp_object(p: re.Pattern) -> ImmutableMap:
    def match(rt: Any, args: list) -> Any:
        nargs(args, 1)
        return p.search(s_arg(args, 0)) is not None

    def find(rt: Any, args: list) -> Any:
        nargs(args, 1, 2)
        return _re_find(p, s_arg(args, 0), args, 1)

    def replace(rt: Any, args: list) -> Any:
        nargs(args, 2)
        return _re_replace(p, s_arg(args, 0), s_arg(args, 1))

    def split(rt: Any, args: list) -> Any:
        nargs(args, 1, 2)
        n = i_arg(args, 1) if len(args) == 2 else -1
        return Array(re_split_go(p, s_arg(args, 0), n))

    return ImmutableMap(
        {
            name: BuiltinFunction(name, fn, "user-function")
            for name, fn in (("match", match), ("find", find), ("replace", replace), ("split", split))
        }
    )


def t_re_compile(rt: Any, args: list) -> Any:
    nargs(args, 1)
    p = _compile_or_error(s_arg(args, 0))
    if not isinstance(p, re.Pattern):
        return p
    return _regexp_object(p)


def module_funcs() -> dict:
    return {
        "re_match": t_re_match,
        "re_find": t_re_find,
        "re_replace": t_re_replace,
        "re_split": t_re_split,
        "re_compile": t_re_compile,
        "compare": a_ss_r(_compare),
        "contains": a_ss_r(lambda s, sub: _b(sub) in _b(s)),
        "contains_any": a_ss_r(lambda s, chars: any(c in chars for c in s)),
        "count": a_ss_r(_go_count),
        "equal_fold": a_ss_r(lambda a, b: a.casefold() == b.casefold()),
        "fields": a_s_r(_fields),
        "has_prefix": a_ss_r(lambda s, p: s.startswith(p)),
        "has_suffix": a_ss_r(lambda s, p: s.endswith(p)),
        "index": a_ss_r(_index),
        "index_any": a_ss_r(_index_any),
        "join": t_join,
        "last_index": a_ss_r(_last_index),
        "last_index_any": a_ss_r(_last_index_any),
        "repeat": t_repeat,
        "replace": t_replace,
        "substr": t_substr,
        "split": a_ss_r(lambda s, sep: _split_n(s, sep, -1)),
        "split_after": a_ss_r(lambda s, sep: _split_n(s, sep, -1, True)),
        "split_after_n": a_ssi_r(lambda s, sep, n: _split_n(s, sep, n, True)),
        "split_n": a_ssi_r(lambda s, sep, n: _split_n(s, sep, n)),
        "title": a_s_r(_title),
        "to_lower": a_s_r(str.lower),
        "to_title": a_s_r(str.upper),
        "to_upper": a_s_r(str.upper),
        "pad_left": lambda rt, args: _pad(args, True),
        "pad_right": lambda rt, args: _pad(args, False),
        "trim": a_ss_r(_trim),
        "trim_left": a_ss_r(_trim_left),
        "trim_prefix": a_ss_r(_trim_prefix),
        "trim_right": a_ss_r(_trim_right),
        "trim_space": a_s_r(_trim_space),
        "trim_suffix": a_ss_r(_trim_suffix),
        "atoi": t_atoi,
        "format_bool": t_format_bool,
        "format_float": t_format_float,
        "format_int": t_format_int,
        "itoa": a_i_r(str),
        "parse_bool": t_parse_bool,
        "parse_float": t_parse_float,
        "parse_int": t_parse_int,
        "quote": a_s_r(go_quote),
        "unquote": t_unquote,
    }


def module(rt: Any) -> ImmutableMap:
    """The ``text`` module."""
    from .common import module as make

    return make(module_funcs())
