"""Spell tests: a suite of 200 tiny tests (Lua, JavaScript and Tengo files, one assertion each, a few with a
mocked LLM call) through ``run_files`` as ``llmspell test`` runs them. Target: under 3 s (issue 15).

Prints the cold time (a new runner: the workers start with it, as for one ``llmspell test`` command), the warm
time (the same suite again on the warm pool, as the IDE's Test Explorer reruns it), tests/s, and the ratios to
the target. Run: ``.venv/bin/python benchmarks/bench_spell_tests.py``
"""

from __future__ import annotations

import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from app.runner import Runner
from app.testing.results import Status, Totals
from app.testing.session import TestOptions, run_files, warm_counts

TARGET_S = 3.0
PER_FILE = 25
FILES = {"lua": 4, "js": 2, "tengo": 2}  # 8 files x 25 = 200 tests


def lua_file(k: int) -> str:
    body = "\n".join(
        f'  it("adds {i}", function() assert.are.equal({i + 1}, {i} + 1) end)' for i in range(PER_FILE - 1)
    )
    return (
        f'describe("suite {k}", function()\n{body}\n'
        '  it("mocked", function() Mock.llm("hi", "hello"); assert.are.equal("hello", LLM.complete("hi")) end)\n'
        "end)\n"
    )


def js_file(k: int) -> str:
    body = "\n".join(f'  test("adds {i}", () => expect({i} + 1).toBe({i + 1}));' for i in range(PER_FILE - 1))
    return (
        f'describe("suite {k}", () => {{\n{body}\n'
        '  test("mocked", () => { Mock.llm("hi", "hello"); expect(LLM.complete("hi")).toBe("hello"); });\n'
        "});\n"
    )


def tengo_file(k: int) -> str:
    body = "\n".join(f'test("adds {i}", func() {{ assert.equal({i + 1}, {i} + 1) }})' for i in range(PER_FILE - 1))
    return body + '\ntest("mocked", func() { Mock.llm("hi", "hello"); assert.equal("hello", LLM.complete("hi")) })\n'


MAKERS = {"lua": ("_spec.lua", lua_file), "js": (".test.js", js_file), "tengo": ("_test.tengo", tengo_file)}


def suite(folder: str) -> list[str]:
    paths = []
    for lang, count in FILES.items():
        suffix, make = MAKERS[lang]
        for k in range(count):
            path = os.path.join(folder, f"t{k}{suffix}")
            with open(path, "w", encoding="utf-8") as f:
                f.write(make(k))
            paths.append(path)
    return paths


def timed(runner: Runner, paths: list[str], jobs: int) -> tuple[float, Totals]:
    started = time.perf_counter()
    results = run_files(runner, paths, TestOptions(timeout_s=60), jobs)
    elapsed = time.perf_counter() - started
    totals = Totals.of(results)
    bad = [c for r in results for c in r.cases if c.status is Status.FAILED] + [r for r in results if r.error]
    assert not bad and totals.passed == 200, (totals.summary(), bad[:3])
    return elapsed, totals


def main() -> None:
    jobs = os.cpu_count() or 1
    with tempfile.TemporaryDirectory() as folder:
        paths = suite(folder)
        started = time.perf_counter()
        runner = Runner(warm=warm_counts(paths, jobs))
        cold_run, totals = timed(runner, paths, jobs)
        cold = time.perf_counter() - started
        warm = min(timed(runner, paths, jobs)[0] for _ in range(3))
        runner.shutdown()
    n = totals.passed
    print(f"spell tests: {n} tiny tests in {len(paths)} files (Lua, JavaScript, Tengo), -j {jobs}")
    print(
        f"  cold (new runner, workers start)  {cold:6.2f} s  {n / cold:7.0f} tests/s  "
        f"{cold / TARGET_S:5.2f} x target ({TARGET_S:g} s)"
    )
    print(
        f"  warm pool (IDE rerun), best of 3  {warm:6.2f} s  {n / warm:7.0f} tests/s  {warm / TARGET_S:5.2f} x target"
    )
    print(f"  (cold run without the runner's start: {cold_run:.2f} s)")


if __name__ == "__main__":
    main()
