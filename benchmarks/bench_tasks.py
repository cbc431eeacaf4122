"""8 LLM calls as tasks/promises against a server that answers in 300 ms: at most 1.3× one call, in each language.

Side by side in one run, through the runner (worker → host → litellm → local test server), for Lua, JavaScript and
Tengo: one plain call, then 8 concurrent calls in the language's natural style (Lua ``Task.spawn`` + ``Task.all``,
JavaScript ``Promise.all`` over ``LLM.completeAsync``, Tengo ``Task.all`` over ``[LLM.complete, ...]``). Medians of
5 runs; the ratio is to the same language's single call. A sequential reference (8 calls one after another, ≈ 8×)
is printed for Lua to show what the tasks save, and the same 8 calls under ``Task.timeout``: calls a spell may cancel
(a race, a timeout, a JS ``signal``) go through litellm's async path on the host so that a cancel closes their HTTP
requests, which costs more CPU per call (informational, no target).

Run: ``.venv/bin/python benchmarks/bench_tasks.py``
"""

from __future__ import annotations

import logging
import os
import statistics
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "tests"))
os.environ.setdefault("OPENAI_API_KEY", "sk-bench-dummy-key-0000000000")

from support.llm_server import LLMServer  # noqa: E402

from app.bridges.litellm_support import get_litellm  # noqa: E402
from app.runner import Runner, RunOptions  # noqa: E402

DELAY = 0.3
REPEAT = 5
TARGET = 1.3
N = 8
MODEL = os.environ.get("BENCH_MODEL", "openai/test-model")

ONE = {
    "lua": 'return LLM.complete("one call")',
    "js": 'return LLM.complete("one call");',
    "tengo": 'export LLM.complete("one call")',
}
EIGHT = {
    "lua": f"""
        local tasks = {{}}
        for i = 1, {N} do tasks[i] = Task.spawn(function() return LLM.complete("task " .. i) end) end
        return #Task.all(tasks)
    """,
    "js": f"""
        const calls = [];
        for (let i = 1; i <= {N}; i++) calls.push(LLM.completeAsync("promise " + i));
        return (await Promise.all(calls)).length;
    """,
    "tengo": f"""
        calls := []
        for i := 1; i <= {N}; i++ {{ calls = append(calls, [LLM.complete, "call " + string(i)]) }}
        export len(Task.all(calls))
    """,
}
ABORTABLE_LUA = f"""
    local tasks = {{}}
    for i = 1, {N} do tasks[i] = Task.spawn(function() return LLM.complete("task " .. i) end) end
    return #Task.timeout(60, function() return Task.all(tasks) end)
"""
SEQUENTIAL_LUA = f"""
    local n = 0
    for i = 1, {N} do LLM.complete("seq " .. i); n = n + 1 end
    return n
"""


def timed(runner: Runner, language: str, source: str, settings: dict[str, object]) -> float:
    samples = []
    for _ in range(REPEAT):
        t = time.perf_counter()
        result = runner.run(f"bench.{language}", source, RunOptions(settings=settings, timeout_s=120))
        samples.append(time.perf_counter() - t)
        if not result.ok:
            raise SystemExit(f"{language} spell failed: {result.failure}")
    return statistics.median(samples)


def main() -> int:
    logging.basicConfig(level=logging.WARNING)
    get_litellm()
    runner = Runner(warm={"lua": 1, "js": 1, "tengo": 1})
    runner.pool.wait_warm(60)
    rows: list[tuple[str, float, float | None]] = []
    ok = True
    try:
        with LLMServer(delay=DELAY) as server:
            settings = {"default_model": MODEL, "api_base": {"openai": server.url}, "retries": 0}
            for language in ("lua", "js", "tengo"):
                timed(runner, language, ONE[language], settings)  # warm connections and the worker
                timed(runner, language, EIGHT[language], settings)
                one = timed(runner, language, ONE[language], settings)
                eight = timed(runner, language, EIGHT[language], settings)
                rows.append((f"{language}: one call", one, None))
                rows.append((f"{language}: {N} calls at once", eight, eight / one))
                ok = ok and eight / one <= TARGET
                if language == "lua":
                    closable = timed(runner, language, ABORTABLE_LUA, settings)
                    rows.append((f"lua: {N} under Task.timeout (closable requests)", closable, closable / one))
                    seq = timed(runner, language, SEQUENTIAL_LUA, settings)
                    rows.append((f"lua: {N} calls one after another (reference)", seq, seq / one))
            peak = server.max_in_flight
    finally:
        runner.shutdown()
    print(
        f"server answers in {DELAY * 1000:.0f} ms; medians of {REPEAT} runs; ratios are to one call of the "
        f"same language; target ≤ {TARGET}× for {N} calls at once"
    )
    print(f"{'':46} {'ms':>8} {'ratio':>7}")
    for name, seconds, ratio in rows:
        print(f"{name:46} {seconds * 1000:8.1f} {'' if ratio is None else f'{ratio:6.2f}×':>7}")
    print(f"most requests in flight at the server at once: {peak}")
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
