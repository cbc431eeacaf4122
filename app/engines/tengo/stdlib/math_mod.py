"""The ``math`` module: Go ``math`` constants and float functions."""

from __future__ import annotations

import logging
import math
from typing import Any

from ..objects import ImmutableMap
from .common import a_f_r, a_ff_r, f_arg, i_arg, nargs
from .common import module as make_module

log = logging.getLogger(__name__)


def _safe(fn):
    def g(*a: float) -> float:
        try:
            return fn(*a)
        except (ValueError, ZeroDivisionError):
            return float("nan")
        except OverflowError:
            return float("inf")

    return g


def _go_mod(x: float, y: float) -> float:
    if y == 0 or math.isinf(x) or x != x or y != y:
        return float("nan")
    return math.fmod(x, y)


def _round(x: float) -> float:
    if x != x or math.isinf(x):
        return x
    r = math.floor(abs(x) + 0.5)
    return math.copysign(r, x)


def _round_even(x: float) -> float:
    if x != x or math.isinf(x):
        return x
    return math.copysign(float(round(x)), x)


def _pow(x: float, y: float) -> float:
    try:
        return math.pow(x, y)
    except ZeroDivisionError:
        return float("inf")
    except ValueError:
        return float("nan")
    except OverflowError:
        return float("inf")


def _frexp(rt: Any, args: list) -> Any:
    from ..objects import ImmutableMap as IM

    nargs(args, 1)
    m, e = math.frexp(f_arg(args, 0))
    return IM({"frac": m, "exp": e})


def _ldexp(rt: Any, args: list) -> Any:
    nargs(args, 2)
    return _safe(math.ldexp)(f_arg(args, 0), i_arg(args, 1))


def _signbit(rt: Any, args: list) -> Any:
    nargs(args, 1)
    return math.copysign(1, f_arg(args, 0)) < 0


def _inf(rt: Any, args: list) -> Any:
    nargs(args, 1)
    return float("inf") if i_arg(args, 0) >= 0 else float("-inf")


def _is_inf(rt: Any, args: list) -> Any:
    nargs(args, 2)
    f, sign = f_arg(args, 0), i_arg(args, 1)
    return (sign >= 0 and f == math.inf) or (sign <= 0 and f == -math.inf)


F1 = {
    "abs": abs,
    "acos": math.acos,
    "acosh": math.acosh,
    "asin": math.asin,
    "asinh": math.asinh,
    "atan": math.atan,
    "atanh": math.atanh,
    "cbrt": lambda x: math.copysign(abs(x) ** (1 / 3), x),
    "ceil": lambda x: float(math.ceil(x)) if math.isfinite(x) else x,
    "cos": math.cos,
    "cosh": math.cosh,
    "erf": math.erf,
    "erfc": math.erfc,
    "exp": math.exp,
    "exp2": lambda x: 2.0**x,
    "expm1": math.expm1,
    "floor": lambda x: float(math.floor(x)) if math.isfinite(x) else x,
    "gamma": math.gamma,
    "log": math.log,
    "log10": math.log10,
    "log1p": math.log1p,
    "log2": math.log2,
    "logb": lambda x: float(math.frexp(x)[1] - 1),
    "round": _round,
    "round_to_even": _round_even,
    "sin": math.sin,
    "sinh": math.sinh,
    "sqrt": math.sqrt,
    "tan": math.tan,
    "tanh": math.tanh,
    "trunc": lambda x: float(math.trunc(x)) if math.isfinite(x) else x,
    "is_nan": lambda x: x != x,
}
F2 = {
    "atan2": math.atan2,
    "copysign": math.copysign,
    "dim": lambda x, y: max(x - y, 0.0),
    "hypot": math.hypot,
    "max": lambda x, y: float("nan") if x != x or y != y else max(x, y),
    "min": lambda x, y: float("nan") if x != x or y != y else min(x, y),
    "mod": _go_mod,
    "nextafter": math.nextafter,
    "pow": _pow,
    "remainder": math.remainder,
}


def module(rt: Any) -> ImmutableMap:
    funcs: dict = {}
    for name, fn in F1.items():
        funcs[name] = a_f_r(fn if name == "is_nan" else _safe(fn))  # type: ignore[arg-type]
    for name, fn in F2.items():
        funcs[name] = a_ff_r(_safe(fn))
    funcs.update(
        {
            "frexp": _frexp,
            "ldexp": _ldexp,
            "signbit": _signbit,
            "inf": _inf,
            "is_inf": _is_inf,
            "nan": lambda rt, args: float("nan"),
        }
    )
    consts = {
        "e": math.e,
        "pi": math.pi,
        "phi": (1 + math.sqrt(5)) / 2,
        "sqrt2": math.sqrt(2),
        "sqrtE": math.sqrt(math.e),
        "sqrtPi": math.sqrt(math.pi),
        "sqrtPhi": math.sqrt((1 + math.sqrt(5)) / 2),
        "ln2": math.log(2),
        "log2E": 1 / math.log(2),
        "ln10": math.log(10),
        "log10E": 1 / math.log(10),
        "maxFloat32": 3.40282346638528859811704183484516925440e38,
        "smallestNonzeroFloat32": 1.401298464324817070923729583289916131280e-45,
        "maxFloat64": 1.79769313486231570814527423731704356798070e308,
        "smallestNonzeroFloat64": 4.9406564584124654417656879286822137236505980e-324,
        "maxInt": (1 << 63) - 1,
        "minInt": -(1 << 63),
        "maxInt8": 127,
        "minInt8": -128,
        "maxInt16": 32767,
        "minInt16": -32768,
        "maxInt32": 2147483647,
        "minInt32": -2147483648,
        "maxInt64": (1 << 63) - 1,
        "minInt64": -(1 << 63),
    }
    return make_module(funcs, consts)
