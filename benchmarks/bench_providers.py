"""The provider layer's speed (issue: "a cached call ≥ 20× faster than a call to the local server with 20 ms
latency; the overhead of the router on an uncached call ≤ 2 %").

Both sides of each ratio run interleaved in rounds, in rotating order, through the real bridge pipeline
(``LLM.complete`` in-process: hooks, span, usage, cache or Router, litellm) against the local OpenAI-compatible test
server in its own process, answering after 20 ms:

* cache: a repeated request answered from the on-disk cache vs the same request sent to the server;
* router: the same call through a model alias (litellm's ``Router``, one deployment) vs the plain model name.

Ratios are medians of the per-round ratios (robust to a busy, shared machine).
Run: ``.venv/bin/python benchmarks/bench_providers.py``
"""
from __future__ import annotations

import logging
import os
import statistics
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "benchmarks"))
os.environ.setdefault("OPENAI_API_KEY", "sk-bench-dummy-key-0000000000")
_TMP = tempfile.mkdtemp(prefix="llmspell-bench-providers-")
os.environ["LLMSPELL_CACHE_DIR"] = os.path.join(_TMP, "cache")
os.environ["LLMSPELL_DATA_DIR"] = os.path.join(_TMP, "data")

from bench_llm_overhead import server_process  # noqa: E402

from app.bridges.litellm_support import get_litellm  # noqa: E402
from app.bridges.registry import BridgeContext, BridgeHost  # noqa: E402

CALLS = 20     # per side per round
ROUNDS = 10
CACHE_TARGET = 20.0
ROUTER_TARGET = 1.02


def host(url: str, **settings: object) -> BridgeHost:
    return BridgeHost(BridgeContext(settings={"default_model": "openai/test-model", "api_base": {"openai": url},
                                              **settings}))


def timed(h: BridgeHost, prompts: list[str], opts: dict[str, object] | None = None) -> float:
    t = time.perf_counter()
    for p in prompts:
        h.call("LLM", "complete", [p], opts)
    return time.perf_counter() - t


def compare(url: str, rounds: int, calls: int) -> tuple[dict[str, float], float, float]:
    """Seconds per side and the median ratios (sent/hit, router/direct) over ``rounds`` interleaved rounds."""
    plain = host(url)
    cached = host(url, cache=True)
    routed = host(url, models={"bench": {"model": "openai/test-model", "api_base": url,
                                         "key": "env:OPENAI_API_KEY"}})
    warm = [f"warm {i}" for i in range(5)]
    timed(plain, warm), timed(cached, warm), timed(routed, warm, {"model": "bench"})
    totals = {"sent": 0.0, "hit": 0.0, "direct": 0.0, "router": 0.0}
    cache_ratios, router_ratios = [], []
    for r in range(rounds):
        fresh = [f"{url} round {r} call {i}" for i in range(calls)]
        sides: dict[str, tuple[BridgeHost, list[str], dict[str, object] | None]] = {
            "sent": (plain, fresh, None),
            "hit": (cached, (warm * calls)[:calls], None),
            "direct": (plain, [p + " d" for p in fresh], None),
            "router": (routed, [p + " r" for p in fresh], {"model": "bench"}),
        }
        order = list(sides)[r % 4:] + list(sides)[:r % 4]
        took = {name: timed(*sides[name]) for name in order}
        for k in totals:
            totals[k] += took[k]
        cache_ratios.append(took["sent"] / took["hit"])
        router_ratios.append(took["router"] / took["direct"])
    return totals, statistics.median(cache_ratios), statistics.median(router_ratios)


def main() -> int:
    logging.basicConfig(level=logging.WARNING)
    get_litellm()
    print("LLM.complete through the bridge pipeline against the local server; ratios are medians of rounds")
    print(f"{'server':>7} {'cached ms':>10} {'sent ms':>8} {'cache speed-up':>15} {'plain ms':>9} {'alias ms':>9} "
          f"{'router overhead':>16}")
    for delay, rounds, calls in ((0.02, ROUNDS, CALLS), (0.2, 4, 5)):
        with server_process(delay) as url:
            t, cache_ratio, router_ratio = compare(url, rounds, calls)
        n = rounds * calls
        cache_note = "" if delay != 0.02 else ("  ok (≥ 20×)" if cache_ratio >= CACHE_TARGET else "  (under 20×)")
        router_note = "  ok (≤ 2 %)" if router_ratio <= ROUTER_TARGET else "  (over 2 %)"
        print(f"{delay * 1000:>5.0f}ms {t['hit'] / n * 1000:>10.2f} {t['sent'] / n * 1000:>8.2f} "
              f"{cache_ratio:>14.1f}×{cache_note} {t['direct'] / n * 1000:>9.2f} {t['router'] / n * 1000:>9.2f} "
              f"{(router_ratio - 1) * 100:>15.1f}%{router_note}")
    print("note: the Router's own code costs ~2 ms of CPU per call (litellm's router_rust attempt path, measured "
          "with cProfile); that is a fixed cost, so its share shrinks as the provider gets slower.")
    return 0  # a report, like the other benchmarks


if __name__ == "__main__":
    sys.exit(main())
