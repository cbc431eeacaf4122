"""What every language's analysis shares: turning positions into diagnostics, scopes of local names, suppression
comments and the severities of the project's ``[lint]`` settings."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from app.lint.api import Finding
from app.lint.diagnostic import Diagnostic, Fix, Severity
from app.lint.rules import RULES

#: ``-- llmspell: ignore rule-a, rule-b`` / ``// llmspell: ignore`` (all rules); ``ignore-file`` for the whole file
_SUPPRESS = re.compile(r"(?:--|//)\s*llmspell:\s*ignore(-file)?\b([ \t]+[\w\-, \t]+)?")


@dataclass
class Symbol:
    """A local name: variable, parameter, function, loop variable or import."""

    name: str
    kind: str  # "local", "param", "function", "import", "loop"
    node: Any
    #: the statement that declares only this name, when removing it is a safe "remove unused" fix
    removable: Any = None
    used: bool = False
    type: str | None = None  # the handle type of the value (Agent...) when known from its constructor
    references: list[Any] = field(default_factory=list)
    #: positional siblings (a function's parameters, ``local ok, err = pcall(...)``): an unused one before a used
    #: one is a placeholder, not a mistake (ESLint's "after-used")
    group: list[Symbol] | None = field(default=None, repr=False)
    #: a parameter of a callback whose signature the bridge API dictates
    dictated: bool = False


def is_placeholder(sym: Symbol) -> bool:
    """Whether an unused symbol is excused: named to be ignored, dictated by the API, or followed by a used
    positional sibling."""
    if is_ignorable_name(sym.name) or sym.dictated:
        return True
    if sym.group:
        later = sym.group[sym.group.index(sym) + 1 :] if sym in sym.group else []
        return any(s.used for s in later)
    return False


class Analysis(Protocol):
    """What every language's analysis offers after :meth:`run`: its symbols and their positions."""

    symbols: list[Symbol]
    #: globals the file gets besides the spell's (a test file's test API), set before :meth:`run`
    predefined: frozenset[str]

    def run(self) -> None: ...

    def span(self, node: Any) -> tuple[int, int, int, int]: ...


class Scope:
    """Names declared in one block or function."""

    def __init__(self, parent: Scope | None, function: bool = False):
        self.parent = parent
        self.function = function
        self.symbols: dict[str, Symbol] = {}
        self.all: list[Symbol] = []

    def lookup(self, name: str) -> Symbol | None:
        s: Scope | None = self
        while s is not None:
            sym = s.symbols.get(name)
            if sym is not None:
                return sym
            s = s.parent
        return None

    def visible(self) -> set[str]:
        names: set[str] = set()
        s: Scope | None = self
        while s is not None:
            names.update(s.symbols)
            s = s.parent
        return names


class Source:
    """The text being analysed, for position conversions (tree-sitter works in bytes, diagnostics in chars)."""

    def __init__(self, text: str):
        self.text = text
        self.lines = text.split("\n")
        self._encoded: dict[int, bytes] = {}

    def char_col(self, row: int, byte_col: int) -> int:
        """0-based character column of a 0-based ``(row, byte column)``."""
        if row >= len(self.lines):
            return byte_col
        line = self._encoded.get(row)
        if line is None:
            line = self._encoded[row] = self.lines[row].encode("utf-8")
        if line.isascii():
            return byte_col
        return len(line[:byte_col].decode("utf-8", errors="replace"))


class Reporter:
    """Collects diagnostics of one file, applying suppression comments and configured severities."""

    def __init__(
        self, path: str, source: Source, severities: dict[str, Severity] | None = None, comment_prefix: str = "--"
    ):
        self.path = path
        self.source = source
        self.severities = severities or {}
        self.diagnostics: list[Diagnostic] = []
        self._line_ignores, self._file_ignores = _suppressions(source.lines, comment_prefix)
        #: while not None, every report is also kept here unfiltered (see :class:`BodyCache`)
        self.recording: list[tuple[Any, ...]] | None = None

    def add(
        self,
        rule: str,
        message: str,
        line: int,
        col: int,
        end_line: int,
        end_col: int,
        fix: Fix | None = None,
        subject: str = "",
    ) -> None:
        """Report at 1-based character positions."""
        if self.recording is not None:
            self.recording.append((rule, message, line, col, end_line, end_col, fix, subject))
        sev = self.severities.get(rule, RULES[rule].severity)
        if sev is Severity.OFF or self._ignored(rule, line):
            return
        self.diagnostics.append(Diagnostic(self.path, line, col, end_line, end_col, sev, rule, message, fix, subject))

    def _ignored(self, rule: str, line: int) -> bool:
        for ids in (self._file_ignores, self._line_ignores.get(line)):
            if ids is not None and (not ids or rule in ids):
                return True
        return False

    def result(self) -> list[Diagnostic]:
        seen: set[tuple[int, int, str, str]] = set()
        out = []
        for d in sorted(self.diagnostics, key=lambda d: (d.line, d.col, d.rule)):
            k = (d.line, d.col, d.rule, d.message)
            if k not in seen:
                seen.add(k)
                out.append(d)
        return out


