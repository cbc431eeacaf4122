"""Shared LLM data: the common options, a normalised result, and message conversion spell ⇄ OpenAI shape.

Spells see tool calls as ``{id, name, arguments}`` with ``arguments`` a table; litellm (OpenAI shape) wants
``{id, type = "function", function = {name, arguments = JSON text}}``. Both shapes are accepted on the way in.
"""

from __future__ import annotations

import json
import logging
import urllib.parse
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
    cache: bool


#: Option docs shared by every method that takes :class:`LLMOptions` (pasted into their docstrings).
SAMPLING_KEYS = ("temperature", "max_tokens", "stop", "seed")


@dataclass
class LLMResult:
    """One model answer, normalised."""

    content: str | None
    tool_calls: list[dict[str, Any]] = field(default_factory=list)  # OpenAI shape
    finish_reason: str = "stop"
    usage: dict[str, int] = field(
        default_factory=lambda: {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}
    )
    cost: float = 0.0
    model: str = ""
    chunks: list[str] | None = None
    first_chunk_s: float | None = None  # streams: seconds from the request to the first text
    attempts: list[dict[str, Any]] = field(default_factory=list)
    cached: bool = False  # answered from the response cache
    rate_wait_s: float = 0.0  # time spent waiting for the rate limit
    mocked: bool = False  # a test's Mock.llm answered, not the model

    def to_record(self) -> dict[str, Any]:
        """The cassette form."""
        rec: dict[str, Any] = {
            "content": self.content,
            "tool_calls": self.tool_calls,
            "finish_reason": self.finish_reason,
            "usage": self.usage,
            "cost": self.cost,
            "model": self.model,
        }
        if self.chunks is not None:
            rec["chunks"] = self.chunks
        return rec

    @classmethod
    def from_record(cls, rec: dict[str, Any]) -> LLMResult:
        return cls(
            content=rec.get("content"),
            tool_calls=list(rec.get("tool_calls") or []),
            finish_reason=rec.get("finish_reason") or "stop",
            usage=dict(rec.get("usage") or {}),
            cost=float(rec.get("cost") or 0.0),
            model=rec.get("model") or "",
            chunks=rec.get("chunks"),
        )

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
        return {
            "prompt": int(self.usage.get("prompt_tokens", 0) or 0),
            "completion": int(self.usage.get("completion_tokens", 0) or 0),
            "total": int(self.usage.get("total_tokens", 0) or 0),
        }


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
    return {
        "id": call.get("id"),
        "type": "function",
        "function": {"name": call.get("name"), "arguments": args if isinstance(args, str) else json.dumps(args or {})},
    }


def check_content(content: Any, where: str, limits: Any) -> None:
    """Content parts a spell may send: ``text``, and ``image_url`` with a ``data:`` URL, or an http(s) URL on a
    host the profile's ``http_allow`` lists (litellm and providers fetch image URLs: without this a spell could
    make the host reach any address)."""
    if not isinstance(content, list):
        return
    for part in content:
        kind = part.get("type") if isinstance(part, dict) else None
        if kind == "text" and isinstance(part.get("text"), str):
            continue
        if kind == "image_url":
            ref = part.get("image_url")
            url = ref.get("url") if isinstance(ref, dict) else ref
            if isinstance(url, str) and url.startswith("data:"):
                continue
            if isinstance(url, str) and _url_allowed(url, limits):
                continue
            raise SpellError(
                "permission_denied",
                f"{where}: image URLs must be data: URLs, or http(s) URLs on a host this profile allows",
            )
        raise SpellError(
            "invalid_argument",
            f'{where}: content parts must be {{type = "text", text = ...}} or '
            f'{{type = "image_url", image_url = {{url = ...}}}}, got {kind!r}',
        )


def _url_allowed(url: str, limits: Any) -> bool:
    from app.bridges.file_tools import host_allowed  # noqa: PLC0415 - small, avoids a module cycle

    parts = urllib.parse.urlsplit(url)
    return (
        parts.scheme in ("http", "https")
        and bool(getattr(limits, "allow_http", False))
        and host_allowed(parts.hostname or "", tuple(getattr(limits, "http_allow", ()) or ()))
    )


def to_openai_messages(messages: Any, where: str, limits: Any = None) -> list[dict[str, Any]]:
    """Validate spell messages (a list of ``{role, content}``) and convert them to the OpenAI shape.

    ``limits`` (the run's profile limits) decides whether http(s) image URLs are allowed (see :func:`check_content`)."""
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
            raise SpellError(
                "invalid_argument", f"{where}: message {i} has role {role!r} (expected one of {', '.join(ROLES)})"
            )
        msg: dict[str, Any] = {"role": role, "content": m.get("content")}
        if role != "assistant" and msg["content"] is None:
            raise SpellError("invalid_argument", f"{where}: message {i} ({role}) has no content")
        if msg["content"] is not None and not isinstance(msg["content"], (str, list)):
            msg["content"] = json.dumps(msg["content"], ensure_ascii=False)
        check_content(msg["content"], f"{where}: message {i}", limits)
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
