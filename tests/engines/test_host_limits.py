"""Host hardening: what the bridges do on a spell's behalf is bounded in reach, time and memory (issue 12).

Each attack runs as a real spell (in every language where the bridge exists) through the shared runner, and checks
the error code, that the host stopped the work promptly (generous bounds: this is not a benchmark), and that the
host process stays alive and idle afterwards.
"""

from __future__ import annotations

import json
import os
import threading
import time
from typing import Any

import pytest

from app.runner import RunOptions


@pytest.fixture(scope="module", autouse=True)
def litellm_imported() -> None:
    """A spell that names LLM starts litellm's import on a background thread (seconds of CPU): import it first,
    so the host-idle checks below measure what a spell left running, not that import."""
    from app.bridges.litellm_support import get_litellm

    get_litellm()


LANGS = ("lua", "js", "tengo")
EXT = {"lua": "lua", "js": "js", "tengo": "tengo"}


def run(runner: Any, lang: str, source: str, **opts: Any) -> Any:
    opts.setdefault("profile", "strict")
    return runner.run(f"attack.{EXT[lang]}", source, RunOptions(**opts))


def caught(lang: str, call: str) -> str:
    """A spell that makes ``call`` (written for ``lang``) and returns the bridge error as {code, message}."""
    if lang == "lua":
        return (
            f"local ok, e = pcall(function() return {call} end)\nif ok then return {{ok = e}} end\n"
            "return {code = e.code, message = e.message}\n"
        )
    if lang == "js":
        return f"let r;\ntry {{ r = {{ok: {call}}}; }} catch (e) {{ r = {{code: e.code, message: e.message}}; }}\nreturn r;\n"
    return (
        f"r := {call}\nif is_error(r) {{ export {{code: r.value.code, message: r.value.message}} }}\nexport {{ok: r}}\n"
    )


def table(lang: str, obj: Any) -> str:
    """``obj`` written as a literal of ``lang``."""
    if lang == "lua":
        if isinstance(obj, dict):
            return "{" + ", ".join(f"[{json.dumps(k)}] = {table(lang, v)}" for k, v in obj.items()) + "}"
        if isinstance(obj, list):
            return "{" + ", ".join(table(lang, v) for v in obj) + "}"
        if isinstance(obj, bool):
            return "true" if obj else "false"
        return json.dumps(obj)
    if lang == "tengo" and isinstance(obj, dict):
        return "{" + ", ".join(f"{json.dumps(k)}: {table(lang, v)}" for k, v in obj.items()) + "}"
    if lang == "tengo" and isinstance(obj, list):
        return "[" + ", ".join(table(lang, v) for v in obj) + "]"
    return json.dumps(obj)


def fn(lang: str, body: str = "return 1") -> str:
    return {
        "lua": f"function(args) {body} end",
        "js": f"function(args) {{ {body}; }}",
        "tengo": f"func(args) {{ {body} }}",
    }[lang]


# ------------------------------------------------------------------------------------------------ 1. reach
@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("ref", ["file", "http"])
def test_schema_refs_never_leave_the_schema(runner: Any, lang: str, ref: str, tmp_path: Any) -> None:
    secret = tmp_path / "creds.json"
    secret.write_text(json.dumps({"nope": {"const": "TOP-SECRET-VALUE"}}))
    hits: list[str] = []
    import http.server

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b'{"const": "FROM-THE-NETWORK"}')

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        target = f"file://{secret}#/nope" if ref == "file" else f"http://127.0.0.1:{server.server_port}/s.json"
        schema = {"type": "object", "properties": {"a": {"$ref": target}}}
        call = f'Tool.register("t", "d", {table(lang, schema)}, {fn(lang)})'
        res = run(runner, lang, caught(lang, call))
        assert res.status == "ok", res.failure
        assert res.value["code"] == "invalid_argument"
        assert target in res.value["message"]
        assert "SECRET" not in json.dumps(res.value) and "NETWORK" not in json.dumps(res.value)
        assert hits == []
    finally:
        server.shutdown()


@pytest.mark.parametrize("lang", LANGS)
def test_structured_schema_refs_are_refused(runner: Any, lang: str) -> None:
    schema = {"type": "object", "properties": {"a": {"$ref": "file:///etc/passwd#/x"}}}
    res = run(runner, lang, caught(lang, f'LLM.structured("hi", {table(lang, schema)})'))
    assert res.value["code"] == "invalid_argument", res.value
    assert "file:///etc/passwd#/x" in res.value["message"]


