"""Every limit ends the run with its own clear error and status "limit" (exit code 3)."""

from __future__ import annotations

import pytest

from app.runner import RunOptions


def _run(runner, name: str, source: str, **opts):
    return runner.run(name, source, RunOptions(**opts))


@pytest.mark.parametrize(
    "name,source",
    [
        ("loop.lua", "while true do end"),
        ("loop.js", "for (;;) {}"),
        ("co.lua", "local co = coroutine.wrap(function() while true do end end) co()"),
        ("co.js", "function* g() { for (;;) {} } g().next();"),
        ("pattern.lua", 'local s = string.rep("a", 40) .. "b" return string.find(s, string.rep("a*", 30) .. "c")'),
        ("regex.js", 'return /^(a+)+$/.test("a".repeat(40) + "b");'),
    ],
)
def test_cpu_bound_spells_stop_at_the_wall_clock(runner, name, source):
    result = _run(runner, name, source, timeout_s=0.5)
    assert result.status == "limit"
    assert result.exit_code == 3
    assert result.failure.code == "limit_exceeded"
    assert result.failure.message == "time limit of 0.5 s exceeded"
    assert result.stats["limit"] == "time"


@pytest.mark.parametrize(
    "name,source",
    [
        ("mem.lua", "local t = {} for i = 1, 1e9 do t[i] = string.rep('x', 100) .. i end"),
        ("mem.js", "const a = []; for (let i = 0; ; i++) a.push('x'.repeat(100) + i);"),
        ("rep.lua", "local s = string.rep('x', 200 * 1024 * 1024) return #s"),
    ],
)
def test_memory_bomb_hits_the_memory_limit(runner, name, source):
    result = _run(runner, name, source, memory_mb=32, timeout_s=20)
    assert result.status == "limit"
    assert result.failure.code == "limit_exceeded"
    assert "memory limit of 32 MB exceeded" in result.failure.message


@pytest.mark.parametrize(
    "name,source",
    [
        ("deep.lua", "local function f(n) return 1 + f(n + 1) end return f(1)"),
        ("deep.js", "function f(n) { return 1 + f(n + 1); } return f(1);"),
    ],
)
def test_deep_recursion_is_a_stack_limit(runner, name, source):
    result = _run(runner, name, source, memory_mb=512, timeout_s=20)
    assert result.status == "limit"
    assert result.failure.code == "limit_exceeded"
    assert "stack overflow" in result.failure.message or "memory limit" in result.failure.message


@pytest.mark.parametrize(
    "name,source",
    [
        ("flood.lua", "while true do print(string.rep('y', 1000)) end"),
        ("flood.js", "for (;;) console.log('y'.repeat(1000));"),
        ("caught.js", "for (;;) { try { console.log('z'.repeat(1000)); } catch (e) {} }"),
    ],
)
def test_output_flood_hits_the_output_limit(runner, name, source):
    seen = []

    class Obs:
        def on_output(self, stream, text):
            seen.append(len(text))

    result = runner.run(name, source, RunOptions(output_bytes=100_000, timeout_s=20), Obs())
    assert result.status == "limit"
    assert result.failure.message == "output limit of 100000 bytes exceeded"
    assert result.stats["limit"] == "output"
    assert 0 < sum(seen) <= 100_000 + 2000


def test_a_limit_does_not_poison_the_next_run(runner):
    assert _run(runner, "loop.lua", "while true do end", timeout_s=0.3).status == "limit"
    result = _run(runner, "ok.lua", "return 40 + 2")
    assert result.status == "ok" and result.value == 42


def test_memory_is_catchable_inside_lua_but_the_run_still_ends(runner):
    src = "local ok, e = pcall(function() local t = {} for i = 1, 1e9 do t[i] = i end end) return tostring(ok) .. ' ' .. tostring(e)"
    result = _run(runner, "pc.lua", src, memory_mb=16, timeout_s=20)
    assert result.status == "ok"
    assert result.value == "false not enough memory"


def test_huge_bridge_arguments_are_stopped_before_the_host_decodes_them(runner):
    src = "local s = string.rep('[]', 40 * 1024 * 1024) return JSON.decode(s)"
    result = _run(runner, "big.lua", src, memory_mb=512, timeout_s=30)
    assert result.status == "limit"
    assert "the spell sent too much data at once" in result.failure.message


def test_json_decode_refuses_shapes_that_explode_in_the_host(runner):
    src = "local parts = {} for i = 1, 300000 do parts[i] = '[]' end local ok, e = pcall(JSON.decode, '[' .. table.concat(parts, ',') .. ']') return e.code"
    assert _run(runner, "shape.lua", src, timeout_s=30).value == "invalid_argument"
