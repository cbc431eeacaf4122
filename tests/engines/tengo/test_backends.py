"""Both code generators (Python-source fast backend and the closure fallback) agree on the whole corpus."""

from __future__ import annotations

import json
import logging
import random
from pathlib import Path

import pytest

from app.engines.tengo import codegen
from app.engines.tengo.conformance import run_case
from app.engines.tengo.interpreter import Interpreter

log = logging.getLogger(__name__)

HERE = Path(__file__).parent
CASES = json.loads((HERE / "data" / "tengo-conformance.json").read_text(encoding="utf-8"))
XFAIL = {
    ln.split()[0]
    for ln in (HERE / "xfail.txt").read_text(encoding="utf-8").splitlines()
    if ln.strip() and not ln.startswith("#")
}


def test_closure_backend_passes_the_corpus(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(codegen, "USE_PYGEN", False)
    failed = [(c["id"], detail) for c in CASES if c["id"] not in XFAIL for ok, detail in [run_case(c)] if not ok]
    assert failed == []


def test_fast_backend_is_used_for_plain_functions() -> None:
    prog = Interpreter().compile("f := func(n) { return n + 1 }\nout = f(1)", "t", ["out"])
    assert prog.code.body.__code__.co_filename.startswith("<tengo ")
    prog.run({})
    assert prog.get("out") == 2


def test_debug_runs_use_the_closure_backend() -> None:
    prog = Interpreter(debug_hook=lambda ev, stack: None).compile("out = 1", "t", ["out"])
    assert not prog.code.body.__code__.co_filename.startswith("<tengo ")


@pytest.mark.parametrize(
    "src, expected",
    [
        ("s := 0\nfor i := 0; i < 10; i++ { if i % 2 == 0 { continue }; s += i }\nout = s", 25),
        ("out = 0\nfor x in [1, 2, 3] { if x == 2 { break }; out += x }", 1),
        ("f := func() { a := 1; g := func() { a += 1; return a }; g(); return g() }\nout = f()", 3),
        ("a := [1]; b := a; a = append(a, 2); out = [len(a), len(b)]", [2, 1]),
        ("x := 1\nf := func() { x = 5 }\ny := [x, f(), x]\nout = y[0] + y[2]", 6),
        ("out = 9223372036854775807 + 1", -9223372036854775808),
        ('m := {a: 1}; m.a += 2; m["b"] = m.a * 2; out = m.b', 6),
        ("f := func(...a) { return len(a) }\nout = f(1, 2, 3) + f([1]...)", 4),
        ("out = 0\nfor i := 0; i < 10; i++ { if i == 3 { continue }; if i == 6 { break }; out += i }", 12),
        ("n := 2.5\nout = 0\nfor i := 0; i < n; i++ { out += 1 }", 3),
        ("out = 0\nfor i := 0; i < 5; i++ { i += 1; out++ }", 3),
        ("n := 3\nout = []\nfor i := 1; i <= n; i++ { out = append(out, func() { return i }) }\nout = out[0]()", 4),
        # counting-loop variables are known ints: overflow checks and mixed-type operands still right
        ("s := 9223372036854775800\nfor i := 0; i < 10; i++ { s += i }\nout = s", -9223372036854775771),
        ("s := -9223372036854775800\nfor i := 0; i < 10; i++ { s -= i }\nout = s", 9223372036854775771),
        ("s := -9223372036854775800\nfor i := -10; i < 0; i++ { s = i + s }\nout = s", 9223372036854775761),
        (
            'out = []\nn := 3\nfor i := 0; i < n; i++ { out = append(out, "k" + i, 0.5 + i, i * i, i / 2, -i) }\n'
            "out = out[5:]",
            ["k1", 1.5, 1, 0, -1, "k2", 2.5, 4, 1, -2],
        ),
    ],
)
def test_backends_agree_on_tricky_programs(monkeypatch: pytest.MonkeyPatch, src: str, expected: object) -> None:
    from app.engines.tengo.conformance import encode

    results = []
    for use in (True, False):
        monkeypatch.setattr(codegen, "USE_PYGEN", use)
        prog = Interpreter().compile(src, "t", ["out"])
        prog.run({})
        results.append(encode(prog.get("out")))
    assert results == [expected, expected]


def _random_program(rng: random.Random) -> str:
    """A small random Tengo program over ints, strings, arrays, maps, closures and control flow."""
    names = ["a", "b", "c"]

    def expr(d: int = 0) -> str:
        r = rng.random()
        if d > 3 or r < 0.25:
            return rng.choice(names + ["1", "2", "0", "-3", '"s"', "2.5", "true", "undefined", "[1, 2]", "'x'"])
        if r < 0.55:
            op = rng.choice(["+", "-", "*", "/", "%", "<", ">", "==", "!=", "&&", "||", "&", "|", "^", "<<", ">>"])
            return f"({expr(d + 1)} {op} {expr(d + 1)})"
        if r < 0.65:
            return f"({expr(d + 1)} ? {expr(d + 1)} : {expr(d + 1)})"
        if r < 0.72:
            return f"{rng.choice(['-', '!', '^'])}{expr(d + 1)}"
        if r < 0.78:
            return f"f({expr(d + 1)})"
        if r < 0.82:
            return "h()"
        if r < 0.9:
            return f"[{expr(d + 1)}, {expr(d + 1)}][{rng.choice(['0', '1', '2', 'a'])}]"
        return f"{{k: {expr(d + 1)}}}.k"

    def stmt(d: int = 0) -> str:
        r = rng.random()
        v = rng.choice(names)
        if d < 2 and r < 0.15:
            return f"if {expr()} {{ {stmt(d + 1)} }} else {{ {stmt(d + 1)} }}"
        if d < 2 and r < 0.25:
            return f"for i := 0; i < 3; i++ {{ {stmt(d + 1)}; if i == 1 {{ continue }}; {stmt(d + 1)} }}"
        if d < 2 and r < 0.32:
            return f"for k, x in [1, 2, 3] {{ {v} = x; {stmt(d + 1)} }}"
        if r < 0.45:
            return f"{v} += {expr()}"
        if r < 0.5:
            return f"{v} = append([{v}], {expr()})"
        return f"{v} = {expr()}"

    body = "\n".join(stmt() for _ in range(rng.randint(1, 6)))
    return (
        'f := func(x) { return x }\ng := func() {\na := 1\nb := 2\nc := "z"\n'
        "h := func() { a = a + 1; return a }\n" + body + "\nreturn [a, b, c]\n}\nout = g()"
    )


def test_backends_agree_on_random_programs(monkeypatch: pytest.MonkeyPatch) -> None:
    import random

    from app.engines.tengo.conformance import encode
    from app.engines.tengo.errors import TengoError

    def run(src: str, use: bool) -> str:
        monkeypatch.setattr(codegen, "USE_PYGEN", use)
        try:
            prog = Interpreter().compile(src, "t", ["out"])
            prog.run({})
            return json.dumps(encode(prog.get("out")), sort_keys=True)
        except TengoError as e:
            return f"error: {e}"

    rng = random.Random(1234)
    for _ in range(300):
        src = _random_program(rng)
        assert run(src, True) == run(src, False), src


DEPTH_PROGRAMS = [
    # plain recursion up to and over MaxFrames (the main script is frame 0: 1024 nested calls fit)
    ("d := func(n) { if n == 0 { return 0 }; return 1 + d(n - 1) }\nout = d(1023)", 1023),
    ("d := func(n) { if n == 0 { return 0 }; return 1 + d(n - 1) }\nout = d(1024)", "stack overflow"),
    # tail calls do not grow the stack; mutual recursion through tail calls neither
    ("l := func(n, a) { if n == 0 { return a }; return l(n - 1, a + 1) }\nout = l(5000, 0)", 5000),
    (
        "ev := undefined\nod := func(n) { if n == 0 { return false }; return ev(n - 1) }\n"
        "ev = func(n) { if n == 0 { return true }; return od(n - 1) }\nout = ev(3001)",
        False,
    ),
    # a tail call whose callee recurses: the frame count carries over
    ("d := func(n) { if n == 0 { return 0 }; return 1 + d(n - 1) }\nt := func(n) { return d(n) }\nout = t(1022)", 1022),
    (
        "d := func(n) { if n == 0 { return 0 }; return 1 + d(n - 1) }\nt := func(n) { return d(n) }\n"
        "u := func(n) { x := t(n); return x }\nout = u(1023)",
        "stack overflow",
    ),
    # captured parameters, closures made in a loop, variadic and builtin calls in between
    ("mk := func(x) { return func() { x += 1; return x } }\nc := mk(5)\nc()\nout = [c(), mk(1)()]", [7, 2]),
    ("s := func(a, ...r) { return len(r) == 0 ? a : a + s(r...) }\nout = s(1, 2, 3, 4)", 10),
    ("f := func(n) { return n <= 0 ? [] : append(f(n - 1), n) }\nout = len(f(300))", 300),
]


@pytest.mark.parametrize("src, expected", DEPTH_PROGRAMS)
def test_backends_agree_on_call_depth_and_tail_calls(
    monkeypatch: pytest.MonkeyPatch, src: str, expected: object
) -> None:
    from app.engines.tengo import pygen
    from app.engines.tengo.conformance import encode
    from app.engines.tengo.errors import TengoError

    real = pygen.PyGen.compile

    def only_some(self: pygen.PyGen, info: object, stmts: list, ref: list) -> object:
        if getattr(info, "name", "") in ("d", "ev", "t", "s"):  # mixed runs: these use the closure backend
            raise pygen.Unsupported("test")
        return real(self, info, stmts, ref)

    results = []
    for mode in ("fast", "closures", "mixed"):
        monkeypatch.setattr(codegen, "USE_PYGEN", mode != "closures")
        monkeypatch.setattr(pygen.PyGen, "compile", only_some if mode == "mixed" else real)
        try:
            prog = Interpreter().compile(src, "t", ["out"])
            prog.run({})
            results.append(encode(prog.get("out")))
        except TengoError as e:
            results.append(e.message)
    assert results == [expected] * 3