@pytest.mark.parametrize("lang", LANGS)
def test_local_refs_still_work(runner: Any, lang: str) -> None:
    schema = {"type": "object", "properties": {"n": {"$ref": "#/$defs/num"}}, "$defs": {"num": {"type": "integer"}}}
    reg = f'Tool.register("t", "d", {table(lang, schema)}, {fn(lang, "return 7")})'
    sep = {"lua": "\n", "js": ";\n", "tengo": "\n"}[lang]
    res = run(runner, lang, reg + sep + caught(lang, f'Tool.call("t", {table(lang, {"n": "x"})})'))
    assert res.value["code"] == "invalid_argument"
    assert "integer" in res.value["message"]


@pytest.mark.parametrize("lang", LANGS)
def test_host_exception_text_never_reaches_the_spell(runner: Any, lang: str, monkeypatch: Any, caplog: Any) -> None:
    from app.bridges.json_bridge import JSONBridge

    def broken(self: Any, value: Any, opts: Any = None) -> str:
        raise RuntimeError("contents of /home/me/.ssh/id_rsa: PRIVATE-KEY-TEXT")

    monkeypatch.setattr(JSONBridge, "encode", broken)
    res = run(runner, lang, caught(lang, "JSON.encode(1)"))
    assert res.value["code"] == "internal"
    assert "PRIVATE-KEY-TEXT" not in json.dumps(res.value)
    assert "JSON.encode" in res.value["message"]
    assert "PRIVATE-KEY-TEXT" in caplog.text  # the detail is in the host's log


# ------------------------------------------------------------------------------------------------ 2. host time
def assert_host_idle(budget_s: float = 1.0) -> None:
    """No thread of this process is still burning CPU for a spell: the process's CPU time stays flat."""
    before = time.process_time()
    time.sleep(budget_s)
    assert time.process_time() - before < budget_s * 0.5


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize(
    "expression",
    [
        "round(1, -20000000)",
        "9**9**9",
        "(2**1000)**1000",
        "2**999*2**999*2**999*2**999*2**999",
        "999999**1000 * 999999**1000",
    ],
)
def test_calculator_refuses_huge_arithmetic_before_computing(runner: Any, lang: str, expression: str) -> None:
    start = time.monotonic()
    res = run(
        runner, lang, caught(lang, f'Tool.call("calculator", {table(lang, {"expression": expression})})'), timeout_s=2
    )
    assert res.status == "ok", res.failure
    assert res.value["code"] == "invalid_argument", res.value
    assert time.monotonic() - start < 2.0


@pytest.mark.parametrize("lang", LANGS)
def test_schema_pattern_and_unique_items_are_bounded_in_a_run(runner: Any, lang: str) -> None:
    schema = {"type": "object", "properties": {"s": {"type": "string", "pattern": "^(a|aa)+$"}}}
    reg = f'Tool.register("t", "d", {table(lang, schema)}, {fn(lang)})'
    sep = {"lua": "\n", "js": ";\n", "tengo": "\n"}[lang]
    arg = {
        "lua": 'string.rep("a", 5000) .. "!"',
        "js": '"a".repeat(5000) + "!"',
        "tengo": 'import("text").repeat("a", 5000) + "!"',
    }[lang]
    call = f'Tool.call("t", {{s = {arg}}})' if lang == "lua" else f'Tool.call("t", {{s: {arg}}})'
    start = time.monotonic()
    res = run(runner, lang, reg + sep + caught(lang, call), timeout_s=3)
    assert res.status == "ok", res.failure
    assert res.value["code"] == "limit_exceeded", res.value
    assert time.monotonic() - start < 3.0
    assert_host_idle()


