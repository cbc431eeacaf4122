"""Runner for Tengo conformance corpora (the format of ``tengo-conformance.json``).

``python -m app.engines.tengo.conformance CORPUS.json [--xfail LIST]`` prints passed/total per area and overall,
and exits non-zero when a case fails that is not listed as a known deviation. The pytest suite uses
:func:`run_case` directly.
"""

from __future__ import annotations

import json
import logging
import math
import sys
from collections import defaultdict
from typing import Any

from .errors import TengoError
from .interpreter import Interpreter
from .objects import UNDEFINED, Array, Char, Error, ImmutableArray, ImmutableMap, Map, Time, rune_str
from .stdlib import ALL_MODULES

log = logging.getLogger(__name__)


def encode(v: Any) -> Any:
    """A Tengo value in the corpus' JSON encoding."""
    t = type(v)
    if t is bool or t is int:
        return v
    if t is str:
        # Go's encoding/json writes invalid UTF-8 bytes as U+FFFD
        return v if v.isascii() else v.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    if t is float:
        if v != v:
            return {"$float": "NaN"}
        if math.isinf(v):
            return {"$float": "+Inf" if v > 0 else "-Inf"}
        return v
    if t is Char:
        return {"$char": rune_str(v.v)}
    if t is bytes:
        return {"$bytes": v.hex()}
    if t is Array:
        return [encode(e) for e in v.value]
    if t is ImmutableArray:
        return {"$immutable": [encode(e) for e in v.value]}
    if t is Map:
        d = {k: encode(e) for k, e in v.value.items()}
        return {"$map": d} if any(k.startswith("$") for k in d) else d
    if t is ImmutableMap:
        return {"$immutable": {k: encode(e) for k, e in v.value.items()}}
    if t is Error:
        return {"$error": encode(v.value)}
    if v is UNDEFINED or v is None:
        return {"$undefined": True}
    if t is Time:
        return {"$time": v.ns}
    return {"$other": repr(v)}