@dataclass(frozen=True)
class CachedBody:
    """What analysing one top-level function body produced: its reports (lines relative to the function's first
    line), the top-level locals it read and the globals it reported as assigned."""

    reports: tuple[tuple[Any, ...], ...]
    reads: frozenset[str]
    globals_reported: frozenset[str]
    #: top-level locals the body assigned, with the handle type they hold afterwards
    types: tuple[tuple[str, str | None], ...] = ()


class BodyCache:
    """Top-level function bodies analysed in the previous run of one editor document, reused while a body's text
    and everything it can see (the top-level locals declared before it and their types, the file's globals) are
    unchanged: a keystroke re-analyses the function being edited, not the whole file. Reports are replayed through
    the reporter, so suppression comments and severities apply as usual."""

    def __init__(self) -> None:
        self.entries: dict[Any, CachedBody] = {}
        self.fresh: dict[Any, CachedBody] = {}

    def begin(self) -> None:
        self.fresh = {}

    def end(self) -> None:
        """Keep only the entries of this run (the cache never outgrows the file)."""
        self.entries = self.fresh

    def get(self, key: Any) -> CachedBody | None:
        hit = self.entries.get(key)
        if hit is not None:
            self.fresh[key] = hit
        return hit

    def put(self, key: Any, body: CachedBody) -> None:
        self.fresh[key] = body


def replay(reporter: Reporter, body: CachedBody, row: int) -> None:
    """Report a cached body's problems again, its first line now at 1-based ``row + 1``."""
    for rule, message, line, col, end_line, end_col, fix, subject in body.reports:
        if fix is not None:
            fix = Fix(fix.title, fix.line + row, fix.col, fix.end_line + row, fix.end_col, fix.replacement)
        reporter.add(rule, message, line + row, col, end_line + row, end_col, fix, subject)


def _suppressions(lines: list[str], prefix: str) -> tuple[dict[int, set[str]], set[str] | None]:
    """Line → rule ids ignored there (empty set: all rules). A comment after code covers its own line; a comment
    alone on a line covers the next line."""
    per_line: dict[int, set[str]] = {}
    whole: set[str] | None = None
    for i, text in enumerate(lines):
        if "llmspell:" not in text:
            continue
        m = _SUPPRESS.search(text)
        if m is None or not m.group(0).startswith(prefix):
            continue
        ids = {x for x in re.split(r"[\s,]+", (m.group(2) or "").strip()) if x}
        if m.group(1):
            whole = (whole or set()) | ids if whole != set() else whole
            if not ids:
                whole = set()
            continue
        alone = not text[: m.start()].strip()
        target = i + 2 if alone else i + 1
        per_line.setdefault(target, set()).update(ids)
        if not ids:
            per_line[target] = set()
    return per_line, whole


def byte_span(reporter: Reporter, node: Any) -> tuple[int, int, int, int]:
    """1-based character ``(line, col, end_line, end_col)`` of a tree-sitter node."""
    (r0, c0), (r1, c1) = node.start_point, node.end_point
    src = reporter.source
    return r0 + 1, src.char_col(r0, c0) + 1, r1 + 1, src.char_col(r1, c1) + 1


def report_node(
    reporter: Reporter,
    rule: str,
    message: str,
    node: Any,
    replacement: str | None = None,
    fix_title: str = "",
    subject: str = "",
) -> None:
    """Report at a tree-sitter node; ``replacement`` makes a quick fix replacing the node's text."""
    line, col, end_line, end_col = byte_span(reporter, node)
    fix = None
    if replacement is not None:
        fix = Fix(fix_title or f"Change to '{replacement}'", line, col, end_line, end_col, replacement)
    reporter.add(rule, message, line, col, end_line, end_col, fix, subject)


def report_findings(reporter: Reporter, findings: Iterable[Finding]) -> None:
    for f in findings:
        report_node(reporter, f.rule, f.message, f.node, f.replacement, subject=f.subject)


def removal_fix(reporter: Reporter, node: Any, title: str) -> Fix:
    """A fix deleting a statement node — its whole lines when nothing else is on them."""
    line, col, end_line, end_col = byte_span(reporter, node)
    lines = reporter.source.lines
    before = lines[line - 1][: col - 1]
    after = lines[end_line - 1][end_col - 1 :] if end_line - 1 < len(lines) else ""
    if not before.strip() and not after.strip():
        return Fix(title, line, 1, end_line + 1, 1, "")
    return Fix(title, line, col, end_line, end_col, "")


