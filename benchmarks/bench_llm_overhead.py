"""Overhead of a spell's LLM call vs calling litellm directly, same local server (ARCHITECTURE §7: ≤ 2 %).

200 ``LLM.complete`` calls from a Lua spell (worker → host bridge → hooks, trace span, usage → litellm) against
200 direct ``litellm.completion`` calls from Python, both to the same local OpenAI-compatible server
(``tests/support/llm_server.py``, in its own process like a real provider). A third column calls the bridge in-process (no worker, no IPC) to show
what the pipeline itself costs. The sides run interleaved in rounds so drift affects all; each side's time is
the sum over rounds (the spell's run start/finish is subtracted with an empty run); the ratios are medians of the
per-round ratios. Our pipeline costs ~0.1–0.3 ms per call (a worker round trip plus hooks, span and usage):
within 2 % of any provider that takes 15 ms or more, more than that against a server answering in ~1 ms.
Printed for two servers: one answering at once (the harshest case: litellm's own per-call CPU is all there is to
compare with) and one answering in 20 ms (closer to a real provider).

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
        litellm.completion(model="openai/test-model", messages=messages,  # type: ignore[attr-defined]
                           api_base=url, num_retries=0, max_retries=0, timeout=120.0)
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
    proc = subprocess.Popen([sys.executable, script, "--delay", str(delay)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert proc.stdout is not None
        yield proc.stdout.readline().strip()
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        proc.wait(10)


def measure(runner: Runner, litellm: object, delay: float) -> tuple[float, float, float, float, float]:
    """Total seconds per side, and the medians of the per-round ratios (robust to a busy machine)."""
    with server_process(delay) as url:
        direct(litellm, url, 10, 0)  # warm every path (connections, caches)
        in_process(url, 10, 0)
        via_spell(runner, url, 10)
        per_round = CALLS // ROUNDS
        d = p = s = 0.0
        p_ratios, s_ratios = [], []
        for r in range(ROUNDS):
            rd = direct(litellm, url, per_round, r * per_round)
            rp = in_process(url, per_round, r * per_round)
            rs = via_spell(runner, url, per_round)
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
        print(f"{CALLS} LLM calls: direct litellm.completion vs the bridge in-process vs a Lua spell "
              f"(worker → host), same local server; ratios are to direct")
        print(f"{'server delay':>14} {'direct ms':>10} {'in-proc ms':>11} {'spell ms':>9} {'in-proc':>8} "
              f"{'spell':>7} {'target':>8}")
        for delay in (0.0, 0.02):
            d, p, s, p_ratio, ratio = measure(runner, litellm, delay)
            print(f"{delay * 1000:>12.0f}ms {d / CALLS * 1000:>10.2f} {p / CALLS * 1000:>11.2f} "
                  f"{s / CALLS * 1000:>9.2f} {p_ratio:>8.3f} {ratio:>7.3f} {'≤ ' + format(TARGET, '.2f'):>8}"
                  f"{'' if ratio <= TARGET else '  (over target)'}")
            ok = ok and ratio <= TARGET
    finally:
        runner.shutdown()
    if not ok:
        print("note: over target on this run (ratios on a busy machine vary; see the module docstring)")
    return 0  # a report, like the other benchmarks: `make bench` goes on to the next one


if __name__ == "__main__":
    sys.exit(main())
