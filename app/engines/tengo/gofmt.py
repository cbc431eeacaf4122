"""Go-compatible number formatting (``strconv.FormatFloat``) and Tengo's ``format``/``sprintf`` verbs."""

from __future__ import annotations

import logging
import math
from decimal import Decimal
from typing import Any

from .errors import SizeLimit
from .objects import from_bytes, go_quote, rune_str, to_bytes, to_string, type_name
from .ops import LIMITS, string_limit_error

log = logging.getLogger(__name__)


def _digits(v: float, prec: int | None, mode: str) -> tuple[str, int]:
    """Decimal digits and decimal-point position of |v| (``0.ddd × 10^dp``).

    ``mode``: "shortest", "sig" (prec significant digits) or "frac" (prec digits after the point)."""
    if v == 0:
        if mode == "frac":
            return "0" * 0 or "0", 1
        return "0", 1
    if mode == "shortest":
        d = Decimal(repr(v))
    elif mode == "sig":
        d = Decimal(f"{v:.{max(prec, 1) - 1}e}")  # type: ignore[operator, type-var]
    else:
        d = Decimal(f"{v:.{prec}f}")
    sign, digs, exp = d.as_tuple()
    s = "".join(map(str, digs))
    dp = len(s) + exp  # type: ignore[operator]
    if mode != "frac":
        s = s.rstrip("0") or "0"
        if mode == "sig" and prec is not None:
            s = s.ljust(max(prec, 1), "0")
    return s, dp


def _fmt_e(s: str, dp: int, prec: int, upper: bool) -> str:
    exp = dp - 1 if s != "0" else 0
    mant = s[0] + ("." + s[1 : prec + 1].ljust(prec, "0") if prec > 0 else "")
    es = f"{'E' if upper else 'e'}{'-' if exp < 0 else '+'}{abs(exp):02d}"
    return mant + es


def format_float(v: float, fmt: str = "g", prec: int = -1, bits: int = 64) -> str:
    """``strconv.FormatFloat(v, fmt, prec, bits)`` for fmt in b e E f F g G x X (b/x approximated)."""
    if bits == 32:
        import struct

        v = struct.unpack("f", struct.pack("f", v))[0]
    if v != v:
        return "NaN"
    if math.isinf(v):
        return "+Inf" if v > 0 else "-Inf"
    neg = v < 0 or (v == 0 and math.copysign(1, v) < 0)
    a = abs(v)
    sign = "-" if neg else ""
    if fmt in "fF":
        if prec < 0:
            s, dp = _digits(a, None, "shortest")
            if dp <= 0:
                out = "0." + "0" * (-dp) + s
            elif dp >= len(s):
                out = s + "0" * (dp - len(s))
            else:
                out = s[:dp] + "." + s[dp:]
            if s == "0":
                out = "0"
            return sign + out
        return sign + f"{a:.{prec}f}"
    if fmt in "eE":
        if prec < 0:
            s, dp = _digits(a, None, "shortest")
            return sign + _fmt_e(s, dp, len(s) - 1, fmt == "E")
        s, dp = _digits(a, prec + 1, "sig")
        return sign + _fmt_e(s, dp, prec, fmt == "E")
    if fmt in "gG":
        shortest = prec < 0
        if shortest:
            s, dp = _digits(a, None, "shortest")
            eprec = 6
        else:
            if prec == 0:
                prec = 1
            s, dp = _digits(a, prec, "sig")
            s = s.rstrip("0") or "0"
            eprec = prec
            if eprec > len(s) and len(s) >= dp:
                eprec = len(s)
        exp = dp - 1
        if a == 0:
            exp = 0
        if exp < -4 or exp >= eprec:
            return sign + _fmt_e(s, dp, len(s) - 1, fmt == "G")
        if dp <= 0:
            out = "0." + "0" * (-dp) + s
        elif dp >= len(s):
            out = s + "0" * (dp - len(s))
        else:
            out = s[:dp] + "." + s[dp:]
        if a == 0:
            out = "0"
        return sign + out
    if fmt in "xX":
        h = float.hex(a)  # 0x1.8p+1
        out = h.replace("0x", "0x" if fmt == "x" else "0X")
        return sign + (out.upper().replace("0X", "0X") if fmt == "X" else out)
    if fmt == "b":
        m, e = math.frexp(a)
        mant = int(m * (1 << 53))
        return f"{sign}{mant}p{e - 53:+d}"
    return "%" + fmt


# -- Sprintf -----------------------------------------------------------------------------------------------
class _Spec:
    __slots__ = ("minus", "plus", "space", "zero", "sharp", "width", "prec")

    def __init__(self) -> None:
        self.minus = self.plus = self.space = self.zero = self.sharp = False
        self.width: int | None = None
        self.prec: int | None = None


