"""The offline model's deterministic rules (pure Python: no litellm here, so the test server can share them).

Rules, applied to the chat request (see also app/bridges/README.md):

1. **Tool results answer.** When the last message is a tool result, the reply is ``"<tool> returned <result>"`` for
   every tool result after the last assistant message, joined by ``"; "``.
2. **Tools are called when asked for.** When tools are offered and the last message is the user's, every offered
   tool whose name appears in that message (case-insensitive; ``_`` may be written as a space) is called, in order
   of appearance (``tool_choice`` naming a function, or ``"required"``, forces a call even without a mention).
   Arguments: an enum property takes the first of its values named in the message (else, if required, its
   first value); ``prop=value`` / ``prop: value`` in the message fill that property; otherwise the first string
   property gets the quoted text (``"..."`` or backticks) or else the rest of the sentence after the tool name
   (minus filler words such as "to", "for", "compute"); every other required property gets a schema-valid value.
3. **A JSON schema gets a valid instance** (``response_format`` ``json_schema``): properties named in the prompt as
   ``name: value`` take that value (coerced to the schema type); others get the first enum value, the default,
   the minimum, ``false``, ``"<name>"``-style placeholders, ``minItems`` (at least one) array items.
   ``json_object`` mode answers ``{"answer": "<echo>"}``.
4. **Otherwise it echoes**: ``"Echo: <last user message>"``.
5. ``stop`` cuts the reply at the first stop sequence; ``max_tokens`` keeps that many tokens (finish ``length``).
6. Tokens are counted as words and punctuation marks (``\\w+|[^\\w\\s]``); streaming sends one word per chunk.
7. Embeddings are 32-dimensional, L2-normalised hashed bags of words: equal texts give equal vectors.
8. **Grading** (a JSON schema named ``llmspell_grade``, as ``llm-rubric`` eval assertions send): the user message
   holds ``Rubric:`` and ``Output:`` sections. The rubric's quoted phrases (else its words of 4+ letters that are not
   filler) are looked for in the output, case-insensitively; ``score`` is the fraction found, ``pass`` is
   ``score >= 0.5`` (every quoted phrase, when there are quoted phrases), ``reason`` names what was found or missed.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from typing import Any

_TOKEN = re.compile(r"\w+|[^\w\s]")
_FILLER = {
    "to",
    "for",
    "on",
    "with",
    "about",
    "of",
    "the",
    "a",
    "an",
    "compute",
    "calculate",
    "evaluate",
    "find",
    "get",
    "tool",
    "please",
    "and",
    "using",
    "use",
    "call",
    "run",
    "is",
    "what",
    "what's",
    "in",
    ":",
    "-",
}
EMBED_DIM = 32


def count_tokens(text: str) -> int:
    """Offline token count: words and punctuation marks."""
    return len(_TOKEN.findall(text or ""))


def text_of(content: Any) -> str:
    """The text of a message's content (a string, or a list of parts with ``text``)."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(str(p["text"]) for p in content if isinstance(p, dict) and p.get("text") is not None)
    return str(content)


def messages_tokens(messages: list[dict[str, Any]]) -> int:
    return sum(count_tokens(text_of(m.get("content"))) for m in messages)


# ------------------------------------------------------------------------------------------------ schemas
def _hint(text: str, key: str) -> str | None:
    names = {re.escape(key), re.escape(key.replace("_", " "))}
    pattern = rf"(?i)(?<![\w])(?:{'|'.join(names)})\s*(?:[:=]|\bis\b)\s*(?:\"([^\"]*)\"|([^,;\n]+))"
    m = re.search(pattern, text)
    if not m:
        return None
    value = m.group(1) if m.group(1) is not None else m.group(2)
    return value.strip().rstrip(".").strip()


def _resolve(schema: Any, root: Any) -> Any:
    if isinstance(schema, dict) and isinstance(schema.get("$ref"), str) and schema["$ref"].startswith("#/"):
        node = root
        for part in schema["$ref"][2:].split("/"):
            node = node.get(part, {}) if isinstance(node, dict) else {}
        return _resolve(node, root)
    return schema


def _coerce(value: str, kind: str) -> Any:
    if kind == "integer":
        m = re.search(r"-?\d+", value)
        return int(m.group()) if m else None
    if kind == "number":
        m = re.search(r"-?\d+(?:\.\d+)?", value)
        return (float(m.group()) if "." in m.group() else int(m.group())) if m else None
    if kind == "boolean":
        return value.lower() in ("true", "yes", "1", "y")
    return value


