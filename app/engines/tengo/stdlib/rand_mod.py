"""The ``rand`` module (Go ``math/rand`` API on Python's Mersenne Twister; sequences differ from Go's)."""

from __future__ import annotations

import logging
import random
from typing import Any

from ..errors import TengoRuntimeError
from ..objects import Array, ImmutableMap
from .common import i_arg, nargs
from .common import module as make_module

log = logging.getLogger(__name__)


def _funcs(r: random.Random) -> dict:
    def rint(rt: Any, args: list) -> Any:
        nargs(args, 0)
        return r.getrandbits(63)

    def intn(rt: Any, args: list) -> Any:
        nargs(args, 1)
        n = i_arg(args, 0)
        if n <= 0:
            raise TengoRuntimeError("invalid argument to Int63n")
        return r.randrange(n)

    def rfloat(rt: Any, args: list) -> Any:
        nargs(args, 0)
        return r.random()

    def seed(rt: Any, args: list) -> Any:
        from ..objects import UNDEFINED

        nargs(args, 1)
        r.seed(i_arg(args, 0))
        return UNDEFINED

    def exp_float(rt: Any, args: list) -> Any:
        nargs(args, 0)
        return r.expovariate(1.0)

    def norm_float(rt: Any, args: list) -> Any:
        nargs(args, 0)
        return r.gauss(0.0, 1.0)

    def perm(rt: Any, args: list) -> Any:
        nargs(args, 1)
        n = i_arg(args, 0)
        if n < 0:
            raise TengoRuntimeError("invalid argument to Perm")
        p = list(range(n))
        r.shuffle(p)
        return Array(p)

    def read(rt: Any, args: list) -> Any:
        nargs(args, 1)
        b = args[0]
        if type(b) is not bytes:
            from .common import bad_arg

            raise bad_arg(0, "bytes", b)
        return len(b)  # Python bytes are immutable: report the length, content unchanged (deviation)

    return {
        "int": rint,
        "float": rfloat,
        "intn": intn,
        "int63": rint,
        "int63n": intn,
        "int31": rint,
        "int31n": intn,
        "seed": seed,
        "exp_float": exp_float,
        "norm_float": norm_float,
        "perm": perm,
        "read": read,
    }


def module(rt: Any) -> ImmutableMap:
    funcs = _funcs(random.Random())

    def rand_new(rt2: Any, args: list) -> Any:
        nargs(args, 1)
        return make_module(_funcs(random.Random(i_arg(args, 0))))

    funcs["rand"] = rand_new
    return make_module(funcs)
