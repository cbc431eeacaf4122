"""Eval files (``*.eval.yaml`` / ``*.eval.json``): which spell, which rows, which models, which assertions.

Format (keys, all but ``spell`` and one of ``dataset``/``rows`` optional)::

    spell: answer.lua                # relative to the eval file
    dataset: questions.jsonl         # .jsonl (one JSON object a line) or .csv (header row); or inline:
    rows: [{question: "2+2?", expected: "4"}]
    vars: {q: question}              # INPUT = {q: row.question}; without vars INPUT is the row itself
    models: [offline/echo, openai/gpt-4o-mini]   # each row runs once per model (default: the default model)
    assert:                          # applied to every row; a row may add its own under "assert"
      - type: icontains
        value: "{{expected}}"        # {{field}} is the row's field
        weight: 2
    threshold: 0.9                   # pass rate each model must reach for the eval to pass (default 1.0)
    concurrency: 4                   # runs at once
    repeat: 1                        # runs per row and model
    timeout: 60                      # seconds per run
    judge: offline/judge             # model of llm-rubric assertions that name no provider
    embedding_model: offline/embed   # model of similar assertions that name no provider

Errors are :class:`EvalFileError` naming the file and line.
"""

from __future__ import annotations

import csv
import json
import os
from dataclasses import dataclass, field
from typing import Any

import yaml

from app.evals.assertions import KNOWN_TYPES, AssertionSpec, parse_assertion, plain

MAX_ROWS = 1_000_000
KNOWN_KEYS = {
    "spell",
    "dataset",
    "rows",
    "vars",
    "models",
    "assert",
    "threshold",
    "concurrency",
    "repeat",
    "timeout",
    "judge",
    "embedding_model",
    "description",
    "profile",
}
DEFAULT_JUDGE = "offline/judge"
DEFAULT_EMBEDDING = "offline/embed"


class EvalFileError(ValueError):
    """A bad eval file or dataset: the message starts with ``file:line:``."""


@dataclass
class Row:
    """One dataset row: its index (0-based, in dataset order), data, the spell's INPUT and its own assertions."""

    index: int
    data: Any
    inputs: Any
    asserts: list[AssertionSpec] = field(default_factory=list)
    where: str = ""


@dataclass
class ModelSpec:
    """A model of the matrix: litellm name and the label shown in reports (the name unless given)."""

    id: str
    label: str


@dataclass
class EvalSpec:
    path: str
    spell: str
    rows: list[Row]
    models: list[ModelSpec]
    asserts: list[AssertionSpec]
    threshold: float = 1.0
    concurrency: int = 4
    repeat: int = 1
    timeout: float | None = None
    judge: str = DEFAULT_JUDGE
    embedding_model: str = DEFAULT_EMBEDDING
    profile: str = "standard"
    description: str = ""

    def assertions_for(self, row: Row) -> list[AssertionSpec]:
        return self.asserts + row.asserts


# --------------------------------------------------------------------------------------------- YAML with lines
class _Mapping(dict[str, Any]):
    line = 0


class _List(list[Any]):
    line = 0


class _LineLoader(yaml.SafeLoader):
    """A safe loader whose mappings and lists know their line (1-based)."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> _Mapping:
    m = _Mapping(loader.construct_mapping(node, deep=True))
    m.line = node.start_mark.line + 1
    return m


def _construct_seq(loader: _LineLoader, node: yaml.SequenceNode) -> _List:
    seq = _List(loader.construct_sequence(node, deep=True))
    seq.line = node.start_mark.line + 1
    return seq


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_seq)


def _line(value: Any, default: int = 1) -> int:
    return int(getattr(value, "line", 0) or default)


# ------------------------------------------------------------------------------------------------ loading
def load_eval(path: str, models: list[str] | None = None, default_model: str = "offline/echo") -> EvalSpec:
    """Read and check an eval file. ``models`` (from the command line) replace the file's list."""
    try:
        with open(path, "rb") as f:
            text = f.read().decode("utf-8")
    except FileNotFoundError:
        raise EvalFileError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise EvalFileError(f"{path}: is a folder, not an eval file") from None
    except UnicodeDecodeError as e:
        raise EvalFileError(f"{path}:1: not UTF-8 text ({e.reason} at byte {e.start})") from None
    except OSError as e:
        raise EvalFileError(f"{path}: {e.strerror or e}") from None
    if path.endswith(".json"):
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as e:
            raise EvalFileError(f"{path}:{e.lineno}: invalid JSON: {e.msg} (column {e.colno})") from None
    else:
        try:
            doc = yaml.load(text, Loader=_LineLoader)
        except yaml.MarkedYAMLError as e:
            mark = e.problem_mark or e.context_mark
            line = mark.line + 1 if mark is not None else 1
            raise EvalFileError(f"{path}:{line}: invalid YAML: {e.problem or e.context}") from None
        except yaml.YAMLError as e:
            raise EvalFileError(f"{path}: invalid YAML: {e}") from None
    if not isinstance(doc, dict):
        raise EvalFileError(f"{path}:1: an eval file is a mapping with at least 'spell' and 'dataset' or 'rows'")
    return _parse(path, doc, models, default_model)


