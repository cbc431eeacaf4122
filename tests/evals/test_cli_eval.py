"""``llmspell eval`` end to end: the examples from a clean checkout, exit codes, --resume, --compare, --html."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def llmspell(*args: str, cwd: Path, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "app.cli", "eval", *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
        timeout=timeout,
        env=env,
    )


def copy_examples(tmp_path: Path) -> Path:
    dest = tmp_path / "examples"
    shutil.copytree(ROOT / "examples", dest)
    return dest


def test_examples_pass_with_report_and_summary(tmp_path: Path) -> None:
    ex = copy_examples(tmp_path)
    proc = llmspell(str(ex / "extraction.eval.yaml"), "--html", "report.html", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr + proc.stdout
    assert re.search(r"offline/echo\s+6\s+100\.0%", proc.stdout) and re.search(
        r"offline-mini\s+6\s+100\.0%", proc.stdout
    )
    assert "PASS: threshold 90% per model" in proc.stdout
    assert "12/12 runs" in proc.stderr
    records = [json.loads(x) for x in (tmp_path / "extraction.results.jsonl").read_text().splitlines()]
    assert len(records) == 12 and all(r["pass"] for r in records)
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "<script" in html and "http://" not in html and "https://" not in html  # self-contained
    data = json.loads(re.search(r'<script type="application/json" id="data">(.*?)</script>', html, re.DOTALL).group(1))
    assert data["models"] == ["offline/echo", "offline-mini"] and len(data["records"]) == 12
    proc = llmspell(str(ex / "content_pipeline.eval.yaml"), "--quiet", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr + proc.stdout


def test_threshold_compare_and_bad_files(tmp_path: Path) -> None:
    (tmp_path / "s.lua").write_text("return LLM.complete(INPUT.q)\n")
    (tmp_path / "e.eval.yaml").write_text(
        "spell: s.lua\nrows: [{q: cat}, {q: dog}]\nthreshold: 0.5\nassert: [{type: contains, value: cat}]\n"
    )
    proc = llmspell("e.eval.yaml", "--out", "old.jsonl", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr  # 1 of 2 passes, threshold 50%
    (tmp_path / "e.eval.yaml").write_text(
        "spell: s.lua\nrows: [{q: cat}, {q: dog}]\nthreshold: 0.6\nassert: [{type: contains, value: dog}]\n"
    )
    proc = llmspell(
        "e.eval.yaml",
        "--out",
        "new.jsonl",
        "--compare",
        "old.jsonl",
        "--replay",
        "old.jsonl",
        "--html",
        "r.html",
        cwd=tmp_path,
    )
    assert proc.returncode == 1
    assert "compared: 1 now failing, 1 now passing, 0 new" in proc.stdout
    assert "row 0 offline/echo: pass -> FAIL" in proc.stdout and "row 1 offline/echo: fail -> pass" in proc.stdout
    assert "was pass" in (tmp_path / "r.html").read_text()
    (tmp_path / "bad.eval.yaml").write_text("spell: s.lua\nrows: [{q: 1}]\nassert:\n  - {type: nope}\n")
    proc = llmspell("bad.eval.yaml", cwd=tmp_path)
    assert proc.returncode == 2 and proc.stderr.startswith("bad.eval.yaml:4: unknown assertion type 'nope'")
    proc = llmspell("e.eval.yaml", "--address", "x", cwd=tmp_path)
    assert proc.returncode == 2 and "--address needs --executor ray" in proc.stderr


def test_killed_halfway_then_resumed(tmp_path: Path) -> None:
    (tmp_path / "s.lua").write_text("local n = 0\nfor i = 1, 2000000 do n = n + i end\nreturn 'row ' .. INPUT.i\n")
    rows = ", ".join(f"{{i: {i}}}" for i in range(40))
    (tmp_path / "e.eval.yaml").write_text(
        f"spell: s.lua\nrows: [{rows}]\nconcurrency: 2\nassert: [{{type: starts-with, value: row}}]\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "eval", "e.eval.yaml", "--out", "r.jsonl"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    out = tmp_path / "r.jsonl"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and (not out.exists() or out.read_text().count("\n") < 5):
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)  # no chance to clean up
    proc.wait(30)
    done = out.read_text().count("\n")
    assert 5 <= done < 40
    proc2 = llmspell("e.eval.yaml", "--out", "r.jsonl", "--resume", cwd=tmp_path)
    assert proc2.returncode == 0, proc2.stderr
    rows = [json.loads(x)["row"] for x in out.read_text().splitlines()]
    assert sorted(rows) == list(range(40))  # nothing lost, nothing twice
