"""Sandbox escape regression suite: attack spells in Lua and JavaScript (and a few in Tengo), each with its exact
safe outcome.

Every route of docs/facts.md ("lupa", "quickjs") has at least one attack here, plus the holes found while writing the
suite (see docs/security.md). Every run also checks that the host is untouched: no provider key in any output,
result or error; no file created, changed or deleted outside the spell's folder; the host environment unchanged.

One Runner (one warm pool) serves the whole module, so the suite runs in seconds (most of them go to importing
litellm for the one LLM test).
"""

from __future__ import annotations

import os
import resource
from dataclasses import dataclass

import pytest

from app.engines.base import BridgeFault, BridgeSpec, Limits
from app.engines.lua_engine import LuaEngine, new_runtime
from app.engines.pool import worker_environment
from app.runner import Runner, RunOptions, RunResult

SECRET = "sk-llmspell-Canary0123456789abcdef"  # tokens a JS parser would accept
SECRET_VARS = ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "LLMSPELL_TEST_TOKEN")


# ------------------------------------------------------------------------------------------------ fixtures
@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """The spell's folder (with siblings and symlinks pointing out of it) and an outside folder with canaries."""
    base = tmp_path_factory.mktemp("sandbox")
    spells, outside = base / "spells", base / "outside"
    (spells / "sub").mkdir(parents=True)
    outside.mkdir()
    (outside / "secret.lua").write_text('return "OUTSIDE SECRET"\n')
    (outside / "secret.js").write_text('module.exports = "OUTSIDE SECRET";\n')
    (outside / "canary.txt").write_text("canary\n")
    (spells / "util.lua").write_text('return "sibling ok"\n')
    (spells / "util.js").write_text('module.exports = "sibling ok";\n')
    (spells / "evil.lua").symlink_to(outside / "secret.lua")
    (spells / "evil.js").symlink_to(outside / "secret.js")
    (outside / "secret.tengo").write_text('export "OUTSIDE SECRET"\n')
    (spells / "evil.tengo").symlink_to(outside / "secret.tengo")
    (spells / "linkdir").symlink_to(outside, target_is_directory=True)
    (spells / "envlink").symlink_to("/proc/self/environ")
    (spells / ".env").write_text(f"OPENAI_API_KEY={SECRET}\n")  # secrets next to a spell are common
    (spells / "notes.txt").write_text("notes\n")
    return {"spells": spells, "outside": outside}


@pytest.fixture(scope="module")
def runner():
    """One Runner for the module, started while provider keys are in the host's environment (so this overrides
    the session-wide ``runner`` of tests/conftest.py: its workers may have started before the keys were set)."""
    with pytest.MonkeyPatch.context() as mp:
        for name in SECRET_VARS:
            mp.setenv(name, SECRET)
        r = Runner()
        try:
            assert r.pool.wait_warm()
            yield r
        finally:
            r.shutdown()


def _snapshot(outside) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(outside.iterdir())}


@pytest.fixture(autouse=True)
def host_untouched(world, runner):
    """After every attack: the outside folder is byte for byte the same, the host environment unchanged."""
    before = _snapshot(world["outside"])
    env_before = {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}
    cwd = os.getcwd()
    yield
    assert _snapshot(world["outside"]) == before
    env_after = {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}
    assert {k: v for k, v in env_after.items() if k in env_before} == env_before
    assert all(k.startswith("LITELLM_") for k in set(env_after) - set(env_before))  # set by the LLM bridge
    assert all(os.environ[name] == SECRET for name in SECRET_VARS)
    assert os.getcwd() == cwd


@dataclass
class Outcome:
    result: RunResult
    out: str

    @property
    def value(self):
        assert self.result.status == "ok", self.result.failure
        return self.result.value

    def failed(self, code: str, message: str, status: str = "error") -> None:
        f = self.result.failure
        assert self.result.status == status, (self.result.status, self.result.value)
        assert (f.code, f.message) == (code, message)


class _Collect:
    def __init__(self):
        self.parts: list[str] = []

    def on_output(self, stream: str, text: str) -> None:
        self.parts.append(text)


@pytest.fixture
def spell(world, runner):
    """Run ``source`` as a spell file of the spell folder; checks that no secret comes out of it."""

    def run(
        lang: str, source: str, profile: str = "strict", name: str = "attack", settings: dict | None = None
    ) -> Outcome:
        path = world["spells"] / f"{name}.{lang}"
        path.write_text(source, encoding="utf-8")
        obs = _Collect()
        res = runner.run(str(path), options=RunOptions(profile=profile, settings=settings or {}), observer=obs)
        out = "".join(obs.parts)
        everything = out + repr(res.value) + repr(res.failure)
        assert SECRET not in everything
        assert res.status in ("ok", "error", "limit"), res.failure  # never crashed, never timed out
        assert res.failure is None or "time limit" not in res.failure.message
        return Outcome(res, out)

    return run


def nil_call(field: str, kind: str = "field") -> tuple[str, str]:
    return ("runtime", f"attempt to call a nil value ({kind} '{field}')")


# ================================================================================================ Lua
# --- python.eval / python.builtins ----------------------------------------------------------------------------
def test_lua_python_global_is_absent(spell):
    o = spell(
        "lua",
        "return {type(python), rawget(_G, 'python') == nil, rawget(_ENV, 'python') == nil,"
        " load('return python')() == nil}",
    )
    assert o.value == ["nil", True, True, True]


