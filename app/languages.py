"""The language registry: every fact the code branches on about a spell language, in one record per language.

Shaped like the bridge registry (:mod:`app.bridges.registry`): the worker, the runner, the CLI, the editor,
completion, the outline, the reference and packaging read these records instead of keeping their own tuples.
Adding a language (or a capability to one) is one :class:`Language` record here plus the modules it names.

Qt-free, litellm-free and engine-free (the worker imports it before its engine): engines and debug agents are
named by import path and loaded on demand with :meth:`Language.load_engine` / :meth:`Language.debug_agent_class`.
"""

from __future__ import annotations

import fnmatch
import importlib
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any


class ModuleNameError(ValueError):
    """A ``require``/``import`` name that the language's module resolver refuses (the message says why)."""


def _lua_modules(name: str) -> list[str]:
    """``require("a.b")`` → ``a/b.lua`` then ``a/b/init.lua`` (Lua's ``package.path`` order, folder-relative)."""
    if not name or any(not (c.isalnum() or c in "_.-") for c in name) or ".." in name:
        raise ModuleNameError(f"bad module name {name!r} (use letters, digits, _ - and .)")
    base = name.replace(".", "/")
    return [base + ".lua", base + "/init.lua"]


def _js_modules(name: str) -> list[str]:
    """``require("./x")`` → ``x.js`` then ``x/index.js``; a name with a JS extension is tried as written first
    (never other files: ``require('./.env')`` would run it)."""
    candidates = [name + ".js", name + "/index.js"]
    if name.endswith((".js", ".cjs", ".mjs")):
        candidates.insert(0, name)
    return candidates


def _tengo_modules(name: str) -> list[str]:
    """``import("x")`` → ``x.tengo`` (and ``x`` itself when it already ends in ``.tengo``)."""
    return [name + ".tengo"] + ([name] if name.endswith(".tengo") else [])


@dataclass(frozen=True)
class Language:
    """One spell language. Every field is a fact some part of the app branches on."""

    id: str  # "lua", "js", "tengo": the key used everywhere (RunRequest, settings)
    name: str  # display name: "JavaScript"
    extensions: tuple[str, ...]  # lower-case, with the dot; the first is the one new files get
    engine: str  # "module:Class" of the worker-side engine (app.engines.base.Engine)
    module_candidates: Callable[[str], list[str]]  # require/import name → relative paths to try, in order
    debug_agent: str | None = None  # "module:Class" of the worker-side debug agent; None: not debuggable
    test_patterns: tuple[str, ...] = ()  # file-name globs of test files ("*_spec.lua")
    aliases: tuple[str, ...] = ()  # other names accepted for ``--lang`` ("javascript")
    comment: str = ""  # line-comment prefix ("--", "//")
    keywords: tuple[str, ...] = ()  # reserved words (editor colouring, completion, reference checks)
    builtins: tuple[str, ...] = ()  # predefined global names (colouring, completion)
    libs: tuple[str, ...] = ()  # standard-library members (colouring)
    lexer: str = ""  # Lexilla lexer name: "lua" or "cpp"
    lexer_properties: tuple[tuple[str, str], ...] = ()
    indent_after: tuple[str, ...] = ()  # a line ending in one of these indents the next one
    dedent_on: tuple[str, ...] = ("}", ")", "]")  # a line that is only one of these is dedented as it is typed
    fence: str = ""  # name for Markdown code fences and Pygments ("go" for Tengo)
    #: outline symbols: (regular expression matched at line start, kind); group 1 = name, group 2 = "(params)"
    symbol_patterns: tuple[tuple[str, str], ...] = ()
    #: a local variable definition of ``{w}`` (an escaped name), for go-to-definition
    local_definition: str = ""
    #: names in scope for completion and hover: (kind, expression searched anywhere); group 1 = name(s) or
    #: parameter list ("param"), group 2 = a function's parameter list. Kinds: function, local, param.
    local_patterns: tuple[tuple[str, str], ...] = ()
    #: "module:function" returning the tree-sitter grammar (app/syntax.py); "" when the language has its own parser
    grammar: str = ""
    #: "module:Class" of the lint analysis (app/lint): ``Class(source, tree, reporter, modules).run()``
    analysis: str = ""

    @property
    def debuggable(self) -> bool:
        """Whether the debugger can run spells of this language."""
        return self.debug_agent is not None

    @property
    def default_extension(self) -> str:
        return self.extensions[0]

    def load_engine(self) -> Any:
        """A new engine instance (imports the engine module: the worker's warm-up)."""
        return _load(self.engine)()

    def debug_agent_class(self) -> Any:
        """The debug agent class (imported on first use); ``ValueError`` when the language has none."""
        if self.debug_agent is None:
            raise ValueError(f"{self.name} spells cannot be debugged")
        return _load(self.debug_agent)

    def grammar_capsule(self) -> Any:
        """The tree-sitter grammar (what ``tree_sitter.Language`` wraps); ``ValueError`` without one."""
        if not self.grammar:
            raise ValueError(f"no tree-sitter grammar for {self.name} (it has its own parser)")
        return _load(self.grammar)()

    def analysis_class(self) -> Any:
        """The lint analysis class (imported on first use); ``ValueError`` when the language has none."""
        if not self.analysis:
            raise ValueError(f"{self.name} spells cannot be linted")
        return _load(self.analysis)

    def is_test_file(self, path: str) -> bool:
        """Whether the file name matches one of the language's test-file patterns."""
        base = os.path.basename(path)
        return any(fnmatch.fnmatchcase(base, pat) for pat in self.test_patterns)


