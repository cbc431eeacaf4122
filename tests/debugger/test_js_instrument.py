"""The JavaScript instrumenter (app/debugger/js_instrument.py): same lines, same results, probes where expected."""

from __future__ import annotations

import glob
import json
import os
from importlib import resources
from typing import Any

import pytest
import quickjs

from app.debugger.js_instrument import JsInstrumentError, instrument

AGENT = resources.files("app.debugger").joinpath("js_agent.js").read_text("utf-8")

PROGRAMS = {
    "closures and blocks": """
function counter() {
  let n = 0;
  return { inc: () => ++n, get value() { return n; } };
}
const c = counter();
for (let i = 0; i < 5; i++) c.inc();
if (c.value > 3) c.inc(); else c.inc(), c.inc();
return c.value;
""",
    "classes and this": """
class A { constructor(x) { this.x = x; } get double() { return this.x * 2; } static make() { return new A(4); } }
class B extends A { constructor() { super(5); this.y = 1; } sum() { return this.x + this.y; } }
const b = new B();
return [A.make().double, b.sum(), b instanceof A];
""",
    "labels, switch, loops without braces": """
let out = [];
outer: for (let i = 0; i < 4; i++)
  for (let j = 0; j < 4; j++) { if (j === 2) continue outer; if (i === 3) break outer; out.push(i * 10 + j); }
let k = 0;
while (k < 3) k++;
do k--; while (k > 1)
switch (k) { case 1: out.push("one"); case 2: out.push("fall"); break; default: out.push("no"); }
for (const key in { a: 1, b: 2 }) out.push(key);
for (const [a, b] of [[1, 2]]) out.push(a + b);
return out;
""",
    "exceptions and finally": """
function f(x) { try { if (x) throw new Error("boom " + x); return "ok"; } catch (e) { return e.message; } finally { log.push("f" + x); } }
var log = [];
const r = [f(0), f(1)];
try { null.x; } catch ({ name }) { r.push(name); }
try { try { throw 7; } finally { r.push("inner"); } } catch (e) { r.push(e); }
return [r, log];
""",
    "generators, arguments, defaults, rest, destructuring": """
function* gen(n) { for (let i = 0; i < n; i++) yield i * 2; }
function args() { return arguments.length; }
function def(a, { b = 2, c: [d] = [3] } = {}, ...rest) { return a + b + d + rest.length; }
const f = function fact(n) { return n <= 1 ? 1 : n * fact(n - 1); };
return [[...gen(3)], args(1, 2, 3), def(1), def(1, { b: 5, c: [6] }, 7, 8), f(5)];
""",
    "arrow expression bodies and ASI": """
const add = (a, b) => a + b
const obj = () => ({ k: 1 })
const nested = x => y => x * y
let s = add(1, 2)
s += obj().k
s += nested(3)(4)
return s
""",
    "use strict and hoisting": """
"use strict";
function later() { return hoisted(); }
function hoisted() { return typeof this; }
var v = later();
return [v, typeof notYet, (function () { "use strict"; return this; })()];
var notYet = 1;
""",
    "async functions": """
async function one() { return 1; }
async function two() { const a = await one(); const b = await one(); return a + b; }
return two();
""",
}