@pytest.mark.parametrize(
    "expr",
    [
        'python.eval(\'__import__("os").system("id")\')',
        "python.builtins.getattr(print, '__globals__')",
        "python.as_attrgetter(JSON).encode",
    ],
)
def test_lua_python_eval_and_builtins(spell, expr):
    spell("lua", f"return {expr}").failed("runtime", "attempt to index a nil value (global 'python')")


def test_lua_runtime_registers_no_python_and_denies_attributes():
    """The runtime itself: no python.eval/builtins, and attribute access on any Python object is refused (so
    neither ``obj.__class__`` nor a smuggled ``getattr`` can reach Python internals)."""
    rt = new_runtime()
    py = rt.globals().python
    assert py is None or (py.eval is None and py.builtins is None)
    ok, err = rt.execute("local o = ...; return pcall(function() return o.__class__ end)", object())
    assert (ok, type(err), str(err)) == (False, AttributeError, "access to Python attributes is not allowed in spells")
    ok, err = rt.execute("local o = ...; return pcall(function() o.x = 1 end)", type("T", (), {})())
    assert (ok, type(err), str(err)) == (False, AttributeError, "access to Python attributes is not allowed in spells")


# --- Python internals through anything the spell can hold ------------------------------------------------
@pytest.mark.parametrize(
    "source, code, message",
    [
        ("return JSON.encode.__class__", "runtime", "attempt to index a function value (field 'encode')"),
        ("return print.__globals__", "runtime", "attempt to index a function value (global 'print')"),
        ("return require.__closure__", "runtime", "attempt to index a function value (global 'require')"),
        ("return Agent.new().__class__", "invalid_argument", "Agent has no member '__class__'"),
        ("return JSON.__dict__", "invalid_argument", "JSON has no member '__dict__'"),
    ],
)
def test_lua_python_internals_through_host_values(spell, source, code, message):
    spell("lua", source).failed(code, message)


def test_lua_bridge_errors_and_inputs_are_plain_tables(spell):
    o = spell(
        "lua",
        """
        local ok, e = pcall(JSON.decode, '{')
        return {type(e), e.__class__ == nil, e.__globals__ == nil, e.code, type(INPUT)}""",
    )
    assert o.value == ["table", True, True, "invalid_argument", "nil"]


def test_lua_python_exception_never_reaches_the_spell(spell):
    """HOLE (fixed): bytes lupa cannot decode made a host call raise, and lupa handed the spell the Python
    exception object itself (userdata with lupa's metatable: __gc, __call, __index)."""
    o = spell(
        "lua",
        """
        local ok1, e1 = pcall(print, 'a\\255b')
        local ok2, e2 = pcall(require, 'x\\255')
        return {ok1, type(e1), ok2, type(e2), e2.code, e2.message}""",
    )
    assert o.value == [True, "nil", False, "table", "invalid_argument", "bad module name (not UTF-8)"]
    assert o.out == "a\ufffdb\n"


class _RaisingHost:
    """An EngineHost whose module reader fails with a plain Python error (as a disk error would)."""

    spell_dir = "/nonexistent"

    def __init__(self):
        from app.bridges import registry

        registry.load_all()
        spec = registry.describe()
        self.limits = Limits(timeout_s=10, memory_mb=64, output_bytes=1 << 20)
        self.bridges = BridgeSpec(spec["globals"], spec["types"])

    def output(self, stream, text):
        pass

    def bridge_call(self, target, method, args, opts, line, callbacks):
        raise BridgeFault("invalid_argument", "no")

    def read_module(self, name):
        raise OSError(5, "Input/output error")


def test_lua_raising_host_function_gives_a_plain_error_record():
    """Defence in depth for the hole above: whatever a host function raises, the spell sees a SpellError table."""
    value = LuaEngine().run(
        """
        local ok, e = pcall(require, 'util')
        return {ok, type(e), e.code, e.message, getmetatable(e)}""",
        "attack.lua",
        None,
        _RaisingHost(),
    )
    assert value == [False, "table", "internal", "host error: [Errno 5] Input/output error"]


# --- os / io / package / dofile / loadfile ---------------------------------------------------------------
@pytest.mark.parametrize(
    "call, field",
    [
        ("os.execute('touch {canary}')", "execute"),
        ("os.getenv('OPENAI_API_KEY')", "getenv"),
        ("os.exit(3)", "exit"),
        ("os.remove('{outside}/canary.txt')", "remove"),
        ("os.rename('{outside}/canary.txt', '{outside}/moved')", "rename"),
        ("os.tmpname()", "tmpname"),
        ("os.setlocale('C')", "setlocale"),
        ("os.kill(1, 9)", "kill"),
    ],
)
def test_lua_os_is_time_only(spell, world, call, field):
    canary = world["outside"] / "created-by-spell"
    src = "return " + call.format(canary=canary, outside=world["outside"])
    spell("lua", src).failed(*nil_call(field))
    assert not canary.exists()


def test_lua_os_table_holds_only_time_functions(spell):
    o = spell("lua", "local t = {} for k in pairs(os) do t[#t+1] = k end table.sort(t) return t")
    assert o.value == ["clock", "date", "difftime", "time"]


@pytest.mark.parametrize(
    "source, message",
    [
        ("return io.open('/etc/passwd'):read('a')", "attempt to index a nil value (global 'io')"),
        ("return io.popen('id')", "attempt to index a nil value (global 'io')"),
        ("return io.open('{outside}/written', 'w')", "attempt to index a nil value (global 'io')"),
        ("return package.loadlib('libc.so.6', 'system')", "attempt to index a nil value (global 'package')"),
        ("package.path = '/tmp/?.lua' return 1", "attempt to index a nil value (global 'package')"),
        ("return dofile('/etc/passwd')", "attempt to call a nil value (global 'dofile')"),
        ("return loadfile('{outside}/secret.lua')()", "attempt to call a nil value (global 'loadfile')"),
    ],
)
def test_lua_files_and_native_code(spell, world, source, message):
    spell("lua", source.format(outside=world["outside"])).failed("runtime", message)