def _load(target: str) -> Any:
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)


LUA = Language(
    id="lua",
    name="Lua",
    extensions=(".lua",),
    engine="app.engines.lua_engine:LuaEngine",
    module_candidates=_lua_modules,
    grammar="tree_sitter_lua:language",
    analysis="app.lint.lua:LuaAnalysis",
    debug_agent="app.debugger.agent:LuaDebugAgent",
    test_patterns=("*_spec.lua", "*_test.lua"),
    aliases=("lua54",),
    comment="--",
    keywords=tuple(
        "and break do else elseif end false for function goto if in local nil not or repeat return "
        "then true until while".split()
    ),
    builtins=tuple(
        "assert collectgarbage error getmetatable ipairs next pairs pcall print rawequal rawget rawlen "
        "rawset select setmetatable tonumber tostring type xpcall load _G _ENV _VERSION INPUT "
        "require".split()
    ),
    libs=tuple(
        "string table math utf8 coroutine os string.byte string.char string.find string.format "
        "string.gmatch string.gsub string.len string.lower string.match string.rep string.reverse "
        "string.sub string.upper table.concat table.insert table.move table.pack table.remove table.sort "
        "table.unpack math.abs math.ceil math.floor math.huge math.max math.min math.pi math.random "
        "math.sqrt math.tointeger math.type os.clock os.date os.difftime os.time coroutine.create "
        "coroutine.resume coroutine.wrap coroutine.yield coroutine.status utf8.char utf8.len".split()
    ),
    lexer="lua",
    lexer_properties=(("fold", "1"), ("fold.compact", "0")),
    indent_after=("then", "do", "else", "repeat", "{", "("),
    dedent_on=("end", "else", "elseif", "until", "}", ")", "]"),
    fence="lua",
    symbol_patterns=(
        (r"^\s*(?:local\s+)?function\s+([\w.:]+)\s*(\([^)]*\))?", "function"),
        (r"^\s*(?:local\s+)?([\w.]+)\s*=\s*function\s*(\([^)]*\))?", "function"),
        (r"^(?:local\s+)?([A-Za-z_]\w*)\s*=(?!=)", "variable"),
    ),
    local_definition=r"^\s*local\s+(?:[\w\s,]*\b)?{w}\b",
    local_patterns=(
        ("function", r"\bfunction\s+([A-Za-z_][\w]*(?:[.:][A-Za-z_]\w*)*)\s*\(([^)]*)\)"),
        ("function", r"\blocal\s+function\s+([A-Za-z_]\w*)\s*\(([^)]*)\)"),
        ("local", r"\blocal\s+((?:[A-Za-z_]\w*(?:\s*<\w+>)?\s*,\s*)*[A-Za-z_]\w*)(?!\s*\()"),
        ("local", r"\bfor\s+((?:[A-Za-z_]\w*\s*,\s*)*[A-Za-z_]\w*)\s*(?:=|in\b)"),
        ("param", r"\bfunction\s*\(([^)]*)\)"),
    ),
)