MAX_INSTANCE_VALUES = 20_000  # values the offline model puts in one answer (it runs in the host)
MAX_INSTANCE_CHARS = 1_000_000  # characters of the strings in it


class _Room:
    """What is left of an answer's size: a schema asking for ``minItems: 10000`` of arrays of ``minItems: 10000``
    (or a huge ``minLength``) gets a smaller answer, which then fails validation, instead of gigabytes in the host."""

    def __init__(self) -> None:
        self.values = MAX_INSTANCE_VALUES
        self.chars = MAX_INSTANCE_CHARS


def instance_for(
    schema: Any, text: str = "", key: str = "value", root: Any = None, depth: int = 0, room: _Room | None = None
) -> Any:
    """A value valid against ``schema``, filled from ``name: value`` hints in ``text`` where possible.

    Recursive schemas: below depth 6 only required properties are filled; below depth 16 the value is null.
    The answer is bounded (see :class:`_Room`)."""
    room = room or _Room()
    room.values -= 1
    if depth > 16 or room.values < 0:
        return None
    root = schema if root is None else root
    schema = _resolve(schema, root)
    if not isinstance(schema, dict) or not schema:
        return _hint(text, key) or f"<{key}>"
    if "const" in schema:
        return schema["const"]
    for combo in ("anyOf", "oneOf"):
        if schema.get(combo):
            options = [o for o in schema[combo] if _resolve(o, root).get("type") != "null"] or schema[combo]
            return instance_for(options[0], text, key, root, depth + 1, room)
    if schema.get("allOf"):
        merged: dict[str, Any] = {}
        for part in schema["allOf"]:
            part = _resolve(part, root)
            for k, v in part.items():
                if k in ("properties",) and k in merged:
                    merged[k] = {**merged[k], **v}
                elif k == "required" and k in merged:
                    merged[k] = list(merged[k]) + list(v)
                else:
                    merged[k] = v
        return instance_for(merged, text, key, root, depth + 1, room)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind is None:
        kind = "object" if "properties" in schema else "array" if "items" in schema else "string"
    hint = _hint(text, key) if kind not in ("object", "array") else None
    if "enum" in schema:
        if hint is not None:
            for option in schema["enum"]:
                if str(option).lower() == hint.lower():
                    return option
        return schema["enum"][0]
    if hint is not None:
        value = _coerce(hint, kind)
        if value is not None and _fits(value, schema):
            return value
    if "default" in schema:
        return schema["default"]
    if kind == "object":
        props = schema.get("properties", {})
        if depth > 6:
            props = {k: v for k, v in props.items() if k in schema.get("required", [])}
        return {name: instance_for(sub, text, name, root, depth + 1, room) for name, sub in props.items()}
    if kind == "array":
        count = max(1, int(schema.get("minItems", 1)))
        items = schema.get("items", {})
        if isinstance(items, list):  # tuple form
            return [instance_for(s, text, key, root, depth + 1, room) for s in items]
        hint = _hint(text, key)
        if hint and _resolve(items, root).get("type", "string") == "string":
            parts = [p.strip() for p in re.split(r"\s*(?:,|\band\b)\s*", hint) if p.strip()]
            if len(parts) >= count:
                return parts[: schema.get("maxItems", len(parts))]
        return [instance_for(items, text, key, root, depth + 1, room) for _ in range(min(count, max(room.values, 0)))]
    if kind == "integer":
        return int(_number_floor(schema))
    if kind == "number":
        return _number_floor(schema)
    if kind == "boolean":
        return False
    if kind == "null":
        return None
    return _string_for(schema, key, room)


def _fits(value: Any, schema: dict[str, Any]) -> bool:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            return False
        if "maximum" in schema and value > schema["maximum"]:
            return False
    if isinstance(value, str):
        if len(value) < schema.get("minLength", 0) or len(value) > schema.get("maxLength", 1 << 30):
            return False
    return True


def _number_floor(schema: dict[str, Any]) -> float:
    if "minimum" in schema:
        return schema["minimum"]
    if "exclusiveMinimum" in schema:
        return schema["exclusiveMinimum"] + 1
    if "maximum" in schema and schema["maximum"] < 0:
        return schema["maximum"]
    return 0


def _string_for(schema: dict[str, Any], key: str, room: _Room) -> str:
    fmt = schema.get("format")
    value = {
        "date": "2026-01-01",
        "date-time": "2026-01-01T00:00:00Z",
        "time": "00:00:00",
        "email": "user@example.com",
        "uri": "https://example.com",
        "uuid": "00000000-0000-0000-0000-000000000000",
    }.get(fmt or "", f"<{key}>")
    lo, hi = schema.get("minLength", 0), schema.get("maxLength")
    if isinstance(lo, int) and len(value) < lo:
        value = value + "x" * max(0, min(lo, room.chars) - len(value))
    room.chars -= len(value)
    if hi is not None:
        value = value[:hi]
    return value