@pytest.mark.parametrize("lang", LANGS)
def test_event_patterns_never_backtrack(runner: Any, lang: str) -> None:
    pattern = "*a" * 100 + "b"
    handler = {"lua": "function() end", "js": "() => {}", "tengo": "func(t, d) {}"}[lang]
    topic = {"lua": 'string.rep("a", 1000)', "js": '"a".repeat(1000)', "tengo": 'import("text").repeat("a", 1000)'}
    sep = {"lua": "\n", "js": ";\n", "tengo": "\n"}[lang]
    src = f"Event.subscribe({json.dumps(pattern)}, {handler})" + sep + caught(lang, f"Event.publish({topic[lang]}, 1)")
    start = time.monotonic()
    res = run(runner, lang, src, timeout_s=5)
    assert res.status == "ok", res.failure
    assert res.value == {"ok": 0}
    assert time.monotonic() - start < 2.0


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are a POSIX thing")
@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("tool", ["file_read", "file_write"])
def test_file_tools_refuse_fifos_without_blocking(runner: Any, lang: str, tool: str, tmp_path: Any) -> None:
    os.mkfifo(tmp_path / "pipe")
    args = {"path": "pipe", "content": "x"} if tool == "file_write" else {"path": "pipe"}
    start = time.monotonic()
    res = runner.run(
        str(tmp_path / f"s.{EXT[lang]}"),
        caught(lang, f'Tool.call("{tool}", {table(lang, args)})'),
        RunOptions(profile="trusted", timeout_s=5),
    )
    assert res.status == "ok", res.failure
    assert res.value["code"] in ("invalid_argument", "permission_denied"), res.value
    assert time.monotonic() - start < 2.0


# ------------------------------------------------------------------------------------------------ 3. budgets
class Collect:
    def __init__(self) -> None:
        self.bytes = 0

    def on_output(self, stream: str, text: str) -> None:
        self.bytes += len(text.encode())


def loop(lang: str, body: str, n: int = 1_000_000) -> str:
    return {
        "lua": f"for i = 1, {n} do {body} end\nreturn 'done'\n",
        "js": f"for (let i = 1; i <= {n}; i++) {{ {body}; }}\nreturn 'done';\n",
        "tengo": f'for i := 1; i <= {n}; i++ {{ {body} }}\nexport "done"\n',
    }[lang]


def catching(lang: str, call: str) -> str:
    """``call`` with its error caught and ignored: a budget still ends the run."""
    return {"lua": f"pcall(function() {call} end)", "js": f"try {{ {call}; }} catch (e) {{}}", "tengo": f"{call}"}[lang]


def big_text(lang: str, n: int) -> str:
    return {"lua": f'string.rep("x", {n})', "js": f'"x".repeat({n})', "tengo": f'import("text").repeat("x", {n})'}[lang]


@pytest.mark.parametrize("lang", LANGS)
def test_log_counts_against_the_output_limit(runner: Any, lang: str) -> None:
    obs = Collect()
    line = big_text(lang, 10_000)
    res = runner.run(
        f"flood.{EXT[lang]}",
        loop(lang, catching(lang, f"Log.info({line})"), 100_000),
        RunOptions(profile="strict", output_bytes=200_000),
        obs,
    )
    assert res.status == "limit", res.failure
    assert res.failure.code == "limit_exceeded" and "output_bytes" in res.failure.message
    assert "--limit output_bytes=" in res.failure.message
    assert obs.bytes <= 200_000
    assert res.exit_code == 3


@pytest.mark.parametrize("lang", LANGS)
def test_queued_events_are_bounded(runner: Any, lang: str) -> None:
    handler = {"lua": "function() end", "js": "() => {}", "tengo": "func(t, d) {}"}[lang]
    opts = table(lang, {"queued": True})
    sep = {"lua": "\n", "js": ";\n", "tengo": "\n"}[lang]
    src = (
        f'Event.subscribe("job.*", {handler}, {opts})'
        + sep
        + f"data := {big_text(lang, 100_000)}\n".replace(
            "data :=", {"lua": "local data =", "js": "const data =", "tengo": "data :="}[lang]
        )
        + loop(lang, catching(lang, 'Event.publish("job.x", data)'), 100_000)
    )
    start = time.monotonic()
    res = run(runner, lang, src, limit_overrides={"event_queue_bytes": 2_000_000})
    assert res.status == "limit", res.failure
    assert "event_queue_bytes" in res.failure.message
    assert time.monotonic() - start < 5.0


