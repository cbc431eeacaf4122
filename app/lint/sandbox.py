"""What the spell sandboxes provide besides the bridge globals, per language — the names a spell may read.

These mirror ``app/engines/lua_sandbox.lua`` (``setup``), ``app/engines/js_prelude.js`` (``install`` plus the
ECMAScript built-ins of quickjs) and the Tengo engine's builtins; ``tests/lint/test_sandbox_facts.py`` compares
them with the real engines so the linter cannot drift from what a spell actually gets. Every profile runs the same
sandbox (see :mod:`app.engines.profiles`): profiles change limits and host-side tools, not globals.
"""

from __future__ import annotations

from functools import lru_cache

#: Lua: global → its members (None: not a table the linter checks)
LUA_GLOBALS: dict[str, frozenset[str] | None] = {
    **dict.fromkeys(
        (
            "assert",
            "error",
            "ipairs",
            "next",
            "pairs",
            "pcall",
            "rawequal",
            "rawget",
            "rawlen",
            "rawset",
            "select",
            "tonumber",
            "tostring",
            "type",
            "xpcall",
            "_VERSION",
            "getmetatable",
            "setmetatable",
            "collectgarbage",
            "load",
            "print",
            "require",
            "INPUT",
            "_G",
            "_ENV",
        )
    ),
    "string": frozenset(
        {
            "byte",
            "char",
            "find",
            "format",
            "gmatch",
            "gsub",
            "len",
            "lower",
            "match",
            "pack",
            "packsize",
            "rep",
            "reverse",
            "sub",
            "unpack",
            "upper",
        }
    ),
    "table": frozenset({"concat", "insert", "move", "pack", "remove", "sort", "unpack"}),
    "math": frozenset(
        {
            "abs",
            "acos",
            "asin",
            "atan",
            "ceil",
            "cos",
            "deg",
            "exp",
            "floor",
            "fmod",
            "huge",
            "log",
            "max",
            "maxinteger",
            "min",
            "mininteger",
            "modf",
            "pi",
            "rad",
            "random",
            "randomseed",
            "sin",
            "sqrt",
            "tan",
            "tointeger",
            "type",
            "ult",
        }
    ),
    "utf8": frozenset({"char", "charpattern", "codepoint", "codes", "len", "offset"}),
    "coroutine": frozenset({"close", "create", "isyieldable", "resume", "running", "status", "wrap", "yield"}),
    "os": frozenset({"time", "clock", "date", "difftime"}),
}
#: Standard Lua the sandbox leaves out, with the reason a spell sees in the message.
LUA_REMOVED: dict[str, str] = {
    "io": "spells have no file access (use Tool.call('file_read', ...) under the trusted profile)",
    "debug": "the debug library is not available to spells",
    "package": "spells load sibling modules with require('name') only",
    "dofile": "spells cannot run files; use require('name') for a sibling module",
    "loadfile": "spells cannot load files; use require('name') for a sibling module",
    "loadstring": "loadstring is Lua 5.1; use load(text)",
    "unpack": "unpack is Lua 5.1; use table.unpack",
    "setfenv": "setfenv is Lua 5.1 (not in Lua 5.4)",
    "getfenv": "getfenv is Lua 5.1 (not in Lua 5.4)",
}
LUA_REMOVED_MEMBERS: dict[str, str] = {
    "os.execute": "spells cannot run programs",
    "os.exit": "spells cannot end the process",
    "os.getenv": "spells cannot read the environment",
    "os.remove": "spells have no file access",
    "os.rename": "spells have no file access",
    "os.tmpname": "spells have no file access",
    "os.setlocale": "spells cannot change the locale",
    "string.dump": "spells cannot produce bytecode",
}

#: JavaScript: what the prelude installs (app/engines/js_prelude.js) and the wrapper's parameters
JS_PRELUDE = frozenset(
    {
        "console",
        "print",
        "SpellError",
        "INPUT",
        "require",
        "module",
        "exports",
        "setTimeout",
        "setInterval",
        "clearTimeout",
        "clearInterval",
        "AbortController",
        "AbortSignal",
    }
)
#: ECMAScript built-ins of quickjs (Object.getOwnPropertyNames(globalThis) of a fresh context)
JS_BUILTINS = frozenset(
    {
        "Object",
        "Function",
        "Error",
        "EvalError",
        "RangeError",
        "ReferenceError",
        "SyntaxError",
        "TypeError",
        "URIError",
        "InternalError",
        "AggregateError",
        "Array",
        "parseInt",
        "parseFloat",
        "isNaN",
        "isFinite",
        "decodeURI",
        "decodeURIComponent",
        "encodeURI",
        "encodeURIComponent",
        "escape",
        "unescape",
        "Infinity",
        "NaN",
        "undefined",
        "Number",
        "Boolean",
        "String",
        "Math",
        "Reflect",
        "Symbol",
        "eval",
        "globalThis",
        "Date",
        "RegExp",
        "JSON",
        "Proxy",
        "Map",
        "Set",
        "WeakMap",
        "WeakSet",
        "ArrayBuffer",
        "SharedArrayBuffer",
        "Uint8ClampedArray",
        "Int8Array",
        "Uint8Array",
        "Int16Array",
        "Uint16Array",
        "Int32Array",
        "Uint32Array",
        "BigInt64Array",
        "BigUint64Array",
        "Float32Array",
        "Float64Array",
        "DataView",
        "Atomics",
        "Promise",
        "BigInt",
    }
)
#: Host/browser names a spell might expect, with the reason they are missing.
JS_MISSING: dict[str, str] = {
    "process": "spells have no process or environment access",
    "fetch": "spells have no network access (use Tool.call('http_get', ...) under the trusted profile)",
    "setImmediate": "not in spells; use setTimeout(fn, 0)",
    "queueMicrotask": "not in quickjs; use Promise.resolve().then(fn)",
    "structuredClone": "not in quickjs; use JSON.parse(JSON.stringify(value))",
    "window": "spells do not run in a browser",
    "document": "spells do not run in a browser",
    "Deno": "spells do not run in Deno",
    "Bun": "spells do not run in Bun",
    "Buffer": "Buffer is Node.js only",
    "__dirname": "spells have no file paths",
    "__filename": "spells have no file paths",
}

#: Tengo: names the engine predefines besides its builtins
TENGO_PREDEFINED = frozenset({"INPUT"})


@lru_cache(maxsize=1)
def tengo_builtins() -> frozenset[str]:
    """The Tengo interpreter's builtin functions (``len``, ``string``, ``print``...)."""
    from app.engines.tengo.builtins import BUILTINS

    return frozenset(BUILTINS) | {"print"}  # the engine adds print (app/engines/tengo/engine.py)


@lru_cache(maxsize=1)
def tengo_modules() -> frozenset[str]:
    """Standard-library modules ``import("...")`` can load."""
    from app.engines.tengo.engine import STDLIB

    return frozenset(STDLIB) | {"llmspell"}  # "llmspell": the bridge globals as a module