# ------------------------------------------------------------------------------------------------ replies
def _last(messages: list[dict[str, Any]], role: str) -> dict[str, Any] | None:
    return next((m for m in reversed(messages) if m.get("role") == role), None)


def _tool_results_reply(messages: list[dict[str, Any]]) -> str:
    names: dict[str, str] = {}
    tail: list[dict[str, Any]] = []
    for m in reversed(messages):
        if m.get("role") == "tool":
            tail.append(m)
            continue
        if m.get("role") == "assistant":
            for call in m.get("tool_calls") or []:
                names[call.get("id", "")] = (call.get("function") or {}).get("name", "tool")
        break
    parts = [
        f"{names.get(m.get('tool_call_id', ''), m.get('name') or 'tool')} returned {text_of(m.get('content'))}"
        for m in reversed(tail)
    ]
    return "; ".join(parts)


def _mentions(text: str, name: str) -> int:
    low = text.lower()
    for variant in (name.lower(), name.lower().replace("_", " ")):
        m = re.search(rf"(?<![\w]){re.escape(variant)}(?![\w])", low)
        if m:
            return m.start()
    return -1


def _argument_text(text: str, name: str) -> str:
    quoted = re.search(r"\"([^\"]+)\"|`([^`]+)`", text)
    if quoted:
        return quoted.group(1) or quoted.group(2)
    pos = _mentions(text, name)
    rest = text[pos:] if pos >= 0 else text
    rest = rest[len(name) :] if pos >= 0 else rest
    rest = re.split(r"[.!?](?:\s|$)|\n", rest, maxsplit=1)[0]
    words = rest.split()
    while words and words[0].lower().strip(":,") in _FILLER:
        words.pop(0)
    return " ".join(words).strip().rstrip("?") or text.strip()


def tool_arguments(text: str, tool: dict[str, Any]) -> dict[str, Any]:
    fn = tool.get("function", tool)
    schema = fn.get("parameters") or {"type": "object", "properties": {}}
    props: dict[str, Any] = schema.get("properties", {})
    required = set(schema.get("required", []))
    args: dict[str, Any] = {}
    free_text_used = False
    for prop, sub in props.items():
        sub = _resolve(sub, schema)
        kind = sub.get("type", "string") if isinstance(sub, dict) else "string"
        if isinstance(sub, dict) and "enum" in sub:
            named = [v for v in sub["enum"] if re.search(rf"(?<![\w]){re.escape(str(v))}(?![\w])", text, re.I)]
            if named or prop in required:
                args[prop] = named[0] if named else sub["enum"][0]
            continue
        hint = _hint(text, prop)
        if hint is not None and isinstance(kind, str):
            value = _coerce(hint, kind) if kind in ("integer", "number", "boolean") else hint
            if value is not None:
                args[prop] = value
                continue
        if kind == "string" and not free_text_used and "enum" not in sub:
            args[prop] = _argument_text(text, fn.get("name", ""))
            free_text_used = True
        elif prop in required:
            args[prop] = instance_for(sub, text, prop, schema)
    return args


def _forced_tool(tools: list[dict[str, Any]], tool_choice: Any) -> str | None:
    if isinstance(tool_choice, dict):
        return (tool_choice.get("function") or {}).get("name")
    if tool_choice == "required" and tools:
        return tools[0].get("function", {}).get("name")
    return None


def _truncate(text: str, max_tokens: int | None, stop: Any) -> tuple[str, str]:
    finish = "stop"
    stops = [stop] if isinstance(stop, str) else list(stop or [])
    for s in stops:
        if s and s in text:
            text = text[: text.index(s)]
    if max_tokens is not None and count_tokens(text) > max_tokens:
        spans = list(_TOKEN.finditer(text))
        text = text[: spans[max_tokens - 1].end()] if max_tokens > 0 else ""
        finish = "length"
    return text, finish


