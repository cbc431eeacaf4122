"""Lint of spells: one analysis per language, reading the bridge registry and the sandbox's globals. Qt-free.

Used by ``llmspell check``, the editor (squiggles, Problems panel, quick fixes) and the test runner::

    from app.lint import lint_source
    for d in lint_source(text, "spell.lua"):
        print(d)          # spell.lua:3:5: error unknown-member: LLM has no member 'compleet'; did you mean ...

Lua and JavaScript are parsed with tree-sitter (:mod:`app.syntax`), Tengo with the project's own parser.
``tree`` lets the editor pass a tree it re-parsed incrementally.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from app import languages, syntax
from app.lint.core import Analysis, BodyCache, Reporter, Source, byte_span
from app.lint.diagnostic import Diagnostic, Fix, Severity
from app.lint.modules import ModuleCheck
from app.lint.rules import RULES, Rule

__all__ = [
    "RULES",
    "Diagnostic",
    "Fix",
    "LintConfigError",
    "Rule",
    "Severity",
    "analyse",
    "lint_source",
    "severities_for",
]

log = logging.getLogger(__name__)


class LintConfigError(ValueError):
    """The ``[lint]`` section of ``llmspell.toml`` names an unknown rule or severity."""


def severities_for(path: str) -> dict[str, Severity]:
    """Rule severities set by the ``[lint]`` section of the project's ``llmspell.toml`` (spell folder or parent)."""
    from app import project_config

    cfg = project_config.for_path(path)
    out: dict[str, Severity] = {}
    for key, value in cfg.section("lint").items():
        if key not in RULES:
            raise LintConfigError(f"{cfg.path}: [lint] has unknown rule '{key}' (rules: {', '.join(RULES)})")
        try:
            out[key] = Severity(str(value).lower())
        except ValueError:
            raise LintConfigError(f"{cfg.path}: [lint] {key} = {value!r}: use error, warning, info or off") from None
    return out


def lint_source(
    source: str,
    path: str,
    language: str | None = None,
    *,
    tree: Any = None,
    severities: dict[str, Severity] | None = None,
) -> list[Diagnostic]:
    """Every problem of ``source`` (the text of ``path``), sorted by position."""
    return analyse(source, path, language, tree=tree, severities=severities)[0]


def analyse(
    source: str,
    path: str,
    language: str | None = None,
    *,
    tree: Any = None,
    severities: dict[str, Severity] | None = None,
    cache: BodyCache | None = None,
) -> tuple[list[Diagnostic], Analysis | None]:
    """The problems of ``source`` and the analysis that found them (its symbols serve go to definition,
    references and rename); the analysis is None when the text does not parse. With a ``cache`` (the editor's),
    unchanged function bodies are not re-analysed, and the analysis' symbols are incomplete."""
    from app.engines.base import language_for

    record = languages.get(language_for(path, language))
    reporter = Reporter(path, Source(source), severities, record.comment)
    modules = ModuleCheck(record.id, path)
    if record.grammar:
        if tree is None:
            tree = syntax.parse(record.id, source)
        if tree.root_node.has_error:
            _syntax_errors(reporter, tree.root_node, record.name)
            return reporter.result(), None
    analysis: Analysis = record.analysis_class()(source, tree, reporter, modules)
    analysis.predefined = test_globals(path, record.id)
    if cache is not None and hasattr(analysis, "cache"):
        analysis.cache = cache  # the analyses that support it (Lua) have it
    try:
        analysis.run()
    except RecursionError:  # hundreds of nested expressions: say so instead of failing (the CLI, the editor)
        reporter.recording = None
        reporter.diagnostics = [d for d in reporter.diagnostics if d.rule == "syntax-error"]
        reporter.add(
            "too-deep",
            "this file nests expressions too deeply for the linter, so it was not checked; "
            "split the deepest expression into local variables",
            1,
            1,
            1,
            2,
        )
        return reporter.result(), None
    if any(d.rule == "syntax-error" for d in reporter.diagnostics):
        return reporter.result(), None
    return reporter.result(), analysis


def test_globals(path: str, language: str) -> frozenset[str]:
    """The test API's globals (``describe``, ``it``, ``expect``, ``assert``...) when ``path`` is a test file of
    ``language`` (``*_spec.lua``, ``*.test.js``, ...): the test runner binds them there and nowhere else."""
    from app.testing import api as test_api

    record = languages.language_of_test_file(path)
    found = test_api.for_language(language) if record is not None and record.id == language else None
    return frozenset(found.globals()) if found is not None else frozenset()


def _syntax_errors(reporter: Reporter, root: Any, language_name: str, limit: int = 5) -> None:
    """ERROR and MISSING nodes as syntax errors (the first few: later ones are usually consequences)."""
    found = 0
    stack = [root]
    while stack and found < limit:
        n = stack.pop()
        if n.is_missing:
            line, col, end_line, end_col = byte_span(reporter, n)
            reporter.add("syntax-error", f"missing '{n.type}' here", line, col, end_line, end_col)
            found += 1
            continue
        if n.is_error:
            line, col, end_line, end_col = byte_span(reporter, n)
            bad = n.text.decode("utf-8", errors="replace").strip().splitlines()
            near = f" near '{bad[0][:30]}'" if bad and bad[0] else ""
            if end_line != line:
                end_line, end_col = line, col + 1
            reporter.add(
                "syntax-error",
                f"unexpected{near}: the {language_name} grammar does not allow this here",
                line,
                col,
                end_line,
                end_col,
            )
            found += 1
            continue
        if n.has_error:
            stack.extend(reversed(n.children))


def merge_engine_syntax(
    found: list[Diagnostic], engine: list[Any] | None, path: str, source: str = ""
) -> list[Diagnostic]:
    """Combine the linter's findings with the engine's own syntax check (``Runner.check``: the parser that will
    really run the spell, so it decides whether there is a syntax error and words the message). Tree-sitter adds
    the column where the engine gives none (quickjs reports lines only). ``engine`` None: the engine could not
    be asked; the tree-sitter errors stand."""
    if engine is None:
        return found
    lines = source.split("\n")
    ours = [d for d in found if d.rule == "syntax-error"]
    rest = [d for d in found if d.rule != "syntax-error"]
    merged: list[Diagnostic] = []
    for e in engine:
        line, col, message = int(e.line or 1), int(e.column or 0), str(e.message)
        same = next((d for d in ours if d.line == line), None)
        if same is not None and col <= 1:
            col, end_line, end_col = same.col, same.end_line, same.end_col
            token = re.search(r"(?:: |near )'([^']+)'$", message)
            text = lines[line - 1] if 0 < line <= len(lines) else ""
            word = token.group(1) if token else ""
            at = text.find(word, col - 1) if word else -1
            if at >= 0:  # the engine names the token: put the column on it
                col, end_line, end_col = at + 1, line, at + 1 + len(word)
        else:
            col = max(col, 1)
            end_line, end_col = line, col + 1
        merged.append(Diagnostic(path, line, col, end_line, end_col, Severity.ERROR, "syntax-error", message))
    return sorted(merged + rest, key=lambda d: (d.line, d.col, d.rule))
