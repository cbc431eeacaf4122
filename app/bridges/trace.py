"""Spans: one per LLM call, tool call, agent step and workflow step, with parent links and the spell line.

The runner puts ``ctx.services["tracer"] = Tracer(on_span=...)`` before a run (the IDE's trace panel listens to
``on_span``, called when a span starts and again when it ends) and writes :meth:`Tracer.spans` to JSONL for
``llmspell run --trace FILE``. Bridges get it with ``ctx.service("tracer", Tracer)``.

A span is a dict: ``id, parent, kind, name, start, end, model, request, response, tokens {prompt, completion,
total}, cost, error, file, line`` (times are Unix seconds). Requests and responses are redacted (no API keys or
auth headers) before they are stored.
"""

from __future__ import annotations

import contextlib
import copy
import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from app.bridges.budget import HostBudget, json_size
from app.bridges.litellm_support import redact

log = logging.getLogger(__name__)

KINDS = ("llm", "embedding", "tool", "agent", "agent_step", "workflow", "workflow_step")
MAX_FIELD_CHARS = 20000
MAX_SPANS = 50000  # per run: a spell looping over cheap tool calls must not fill the host's memory


def _bounded(value: Any) -> Any:
    """``value`` redacted, and replaced by a truncated JSON text when it is very large."""
    value = redact(value)
    if _small_plain(value, MAX_FIELD_CHARS // 2):  # the common case, without encoding it to measure it
        return value
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):  # not plain JSON: make it so
        try:
            text = json.dumps(value, ensure_ascii=False, default=str)
            value = json.loads(text)
        except (TypeError, ValueError):
            return repr(value)[:MAX_FIELD_CHARS]
    if len(text) > MAX_FIELD_CHARS:
        return text[:MAX_FIELD_CHARS] + "…"
    return value


def _small_plain(value: Any, budget: int) -> bool:
    """Whether ``value`` is plain JSON data (dicts with string keys, lists, strings, numbers) of roughly fewer
    than ``budget`` characters as JSON (strings are counted unescaped: text full of control characters may
    come out longer, which is harmless: the bound only keeps spans from holding megabytes)."""
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, str):
            budget -= len(v)
        elif isinstance(v, dict):
            for k, item in v.items():
                if not isinstance(k, str):
                    return False
                budget -= len(k) + 4
                stack.append(item)
        elif isinstance(v, list):
            budget -= len(v)
            stack.extend(v)
        elif v is None or isinstance(v, (bool, int, float)):
            budget -= 8
        else:
            return False
        if budget < 0:
            return False
    return True