JS = Language(
    id="js",
    name="JavaScript",
    extensions=(".js", ".mjs", ".cjs"),
    engine="app.engines.js_engine:JsEngine",
    module_candidates=_js_modules,
    grammar="tree_sitter_javascript:language",
    analysis="app.lint.js:JsAnalysis",
    debug_agent="app.debugger.js_agent:JsDebugAgent",
    test_patterns=("*.test.js", "*.spec.js"),
    aliases=("javascript",),
    comment="//",
    keywords=tuple(
        "async await break case catch class const continue debugger default delete do else export "
        "extends false finally for function if import in instanceof let new null of return static super "
        "switch this throw true try typeof undefined var void while with yield".split()
    ),
    builtins=tuple(
        "Array Boolean Date Error JSON Map Math Number Object Promise RegExp Set String Symbol console "
        "parseInt parseFloat isNaN INPUT require module exports".split()
    ),
    lexer="cpp",
    lexer_properties=(
        ("fold", "1"),
        ("fold.compact", "0"),
        ("fold.comment", "1"),
        ("lexer.cpp.backquoted.strings", "1"),
        ("lexer.cpp.allow.dollars", "1"),
        ("styling.within.preprocessor", "0"),
        ("lexer.cpp.track.preprocessor", "0"),
    ),
    indent_after=("{", "(", "["),
    fence="js",
    symbol_patterns=(
        (r"^\s*(?:export\s+)?(?:async\s+)?function\s*\*?\s*([\w$]+)\s*(\([^)]*\))?", "function"),
        (r"^\s*(?:export\s+)?class\s+([\w$]+)", "class"),
        (
            r"^\s*(?:export\s+)?(?:const|let|var)\s+([\w$]+)\s*=\s*(?:async\s+)?(?:function\b[^(]*)?"
            r"(\([^)]*\)|[\w$]+)\s*(?:=>|\{)",
            "function",
        ),
        (
            r"^\s+(?:async\s+|static\s+|get\s+|set\s+)*(?!if\b|for\b|while\b|switch\b|catch\b|return\b)"
            r"([\w$]+)\s*(\([^)]*\))\s*\{",
            "method",
        ),
        (r"^(?:const|let|var)\s+([\w$]+)\s*=(?!=)", "variable"),
    ),
    local_definition=r"^\s*(?:const|let|var)\s+{w}\b",
    local_patterns=(
        ("function", r"\bfunction\s*\*?\s*([A-Za-z_$][\w$]*)\s*\(([^)]*)\)"),
        ("local", r"\b(?:const|let|var)\s+([A-Za-z_$][\w$]*)"),
        ("local", r"\bclass\s+([A-Za-z_$][\w$]*)"),
        ("param", r"\bfunction\s*\(([^)]*)\)"),
        ("param", r"\(([^()]*)\)\s*=>"),
        ("param", r"(?<![\w$.])([A-Za-z_$][\w$]*)\s*=>"),
        ("local", r"\bfor\s*\(\s*(?:const|let|var)\s+([A-Za-z_$][\w$]*)"),
    ),
)

TENGO = Language(
    id="tengo",
    name="Tengo",
    extensions=(".tengo",),
    engine="app.engines.tengo.engine:TengoEngine",
    module_candidates=_tengo_modules,
    analysis="app.lint.tengo:TengoAnalysis",
    debug_agent="app.debugger.tengo_agent:TengoDebugAgent",
    test_patterns=("*_test.tengo",),
    comment="//",
    keywords=tuple(
        "break continue else error export false for func if immutable import in return true undefined".split()
    ),
    builtins=tuple(
        "len copy append delete splice string int bool float char bytes time is_int is_float is_string "
        "is_bool is_char is_bytes is_array is_immutable_array is_map is_immutable_map is_iterable "
        "is_time is_error is_undefined is_function is_callable type_name format range INPUT".split()
    ),
    lexer="cpp",
    lexer_properties=(
        ("fold", "1"),
        ("fold.compact", "0"),
        ("lexer.cpp.backquoted.strings", "1"),
        ("lexer.cpp.track.preprocessor", "0"),
    ),
    indent_after=("{", "(", "["),
    fence="go",
    symbol_patterns=(
        (r"^\s*([\w]+)\s*:?=\s*func\s*(\([^)]*\))", "function"),
        (r"^([A-Za-z_]\w*)\s*:=(?!=)", "variable"),
    ),
    local_definition=r"^\s*{w}\s*:=",
    local_patterns=(
        ("local", r"(?<![\w.])((?:[A-Za-z_]\w*\s*,\s*)*[A-Za-z_]\w*)\s*:="),
        ("param", r"\bfunc\s*\(([^)]*)\)"),
        ("local", r"\bfor\s+((?:[A-Za-z_]\w*\s*,\s*)*[A-Za-z_]\w*)\s+in\b"),
    ),
)

