"""The :class:`~app.evals.assertions.Grader` of a real eval: expressions in the sandbox (through the runner),
judge and embedding calls through the run pipeline (:class:`~app.bridges.llm_client.LLMClient`), recorded into
the row's cassette so a replay grades without calling a model (a changed rubric is asked anew, then recorded).
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable
from typing import Any

from app.bridges.cassette import Cassette, normalise, request_key
from app.bridges.errors import SpellError
from app.bridges.registry import BridgeContext
from app.evals.assertions import GradingError, output_text
from app.runs import RunOptions, RunResult, RunStatus, SpellRunner

JUDGE_SYSTEM = (
    "You grade an output against a rubric. Reply with JSON: pass (true when the output satisfies the "
    "rubric), score (0 to 1) and reason (one sentence)."
)
GRADE_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["pass", "score", "reason"],
    "properties": {
        "pass": {"type": "boolean"},
        "score": {"type": "number", "minimum": 0, "maximum": 1},
        "reason": {"type": "string"},
    },
}
GRADE_FORMAT = {
    "type": "json_schema",
    "json_schema": {"name": "llmspell_grade", "schema": GRADE_SCHEMA, "strict": True},
}
EXPRESSION_TIMEOUT_S = 10.0
MAX_JUDGED_CHARS = 50_000  # of an output sent to a judge or an embedding model


def expression_source(language: str, expr: str) -> str:
    """A spell returning ``expr`` evaluated over ``output`` and ``row`` (a body with ``return`` is kept as is)."""
    body = expr if "return" in expr else f"return ({expr})"
    if language == "lua":
        return f"local output, row = INPUT.output, INPUT.row\n{body}\n"
    return f"const output = INPUT.output, row = INPUT.row;\n{body}\n"


def run_to_end(runner: SpellRunner, path: str, source: str, options: RunOptions) -> RunResult:
    """Start a run and wait for its end (the run's own time limit bounds the wait)."""
    handle = runner.start(path, source, options)
    result = handle.wait()
    if result is None:  # only with a timeout, which is not given: never, but say so rather than crash
        return RunResult(RunStatus.CANCELLED)
    return result


class RowTape:
    """Grading exchanges of one row, kept in the row's cassette beside the spell's (same line format)."""

    def __init__(self, path: str, replay: bool):
        self.path = path
        self._lock = threading.Lock()
        self._known: dict[str, dict[str, Any]] = {}
        if replay and os.path.exists(path):
            for item in Cassette(path, "replay").interactions():
                self._known.setdefault(str(item.get("key")), item.get("response") or {})

    def exchange(self, request: dict[str, Any], live: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        key = request_key(request)
        with self._lock:
            if key in self._known:
                return self._known[key]
        response = live()
        line = json.dumps(
            {"key": key, "request": request, "response": response},
            ensure_ascii=False,
            separators=(",", ":"),
            default=str,
        )
        with self._lock:
            self._known[key] = response
            fresh = not os.path.exists(self.path)
            with open(self.path, "a", encoding="utf-8") as f:
                if fresh:
                    f.write(json.dumps({"cassette": "llmspell", "version": 1}) + "\n")
                f.write(line + "\n")
        return response


class RunnerGrader:
    """Grades one row: ``lua``/``javascript`` expressions in a strict sandbox run, judge and embeddings through
    the LLM pipeline, every model exchange through the row's :class:`RowTape`."""

    def __init__(self, runner: SpellRunner, settings: dict[str, Any], tape: RowTape):
        self.runner = runner
        self.settings = settings
        self.tape = tape
        self._client: Any = None

    def _llm(self) -> Any:
        if self._client is None:
            from app.bridges.llm_client import LLMClient

            ctx = BridgeContext(
                run_id="grading",
                spell_path="<eval>",
                settings={k: v for k, v in self.settings.items() if k not in ("record", "replay")},
            )
            self._client = LLMClient(ctx)
        return self._client

    def expression(self, language: str, expr: str, output: Any, row: Any) -> Any:
        result = run_to_end(
            self.runner,
            f"assertion.{language}",
            expression_source(language, expr),
            RunOptions(
                inputs={"output": output, "row": row},
                profile="strict",
                timeout_s=EXPRESSION_TIMEOUT_S,
                language=language,
            ),
        )
        if not result.ok:
            msg = result.failure.message if result.failure else result.status
            raise GradingError(f"{language} assertion failed: {msg}")
        return result.value

    def judge(self, model: str, rubric: str, output: str) -> dict[str, Any]:
        messages = [
            {"role": "system", "content": JUDGE_SYSTEM},
            {"role": "user", "content": f"Rubric:\n{rubric}\n\nOutput:\n{output[:MAX_JUDGED_CHARS]}"},
        ]
        body = {"messages": messages, "response_format": GRADE_FORMAT, "temperature": 0}
        request = normalise("chat", model, body)

        def live() -> dict[str, Any]:
            try:
                result = self._llm().chat(
                    messages, {"model": model, "temperature": 0}, caller="llm-rubric", response_format=GRADE_FORMAT
                )
            except SpellError as e:
                raise GradingError(f"judge {model} failed: {e.code}: {e.message}") from None
            return dict(result.to_record())

        response = self.tape.exchange(request, live)
        try:
            grade = json.loads(response.get("content") or "")
        except ValueError:
            raise GradingError(
                f"judge {model} did not answer JSON: {output_text(response.get('content'))[:80]}"
            ) from None
        if not isinstance(grade, dict) or "pass" not in grade:
            raise GradingError(f"judge {model} answered without a grade: {output_text(grade)[:80]}")
        return grade

    def embed(self, model: str, texts: list[str]) -> list[list[float]]:
        texts = [t[:MAX_JUDGED_CHARS] for t in texts]  # a spell's output may be megabytes
        request = normalise("embed", model, {"input": texts})

        def live() -> dict[str, Any]:
            try:
                vectors = self._llm().embed(texts, {"model": model}, caller="similar")
            except SpellError as e:
                raise GradingError(f"embedding model {model} failed: {e.code}: {e.message}") from None
            return {"vectors": vectors}

        vectors = self.tape.exchange(request, live).get("vectors")
        if not isinstance(vectors, list) or len(vectors) != len(texts):
            raise GradingError(f"embedding model {model} gave no vectors")
        return vectors
