"""``llmspell test``: discovery, output, exit codes, JUnit (validated against the common schema), JSON."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import xmlschema

from tests.testing.conftest import write

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCHEMA = os.path.join(ROOT, "tests", "support", "junit.xsd")


def llmspell(*args: str, cwd: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": ROOT}
    return subprocess.run(
        [sys.executable, "-m", "app.cli", "test", *args],
        check=False,
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _suite(folder) -> None:
    write(
        folder,
        "a_spec.lua",
        """
        describe("a", function()
          it("passes", function() assert.are.equal(1, 1) end)
          it("fails", function() assert.are.same({x = 1}, {x = 2}) end)
          pending("todo")
        end)
        """,
    )
    write(folder, "sub/b.test.js", 'test("passes", () => { expect([1]).toEqual([1]); });\n')
    write(folder, "c_test.tengo", 'test("passes", func() { assert.equal(2, 1 + 1) })\n')
    write(folder, "helper.lua", "error('never run')\n")


def test_failures_summary_junit_and_exit_code(tmp_path) -> None:
    _suite(tmp_path)
    junit = str(tmp_path / "report.xml")
    p = llmspell(".", "-j", "2", "--junit", junit, cwd=str(tmp_path))
    assert p.returncode == 1, p.stderr
    lines = p.stdout.splitlines()
    assert lines[-1] == "3 passed, 1 failed, 1 skipped"
    assert sum(1 for line in lines if line.startswith(("PASS  ", "FAIL  "))) == 3
    assert "FAIL  a_spec.lua" in p.stdout and "PASS  sub/b.test.js" in p.stdout
    assert "a_spec.lua:3: expected values to be the same (deep)" in p.stdout
    assert '-  "x": 1' in p.stdout and '+  "x": 2' in p.stdout
    xmlschema.XMLSchema(SCHEMA).validate(junit)
    with open(junit, encoding="utf-8") as f:
        text = f.read()
    assert text.count("<testcase ") == 5 and text.count("<failure ") == 1 and text.count("<skipped ") == 1


def test_filter_json_and_all_passing(tmp_path) -> None:
    _suite(tmp_path)
    p = llmspell("--filter", "passes", "--json", cwd=str(tmp_path))
    assert p.returncode == 0, p.stderr
    report = json.loads(p.stdout)
    assert (report["passed"], report["failed"], report["skipped"]) == (3, 0, 0)
    assert p.stderr.splitlines()[-1] == "3 passed, 0 failed"


def test_bail_stops_after_the_first_failure(tmp_path) -> None:
    write(
        tmp_path,
        "x_spec.lua",
        """
        it("one", function() assert.is_true(false) end)
        it("two", function() end)
        """,
    )
    p = llmspell("x_spec.lua", "--bail", cwd=str(tmp_path))
    assert p.returncode == 1 and p.stdout.splitlines()[-1] == "0 passed, 1 failed"


def test_usage_errors_exit_2(tmp_path) -> None:
    assert llmspell("missing_folder", cwd=str(tmp_path)).returncode == 2
    empty = llmspell(".", cwd=str(tmp_path))
    assert empty.returncode == 2 and "no test files found" in empty.stderr
    write(tmp_path, "y_spec.lua", 'it("x", function() end)\n')
    assert llmspell("-j", "0", cwd=str(tmp_path)).returncode == 2
    replay = llmspell("--replay", cwd=str(tmp_path))
    assert replay.returncode == 2 and "no cassette" in replay.stderr


def test_record_then_replay_per_test_file(tmp_path) -> None:
    write(
        tmp_path,
        "r_spec.lua",
        """
        it("asks the model", function()
          assert.are.equal("Echo: ping", LLM.complete("ping"))
        end)
        """,
    )
    assert llmspell("--record", cwd=str(tmp_path)).returncode == 0
    cassette = tmp_path / "cassettes" / "r_spec.lua.jsonl"
    assert cassette.is_file() and "ping" in cassette.read_text()
    p = llmspell("--replay", cwd=str(tmp_path))
    assert p.returncode == 0, p.stdout + p.stderr


def test_record_leaves_a_replayable_cassette_when_every_call_is_mocked(tmp_path) -> None:
    cassette = tmp_path / "cassettes" / "m_spec.lua.jsonl"
    cassette.parent.mkdir()
    cassette.write_text('{"cassette": "llmspell", "version": 1}\n{"key": "stale", "request": {}, "response": {}}\n')
    write(
        tmp_path,
        "m_spec.lua",
        """
        it("mocks the model", function()
          Mock.llm("ping", "pong")
          assert.are.equal("pong", LLM.complete("ping"))
        end)
        """,
    )
    assert llmspell("--record", cwd=str(tmp_path)).returncode == 0
    assert "stale" not in cassette.read_text()  # re-recording starts afresh
    p = llmspell("--replay", cwd=str(tmp_path))
    assert p.returncode == 0 and "1 passed" in p.stdout, p.stdout + p.stderr
