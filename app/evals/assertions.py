"""Assertions: promptfoo's names, each giving pass/fail, a score in [0, 1] and a one-line reason.

Any type may be negated with a ``not-`` prefix (``not-contains``, ``not-regex``...). ``weight`` (default 1) weighs
the score in the row's mean; weight 0 makes an assertion informational (it never fails the row). ``threshold``
sets the score that passes for scored types (``similar``, ``llm-rubric``, ``lua``/``javascript`` returning a
number, ``contains-all``/``icontains-all`` scored by the fraction found). String values may use ``{{field}}``
for a field of the row (``{{a.b}}`` for nested ones).

Assertions that need a sandbox or a model (``lua``, ``javascript``, ``llm-rubric``, ``similar``) ask a
:class:`Grader`; everything else is computed here. Spell-supplied data (the output) is bounded before it is
matched: regexes run with the ``regex`` package's timeout, JSON schemas resolve only local ``#/`` refs, and
documents above :data:`MAX_JSON_NODES` values are refused before validation.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

import regex

REGEX_TIMEOUT_S = 1.0
MAX_PATTERN = 2000
MAX_JSON_NODES = 100_000
MAX_REASON = 300

KNOWN_TYPES = (
    "equals",
    "contains",
    "icontains",
    "contains-any",
    "contains-all",
    "icontains-any",
    "icontains-all",
    "starts-with",
    "regex",
    "is-json",
    "json-schema",
    "lua",
    "javascript",
    "cost",
    "latency",
    "tokens",
    "llm-rubric",
    "similar",
    "tool-called",
)
_KEYS = {"type", "value", "weight", "threshold", "provider", "metric"}
_NEEDS_VALUE = set(KNOWN_TYPES) - {"is-json"}
_DEFAULT_THRESHOLD: dict[str, float] = {"similar": 0.75, "lua": 0.5, "javascript": 0.5}
_FRACTIONAL = {"contains-all", "icontains-all"}  # scored by the fraction found: ``threshold`` sets the pass mark
_TEMPLATE = re.compile(r"\{\{\s*([\w.]+)\s*\}\}")


@dataclass
class AssertionSpec:
    """One assertion of an eval file (``where`` is its ``file:line``)."""

    type: str
    value: Any = None
    negate: bool = False
    weight: float = 1.0
    threshold: float | None = None
    provider: str | None = None
    metric: str = ""
    where: str = ""

    @property
    def name(self) -> str:
        """How reports name it: the ``metric`` given, else the type and a short value."""
        if self.metric:
            return self.metric
        label = ("not-" if self.negate else "") + self.type
        if self.value is None or self.type == "json-schema" or self.type == "is-json":
            return label
        return f"{label}: {_short(self.value, 40)}"


@dataclass
class AssertionResult:
    name: str
    type: str
    passed: bool
    score: float
    reason: str
    weight: float = 1.0

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["pass"] = d.pop("passed")
        return d


@dataclass
class Observation:
    """What one finished run offers the assertions."""

    output: Any
    row: Any
    error: dict[str, Any] | None = None
    cost: float = 0.0
    latency_ms: float = 0.0
    tokens: int = 0
    tool_calls: list[dict[str, Any]] = field(default_factory=list)  # [{"name", "args"}]

    @property
    def text(self) -> str:
        return output_text(self.output)


class Grader(Protocol):
    """Sandbox and model services some assertions need (see app/evals/grading.py)."""

    def expression(self, language: str, expr: str, output: Any, row: Any) -> Any: ...
    def judge(self, model: str, rubric: str, output: str) -> dict[str, Any]: ...
    def embed(self, model: str, texts: list[str]) -> list[list[float]]: ...


class GradingError(Exception):
    """A grader could not answer (the judge failed, the expression raised): the assertion fails with this."""


def output_text(output: Any) -> str:
    if output is None:
        return ""
    if isinstance(output, str):
        return output
    return json.dumps(output, ensure_ascii=False, sort_keys=True)


def _short(value: Any, n: int = 60) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


# ------------------------------------------------------------------------------------------------ parsing
def parse_assertion(raw: Any, where: str = "") -> AssertionSpec:
    """An :class:`AssertionSpec` from its eval-file form; ``ValueError`` says what is wrong."""
    if not isinstance(raw, dict):
        raise ValueError(f"an assertion is a mapping with a 'type', not {_short(raw)!r}")  # noqa: TRY004
    unknown = sorted(str(k) for k in raw if k not in _KEYS)
    if unknown:
        raise ValueError(f"unknown assertion key(s) {', '.join(unknown)} (known: {', '.join(sorted(_KEYS))})")
    kind = raw.get("type")
    if not isinstance(kind, str):
        raise ValueError("an assertion needs a 'type'")  # noqa: TRY004 - a file error, reported with its line
    negate = kind.startswith("not-")
    base = kind[4:] if negate else kind
    if base not in KNOWN_TYPES:
        raise ValueError(f"unknown assertion type {kind!r}")
    value = raw.get("value")
    if base in _NEEDS_VALUE and value is None:
        raise ValueError(f"{kind} needs a 'value'")
    _check_value(base, value)
    weight = raw.get("weight", 1.0)
    if isinstance(weight, bool) or not isinstance(weight, (int, float)) or weight < 0:
        raise ValueError(f"'weight' must be a number ≥ 0, not {weight!r}")
    threshold = raw.get("threshold")
    if threshold is not None and (isinstance(threshold, bool) or not isinstance(threshold, (int, float))):
        raise ValueError(f"'threshold' must be a number, not {threshold!r}")
    provider = raw.get("provider")
    if provider is not None and not isinstance(provider, str):
        raise ValueError("'provider' must be a model name")
    metric = raw.get("metric") or ""
    return AssertionSpec(
        base,
        plain(value),
        negate,
        float(weight),
        None if threshold is None else float(threshold),
        provider,
        str(metric),
        where,
    )


def plain(value: Any) -> Any:
    """YAML nodes (and any mapping or list) back to plain dicts and lists: they cross process boundaries."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def _check_value(kind: str, value: Any) -> None:
    if kind in ("contains-any", "contains-all", "icontains-any", "icontains-all"):
        if not isinstance(value, list) or not value:
            raise ValueError(f"{kind} needs a non-empty list as 'value'")
    elif kind in ("cost", "latency", "tokens"):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise ValueError(f"{kind} needs a number ≥ 0 as 'value' (the maximum)")
    elif kind == "regex":
        if not isinstance(value, str):
            raise ValueError("regex needs a pattern string as 'value'")
        if len(value) > MAX_PATTERN:
            raise ValueError(f"regex pattern longer than {MAX_PATTERN} characters")
        if "{{" not in value:
            try:
                regex.compile(value)
            except regex.error as e:
                raise ValueError(f"bad regex {value!r}: {e}") from None
    elif kind == "json-schema" or (kind == "is-json" and value is not None):
        if not isinstance(value, dict):
            raise ValueError(f"{kind} needs a JSON schema (a mapping) as 'value'")
        from jsonschema import validators
        from jsonschema.exceptions import SchemaError

        try:
            validators.validator_for(value).check_schema(value)
        except SchemaError as e:
            raise ValueError(f"invalid JSON schema: {e.message}") from None
    elif kind in ("lua", "javascript", "llm-rubric"):
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"{kind} needs a non-empty string as 'value'")
    elif kind == "tool-called" and not (
        isinstance(value, str) or (isinstance(value, dict) and isinstance(value.get("name"), str))
    ):
        raise ValueError("tool-called needs a tool name, or {name: ..., args: {...}}")