# --- require ---------------------------------------------------------------------------------------------
def test_lua_require_sibling_works(spell):
    assert spell("lua", "return require('util')").value == "sibling ok"


@pytest.mark.parametrize(
    "name, code, message",
    [
        ("socket.core", "module_not_found", "module 'socket.core' not found in {spells}"),
        ("/etc/passwd", "invalid_argument", "bad module name '/etc/passwd' (use letters, digits, _ - and .)"),
        (
            "../outside/secret",
            "invalid_argument",
            "bad module name '../outside/secret' (use letters, digits, _ - and .)",
        ),
        ("..outside.secret", "invalid_argument", "bad module name '..outside.secret' (use letters, digits, _ - and .)"),
        ("{dotted}", "permission_denied", "module '{dotted}' is outside the spell's folder"),  # leading '.' → '/'
        ("evil", "permission_denied", "module 'evil' is outside the spell's folder"),  # symlinked file
        ("linkdir.secret", "permission_denied", "module 'linkdir.secret' is outside the spell's folder"),  # dir
    ],
)
def test_lua_require_cannot_leave_the_spell_folder(spell, world, name, code, message):
    dotted = str(world["outside"] / "secret").replace("/", ".")
    fill = {"spells": world["spells"], "dotted": dotted}
    o = spell("lua", f"local m = require('{name.format(**fill)}') return m")
    o.failed(code, message.format(**fill))


# --- load, binary chunks, string.dump --------------------------------------------------------------------
@pytest.mark.parametrize(
    "source",
    [
        "return {load('\\27Lua\\84\\0\\25\\147\\r\\n\\26\\n')}",
        "return {load('\\27Lua\\84\\0\\25\\147\\r\\n\\26\\n', 'x', 'b')}",
        "local n = 0 return {load(function() n = n + 1 if n == 1 then return '\\27LuaT' end end, 'x', 'bt')}",
    ],
)
def test_lua_load_refuses_binary_chunks(spell, source):
    assert spell("lua", source).value == {"2": "attempt to load a binary chunk (mode is 't')"}


def test_lua_load_runs_in_the_sandbox_env(spell):
    o = spell(
        "lua",
        "return {load('return os.execute, io, debug, python, package')() == nil, "
        "load('return os.time ~= nil', 'x', 't', nil)()}",
    )
    assert o.value == [True, True]


def test_lua_string_dump_is_gone(spell):
    assert spell("lua", "return {string.dump == nil, ('').dump == nil}").value == [True, True]


# --- the string metatable --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "source, message",
    [
        ("return getmetatable('').__index", "attempt to index a boolean value"),
        ("getmetatable('').__index = {} return 1", "attempt to index a boolean value"),
        ("local x = setmetatable('', {})\nreturn x", "bad argument #1 to 'setmetatable' (table expected, got string)"),
    ],
)
def test_lua_string_metatable_is_locked(spell, source, message):
    spell("lua", source).failed("runtime", message)


def test_lua_string_metatable_reads_false(spell):
    assert spell("lua", "return getmetatable('')").value is False


def test_lua_changing_string_table_does_not_touch_string_methods(spell):
    o = spell(
        "lua", "string.upper = nil string.rep = function() return 'pwn' end return {('abc'):upper(), ('ab'):rep(2)}"
    )
    assert o.value == ["ABC", "abab"]


# --- __gc and collectgarbage -----------------------------------------------------------------------------
@pytest.mark.parametrize("gc", ["function() print('finalizer') end", "false", "print"])
def test_lua_setmetatable_refuses_gc(spell, gc):
    o = spell("lua", f"local t = {{}}\nlocal x = setmetatable(t, {{__gc = {gc}}})\nreturn 1")
    o.failed("runtime", "setmetatable: __gc metamethods are not allowed in spells")


def test_lua_no_gc_through_the_sandbox_error_metatable(spell):
    """HOLE (fixed): getmetatable(bridge error) returned the sandbox's ERROR_MT; a spell added __gc to it and every
    later bridge error became a finalizer (running spell code at any allocation, e.g. while the memory limit is
    lifted for a host push)."""
    o = spell(
        "lua",
        """
        local ok, e = pcall(JSON.decode, '{')
        local mt = getmetatable(e)
        if mt then mt.__gc = function() print('finalizer ran') end end
        for i = 1, 5 do pcall(JSON.decode, '{') end
        collectgarbage() collectgarbage()
        return {mt == nil, tostring(e)}""",
    )
    assert o.value[0] is True
    assert o.value[1].startswith("invalid_argument: invalid JSON")
    assert o.out == ""


def test_lua_arrays_metatable_is_private(spell):
    assert spell("lua", "return getmetatable(JSON.array()) == nil").value is True


@pytest.mark.parametrize(
    "opt", ["stop", "restart", "step", "incremental", "generational", "setpause", "setstepmul", "isrunning"]
)
def test_lua_collectgarbage_options(spell, opt):
    spell("lua", f"local r = collectgarbage('{opt}')\nreturn r").failed(
        "runtime", f"collectgarbage: option '{opt}' is not allowed in spells"
    )


def test_lua_collectgarbage_collect_and_count_allowed(spell):
    assert spell("lua", "return {collectgarbage(), math.type(collectgarbage('count'))}").value == [0, "float"]


