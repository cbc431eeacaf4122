"""Call-site closures with the compiled-function call inlined (one Python frame less per Tengo call).

Generated once at import time from the fixed template below for 0-3 arguments (no spell text enters it).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from .errors import StackOverflow, TengoError
from .objects import UNDEFINED, Cell, CompiledFunction
from .runtime import RET

log = logging.getLogger(__name__)

_TEMPLATE = """
def make(fev, argevs, pos, rt, call_slow):
    {UNPACK}
    finish_tail = rt.finish_tail
    def call(fr):
        f = {F}
        {EVAL}
        try:
            if type(f) is CompiledFunction:
                code = f.code
                if code.fast_n == {N}:
                    d = rt.depth + 1
                    if d > rt.max_frames:
                        raise StackOverflow()
                    rt.depth = d
                    nfr = [f.free, None, {VALS}*code.pad]
                    if code.cell_params:
                        for i in code.cell_params:
                            nfr[i] = Cell(nfr[i])
                    r = code.body(nfr)
                    if r is RET:
                        rt.depth = d - 1
                        return nfr[1]
                    if r is None:
                        rt.depth = d - 1
                        return UNDEFINED
                    return finish_tail(nfr[1], d)
            return call_slow(f, [{LIST}])
        except TengoError as err:
            err.trace.append(pos)
            raise
    return call
"""

_FACTORIES: dict[tuple[int, str], Callable] = {}
#: how the callee is read: any expression, a plain local slot, a captured local (cell) or a free variable
_CALLEE = {"expr": "fev(fr)", "local": "fr[fev]", "cell": "fr[fev].v", "free": "fr[0][fev].v"}


def _build() -> None:
    env_base = {
        "CompiledFunction": CompiledFunction,
        "StackOverflow": StackOverflow,
        "Cell": Cell,
        "RET": RET,
        "UNDEFINED": UNDEFINED,
        "TengoError": TengoError,
    }
    for n in range(4):
        for kind, fcode in _CALLEE.items():
            names = [f"a{i}" for i in range(n)]
            vals = [f"v{i}" for i in range(n)]
            src = _TEMPLATE.format(
                F=fcode,
                UNPACK=(", ".join(names) + (", " if n == 1 else "") + " = argevs") if n else "pass",
                EVAL="; ".join(f"v{i} = a{i}(fr)" for i in range(n)) or "pass",
                N=n,
                VALS="".join(v + ", " for v in vals),
                LIST=", ".join(vals),
            )
            env = dict(env_base)
            exec(compile(src, f"<tengo-call{n}>", "exec"), env)  # fixed template, no spell text
            _FACTORIES[(n, kind)] = env["make"]  # type: ignore[assignment]


_build()


def make_call(fev: Any, argevs: list, pos: tuple, rt: Any, call_slow: Callable, kind: str = "expr") -> Callable | None:
    """Inlined call closure for up to 3 positional arguments (None for more or for spread calls).
    ``fev`` is a closure for ``kind`` "expr", else the slot or free-variable index of the callee."""
    f = _FACTORIES.get((len(argevs), kind))
    return f(fev, argevs, pos, rt, call_slow) if f else None