def _parse(path: str, doc: dict[str, Any], cli_models: list[str] | None, default_model: str) -> EvalSpec:
    base = os.path.dirname(os.path.abspath(path))

    def err(value: Any, message: str) -> EvalFileError:
        return EvalFileError(f"{path}:{_line(value, _line(doc))}: {message}")

    unknown = sorted(k for k in doc if k not in KNOWN_KEYS)
    if unknown:
        raise err(doc, f"unknown key(s) {', '.join(map(str, unknown))} (known: {', '.join(sorted(KNOWN_KEYS))})")
    spell = doc.get("spell")
    if not isinstance(spell, str) or not spell.strip():
        raise err(doc, "'spell' must name the spell file (relative to the eval file)")
    spell_path = os.path.normpath(os.path.join(base, spell))
    if not os.path.isfile(spell_path):
        raise err(doc, f"spell {spell} not found (looked for {spell_path})")

    threshold = _number(doc, "threshold", 1.0, err, 0.0, 1.0)
    concurrency = int(_number(doc, "concurrency", 4, err, 1, 256, integer=True))
    repeat = int(_number(doc, "repeat", 1, err, 1, 1000, integer=True))
    timeout = _number(doc, "timeout", None, err, 0.001, 86400.0)
    judge = _string(doc, "judge", DEFAULT_JUDGE, err)
    embedding_model = _string(doc, "embedding_model", DEFAULT_EMBEDDING, err)
    profile = _string(doc, "profile", "standard", err)
    description = _string(doc, "description", "", err)

    models = _models(doc.get("models"), cli_models, default_model, err)
    asserts = _assertions(doc.get("assert"), f"{path}:{_line(doc)}", err, "assert")
    vars_map = doc.get("vars")
    if vars_map is not None and (
        not isinstance(vars_map, dict) or not all(isinstance(v, str) for v in vars_map.values())
    ):
        raise err(vars_map, "'vars' maps INPUT names to row fields, e.g. {question: q}")

    if ("dataset" in doc) == ("rows" in doc):
        raise err(doc, "give either 'dataset' (a .jsonl or .csv file) or inline 'rows', not both or neither")
    if "rows" in doc:
        raw = doc["rows"]
        if not isinstance(raw, list):
            raise err(raw, "'rows' must be a list")
        items = [(item, f"{path}:{_line(item, _line(raw))}") for item in raw]
    else:
        dataset = doc["dataset"]
        if not isinstance(dataset, str):
            raise err(doc, "'dataset' must be a path to a .jsonl or .csv file")
        items = read_dataset(os.path.normpath(os.path.join(base, dataset)))
    if not items:
        raise err(doc, "the dataset has no rows")

    rows = []
    for index, (data, where) in enumerate(items):
        own: list[AssertionSpec] = []
        if isinstance(data, dict) and "assert" in data:
            data = dict(data)
            own = _assertions(data.pop("assert"), where, lambda v, m, w=where: EvalFileError(f"{w}: {m}"), "row assert")
        rows.append(Row(index, data, _inputs(data, vars_map, where), own, where))
    for a in asserts + [a for r in rows for a in r.asserts]:
        if a.provider is None and a.type == "llm-rubric":
            a.provider = judge
        elif a.provider is None and a.type == "similar":
            a.provider = embedding_model
    if not asserts and not any(r.asserts for r in rows):
        raise err(doc, "no assertions: add an 'assert' list (e.g. - type: contains, value: ...)")
    return EvalSpec(
        path=os.path.abspath(path),
        spell=spell_path,
        rows=rows,
        models=models,
        asserts=asserts,
        threshold=float(threshold),
        concurrency=concurrency,
        repeat=repeat,
        timeout=None if timeout is None else float(timeout),
        judge=judge,
        embedding_model=embedding_model,
        profile=profile,
        description=description,
    )


