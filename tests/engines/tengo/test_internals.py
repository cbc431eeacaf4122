"""Lexer/parser details, Go slice capacity growth and number formatting helpers."""

from __future__ import annotations

import logging

import pytest

from app.engines.tengo.errors import TengoParseError
from app.engines.tengo.gofmt import format_float
from app.engines.tengo.goslice import grow, seq_cap
from app.engines.tengo.lexer import tokenize
from app.engines.tengo.objects import format_float_f
from app.engines.tengo.parser import parse

log = logging.getLogger(__name__)


def test_append_capacity_matches_go_growth() -> None:
    caps = []
    cap = 0
    while cap < 3000:
        cap = grow(cap, cap + 1)
        caps.append(cap)
    assert caps[:14] == [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 848, 1280, 1792, 2560]
    assert seq_cap(3) == 4 and seq_cap(5) == 8 and grow(0, 3) == 3 and grow(3, 4) == 6


def test_semicolons_are_inserted_at_line_ends() -> None:
    kinds = [(t.kind, t.value) for t in tokenize("a := 1\nb++\nreturn\n", "t")]
    assert kinds == [
        ("IDENT", "a"),
        ("OP", ":="),
        ("INT", 1),
        ("OP", ";"),
        ("IDENT", "b"),
        ("OP", "++"),
        ("OP", ";"),
        ("KEYWORD", "return"),
        ("OP", ";"),
        ("EOF", None),
    ]


def test_string_escapes_keep_raw_bytes() -> None:
    tok = tokenize('"\\xff\\u00e9\\n"', "t")[0]
    assert tok.value.encode("utf-8", "surrogateescape") == b"\xff\xc3\xa9\n"


@pytest.mark.parametrize(
    "src, line, col",
    [
        ("a := 1\nb := (2 +\n", 3, 1),
        ("x := [1, 2,]", 1, 12),
        ("if x { } else y { }", 1, 15),
        ("a := 'ab'", 1, 6),
    ],
)
def test_parse_errors_carry_positions(src: str, line: int, col: int) -> None:
    with pytest.raises(TengoParseError) as e:
        parse(src, "f.tengo")
    assert e.value.position[:3] == ("f.tengo", line, col)
    assert str(e.value).startswith("Parse Error: ")


@pytest.mark.parametrize(
    "value, fmt, prec, expected",
    [
        (1e21, "f", -1, "1000000000000000000000"),
        (0.1, "f", -1, "0.1"),
        (-0.0, "f", -1, "-0"),
        (123456789.0, "g", -1, "1.23456789e+08"),
        (1e-5, "g", -1, "1e-05"),
        (2.5, "e", 2, "2.50e+00"),
        (float("inf"), "g", -1, "+Inf"),
        (float("nan"), "f", 2, "NaN"),
    ],
)
def test_go_float_formatting(value: float, fmt: str, prec: int, expected: str) -> None:
    assert format_float(value, fmt, prec) == expected


def test_float_string_form() -> None:
    assert [format_float_f(v) for v in (1.0, 1.5, 1e-7, 1e100)] == ["1", "1.5", "0.0000001", "1" + "0" * 100]
