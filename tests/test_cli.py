"""`llmspell` from a terminal: every exit code, --json, --input, check."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLES = os.path.join(ROOT, "examples")


def llmspell(*args: str, timeout: float = 60, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args], capture_output=True, text=True, timeout=timeout, cwd=ROOT, **kw
    )


def test_hello_examples_print_their_greeting():
    lua = llmspell("run", os.path.join(EXAMPLES, "hello.lua"))
    assert lua.returncode == 0, lua.stderr
    assert lua.stdout.startswith("Hello, world! Greetings from a Lua spell.\n")
    js = llmspell("run", os.path.join(EXAMPLES, "hello.js"), "--input", '{"name": "Ada"}')
    assert js.returncode == 0, js.stderr
    assert js.stdout.startswith("Hello, Ada! Greetings from a JavaScript spell.\n")
    assert "[info] spell finished" in js.stderr


def test_json_output_and_input_file(tmp_path):
    inp = tmp_path / "in.json"
    inp.write_text('{"name": "Grace"}')
    r = llmspell("run", os.path.join(EXAMPLES, "hello.lua"), "--input", f"@{inp}", "--json")
    assert r.returncode == 0
    record = json.loads(r.stdout)
    assert record["status"] == "ok" and record["exit_code"] == 0
    assert record["value"] == {"greeted": "Grace", "reply": "Echo: Say hello to Grace"}
    assert "Hello, Grace!" in r.stderr  # with --json the spell's output goes to stderr


def test_spell_error_exits_1_with_location(tmp_path):
    spell = tmp_path / "bad.lua"
    spell.write_text("local x = nil\nreturn x.y\n")
    r = llmspell("run", str(spell))
    assert r.returncode == 1
    assert f"{spell}:2: error: attempt to index a nil value (local 'x')" in r.stderr


@pytest.mark.parametrize(
    "args,message",
    [
        (["run", "missing.lua"], "missing.lua: no such file"),
        (["run", "examples/hello.py"], "cannot tell the language"),
        (["run", "examples/hello.lua", "--lang", "cobol"], "unknown language 'cobol'"),
        (["run", "examples/hello.lua", "--input", "{nope"], "--input: invalid JSON at line 1, column 2"),
        (["run", "examples/hello.lua", "--profile", "yolo"], "unknown profile 'yolo'"),
        (["run", "examples/hello.lua", "--timeout", "abc"], "invalid float value"),
        (["frobnicate"], "invalid choice"),
        ([], "usage"),
    ],
)
def test_usage_errors_exit_2(args, message):
    r = llmspell(*args)
    assert r.returncode == 2
    assert message in r.stderr


def test_infinite_loop_ends_at_its_limit_with_exit_3_within_a_second(tmp_path):
    spell = tmp_path / "spin.lua"
    spell.write_text("while true do end\n")
    t = time.monotonic()
    r = llmspell("run", str(spell), "--timeout", "1", "--json")
    elapsed = time.monotonic() - t
    assert r.returncode == 3
    assert json.loads(r.stdout)["error"]["message"] == "time limit of 1 s exceeded"
    assert elapsed < 1.0 + 1.0 + 1.5  # the limit, its one second, and the interpreter's own start-up


def test_memory_limit_exit_3(tmp_path):
    spell = tmp_path / "mem.js"
    spell.write_text("const a = []; for (;;) a.push('x'.repeat(1000));\n")
    r = llmspell("run", str(spell), "--memory", "16")
    assert r.returncode == 3
    assert "memory limit of 16 MB exceeded" in r.stderr


def test_crashed_worker_exits_4(tmp_path):
    spell = tmp_path / "spin.js"
    spell.write_text("for (;;) {}\n")
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "run", str(spell), "--timeout", "30"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    worker = None
    deadline = time.monotonic() + 20
    while worker is None and time.monotonic() < deadline:
        time.sleep(0.1)
        worker = _busy_child(proc.pid)
    assert worker, "no worker process found"
    os.kill(worker, signal.SIGKILL)
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 4
    assert "worker crashed" in err and "SIGKILL" in err


def test_interrupt_stops_the_spell(tmp_path):
    spell = tmp_path / "spin.lua"
    spell.write_text("while true do end\n")
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "run", str(spell)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 20
    while _busy_child(proc.pid) is None and time.monotonic() < deadline:
        time.sleep(0.1)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=10)
    assert proc.returncode == 130
    assert "stopped by the user" in err


def test_check_reports_file_line_col(tmp_path):
    good = tmp_path / "good.js"
    good.write_text("const x = 1;\nreturn x;\n")
    bad = tmp_path / "bad.lua"
    bad.write_text("local a = 1\nlocal b = = 2\n")
    badjs = tmp_path / "bad.js"
    badjs.write_text("let a = 1;\nlet b = ;\n")
    r = llmspell("check", str(good), str(bad), str(badjs))
    assert r.returncode == 1
    lines = r.stdout.splitlines()
    assert lines[0] == f"{bad}:2:11: error syntax-error: unexpected symbol near '='"
    assert lines[1] == f"{badjs}:2:9: error syntax-error: unexpected token in expression: ';'"  # real column
    assert llmspell("check", str(good)).returncode == 0


def test_check_lints_folders_strict_and_json(tmp_path):
    spells = tmp_path / "spells"
    (spells / "lib").mkdir(parents=True)
    (spells / "a.lua").write_text('print(LLM.compleet("x"))\n')
    (spells / "lib" / "b.js").write_text("const unused = 1;\n")
    (spells / ".hidden").mkdir()
    (spells / ".hidden" / "c.lua").write_text("print(nope)\n")
    r = llmspell("check", str(spells))
    assert r.returncode == 1
    assert r.stdout.splitlines() == [
        f"{spells / 'a.lua'}:1:11: error unknown-member: LLM has no member 'compleet'; did you mean 'complete'?",
        f"{spells / 'lib' / 'b.js'}:1:7: warning unused-local: variable 'unused' is never used; remove it or use it",
    ]
    warn_only = llmspell("check", str(spells / "lib"))
    assert warn_only.returncode == 0
    assert llmspell("check", "--strict", str(spells / "lib")).stdout.startswith(f"{spells / 'lib' / 'b.js'}:1:7: error")
    assert llmspell("check", "--strict", str(spells / "lib")).returncode == 1
    out = json.loads(llmspell("check", "--format", "json", str(spells / "a.lua")).stdout)
    assert out[0]["rule"] == "unknown-member" and out[0]["fix"]["replacement"] == "complete"
    assert (out[0]["line"], out[0]["col"], out[0]["end_col"]) == (1, 11, 19)


def test_check_reads_lint_severities_and_names_a_bad_llmspell_toml(tmp_path):
    (tmp_path / "a.lua").write_text("local unused = 1\n")
    (tmp_path / "llmspell.toml").write_text('[lint]\nunused-local = "error"\n')
    r = llmspell("check", str(tmp_path / "a.lua"))
    assert r.returncode == 1 and " error unused-local: " in r.stdout
    (tmp_path / "llmspell.toml").write_text('[lint]\nunused-lokal = "off"\n')
    r = llmspell("check", str(tmp_path / "a.lua"))
    assert r.returncode == 2 and "llmspell.toml" in r.stderr and "unknown rule 'unused-lokal'" in r.stderr


def test_check_reports_a_file_that_is_not_utf8(tmp_path):
    (tmp_path / "bad.lua").write_bytes(b"print('\xff')\n")
    (tmp_path / "good.lua").write_text("print(1)\n")
    r = llmspell("check", str(tmp_path))
    assert r.returncode == 1
    assert r.stdout.startswith(f"{tmp_path / 'bad.lua'}:1:1: error syntax-error: file is not UTF-8 text")


def test_check_examples_strict_is_clean():
    r = llmspell("check", "--strict", EXAMPLES, timeout=180)
    assert (r.returncode, r.stdout) == (0, "")


def _busy_child(pid: int) -> int | None:
    """The worker of the CLI process ``pid`` that is running a spell (its CPU time grows)."""
    children = []
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/children") as f:
                children += [int(c) for c in f.read().split()]
        except OSError:
            pass
    best = None
    for c in children:
        try:
            with open(f"/proc/{c}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            utime = int(fields[11])
        except (OSError, IndexError):
            continue
        if utime > 20:
            best = c
    return best


def test_docs_writes_the_reference(tmp_path):
    r = llmspell("docs", "--out", str(tmp_path), "--format", "html,md")
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "html" / "index.html").exists()
    assert "LLM.complete" in (tmp_path / "markdown" / "reference.md").read_text()
    bad = llmspell("docs", "--out", str(tmp_path), "--format", "pdf")
    assert bad.returncode == 2 and "pdf" in bad.stderr


def test_debug_in_the_terminal(tmp_path):
    spell = tmp_path / "dbg.lua"
    spell.write_text(
        "local function add(a, b)\n  local s = a + b\n  return s\nend\nlocal x = add(1, 2)\nprint(x)\nreturn x\n"
    )
    r = llmspell("debug", str(spell), input="b 2\nc\np a + b\nc\n")
    assert r.returncode == 0, r.stderr
    assert "stopped (breakpoint) at dbg.lua:2" in r.stdout
    assert "finished: 3" in r.stdout
    assert llmspell("debug", "README.md").returncode == 2  # not a spell language


def test_allow_host_opens_http_get_for_that_host_only(tmp_path):
    spell = tmp_path / "h.lua"
    spell.write_text('local ok, e = pcall(Tool.call, "http_get", {url = "http://127.0.0.1:9/x"})\nreturn e.code\n')
    allowed = llmspell("run", str(spell), "--profile", "trusted", "--allow-host", "127.0.0.1")
    assert allowed.stdout.strip() == "network"  # allowed: the request was made (nothing listens on port 9)
    refused = llmspell("run", str(spell), "--profile", "trusted")
    assert refused.stdout.strip() == "permission_denied"


def _authorization(server) -> str | None:
    headers = {k.lower(): v for k, v in server.requests[-1]["headers"].items()}
    return headers.get("authorization")


def test_run_uses_the_ides_model_setting_and_keyring_key(tmp_path):
    # What runs in the IDE runs the same in a terminal: the default model and local-server URL come from the
    # IDE's settings.json, the API key from the OS keyring (here a read-only test keyring), never printed.
    from support.llm_server import LLMServer

    secret = "sk-from-the-keyring-0123456789"
    config = tmp_path / "config"
    config.mkdir()
    spell = tmp_path / "ask.lua"
    spell.write_text('return LLM.complete("hello there")\n')
    with LLMServer() as server:
        (config / "settings.json").write_text(
            json.dumps({"default_model": "openai/test-model", "base_urls": {"openai_compatible": server.url}})
        )
        env = {k: v for k, v in os.environ.items() if k not in ("OPENAI_API_KEY", "OPENAI_BASE_URL")}
        env.update(
            LLMSPELL_CONFIG_DIR=str(config),
            PYTHON_KEYRING_BACKEND="support.fake_keyring.EnvKeyring",
            LLMSPELL_TEST_KEYRING=json.dumps({"openai": secret}),
            PYTHONPATH=os.pathsep.join([ROOT, os.path.join(ROOT, "tests")]),
        )
        r = llmspell("run", str(spell), "--json", env=env)
        assert r.returncode == 0, r.stderr
        assert json.loads(r.stdout)["value"] == "Echo: hello there"
        assert _authorization(server) == f"Bearer {secret}"
        assert secret not in r.stdout + r.stderr

        # Model.providers() counts the keyring's key before any call has loaded it.
        providers = tmp_path / "providers.lua"
        providers.write_text(
            'for _, p in ipairs(Model.providers()) do if p.name == "openai" then return p.configured end end\n'
        )
        r = llmspell("run", str(providers), "--json", env=env)
        assert r.returncode == 0 and json.loads(r.stdout)["value"] is True, r.stderr

        # A variable set in the environment wins over the keyring; --model over the setting.
        env["OPENAI_API_KEY"] = "sk-from-the-environment-000000"
        r = llmspell("run", str(spell), "--json", env=env)
        assert _authorization(server) == "Bearer sk-from-the-environment-000000"
        r = llmspell("run", str(spell), "--json", "--model", "offline/echo", env=env)
        assert r.returncode == 0 and len(server.chat_requests()) == 2
