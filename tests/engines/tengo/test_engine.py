"""TengoEngine behind the engine interface: INPUT/export, output, bridges, errors, limits, sandbox, REPL."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest

from app.engines.base import BridgeFault, BridgeSpec, LimitExceeded, Limits, SpellError
from app.engines.tengo.engine import TengoEngine

log = logging.getLogger(__name__)

SPEC = BridgeSpec(
    globals={
        "JSON": {"methods": {"encode": {"params": ["value"], "required": 1, "callbacks": [], "has_opts": True}}},
        "Agent": {"methods": {"create": {"params": ["name"], "required": 1, "callbacks": [], "has_opts": True}}},
        "Tool": {
            "methods": {"define": {"params": ["name", "fn"], "required": 2, "callbacks": ["fn"], "has_opts": False}}
        },
    },
    types={"Agent": {"methods": {"ask": {"params": ["q"], "required": 1, "callbacks": [], "has_opts": True}}}},
)


class FakeHost:
    """Records output and bridge calls; answers a few methods."""

    def __init__(self, modules: dict[str, str] | None = None, limits: Limits | None = None):
        self.spell_path = "/spells/main.tengo"
        self.spell_dir = "/spells"
        self.limits = limits or Limits()
        self.bridges = SPEC
        self.out: list[tuple[str, str]] = []
        self.calls: list[tuple] = []
        self.modules = modules or {}

    def output(self, stream: str, text: str) -> None:
        self.out.append((stream, text))

    def bridge_call(
        self, target: Any, method: str, args: list, opts: Any, line: Any, callbacks: dict[int, Callable[..., Any]]
    ) -> Any:
        self.calls.append((target, method, args, opts, line))
        if method == "encode":
            return "encoded"
        if method == "create":
            return {"$handle": 7, "$type": "Agent"}
        if method == "ask":
            if args[0] == "fail":
                raise BridgeFault("rate_limited", "slow down", retryable=True)
            return f"answer to {args[0]}"
        if method == "define":
            return callbacks[args[1]["$callback"]](21)
        raise BridgeFault("invalid_argument", "unknown")

    def read_module(self, name: str) -> tuple[str, str]:
        if name in self.modules:
            return f"/spells/{name}.tengo", self.modules[name]
        raise BridgeFault("module_not_found", name)


def run(src: str, inputs: Any = None, host: FakeHost | None = None) -> Any:
    return TengoEngine().run(src, "/spells/main.tengo", inputs, host or FakeHost())


def test_input_and_export_round_trip() -> None:
    value = {"name": "Ada", "n": 3, "x": 2.5, "ok": True, "none": None, "list": [1, [2, {"deep": "é✓"}]]}
    assert run("export INPUT", value) == value


def test_no_export_is_none_and_export_ends_the_run() -> None:
    assert run("a := 1") is None
    assert run("export 1\nexport 2") == 1


def test_values_convert_to_plain() -> None:
    src = 'export [undefined, error("bad"), bytes("hi"), \'x\', immutable({a: [1]}), 1.5, func() {}]'
    assert run(src) == [None, {"error": "bad"}, "hi", "x", {"a": [1]}, 1.5, None]


def test_output_goes_to_host_stdout_line_buffered() -> None:
    host = FakeHost()
    run(
        'fmt := import("fmt")\nfmt.print("a")\nfmt.print("b")\nfmt.println("c", 1)\n'
        'fmt.printf("%d-%s\\n", 5, "x")\nprint("p", [1, "q"])\nfmt.print("tail")',
        host=host,
    )
    assert host.out == [("stdout", "abc 1\n"), ("stdout", "5-x\n"), ("stdout", 'p [1, "q"]\n'), ("stdout", "tail")]


def test_bridge_global_call_with_opts_and_line() -> None:
    host = FakeHost()
    assert run("x := 1\nexport JSON.encode({a: [1, 2]}, {indent: 2})", host=host) == "encoded"
    assert host.calls == [("JSON", "encode", [{"a": [1, 2]}], {"indent": 2}, 2)]


def test_trailing_map_is_an_argument_when_not_beyond_params() -> None:
    host = FakeHost()
    run("JSON.encode({a: 1})", host=host)
    assert host.calls[0][2:4] == ([{"a": 1}], None)


def test_handles_become_maps_of_methods() -> None:
    host = FakeHost()
    out = run('a := Agent.create("bob")\nexport [a.ask("hi"), type_name(a.ask), a]', host=host)
    assert out == ["answer to hi", "user-function:ask", {"$handle": 7, "$type": "Agent"}]
    assert host.calls[1][:3] == (7, "ask", ["hi"])


def test_bridge_fault_is_a_tengo_error_value() -> None:
    out = run(
        'r := Agent.create("a").ask("fail")\nexport [is_error(r), r.value.code, r.value.message, r.value.retryable]'
    )
    assert out == [True, "rate_limited", "slow down", True]


def test_callbacks_run_tengo_functions() -> None:
    host = FakeHost()
    assert run('k := 2\nexport Tool.define("double", func(n) { return n * k })', host=host) == 42
    assert host.calls[0][2][1] == {"$callback": 1}


def test_callbacks_take_the_arguments_they_declare() -> None:
    class ExtraArgsHost(FakeHost):  # like a workflow condition: the host passes more than the spell uses
        def bridge_call(
            self, target: Any, method: str, args: list, opts: Any, line: Any, callbacks: dict[int, Callable[..., Any]]
        ) -> Any:
            return callbacks[args[1]["$callback"]](21, "ctx", 3)

    def define(fn: str) -> Any:
        return run(f'export Tool.define("t", {fn})', host=ExtraArgsHost())

    assert define("func(n) { return n * 2 }") == 42
    assert define("func() { return 1 }") == 1
    assert define("func(a, b, c, d) { return [a, b, c, is_undefined(d)] }") == [21, "ctx", 3, True]
    assert define("func(a, ...rest) { return [a, rest] }") == [21, ["ctx", 3]]


def test_llmspell_module_exposes_globals() -> None:
    assert run('ls := import("llmspell")\nexport ls.JSON.encode(1)') == "encoded"


def test_syntax_error_is_a_spell_failure_with_position() -> None:
    with pytest.raises(SpellError) as e:
        run("a := 1\nb := (2 +\n")
    f = e.value.failure
    assert (f.code, f.file, f.line) == ("syntax", "/spells/main.tengo", 3)


def test_compile_error_is_syntax() -> None:
    with pytest.raises(SpellError) as e:
        run("a := b")
    assert e.value.failure.code == "syntax"
    assert "unresolved reference 'b'" in e.value.failure.message


def test_runtime_error_has_spell_frames_only() -> None:
    with pytest.raises(SpellError) as e:
        run('f := func(x) {\n  return x + "s"\n}\ny := 1\nf(y)')
    f = e.value.failure
    assert (f.code, f.line, f.column) == ("runtime", 2, 10)
    assert f.message == "invalid operation: int + string"
    assert [(fr.file, fr.line) for fr in f.traceback] == [("/spells/main.tengo", 2), ("/spells/main.tengo", 5)]


def test_recursion_depth_is_a_limit() -> None:
    with pytest.raises(LimitExceeded) as e:
        run("f := func(n) { return 1 + f(n + 1) }\nf(0)")
    assert e.value.what == "stack"


def test_tail_calls_do_not_grow_the_stack() -> None:
    assert run("f := func(n, a) { if n == 0 { return a }; return f(n - 1, a + 1) }\nexport f(100000, 0)") == 100000


def test_string_size_is_capped() -> None:
    with pytest.raises(LimitExceeded) as e:  # a size cap is the memory limit: limit_exceeded, with the line
        run('s := "x"\nfor { s += s }', host=FakeHost(limits=Limits(memory_mb=1)))
    assert e.value.what == "memory"
    assert "string size limit" in e.value.message and ":2" in e.value.message


def test_os_module_does_not_exist() -> None:
    with pytest.raises(SpellError) as e:
        run('os := import("os")')
    assert "module 'os' not found" in e.value.failure.message


def test_stdlib_and_sibling_modules_import() -> None:
    host = FakeHost(modules={"util": "export {twice: func(x) { return x * 2 }}"})
    src = (
        'u := import("util")\nm := import("math")\ne := import("enum")\nexport [u.twice(4), m.abs(-2.5), '
        "e.map([1, 2], func(k, v) { return v + k })]"
    )
    assert run(src, host=host) == [8, 2.5, [1, 3]]


def test_errors_inside_sibling_module_point_at_it() -> None:
    host = FakeHost(modules={"bad": 'export func() { return 1 + "x" }'})
    with pytest.raises(SpellError) as e:
        run('b := import("bad")\nb()', host=host)
    assert e.value.failure.file == "/spells/bad.tengo"


def test_check_reports_syntax_errors_only() -> None:
    eng = TengoEngine()
    assert eng.check('x := JSON.encode(INPUT)\ny := import("sibling")', "a.tengo") == []
    diags = eng.check("x := [1,\n", "a.tengo")
    assert len(diags) == 1 and diags[0].line == 2
    assert eng.check("return 1", "a.tengo")[0].message == "return not allowed outside function"


def test_repl_keeps_variables_and_closures() -> None:
    eng = TengoEngine()
    host = FakeHost()
    assert eng.repl_eval("a := 5", host) is None
    eng.repl_eval("inc := func() { a += 1; return a }", host)
    assert eng.repl_eval("inc()", host) == 6
    assert eng.repl_eval("a", host) == 6
    assert eng.repl_eval("a := 10; a + 1", host) == 11
    eng.reset_repl()
    with pytest.raises(SpellError):
        eng.repl_eval("a", host)


def test_debug_hook_reports_lines_calls_and_variables() -> None:
    events: list[tuple] = []

    def hook(event: str, stack: list) -> None:
        top = stack[-1]
        if event == "line":
            events.append(("line", top.function, top.line, len(stack), dict(top.variables())))
        else:
            events.append((event, top.function, len(stack)))

    eng = TengoEngine()
    eng.debug_hook = hook
    eng.run("a := 1\nf := func(x) {\n  y := x * 2\n  return y\n}\nexport f(a)", "/spells/main.tengo", None, FakeHost())
    lines = [e for e in events if e[0] == "line"]
    assert [(e[1], e[2], e[3]) for e in lines] == [("", 1, 1), ("", 2, 1), ("", 6, 1), ("f", 3, 2), ("f", 4, 2)]
    assert lines[-1][4] == {"x": 1, "y": 2}
    assert ("call", "f", 2) in events and ("return", "f", 2) in events


def test_arrays_alias_like_go_slices() -> None:
    src = """