@pytest.mark.parametrize("lang", LANGS)
def test_tool_registration_is_bounded_in_count_and_bytes(runner: Any, lang: str) -> None:
    name = {"lua": '"t" .. i', "js": '"t" + i', "tengo": '"t" + string(i)'}[lang]
    reg = f"Tool.register({name}, {big_text(lang, 100_000)}, {table(lang, {})}, {fn(lang)})"
    res = run(runner, lang, loop(lang, catching(lang, reg), 10_000))
    assert res.status == "limit", res.failure
    assert "tool_bytes" in res.failure.message
    small = f'Tool.register({name}, "d", {table(lang, {})}, {fn(lang)})'
    res = run(runner, lang, loop(lang, catching(lang, small), 10_000))
    assert res.status == "limit", res.failure
    assert "max_tools" in res.failure.message


@pytest.mark.parametrize("lang", LANGS)
def test_trace_spans_are_bounded(runner: Any, lang: str) -> None:
    call = f'Tool.call("calculator", {table(lang, {"expression": "1+1"})})'
    res = run(runner, lang, loop(lang, call, 100_000), limit_overrides={"max_spans": 500})
    assert res.status == "limit", res.failure
    assert "max_spans" in res.failure.message
    assert len(res.spans) <= 500


@pytest.mark.parametrize("lang", LANGS)
def test_decoded_message_size_is_bounded(runner: Any, lang: str) -> None:
    build = {
        "lua": "local t = {}\nfor i = 1, 50000 do t[i] = {x = 1} end\nreturn t\n",
        "js": "const t = [];\nfor (let i = 0; i < 50000; i++) t.push({x: 1});\nreturn t;\n",
        "tengo": "t := []\nfor i := 0; i < 50000; i++ { t = append(t, {x: 1}) }\nexport t\n",
    }[lang]
    res = run(runner, lang, build, limit_overrides={"message_elements": 10_000})
    assert res.status == "limit", res.failure
    assert "message_elements" in res.failure.message


def test_a_flood_of_empty_objects_never_becomes_host_memory(runner: Any) -> None:
    import tracemalloc

    src = "local t = {}\nfor i = 1, 2000000 do t[i] = {} end\nreturn t\n"
    tracemalloc.start()
    try:
        res = run(runner, "lua", src, memory_mb=1024, timeout_s=60)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert res.status == "limit", res.failure
    assert "message_elements" in res.failure.message
    assert peak < 64 * 1024 * 1024  # the raw 6 MB message and a scan of it; 2M dicts would be ~150 MB


# ------------------------------------------------------------------------------------------------ 4. Tengo memory
@pytest.mark.parametrize(
    "src",
    [
        "a := []\nfor i := 0; true; i++ { a = append(a, i) }",
        "m := {}\nfor i := 0; true; i++ { m[string(i)] = [i] }",
        'fmt := import("fmt")\nx := fmt.sprintf("%9999999d", 1)',
    ],
)
def test_tengo_memory_stops_every_allocation_path_as_limit_exceeded(runner: Any, src: str) -> None:
    start = time.monotonic()
    res = runner.run("alloc.tengo", src, RunOptions(profile="strict", memory_mb=8, timeout_s=30))
    assert res.status == "limit", res.failure
    assert res.exit_code == 3
    assert "memory limit of 8 MB exceeded" in res.failure.message and "alloc.tengo:2" in res.failure.message
    assert time.monotonic() - start < 10.0  # well before the 30 s time limit: the memory limit stopped it


# ------------------------------------------------------------------------------------------------ 5. edges
NON_FINITE = {
    "lua": ("0/0", "1/0", "-1/0"),
    "js": ("NaN", "Infinity", "-Infinity"),
    "tengo": ('import("math").nan()', 'import("math").inf(1)', 'import("math").inf(-1)'),
}


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("which", [0, 1, 2])
def test_non_finite_numbers_are_refused_the_same_way_in_every_language(runner: Any, lang: str, which: int) -> None:
    value = NON_FINITE[lang][which]
    res = run(
        runner,
        lang,
        caught(
            lang,
            f"JSON.encode({table(lang, {'x': 1})[:-1]}, y = {value}}})"
            if lang == "lua"
            else f"JSON.encode({{x: 1, y: {value}}})",
        ),
    )
    assert res.status == "ok", res.failure
    assert res.value == {"code": "invalid_argument", "message": "cannot pass NaN or infinity to the host"}
    ret = {"lua": f"return {{1, {value}}}", "js": f"return [1, {value}];", "tengo": f"export [1, {value}]"}[lang]
    res = run(runner, lang, ret)
    assert res.status == "error" and res.failure.code == "runtime", res.failure
    assert "the spell's result cannot be returned: cannot pass NaN or infinity to the host" in res.failure.message


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize(
    "data",
    [
        {"$handle": [1, 2]},
        {"$handle": "x"},
        {"$handle": {"a": 1}, "b": 2},
        {"$handle": 1, "other": 2},
        {"$callback": "x"},
        {"$callback": [1]},
    ],
)
def test_plain_data_with_marker_keys_is_plain_data(runner: Any, lang: str, data: dict[str, Any]) -> None:
    res = run(runner, lang, caught(lang, f"JSON.encode({table(lang, data)})"))
    assert res.status == "ok", res.failure
    assert json.loads(res.value["ok"]) == data


