"""Tree-sitter grammars and parsers for the spell languages that have one (Lua, JavaScript). Qt-free.

The grammars are named by the language registry (:mod:`app.languages`, field ``grammar``). One place creates the
``Language`` objects (once per process) and the ``Parser`` objects (one per thread and
language: a tree-sitter parser must not be used from two threads at once). The linter, the editor's symbols and the
JavaScript debugger all parse through here. Tengo has no tree-sitter grammar: it uses its own parser
(:mod:`app.engines.tengo.parser`).

Trees work in UTF-8 bytes: a node's ``start_point`` is ``(row, byte column)``, both 0-based. :func:`edit_tree` turns a
text change into the ``Tree.edit`` call that incremental re-parsing needs.
"""

from __future__ import annotations

import threading
from functools import cache, lru_cache

import tree_sitter

from app import languages

__all__ = [
    "TREE_SITTER_LANGUAGES",
    "edit_tree",
    "has_grammar",
    "language",
    "parse",
    "parser",
    "point_at",
    "query",
    "query_cursor",
]

#: Spell languages parsed with tree-sitter (the others, Tengo, use their own parser): from the language registry.
TREE_SITTER_LANGUAGES = tuple(lang.id for lang in languages.LANGUAGES.values() if lang.grammar)

_local = threading.local()


def has_grammar(lang: str) -> bool:
    """Whether ``lang`` (``lua``, ``js``...) is parsed with tree-sitter."""
    return lang in TREE_SITTER_LANGUAGES


@cache
def language(lang: str) -> tree_sitter.Language:
    """The tree-sitter ``Language`` of a spell language; ``ValueError`` for one without a grammar."""
    record = languages.find(lang)
    if record is None or not record.grammar:
        raise ValueError(f"no tree-sitter grammar for {lang!r}")
    return tree_sitter.Language(record.grammar_capsule())


def parser(lang: str) -> tree_sitter.Parser:
    """This thread's parser for ``lang`` (created on first use)."""
    parsers: dict[str, tree_sitter.Parser] | None = getattr(_local, "parsers", None)
    if parsers is None:
        parsers = _local.parsers = {}
    p = parsers.get(lang)
    if p is None:
        p = parsers[lang] = tree_sitter.Parser(language(lang))
    return p


def parse(lang: str, source: str | bytes, old_tree: tree_sitter.Tree | None = None) -> tree_sitter.Tree:
    """Parse ``source``; pass the previous tree, already :func:`edit_tree`-ed, to re-parse incrementally."""
    data = source.encode("utf-8") if isinstance(source, str) else source
    if old_tree is None:
        return parser(lang).parse(data)
    return parser(lang).parse(data, old_tree)


@lru_cache(maxsize=64)
def query(lang: str, source: str) -> tree_sitter.Query:
    """A compiled tree-sitter query (cached: compiling costs far more than running)."""
    return tree_sitter.Query(language(lang), source)


def query_cursor(lang: str, source: str) -> tree_sitter.QueryCursor:
    """A cursor running :func:`query` (cursors hold match state: one per use, never shared across threads)."""
    return tree_sitter.QueryCursor(query(lang, source))


def point_at(data: bytes, offset: int) -> tuple[int, int]:
    """The ``(row, byte column)`` of byte ``offset`` in ``data``."""
    row = data.count(b"\n", 0, offset)
    line_start = data.rfind(b"\n", 0, offset) + 1
    return row, offset - line_start


def _common_prefix(a: bytes, b: bytes) -> int:
    """Length of the common prefix, by bisection on slice comparisons (memcmp in C: fast for large texts)."""
    lo, hi = 0, min(len(a), len(b))
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[:mid] == b[:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _common_suffix(a: bytes, b: bytes, limit: int) -> int:
    """Length of the common suffix, at most ``limit`` bytes."""
    lo, hi = 0, limit
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[len(a) - mid :] == b[len(b) - mid :]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def edit_tree(tree: tree_sitter.Tree, old: bytes, new: bytes) -> None:
    """Tell ``tree`` (parsed from ``old``) how the text became ``new``: one splice found from the common prefix and
    suffix, so any change (a keystroke, a paste, an undo) can be described without the editor's change events."""
    start = _common_prefix(old, new)
    suffix = _common_suffix(old, new, min(len(old), len(new)) - start)
    old_end, new_end = len(old) - suffix, len(new) - suffix
    if start == old_end == new_end:
        return
    tree.edit(
        start_byte=start,
        old_end_byte=old_end,
        new_end_byte=new_end,
        start_point=point_at(old, start),
        old_end_point=point_at(old, old_end),
        new_end_point=point_at(new, new_end),
    )
