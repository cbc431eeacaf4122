"""Per-language editor facts: Lexilla lexer, keyword lists, style roles, comment token, indentation triggers."""
from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass, field

log = logging.getLogger(__name__)

LUA_KEYWORDS = ("and break do else elseif end false for function goto if in local nil not or repeat return then "
                "true until while")
LUA_BUILTINS = ("assert collectgarbage error getmetatable ipairs next pairs pcall print rawequal rawget rawlen "
                "rawset select setmetatable tonumber tostring type xpcall load _G _ENV _VERSION INPUT require")
LUA_LIBS = ("string table math utf8 coroutine os string.byte string.char string.find string.format string.gmatch "
            "string.gsub string.len string.lower string.match string.rep string.reverse string.sub string.upper "
            "table.concat table.insert table.move table.pack table.remove table.sort table.unpack math.abs "
            "math.ceil math.floor math.huge math.max math.min math.pi math.random math.sqrt math.tointeger "
            "math.type os.clock os.date os.difftime os.time coroutine.create coroutine.resume coroutine.wrap "
            "coroutine.yield coroutine.status utf8.char utf8.len")
JS_KEYWORDS = ("async await break case catch class const continue debugger default delete do else export extends "
               "false finally for function if import in instanceof let new null of return static super switch this "
               "throw true try typeof undefined var void while with yield")
JS_BUILTINS = ("Array Boolean Date Error JSON Map Math Number Object Promise RegExp Set String Symbol console "
               "parseInt parseFloat isNaN INPUT require module exports")
TENGO_KEYWORDS = ("break continue else for func if return export import in undefined true false error immutable "
                  "export")
TENGO_BUILTINS = ("len copy append delete splice string int bool float char bytes time is_int is_float is_string "
                  "is_bool is_char is_bytes is_array is_immutable_array is_map is_immutable_map is_iterable "
                  "is_time is_error is_undefined is_function is_callable type_name format range INPUT")


@dataclass
class LanguageSpec:
    """How the editor treats one spell language."""
    id: str
    label: str
    lexer: str                   # "lua" or "cpp"
    comment: str
    keywords: str
    builtins: str
    libs: str = ""
    #: style number → role name in :class:`app.ui.theme.Theme`
    styles: dict[int, str] = field(default_factory=dict)
    properties: dict[str, str] = field(default_factory=dict)
    indent_after: tuple[str, ...] = ()
    #: a line that is only one of these is dedented as it is typed (to the block it closes)
    dedent_on: tuple[str, ...] = ("}", ")", "]")
    string_styles: tuple[int, ...] = ()
    comment_styles: tuple[int, ...] = ()


_LUA_STYLES = {1: "comment", 2: "comment", 3: "comment", 4: "number", 5: "keyword", 6: "string", 7: "string",
               8: "string", 9: "keyword", 10: "operator", 11: "editor_fg", 12: "string", 13: "builtin",
               14: "builtin", 15: "builtin", 16: "bridge", 20: "label"}
_CPP_STYLES = {1: "comment", 2: "comment", 3: "comment", 4: "number", 5: "keyword", 6: "string", 7: "string",
               9: "keyword", 10: "operator", 11: "editor_fg", 12: "string", 13: "string", 14: "string",
               15: "comment", 16: "builtin", 17: "comment", 19: "bridge", 20: "string"}

LANGUAGES: dict[str, LanguageSpec] = {
    "lua": LanguageSpec("lua", "Lua", "lua", "--", LUA_KEYWORDS, LUA_BUILTINS, LUA_LIBS, _LUA_STYLES,
                        {"fold": "1", "fold.compact": "0"},
                        indent_after=("then", "do", "else", "repeat", "{", "("),
                        dedent_on=("end", "else", "elseif", "until", "}", ")", "]")),
    "js": LanguageSpec("js", "JavaScript", "cpp", "//", JS_KEYWORDS, JS_BUILTINS, "", _CPP_STYLES,
                       {"fold": "1", "fold.compact": "0", "fold.comment": "1", "lexer.cpp.backquoted.strings": "1",
                        "lexer.cpp.allow.dollars": "1", "styling.within.preprocessor": "0",
                        "lexer.cpp.track.preprocessor": "0"},
                       indent_after=("{", "(", "[")),
    "tengo": LanguageSpec("tengo", "Tengo", "cpp", "//", TENGO_KEYWORDS, TENGO_BUILTINS, "", _CPP_STYLES,
                          {"fold": "1", "fold.compact": "0", "lexer.cpp.backquoted.strings": "1",
                           "lexer.cpp.track.preprocessor": "0"},
                          indent_after=("{", "(", "[")),
    "json": LanguageSpec("json", "JSON", "json", "", "true false null", "",
                         styles={1: "number", 2: "string", 3: "string", 4: "bridge", 5: "string", 6: "comment",
                                 7: "comment", 8: "operator", 9: "string", 11: "keyword", 13: "error"},
                         properties={"fold": "1", "fold.compact": "0", "lexer.json.allow.comments": "1"},
                         indent_after=("{", "[")),
    "text": LanguageSpec("text", "Plain text", "", "", "", ""),
}

_EXT = {".lua": "lua", ".js": "js", ".mjs": "js", ".cjs": "js", ".tengo": "tengo", ".json": "json",
        ".jsonl": "json"}


def language_of(path: str | None) -> str:
    """``lua``/``js``/``tengo`` from the file extension; ``text`` otherwise (and ``lua`` for untitled)."""
    if not path:
        return "lua"
    return _EXT.get(os.path.splitext(path)[1].lower(), "text")


_bridge_names: tuple[str, ...] | None = None
_bridge_lock = threading.Lock()


def bridge_globals() -> tuple[str, ...]:
    """Names of the spell API globals, or ``()`` until :func:`load_bridge_globals` has run (never blocks: loading
    the registry imports every bridge module, ~0.5 s, which must not happen on the UI thread at start-up)."""
    return _bridge_names or ()


def load_bridge_globals() -> tuple[str, ...]:
    """Load the names from the bridge registry (blocking; call it from a background thread)."""
    global _bridge_names
    with _bridge_lock:
        if _bridge_names is None:
            try:
                from app.bridges import registry
                _bridge_names = tuple(g.name for g in registry.globals_info())
            except Exception:
                log.exception("bridge registry unavailable")
                _bridge_names = ()
    return _bridge_names


def create_lexer(spec: LanguageSpec):
    """A Lexilla lexer for ``spec`` with its keyword lists and properties set, or None for plain text."""
    if not spec.lexer:
        return None
    import lexilla
    kind = {"lua": lexilla.Language.LUA, "cpp": lexilla.Language.CPP, "json": lexilla.Language.JSON}[spec.lexer]
    lexer = lexilla.create_lexer(kind)
    if lexer is None:
        return None
    return lexer


def keyword_sets(spec: LanguageSpec) -> dict[int, str]:
    """Keyword list index → words for the editor's ``setKeyWords``."""
    bridges = " ".join(bridge_globals())
    if spec.lexer == "lua":
        return {0: spec.keywords, 1: spec.builtins, 2: spec.libs, 4: bridges}
    if spec.lexer == "cpp":
        return {0: spec.keywords, 1: spec.builtins, 3: bridges}
    if spec.lexer == "json":
        return {0: spec.keywords}
    return {}
