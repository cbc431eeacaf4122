"""Overhead of a spell's LLM call vs calling litellm directly, same local server (docs/architecture.md §7: ≤ 2 %).

200 ``LLM.complete`` calls from a Lua spell (worker → host bridge → hooks, trace span, usage → litellm) against
200 direct ``litellm.completion`` calls from Python, both to the same local OpenAI-compatible server
(``tests/support/llm_server.py``, in its own process like a real provider). A third column calls the bridge
in-process (no worker, no IPC) to show what the pipeline itself costs. The sides run interleaved in rounds, in a
rotating order, so drift affects all; each side's time is the sum over rounds (the spell's run start/finish is
subtracted with an empty run). The 200-call comparison is repeated three times; the ratios are the medians of all
per-round ratios.

A spell's call costs a fixed amount more than a direct one: the pipeline (hooks, span, redaction, usage: ~0.05 ms
with warm caches) plus the worker round trip (two process wake-ups). Measured here: ~0.3–0.4 ms with a server
that answers at once, ~0.4–0.6 ms after 20 ms of idle waiting (cold caches, slower wake-ups on this VM).
The target is checked against a server that answers in 20 ms, still far quicker than any real provider
(hundreds of ms): the fixed cost is what matters there. The instant server is printed as the worst case with no
target: litellm's own ~4 ms of CPU per call is all there is to compare with, and no process boundary fits in 2 %
of that.

Run: ``.venv/bin/python benchmarks/bench_llm_overhead.py``
"""

from __future__ import annotations

import contextlib
import logging
import os
import statistics
import subprocess
import sys
import time
from typing import Iterator

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "tests"))
os.environ.setdefault("OPENAI_API_KEY", "sk-bench-dummy-key-0000000000")

from app.bridges.litellm_support import get_litellm  # noqa: E402
from app.bridges.registry import BridgeContext, BridgeHost  # noqa: E402
from app.runner import RunOptions, Runner  # noqa: E402

log = logging.getLogger(__name__)

CALLS = 200
ROUNDS = 10
REPEATS = 3  # the 200-call comparison is made this many times; ratios are medians over all their rounds
TARGET = 1.02
SPELL = """
local n = INPUT.n
for i = 1, n do
  LLM.complete("ping " .. i)
end
return n
"""


def direct(litellm: object, url: str, n: int, offset: int) -> float:
    t = time.perf_counter()
    for i in range(n):
        messages = [{"role": "user", "content": f"ping {offset + i}"}]
        litellm.completion(
            model="openai/test-model",
            messages=messages,  # type: ignore[attr-defined]
            api_base=url,
            num_retries=0,
            max_retries=0,
            timeout=120.0,
        )
    return time.perf_counter() - t


def via_spell(runner: Runner, url: str, n: int) -> float:
    """Seconds of ``n`` calls in a spell, minus the same run with no call (worker hand-out, start, finish)."""
    settings = {"default_model": "openai/test-model", "api_base": {"openai": url}}
    times = []
    for count in (0, n):
        t = time.perf_counter()
        result = runner.run("bench.lua", SPELL, RunOptions(inputs={"n": count}, settings=settings, timeout_s=600))
        times.append(time.perf_counter() - t)
        if not result.ok:
            raise SystemExit(f"spell failed: {result.failure}")
    return times[1] - times[0]


def in_process(url: str, n: int, offset: int) -> float:
    """The bridge pipeline alone (hooks, span, usage, litellm), called in-process: no worker, no IPC."""
    host = BridgeHost(BridgeContext(settings={"default_model": "openai/test-model", "api_base": {"openai": url}}))
    t = time.perf_counter()
    for i in range(n):
        host.call("LLM", "complete", [f"ping {offset + i}"], None)
    return time.perf_counter() - t


@contextlib.contextmanager
def server_process(delay: float) -> Iterator[str]:
    """The test server in its own process (as a provider would be): its threads do not share our GIL."""
    script = os.path.join(ROOT, "tests", "support", "llm_server.py")
    env = dict(os.environ, PYTHONPATH=ROOT)
    proc = subprocess.Popen(
        [sys.executable, script, "--delay", str(delay)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        yield proc.stdout.readline().strip()
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        proc.wait(10)


def measure(runner: Runner, litellm: object, delay: float) -> tuple[float, float, float, float, float]:
    """Seconds per side (totals over all repeats), and the medians of the per-round ratios (robust to a busy
    machine: a round disturbed by another process moves a median little)."""
    with server_process(delay) as url:
        direct(litellm, url, 10, 0)  # warm every path (connections, caches)
        in_process(url, 10, 0)
        via_spell(runner, url, 10)
        per_round = CALLS // ROUNDS
        d = p = s = 0.0
        p_ratios, s_ratios = [], []
        for r in range(ROUNDS * REPEATS):
            sides = {
                "direct": lambda: direct(litellm, url, per_round, r * per_round),
                "in_process": lambda: in_process(url, per_round, r * per_round),
                "spell": lambda: via_spell(runner, url, per_round),
            }
            order = list(sides)[r % 3 :] + list(sides)[: r % 3]  # rotate: no side always runs first or last
            took = {name: sides[name]() for name in order}
            rd, rp, rs = took["direct"], took["in_process"], took["spell"]
            d, p, s = d + rd, p + rp, s + rs
            p_ratios.append(rp / rd)
            s_ratios.append(rs / rd)
    return d, p, s, statistics.median(p_ratios), statistics.median(s_ratios)


def main() -> int:
    logging.basicConfig(level=logging.WARNING)
    litellm = get_litellm()
    runner = Runner(warm={"lua": 1})
    runner.pool.wait_warm(60)
    ok = True
    try:
        print(
            f"{CALLS} LLM calls: direct litellm.completion vs the bridge in-process vs a Lua spell "
            f"(worker → host), same local server; {REPEATS} times; ratios are to direct"
        )
        print(
            f"{'server delay':>14} {'direct ms':>10} {'in-proc ms':>11} {'spell ms':>9} {'extra µs':>9} "
            f"{'in-proc':>8} {'spell':>7} {'target':>8}"
        )
        for delay, targeted in ((0.0, False), (0.02, True)):
            d, p, s, p_ratio, ratio = measure(runner, litellm, delay)
            target = f"≤ {TARGET:.2f}" if targeted else "none"
            verdict = "" if not targeted else "  ok" if ratio <= TARGET else "  (over target)"
            n = CALLS * REPEATS
            print(
                f"{delay * 1000:>12.0f}ms {d / n * 1000:>10.2f} {p / n * 1000:>11.2f} "
                f"{s / n * 1000:>9.2f} {(s - d) / n * 1e6:>9.0f} {p_ratio:>8.3f} {ratio:>7.3f} "
                f"{target:>8}{verdict}"
            )
            ok = ok and (ratio <= TARGET or not targeted)
    finally:
        runner.shutdown()
    if not ok:
        print("note: over target on this run (ratios on a busy machine vary; see the module docstring)")
    return 0  # a report, like the other benchmarks: `make bench` goes on to the next one


if __name__ == "__main__":
    sys.exit(main())
