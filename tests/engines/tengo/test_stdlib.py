"""Standard-library behaviour beyond the shared corpus (Go semantics of strconv, fmt, time, regexp, json)."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from app.engines.tengo.conformance import encode
from app.engines.tengo.errors import TengoError
from app.engines.tengo.interpreter import Interpreter
from app.engines.tengo.stdlib import ALL_MODULES

log = logging.getLogger(__name__)


def ev(expr: str) -> Any:
    """Evaluate ``expr`` with every stdlib module importable; the corpus encoding of the result."""
    prog = Interpreter(stdlib=set(ALL_MODULES)).compile(f"out := {expr}", "t", [])
    prog.run({})
    return encode(prog.get("out"))


@pytest.mark.parametrize(
    "expr, expected",
    [
        (
            'import("fmt").sprintf("%5.2f|%-4s|%05d|%x|%X|%o|%b", 3.14159, "ab", -42, 255, 255, 8, 5)',
            " 3.14|ab  |-0042|ff|FF|10|101",
        ),
        (
            'import("fmt").sprintf("%e %g %G %v", 1234.5678, 0.000012345, 1e21, 1e21)',
            "1.234568e+03 1.2345e-05 1E+21 1000000000000000000000",
        ),
        ('import("fmt").sprintf("%v %s %q", "x", "x", "x")', '"x" x "x"'),
        ('import("fmt").sprintf("%d %s", 1)', "1 %!s(MISSING)"),
        ('import("fmt").sprintf("%d", "a", 2)', '%!d("a"="a")%!(EXTRA int=2)'),
        ('import("fmt").sprintf("%[2]d %[1]d", 1, 2)', "2 1"),
        ('import("fmt").sprintf("%c %U %t", 65, 65, true)', "A U+0041 true"),
    ],
)
def test_sprintf_follows_go_fmt(expr: str, expected: str) -> None:
    assert ev(expr) == expected


@pytest.mark.parametrize(
    "expr, expected",
    [
        ('import("text").format_float(1.5, "e", 3, 64)', "1.500e+00"),
        ('import("text").format_float(123456789.0, "g", -1, 64)', "1.23456789e+08"),
        ('import("text").format_int(-255, 16)', "-ff"),
        ('import("text").parse_int("0x1f", 0, 64)', 31),
        ('import("text").parse_int("300", 10, 8)', {"$error": 'strconv.ParseInt: parsing "300": value out of range'}),
        ('import("text").atoi("x")', {"$error": 'strconv.Atoi: parsing "x": invalid syntax'}),
        ('import("text").split_n("a,b,c", ",", 2)', ["a", "b,c"]),
        ('import("text").index("héllo", "l")', 3),
        (
            'import("text").re_find("(a)|(b)", "b")',
            [
                [
                    {"$immutable": {"text": "b", "begin": 0, "end": 1}},
                    {"$immutable": {"text": "b", "begin": 0, "end": 1}},
                ]
            ],
        ),
        ('import("text").re_split("a", "abcabc", 2)', ["", "bcabc"]),
        ('import("text").re_replace("(\\\\w+)@(\\\\w+)", "me@host", "${2}:$1")', "host:me"),
        ('import("text").re_match("a$", "a\\n")', False),
    ],
)
def test_text(expr: str, expected: Any) -> None:
    assert ev(expr) == expected


@pytest.mark.parametrize(
    "expr, expected",
    [
        ('import("times").duration_string(5402500000000)', "1h30m2.5s"),
        ('import("times").duration_string(1500)', "1.5µs"),
        ('import("times").parse_duration("-1.5h")', -5400000000000),
        (
            'import("times").time_format(import("times").date(2020, 1, 5, 15, 4, 5, 0, "UTC"), "Mon Jan _2 3:04PM 2006")',
            "Sun Jan  5 3:04PM 2020",
        ),
        (
            'import("times").time_unix(import("times").parse(import("times").format_rfc3339, "1982-09-28T19:21:44+07:00"))',
            402063704,
        ),
        ('import("times").time_string(import("times").unix(0, 5))', "1970-01-01 00:00:00.000000005 +0000 UTC"),
    ],
)
def test_times(expr: str, expected: Any) -> None:
    assert ev(expr) == expected


def test_json_round_trip_and_go_float_format() -> None:
    assert (
        ev('string(import("json").encode({a: [1, 2.5, 1e21, true, undefined, "<x>"]}))')
        == '{"a":[1,2.5,1e+21,true,null,"<x>"]}'
    )
    assert ev('import("json").decode("{\\"a\\": [1, 2.5]}")') == {"a": [1, 2.5]}
    assert ev('is_error(import("json").decode("{"))') is True


def test_math_and_enum() -> None:
    assert ev('[import("math").floor(2.7), import("math").max(1, 2.5), import("math").pi > 3]') == [2.0, 2.5, True]
    assert ev('import("enum").filter([1, 0, 2], func(k, v) { return v })') == [1, 2]


def test_os_is_not_importable() -> None:
    with pytest.raises(TengoError, match="module 'os' not found"):
        ev('import("os")')