def reply(model: str, messages: list[dict[str, Any]], params: dict[str, Any]) -> dict[str, Any]:
    """The offline answer: ``{content, tool_calls, finish_reason, usage}`` (OpenAI-shaped tool calls)."""
    last = messages[-1] if messages else {"role": "user", "content": ""}
    user = _last(messages, "user")
    user_text = text_of(user.get("content")) if user else ""
    tools = [t for t in params.get("tools") or [] if isinstance(t, dict)]
    tool_calls: list[dict[str, Any]] = []
    content: str | None
    if last.get("role") == "tool":
        content = _tool_results_reply(messages)
    else:
        if tools and last.get("role") == "user" and params.get("tool_choice") != "none":
            forced = _forced_tool(tools, params.get("tool_choice"))
            found = sorted(
                (p, t)
                for t in tools
                for p in [_mentions(user_text, t.get("function", {}).get("name", ""))]
                if p >= 0 or t.get("function", {}).get("name") == forced
            )
            for i, (_, tool) in enumerate(found):
                name = tool["function"]["name"]
                args = tool_arguments(user_text, tool)
                digest = hashlib.sha256(f"{name}{json.dumps(args, sort_keys=True)}{len(messages)}".encode())
                tool_calls.append(
                    {
                        "id": f"call_{i}_{digest.hexdigest()[:10]}",
                        "type": "function",
                        "function": {"name": name, "arguments": json.dumps(args)},
                    }
                )
        content = None if tool_calls else _answer(user_text, params)
    finish = "tool_calls" if tool_calls else "stop"
    if content is not None:
        content, finish = _truncate(content, params.get("max_tokens"), params.get("stop"))
    completion = count_tokens(content or "") + sum(count_tokens(c["function"]["arguments"]) for c in tool_calls)
    prompt = messages_tokens(messages)
    return {
        "content": content,
        "tool_calls": tool_calls,
        "finish_reason": finish,
        "usage": {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion},
    }


def _answer(user_text: str, params: dict[str, Any]) -> str:
    fmt = params.get("response_format") or {}
    if isinstance(fmt, dict) and fmt.get("type") == "json_schema":
        spec = fmt.get("json_schema") or {}
        if spec.get("name") == GRADE_SCHEMA_NAME:
            return json.dumps(grade(user_text), ensure_ascii=False)
        return json.dumps(instance_for(spec.get("schema", spec), user_text), ensure_ascii=False)
    if isinstance(fmt, dict) and fmt.get("type") == "json_object":
        return json.dumps({"answer": f"Echo: {user_text}"}, ensure_ascii=False)
    return f"Echo: {user_text}"


GRADE_SCHEMA_NAME = "llmspell_grade"
_GRADE_FILLER = {
    "that",
    "this",
    "with",
    "from",
    "have",
    "should",
    "must",
    "answer",
    "output",
    "response",
    "mention",
    "mentions",
    "about",
    "which",
    "their",
    "there",
    "does",
    "into",
    "only",
    "than",
    "then",
    "when",
    "what",
    "says",
    "say",
    "give",
    "gives",
    "contain",
    "contains",
    "include",
    "includes",
    "the",
}


def grade(prompt: str) -> dict[str, Any]:
    """Rule 8: grade the ``Output:`` section of ``prompt`` against its ``Rubric:`` section."""
    m = re.search(r"Rubric:\s*(.*?)\n\s*Output:\s*(.*)\Z", prompt, re.S)
    rubric, output = (m.group(1), m.group(2)) if m else (prompt, "")
    quoted = [q for q in re.findall(r'"([^"]+)"|\'([^\']+)\'', rubric) for q in q if q]
    terms = quoted or list(
        dict.fromkeys(w for w in re.findall(r"[^\W\d_]{4,}", rubric.lower()) if w not in _GRADE_FILLER)
    )
    if not terms:
        return {"pass": True, "score": 1.0, "reason": "the rubric names nothing to look for"}
    low = output.lower()
    found = [t for t in terms if t.lower() in low]
    missing = [t for t in terms if t not in found]
    score = round(len(found) / len(terms), 4)
    passed = not missing if quoted else score >= 0.5
    parts = []
    if found:
        parts.append("mentions " + ", ".join(found[:5]))
    if missing:
        parts.append("misses " + ", ".join(missing[:5]))
    return {"pass": passed, "score": score, "reason": "; ".join(parts)}


def stream_pieces(text: str) -> list[str]:
    """How the offline model streams ``text``: one word (with its following space) per chunk."""
    return re.findall(r"\S+\s*|\s+", text) if text else []


def embedding(text: str) -> list[float]:
    """A deterministic 32-dimensional unit vector: a hashed bag of lower-cased words."""
    vec = [0.0] * EMBED_DIM
    for word in re.findall(r"\w+", text.lower()):
        h = hashlib.sha256(word.encode()).digest()
        vec[h[0] % EMBED_DIM] += 1.0 if h[1] % 2 == 0 else -1.0
    norm = math.sqrt(sum(v * v for v in vec)) or 1.0
    return [round(v / norm, 6) for v in vec]