# --- debug, coroutines, _G/_ENV --------------------------------------------------------------------------
@pytest.mark.parametrize(
    "source, message",
    [
        ("return debug.getregistry()", "attempt to index a nil value (global 'debug')"),
        ("return debug.getupvalue(print, 1)", "attempt to index a nil value (global 'debug')"),
        ("return debug.sethook()", "attempt to index a nil value (global 'debug')"),
    ],
)
def test_lua_debug_library_is_absent(spell, source, message):
    spell("lua", source).failed("runtime", message)


def test_lua_coroutines_see_the_same_sandbox(spell):
    o = spell(
        "lua",
        "return {coroutine.wrap(function() return debug == nil and io == nil and python == nil "
        "and _G.os.execute == nil end)(), coroutine.isyieldable()}",
    )
    assert o.value == [True, False]


def test_lua_coroutine_yield_across_a_bridge_callback(spell, world):
    o = spell(
        "lua",
        """
        Tool.register('t', 'd', {type = 'object'}, function(a) coroutine.yield('escaped') return 'x' end)
        local co = coroutine.wrap(function() return Tool.call('t', {}) end)
        local v = co()
        return v""",
    )
    o.failed(
        "tool_failed", f"tool 't' failed: {world['spells'] / 'attack.lua'}:2: attempt to yield from outside a coroutine"
    )


def test_lua_bridge_callback_inside_a_coroutine(spell):
    o = spell(
        "lua",
        """
        Tool.register('t', 'd', {type = 'object'}, function(a) return io == nil and 'sandboxed' or 'escaped' end)
        return coroutine.wrap(function() return Tool.call('t', {}) end)()""",
    )
    assert o.value == "sandboxed"


FORBIDDEN_LUA = {
    "python",
    "io",
    "debug",
    "package",
    "dofile",
    "loadfile",
    "loadstring",
    "module",
    "jit",
    "ffi",
    "bit32",
    "unpack",
    "newproxy",
    "setfenv",
    "getfenv",
}


def test_lua_global_environment_is_whitelisted(spell):
    o = spell("lua", "local t = {} for k in pairs(_G) do t[#t+1] = k end return {t, _G == _ENV, _G._G == _G}")
    names, same, selfref = o.value
    assert same is True and selfref is True
    assert not FORBIDDEN_LUA & set(names)
    assert {"print", "require", "load", "JSON"} <= set(names)


def test_lua_env_tricks_do_not_reach_the_real_globals(spell):
    o = spell(
        "lua",
        """
        local r = {}
        setmetatable(_ENV, {__index = function(_, k) return 'from metatable' end})
        r[1] = io                                       -- our own __index, nothing real behind it
        local _ENV = {load = load}
        r[2] = load('return rawget(_ENV, "io") == nil and rawget(_ENV, "debug") == nil')()
        return r""",
    )
    assert o.value == ["from metatable", True]


# --- bridge tables ---------------------------------------------------------------------------------------
def test_lua_rawget_on_bridge_tables_gives_lua_closures(spell):
    o = spell(
        "lua",
        "local a = Agent.new() return {type(rawget(JSON, 'encode')), getmetatable(JSON), "
        "getmetatable(a), math.type(rawget(a, '__handle'))}",
    )
    assert o.value == ["function", False, False, "integer"]


def test_lua_forged_handle_id_is_refused(spell):
    spell("lua", "local a = Agent.new() rawset(a, '__handle', 9999) local n = a:name() return n").failed(
        "invalid_argument", "object #9999 no longer exists"
    )


def test_lua_forged_handle_cannot_inject_json(spell):
    """HOLE (fixed): a table whose metatable carried __handle_type had its __handle concatenated raw into the
    JSON sent to the host."""
    o = spell("lua", "return JSON.encode(setmetatable({__handle = '1,\"x\":2'}, {__handle_type = 'Agent'}))")
    assert o.value == '{"__handle":"1,\\"x\\":2"}'


@pytest.mark.parametrize("lang", ["lua", "js"])
def test_handle_markers_in_data_stay_data(spell, lang):
    """Fixed (robustness): in Lua, data holding a "$handle" key (JSON.decode, tool or model results) failed with an
    empty internal error. Only the exact host form {"$handle", "$type"} is a handle now, in both languages."""
    src = {
        "lua": 'local a = JSON.decode(\'{"$handle": 1}\') local b = JSON.decode(\'{"$handle": 1, '
        '"$type": "Agent", "x": 2}\') return {a[\'$handle\'], b.x, b[\'$type\']}',
        "js": 'const a = JSON.decode(\'{"$handle": 1}\'); const b = JSON.decode(\'{"$handle": 1, '
        '"$type": "Agent", "x": 2}\'); return [a[\'$handle\'], b.x, b[\'$type\']];',
    }[lang]
    assert spell(lang, src).value == [1, 2, "Agent"]


def test_lua_changes_to_bridges_and_globals_do_not_outlive_the_run(spell):
    first = spell(
        "lua",
        """
        rawset(JSON, 'encode', function() return 'pwned' end)
        JSON.decode = nil
        string.upper = nil
        leaked_global = 'from run 1'
        return JSON.encode({1})""",
    )
    assert first.value == "pwned"
    second = spell("lua", "return {JSON.encode({1}), JSON.decode('[2]'), string.upper('a'), leaked_global}")
    assert second.value == ["[1]", [2], "A"]