def _pad(s: str, sp: _Spec, numeric: bool = False) -> str:
    if sp.width is None or len(s) >= sp.width:
        return s
    n = sp.width - len(s)
    if sp.minus:
        return s + " " * n
    if sp.zero and numeric:
        i = 1 if s[:1] in "+- " else 0
        if s[i : i + 2] in ("0x", "0X", "0b", "0o"):
            i += 2
        return s[:i] + "0" * n + s[i:]
    if sp.zero and not numeric:
        return "0" * n + s
    return " " * n + s


def _fmt_int(v: int, verb: str, sp: _Spec) -> str:
    neg = v < 0
    a = -v if neg else v
    if verb in "dv":
        s = str(a)
    elif verb == "b":
        s = format(a, "b")
    elif verb == "o":
        s = format(a, "o")
        if sp.sharp and s[0] != "0":
            s = "0" + s
    elif verb == "O":
        s = "0o" + format(a, "o")
    elif verb == "x":
        s = format(a, "x")
        if sp.sharp:
            s = "0x" + s
    elif verb == "X":
        s = format(a, "X")
        if sp.sharp:
            s = "0X" + s
    elif verb == "c":
        return _pad(rune_str(v), sp)
    elif verb == "q":
        return _pad("'" + go_quote(rune_str(v))[1:-1].replace("'", "\\'").replace('\\"', '"') + "'", sp)
    elif verb == "U":
        s = f"U+{a:04X}"
        if sp.sharp:
            s += f" '{rune_str(v)}'"
        return _pad(("-" if neg else "") + s, sp)
    else:
        return f"%!{verb}(int={v})"
    if sp.prec is not None:
        s = s.rjust(sp.prec, "0") if not (sp.prec == 0 and a == 0) else ""
        zero_ok = False
    else:
        zero_ok = True
    sign = "-" if neg else ("+" if sp.plus else (" " if sp.space else ""))
    old = sp.zero
    sp.zero = sp.zero and zero_ok and not sp.minus
    out = _pad(sign + s, sp, True)
    sp.zero = old
    return out


def _fmt_float(v: float, verb: str, sp: _Spec) -> str:
    if verb == "v":
        verb = "g"
    if verb not in "eEfFgGxXb":
        return f"%!{verb}(float64={format_float(v)})"
    prec = sp.prec if sp.prec is not None else (-1 if verb in "gGxXb" else 6)
    s = format_float(v, verb, prec)
    if sp.sharp and verb in "gG" and "." not in s and "e" not in s.lower() and "Inf" not in s and "NaN" not in s:
        s += "."
    if sp.plus and s[0] not in "+-":
        s = "+" + s
    elif sp.space and s[0] not in "+-":
        s = " " + s
    if "Inf" in s or "NaN" in s:
        if s == "+Inf" and not sp.plus:
            s = "+Inf" if sp.plus else ("Inf" if not sp.space else " Inf")
        old = sp.zero
        sp.zero = False
        out = _pad(s, sp)
        sp.zero = old
        return out
    return _pad(s, sp, not sp.minus)


def _fmt_str(s: str, verb: str, sp: _Spec) -> str:
    if sp.prec is not None and verb in "sv":
        s = s[: sp.prec]
    if verb in "sv":
        return _pad(s, sp)
    if verb == "q":
        return _pad("`" + s + "`" if sp.sharp and "`" not in s else go_quote(s), sp)
    if verb in "xX":
        b = to_bytes(s)
        h = b.hex() if verb == "x" else b.hex().upper()
        if sp.space:
            h = " ".join(h[i : i + 2] for i in range(0, len(h), 2))
        return _pad(h, sp)
    return f"%!{verb}(string={s})"


def _bad_verb(arg: Any, verb: str) -> str:
    """Tengo's ``badVerb``: ``%!d(<String()>=<String()>)``."""
    sv = to_string(arg)
    return f"%!{verb}({sv}={sv})"