class Tracer:
    """Collects the spans of one run (thread-safe; parents follow the calling thread)."""

    def __init__(self, on_span: Callable[[dict[str, Any]], None] | None = None, budget: HostBudget | None = None):
        self._on_span = on_span
        self._budget = budget  # the run's host budget: spans and their bytes count against it
        self._spans: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._local = threading.local()
        self._next = 1
        self.dropped = 0  # spans over MAX_SPANS: counted, not kept or emitted

    # parent tracking -------------------------------------------------------------------------------------------
    def current(self) -> str | None:
        """The id of the innermost open span on this thread (the parent of new spans)."""
        stack = getattr(self._local, "stack", None)
        return stack[-1] if stack else None

    @contextlib.contextmanager
    def attach(self, parent: str | None) -> Iterator[None]:
        """Make ``parent`` the current span on this thread (for work handed to another thread)."""
        stack = self._stack()
        stack.append(parent)
        try:
            yield
        finally:
            stack.pop()

    def _stack(self) -> list[str | None]:
        if not hasattr(self._local, "stack"):
            self._local.stack = []
        return self._local.stack

    # spans -----------------------------------------------------------------------------------------------------
    def start(
        self,
        kind: str,
        name: str,
        *,
        file: str | None = None,
        line: int | None = None,
        model: str | None = None,
        request: Any = None,
        parent: str | None = None,
    ) -> dict[str, Any]:
        """Open a span (child of the current one) and make it current on this thread."""
        with self._lock:
            span_id = f"s{self._next}"
            self._next += 1
            span: dict[str, Any] = {
                "id": span_id,
                "parent": parent if parent is not None else self.current(),
                "kind": kind,
                "name": name,
                "start": time.time(),
                "end": None,
                "model": model,
                "request": _bounded(request),
                "response": None,
                "tokens": {"prompt": 0, "completion": 0, "total": 0},
                "cost": 0.0,
                "error": None,
                "file": file,
                "line": line,
            }
            if len(self._spans) < MAX_SPANS and self._charge(span, 1, span["request"]):
                self._spans.append(span)
            else:
                span["_dropped"] = True
                self.dropped += 1
                if self.dropped == 1:
                    log.warning("more than %d spans in one run: further spans are not kept", MAX_SPANS)
        self._stack().append(span_id)
        self._emit(span)
        return span

    def end(
        self,
        span: dict[str, Any],
        *,
        response: Any = None,
        tokens: dict[str, int] | None = None,
        cost: float | None = None,
        error: Any = None,
        model: str | None = None,
    ) -> None:
        """Close ``span`` with its outcome and pop it from this thread's stack."""
        with self._lock:
            span["end"] = time.time()
            if response is not None:
                span["response"] = _bounded(response)
                if not span.get("_dropped") and not self._charge(span, 0, span["response"]):
                    span["response"] = None
            if tokens:
                span["tokens"] = {k: int(tokens.get(k, 0) or 0) for k in ("prompt", "completion", "total")}
            if cost is not None:
                span["cost"] = float(cost)
            if error is not None:
                span["error"] = _bounded(error.to_dict() if hasattr(error, "to_dict") else str(error))
                if not span.get("_dropped") and not self._charge(span, 0, span["error"]):
                    span["error"] = None
            if model:
                span["model"] = model
        stack = self._stack()
        if span["id"] in stack:
            del stack[len(stack) - 1 - stack[::-1].index(span["id"]) :]
        self._emit(span)

    def _charge(self, span: dict[str, Any], count: int, data: Any) -> bool:
        """Count a span and its data against the run's budget (the run is stopped past it: nothing more is kept)."""
        if self._budget is None:
            return True
        if count and not self._budget.add("max_spans", count):
            return False
        return self._budget.add("span_bytes", json_size(data) + (200 if count else 0))

    @contextlib.contextmanager
    def span(self, kind: str, name: str, **fields: Any) -> Iterator[dict[str, Any]]:
        """``with tracer.span("tool", "calculator", request=args) as s:`` — ends with the error if one escapes.

        Set ``s["_response"]`` (and optionally ``s["_tokens"]``, ``s["_cost"]``) inside the block to record them."""
        s = self.start(kind, name, **fields)
        try:
            yield s
        except BaseException as e:
            self.end(s, error=e, response=s.pop("_response", None))
            raise
        else:
            self.end(s, response=s.pop("_response", None), tokens=s.pop("_tokens", None), cost=s.pop("_cost", None))

    def _emit(self, span: dict[str, Any]) -> None:
        if self._on_span is None or span.get("_dropped"):
            return
        # A shallow copy is a stable snapshot: a span's values are never changed in place, only replaced
        # (start/end store fresh redacted copies), so an observer on another thread never sees a half update.
        with self._lock:
            snapshot = {k: v for k, v in span.items() if not k.startswith("_")}
        try:
            self._on_span(snapshot)
        except Exception:  # an observer must never break the run
            log.exception("trace observer failed")

    def count(self) -> int:
        """How many spans were kept so far (a mark: ``spans()[mark:]`` are the spans started after it)."""
        with self._lock:
            return len(self._spans)

    def spans(self) -> list[dict[str, Any]]:
        """Copies of every span so far, in start order."""
        with self._lock:
            return [{k: copy.deepcopy(v) for k, v in s.items() if not k.startswith("_")} for s in self._spans]

    def write_jsonl(self, path: str) -> None:
        """Write :meth:`spans` to ``path``, one JSON object per line."""
        with open(path, "w", encoding="utf-8") as f:
            for s in self.spans():
                f.write(json.dumps(s, ensure_ascii=False, default=str) + "\n")