@pytest.mark.parametrize("tostring", ["function() error('boom') end", "function() return {} end"])
def test_lua_error_object_with_failing_tostring(spell, world, tostring):
    """HOLE (fixed, robustness): the sandbox called the spell's __tostring unprotected after the run; its failure
    escaped as a Lua traceback of sandbox internals ([string "<python>"]:380), or in a callback as an internal
    error that left the host's callback call unanswered."""
    obj = f"setmetatable({{}}, {{__tostring = {tostring}}})"
    spell("lua", f"error({obj})").failed("runtime", "(error object whose __tostring failed)")
    o = spell(
        "lua",
        f"Tool.register('t', 'd', {{type = 'object'}}, function(a) error({obj}) end)\nreturn Tool.call('t', {{}})",
    )
    o.failed(
        "tool_failed", f"tool 't' failed: {world['spells'] / 'attack.lua'}:1: (error object whose __tostring failed)"
    )


def test_lua_print_of_invalid_utf8(spell):
    o = spell("lua", "print('a\\255\\254b') return 1")
    assert (o.value, o.out) == (1, "a\ufffd\ufffdb\n")


# ================================================================================================ JavaScript
def test_js_host_callables_are_gone(spell):
    o = spell(
        "js",
        "return [typeof __ls_host_call, typeof __ls_host_output, typeof __ls_host_module, "
        "typeof __ls_internal, typeof globalThis.__ls_modules]",
    )
    assert o.value == ["undefined"] * 5


@pytest.mark.parametrize(
    "source",
    [
        "return (function(){}).constructor('return this')()",
        "return console.log.constructor.constructor('return this')()",
        "return (0, eval)('this')",
        "return Function('return this')()",
        "return [].map.constructor('return this')()",
        "return JSON.encode.constructor('return globalThis')()",
    ],
)
def test_js_constructor_chains_reach_no_host_callable(spell, source):
    o = spell(
        "js",
        f"const f = () => {{ {source} }}; let g = f(); "
        "if (typeof g === 'function') g = g(); "
        "return Reflect.ownKeys(g).map(String).filter(k => /__ls|host/i.test(k))",
    )
    assert o.value == []


def test_js_no_host_names_anywhere_reachable(spell):
    o = spell(
        "js",
        """
        const seen = new Set(), found = [];
        function walk(o, d) {
          if (o === null || (typeof o !== 'object' && typeof o !== 'function') || seen.has(o) || d > 5) return;
          seen.add(o);
          for (const k of Reflect.ownKeys(o)) {
            if (/__ls|host/i.test(String(k))) found.push(String(k));
            let v; try { v = o[k]; } catch (e) { continue; }
            walk(v, d + 1);
          }
          walk(Object.getPrototypeOf(o), d + 1);
        }
        walk(globalThis, 0); walk(Agent.new(), 0);
        return found;""",
    )
    assert o.value == []


def test_js_caller_chains_from_a_callback(spell):
    o = spell(
        "js",
        """
        function peek() { return peek.caller; }
        Tool.register('t', 'd', {type: 'object'}, function (a) {
          return [String(peek()), String(arguments.callee.caller)].join(' ');
        });
        return Tool.call('t', {});""",
    )
    assert o.value == "undefined undefined"


def test_js_no_runtime_apis(spell):
    o = spell(
        "js",
        "return [typeof process, typeof std, typeof os, typeof fetch, "
        "typeof XMLHttpRequest, typeof WebAssembly, typeof Deno, typeof Bun]",
    )
    assert o.value == ["undefined"] * 8


def test_js_timers_take_functions_only(spell):
    # setTimeout exists (the worker's event loop runs it) but never evaluates a string of code, as browsers do
    o = spell("js", "try { setTimeout('globalThis.x = 1', 0); } catch (e) { return [e.code, typeof x]; }")
    assert o.value == ["invalid_argument", "undefined"]


# --- require ---------------------------------------------------------------------------------------------
def test_js_require_sibling_works(spell):
    assert spell("js", "return require('./util')").value == "sibling ok"


@pytest.mark.parametrize(
    "name, code, message",
    [
        (
            "/etc/passwd",
            "module_not_found",
            "require('/etc/passwd'): only sibling files of the spell can be required, as './name'",
        ),
        ("fs", "module_not_found", "require('fs'): only sibling files of the spell can be required, as './name'"),
        (
            "child_process",
            "module_not_found",
            "require('child_process'): only sibling files of the spell can be required, as './name'",
        ),
        ("../outside/secret", "permission_denied", "require('../outside/secret') leaves the spell's folder"),
        (
            "./sub/../../outside/secret.js",
            "permission_denied",
            "require('./sub/../../outside/secret.js') leaves the spell's folder",
        ),
        ("./evil", "permission_denied", "module 'evil' is outside the spell's folder"),
        ("./linkdir/secret", "permission_denied", "module 'linkdir/secret' is outside the spell's folder"),
    ],
)
def test_js_require_cannot_leave_the_spell_folder(spell, name, code, message):
    spell("js", f"return require('{name}')").failed(code, message)


ENV_LEAK = """
const seen = [];
Object.setPrototypeOf(globalThis, new Proxy(Object.getPrototypeOf(globalThis), {
  get(t, k) { if (typeof k === 'string' && !(k in t)) { seen.push(k); return 0; } return Reflect.get(t, k); },
}));
let code;
try { require('./%s'); } catch (e) { code = e.code; }
return [code, seen.join('-')];"""


@pytest.mark.parametrize("name", [".env", "notes.txt", "sub/../.env"])
def test_js_require_reads_only_js_files(spell, name):
    """HOLE (fixed): require() ran any file of the spell's folder as JavaScript; with unknown names resolved
    through a Proxy on the global's prototype, a strict spell read every token of a `.env` file next to it
    (`OPENAI_API_KEY=sk-...`). Only .js/.cjs/.mjs files are modules now."""
    o = spell("js", ENV_LEAK % name)
    assert o.value == ["module_not_found", ""]


