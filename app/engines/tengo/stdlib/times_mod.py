"""The ``times`` module: Go ``time`` on Tengo time values (ns since the Unix epoch plus a location).

Layouts use Go's reference time (``2006-01-02 15:04:05.999999999 -0700 MST``); ``parse`` accepts the common
layout elements. Locations: ``"UTC"``, ``"Local"`` and IANA names (``zoneinfo``).
"""

from __future__ import annotations

import datetime as _dt
import logging
import re
import time as _time
from typing import Any

from ..errors import TengoRuntimeError
from ..objects import UNDEFINED, ImmutableMap, Time
from .common import i_arg, nargs, s_arg, t_arg, wrap_error
from .common import module as make_module

log = logging.getLogger(__name__)

NS = 1_000_000_000
_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.UTC)
MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]


def local_tz() -> _dt.tzinfo:
    return _dt.datetime.now().astimezone().tzinfo or _dt.UTC


def get_location(name: str) -> _dt.tzinfo | None:
    if name in ("", "UTC"):
        return _dt.UTC
    if name == "Local":
        return local_tz()
    try:
        from zoneinfo import ZoneInfo

        return ZoneInfo(name)
    except Exception:  # noqa: BLE001 - unknown zone
        return None


def to_dt(t: Time) -> _dt.datetime:
    """Aware datetime (microsecond precision) of ``t`` in its location."""
    tz = t.tz or _dt.UTC
    sec, ns = divmod(t.ns, NS)
    return (_EPOCH + _dt.timedelta(seconds=sec, microseconds=ns // 1000)).astimezone(tz)


def from_dt(d: _dt.datetime, ns_frac: int | None = None) -> Time:
    if d.tzinfo is None:
        d = d.replace(tzinfo=_dt.UTC)
    delta = d - _EPOCH
    secs = delta.days * 86400 + delta.seconds
    frac = ns_frac if ns_frac is not None else delta.microseconds * 1000
    return Time(secs * NS + frac, d.tzinfo)


def _offset(off: _dt.timedelta, sep: str, z: bool, short: bool = False) -> str:
    total = int(off.total_seconds())
    if z and total == 0:
        return "Z"
    sign = "-" if total < 0 else "+"
    total = abs(total)
    h, m = divmod(total // 60, 60)
    if short:
        return f"{sign}{h:02d}"
    return f"{sign}{h:02d}{sep}{m:02d}"


_TOKENS = [
    "January",
    "Monday",
    "2006",
    "-07:00:00",
    "-070000",
    "Z07:00:00",
    "Z070000",
    "-07:00",
    "-0700",
    "Z07:00",
    "Z0700",
    "Jan",
    "Mon",
    "MST",
    "002",
    "__2",
    "_2",
    "-07",
    "Z07",
    "01",
    "02",
    "03",
    "04",
    "05",
    "06",
    "15",
    "PM",
    "pm",
    "1",
    "2",
    "3",
    "4",
    "5",
]


def _frac_token(layout: str, i: int) -> int:
    """Length of a fractional-second token (.000 / .999 / ,000) at i, or 0."""
    if layout[i] in ".," and i + 1 < len(layout) and layout[i + 1] in "09":
        c = layout[i + 1]
        j = i + 1
        while j < len(layout) and layout[j] == c:
            j += 1
        if j < len(layout) and layout[j].isdigit():
            return 0
        return j - i
    return 0


def go_format(t: Time, layout: str) -> str:
    d = to_dt(t)
    frac = t.ns % NS
    out = []
    i = 0
    n = len(layout)
    while i < n:
        fl = _frac_token(layout, i)
        if fl:
            digits = fl - 1
            s = f"{frac:09d}"[:digits]
            if layout[i + 1] == "9":
                s = s.rstrip("0")
                out.append(("." if s else "") + s)
            else:
                out.append(layout[i] + s)
            i += fl
            continue
        for tok in _TOKENS:
            if layout.startswith(tok, i):
                break
        else:
            out.append(layout[i])
            i += 1
            continue
        i += len(tok)
        off = d.utcoffset() or _dt.timedelta()
        if tok == "2006":
            out.append(f"{d.year:04d}")
        elif tok == "06":
            out.append(f"{d.year % 100:02d}")
        elif tok == "01":
            out.append(f"{d.month:02d}")
        elif tok == "1":
            out.append(str(d.month))
        elif tok == "Jan":
            out.append(MONTHS[d.month - 1][:3])
        elif tok == "January":
            out.append(MONTHS[d.month - 1])
        elif tok == "02":
            out.append(f"{d.day:02d}")
        elif tok == "2":
            out.append(str(d.day))
        elif tok == "_2":
            out.append(f"{d.day:2d}")
        elif tok == "002":
            out.append(f"{d.timetuple().tm_yday:03d}")
        elif tok == "__2":
            out.append(f"{d.timetuple().tm_yday:3d}")
        elif tok == "15":
            out.append(f"{d.hour:02d}")
        elif tok == "03":
            out.append(f"{(d.hour % 12) or 12:02d}")
        elif tok == "3":
            out.append(str((d.hour % 12) or 12))
        elif tok == "04":
            out.append(f"{d.minute:02d}")
        elif tok == "4":
            out.append(str(d.minute))
        elif tok == "05":
            out.append(f"{d.second:02d}")
        elif tok == "5":
            out.append(str(d.second))
        elif tok == "PM":
            out.append("PM" if d.hour >= 12 else "AM")
        elif tok == "pm":
            out.append("pm" if d.hour >= 12 else "am")
        elif tok == "Mon":
            out.append(DAYS[(d.weekday() + 1) % 7][:3])
        elif tok == "Monday":
            out.append(DAYS[(d.weekday() + 1) % 7])
        elif tok == "MST":
            name = d.tzname() or "UTC"
            if name.startswith("UTC") and name != "UTC":
                name = _offset(off, "", False)
            out.append(name)
        elif tok in ("-0700", "-07:00", "-07", "-070000", "-07:00:00"):
            out.append(_offset(off, ":" if ":" in tok else "", False, tok == "-07"))
        elif tok in ("Z0700", "Z07:00", "Z07", "Z070000", "Z07:00:00"):
            out.append(_offset(off, ":" if ":" in tok else "", True, tok == "Z07"))
    return "".join(out)


def time_string(t: Time) -> str:
    """Go ``Time.String()``."""
    return go_format(t, "2006-01-02 15:04:05.999999999 -0700 MST")


def rfc3339(t: Time) -> str:
    return go_format(t, "2006-01-02T15:04:05.999999999Z07:00")


# -- parsing -----------------------------------------------------------------------------------------------
_PARSE_RE = {
    "2006": r"(?P<year>\d{4})",
    "06": r"(?P<year2>\d{2})",
    "01": r"(?P<month>\d{2})",
    "1": r"(?P<month>\d{1,2})",
    "Jan": r"(?P<mon>[A-Za-z]{3})",
    "January": r"(?P<monthname>[A-Za-z]+)",
    "02": r"(?P<day>\d{2})",
    "2": r"(?P<day>\d{1,2})",
    "_2": r" ?(?P<day>\d{1,2})",
    "15": r"(?P<hour>\d{2})",
    "03": r"(?P<hour12>\d{2})",
    "3": r"(?P<hour12>\d{1,2})",
    "04": r"(?P<minute>\d{2})",
    "4": r"(?P<minute>\d{1,2})",
    "05": r"(?P<second>\d{2})",
    "5": r"(?P<second>\d{1,2})",
    "PM": r"(?P<ampm>AM|PM)",
    "pm": r"(?P<ampm>am|pm)",
    "Mon": r"[A-Za-z]{3}",
    "Monday": r"[A-Za-z]+",
    "MST": r"(?P<zone>[A-Z]{3,5}|[+-]\d{2,4})",
    "-0700": r"(?P<off>[+-]\d{4})",
    "-07:00": r"(?P<off>[+-]\d{2}:\d{2})",
    "-07": r"(?P<off>[+-]\d{2})",
    "Z0700": r"(?P<off>Z|[+-]\d{4})",
    "Z07:00": r"(?P<off>Z|[+-]\d{2}:\d{2})",
    "Z07": r"(?P<off>Z|[+-]\d{2})",
    "002": r"(?P<yday>\d{3})",
    "__2": r" {0,2}(?P<yday>\d{1,3})",
}


def go_parse(layout: str, value: str, default_tz: _dt.tzinfo | None = None) -> Time:
    parts = []
    i, n = 0, len(layout)
    while i < n:
        fl = _frac_token(layout, i)
        if fl:
            parts.append(r"(?:[.,](?P<frac>\d+))?" if layout[i + 1] == "9" else r"[.,](?P<frac>\d+)")
            i += fl
            continue
        for tok in _TOKENS:
            if layout.startswith(tok, i) and tok in _PARSE_RE:
                break
        else:
            ch = layout[i]
            parts.append(re.escape(ch))
            if ch == "5" or ch == "4":
                pass
            i += 1
            # Go accepts fractional seconds after a seconds field even if the layout omits them
            continue
        rx = _PARSE_RE[tok]
        if tok in ("05", "5") and not (i + len(tok) < n and layout[i + len(tok)] in ".,"):
            rx += r"(?:[.,](?P<frac>\d+))?"
        parts.append(rx)
        i += len(tok)
    seen: set[str] = set()
    rx_parts = []
    for p in parts:
        names = re.findall(r"\(\?P<(\w+)>", p)
        for nm in names:
            if nm in seen:
                p = p.replace(f"(?P<{nm}>", "(?:")
            seen.add(nm)
        rx_parts.append(p)
    m = re.fullmatch("".join(rx_parts), value)
    if not m:
        raise ValueError(f'parsing time "{value}" as "{layout}": cannot parse')
    g = m.groupdict()
    year = (
        int(g["year"])
        if g.get("year")
        else (
            2000 + int(g["year2"])
            if g.get("year2") and int(g["year2"]) < 69
            else (1900 + int(g["year2"]) if g.get("year2") else 0)
        )
    )
    month = 1
    if g.get("month"):
        month = int(g["month"])
    elif g.get("mon"):
        month = [x[:3].lower() for x in MONTHS].index(g["mon"].lower()) + 1
    elif g.get("monthname"):
        month = [x.lower() for x in MONTHS].index(g["monthname"].lower()) + 1
    day = int(g["day"]) if g.get("day") else 1
    hour = int(g["hour"]) if g.get("hour") else 0
    if g.get("hour12"):
        hour = int(g["hour12"]) % 12
        if (g.get("ampm") or "").lower() == "pm":
            hour += 12
    minute = int(g["minute"]) if g.get("minute") else 0
    second = int(g["second"]) if g.get("second") else 0
    frac = int((g.get("frac") or "0")[:9].ljust(9, "0"))
    tz: _dt.tzinfo = default_tz or _dt.UTC
    off = g.get("off")
    if off:
        if off == "Z":
            tz = _dt.UTC
        else:
            sign = -1 if off[0] == "-" else 1
            digits = off[1:].replace(":", "")
            hh = int(digits[:2])
            mm = int(digits[2:4]) if len(digits) >= 4 else 0
            tz = _dt.timezone(sign * _dt.timedelta(hours=hh, minutes=mm))
    elif g.get("zone") and g["zone"] != "UTC":
        loc = get_location(g["zone"])
        if loc is not None:
            tz = loc
    if year == 0:
        year = 1 if not g.get("year") else year
    try:
        d = _dt.datetime(max(year, 1), month, day, hour, minute, second, tzinfo=tz)
    except ValueError as e:
        raise ValueError(f'parsing time "{value}": {e}') from None
    if g.get("yday") and not g.get("month"):
        d = d + _dt.timedelta(days=int(g["yday"]) - 1)
    t = from_dt(d, 0)
    return Time(t.ns + frac, tz if tz is not _dt.UTC else None)


# -- durations ---------------------------------------------------------------------------------------------
def _fmt_frac(v: int, prec: int) -> tuple[str, int]:
    digits = []
    printed = False
    for _ in range(prec):
        d = v % 10
        printed = printed or d != 0
        if printed:
            digits.append(str(d))
        v //= 10
    s = "".join(reversed(digits))
    return ("." + s if printed else ""), v


def duration_string(d: int) -> str:
    """Go ``time.Duration.String()``."""
    if d == 0:
        return "0s"
    neg = d < 0
    u = -d if neg else d
    if u < NS:
        if u < 1000:
            s = f"{u}ns"
        elif u < 1_000_000:
            frac, w = _fmt_frac(u, 3)
            s = f"{w}{frac}µs"
        else:
            frac, w = _fmt_frac(u, 6)
            s = f"{w}{frac}ms"
    else:
        frac, w = _fmt_frac(u, 9)
        secs = w % 60
        w //= 60
        s = f"{secs}{frac}s"
        if w > 0:
            mins = w % 60
            w //= 60
            s = f"{mins}m" + s
            if w > 0:
                s = f"{w}h" + s
    return ("-" if neg else "") + s


_UNITS = {"ns": 1, "us": 1000, "µs": 1000, "μs": 1000, "ms": 1_000_000, "s": NS, "m": 60 * NS, "h": 3600 * NS}


def parse_duration(s: str) -> int:
    orig = s
    if not s:
        raise ValueError(f'time: invalid duration "{orig}"')
    neg = False
    if s[0] in "+-":
        neg = s[0] == "-"
        s = s[1:]
    if s == "0":
        return 0
    if not s:
        raise ValueError(f'time: invalid duration "{orig}"')
    total = 0.0
    total_i = 0
    for m in re.finditer(r"(\d*\.?\d*)([a-zµμ]+)|(.)", s):
        if m.group(3) is not None or not m.group(1) or m.group(1) == ".":
            raise ValueError(f'time: invalid duration "{orig}"')
        unit = _UNITS.get(m.group(2))
        if unit is None:
            raise ValueError(f'time: unknown unit "{m.group(2)}" in duration "{orig}"')
        num = m.group(1)
        if "." in num:
            ip, fp = num.split(".")
            total_i += int(ip or "0") * unit
            if fp:
                total += int(fp) * unit / (10 ** len(fp))
        else:
            total_i += int(num) * unit
    v = total_i + int(total)
    if v > (1 << 63) - 1:
        raise ValueError(f'time: invalid duration "{orig}"')
    return -v if neg else v


# -- module ------------------------------------------------------------------------------------------------
def _tfunc(fn):
    def f(rt: Any, args: list) -> Any:
        nargs(args, 1)
        return fn(t_arg(args, 0))

    return f


def _ifunc(fn):
    def f(rt: Any, args: list) -> Any:
        nargs(args, 1)
        return fn(i_arg(args, 0))

    return f


def t_sleep(rt: Any, args: list) -> Any:
    nargs(args, 1)
    d = i_arg(args, 0)
    if d > 0:
        _time.sleep(d / NS)
    return UNDEFINED


def t_parse_duration(rt: Any, args: list) -> Any:
    nargs(args, 1)
    try:
        return parse_duration(s_arg(args, 0))
    except ValueError as e:
        return wrap_error(str(e))


def now_time() -> Time:
    return Time(_time.time_ns(), local_tz())


def t_date(rt: Any, args: list) -> Any:
    if len(args) not in (7, 8):
        raise TengoRuntimeError("wrong number of arguments")
    vals = [i_arg(args, i) for i in range(7)]
    tz = local_tz()
    if len(args) == 8:
        loc = get_location(s_arg(args, 7))
        if loc is None:
            return wrap_error(f"unknown time zone {args[7]}")
        tz = loc
    y, mo, d, h, mi, s, ns = vals
    # normalise like Go's time.Date
    mo -= 1
    y += mo // 12
    mo = mo % 12 + 1
    base = _dt.datetime(y, mo, 1, tzinfo=tz)
    extra = _dt.timedelta(days=d - 1, hours=h, minutes=mi, seconds=s)
    dt = base + extra
    t = from_dt(dt, 0)
    return Time(t.ns + ns, tz)


def t_parse(rt: Any, args: list) -> Any:
    if len(args) not in (2, 3):
        raise TengoRuntimeError("wrong number of arguments")
    tz = None
    if len(args) == 3:
        tz = get_location(s_arg(args, 2))
        if tz is None:
            return wrap_error(f"unknown time zone {args[2]}")
    try:
        return go_parse(s_arg(args, 0), s_arg(args, 1), tz)
    except ValueError as e:
        return wrap_error(str(e))


def t_unix(rt: Any, args: list) -> Any:
    nargs(args, 2)
    return Time(i_arg(args, 0) * NS + i_arg(args, 1), local_tz())


def t_add(rt: Any, args: list) -> Any:
    nargs(args, 2)
    t = t_arg(args, 0)
    return Time(t.ns + i_arg(args, 1), t.tz)


def t_sub(rt: Any, args: list) -> Any:
    nargs(args, 2)
    return t_arg(args, 0).ns - t_arg(args, 1).ns


def t_add_date(rt: Any, args: list) -> Any:
    nargs(args, 4)
    t = t_arg(args, 0)
    y, m, dd = i_arg(args, 1), i_arg(args, 2), i_arg(args, 3)
    d = to_dt(t)
    mo = d.month - 1 + m
    year = d.year + y + mo // 12
    mo = mo % 12 + 1
    base = d.replace(year=year, month=mo, day=1)
    nd = base + _dt.timedelta(days=d.day - 1 + dd)
    r = from_dt(nd, t.ns % NS)
    return Time(r.ns, t.tz)


def t_cmp(fn):
    def f(rt: Any, args: list) -> Any:
        nargs(args, 2)
        return fn(t_arg(args, 0).ns, t_arg(args, 1).ns)

    return f


def t_format(rt: Any, args: list) -> Any:
    nargs(args, 2)
    return go_format(t_arg(args, 0), s_arg(args, 1))


def t_in_location(rt: Any, args: list) -> Any:
    nargs(args, 2)
    t = t_arg(args, 0)
    loc = get_location(s_arg(args, 1))
    if loc is None:
        return wrap_error(f"unknown time zone {args[1]}")
    return Time(t.ns, loc)


def t_location(t: Time) -> str:
    if t.tz is None or t.tz is _dt.UTC:
        return "UTC"
    key = getattr(t.tz, "key", None)
    return key or "Local"


def module(rt: Any) -> ImmutableMap:
    funcs = {
        "sleep": t_sleep,
        "parse_duration": t_parse_duration,
        "since": _tfunc(lambda t: _time.time_ns() - t.ns),
        "until": _tfunc(lambda t: t.ns - _time.time_ns()),
        "duration_hours": _ifunc(lambda d: d / (3600 * NS)),
        "duration_minutes": _ifunc(lambda d: d / (60 * NS)),
        "duration_nanoseconds": _ifunc(lambda d: d),
        "duration_microseconds": _ifunc(lambda d: int(d / 1000)),
        "duration_milliseconds": _ifunc(lambda d: int(d / 1_000_000)),
        "duration_seconds": _ifunc(lambda d: d / NS),
        "duration_string": _ifunc(duration_string),
        "month_string": _ifunc(lambda m: MONTHS[m - 1] if 1 <= m <= 12 else f"%!Month({m})"),
        "date": t_date,
        "now": lambda rt, args: now_time(),
        "parse": t_parse,
        "unix": t_unix,
        "add": t_add,
        "add_date": t_add_date,
        "sub": t_sub,
        "after": t_cmp(lambda a, b: a > b),
        "before": t_cmp(lambda a, b: a < b),
        "time_year": _tfunc(lambda t: to_dt(t).year),
        "time_month": _tfunc(lambda t: to_dt(t).month),
        "time_day": _tfunc(lambda t: to_dt(t).day),
        "time_weekday": _tfunc(lambda t: (to_dt(t).weekday() + 1) % 7),
        "time_hour": _tfunc(lambda t: to_dt(t).hour),
        "time_minute": _tfunc(lambda t: to_dt(t).minute),
        "time_second": _tfunc(lambda t: to_dt(t).second),
        "time_nanosecond": _tfunc(lambda t: t.ns % NS),
        "time_unix": _tfunc(lambda t: t.ns // NS),
        "time_unix_nano": _tfunc(lambda t: t.ns),
        "time_format": t_format,
        "time_location": _tfunc(t_location),
        "time_string": _tfunc(time_string),
        "is_zero": _tfunc(lambda t: t.ns == Time.ZERO_NS),
        "to_local": _tfunc(lambda t: Time(t.ns, local_tz())),
        "to_utc": _tfunc(lambda t: Time(t.ns, None)),
        "in_location": t_in_location,
    }
    layouts = {
        "format_ansic": "Mon Jan _2 15:04:05 2006",
        "format_unix_date": "Mon Jan _2 15:04:05 MST 2006",
        "format_ruby_date": "Mon Jan 02 15:04:05 -0700 2006",
        "format_rfc822": "02 Jan 06 15:04 MST",
        "format_rfc822z": "02 Jan 06 15:04 -0700",
        "format_rfc850": "Monday, 02-Jan-06 15:04:05 MST",
        "format_rfc1123": "Mon, 02 Jan 2006 15:04:05 MST",
        "format_rfc1123z": "Mon, 02 Jan 2006 15:04:05 -0700",
        "format_rfc3339": "2006-01-02T15:04:05Z07:00",
        "format_rfc3339_nano": "2006-01-02T15:04:05.999999999Z07:00",
        "format_kitchen": "3:04PM",
        "format_stamp": "Jan _2 15:04:05",
        "format_stamp_milli": "Jan _2 15:04:05.000",
        "format_stamp_micro": "Jan _2 15:04:05.000000",
        "format_stamp_nano": "Jan _2 15:04:05.000000000",
    }
    consts: dict[str, Any] = dict(layouts)
    consts.update(
        {
            "nanosecond": 1,
            "microsecond": 1000,
            "millisecond": 1_000_000,
            "second": NS,
            "minute": 60 * NS,
            "hour": 3600 * NS,
        }
    )
    for i, m in enumerate(MONTHS, 1):
        consts[m.lower()] = i
    return make_module(funcs, consts)
