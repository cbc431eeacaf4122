"""The registry end to end: description, validation, handles and host→worker callbacks nested inside bridge calls."""

from __future__ import annotations

from typing import Any, TypedDict

import pytest

from app.bridges import registry
from app.bridges.errors import SpellError
from app.bridges.registry import Bridge, BridgeContext, BridgeHost, Callback
from app.runner import Runner


class ProbeOptions(TypedDict, total=False):
    times: int


class Counter(Bridge):
    """A counter object."""

    def __init__(self, ctx: BridgeContext, start: int):
        super().__init__(ctx)
        self.n = start

    def inc(self, by: int = 1) -> int:
        """Add to the counter."""
        self.n += by
        return self.n


class Probe(Bridge):
    """A test-only global."""

    def apply(self, fn: Callback, value: Any, opts: ProbeOptions | None = None) -> list[Any]:
        """Call ``fn(value)`` ``times`` times."""
        return [fn(value) for _ in range((opts or {}).get("times", 1))]

    def counter(self, start: int = 0) -> Counter:
        """A new counter."""
        return Counter(self.ctx, start)

    def parallel(self, fns: list[Any]) -> list[Any]:
        """Call every function from its own host thread at once."""
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(len(fns)) as ex:
            return list(ex.map(lambda f: f(), fns))

    def fail(self, code: str) -> None:
        """Raise a SpellError."""
        raise SpellError(code, "asked to fail")


@pytest.fixture(scope="module")
def probe_runner():
    registry.load_all()
    registry.bridge("Probe")(Probe)
    registry.handle_type("Counter")(Counter)
    r = Runner(warm={"lua": 1, "js": 1})
    yield r
    r.shutdown()
    registry._GLOBALS.pop("Probe", None)
    registry._TYPES.pop("Counter", None)
    registry._HANDLE_TYPES_BY_CLASS.pop(Counter, None)
    registry._INFO.pop(("global", "Probe"), None)
    registry._INFO.pop(("type", "Counter"), None)


def test_describe_lists_methods_params_and_callbacks():
    registry.bridge("Probe")(Probe)
    try:
        d = registry.describe()["globals"]["Probe"]["methods"]["apply"]
        assert d == {"params": ["fn", "value"], "required": 2, "callbacks": ["fn"], "has_opts": True}
        m = registry.info("Probe").methods["apply"]
        assert [o.name for o in m.options] == ["times"] and m.options[0].type == "integer"
    finally:
        registry._GLOBALS.pop("Probe", None)
        registry._INFO.pop(("global", "Probe"), None)


def test_json_and_log_are_registered_with_docs():
    names = {g.name for g in registry.globals_info()}
    assert {"JSON", "Log"} <= names
    enc = registry.info("JSON").methods["encode"]
    assert enc.doc.summary == "Turn a value into JSON text."
    assert set(enc.doc.examples) == {"lua", "js"}


def test_validation_messages():
    host = BridgeHost(BridgeContext())
    with pytest.raises(SpellError, match=r"JSON.encode expects 1 argument\(s\) \(value\), got 2"):
        host.call("JSON", "encode", [1, 2], None)
    with pytest.raises(SpellError, match="option 'pretty' must be boolean, got string"):
        host.call("JSON", "encode", [1], {"pretty": "yes"})
    with pytest.raises(SpellError, match="unknown global 'Nope'"):
        host.instance("Nope")


@pytest.mark.parametrize(
    "lang,src",
    [
        ("lua", "return Probe.apply(function(x) return x * 2 end, 21, {times = 2})"),
        ("js", "return Probe.apply((x) => x * 2, 21, {times: 2});"),
    ],
)
def test_callbacks_run_in_the_worker_nested_in_the_call(probe_runner, lang, src):
    assert probe_runner.run(f"cb.{lang}", src).value == [42, 42]


@pytest.mark.parametrize(
    "lang,src",
    [
        (
            "lua",
            "return Probe.apply(function(x) return Probe.apply(function(y) return JSON.encode({y}) end, x + 1)[1] end, 1)",
        ),
        ("js", "return Probe.apply((x) => Probe.apply((y) => JSON.encode([y]), x + 1)[0], 1);"),
    ],
)
def test_callbacks_may_call_bridges_which_call_back_again(probe_runner, lang, src):
    assert probe_runner.run(f"nest.{lang}", src).value == ["[2]"]


@pytest.mark.parametrize(
    "lang,src",
    [
        ("lua", "local c = Probe.counter(10)\nc:inc()\nreturn {c:inc(5), tostring(c):match('^Counter')}"),
        ("js", "const c = Probe.counter(10); c.inc(); return [c.inc(5), 'Counter'];"),
    ],
)
def test_handles_are_objects_with_methods(probe_runner, lang, src):
    assert probe_runner.run(f"h.{lang}", src).value == [16, "Counter"]


@pytest.mark.parametrize(
    "lang,src,line",
    [
        ("lua", "local x = 1\nlocal r = Probe.apply(function(v)\n  error('cb broke')\nend, 1)\nreturn r", 2),
        (
            "js",
            "const x = 1;\nconst r = Probe.apply(function (v) {\n  throw new Error('cb broke');\n}, 1);\nreturn r;",
            2,
        ),
    ],
)
def test_errors_in_callbacks_come_back_as_tool_failed(probe_runner, lang, src, line):
    r = probe_runner.run(f"cbe.{lang}", src)
    assert r.failure.code == "tool_failed"
    assert f"cbe.{lang}:3: cb broke" in r.failure.message  # where the function failed
    assert r.failure.line in (line, line + 2)  # where the bridge was called (QuickJS: the call's last line)


@pytest.mark.parametrize("lang", ["lua", "js"])
def test_bridge_error_codes_reach_the_spell(probe_runner, lang):
    src = (
        "local ok, e = pcall(Probe.fail, 'rate_limited') return {e.code, e.retryable}"
        if lang == "lua"
        else "try { Probe.fail('rate_limited'); } catch (e) { return [e.code, e.retryable]; }"
    )
    assert probe_runner.run(f"f.{lang}", src).value == ["rate_limited", False]


@pytest.mark.parametrize(
    "lang,src",
    [
        (
            "lua",
            "local fns = {} for i = 1, 6 do fns[i] = function() return JSON.encode({i}) .. Probe.apply(function(x) return x end, i)[1] end end return Probe.parallel(fns)",
        ),
        (
            "js",
            "const fns = []; for (let i = 1; i <= 6; i++) fns.push(() => JSON.encode([i]) + Probe.apply((x) => x, i)[0]); return Probe.parallel(fns);",
        ),
    ],
)
def test_callbacks_from_several_host_threads(probe_runner, lang, src):
    assert probe_runner.run(f"par.{lang}", src).value == [f"[{i}]{i}" for i in range(1, 7)]