def _run(source: str, debug: bool) -> Any:
    ctx = quickjs.Context()
    text = source
    if debug:
        info = instrument(source, 0)
        text = info.text
        assert text.count("\n") == source.count("\n")
        ctx.add_callable("__hs", lambda payload: "continue")
        ctx.add_callable("__hp", lambda: None)
        ctx.add_callable("__ho", lambda text: None)
        ctl = ctx.eval("(" + AGENT + ")(__hs, __hp, __ho)")
        assert ctl is not None
        ctx.set("__ctl", ctl)
        meta = {
            "path": "/x.js",
            "functions": [[f.name, f.line, f.end_line, f.kind] for f in info.functions],
            "sites": [[s.line, s.k, 0] for s in info.sites],
            "names": [[]],
            "top": [],
        }
        ctx.eval(f"__ctl.addFile(0, {json.dumps(json.dumps(meta))})")
    value = ctx.eval("(function () {" + text + "\n})()")
    if isinstance(value, quickjs.Object):
        if ctx.eval("(v) => v instanceof Promise")(value):
            ctx.set("__p", value)
            ctx.eval("globalThis.__r = undefined; __p.then((v) => { globalThis.__r = v; })")
            while ctx.execute_pending_job():
                pass
            return ctx.eval("JSON.stringify(__r)")
        return value.json()
    return value


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_instrumented_program_gives_the_same_result(name: str) -> None:
    source = PROGRAMS[name]
    assert _run(source, True) == _run(source, False)


def test_lines_are_kept_and_probes_sit_on_statement_lines() -> None:
    src = PROGRAMS["labels, switch, loops without braces"]
    info = instrument(src, 3)
    assert info.text.count("\n") == src.count("\n")
    for n, (a, b) in list(enumerate(zip(src.splitlines(), info.text.splitlines()), 1))[1:]:  # 1: the prologue
        assert (a.strip() == "") == (b.strip() == ""), n
    assert {2, 3, 4, 5, 6, 7, 8, 9, 10, 11} <= info.lines
    assert info.resolve_line(1) == 2


def test_functions_and_scopes_are_found() -> None:
    info = instrument(PROGRAMS["closures and blocks"], 0)
    names = [f.name for f in info.functions]
    assert names[:3] == ["main chunk", "counter", "inc"]
    assert ("c", False) in info.top_names and ("counter", True) in info.top_names
    inc_site = next(s for s in info.sites if s.k == 2)
    assert ("n", "closure", True) in inc_site.names


def test_syntax_errors_are_left_to_the_engine() -> None:
    with pytest.raises(JsInstrumentError):
        instrument("let x = ;", 0)


EXAMPLES = sorted(glob.glob(os.path.join(os.path.dirname(__file__), "..", "..", "examples", "*.js")))


@pytest.mark.parametrize("path", EXAMPLES, ids=[os.path.basename(p) for p in EXAMPLES])
def test_examples_instrument_with_lines_kept(path: str) -> None:
    with open(path, encoding="utf-8") as f:
        src = f.read()
    info = instrument(src, 1)
    assert info.text.count("\n") == src.count("\n")
    ctx = quickjs.Context()
    head = "(async function () {" if "await" in src else "(function () {"  # as the engine wraps top-level await
    ctx.eval(head + info.text + "\n})")  # compiles


def test_the_interrupt_handler_pokes_a_spinning_script() -> None:
    """js_interrupt.Poker calls a JS function from quickjs's interrupt handler when asked (pause with no cost
    per loop iteration), and is removed cleanly."""
    import threading
    import time

    from app.debugger.js_interrupt import Poker

    ctx = quickjs.Context()
    ctx.eval("var stop = false; globalThis.__poke = () => { stop = true; };")
    want = threading.Event()
    poker = Poker()
    assert poker.install(ctx, "__poke", want.is_set)
    threading.Timer(0.2, want.set).start()
    t0 = time.monotonic()
    n = ctx.eval("let n = 0; while (!stop) { n++; } n")
    assert n > 0 and time.monotonic() - t0 < 10
    poker.close()
    assert ctx.eval("1 + 1") == 2
    del ctx


def test_loop_counters_only_without_the_interrupt_handler() -> None:
    src = "let n = 0;\nwhile (true) {}\nfor (;;) n++;\n"
    assert "__ls_n = __ls_D.poll()" in instrument(src, 0).text
    text = instrument(src, 0, loop_polls=False).text
    assert "poll()" not in text
    assert text.splitlines()[1].count("__ls_D.p(") == 2  # the empty loop body has a probe of its own