def _fmt_value(arg: Any, verb: str, sp: _Spec) -> str:
    """Tengo's ``printArg``: ``%v`` is always the value's ``String()`` (strings quoted), other verbs by type."""
    if verb == "T":
        return _pad(type_name(arg), sp)
    if verb == "v":
        return _fmt_str(to_string(arg), "s", sp)
    t = type(arg)
    if t is bool:
        if verb == "t":
            return _pad("true" if arg else "false", sp)
        return _bad_verb(arg, verb)
    if t is int:
        if verb in "dbBoOxXcqU" and verb != "B":
            return _fmt_int(arg, verb, sp)
        return _bad_verb(arg, verb)
    if t is float:
        if verb in "eEfFgGxXb":
            return _fmt_float(arg, verb, sp)
        return _bad_verb(arg, verb)
    if t is str:
        if verb in "sxXq":
            return _fmt_str(arg, verb, sp)
        return _bad_verb(arg, verb)
    if t is bytes:
        if verb == "d":
            return "[" + " ".join(str(b) for b in arg) + "]"
        if verb == "s":
            return _fmt_str(from_bytes(arg), "s", sp)
        if verb in "xX":
            return _fmt_str(from_bytes(arg), verb, sp)
        if verb == "q":
            return _fmt_str(from_bytes(arg), "q", sp)
        return ""
    sv = to_string(arg)
    if verb in "sxXq":
        return _fmt_str(sv, verb, sp)
    return _bad_verb(arg, verb)


_TOO_LARGE = 1_000_000  # Go's fmt.tooLarge: widths and precisions are at most about 10^7


def _too_large(x: int) -> bool:
    return x > _TOO_LARGE or x < -_TOO_LARGE


def _parse_num(fmt: str, i: int) -> tuple[int | None, int]:
    """Go's ``parsenum``: the number at ``i`` (None if none) and the index after it; index -1 when it grows past
    Go's bound (Go then treats the rest of the format as consumed)."""
    num: int | None = None
    while i < len(fmt) and fmt[i].isdigit():
        if num is not None and _too_large(num):
            return None, -1
        num = (num or 0) * 10 + int(fmt[i])
        i += 1
    return num, i


def sprintf(fmt: str, args: list) -> str:
    """Tengo's ``Format`` (Go ``fmt.Sprintf`` semantics on Tengo values)."""
    out: list[str] = []
    i, n = 0, len(fmt)
    argi = 0
    reordered = False
    while i < n:
        j = fmt.find("%", i)
        if j < 0:
            out.append(fmt[i:])
            break
        out.append(fmt[i:j])
        i = j + 1
        if i >= n:
            out.append("%!(NOVERB)")
            break
        sp = _Spec()
        while i < n and fmt[i] in "+-# 0":
            c = fmt[i]
            if c == "+":
                sp.plus = True
            elif c == "-":
                sp.minus = True
                sp.zero = False
            elif c == "#":
                sp.sharp = True
            elif c == " ":
                sp.space = True
            elif c == "0":
                sp.zero = not sp.minus
            i += 1
        if i < n and fmt[i] == "[":
            j = fmt.find("]", i)
            if j > i + 1 and fmt[i + 1 : j].isdigit() and 0 < int(fmt[i + 1 : j]) <= len(args):
                argi = int(fmt[i + 1 : j]) - 1
                reordered = True
                i = j + 1
        if i < n and fmt[i] == "*":
            i += 1
            if argi < len(args) and type(args[argi]) is int and not _too_large(args[argi]):
                sp.width = args[argi]
                if sp.width < 0:
                    sp.minus, sp.width = True, -sp.width
            elif argi < len(args) and type(args[argi]) is int:
                out.append("%!(BADWIDTH)")
            argi += 1
        else:
            sp.width, i = _parse_num(fmt, i)
            if i < 0:  # Go: a crazy long number consumes the rest of the format
                out.append("%!(NOVERB)")
                break
        if i < n and fmt[i] == ".":
            i += 1
            if i < n and fmt[i] == "*":
                i += 1
                if argi < len(args) and type(args[argi]) is int and not _too_large(args[argi]):
                    sp.prec = max(args[argi], 0)
                elif argi < len(args) and type(args[argi]) is int:
                    out.append("%!(BADPREC)")
                argi += 1
            else:
                sp.prec, i = _parse_num(fmt, i)
                if i < 0:
                    out.append("%!(NOVERB)")
                    break
                sp.prec = sp.prec or 0
        if i >= n:
            out.append("%!(NOVERB)")
            break
        verb = fmt[i]
        i += 1
        if verb == "%":
            out.append("%")
            continue
        if argi >= len(args):
            out.append(f"%!{verb}(MISSING)")
            continue
        arg = args[argi]
        argi += 1
        if max(sp.width or 0, sp.prec or 0) > LIMITS.max_string_len:  # checked before allocating
            raise string_limit_error()
        out.append(_fmt_value(arg, verb, sp))
    if argi < len(args) and not reordered:
        extra = ", ".join(f"{type_name(a)}={to_string(a)}" for a in args[argi:])
        out.append(f"%!(EXTRA {extra})")
    return "".join(out)


def check_len(s: str, limit: int) -> str:
    if len(s) > limit and len(to_bytes(s)) > limit:
        raise SizeLimit("exceeding string size limit")
    return s


__all__ = ["format_float", "sprintf", "check_len"]