def unused_message(sym: Symbol) -> tuple[str, str]:
    """Rule id and message for an unused symbol."""
    if sym.kind == "param":
        return "unused-param", (
            f"parameter '{sym.name}' is never used; remove it or name it '_{sym.name}' if the caller passes it anyway"
        )
    if sym.kind == "import":
        return "unused-import", f"module '{sym.name}' is imported but never used; remove the import"
    what = {"function": "function", "loop": "loop variable"}.get(sym.kind, "variable")
    hint = "; name it '_' if it is meant to be ignored" if sym.kind == "loop" else "; remove it or use it"
    return "unused-local", f"{what} '{sym.name}' is never used{hint}"


def is_ignorable_name(name: str) -> bool:
    """Names that are meant to be unused: ``_``, ``_x``, ``self``."""
    return name.startswith("_") or name == "self"


def node_text(node: Any) -> str:
    """The source text of a tree-sitter node."""
    return str(node.text.decode("utf-8", errors="replace"))


class TreeAnalysis:
    """What the tree-sitter analyses (Lua, JavaScript) share: state, positions, reporting unused names."""

    def __init__(self, language: str, tree: Any, reporter: Reporter, modules: Any):
        from app.lint import api

        self.tree = tree
        self.r = reporter
        self.facts = api.facts(language)
        self.modules = modules
        self.file_globals: set[str] = set()
        self.predefined: frozenset[str] = frozenset()
        self.reported_globals: set[str] = set()
        self.callbacks: set[int] = set()  # ids of function literals passed straight to a bridge method
        self.symbols: list[Symbol] = []  # every declared name, for the editor's symbol queries
        #: set by the editor (app/lint/document.py): reuse unchanged top-level function bodies; the symbols of
        #: reused bodies are then not collected (the editor asks for a full analysis when it needs symbols)
        self.cache: BodyCache | None = None
        self.root: Scope | None = None
        self._root_reads: set[str] | None = None
        self._root_types: dict[str, str | None] = {}
        self._context_key: Any = None

    def begin_root(self) -> Scope:
        """The file's top-level scope (call after the file's globals are known)."""
        self.root = Scope(None, function=True)
        self.file_globals |= self.predefined
        if self.cache is not None:
            self.cache.begin()
            self._context_key = frozenset(self.file_globals)
        return self.root

    def end_root(self) -> None:
        if self.cache is not None:
            self.cache.end()

    def note_root_read(self, name: str, sym: Symbol) -> None:
        """A read that resolved to ``sym``: remembered when it is a top-level local read by a cached body."""
        if self._root_reads is not None and self.root is not None and self.root.symbols.get(name) is sym:
            self._root_reads.add(name)

    def set_type(self, sym: Symbol, type_: str | None) -> None:
        """An assignment gave local ``sym`` a value of handle type ``type_`` (or of no known type)."""
        sym.type = type_
        if self._root_reads is not None and self.root is not None and self.root.symbols.get(sym.name) is sym:
            self._root_types[sym.name] = type_

    def cached_body(self, n: Any, scope: Scope, kind: Any, analyse_body: Any) -> None:
        """Analyse top-level function ``n`` with ``analyse_body()``, or replay the cached result when neither its
        text nor what it can see (the top-level locals and their types, the file's globals) has changed."""
        assert self.cache is not None
        key = (
            n.text,
            kind,
            tuple((k, s.type) for k, s in scope.symbols.items()),
            self._context_key,
            frozenset(self.reported_globals),
        )
        row = n.start_point[0]
        hit = self.cache.get(key)
        if hit is not None:
            replay(self.r, hit, row)
            for name in hit.reads:
                scope.symbols[name].used = True
            for name, type_ in hit.types:
                scope.symbols[name].type = type_
            self.reported_globals |= hit.globals_reported
            return
        self.r.recording, self._root_reads, self._root_types = [], set(), {}
        before = set(self.reported_globals)
        try:
            analyse_body()
            reports = tuple(
                (
                    rule,
                    msg,
                    line - row,
                    col,
                    end_line - row,
                    end_col,
                    Fix(fix.title, fix.line - row, fix.col, fix.end_line - row, fix.end_col, fix.replacement)
                    if fix is not None
                    else None,
                    subject,
                )
                for rule, msg, line, col, end_line, end_col, fix, subject in self.r.recording
            )
            self.cache.put(
                key,
                CachedBody(
                    reports,
                    frozenset(self._root_reads),
                    frozenset(self.reported_globals - before),
                    tuple(self._root_types.items()),
                ),
            )
        finally:
            self.r.recording, self._root_reads = None, None

    def span(self, node: Any) -> tuple[int, int, int, int]:
        """1-based character ``(line, col, end_line, end_col)`` of a node."""
        return byte_span(self.r, node)

    def close_scope(self, scope: Scope) -> None:
        """Report the scope's names that were never read (placeholders excepted)."""
        for sym in scope.all:
            if sym.used or is_placeholder(sym) or sym.name == "...":
                continue
            rule, msg = unused_message(sym)
            fix = removal_fix(self.r, sym.removable, f"Remove unused '{sym.name}'") if sym.removable else None
            line, col, end_line, end_col = byte_span(self.r, sym.node)
            self.r.add(rule, msg, line, col, end_line, end_col, fix, sym.name)