def _number(doc: dict[str, Any], key: str, default: Any, err: Any, lo: float, hi: float, integer: bool = False) -> Any:
    value = doc.get(key, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (integer and not isinstance(value, int)):
        raise err(doc, f"'{key}' must be {'an integer' if integer else 'a number'}, not {value!r}")
    if not lo <= value <= hi:
        raise err(doc, f"'{key}' must be between {lo:g} and {hi:g}, not {value}")
    return value


def _string(doc: dict[str, Any], key: str, default: str, err: Any) -> str:
    value = doc.get(key, default)
    if not isinstance(value, str):
        raise err(doc, f"'{key}' must be a string")
    return value


def _models(raw: Any, cli: list[str] | None, default_model: str, err: Any) -> list[ModelSpec]:
    if cli:
        return [ModelSpec(m, m) for m in cli]
    if raw is None:
        return [ModelSpec(default_model, default_model)]
    items = raw if isinstance(raw, list) else [raw]
    out: list[ModelSpec] = []
    for m in items:
        if isinstance(m, str) and m.strip():
            out.append(ModelSpec(m.strip(), m.strip()))
        elif isinstance(m, dict) and isinstance(m.get("id"), str):
            out.append(ModelSpec(m["id"], str(m.get("label") or m["id"])))
        else:
            raise err(
                m if hasattr(m, "line") else raw, f"a model is a name like offline/echo or {{id, label}}, not {m!r}"
            )
    labels = [m.label for m in out]
    dupes = sorted({x for x in labels if labels.count(x) > 1})
    if dupes:
        raise err(raw, f"model label(s) {', '.join(dupes)} appear twice (give each a distinct label)")
    if not out:
        raise err(raw, "'models' is empty")
    return out


def _assertions(raw: Any, where_default: str, err: Any, what: str) -> list[AssertionSpec]:
    """``where_default`` (``file:line``) names assertions without a line of their own (JSON, JSONL rows)."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise err(raw, f"'{what}' must be a list of assertions")
    path = where_default.rsplit(":", 1)[0]
    out = []
    for item in raw:
        line = _line(item, 0) or _line(raw, 0)
        where = f"{path}:{line}" if line else where_default
        try:
            out.append(parse_assertion(item, where))
        except ValueError as e:
            raise EvalFileError(f"{where}: {e} (known types: {', '.join(KNOWN_TYPES)})") from None
    return out


def _inputs(data: Any, vars_map: dict[str, str] | None, where: str) -> Any:
    if vars_map is None:
        return plain(data)
    if not isinstance(data, dict):
        raise EvalFileError(f"{where}: 'vars' picks fields, so each row must be an object")
    missing = [f for f in vars_map.values() if f not in data]
    if missing:
        raise EvalFileError(f"{where}: the row has no field(s) {', '.join(missing)} named in 'vars'")
    return {name: plain(data[f]) for name, f in vars_map.items()}


def read_dataset(path: str) -> list[tuple[Any, str]]:
    """The rows of a .jsonl or .csv file, each with its ``file:line``."""
    ext = os.path.splitext(path)[1].lower()
    if ext not in (".jsonl", ".csv"):
        raise EvalFileError(f"{path}: a dataset is a .jsonl or .csv file")
    try:
        f = open(path, encoding="utf-8", newline="")  # noqa: SIM115 - closed by the ``with`` below
    except FileNotFoundError:
        raise EvalFileError(f"{path}: dataset not found") from None
    except OSError as e:
        raise EvalFileError(f"{path}: {e.strerror or e}") from None
    rows: list[tuple[Any, str]] = []
    try:
        with f:
            if ext == ".jsonl":
                for n, line in enumerate(f, 1):
                    if not line.strip():
                        continue
                    try:
                        rows.append((json.loads(line), f"{path}:{n}"))
                    except json.JSONDecodeError as e:
                        raise EvalFileError(f"{path}:{n}: invalid JSON: {e.msg} (column {e.colno})") from None
                    if len(rows) > MAX_ROWS:
                        raise EvalFileError(f"{path}:{n}: more than {MAX_ROWS} rows")
            else:
                reader = csv.DictReader(f)
                if not reader.fieldnames:
                    raise EvalFileError(f"{path}:1: a CSV dataset needs a header row")
                for record in reader:
                    if None in record:
                        raise EvalFileError(f"{path}:{reader.line_num}: more cells than header columns")
                    rows.append((dict(record), f"{path}:{reader.line_num}"))
                    if len(rows) > MAX_ROWS:
                        raise EvalFileError(f"{path}:{reader.line_num}: more than {MAX_ROWS} rows")
    except UnicodeDecodeError as e:
        raise EvalFileError(f"{path}: not UTF-8 text ({e.reason} at byte {e.start})") from None
    except csv.Error as e:
        raise EvalFileError(f"{path}: invalid CSV: {e}") from None
    return rows
