"""Running evals locally: results as they finish, resume after an interruption, replay from cassettes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from app.evals.executors import LocalExecutor
from app.evals.results import cassette_dir, read_results
from app.evals.rowrun import RowRunner
from app.evals.session import EvalOptions, EvalRun, spell_spec
from app.evals.spec import EvalSpec, load_eval

SPELL = """\
local answer = LLM.complete("Capital of " .. INPUT.country .. "?")
if INPUT.country == "Nowhere" then error("no such country") end
return answer
"""

EVAL = """\
spell: capital.lua
rows:
  - {country: France}
  - {country: Spain}
  - {country: Nowhere}
  - {country: Peru}
models: [offline/echo, offline/other]
concurrency: 2
assert:
  - {type: icontains, value: "{{country}}"}
  - {type: llm-rubric, value: 'mentions "capital"'}
  - {type: lua, value: "#output < 100"}
"""


@pytest.fixture
def eval_file(tmp_path: Path) -> str:
    (tmp_path / "capital.lua").write_text(SPELL, encoding="utf-8")
    (tmp_path / "capital.eval.yaml").write_text(EVAL, encoding="utf-8")
    return str(tmp_path / "capital.eval.yaml")


def run(spec: EvalSpec, runner: Any, out: str, **kw: Any) -> tuple[EvalRun, list[dict[str, Any]]]:
    on_record = kw.pop("on_record", None)
    options = EvalOptions(out=out, **kw)
    executor = LocalExecutor(spell_spec(spec, {}), spec.concurrency, RowRunner(spell_spec(spec, {}), runner))
    ev = EvalRun(spec, options, on_record, executor=executor)
    return ev, ev.run()


def test_every_row_and_model_scored_and_written(eval_file: str, runner: Any, tmp_path: Path) -> None:
    spec = load_eval(eval_file)
    out = str(tmp_path / "r.jsonl")
    _, records = run(spec, runner, out)
    assert [(r["row"], r["model"]) for r in records] == [
        (i, m) for i in range(4) for m in ("offline/echo", "offline/other")
    ]
    first = records[0]
    assert first["pass"] and first["output"] == "Echo: Capital of France?" and first["score"] == 1.0
    assert [a["reason"] for a in first["assertions"]] == [
        "output contains 'France' (any case)",
        "judge: mentions capital",
        "#output < 100 is true",
    ]
    failed = records[4]
    assert not failed["pass"] and failed["error"]["code"] and "no such country" in failed["error"]["message"]
    assert {"input", "tokens", "cost", "latency_ms", "cassette", "repeat"} <= set(first)
    assert first["tokens"] > 0 and first["latency_ms"] > 0
    assert sorted(read_results(out), key=lambda r: (r["row"], r["model"])) == records
    # each row's cassette holds the spell's exchange and the judge's
    tape = Path(cassette_dir(out), first["cassette"]).read_text(encoding="utf-8").splitlines()
    kinds = [json.loads(line)["request"]["model"] for line in tape[1:]]
    assert kinds == ["offline/echo", "offline/judge"]


def test_interrupted_then_resumed_loses_and_duplicates_nothing(eval_file: str, runner: Any, tmp_path: Path) -> None:
    spec = load_eval(eval_file)
    out = str(tmp_path / "r.jsonl")
    holder: dict[str, EvalRun] = {}

    def stop_after_three(record: dict[str, Any], progress: Any) -> None:
        if progress.done == 3:
            holder["run"].cancel()

    options = EvalOptions(out=out)
    ev = EvalRun(
        spec,
        options,
        stop_after_three,
        executor=LocalExecutor(spell_spec(spec, {}), 2, RowRunner(spell_spec(spec, {}), runner)),
    )
    holder["run"] = ev
    partial = ev.run()
    assert 3 <= len(partial) < 8  # in-flight runs finish and are kept
    with open(out, "a", encoding="utf-8") as f:  # a crash mid-write leaves half a line
        f.write('{"row": 3, "model": "offline/echo", "pa')
    kept = {(r["row"], r["model"]) for r in read_results(out)}
    _, records = run(spec, runner, out, resume=True)
    assert len(records) == 8
    lines = Path(out).read_text(encoding="utf-8").splitlines()
    keys = [(json.loads(x)["row"], json.loads(x)["model"]) for x in lines]
    assert len(keys) == 8 and len(set(keys)) == 8  # the half line was cut, nothing ran twice
    assert kept <= set(keys)


def test_replay_rescoring_calls_no_model(eval_file: str, runner: Any, tmp_path: Path) -> None:
    spec = load_eval(eval_file)
    out = str(tmp_path / "r.jsonl")
    _, records = run(spec, runner, out)
    # Doctor one recorded answer: a replay must return it (the model would say "Echo: ...").
    tape = Path(cassette_dir(out), records[0]["cassette"])
    lines = tape.read_text(encoding="utf-8").splitlines()
    entry = json.loads(lines[1])
    entry["response"]["content"] = "Paris is the capital of France"
    lines[1] = json.dumps(entry)
    tape.write_text("\n".join(lines) + "\n", encoding="utf-8")
    changed = load_eval(eval_file)
    changed.asserts[1].value = 'says "Paris"'  # a changed rubric: the judge is asked anew (offline)
    new_out = str(tmp_path / "replayed.jsonl")
    _, again = run(changed, runner, new_out, replay_from=out)
    assert again[0]["output"] == "Paris is the capital of France"
    assert again[0]["assertions"][1]["reason"] == "judge: mentions Paris"
    assert again[1]["output"] == records[1]["output"]
    assert [r["output"] for r in again[2:]] == [r["output"] for r in records[2:]]
    assert not again[2]["pass"] and "misses Paris" in again[2]["assertions"][1]["reason"]


def test_replay_of_a_run_that_called_no_model_refuses_new_calls(tmp_path: Path, runner: Any) -> None:
    (tmp_path / "s.lua").write_text("if INPUT.call then return LLM.complete('hi') end return 'quiet'\n")
    (tmp_path / "e.eval.yaml").write_text(
        "spell: s.lua\nrows: [{call: false}]\nassert: [{type: contains, value: quiet}]\n"
    )
    spec = load_eval(str(tmp_path / "e.eval.yaml"))
    out = str(tmp_path / "r.jsonl")
    _, records = run(spec, runner, out)
    assert records[0]["pass"] and records[0]["cassette"] is None
    spec.rows[0].inputs = {"call": True}
    Path(cassette_dir(out)).mkdir(exist_ok=True)
    _, again = run(spec, runner, str(tmp_path / "r2.jsonl"), replay_from=out)
    assert again[0]["error"] and "cassette" in again[0]["error"]["message"]


def test_resume_ignores_records_of_models_no_longer_in_the_eval(tmp_path: Path, runner: Any) -> None:
    (tmp_path / "s.lua").write_text("return 'ok ' .. INPUT.n\n")
    (tmp_path / "e.eval.yaml").write_text(
        "spell: s.lua\nrows: [{n: 1}, {n: 2}]\nmodels: [offline/a]\nassert: [{type: starts-with, value: ok}]\n"
    )
    out = tmp_path / "r.jsonl"
    out.write_text(
        json.dumps({"row": 0, "model": "offline/gone", "repeat": 0, "pass": False})
        + "\n"
        + json.dumps({"row": 1, "model": "offline/a", "repeat": 0, "pass": True, "output": "kept"})
        + "\n"
    )
    ev, records = run(load_eval(str(tmp_path / "e.eval.yaml")), runner, str(out), resume=True)
    assert [(r["row"], r["model"]) for r in records] == [(0, "offline/a"), (1, "offline/a")]
    assert records[1]["output"] == "kept" and ev.progress.total == 1 and ev.progress.done == 1
