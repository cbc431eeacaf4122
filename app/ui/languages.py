"""The editor's view of each language: Lexilla style roles per lexer on top of the spell languages' facts from
:mod:`app.languages` (keywords, comment token, lexer and its properties, indentation triggers), plus JSON and text."""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass, field

from app import languages as spell_languages

log = logging.getLogger(__name__)


@dataclass
class LanguageSpec:
    """How the editor treats one spell language."""

    id: str
    label: str
    lexer: str  # "lua" or "cpp"
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


_LUA_STYLES = {
    1: "comment",
    2: "comment",
    3: "comment",
    4: "number",
    5: "keyword",
    6: "string",
    7: "string",
    8: "string",
    9: "keyword",
    10: "operator",
    11: "editor_fg",
    12: "string",
    13: "builtin",
    14: "builtin",
    15: "builtin",
    16: "bridge",
    20: "label",
}
_CPP_STYLES = {
    1: "comment",
    2: "comment",
    3: "comment",
    4: "number",
    5: "keyword",
    6: "string",
    7: "string",
    9: "keyword",
    10: "operator",
    11: "editor_fg",
    12: "string",
    13: "string",
    14: "string",
    15: "comment",
    16: "builtin",
    17: "comment",
    19: "bridge",
    20: "string",
}

_STYLES_BY_LEXER = {"lua": _LUA_STYLES, "cpp": _CPP_STYLES}


def _spell_spec(lang: spell_languages.Language) -> LanguageSpec:
    """The editor's view of a spell language: its facts from the registry plus the lexer's style roles."""
    return LanguageSpec(
        lang.id,
        lang.name,
        lang.lexer,
        lang.comment,
        " ".join(lang.keywords),
        " ".join(lang.builtins),
        " ".join(lang.libs),
        _STYLES_BY_LEXER.get(lang.lexer, {}),
        dict(lang.lexer_properties),
        indent_after=lang.indent_after,
        dedent_on=lang.dedent_on,
    )


#: Every language the editor knows: the spell languages (from :mod:`app.languages`), JSON and plain text.
LANGUAGES: dict[str, LanguageSpec] = {
    **{lang.id: _spell_spec(lang) for lang in spell_languages.LANGUAGES.values()},
    "json": LanguageSpec(
        "json",
        "JSON",
        "json",
        "",
        "true false null",
        "",
        styles={
            1: "number",
            2: "string",
            3: "string",
            4: "bridge",
            5: "string",
            6: "comment",
            7: "comment",
            8: "operator",
            9: "string",
            11: "keyword",
            13: "error",
        },
        properties={"fold": "1", "fold.compact": "0", "lexer.json.allow.comments": "1"},
        indent_after=("{", "["),
    ),
    "text": LanguageSpec("text", "Plain text", "", "", "", "", dedent_on=()),
}

_OTHER_EXTENSIONS = {".json": "json", ".jsonl": "json"}


def language_of(path: str | None) -> str:
    """``lua``/``js``/``tengo`` from the file extension, ``json``, ``text`` otherwise (and ``lua`` for untitled)."""
    if not path:
        return "lua"
    lang = spell_languages.for_path(path)
    if lang is not None:
        return lang.id
    return _OTHER_EXTENSIONS.get(os.path.splitext(path)[1].lower(), "text")


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
