"""Eval throughput: rows/s for 1,000 trivial rows on the local engine pool (target ≥ 100 rows/s), and for LLM-bound
rows against the local test server (in its own process) with 200 ms latency at concurrency 16
(target ≥ 0.8 × 16 / 0.2 s = 64 rows/s), side by side with the same spell through the runner alone.

Each row goes the whole way: spell run in a pooled worker, assertions, cassette, a flushed results line.
Prints the rates and their ratio to the target (≥ 1.0 meets it).
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "tests"))
os.environ.setdefault("OPENAI_API_KEY", "sk-bench-dummy-key-0000000000")
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")


from app.evals.executors import LocalExecutor  # noqa: E402
from app.evals.rowrun import RowRunner  # noqa: E402
from app.evals.session import EvalOptions, EvalRun, spell_spec  # noqa: E402
from app.evals.spec import load_eval  # noqa: E402

TRIVIAL_ROWS = 1000
TRIVIAL_TARGET = 100.0
LLM_ROWS = 960  # 60 waves of 16: a steady rate, not the ramp-down of the last wave
LLM_DELAY = 0.2
LLM_CONCURRENCY = 16
LLM_TARGET = 0.8 * LLM_CONCURRENCY / LLM_DELAY


def write_eval(folder: str, spell: str, rows: int, concurrency: int, asserts: str) -> str:
    with open(os.path.join(folder, "spell.lua"), "w", encoding="utf-8") as f:
        f.write(spell)
    with open(os.path.join(folder, "data.jsonl"), "w", encoding="utf-8") as f:
        f.writelines(f'{{"i": {i}, "expected": "{2 * i}"}}\n' for i in range(rows))
    path = os.path.join(folder, "bench.eval.yaml")
    with open(path, "w", encoding="utf-8") as f:
        f.write(f"spell: spell.lua\ndataset: data.jsonl\nconcurrency: {concurrency}\nassert:\n{asserts}")
    return path


def measure(path: str, settings: dict[str, object], warm: int) -> tuple[float, int, int]:
    """Seconds for the whole eval, rows, rows passed: steady state (a warm-up eval of 2 × concurrency rows first
    starts the workers and the host's threads, as an IDE that has run anything already has them)."""
    spec = load_eval(path)
    spell = spell_spec(spec, settings)
    from app.runner import Runner

    runner = Runner(warm={spell.language: warm})
    runner.pool.wait_warm(60)
    row_runner = RowRunner(spell, runner)
    out = os.path.join(os.path.dirname(path), "results.jsonl")
    warmup = load_eval(path)
    warmup.rows = warmup.rows[: 2 * spec.concurrency]
    EvalRun(
        warmup,
        EvalOptions(out=out + ".warmup", settings=settings),
        executor=LocalExecutor(spell, spec.concurrency, row_runner),
    ).run()
    executor = LocalExecutor(spell, spec.concurrency, row_runner)
    started = time.perf_counter()
    records = EvalRun(spec, EvalOptions(out=out, settings=settings), executor=executor).run()
    elapsed = time.perf_counter() - started
    row_runner.close()
    runner.shutdown()
    return elapsed, len(records), sum(1 for r in records if r["pass"])


def runner_alone(spell_source: str, settings: dict[str, object], rows: int, concurrency: int) -> float:
    """Rows/s of the same spell through Runner.run on ``concurrency`` threads, without the eval layer (no
    assertions, cassettes or results file): what the host manages here, side by side with the eval."""
    import concurrent.futures

    from app.runner import Runner, RunOptions

    runner = Runner(warm={"lua": concurrency})
    runner.pool.wait_warm(60)

    def one(i: int) -> bool:
        return runner.run(
            "alone.lua", spell_source, RunOptions(inputs={"i": i}, language="lua", settings=dict(settings))
        ).ok

    with concurrent.futures.ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(one, range(2 * concurrency)))
        started = time.perf_counter()
        ok = sum(pool.map(one, range(rows)))
        elapsed = time.perf_counter() - started
    runner.shutdown()
    assert ok == rows
    return rows / elapsed


@contextlib.contextmanager
def server_process(delay: float) -> Iterator[str]:
    """The local test server in a process of its own (a real provider does not share the host's GIL); its URL."""
    code = (
        "import sys, time; sys.path.insert(0, sys.argv[1]); from support.llm_server import LLMServer; "
        "s = LLMServer(delay=float(sys.argv[2])).start(); print(s.url, flush=True); time.sleep(3600)"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code, os.path.join(ROOT, "tests"), str(delay)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        yield proc.stdout.readline().strip()
    finally:
        proc.kill()
        proc.wait()


def main() -> int:
    ok = True
    with tempfile.TemporaryDirectory() as folder:
        path = write_eval(
            folder, "return INPUT.i * 2\n", TRIVIAL_ROWS, 4, '  - {type: equals, value: "{{expected}}"}\n'
        )
        elapsed, n, passed = measure(path, {}, 4)
        rate = n / elapsed
        ok = ok and rate >= TRIVIAL_TARGET and passed == n
        print(
            f"trivial rows, local pool (concurrency 4): {n} rows in {elapsed:.2f} s = {rate:.0f} rows/s; "
            f"target {TRIVIAL_TARGET:.0f} rows/s; ratio {rate / TRIVIAL_TARGET:.2f}; {passed}/{n} passed"
        )
    with tempfile.TemporaryDirectory() as folder, server_process(LLM_DELAY) as url:
        settings = {"api_base": {"openai": url}}
        source = 'return LLM.complete("row " .. INPUT.i, {model = "openai/test-model"})\n'
        path = write_eval(folder, source, LLM_ROWS, LLM_CONCURRENCY, "  - {type: starts-with, value: 'Echo: row'}\n")
        elapsed, n, passed = measure(path, settings, LLM_CONCURRENCY)
        rate = n / elapsed
        ok = ok and rate >= LLM_TARGET and passed == n
        print(
            f"LLM-bound rows, {LLM_DELAY * 1000:.0f} ms server latency, concurrency {LLM_CONCURRENCY}: {n} rows in "
            f"{elapsed:.2f} s = {rate:.0f} rows/s; target {LLM_TARGET:.0f} rows/s; ratio {rate / LLM_TARGET:.2f}; "
            f"{passed}/{n} passed"
        )
        alone = runner_alone(source, settings, LLM_ROWS, LLM_CONCURRENCY)
        print(
            f"  the same spell through Runner.run alone (no eval layer): {alone:.0f} rows/s; "
            f"eval / runner alone {rate / alone:.2f}"
        )
    print("ok" if ok else "below target")
    return 0


if __name__ == "__main__":
    sys.exit(main())