# ------------------------------------------------------------------------------------------------ templates
def render(value: Any, row: Any) -> Any:
    """``{{field}}`` in strings (recursively in lists and mappings) replaced by the row's field."""
    if isinstance(value, str):
        if "{{" not in value:
            return value

        def field_of(m: re.Match[str]) -> str:
            node = row
            for part in m.group(1).split("."):
                if isinstance(node, dict) and part in node:
                    node = node[part]
                elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
                    node = node[int(part)]
                else:
                    return m.group(0) if m.group(1) != "row" else output_text(row)
            return node if isinstance(node, str) else output_text(node)

        return _TEMPLATE.sub(field_of, value)
    if isinstance(value, list):
        return [render(v, row) for v in value]
    if isinstance(value, dict):
        return {k: render(v, row) for k, v in value.items()}
    return value


# ------------------------------------------------------------------------------------------------ evaluation
def evaluate(spec: AssertionSpec, obs: Observation, grader: Grader | None) -> AssertionResult:
    """Check one assertion against one run."""
    if obs.error is not None and spec.type not in ("cost", "latency", "tokens"):
        msg = obs.error.get("message") or obs.error.get("code") or "error"
        return AssertionResult(spec.name, spec.type, False, 0.0, _one_line(f"the run failed: {msg}"), spec.weight)
    value = render(spec.value, obs.row)
    try:
        passed, score, reason = _CHECKS[spec.type](spec, value, obs, grader)
    except GradingError as e:
        return AssertionResult(spec.name, spec.type, False, 0.0, _one_line(str(e)), spec.weight)
    if spec.negate:
        passed, score, reason = not passed, 1.0 - score, f"not: {reason}"
    if spec.threshold is not None and spec.type in _FRACTIONAL:
        passed = score >= spec.threshold
    return AssertionResult(spec.name, spec.type, bool(passed), round(float(score), 6), _one_line(reason), spec.weight)


