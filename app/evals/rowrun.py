"""One row × model × repeat: run the spell (recording or replaying its cassette), grade it, return the record.

:class:`RowRunner` is what every executor calls (the local one on its threads, the Ray one inside its actors), so
results are the same whichever runs them. Jobs and records are plain data: they cross process and machine
boundaries. The cassette travels as text (a Ray node need not share the client's disk): the client writes it.
"""

from __future__ import annotations

import os
import re
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from app.evals.assertions import AssertionSpec, Observation, evaluate_all
from app.evals.grading import RowTape, RunnerGrader, run_to_end
from app.runs import RunOptions, SpellRunner

_USES_MODELS = re.compile(r"\b(LLM|Agent|Model|Workflow)\b")


@dataclass
class Job:
    """What to run: the row (index, data, INPUT, assertions), the model, which repeat, and the cassette."""

    row: int
    model: str
    label: str
    repeat: int
    data: Any
    inputs: Any
    asserts: list[AssertionSpec]
    cassette_id: str
    replay_text: str | None = None  # the recorded cassette when replaying (None: record a new one)

    @property
    def key(self) -> tuple[int, str, int]:
        return (self.row, self.label, self.repeat)


@dataclass
class SpellSpec:
    """The spell and how to run it, the same for every job of an eval."""

    path: str
    source: str
    language: str
    profile: str = "standard"
    timeout_s: float | None = None
    settings: dict[str, Any] = field(default_factory=dict)


def cassette_id(row: int, label: str, repeat: int) -> str:
    """The file name (under the results' cassette folder) of one job's cassette."""
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in label)[:60]
    return f"row{row:05d}-{safe}-r{repeat}.jsonl"


def tool_calls(spans: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The tools a run called, in order: ``[{"name", "args"}]`` from its tool spans."""
    calls = []
    for s in spans:
        if s.get("kind") == "tool":
            request = s.get("request")
            args = request.get("args") if isinstance(request, dict) else None
            calls.append({"name": s.get("name"), "args": args if isinstance(args, dict) else {}})
    return calls


class RowRunner:
    """Runs jobs of one eval with a warm :class:`Runner` (thread-safe: the local executor shares one)."""

    def __init__(self, spell: SpellSpec, runner: SpellRunner | None = None, warm: int = 1):
        self.spell = spell
        self._owns_runner = runner is None
        if runner is None:
            from app.runner import Runner

            runner = Runner(warm={spell.language: warm})
        self.runner: SpellRunner = runner
        self._tmp = tempfile.mkdtemp(prefix="llmspell-eval-")
        if _USES_MODELS.search(spell.source):
            from app.bridges.litellm_support import get_litellm

            get_litellm()  # seconds, once: before the first row, so it does not count as that row's latency

    def close(self) -> None:
        if self._owns_runner:
            self.runner.shutdown()
        try:
            os.rmdir(self._tmp)
        except OSError:
            pass

    def run(self, job: Job) -> dict[str, Any]:
        """Run and grade one job; the record (see app/evals/results.py), with ``cassette_text``."""
        tape_path = os.path.join(self._tmp, uuid.uuid4().hex + ".jsonl")
        replay = job.replay_text is not None
        if replay:
            with open(tape_path, "w", encoding="utf-8") as f:
                f.write(job.replay_text or "")
        settings = {**self.spell.settings, "default_model": job.model, ("replay" if replay else "record"): tape_path}
        options = RunOptions(
            inputs=job.inputs,
            profile=self.spell.profile,
            timeout_s=self.spell.timeout_s,
            language=self.spell.language,
            settings=settings,
        )
        started = time.perf_counter()
        try:
            result = run_to_end(self.runner, self.spell.path, self.spell.source, options)
            latency_ms = (time.perf_counter() - started) * 1000.0
            error = (
                None
                if result.ok
                else (result.failure.to_dict() if result.failure else {"code": result.status, "message": result.status})
            )
            if error is not None:
                error = {"code": error.get("code"), "message": error.get("message"), "line": error.get("line")}
            tokens = int(result.stats.get("tokens") or 0)
            cost = float(result.stats.get("cost") or 0.0)
            calls = tool_calls(result.spans)
            obs = Observation(
                output=result.value if result.ok else None,
                row=job.data,
                error=error,
                cost=cost,
                latency_ms=latency_ms,
                tokens=tokens,
                tool_calls=calls,
            )
            grader = RunnerGrader(self.runner, dict(self.spell.settings), RowTape(tape_path, replay))
            passed, score, results = evaluate_all(job.asserts, obs, grader)
            text = None
            if os.path.exists(tape_path):
                with open(tape_path, encoding="utf-8") as f:
                    text = f.read()
        finally:
            try:
                os.unlink(tape_path)
            except OSError:
                pass
        return {
            "row": job.row,
            "model": job.label,
            "model_id": job.model,
            "repeat": job.repeat,
            "pass": passed,
            "score": score,
            "input": job.inputs,
            "output": obs.output,
            "error": error,
            "assertions": [r.to_dict() for r in results],
            "tokens": tokens,
            "cost": round(cost, 8),
            "latency_ms": round(latency_ms, 2),
            "calls": calls,
            "status": result.status,
            "cassette": job.cassette_id if text else None,
            "cassette_text": text,
        }
