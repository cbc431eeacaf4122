"""Eval files: the format, datasets, and errors that name the file and line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.evals.spec import EvalFileError, load_eval


def write(tmp_path: Path, name: str, text: str) -> str:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return str(p)


@pytest.fixture
def spell(tmp_path: Path) -> str:
    return write(tmp_path, "s.lua", "return INPUT\n")


def test_inline_rows_vars_models_and_row_assertions(tmp_path: Path, spell: str) -> None:
    path = write(
        tmp_path,
        "a.eval.yaml",
        """\
spell: s.lua
rows:
  - {q: one, expected: "1"}
  - q: two
    expected: "2"
    assert:
      - type: contains
        value: two
vars: {question: q}
models: [offline/a, {id: offline/b, label: B}]
assert:
  - type: icontains
    value: "{{expected}}"
    weight: 2
threshold: 0.5
concurrency: 3
repeat: 2
timeout: 5
""",
    )
    spec = load_eval(path)
    assert [r.inputs for r in spec.rows] == [{"question": "one"}, {"question": "two"}]
    assert [(m.id, m.label) for m in spec.models] == [("offline/a", "offline/a"), ("offline/b", "B")]
    assert spec.threshold == 0.5 and spec.concurrency == 3 and spec.repeat == 2 and spec.timeout == 5
    assert [a.type for a in spec.assertions_for(spec.rows[1])] == ["icontains", "contains"]
    assert spec.asserts[0].weight == 2 and spec.asserts[0].where.endswith("a.eval.yaml:12")
    assert spec.rows[1].asserts[0].where.endswith("a.eval.yaml:7")
    assert "assert" not in spec.rows[1].data


def test_jsonl_and_csv_datasets(tmp_path: Path, spell: str) -> None:
    write(
        tmp_path,
        "d.jsonl",
        json.dumps({"x": 1}) + "\n\n" + json.dumps({"x": 2, "assert": [{"type": "equals", "value": "2"}]}) + "\n",
    )
    write(tmp_path, "d.csv", "x,y\n1,a\n2,b\n")
    spec = load_eval(write(tmp_path, "j.eval.yaml", "spell: s.lua\ndataset: d.jsonl\nassert: [{type: is-json}]\n"))
    assert [r.inputs for r in spec.rows] == [{"x": 1}, {"x": 2}]
    assert spec.rows[1].where.endswith("d.jsonl:3") and spec.rows[1].asserts[0].type == "equals"
    spec = load_eval(
        write(
            tmp_path,
            "c.eval.json",
            json.dumps({"spell": "s.lua", "dataset": "d.csv", "assert": [{"type": "contains", "value": "a"}]}),
        )
    )
    assert [r.inputs for r in spec.rows] == [{"x": "1", "y": "a"}, {"x": "2", "y": "b"}]
    assert spec.models[0].id == "offline/echo"


def test_default_providers_of_model_assertions(tmp_path: Path, spell: str) -> None:
    spec = load_eval(
        write(
            tmp_path,
            "m.eval.yaml",
            """\
spell: s.lua
rows: [{a: 1}]
judge: offline/strict-judge
assert:
  - {type: llm-rubric, value: polite}
  - {type: similar, value: hello}
  - {type: llm-rubric, value: x, provider: offline/other}
""",
        )
    )
    assert [a.provider for a in spec.asserts] == ["offline/strict-judge", "offline/embed", "offline/other"]


@pytest.mark.parametrize(
    "text, where, message",
    [
        ("spell: s.lua\nrows: [{a: 1}]\nassert:\n  - {type: containz, value: x}\n", ":4:", "unknown assertion type"),
        ("spell: s.lua\nrows: [{a: 1}]\nassert:\n  - {type: contains}\n", ":4:", "contains needs a 'value'"),
        ("spell: s.lua\nrows: [{a: 1}]\nassert:\n  - type: regex\n    value: '(unclosed'\n", ":4:", "bad regex"),
        (
            "spell: s.lua\nrows: [{a: 1}]\nassert:\n  - {type: json-schema, value: {type: 12}}\n",
            ":4:",
            "invalid JSON schema",
        ),
        (
            "spell: s.lua\nrows: [{a: 1}]\nassert: [{type: contains, value: x}]\nthreshold: 2\n",
            ":1:",
            "between 0 and 1",
        ),
        ("spell: nope.lua\nrows: [{a: 1}]\nassert: [{type: is-json}]\n", ":1:", "spell nope.lua not found"),
        ("spell: s.lua\nrows: [{a: 1}]\n", ":1:", "no assertions"),
        (
            "spell: s.lua\nrows: [{a: 1}]\nassert: [{type: is-json}]\nconcurency: 3\n",
            ":1:",
            "unknown key(s) concurency",
        ),
        ("spell: s.lua\nrows: [{a: 1}\nassert: []\n", ":3:", "invalid YAML"),
        ("spell: s.lua\nrows: [{a: 1}]\nvars: {q: missing}\nassert: [{type: is-json}]\n", ":2:", "no field(s) missing"),
        ("spell: s.lua\nrows: [{a: 1}]\nmodels: [x, x]\nassert: [{type: is-json}]\n", ":3:", "appear twice"),
    ],
)
def test_bad_files_name_file_and_line(tmp_path: Path, spell: str, text: str, where: str, message: str) -> None:
    path = write(tmp_path, "bad.eval.yaml", text)
    with pytest.raises(EvalFileError) as e:
        load_eval(path)
    assert str(e.value).startswith(path + where), str(e.value)
    assert message in str(e.value)


def test_bad_dataset_lines(tmp_path: Path, spell: str) -> None:
    write(tmp_path, "d.jsonl", '{"a": 1}\n{"a": \n')
    path = write(tmp_path, "e.eval.yaml", "spell: s.lua\ndataset: d.jsonl\nassert: [{type: is-json}]\n")
    with pytest.raises(EvalFileError, match=r"d\.jsonl:2: invalid JSON"):
        load_eval(path)
    write(tmp_path, "d.csv", "a,b\n1,2,3\n")
    path = write(tmp_path, "f.eval.yaml", "spell: s.lua\ndataset: d.csv\nassert: [{type: is-json}]\n")
    with pytest.raises(EvalFileError, match=r"d\.csv:2: more cells"):
        load_eval(path)
    with pytest.raises(EvalFileError, match="no such file"):
        load_eval(str(tmp_path / "missing.eval.yaml"))