def strict_equal(a: Any, b: Any) -> bool:
    """Equality with Go ``require.Equal`` strictness: same JSON types (int ≠ float ≠ bool)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(strict_equal(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(strict_equal(a[k], b[k]) for k in a)
    return a == b


def decode_symbol(v: Any) -> Any:
    """Corpus JSON → Tengo value (for ``symbols``)."""
    if isinstance(v, bool) or isinstance(v, (int, float, str)):
        return v
    if isinstance(v, list):
        return Array([decode_symbol(e) for e in v])
    if isinstance(v, dict):
        if "$char" in v:
            return Char(ord(v["$char"]))
        if "$bytes" in v:
            return bytes.fromhex(v["$bytes"])
        if "$undefined" in v:
            return UNDEFINED
        if "$error" in v:
            return Error(decode_symbol(v["$error"]))
        if "$float" in v:
            return float({"NaN": "nan", "+Inf": "inf", "-Inf": "-inf"}[v["$float"]])
        if "$immutable" in v:
            inner = decode_symbol(v["$immutable"])
            return ImmutableArray(inner.value) if isinstance(inner, Array) else ImmutableMap(inner.value)
        if "$map" in v:
            v = v["$map"]
        return Map({k: decode_symbol(e) for k, e in v.items()})
    return v


def _immutable_expect(expect: Any) -> Any:
    if isinstance(expect, list):
        return {"$immutable": expect}
    if isinstance(expect, dict) and not any(k.startswith("$") for k in expect):
        return {"$immutable": expect}
    if isinstance(expect, dict) and "$map" in expect:
        return {"$immutable": expect["$map"]}
    return expect


def _interp(case: dict, stdlib: set[str], modules: dict[str, str], out: list[str]) -> Interpreter:
    limits = case.get("limits") or {}
    return Interpreter(
        stdlib=stdlib,
        modules=modules,
        output=out.append,
        max_string_len=limits.get("MaxStringLen"),
        max_bytes_len=limits.get("MaxBytesLen"),
        max_allocs=case.get("max_allocs"),
    )


def run_case(case: dict) -> tuple[bool, str]:
    """Run one case with its harness; returns (passed, detail)."""
    harness = case["harness"]
    code = case["code"]
    expect_error = case.get("expect_error")
    out: list[str] = []
    try:
        if harness == "compile":
            it = _interp(case, set(), dict(case.get("modules") or {}), out)
            it.compile(code, "test", [])
            return (expect_error is None, "compiled without error")
        if harness == "script":
            it = _interp(case, set(ALL_MODULES), dict(case.get("modules") or {}), out)
            prog = it.compile(code, "test", [])
            prog.run({})
            got = encode(prog.get("out"))
        else:
            symbols = {k: decode_symbol(v) for k, v in (case.get("symbols") or {}).items()}
            names = ["out"] + [k for k in symbols if k != "out"]
            it = _interp(case, set(case.get("stdlib") or []), dict(case.get("modules") or {}), out)
            prog = it.compile(code, "test", names)
            prog.run({"out": UNDEFINED, **symbols})
            got = encode(prog.get("out"))
    except TengoError as e:
        msg = str(e)
        if expect_error is not None and expect_error in msg:
            return True, msg
        return False, f"error: {msg!r} (expected {expect_error!r} / {case.get('expect')!r})"
    except Exception as e:  # noqa: BLE001 - report interpreter bugs as failures
        return False, f"python {type(e).__name__}: {e}"
    if expect_error is not None:
        return False, f"expected error {expect_error!r}, got {got!r}"
    if not strict_equal(got, case["expect"]):
        return False, f"got {json.dumps(got)} expected {json.dumps(case['expect'])}"
    if harness == "vm" and case.get("second_pass"):
        modules = dict(case.get("modules") or {})
        modules["__code__"] = f"out := undefined; {code}; export out"
        symbols = {k: decode_symbol(v) for k, v in (case.get("symbols") or {}).items()}
        names = ["out"] + [k for k in symbols if k != "out"]
        try:
            it = _interp(case, set(case.get("stdlib") or []), modules, out)
            prog = it.compile('out = import("__code__")', "test", names)
            prog.run({"out": UNDEFINED, **symbols})
            got2 = encode(prog.get("out"))
        except TengoError as e:
            return False, f"second pass error: {e}"
        except Exception as e:  # noqa: BLE001
            return False, f"second pass python {type(e).__name__}: {e}"
        exp2 = _immutable_expect(case["expect"])
        if not strict_equal(got2, exp2):
            return False, f"second pass got {json.dumps(got2)} expected {json.dumps(exp2)}"
    return True, ""


def run_corpus(cases: list[dict], known: set[str] | None = None) -> tuple[dict, list]:
    """Run all cases; returns ({area: [passed, total]}, [(id, area, detail) of failures])."""
    per_area: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    failures = []
    for case in cases:
        ok, detail = run_case(case)
        a = per_area[case["area"]]
        a[1] += 1
        if ok:
            a[0] += 1
        else:
            failures.append((case["id"], case["area"], detail))
    return dict(per_area), failures


def main(argv: list[str] | None = None) -> int:
    import argparse

    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("corpus")
    ap.add_argument("--xfail", help="file with known deviations (id  reason per line)")
    ap.add_argument("-v", "--verbose", action="store_true")
    ns = ap.parse_args(argv)
    with open(ns.corpus, encoding="utf-8") as f:
        cases = json.load(f)
    known: set[str] = set()
    if ns.xfail:
        with open(ns.xfail, encoding="utf-8") as f:
            known = {ln.split()[0] for ln in f if ln.strip() and not ln.startswith("#")}
    per_area, failures = run_corpus(cases)
    total_ok = sum(p for p, _ in per_area.values())
    total = sum(t for _, t in per_area.values())
    for area in sorted(per_area):
        p, t = per_area[area]
        print(f"{area:32s} {p:5d}/{t:<5d}")
    print(f"{'overall':32s} {total_ok:5d}/{total:<5d}")
    unexpected = [f for f in failures if f[0] not in known]
    if ns.verbose:
        for cid, area, detail in failures:
            print(f"FAIL {cid} [{area}] {detail}")
    return 1 if unexpected else 0


if __name__ == "__main__":
    sys.exit(main())
