"""`llmspell` and the provider layer: --cache/--no-cache, --max-cost/--max-tokens, `llmspell cache`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from support.llm_server import LLMServer

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def llmspell(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args], capture_output=True, text=True, timeout=120, cwd=ROOT, env=env
    )


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "LLMSPELL_CACHE_DIR": str(tmp_path / "cache"),
        "LLMSPELL_DATA_DIR": str(tmp_path / "data"),
        "LLMSPELL_CONFIG_DIR": str(tmp_path / "config"),
        "OPENAI_API_KEY": "sk-test-dummy-0123456789",
    }


def test_cache_flag_answers_the_second_run_from_disk(tmp_path, env):
    spell = tmp_path / "ask.lua"
    with LLMServer() as server:
        (tmp_path / "llmspell.toml").write_text(
            f'[models]\nlocal = "openai/test-model"\n'
            f'[models.served]\nmodel = "openai/test-model"\n'
            f'api_base = "{server.url}"\nkey = "env:OPENAI_API_KEY"\n'
        )
        spell.write_text('return LLM.complete("cache this", {model = "served"})\n')
        runs = [llmspell("run", str(spell), "--cache", "--json", env=env) for _ in range(2)]
        assert len(server.chat_requests()) == 1
        llmspell("run", str(spell), "--no-cache", env=env)
        assert len(server.chat_requests()) == 2
    records = [json.loads(r.stdout) for r in runs]
    assert [r["value"] for r in records] == ["Echo: cache this"] * 2
    assert records[0]["stats"]["cache_hits"] == 0 and records[1]["stats"]["cache_hits"] == 1
    stats = llmspell("cache", "stats", "--json", env=env)
    assert stats.returncode == 0 and json.loads(stats.stdout)["entries"] == 1
    cleared = llmspell("cache", "clear", env=env)
    assert cleared.returncode == 0 and "cleared 1 cached response" in cleared.stdout
    assert "0 cached response(s)" in llmspell("cache", "stats", env=env).stdout


def test_max_tokens_stops_a_call_before_it_is_sent(tmp_path, env):
    spell = tmp_path / "big.lua"
    spell.write_text(
        'local ok, err = pcall(LLM.complete, string.rep("word ", 50))\nreturn {ok = ok, code = err.code}\n'
    )
    r = llmspell("run", str(spell), "--max-tokens", "10", "--json", env=env)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["value"] == {"ok": False, "code": "budget_exceeded"}
    plain = llmspell("run", str(spell), "--json", env=env)
    assert json.loads(plain.stdout)["value"]["ok"] is True


@pytest.mark.parametrize(
    "flags, says",
    [
        (["--max-cost", "-1"], "expected a positive amount"),
        (["--max-cost", "lots"], "is not a number"),
        (["--max-tokens", "0"], "expected a positive number"),
        (["--cache", "--no-cache"], "not allowed with argument"),
    ],
)
def test_bad_budget_flags_are_usage_errors(env, flags, says):
    r = llmspell("run", "examples/hello.lua", *flags, env=env)
    assert r.returncode == 2 and says in r.stderr
