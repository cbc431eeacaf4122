"""JSON schemas a spell supplies (tool arguments, ``LLM.structured``…), checked and used without reach or runaways.

Every validator in the host is built here, and:

- resolves nothing outside the schema: it gets a ``referencing.Registry`` that retrieves nothing, and any ``$ref``
  (or ``$dynamicRef``/``$recursiveRef``) that is not a local ``#…`` reference is refused with ``invalid_argument``
  naming it *before* any validator is built, so no file, socket or URL is ever opened for a schema;
- is bounded: the schema's size and depth, the instance's size, and the validation's work (keyword evaluations and
  wall time) are capped, and exceeding a cap is ``limit_exceeded``;
- runs spell-supplied regexes (``pattern``, ``patternProperties``) with the ``regex`` package's ``timeout=``, and
  ``uniqueItems`` in linear time (jsonschema's own check is quadratic for objects).

Errors never carry the Python exception's text, only our message.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import jsonschema
import referencing
import referencing.exceptions
import regex
from jsonschema.exceptions import ValidationError

from app.bridges.errors import SpellError

log = logging.getLogger(__name__)

MAX_SCHEMA_NODES = 20_000  # values in a schema (a tool's or structured output's)
MAX_SCHEMA_DEPTH = 64
MAX_PATTERN_CHARS = 1_000
MAX_INSTANCE_NODES = 200_000  # values in one validated instance
MAX_STEPS = 500_000  # keyword evaluations per validation
MAX_SECONDS = 1.0  # wall time per validation
REGEX_TIMEOUT_S = 0.25  # one pattern match
MAX_MESSAGE_CHARS = 300  # of a violation message (they quote the instance)
REF_KEYWORDS = ("$ref", "$dynamicRef", "$recursiveRef")

#: Retrieves nothing: a reference that is not inside the schema is unresolvable.
_NO_RETRIEVAL: referencing.Registry[Any] = referencing.Registry()


class _OverBudget(Exception):
    """Validation work went past :data:`MAX_STEPS` or :data:`MAX_SECONDS`."""


class _Budget(threading.local):
    steps = 0
    deadline = 0.0
    active = False


_budget = _Budget()


def _tick() -> None:
    if not _budget.active:
        return
    _budget.steps += 1
    if _budget.steps > MAX_STEPS:
        raise _OverBudget(f"more than {MAX_STEPS} steps")
    if _budget.steps % 512 == 0 and time.monotonic() > _budget.deadline:
        raise _OverBudget(f"more than {MAX_SECONDS:g} s")


def _search(pattern: str, text: str) -> bool:
    _tick()
    try:
        return regex.search(pattern, text, timeout=REGEX_TIMEOUT_S) is not None
    except TimeoutError:
        raise _OverBudget(f"the pattern {_clip(pattern)} took longer than {REGEX_TIMEOUT_S:g} s") from None


# ------------------------------------------------------------------------------------------ keyword overrides
Keyword = Callable[[Any, Any, Any, dict[str, Any]], Iterator[ValidationError]]


def _pattern(validator: Any, patrn: str, instance: Any, schema: dict[str, Any]) -> Iterator[ValidationError]:
    if validator.is_type(instance, "string") and not _search(patrn, instance):
        yield ValidationError(f"{_clip(instance)} does not match {_clip(patrn)}")


def _pattern_properties(
    validator: Any, patterns: dict[str, Any], instance: Any, schema: dict[str, Any]
) -> Iterator[ValidationError]:
    if not validator.is_type(instance, "object"):
        return
    for patrn, subschema in patterns.items():
        for k, v in instance.items():
            if _search(patrn, k):
                yield from validator.descend(v, subschema, path=k, schema_path=patrn)


def _additional_properties(original: Keyword) -> Keyword:
    def additional(validator: Any, ap: Any, instance: Any, schema: dict[str, Any]) -> Iterator[ValidationError]:
        if "patternProperties" not in schema:  # jsonschema's own check then uses no regex
            yield from original(validator, ap, instance, schema) or ()
            return
        if not validator.is_type(instance, "object"):
            return
        known = schema.get("properties", {})
        patterns = list(schema.get("patternProperties", {}))
        extras = [k for k in instance if k not in known and not any(_search(p, k) for p in patterns)]
        if validator.is_type(ap, "object"):
            for extra in extras:
                yield from validator.descend(instance[extra], ap, path=extra)
        elif not ap and extras:
            names = ", ".join(_clip(e) for e in sorted(extras)[:10])
            yield ValidationError(
                f"{names} {'does' if len(extras) == 1 else 'do'} not match any of the regexes: "
                + ", ".join(_clip(p) for p in sorted(patterns))
            )

    return additional


def _unique_items(validator: Any, unique: Any, instance: Any, schema: dict[str, Any]) -> Iterator[ValidationError]:
    if not unique or not validator.is_type(instance, "array"):
        return
    seen: set[Any] = set()
    for index, item in enumerate(instance):
        key = _identity(item)
        if key in seen:
            yield ValidationError(f"the array has non-unique elements (item {index} repeats an earlier one)")
            return
        seen.add(key)


def _identity(value: Any) -> Any:
    """A hashable stand-in with JSON Schema's equality (``1 == 1.0``, ``true != 1``, key order ignored)."""
    _tick()
    if isinstance(value, bool):
        return ("b", value)
    if isinstance(value, (int, float)):
        return ("n", value)
    if isinstance(value, list):
        return ("l", tuple(_identity(v) for v in value))
    if isinstance(value, dict):
        return ("d", frozenset((k, _identity(v)) for k, v in value.items()))
    return ("s", value)


