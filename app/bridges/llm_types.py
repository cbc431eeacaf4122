"""Shared LLM data: the common options, a normalised result, and message conversion spell ⇄ OpenAI shape.

Spells see tool calls as ``{id, name, arguments}`` with ``arguments`` a table; litellm (OpenAI shape) wants
``{id, type = "function", function = {name, arguments = JSON text}}``. Both shapes are accepted on the way in.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any, TypedDict

from app.bridges.errors import SpellError

log = logging.getLogger(__name__)

ROLES = ("system", "user", "assistant", "tool")


class LLMOptions(TypedDict, total=False):
    model: str
    system: str
    temperature: float
    max_tokens: int
    timeout: float
    retries: int
    fallbacks: list[str]
    stop: str | list[str]
    seed: int


#: Option docs shared by every method that takes :class:`LLMOptions` (pasted into their docstrings).
SAMPLING_KEYS = ("temperature", "max_tokens", "stop", "seed")


@dataclass
class LLMResult:
    """One model answer, normalised."""
    content: str | None
    tool_calls: list[dict[str, Any]] = field(default_factory=list)  # OpenAI shape
    finish_reason: str = "stop"
    usage: dict[str, int] = field(default_factory=lambda: {"prompt_tokens": 0, "completion_tokens": 0,
                                                            "total_tokens": 0})
    cost: float = 0.0
    model: str = ""
    chunks: list[str] | None = None
    attempts: list[dict[str, Any]] = field(default_factory=list)

    def to_record(self) -> dict[str, Any]:
        """The cassette form."""
        rec: dict[str, Any] = {"content": self.content, "tool_calls": self.tool_calls,
                               "finish_reason": self.finish_reason, "usage": self.usage, "cost": self.cost,
                               "model": self.model}
        if self.chunks is not None:
            rec["chunks"] = self.chunks
        return rec

    @classmethod
    def from_record(cls, rec: dict[str, Any]) -> "LLMResult":
        return cls(content=rec.get("content"), tool_calls=list(rec.get("tool_calls") or []),
                   finish_reason=rec.get("finish_reason") or "stop", usage=dict(rec.get("usage") or {}),
                   cost=float(rec.get("cost") or 0.0), model=rec.get("model") or "", chunks=rec.get("chunks"))

    def openai_message(self) -> dict[str, Any]:
        msg: dict[str, Any] = {"role": "assistant", "content": self.content}
        if self.tool_calls:
            msg["tool_calls"] = self.tool_calls
        return msg

    def spell_message(self) -> dict[str, Any]:
        msg: dict[str, Any] = {"role": "assistant", "content": self.content}
        if self.tool_calls:
            msg["tool_calls"] = [spell_tool_call(c) for c in self.tool_calls]
        return msg

    def tokens(self) -> dict[str, int]:
        return {"prompt": int(self.usage.get("prompt_tokens", 0) or 0),
                "completion": int(self.usage.get("completion_tokens", 0) or 0),
                "total": int(self.usage.get("total_tokens", 0) or 0)}


def spell_tool_call(call: dict[str, Any]) -> dict[str, Any]:
    """OpenAI tool call → ``{id, name, arguments}`` (arguments decoded when they are JSON)."""
    fn = call.get("function") or {}
    raw = fn.get("arguments")
    try:
        args = json.loads(raw) if isinstance(raw, str) and raw.strip() else (raw or {})
    except ValueError:
        args = raw
    return {"id": call.get("id"), "name": fn.get("name"), "arguments": args}


def openai_tool_call(call: dict[str, Any]) -> dict[str, Any]:
    """Either shape → OpenAI tool call."""
    if "function" in call:
        fn = dict(call["function"])
        if not isinstance(fn.get("arguments"), str):
            fn["arguments"] = json.dumps(fn.get("arguments") or {})
        return {"id": call.get("id"), "type": "function", "function": fn}
    args = call.get("arguments")
    return {"id": call.get("id"), "type": "function",
            "function": {"name": call.get("name"),
                         "arguments": args if isinstance(args, str) else json.dumps(args or {})}}


def to_openai_messages(messages: Any, where: str) -> list[dict[str, Any]]:
    """Validate spell messages (a list of ``{role, content}``) and convert them to the OpenAI shape."""
    if isinstance(messages, dict):
        messages = [messages]
    if not isinstance(messages, list) or not messages:
        raise SpellError("invalid_argument", f"{where}: messages must be a non-empty list of {{role, content}}")
    out = []
    for i, m in enumerate(messages, 1):
        if not isinstance(m, dict):
            raise SpellError("invalid_argument", f"{where}: message {i} must be a table with role and content")
        role = m.get("role")
        if role not in ROLES:
            raise SpellError("invalid_argument", f"{where}: message {i} has role {role!r} "
                                                 f"(expected one of {', '.join(ROLES)})")
        msg: dict[str, Any] = {"role": role, "content": m.get("content")}
        if role != "assistant" and msg["content"] is None:
            raise SpellError("invalid_argument", f"{where}: message {i} ({role}) has no content")
        if msg["content"] is not None and not isinstance(msg["content"], (str, list)):
            msg["content"] = json.dumps(msg["content"], ensure_ascii=False)
        if m.get("tool_calls"):
            msg["tool_calls"] = [openai_tool_call(c) for c in m["tool_calls"]]
        for key in ("name", "tool_call_id"):
            if m.get(key) is not None:
                msg[key] = m[key]
        out.append(msg)
    return out


def spell_messages(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """OpenAI-shaped messages as spells see them (tool calls as ``{id, name, arguments}``)."""
    out = []
    for m in messages:
        if m.get("tool_calls"):
            m = dict(m, tool_calls=[spell_tool_call(c) for c in m["tool_calls"]])
        out.append(m)
    return out


def prompt_messages(prompt: str, system: str | None) -> list[dict[str, Any]]:
    msgs: list[dict[str, Any]] = []
    if system:
        msgs.append({"role": "system", "content": system})
    msgs.append({"role": "user", "content": prompt})
    return msgs


def with_system(messages: list[dict[str, Any]], system: str | None) -> list[dict[str, Any]]:
    """``messages`` with ``system`` first (replacing nothing: an existing system message stays after it)."""
    if not system:
        return messages
    return [{"role": "system", "content": system}] + messages