def evaluate_all(
    specs: list[AssertionSpec], obs: Observation, grader: Grader | None
) -> tuple[bool, float, list[AssertionResult]]:
    """Every assertion, the row's pass (all weighted ones pass, no error) and weighted mean score."""
    results = [evaluate(s, obs, grader) for s in specs]
    counted = [r for r in results if r.weight > 0]
    total = sum(r.weight for r in counted)
    score = sum(r.weight * r.score for r in counted) / total if total else (0.0 if obs.error else 1.0)
    passed = obs.error is None and all(r.passed for r in counted)
    return passed, round(score, 6), results


def _one_line(text: str) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= MAX_REASON else text[: MAX_REASON - 1] + "…"


def _binary(ok: bool, yes: str, no: str) -> tuple[bool, float, str]:
    return ok, 1.0 if ok else 0.0, yes if ok else no


def _equals(spec: AssertionSpec, value: Any, obs: Observation, grader: Grader | None) -> tuple[bool, float, str]:
    if isinstance(value, str):
        ok = obs.text == value
    else:
        ok = obs.output == value or _parsed(obs) == value
    return _binary(ok, "output equals the expected value", f"expected {_short(value)!r}, got {_short(obs.text)!r}")


def _contains(spec: AssertionSpec, value: Any, obs: Observation, grader: Grader | None) -> tuple[bool, float, str]:
    needle = output_text(value)
    return _binary(
        needle in obs.text, f"output contains {_short(needle)!r}", f"output does not contain {_short(needle)!r}"
    )


def _icontains(spec: AssertionSpec, value: Any, obs: Observation, grader: Grader | None) -> tuple[bool, float, str]:
    needle = output_text(value)
    return _binary(
        needle.lower() in obs.text.lower(),
        f"output contains {_short(needle)!r} (any case)",
        f"output does not contain {_short(needle)!r} (any case)",
    )


def _contains_some(spec: AssertionSpec, value: Any, obs: Observation, grader: Grader | None) -> tuple[bool, float, str]:
    fold = spec.type.startswith("i")
    text = obs.text.lower() if fold else obs.text
    needles = [output_text(v) for v in value]
    found = [n for n in needles if (n.lower() if fold else n) in text]
    missing = [n for n in needles if n not in found]
    if spec.type.endswith("-any"):
        return (
            bool(found),
            1.0 if found else 0.0,
            f"output contains {_short(found[0])!r}" if found else f"output contains none of {_short(needles)}",
        )
    score = len(found) / len(needles)
    return (not missing, score, "output contains all of them" if not missing else f"output lacks {_short(missing)}")