@pytest.mark.parametrize("source", ['x := import("./.env")\nexport x', 'x := import(".env")\nexport x'])
def test_tengo_import_reads_only_tengo_files(spell, source):
    name = source.split('"')[1]
    spell("tengo", source).failed("syntax", f"module '{name}' not found")


def test_js_require_with_subverted_path_normalisation(spell, world):
    """The prelude's path checks run on patchable built-ins; the worker checks the real path again."""
    o = spell(
        "js",
        """
        Array.prototype.push = function (x) { this[this.length] = x === 'up' ? '..' : x; };
        return require('./up/outside/secret.js');""",
    )
    o.failed("permission_denied", "module '../outside/secret.js' is outside the spell's folder")


def test_js_require_with_a_non_string_path(spell):
    """HOLE (fixed, robustness): a patched RegExp made the module path a JS object; the host callable raised,
    leaving a Python error set inside quickjs (an internal SystemError naming quickjs objects)."""
    o = spell(
        "js",
        "RegExp.prototype[Symbol.replace] = function () { return {}; }; "
        "try { require('./util'); } catch (e) { return [e.code, e.message]; }",
    )
    assert o.value == ["invalid_argument", "bad module name"]


# --- bridge globals and prototypes -----------------------------------------------------------------------
@pytest.mark.parametrize(
    "source, expected",
    [
        ("JSON.encode = () => 'pwn'; return JSON.encode([1])", "[1]"),
        (
            "return [delete globalThis.JSON, delete globalThis.Tool, typeof JSON.encode, typeof Tool.call].join()",
            "false,false,function,function",
        ),
        ("Object.prototype.encode = () => 'pwn'; return JSON.encode([1])", "[1]"),
    ],
)
def test_js_bridge_globals_cannot_be_replaced(spell, source, expected):
    assert spell("js", source).value == expected


@pytest.mark.parametrize(
    "source, message",
    [
        ("'use strict'; JSON.encode = () => 'pwn';", "TypeError: 'encode' is read-only"),
        ("Object.defineProperty(globalThis, 'JSON', {value: {}});", "TypeError: property is not configurable"),
        ("'use strict'; Tool = {};", "TypeError: 'Tool' is read-only"),
    ],
)
def test_js_bridge_globals_redefinition_throws(spell, source, message):
    """HOLE (fixed): bridge globals inherited `configurable: true` from the built-in JSON, so a spell could
    delete or redefine them (and the prelude's own JSON with them)."""
    spell("js", source).failed("runtime", message)


def test_js_prototype_pollution_does_not_reach_the_next_run(spell):
    first = spell(
        "js",
        """
        Object.prototype.polluted = 'yes';
        Array.prototype.map = () => 'pwned';
        String.prototype.startsWith = () => true;
        Function.prototype.call = () => 'pwned';
        JSON.parse = () => ({});
        globalThis.leaked = 'from run 1';
        return 1;""",
    )
    assert first.value == 1
    second = spell(
        "js",
        "return [({}).polluted === undefined, [1].map(x => x + 1), 'a'.startsWith('b'), "
        "typeof leaked, JSON.encode({a: 1}), Math.max.call(null, 1, 2)]",
    )
    assert second.value == [True, [2], False, "undefined", '{"a":1}', 2]


def test_js_forged_handle_is_refused(spell):
    o = spell(
        "js",
        """
        const a = Agent.new();
        const sym = Object.getOwnPropertySymbols(a)[0];
        const fake = Object.create(Object.getPrototypeOf(a));
        Object.defineProperty(fake, sym, {value: 9999});
        return fake.name();""",
    )
    o.failed("invalid_argument", "object #9999 no longer exists")


# --- wrapper breakout -------------------------------------------------------------------------------------
BREAKOUT = "}); %s; (function () {"


def test_js_syntax_check_never_runs_the_spell(runner, world):
    """HOLE (fixed): `check` evaluated the wrapped spell, and a spell closing the wrapper ran its code during a
    mere syntax check (the IDE checks files as they are opened and edited): a loop held a worker for 30 s and
    the check then reported no problem."""
    source = BREAKOUT % "throw new SyntaxError('ran during check')"
    assert runner.check(source, str(world["spells"] / "attack.js")) == []
    bad = runner.check("return 1 +", str(world["spells"] / "attack.js"))
    assert [d.message for d in bad] == ["unexpected token in expression: '}'"]


def test_js_wrapper_breakout_in_a_run_stays_in_the_sandbox(spell):
    o = spell("js", BREAKOUT % "console.log(typeof __ls_internal, typeof __ls_host_call, typeof process)")
    assert (o.value, o.out) == (None, "undefined undefined undefined\n")


# --- "__proto__" keys in data ---------------------------------------------------------------------------
def test_js_proto_key_in_host_data_is_a_plain_key(spell):
    """HOLE (fixed, integrity): host data (JSON.decode, INPUT, tool and model results) with a "__proto__" key was
    copied by assignment, so the key vanished and its fields became inherited properties of the object."""
    o = spell(
        "js",
        """
        const v = JSON.decode('{"__proto__": {"isAdmin": true}, "a": 1}');
        return [Object.keys(v), v.isAdmin === undefined, Object.getPrototypeOf(v) === Object.prototype,
                ({}).isAdmin === undefined, JSON.encode(JSON.parse('{"__proto__": {"x": 1}}'))];""",
    )
    assert o.value == [["__proto__", "a"], True, True, True, '{"__proto__":{"x":1}}']