def _counted(fn: Keyword) -> Keyword:
    def keyword(validator: Any, value: Any, instance: Any, schema: dict[str, Any]) -> Iterator[ValidationError]:
        _tick()
        return fn(validator, value, instance, schema)

    return keyword


_VALIDATORS: dict[type, type] = {}
_lock = threading.Lock()


def _bounded_validator(base: type) -> type:
    """``base`` (a jsonschema validator class) with timed regexes, linear ``uniqueItems`` and counted keywords."""
    with _lock:
        cls = _VALIDATORS.get(base)
        if cls is None:
            keywords: dict[str, Keyword] = dict(base.VALIDATORS)  # type: ignore[attr-defined]
            if "pattern" in keywords:
                keywords["pattern"] = _pattern
            if "patternProperties" in keywords:
                keywords["patternProperties"] = _pattern_properties
            if "additionalProperties" in keywords:
                keywords["additionalProperties"] = _additional_properties(keywords["additionalProperties"])
            if "uniqueItems" in keywords:
                keywords["uniqueItems"] = _unique_items
            cls = jsonschema.validators.extend(base, {k: _counted(fn) for k, fn in keywords.items()})
            _VALIDATORS[base] = cls
        return cls


# ------------------------------------------------------------------------------------------------ public API
def check_schema(schema: Any, where: str) -> None:
    """Raise ``invalid_argument`` unless ``schema`` is a valid, bounded JSON schema with only local references."""
    if not isinstance(schema, dict):
        raise SpellError("invalid_argument", f"{where}: schema must be a JSON schema table")
    _check_shape(schema, where)
    base = jsonschema.validators.validator_for(schema)
    try:
        with _bounded_work():
            base.check_schema(schema)
    except jsonschema.SchemaError as e:
        raise SpellError("invalid_argument", f"{where}: invalid JSON schema: {_clip(e.message)}") from None
    except _OverBudget as e:
        raise SpellError("limit_exceeded", f"{where}: checking the schema took too long ({e})") from None


