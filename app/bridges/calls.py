"""A run's LLM and tool calls as plain records, read from its trace (one place for tests, evals and the CLI).

    calls_from_spans(result.spans)  →  [{"kind": "llm", "model": "offline/echo", "prompt": "Hi", "reply": "...",
                                         "messages": [...], "tool_calls": [...], "file": "x.lua", "line": 3}, ...]

Tool calls are ``{"kind": "tool", "name", "args", "result"}``. A failed call has ``error`` ({code, message}).
Embeddings, agent and workflow spans are not calls (their LLM and tool calls are listed instead).
"""

from __future__ import annotations

from typing import Any

from app.bridges.records import CallRecord


def calls_from_spans(spans: list[dict[str, Any]]) -> list[CallRecord]:
    """The LLM and tool calls among ``spans`` (a run's trace), in the order they started."""
    out: list[CallRecord] = []
    for span in spans:
        kind = span.get("kind")
        if kind == "llm":
            out.append(_llm_call(span))
        elif kind == "tool":
            request, response = _dict(span.get("request")), _dict(span.get("response"))
            rec: CallRecord = {
                "kind": "tool",
                "name": str(span.get("name") or ""),
                "args": request.get("args"),
                "result": response.get("result"),
                "file": span.get("file"),
                "line": span.get("line"),
            }
            if span.get("error") is not None:
                rec["error"] = _error(span["error"])
            out.append(rec)
    return out


def _llm_call(span: dict[str, Any]) -> CallRecord:
    request, response = _dict(span.get("request")), _dict(span.get("response"))
    raw = request.get("messages")
    messages: list[Any] = raw if isinstance(raw, list) else []
    rec: CallRecord = {
        "kind": "llm",
        "model": str(span.get("model") or ""),
        "prompt": prompt_of(messages),
        "system": _system_of(messages),
        "messages": messages,
        "reply": response.get("content"),
        "tool_calls": response.get("tool_calls") or [],
        "mocked": bool(response.get("mocked")),
        "file": span.get("file"),
        "line": span.get("line"),
    }
    if span.get("error") is not None:
        rec["error"] = _error(span["error"])
    return rec


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def prompt_of(messages: list[Any]) -> str:
    """The text of the last user message (what a spell "asked"), "" when there is none."""
    for m in reversed(messages):
        if isinstance(m, dict) and m.get("role") == "user":
            return _text(m.get("content"))
    return ""


def _system_of(messages: list[Any]) -> str:
    return "\n".join(_text(m.get("content")) for m in messages if isinstance(m, dict) and m.get("role") == "system")


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # content parts
        return "".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return "" if content is None else str(content)


def _error(err: Any) -> dict[str, Any]:
    if isinstance(err, dict):
        return {"code": err.get("code", "error"), "message": err.get("message", "")}
    return {"code": "error", "message": str(err)}
