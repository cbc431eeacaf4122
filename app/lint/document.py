"""One open file for the editor: its text, its parse tree kept up to date incrementally, its latest analysis.

Qt-free and single-threaded: the editor's lint thread owns the documents (tree-sitter parsers and trees must stay
on one thread). :meth:`LintDocument.update` re-parses only what changed since the last text (``Tree.edit`` plus a
parse that reuses the old tree) and re-runs the analysis.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from app import languages, project_config, syntax
from app.lint import LintConfigError, analyse, severities_for
from app.lint.core import BodyCache
from app.lint.diagnostic import Diagnostic, Severity
from app.lint.symbols import OutlineItem, SymbolIndex, outline


@dataclass
class LintResult:
    """What one update found: the problems, and a problem with llmspell.toml (shown once; defaults apply)."""

    diagnostics: list[Diagnostic]
    config_error: str = ""


class LintDocument:
    """The lint state of one editor."""

    def __init__(self, language: str, path: str = ""):
        self.language = language
        self.path = path
        self._data: bytes | None = None
        self._tree: Any = None
        self._severities: tuple[tuple[str | None, float], dict[str, Severity]] | None = None
        self._text = ""
        self._cache = BodyCache()

    def update(self, text: str, path: str | None = None, language: str | None = None) -> LintResult:
        """Analyse the new text (incrementally re-parsed when the language has a tree-sitter grammar)."""
        if path is not None:
            self.path = path
        if language is not None and language != self.language:
            self.language, self._tree, self._data = language, None, None
        record = languages.find(self.language)
        if record is None or not record.analysis:
            return LintResult([])
        data = text.encode("utf-8")
        tree = None
        if record.grammar:
            if self._tree is not None and self._data is not None:
                syntax.edit_tree(self._tree, self._data, data)
                tree = syntax.parse(self.language, data, self._tree)
            else:
                tree = syntax.parse(self.language, data)
            self._tree, self._data = tree, data
        self._text = text
        severities, config_error = self._config()
        found, _ = analyse(text, self._name(record), self.language, tree=tree, severities=severities, cache=self._cache)
        return LintResult(found, config_error)

    def _name(self, record: languages.Language) -> str:
        return self.path or f"untitled{record.default_extension}"

    def symbols(self) -> SymbolIndex | None:
        """The symbols of the last text given to :meth:`update` (a full analysis: every scope resolved);
        None when it does not parse."""
        record = languages.find(self.language)
        if record is None or not record.analysis:
            return None
        tree = self._tree if record.grammar else None
        _, analysis = analyse(self._text, self._name(record), self.language, tree=tree)
        return SymbolIndex(analysis, self.language) if analysis is not None else None

    def outline(self) -> list[OutlineItem]:
        """The outline of the last text given to :meth:`update`."""
        return outline(self._text, self.language, self._tree if syntax.has_grammar(self.language) else None)

    def _config(self) -> tuple[dict[str, Severity], str]:
        """The [lint] severities, re-read only when llmspell.toml appears, changes or goes away."""
        if not self.path or not os.path.isabs(self.path):
            return {}, ""  # an untitled buffer (its pseudo name): it belongs to no project
        found = project_config.find(self.path)
        try:
            stamp = (found, os.path.getmtime(found) if found else 0.0)
        except OSError:
            stamp = (None, 0.0)
        if self._severities is not None and self._severities[0] == stamp:
            return self._severities[1], ""
        try:
            sev = severities_for(self.path)
        except (LintConfigError, project_config.ProjectConfigError) as e:
            self._severities = (stamp, {})
            return {}, str(e)
        self._severities = (stamp, sev)
        return sev, ""
