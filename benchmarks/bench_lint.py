"""Lint speed: a 20,000-line Lua file linted from scratch (target ≤ 1 s), and the editor's re-lint after a
keystroke in a 2,000-line file (incremental re-parse + analysis, target ≤ 50 ms).

Prints each result as a ratio to its target (≤ 1.00 meets it), with both clocks: wall time, and the CPU time of
this process (on a machine shared with other work the wall time also counts waiting for a CPU, so the load
average is printed too). Best of N for the full lint, median of 20 keystrokes for the re-lint.
Run: ``python benchmarks/bench_lint.py``.
"""

from __future__ import annotations

import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from app.lint import lint_source  # noqa: E402
from app.lint.document import LintDocument  # noqa: E402

BLOCK = """local function step_{i}(input, opts)
  local agent = Agent.new({{name = "a{i}", system = "You help.", max_steps = 3}})
  local text = LLM.complete("Summarise: " .. tostring(input), {{temperature = 0.2, max_tokens = 100}})
  local parts = {{}}
  for k, v in pairs(opts or {{}}) do
    parts[#parts + 1] = k .. "=" .. tostring(v)
  end
  if #parts > 0 then
    Log.info("options", {{count = #parts}})
  end
  return agent:run(text .. table.concat(parts, ","))
end
print(step_{i}("x", {{}}))
"""

JS_BLOCK = """function step{i}(input, opts) {{
  const agent = Agent.new({{ name: "a{i}", system: "You help.", maxSteps: 3 }});
  const text = LLM.complete("Summarise: " + String(input), {{ temperature: 0.2, maxTokens: 100 }});
  const parts = [];
  for (const [k, v] of Object.entries(opts || {{}})) {{
    parts.push(k + "=" + String(v));
  }}
  if (parts.length > 0) {{
    Log.info("options", {{ count: parts.length }});
  }}
  return agent.run(text + parts.join(","));
}}
print(step{i}("x", {{}}));
"""


def spell(lines: int, block: str = BLOCK) -> str:
    """A realistic spell of about ``lines`` lines: functions with bridge calls, loops, tables, locals."""
    out: list[str] = []
    i = 0
    while len(out) + 13 <= lines:
        out.extend(block.format(i=i).splitlines())
        i += 1
    return "\n".join(out) + "\n"


def keystrokes(language: str, text: str, path: str) -> tuple[float, float]:
    """Median wall and CPU seconds of the editor's re-lint after each of 20 keystrokes (type, delete, ...)."""
    doc = LintDocument(language, "")
    doc.update(text)
    walls, cpus = [], []
    at = text.index("Summarise: ") + len("Summarise")
    for n in range(20):
        text = text[:at] + ("x" if n % 2 == 0 else "") + text[at + (0 if n % 2 == 0 else 1) :]
        w, c = clocks(lambda t=text: doc.update(t))
        walls.append(w)
        cpus.append(c)
    return statistics.median(walls), statistics.median(cpus)


def clocks(fn) -> tuple[float, float]:
    w, c = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - w, time.process_time() - c


def main() -> None:
    print(f"load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    big = spell(20_000)
    assert lint_source(big, "big.lua") == [], "the benchmark spell must be clean"
    runs = [clocks(lambda: lint_source(big, "big.lua")) for _ in range(3)]
    wall, cpu = min(r[0] for r in runs), min(r[1] for r in runs)
    print(
        f"lint 20,000-line Lua file: wall {wall * 1000:7.1f} ms ({wall / 1.0:.2f}x target 1 s), "
        f"cpu {cpu * 1000:7.1f} ms ({cpu / 1.0:.2f}x)"
    )

    for language, block in (("lua", BLOCK), ("js", JS_BLOCK)):
        text = spell(2_000, block)
        assert lint_source(text, f"s.{language}") == [], "the benchmark spell must be clean"
        wall, cpu = keystrokes(language, text, f"s.{language}")
        print(
            f"re-lint 2,000 {language:>3} lines after a keystroke: wall {wall * 1000:6.1f} ms "
            f"({wall / 0.05:.2f}x target 50 ms), cpu {cpu * 1000:6.1f} ms ({cpu / 0.05:.2f}x)"
        )


if __name__ == "__main__":
    main()