def _starts_with(spec: AssertionSpec, value: Any, obs: Observation, grader: Grader | None) -> tuple[bool, float, str]:
    prefix = output_text(value)
    return _binary(
        obs.text.startswith(prefix),
        f"output starts with {_short(prefix)!r}",
        f"output starts with {_short(obs.text[: len(prefix) + 10])!r}, not {_short(prefix)!r}",
    )


def _regex(spec: AssertionSpec, value: Any, obs: Observation, grader: Grader | None) -> tuple[bool, float, str]:
    try:
        m = regex.search(value, obs.text, timeout=REGEX_TIMEOUT_S)
    except TimeoutError:
        raise GradingError(f"regex {_short(value)!r} took longer than {REGEX_TIMEOUT_S:g} s") from None
    except regex.error as e:
        raise GradingError(f"bad regex {_short(value)!r}: {e}") from None
    return _binary(
        m is not None, f"regex matches {_short(m.group(0) if m else '')!r}", f"regex {_short(value)!r} does not match"
    )


def _parsed(obs: Observation) -> Any:
    if isinstance(obs.output, (dict, list)):
        return obs.output
    try:
        return json.loads(obs.text)
    except ValueError:
        return _NOT_JSON


_NOT_JSON = object()


def _is_json(spec: AssertionSpec, value: Any, obs: Observation, grader: Grader | None) -> tuple[bool, float, str]:
    doc = _parsed(obs)
    if doc is _NOT_JSON:
        return False, 0.0, f"output is not JSON: {_short(obs.text)!r}"
    if value is None:
        return True, 1.0, "output is JSON"
    return _json_schema(spec, value, obs, grader)


def _json_schema(spec: AssertionSpec, value: Any, obs: Observation, grader: Grader | None) -> tuple[bool, float, str]:
    doc = _parsed(obs)
    if doc is _NOT_JSON:
        return False, 0.0, f"output is not JSON: {_short(obs.text)!r}"
    if _count_nodes(doc, MAX_JSON_NODES) > MAX_JSON_NODES:
        return False, 0.0, f"output has more than {MAX_JSON_NODES} JSON values; not validated"
    from jsonschema import validators
    from jsonschema.exceptions import SchemaError
    from referencing import Registry
    from referencing.exceptions import Unresolvable

    cls = validators.validator_for(value)
    validator = cls(value, registry=Registry())  # resolves only refs inside the schema; retrieves nothing
    try:
        errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
    except (Unresolvable, SchemaError) as e:  # a $ref outside the schema: the schema's fault, the reason
        raise GradingError(f"the schema cannot be used: {type(e).__name__}: {e}") from None
    if not errors:
        return True, 1.0, "output matches the schema"
    first = errors[0]
    where = "/".join(str(p) for p in first.path) or "(root)"
    return False, 0.0, f"{where}: {first.message}" + (f" (+{len(errors) - 1} more)" if len(errors) > 1 else "")


def _count_nodes(doc: Any, limit: int) -> int:
    count, stack = 0, [doc]
    while stack and count <= limit:
        node = stack.pop()
        count += 1
        if isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return count


def _expression(spec: AssertionSpec, value: Any, obs: Observation, grader: Grader | None) -> tuple[bool, float, str]:
    if grader is None:
        raise GradingError(f"{spec.type} assertions need the sandbox (no grader)")
    result = grader.expression("lua" if spec.type == "lua" else "js", value, obs.output, obs.row)
    threshold = spec.threshold if spec.threshold is not None else _DEFAULT_THRESHOLD[spec.type]
    if isinstance(result, bool):
        return _binary(result, f"{_short(value)} is true", f"{_short(value)} is false")
    if isinstance(result, (int, float)) and math.isfinite(result):
        score = min(1.0, max(0.0, float(result)))
        return score >= threshold, score, f"{_short(value)} = {result:g} (threshold {threshold:g})"
    if isinstance(result, dict) and "pass" in result:
        ok = bool(result["pass"])
        given = result.get("score")
        score = float(given) if isinstance(given, (int, float)) else (1.0 if ok else 0.0)
        return ok, min(1.0, max(0.0, score)), str(result.get("reason") or f"{_short(value)} returned pass={ok}")
    if isinstance(result, str):
        return False, 0.0, result
    return False, 0.0, f"{_short(value)} returned {_short(result)} (expected true/false, a number or {{pass, score}})"