#: Every spell language, in display order. A new language is one record here plus its modules.
LANGUAGES: dict[str, Language] = {lang.id: lang for lang in (LUA, JS, TENGO)}

#: The language ids, in display order (``("lua", "js", "tengo")``).
IDS: tuple[str, ...] = tuple(LANGUAGES)

_BY_EXTENSION: dict[str, Language] = {ext: lang for lang in LANGUAGES.values() for ext in lang.extensions}
_BY_NAME: dict[str, Language] = {**{alias: lang for lang in LANGUAGES.values() for alias in lang.aliases}, **LANGUAGES}


def get(language_id: str) -> Language:
    """The record for ``language_id``; ``KeyError`` for an unknown id."""
    return LANGUAGES[language_id]


def find(language_id: str | None) -> Language | None:
    """The record for ``language_id``, or None (for ``"json"``, ``"text"``, None...)."""
    return LANGUAGES.get(language_id) if language_id else None


def is_spell_language(language_id: str | None) -> bool:
    """Whether ``language_id`` names a spell language (one that runs, checks, completes...)."""
    return bool(language_id) and language_id in LANGUAGES


def by_name(name: str) -> Language:
    """The language called ``name`` (an id or an alias, any case); ``ValueError`` names the known ones."""
    lang = _BY_NAME.get(name.lower())
    if lang is None:
        raise ValueError(f"unknown language {name!r} (expected one of: {', '.join(IDS)})")
    return lang


def for_path(path: str | os.PathLike[str] | None) -> Language | None:
    """The language of a file from its extension, or None when the extension is not a spell language's."""
    if not path:
        return None
    name = os.fspath(path).lower()
    for ext, lang in _BY_EXTENSION.items():
        if name.endswith(ext):
            return lang
    return None


def extensions() -> tuple[str, ...]:
    """Every spell file extension (``.lua``, ``.js``, ``.mjs``, ``.cjs``, ``.tengo``)."""
    return tuple(_BY_EXTENSION)


def primary_extensions() -> tuple[str, ...]:
    """One extension per language: the one new files get (``.lua``, ``.js``, ``.tengo``)."""
    return tuple(lang.default_extension for lang in LANGUAGES.values())


def debuggable() -> tuple[Language, ...]:
    """The languages the debugger supports."""
    return tuple(lang for lang in LANGUAGES.values() if lang.debuggable)


def is_debuggable(language_id: str | None) -> bool:
    """Whether spells in ``language_id`` can be debugged (False for unknown ids)."""
    lang = find(language_id)
    return lang is not None and lang.debuggable


def language_of_test_file(path: str) -> Language | None:
    """The language whose test-file patterns match ``path``'s file name, or None."""
    for lang in LANGUAGES.values():
        if lang.is_test_file(path):
            return lang
    return None


def all_test_patterns() -> tuple[str, ...]:
    """Every test-file glob (``*_spec.lua``, ``*_test.lua``, ``*.test.js``, ``*.spec.js``, ``*_test.tengo``)."""
    return tuple(pat for lang in LANGUAGES.values() for pat in lang.test_patterns)


def spoken_list(words: Iterable[str], conjunction: str = "and") -> str:
    """``"Lua, JavaScript and Tengo"``: words joined as a sentence would (for messages and help texts)."""
    items = list(words)
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {conjunction} {items[-1]}"


def names_list(langs: Iterable[Language] | None = None, conjunction: str = "and") -> str:
    """The display names of ``langs`` (default: every language) as :func:`spoken_list` joins them."""
    return spoken_list((lang.name for lang in (LANGUAGES.values() if langs is None else langs)), conjunction)