@pytest.mark.parametrize("lang", LANGS)
def test_data_shaped_like_a_handle_is_refused_not_confused(runner: Any, lang: str) -> None:
    text = json.dumps(json.dumps({"$handle": 1, "$type": "Agent"}))
    res = run(runner, lang, caught(lang, f"JSON.decode({text})"))
    assert res.value["code"] == "invalid_argument" and "$handle" in res.value["message"]


@pytest.mark.parametrize("lang", LANGS)
def test_nul_in_a_module_name_is_a_clean_error(runner: Any, lang: str, tmp_path: Any) -> None:
    src = {"lua": 'return require("a\\0b")', "js": 'return require("./a\\u0000b");', "tengo": 'x := import("a\\x00b")'}[
        lang
    ]
    path = tmp_path / f"s.{EXT[lang]}"
    path.write_text(src)
    res = runner.run(str(path), None, RunOptions(profile="strict"))
    assert res.status == "error"
    assert res.failure.code != "internal" and "internal" not in res.failure.message, res.failure
    assert "module" in res.failure.message


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("[" * 5000 + "]" * 5000, "nested deeper than 100"),
        ("1" * 5000, "too large"),
        ("[NaN]", "NaN is not a JSON number"),
        ('{"a": 99999999999999999999}', "does not fit in 64 bits"),
    ],
)
def test_cli_input_edges_exit_2_with_a_clear_message(text: str, words: str, tmp_path: Any, capsys: Any) -> None:
    from app.cli import main

    spell = tmp_path / "s.lua"
    spell.write_text("return INPUT\n")
    assert main(["run", str(spell), "--input", text]) == 2
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err


@pytest.mark.parametrize("lang", LANGS)
def test_objects_a_run_holds_are_bounded(runner: Any, lang: str) -> None:
    make = {
        "lua": f"Agent.new({{system = {big_text(lang, 100_000)}}})",
        "js": f"Agent.new({{system: {big_text(lang, 100_000)}}})",
        "tengo": f"Agent.new({{system: {big_text(lang, 100_000)}}})",
    }[lang]
    keep = {
        "lua": f"local kept = {{}}\n{loop(lang, f'kept[#kept + 1] = {make}', 100_000)}",
        "js": f"const kept = [];\n{loop(lang, f'kept.push({make})', 100_000)}",
        "tengo": f"kept := []\n{loop(lang, f'kept = append(kept, {make})', 100_000)}",
    }[lang]
    res = run(runner, lang, keep)
    assert res.status == "limit", res.failure
    assert "object_bytes" in res.failure.message
    res = run(
        runner,
        lang,
        loop(lang, "Agent.new()" if lang != "tengo" else "Agent.new({})", 100_000),
        limit_overrides={"max_objects": 50},
    )
    assert res.status == "limit", res.failure
    assert "max_objects" in res.failure.message


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize(
    "schema",
    [
        {
            "type": "array",
            "minItems": 10000,
            "items": {"type": "array", "minItems": 10000, "items": {"type": "integer"}},
        },
        {"type": "array", "minItems": 100, "items": {"type": "string", "minLength": 10**12}},
    ],
)
def test_the_offline_model_never_builds_huge_answers_in_the_host(
    runner: Any, lang: str, schema: dict[str, Any]
) -> None:
    start = time.monotonic()
    res = run(runner, lang, caught(lang, f'LLM.structured("make it", {table(lang, schema)})'), timeout_s=60)
    assert res.status == "ok", res.failure
    assert res.value["code"] in ("provider", "limit_exceeded"), res.value  # too big to answer: a clear error
    assert time.monotonic() - start < 40  # litellm's first import is slow on a loaded machine; the answer is not
