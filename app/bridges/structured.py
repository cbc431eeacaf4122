"""Structured output: a JSON value validated against a JSON schema, with one repair retry.

Models with a JSON-schema mode (litellm's ``supports_response_schema``, and every ``offline/`` model) get
``response_format = json_schema`` (a schema whose top is not an object is wrapped as ``{value: schema}`` and
unwrapped, since providers require an object); others are instructed to answer with JSON only, and the value is
extracted from their text (code fences and surrounding prose are tolerated). Either way the value is validated; on
failure the model is asked once to repair its answer, and a value that still fails is a ``provider`` error naming
the violation.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from app.bridges import schemas
from app.bridges.errors import SpellError
from app.bridges.litellm_support import get_litellm, is_offline
from app.bridges.llm_client import LLMClient
from app.bridges.llm_types import LLMOptions

log = logging.getLogger(__name__)

INSTRUCTION = "Reply with only a JSON value (no prose, no code fences) that matches this JSON schema:\n{schema}"
REPAIR = "Your reply did not match the JSON schema: {problem}. Reply with only the corrected JSON value."


def check_schema(schema: Any, where: str) -> None:
    """Raise ``invalid_argument`` unless ``schema`` is a usable spell schema (see :mod:`app.bridges.schemas`)."""
    schemas.check_schema(schema, where)


def supports_schema_mode(model: str) -> bool:
    if is_offline(model):
        return True
    try:
        return bool(get_litellm().supports_response_schema(model=model))
    except Exception:  # unknown models: use the instruct path
        return False


def extract_json(text: str | None) -> Any:
    """The JSON value in ``text`` (whole text, fenced block, or the first ``{``/``[`` that parses)."""
    if text is None:
        raise ValueError("the reply was empty")
    stripped = text.strip()
    if stripped.startswith("```"):
        stripped = stripped.split("\n", 1)[1] if "\n" in stripped else ""
        stripped = stripped.rsplit("```", 1)[0]
    try:
        return json.loads(stripped)
    except ValueError:
        pass
    decoder = json.JSONDecoder()
    for i, ch in enumerate(text):
        if ch in "{[":
            try:
                return decoder.raw_decode(text[i:])[0]
            except ValueError:
                continue
    raise ValueError("the reply holds no JSON value")


def problem_with(value: Any, schema: dict[str, Any]) -> str | None:
    """A one-line description of the first schema violation, or None when ``value`` is valid."""
    return schemas.problem_with(value, schema, "structured output")


def structured(
    client: LLMClient, messages: list[dict[str, Any]], schema: dict[str, Any], opts: LLMOptions | None, caller: str
) -> Any:
    """Ask for a value matching ``schema``; validate; repair once; raise ``provider`` naming the violation."""
    model = str((opts or {}).get("model") or client.default_model())
    schema_mode = supports_schema_mode(model)
    wrapped = schema_mode and schema.get("type") != "object"  # providers want an object at the top: wrap others
    mode_schema = {"type": "object", "properties": {"value": schema}, "required": ["value"]} if wrapped else schema
    fmt = {"type": "json_schema", "json_schema": {"name": "result", "schema": mode_schema}} if schema_mode else None
    if not schema_mode:
        messages = [{"role": "system", "content": INSTRUCTION.format(schema=json.dumps(schema))}] + messages
    problem = ""
    for attempt in range(2):
        result = client.chat(messages, opts, caller=caller, response_format=fmt)
        try:
            value = extract_json(result.content)
            if wrapped and isinstance(value, dict) and set(value) == {"value"}:
                value = value["value"]
            problem = problem_with(value, schema) or ""
        except ValueError as e:
            problem = str(e)
        if not problem:
            return value
        log.info("structured answer invalid (attempt %d): %s", attempt + 1, problem)
        messages = messages + [
            {"role": "assistant", "content": result.content or ""},
            {"role": "user", "content": REPAIR.format(problem=problem)},
        ]
    raise SpellError("provider", f"{caller}: the model's answer does not match the schema ({problem})")