a := [1, 2, 3]
b := a[0:2]
b = append(b, 9)
c := []
c = append(c, 1)
c = append(c, 2)
c = append(c, 3)
d := append(c, 4)
e := append(c, 5)
export [a, d, e]
"""
    assert run(src) == [[1, 2, 9], [1, 2, 3, 5], [1, 2, 3, 5]]


def test_array_growth_is_capped() -> None:
    with pytest.raises(LimitExceeded) as e:
        run("a := [0]\nfor { a = a + a }", host=FakeHost(limits=Limits(memory_mb=1)))
    assert e.value.what == "memory"
    assert "array size limit" in e.value.message and ":2" in e.value.message


@pytest.mark.parametrize(
    "src",
    [
        "a := []\nfor i := 0; true; i++ { a = append(a, i) }",
        "a := []\nb := a\nfor i := 0; true; i++ { a = append(a, i) }",
        "m := {}\nfor i := 0; true; i++ { m[string(i)] = i }",
        "m := []\nfor i := 0; true; i++ { m = append(m, {k: [i]}) }",
        'fmt := import("fmt")\nx := fmt.sprintf("%9999999d", 1)',
    ],
)
def test_every_allocation_path_counts_against_memory(src: str) -> None:
    with pytest.raises(LimitExceeded) as e:
        run(src, host=FakeHost(limits=Limits(memory_mb=8)))
    assert e.value.what == "memory"
    assert "memory limit of 8 MB exceeded" in e.value.message
    assert e.value.message.endswith(f":{src.count(chr(10)) + 1}")  # the line that allocates


def test_sprintf_widths_follow_go_bounds() -> None:
    assert run('fmt := import("fmt")\nexport fmt.sprintf("%900000000d", 1)') == "%!(NOVERB)%!(EXTRA int=1)"
    assert run('fmt := import("fmt")\nexport fmt.sprintf("%*d", 2000000, 1)') == "%!(BADWIDTH)1"
    assert run('fmt := import("fmt")\nexport fmt.sprintf("%5d", 1)') == "    1"


def test_failing_callbacks_do_not_leak_call_depth() -> None:
    class FailingHost(FakeHost):
        def bridge_call(
            self, target: Any, method: str, args: list, opts: Any, line: Any, callbacks: dict[int, Callable[..., Any]]
        ) -> Any:
            try:
                return callbacks[args[1]["$callback"]](1)
            except BridgeFault as f:
                raise BridgeFault("tool_failed", f.message) from None

    src = 'bad := func(n) { return n + "x" }\nfor i := 0; i < 3000; i++ { r := Tool.define("t", bad) }\nexport "done"'
    assert run(src, host=FailingHost()) == "done"


def test_statement_lines_for_breakpoints() -> None:
    from app.engines.tengo.debug import statement_lines

    src = "a := 1\nf := func(x) {\n  y := x\n\n  return y\n}\nif a {\n  b := 2\n}\n"
    assert statement_lines(src) == {1, 2, 3, 5, 7, 8}