# --- lone surrogates (text Python cannot hold) -----------------------------------------------------------
def test_js_lone_surrogates_in_output_result_and_bridge_args(spell):
    """HOLE (fixed, robustness): a lone surrogate in console.log / require left a Python error set in quickjs
    (internal error naming quickjs objects); in a result it crashed the worker's protocol writer."""
    o = spell("js", "console.log('a\\uD800b'); return [JSON.encode(['c\\uDC00']), 'd\\uD800']")
    assert o.value == ['["c\ufffd"]', "d\ufffd"]
    assert o.out == "a\ufffdb\n"


def test_js_lone_surrogate_in_error_and_module_name(spell):
    spell("js", "throw new Error('bad \\uD800 text')").failed("runtime", "bad \ufffd text")
    o = spell("js", "try { require('./x\\uD800'); } catch (e) { return e.code; }")
    assert o.value == "module_not_found"


# ================================================================================================ Tengo
@pytest.mark.parametrize(
    "source, code, message",
    [
        ('os := import("os")\nexport os.getenv("OPENAI_API_KEY")', "syntax", "module 'os' not found"),
        ('x := import("evil")\nexport x', "syntax", "module 'evil' not found"),
        ('x := import("../outside/secret")\nexport x', "syntax", "module '../outside/secret' not found"),
        ('x := "abc"\nexport x.__class__', "runtime", "invalid index type: string"),
        ("f := func() {}\nexport f.__globals__", "runtime", "not indexable: compiled-function"),
        ("export JSON.encode.__globals__", "runtime", "not indexable: user-function:JSON.encode"),
    ],
)
def test_tengo_same_guarantees(spell, source, code, message):
    """Tengo (a Python-implemented interpreter) is not the subject of this suite; these pin its main routes."""
    spell("tengo", source).failed(code, message)


def test_tengo_dunder_selectors_are_undefined(spell):
    assert spell(
        "tengo", 'm := {}\nfmt := import("fmt")\nexport [m.__class__, fmt.__dict__, JSON.__class__]'
    ).value == [None, None, None]


# ================================================================================================ environment
@pytest.mark.parametrize(
    "lang, source",
    [
        ("lua", "return {os.getenv == nil, io == nil}"),
        ("js", "return [typeof process, typeof os]"),
    ],
)
def test_spell_has_no_environment_api(spell, lang, source):
    assert spell(lang, source).value in ([True, True], ["undefined", "undefined"])


def _idle_worker(runner, lang):
    w = runner.pool.acquire(lang)
    runner.pool.release(w, {"runs": w.runs})
    return w


@pytest.mark.parametrize("lang", ["lua", "js"])
def test_worker_environment_is_scrubbed(runner, lang):
    """Even /proc/self/environ of the worker (if a spell ever read it) holds no provider key."""
    w = _idle_worker(runner, lang)
    raw = open(f"/proc/{w.pid}/environ", "rb").read()
    env = dict(item.split("=", 1) for item in raw.decode().split("\0") if item)
    assert SECRET not in raw.decode()
    assert not set(SECRET_VARS) & set(env)
    assert set(env) <= set(worker_environment()) | {"LC_CTYPE"}


@pytest.mark.parametrize(
    "lang, source",
    [
        ("lua", "return Tool.call('file_read', {path = '/proc/self/environ'})"),
        ("lua", "return Tool.call('file_read', {path = 'envlink'})"),
        ("js", "return Tool.call('file_read', {path: '/proc/self/environ'})"),
        ("js", "return Tool.call('file_read', {path: 'linkdir/../../../../../../proc/self/environ'})"),
    ],
)
def test_environ_through_the_trusted_file_tool(spell, lang, source):
    """file_read runs in the host (whose environment has the keys): confined to the workspace."""
    o = spell(lang, source, profile="trusted")
    path = source.split("path")[1].split("'")[1]
    o.failed("permission_denied", f"{path!r} is outside the workspace")


@pytest.mark.parametrize("profile", ["strict", "standard"])
def test_file_tools_absent_below_trusted(spell, profile):
    o = spell("lua", "return Tool.call('file_read', {path = 'util.lua'})", profile=profile)
    assert o.result.failure.code == "not_found"
    assert o.result.failure.message.startswith("no tool named 'file_read'")


@pytest.mark.parametrize(
    "lang, source",
    [
        (
            "lua",
            "return LLM.chat({{role = 'user', content = 'hi'}}, {model = 'openai/gpt-4o', %s = 'http://127.0.0.1:9'})",
        ),
        ("js", "return LLM.chat([{role: 'user', content: 'hi'}], {model: 'openai/gpt-4o', %s: 'http://127.0.0.1:9'})"),
    ],
)
@pytest.mark.parametrize("option", ["api_base", "api_key", "base_url"])
def test_llm_options_cannot_redirect_the_hosts_keys(spell, lang, source, option):
    """The host's keys go only where the settings say: a spell cannot point a request (and its key) elsewhere."""
    js_option = {"api_base": "apiBase", "api_key": "apiKey", "base_url": "baseUrl"}[option]
    o = spell(lang, source % (option if lang == "lua" else js_option))
    assert o.result.failure.code == "invalid_argument"
    assert o.result.failure.message.startswith(f"LLM.chat: unknown option '{option}' (known: ")


@pytest.fixture(scope="module")
def llm_servers():
    from support.llm_server import LLMServer

    with LLMServer() as configured, LLMServer() as attacker:
        yield configured, attacker


