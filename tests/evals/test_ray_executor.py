"""The Ray executor on a local Ray instance gives the same results as the local one, row for row."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.evals.executors import LocalExecutor, RayExecutor
from app.evals.rowrun import RowRunner
from app.evals.session import EvalOptions, EvalRun, spell_spec
from app.evals.spec import load_eval

ray = pytest.importorskip("ray")
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
TIMING = {"latency_ms"}


@pytest.fixture(scope="module")
def local_ray() -> Iterator[None]:
    ray.init(
        num_cpus=2,
        include_dashboard=False,
        log_to_driver=False,
        runtime_env={"env_vars": {"LITELLM_LOCAL_MODEL_COST_MAP": "True"}},
    )
    yield
    ray.shutdown()


def comparable(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in r.items() if k not in TIMING} for r in records]


def test_ray_matches_local_row_for_row(local_ray: None, runner: Any, tmp_path: Path) -> None:
    spec = load_eval(str(EXAMPLES / "extraction.eval.yaml"))
    spell = spell_spec(spec, {})
    local = EvalRun(
        spec, EvalOptions(out=str(tmp_path / "local.jsonl")), executor=LocalExecutor(spell, 4, RowRunner(spell, runner))
    ).run()
    seen: list[int] = []
    remote = EvalRun(
        spec,
        EvalOptions(out=str(tmp_path / "ray.jsonl")),
        on_record=lambda r, p: seen.append(p.done),
        executor=RayExecutor(spell, 4),
    ).run()
    assert len(remote) == 12 and seen == list(range(1, 13))  # streamed back one by one
    assert comparable(remote) == comparable(local)
    for a, b in zip(remote, local):  # the same exchanges recorded (key order inside a request may differ)
        assert exchanges(tmp_path / "ray.cassettes" / a["cassette"]) == exchanges(
            tmp_path / "local.cassettes" / b["cassette"]
        )


def test_nodes_need_no_copy_of_the_spells_folder(local_ray: None, tmp_path: Path) -> None:
    """The spell's modules and project file travel with the actors: the client's folder may be gone."""
    folder = tmp_path / "spell"
    (folder / "lib").mkdir(parents=True)
    (folder / "lib" / "double.lua").write_text("return function(x) return x * 2 end\n", encoding="utf-8")
    (folder / "llmspell.toml").write_text('[models]\nquick = "offline/echo"\n', encoding="utf-8")
    (folder / "main.lua").write_text(
        'local double = require("lib.double")\nreturn double(INPUT.n) .. " " .. LLM.complete("hi", {model = "quick"})\n',
        encoding="utf-8",
    )
    (folder / "t.eval.yaml").write_text(
        "spell: main.lua\nrows:\n  - {n: 1}\n  - {n: 2}\n  - {n: 3}\nassert:\n  - {type: contains, value: Echo}\n",
        encoding="utf-8",
    )
    spec = load_eval(str(folder / "t.eval.yaml"))
    spell = spell_spec(spec, {})
    executor = RayExecutor(spell, 2)
    for p in sorted(folder.rglob("*"), reverse=True):  # the nodes must not read the client's files
        p.unlink() if p.is_file() else p.rmdir()
    records = EvalRun(spec, EvalOptions(out=str(tmp_path / "out.jsonl")), executor=executor).run()
    assert sorted(r["output"] for r in records) == ["2 Echo: hi", "4 Echo: hi", "6 Echo: hi"]
    assert all(r["pass"] for r in records)


def exchanges(path: Path) -> list[tuple[str, Any]]:
    lines = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()[1:]]
    return [(e["key"], json.loads(e["response"]["content"])) for e in lines]