def problem_with(value: Any, schema: dict[str, Any], where: str) -> str | None:
    """A one-line description of the first violation of ``schema`` by ``value``, or None when it is valid.

    ``schema`` must have passed :func:`check_schema`. Raises ``limit_exceeded`` when the instance is too large
    or validating it takes too much work, ``invalid_argument`` when a local reference does not resolve."""
    nodes = _count_nodes(value, MAX_INSTANCE_NODES)
    if nodes > MAX_INSTANCE_NODES:
        raise SpellError(
            "limit_exceeded",
            f"{where}: the value has more than {MAX_INSTANCE_NODES} elements, too many to check against a schema",
        )
    validator = _bounded_validator(jsonschema.validators.validator_for(schema))(schema, registry=_NO_RETRIEVAL)
    try:
        with _bounded_work():
            error = jsonschema.exceptions.best_match(validator.iter_errors(value))
    except _OverBudget as e:
        raise SpellError(
            "limit_exceeded", f"{where}: checking the value against its schema took too long ({e})"
        ) from None
    except (referencing.exceptions.Unresolvable, jsonschema.exceptions.FormatError, RecursionError, regex.error) as e:
        log.info("schema of %s cannot be used: %r", where, e)
        raise SpellError("invalid_argument", f"{where}: the schema cannot be used ({_reason(e)})") from None
    if error is None:
        return None
    return f"at {error.json_path}: {_clip(error.message, MAX_MESSAGE_CHARS)}"


class _bounded_work:
    """Context: keyword evaluations on this thread count against :data:`MAX_STEPS` and :data:`MAX_SECONDS`."""

    def __enter__(self) -> None:
        self.outer = _budget.active
        if not self.outer:
            _budget.active, _budget.steps, _budget.deadline = True, 0, time.monotonic() + MAX_SECONDS

    def __exit__(self, *exc: object) -> None:
        if not self.outer:
            _budget.active = False


def _reason(e: Exception) -> str:
    if isinstance(e, referencing.exceptions.Unresolvable):
        return f"the reference {_clip(str(getattr(e, 'ref', '')))} does not resolve inside the schema"
    if isinstance(e, RecursionError):
        return "its references loop"
    if isinstance(e, regex.error):
        return "a pattern is not a valid regular expression"
    return "a format check failed"


def _check_shape(schema: dict[str, Any], where: str) -> None:
    """Size, depth, references and patterns, before jsonschema sees the schema."""
    stack: list[tuple[Any, int]] = [(schema, 0)]
    nodes = 0
    has_unevaluated = has_pattern_props = False
    while stack:
        node, depth = stack.pop()
        nodes += 1
        if nodes > MAX_SCHEMA_NODES:
            raise SpellError("invalid_argument", f"{where}: the schema has more than {MAX_SCHEMA_NODES} elements")
        if depth > MAX_SCHEMA_DEPTH:
            raise SpellError("invalid_argument", f"{where}: the schema is nested deeper than {MAX_SCHEMA_DEPTH}")
        if isinstance(node, dict):
            for key in REF_KEYWORDS:
                ref = node.get(key)
                if isinstance(ref, str) and not ref.startswith("#"):
                    raise SpellError(
                        "invalid_argument",
                        f"{where}: the schema refers to {_clip(ref, 300)}: only references inside the "
                        'schema ("#/...") are allowed',
                    )
            pattern = node.get("pattern")
            if isinstance(pattern, str):
                _check_pattern(pattern, where)
            props = node.get("patternProperties")
            if isinstance(props, dict):
                has_pattern_props = True
                for p in props:
                    _check_pattern(p, where)
            has_unevaluated = has_unevaluated or "unevaluatedProperties" in node
            stack.extend((v, depth + 1) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node)
    if has_unevaluated and has_pattern_props:
        raise SpellError(
            "invalid_argument", f"{where}: schemas may not combine patternProperties with unevaluatedProperties"
        )


def _check_pattern(pattern: str, where: str) -> None:
    if len(pattern) > MAX_PATTERN_CHARS:
        raise SpellError("invalid_argument", f"{where}: a pattern is longer than {MAX_PATTERN_CHARS} characters")
    try:
        regex.compile(pattern)
    except regex.error:
        raise SpellError("invalid_argument", f"{where}: {_clip(pattern)} is not a valid regular expression") from None


def _count_nodes(value: Any, cap: int) -> int:
    """The number of values in ``value`` (stops counting past ``cap``)."""
    count = 0
    stack = [value]
    while stack and count <= cap:
        v = stack.pop()
        count += 1
        if isinstance(v, dict):
            stack.extend(v.values())
            count += len(v)  # the keys
        elif isinstance(v, list):
            stack.extend(v)
    return count


def _clip(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
