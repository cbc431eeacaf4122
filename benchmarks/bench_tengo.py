"""Tengo speed vs Lua on fib(25), summing a million ints, string building and map churn (goal: within 20x of Lua).

Two comparisons, each side by side in one run (best of 3):
- as spells through the engine pool (what users see; each side's run time measured in its worker);
- in-process, interpreter vs a bare lupa runtime (CPU seconds; isolates the interpreter).
Run: ``python benchmarks/bench_tengo.py``.
"""
from __future__ import annotations

import logging
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from app.engines.tengo.interpreter import Interpreter  # noqa: E402

log = logging.getLogger(__name__)

WORKLOADS = {
    "fib(25)": (
        "fib := func(n) { if n < 2 { return n }; return fib(n-1) + fib(n-2) }\nout = fib(25)",
        "local function fib(n) if n < 2 then return n end return fib(n-1) + fib(n-2) end\nreturn fib(25)",
    ),
    "sum 1e6 ints": (
        "s := 0\nfor i := 0; i < 1000000; i++ { s += i }\nout = s",
        "local s = 0\nfor i = 0, 999999 do s = s + i end\nreturn s",
    ),
    "string building": (
        'parts := []\nfor i := 0; i < 100000; i++ { parts = append(parts, string(i)) }\n'
        'out = len(import("text").join(parts, ","))',
        "local parts = {}\nfor i = 0, 99999 do parts[#parts + 1] = tostring(i) end\nreturn #table.concat(parts, ',')",
    ),
    "map churn": (
        'm := {}\nfor i := 0; i < 200000; i++ { k := "k" + (i % 1000); m[k] = (m[k] || 0) + i }\n'
        "out = len(m)",
        "local m = {}\nfor i = 0, 199999 do local k = 'k' .. (i % 1000); m[k] = (m[k] or 0) + i end\n"
        "local n = 0 for _ in pairs(m) do n = n + 1 end return n",
    ),
}


def run_tengo(src: str) -> float:
    it = Interpreter(stdlib={"text"})
    prog = it.compile(src, "bench", ["out"])
    t0 = time.process_time()
    prog.run({"out": 0})
    return time.process_time() - t0


def run_lua(src: str) -> float | None:
    try:
        from lupa import lua54
    except ImportError:
        return None
    rt = lua54.LuaRuntime()
    fn = rt.execute("return function() " + src + " end")
    t0 = time.process_time()
    fn()
    return time.process_time() - t0


def spell_source(tsrc: str) -> str:
    """The corpus-style workload (assigns ``out``) as a spell that exports its result."""
    return "out := 0\n" + tsrc + "\nexport out"


def main() -> int:
    from app.runner import RunOptions, Runner
    runner = Runner(warm={"lua": 1, "tengo": 1})
    try:
        runner.pool.wait_warm(60)
        print("as spells through the pool (run time in the worker, best of 3)")
        for name, (tsrc, lsrc) in WORKLOADS.items():
            tengo = min(runner.run("b.tengo", spell_source(tsrc), RunOptions(timeout_s=120)).stats["duration_s"]
                        for _ in range(3))
            lua = min(runner.run("b.lua", lsrc).stats["duration_s"] for _ in range(3))
            ratio = tengo / lua
            print(f"  {name:18s} tengo {tengo:7.3f}s  lua {lua:7.4f}s  ratio {ratio:6.1f}x  "
                  f"goal <= 20x {'OK' if ratio <= 20 else 'MISSED'}")
    finally:
        runner.shutdown()
    print("in-process: interpreter vs bare lupa (CPU seconds, best of 3)")
    for name, (tsrc, lsrc) in WORKLOADS.items():
        t = min(run_tengo(tsrc) for _ in range(3))
        lua_runs = [run_lua(lsrc) for _ in range(3)]
        lua = None if None in lua_runs else min(lua_runs)
        ratio = f"{t / lua:7.1f}x" if lua else "   n/a"
        print(f"  {name:18s} tengo {t:7.3f}s  lua {lua or 0:7.4f}s  ratio {ratio}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
