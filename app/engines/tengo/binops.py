"""Specialised closures for binary operators (pass 2 helpers).

Each operator gets a closure with an inline int/int (and float/float) fast path and a generic fallback to
:func:`.ops.binary_op`. The variants are produced once at import time from the fixed templates below (no spell
text ever enters generated code): the left operand is either any expression or a plain local slot, the right
operand either any expression or a constant.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from .errors import TengoError
from .objects import MAX_INT, MIN_INT, equals, wrap_int
from .ops import binary_op

log = logging.getLogger(__name__)

_WRAP = "\n            if MIN_INT <= x <= MAX_INT:\n                return x\n            return wrap_int(x)"
_ARITH = {
    "+": ("x = a + b" + _WRAP, "return a + b"),
    "-": ("x = a - b" + _WRAP, "return a - b"),
    "*": ("x = a * b" + _WRAP, "return a * b"),
    "<": ("return a < b", "return a < b"),
    ">": ("return a > b", "return a > b"),
    "<=": ("return a <= b", "return a <= b"),
    ">=": ("return a >= b", "return a >= b"),
    "&": ("return a & b", None),
    "|": ("return a | b", None),
    "^": ("return a ^ b", None),
    "/": ("if b > 0 and a >= 0:\n                return a // b", None),
    "%": ("if b > 0 and a >= 0:\n                return a % b", None),
    "<<": (None, None),
    ">>": ("if 0 <= b < 64:\n                return a >> b", None),
    "&^": ("return a & ~b", None),
}

_TEMPLATE = """
def make(l, r, pos):
    def ev(fr):
        a = {A}
        b = {B}
        if type(a) is int and type(b) is int:
            {INT}
        {FLOAT}
        try:
            return binary_op({OP!r}, a, b)
        except TengoError as e:
            if not e.trace:
                e.trace.append(pos)
            raise
    return ev
"""

_FLOAT_TMPL = """if type(a) is float and type(b) is float:
            {F}"""

_FACTORIES: dict[tuple[str, bool, Any], Callable] = {}
_RHS = {False: "r(fr)", True: "r", "local": "fr[r]"}


def _build() -> None:
    env_base = {
        "binary_op": binary_op,
        "TengoError": TengoError,
        "MIN_INT": MIN_INT,
        "MAX_INT": MAX_INT,
        "wrap_int": wrap_int,
    }
    for op, (int_code, float_code) in _ARITH.items():
        for local_lhs in (False, True):
            for const_rhs in (False, True, "local"):
                src = _TEMPLATE.format(
                    A="fr[l]" if local_lhs else "l(fr)",
                    B=_RHS[const_rhs],
                    INT=int_code or "pass",
                    FLOAT=_FLOAT_TMPL.format(F=float_code) if float_code else "",
                    OP=op,
                )
                env = dict(env_base)
                exec(compile(src, f"<tengo-binop {op}>", "exec"), env)  # fixed template, no spell text
                _FACTORIES[(op, local_lhs, const_rhs)] = env["make"]  # type: ignore[assignment]


_build()


_ASSIGN_TEMPLATE = """
def make(i, r, pos):
    def st(fr):
        a = fr[i]
        b = {B}
        if type(a) is int and type(b) is int:
            {INT}
        {FLOAT}
        try:
            fr[i] = binary_op({OP!r}, a, b)
        except TengoError as e:
            if not e.trace:
                e.trace.append(pos)
            raise
    return st
"""

_ASSIGN_FACTORIES: dict[tuple[str, Any], Callable] = {}


def _as_store(code: str) -> str:
    lines = []
    for ln in code.split("\n"):
        stripped = ln.lstrip()
        if stripped.startswith("return "):
            indent = ln[: len(ln) - len(stripped)]
            ln = f"{indent}fr[i] = {stripped[7:]}; return None"
        lines.append(ln)
    return "\n".join(lines)


def _build_assign() -> None:
    env_base = {
        "binary_op": binary_op,
        "TengoError": TengoError,
        "MIN_INT": MIN_INT,
        "MAX_INT": MAX_INT,
        "wrap_int": wrap_int,
    }
    for op, (int_code, float_code) in _ARITH.items():
        for const_rhs in (False, True, "local"):
            src = _ASSIGN_TEMPLATE.format(
                B=_RHS[const_rhs],
                INT=_as_store(int_code) if int_code else "pass",
                FLOAT=_FLOAT_TMPL.format(F=_as_store(float_code)) if float_code else "",
                OP=op,
            )
            env = dict(env_base)
            exec(compile(src, f"<tengo-opassign {op}>", "exec"), env)  # fixed template, no spell text
            _ASSIGN_FACTORIES[(op, const_rhs)] = env["make"]  # type: ignore[assignment]


_build_assign()


def make_op_assign(op: str, slot: int, rhs: Any, pos: tuple, const_rhs: Any) -> Callable | None:
    """Statement closure for ``local op= rhs`` on an uncaptured local slot (None if op has no template)."""
    f = _ASSIGN_FACTORIES.get((op, const_rhs))
    return f(slot, rhs, pos) if f else None


def make_binary(op: str, lhs: Any, rhs: Any, pos: tuple, local_lhs: bool, const_rhs: Any) -> Callable:
    """Closure for ``lhs op rhs``; ``lhs`` is a slot index when ``local_lhs``; ``rhs`` is a value when
    ``const_rhs`` is True, a slot index when it is ``"local"``, else a closure."""
    return _FACTORIES[(op, local_lhs, const_rhs)](lhs, rhs, pos)


def make_equal(left: Callable, r: Callable, negate: bool) -> Callable:
    if negate:

        def ne(fr: list) -> bool:
            a = left(fr)
            b = r(fr)
            if type(a) is int and type(b) is int:
                return a != b
            return not equals(a, b)

        return ne

    def eq(fr: list) -> bool:
        a = left(fr)
        b = r(fr)
        if type(a) is int and type(b) is int:
            return a == b
        return equals(a, b)

    return eq