@pytest.mark.parametrize("param", ["base_url"])
def test_llm_hook_params_cannot_redirect_the_hosts_keys(spell, llm_servers, param):
    """The configured endpoint for `openai` is a local server; the spell's hook points the request elsewhere.
    (`api_base` works the same way when no endpoint is configured, i.e. with the real provider: not testable
    offline once fixed, so only `base_url` is pinned here.)"""
    configured, attacker = llm_servers
    attacker.reset()
    o = spell(
        "lua",
        f"""
        Hook.register('before_llm', function(p)
          return {{model = 'openai/gpt-4o-mini', params = {{{param} = '{attacker.url}'}}}}
        end)
        return LLM.complete('hi')""",
        settings={"api_base": {"openai": configured.url}},
    )
    leaked = [q["headers"] for q in attacker.requests]
    assert leaked == [], f"the attacker's server received {leaked}"
    assert o.result.status == "error"
    assert o.result.failure.code == "invalid_argument"
    assert "base_url cannot be set by a hook" in o.result.failure.message


NEST_MSG = "bridge calls nested more than 16 deep (a callback calling a bridge that calls it back...)"


@pytest.mark.parametrize(
    "lang, source",
    [
        (
            "lua",
            "local d = 0\nTool.register('t', 'd', {type = 'object'}, function(a) d = d + 1 return Tool.call('t', {}) end)"
            "\nlocal ok, e = pcall(Tool.call, 't', {})\nreturn {d, ok, e.code}",
        ),
        (
            "js",
            "let d = 0;\nTool.register('t', 'd', {type: 'object'}, function (a) { d += 1; return Tool.call('t', {}); });"
            "\ntry { Tool.call('t', {}); } catch (e) { return [d, false, e.code]; }",
        ),
    ],
)
def test_recursive_bridge_callbacks_are_bounded(spell, lang, source):
    """HOLE (fixed): a tool whose body calls itself nested without bound; every level holds one of the host's
    bridge threads (64, shared by all runs), so after 64 levels the spell deadlocked, starving every other run's
    bridge calls, until its time limit (up to 300 s)."""
    o = spell(lang, source)
    assert o.value == [16, False, "limit_exceeded"]


def test_recursive_bridge_callbacks_uncaught(spell):
    o = spell(
        "lua",
        "Tool.register('t', 'd', {type = 'object'}, function(a) return Tool.call('t', {}) end)\n"
        "return Tool.call('t', {})",
    )
    o.failed("limit_exceeded", NEST_MSG, status="limit")


# ================================================================================================ files, process
@pytest.mark.parametrize("path", ["../outside/pwned.txt", "linkdir/pwned.txt", "{outside}/pwned.txt"])
def test_trusted_file_write_cannot_leave_the_workspace(spell, world, path):
    path = path.format(outside=world["outside"])
    o = spell("js", f"return Tool.call('file_write', {{path: '{path}', content: 'x'}})", profile="trusted")
    o.failed("permission_denied", f"{path!r} is outside the workspace")
    assert not (world["outside"] / "pwned.txt").exists()


@pytest.mark.parametrize(
    "url, code, message",
    [
        (
            "http://169.254.169.254/latest/meta-data",
            "permission_denied",
            "host '169.254.169.254' is not in this profile's HTTP allow-list",
        ),
        ("file:///proc/self/environ", "invalid_argument", "http_get takes http:// or https:// URLs only"),
    ],
)
def test_trusted_http_get_is_allow_listed(spell, url, code, message):
    spell("js", f"return Tool.call('http_get', {{url: '{url}'}})", profile="trusted").failed(code, message)


def _limits(pid: int) -> dict[str, tuple[str, str]]:
    out = {}
    for line in open(f"/proc/{pid}/limits").read().splitlines()[1:]:
        parts = line[26:].split()
        out[line[:26].strip()] = (parts[0], parts[1])
    return out


@pytest.mark.parametrize("lang", ["lua", "js"])
def test_worker_os_limits_and_isolation(runner, lang):
    """Backstops if a spell ever got code execution: no file may be written (RLIMIT_FSIZE 0), no core dump,
    bounded address space, no new privileges, its own session (signals to its group never reach the host)."""
    w = _idle_worker(runner, lang)
    limits = _limits(w.pid)
    assert limits["Max file size"] == ("0", "0")
    assert limits["Max core file size"] == ("0", "0")
    assert limits["Max address space"][0] != "unlimited"
    status = open(f"/proc/{w.pid}/status").read()
    assert "NoNewPrivs:\t1" in status
    assert os.getsid(w.pid) == w.pid != os.getsid(0)
    assert resource.getrlimit(resource.RLIMIT_FSIZE)[0] != 0  # the host itself is not limited


def test_signals_and_exit_are_unreachable(spell):
    lua = spell("lua", "return {os.exit == nil, os.kill == nil, os.execute == nil}")
    js = spell("js", "return [typeof process, typeof globalThis.kill, typeof globalThis.exit]")
    assert lua.value == [True, True, True]
    assert js.value == ["undefined"] * 3


# ================================================================================================ REPL
@pytest.mark.parametrize(
    "lang, entry, expected",
    [
        ("lua", "{python == nil, io == nil, debug == nil, os.execute == nil}", [True, True, True, True]),
        ("js", "[typeof __ls_host_call, typeof __ls_internal, typeof process].join()", "undefined,undefined,undefined"),
    ],
)
def test_repl_uses_the_same_sandbox(runner, lang, entry, expected):
    repl = runner.repl(lang, RunOptions(profile="strict"))
    try:
        res = repl.eval(entry)
        assert (res.status, res.value) == ("ok", expected)
    finally:
        repl.close()


# ================================================================================================ afterwards
def test_zz_pool_fine_after_all_attacks(spell):
    assert spell("lua", "return 'still fine'").value == "still fine"
    assert spell("js", "return 'still fine'").value == "still fine"
