"""Many runs at once, some stopped at random moments: every run ends, as ok or as stopped, never with another
run's answer (a late answer of a stopped run once reached the next run on a reused pipe descriptor)."""

from __future__ import annotations

import random
import threading
import time

from app.runner import Runner, RunOptions

LUA = """
Hook.register("before_llm", function(req) return nil end)
local steps = {}
for i = 1, 4 do
  steps[i] = function() local n = 0 for j = 1, 3 do n = n + #LLM.complete("s" .. i .. j) end return n end
end
local r = Workflow.parallel(steps, {max_concurrency = 3})
local streamed = LLM.stream("abc def ghi", function(chunk) print(chunk) end)
return {#r.output, streamed}
"""
JS = """
Hook.register("before_llm", (req) => null);
const steps = [];
for (let i = 0; i < 4; i++) steps.push(() => LLM.complete("a" + i).length + LLM.complete("b" + i).length);
return [Workflow.parallel(steps, {maxConcurrency: 3}).output.length, LLM.stream("abc def", (c) => print(c))];
"""


def test_concurrent_runs_with_random_stops_all_end_cleanly():
    rng = random.Random(7)
    runner = Runner(warm={"lua": 2, "js": 2})
    results: list[tuple[str, bool, str, str]] = []
    lock = threading.Lock()

    def one(i: int) -> None:
        lang = rng.choice(["lua", "js"])
        stop_after = rng.random() * 0.2 if rng.random() < 0.3 else None
        run = runner.start(f"s{i}.{lang}", LUA if lang == "lua" else JS, RunOptions(timeout_s=60))
        if stop_after is not None:
            time.sleep(stop_after)
            run.cancel()
        r = run.wait(60)
        with lock:
            results.append(
                (lang, stop_after is not None, r.status if r else "hung", r.failure.message if r and r.failure else "")
            )

    try:
        assert runner.pool.wait_warm(60)
        threads = [threading.Thread(target=one, args=(i,)) for i in range(24)]
        for t in threads:
            t.start()
            time.sleep(0.02)
        for t in threads:
            t.join(90)
    finally:
        runner.shutdown()
    assert len(results) == 24
    for lang, stopped, status, message in results:
        assert status == "ok" or (stopped and status == "cancelled"), (lang, stopped, status, message)
