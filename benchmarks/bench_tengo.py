"""Tengo speed vs Lua on fib(25), summing a million ints, string building and map churn (goal: within 20x of Lua).

Two comparisons, each side by side in one run (best of 5):
- as spells through the engine pool (what users see), two clocks per side: the run's wall time as its worker
  reports it (``duration_s``) and the CPU time of the worker's main thread during the run (from
  ``/proc/PID/schedstat``, nanoseconds). The goal is judged on CPU time: on a busy machine a run's wall time
  also counts the time it waited for a CPU, which grows with the length of the run (a 60 ms Tengo run is
  preempted, a 4 ms Lua run mostly is not), so wall-time ratios there measure the machine's load, not the
  interpreter (the load average is printed for that reason);
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
        "parts := []\nfor i := 0; i < 100000; i++ { parts = append(parts, string(i)) }\n"
        'out = len(import("text").join(parts, ","))',
        "local parts = {}\nfor i = 0, 99999 do parts[#parts + 1] = tostring(i) end\nreturn #table.concat(parts, ',')",
    ),
    "map churn": (
        'm := {}\nfor i := 0; i < 200000; i++ { k := "k" + (i % 1000); m[k] = (m[k] || 0) + i }\nout = len(m)',
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


def _cpu_s(pid: int) -> float | None:
    """CPU seconds used so far by the main thread of process ``pid`` (None where /proc has no schedstat)."""
    try:
        with open(f"/proc/{pid}/task/{pid}/schedstat") as f:
            return int(f.read().split()[0]) / 1e9
    except (OSError, ValueError, IndexError):
        return None


def _children_cpu() -> dict[int, float | None]:
    """CPU seconds of every child process of this one (the pool's workers), by pid."""
    me = os.getpid()
    out: dict[int, float | None] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if ppid == me:
            out[int(name)] = _cpu_s(int(name))
    return out


def run_spell(runner: "Runner", path: str, source: str) -> tuple[float, float | None]:
    """One run through the pool: (wall seconds as the worker reports them, worker CPU seconds or None)."""
    from app.runner import RunOptions

    before = _children_cpu()
    r = runner.run(path, source, RunOptions(timeout_s=120))
    if not r.ok:
        raise RuntimeError(f"{path}: {r.failure}")
    pid = r.stats["worker_pid"]
    after, start = _cpu_s(pid), before.get(pid)
    return r.stats["duration_s"], (after - start if after is not None and start is not None else None)


def main() -> int:
    from app.runner import Runner

    runner = Runner(warm={"lua": 1, "tengo": 1})
    try:
        runner.pool.wait_warm(60)
        print(f"as spells through the pool (best of 5; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)")
        print(
            f"  {'':18s} {'tengo wall':>10s} {'lua wall':>9s} {'ratio':>6s}   "
            f"{'tengo cpu':>9s} {'lua cpu':>8s} {'ratio':>6s}"
        )
        for name, (tsrc, lsrc) in WORKLOADS.items():
            tengo = [run_spell(runner, "b.tengo", spell_source(tsrc)) for _ in range(5)]
            lua = [run_spell(runner, "b.lua", lsrc) for _ in range(5)]
            tw, lw = min(t[0] for t in tengo), min(t[0] for t in lua)
            line = f"  {name:18s} {tw:9.3f}s {lw:8.4f}s {tw / lw:5.1f}x"
            if all(t[1] is not None for t in tengo + lua):
                tc, lc = min(t[1] for t in tengo), min(t[1] for t in lua)
                ratio = tc / lc
                line += f"   {tc:8.3f}s {lc:7.4f}s {ratio:5.1f}x  goal <= 20x (cpu) {'OK' if ratio <= 20 else 'MISSED'}"
            else:
                line += f"   (no CPU clock)  goal <= 20x (wall) {'OK' if tw / lw <= 20 else 'MISSED'}"
            print(line)
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
