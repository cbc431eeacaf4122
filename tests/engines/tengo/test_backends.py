"""Both code generators (Python-source fast backend and the closure fallback) agree on the whole corpus."""
from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from app.engines.tengo import codegen
from app.engines.tengo.conformance import run_case
from app.engines.tengo.interpreter import Interpreter

log = logging.getLogger(__name__)

HERE = Path(__file__).parent
CASES = json.loads((HERE / "data" / "tengo-conformance.json").read_text(encoding="utf-8"))
XFAIL = {ln.split()[0] for ln in (HERE / "xfail.txt").read_text(encoding="utf-8").splitlines()
         if ln.strip() and not ln.startswith("#")}


def test_closure_backend_passes_the_corpus(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(codegen, "USE_PYGEN", False)
    failed = [(c["id"], detail) for c in CASES if c["id"] not in XFAIL
              for ok, detail in [run_case(c)] if not ok]
    assert failed == []


def test_fast_backend_is_used_for_plain_functions() -> None:
    prog = Interpreter().compile("f := func(n) { return n + 1 }\nout = f(1)", "t", ["out"])
    assert prog.code.body.__code__.co_filename.startswith("<tengo ")
    prog.run({})
    assert prog.get("out") == 2


def test_debug_runs_use_the_closure_backend() -> None:
    prog = Interpreter(debug_hook=lambda ev, stack: None).compile("out = 1", "t", ["out"])
    assert not prog.code.body.__code__.co_filename.startswith("<tengo ")


@pytest.mark.parametrize("src, expected", [
    ("s := 0\nfor i := 0; i < 10; i++ { if i % 2 == 0 { continue }; s += i }\nout = s", 25),
    ("out = 0\nfor x in [1, 2, 3] { if x == 2 { break }; out += x }", 1),
    ("f := func() { a := 1; g := func() { a += 1; return a }; g(); return g() }\nout = f()", 3),
    ("a := [1]; b := a; a = append(a, 2); out = [len(a), len(b)]", [2, 1]),
    ("x := 1\nf := func() { x = 5 }\ny := [x, f(), x]\nout = y[0] + y[2]", 6),
    ("out = 9223372036854775807 + 1", -9223372036854775808),
    ("m := {a: 1}; m.a += 2; m[\"b\"] = m.a * 2; out = m.b", 6),
    ("f := func(...a) { return len(a) }\nout = f(1, 2, 3) + f([1]...)", 4),
    ("out = 0\nfor i := 0; i < 10; i++ { if i == 3 { continue }; if i == 6 { break }; out += i }", 12),
    ("n := 2.5\nout = 0\nfor i := 0; i < n; i++ { out += 1 }", 3),
    ("out = 0\nfor i := 0; i < 5; i++ { i += 1; out++ }", 3),
    ("n := 3\nout = []\nfor i := 1; i <= n; i++ { out = append(out, func() { return i }) }\nout = out[0]()", 4),
])
def test_backends_agree_on_tricky_programs(monkeypatch: pytest.MonkeyPatch, src: str, expected: object) -> None:
    from app.engines.tengo.conformance import encode
    results = []
    for use in (True, False):
        monkeypatch.setattr(codegen, "USE_PYGEN", use)
        prog = Interpreter().compile(src, "t", ["out"])
        prog.run({})
        results.append(encode(prog.get("out")))
    assert results == [expected, expected]