def _limit(label: str, unit: str, actual: float, value: float) -> tuple[bool, float, str]:
    ok = actual <= value
    return ok, 1.0 if ok else 0.0, f"{label} {actual:g}{unit} {'≤' if ok else '>'} {value:g}{unit}"


def _cost(spec: AssertionSpec, value: Any, obs: Observation, grader: Grader | None) -> tuple[bool, float, str]:
    return _limit("cost", " USD", round(obs.cost, 8), float(value))


def _latency(spec: AssertionSpec, value: Any, obs: Observation, grader: Grader | None) -> tuple[bool, float, str]:
    return _limit("latency", " ms", round(obs.latency_ms, 1), float(value))


def _tokens(spec: AssertionSpec, value: Any, obs: Observation, grader: Grader | None) -> tuple[bool, float, str]:
    return _limit("tokens", "", obs.tokens, float(value))


def _rubric(spec: AssertionSpec, value: Any, obs: Observation, grader: Grader | None) -> tuple[bool, float, str]:
    if grader is None or not spec.provider:
        raise GradingError("llm-rubric needs a judge model")
    grade = grader.judge(spec.provider, str(value), obs.text)
    score = float(grade.get("score", 1.0 if grade.get("pass") else 0.0))
    ok = bool(grade.get("pass")) if spec.threshold is None else score >= spec.threshold
    return ok, min(1.0, max(0.0, score)), f"judge: {grade.get('reason') or ('pass' if ok else 'fail')}"


def _similar(spec: AssertionSpec, value: Any, obs: Observation, grader: Grader | None) -> tuple[bool, float, str]:
    if grader is None or not spec.provider:
        raise GradingError("similar needs an embedding model")
    a, b = grader.embed(spec.provider, [obs.text, output_text(value)])
    cos = cosine(a, b)
    threshold = spec.threshold if spec.threshold is not None else _DEFAULT_THRESHOLD["similar"]
    return cos >= threshold, max(0.0, cos), f"cosine similarity {cos:.3f} (threshold {threshold:g})"


def cosine(a: list[float], b: list[float]) -> float:
    if len(a) != len(b) or not a:
        raise GradingError(f"embeddings of different sizes ({len(a)} and {len(b)})")
    dot = sum(x * y for x, y in zip(a, b))
    na = math.sqrt(sum(x * x for x in a))
    nb = math.sqrt(sum(y * y for y in b))
    return dot / (na * nb) if na and nb else 0.0


def _tool_called(spec: AssertionSpec, value: Any, obs: Observation, grader: Grader | None) -> tuple[bool, float, str]:
    name = value if isinstance(value, str) else value["name"]
    want = {} if isinstance(value, str) else dict(value.get("args") or {})
    calls = [c for c in obs.tool_calls if c.get("name") == name]
    if not calls:
        called = sorted({str(c.get("name")) for c in obs.tool_calls})
        return (
            False,
            0.0,
            f"{name} was not called" + (f" (called: {', '.join(called)})" if called else " (no tool calls)"),
        )
    for c in calls:
        args = c.get("args")
        if not isinstance(args, dict):
            args = {}
        if all(k in args and args[k] == v for k, v in want.items()):
            return True, 1.0, f"{name} called" + (f" with {_short(want)}" if want else "")
    return False, 0.0, f"{name} called, but never with {_short(want)} (got {_short(calls[0].get('args'))})"


_CHECKS: dict[str, Any] = {
    "equals": _equals,
    "contains": _contains,
    "icontains": _icontains,
    "contains-any": _contains_some,
    "contains-all": _contains_some,
    "icontains-any": _contains_some,
    "icontains-all": _contains_some,
    "starts-with": _starts_with,
    "regex": _regex,
    "is-json": _is_json,
    "json-schema": _json_schema,
    "lua": _expression,
    "javascript": _expression,
    "cost": _cost,
    "latency": _latency,
    "tokens": _tokens,
    "llm-rubric": _rubric,
    "similar": _similar,
    "tool-called": _tool_called,
}
