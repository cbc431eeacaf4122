"""Problems as you type: the linter (app/lint) re-parses and analyses each open spell off the UI thread a moment
after each edit, and the engine's own syntax check confirms syntax errors. Results become squiggles, margin markers
and hover messages in the editor, and rows of the Problems panel (``problemsChanged``)."""

from __future__ import annotations

import logging
import weakref
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from app import languages
from app.lint import merge_engine_syntax
from app.lint.document import LintDocument, LintResult
from app.lint.symbols import SymbolIndex
from app.ui.editor import CodeEditor, EditorDiagnostic

log = logging.getLogger(__name__)

#: ``check(source, path, language) -> list[Diagnostic]`` (blocking; runs in a worker process)
CheckFn = Callable[[str, str, str], list[Any]]


def to_editor(d: Any) -> EditorDiagnostic:
    """An ``app.lint.Diagnostic`` as the editor shows it."""
    return EditorDiagnostic(d.line, d.col, d.message, d.severity.value, d.end_line, d.end_col, d.rule, d.fix)


class DiagnosticsService(QObject):
    """Watches editors; ``delay_ms`` after the last edit it lints the text off the UI thread and shows results."""

    _result = Signal(object, int, object, object)  # editor ref, generation, list[EditorDiagnostic], LintResult
    checked = Signal(object)  # the CodeEditor that got fresh diagnostics
    problemsChanged = Signal(object)  # the CodeEditor whose problems changed (or was closed)

    def __init__(self, check: Callable[[], CheckFn | None], delay_ms: int = 250, parent: QObject | None = None):
        super().__init__(parent)
        self._check_provider = check
        self.delay_ms = delay_ms
        # one thread: it owns the LintDocuments (tree-sitter trees and parsers stay on one thread)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="diagnostics")
        self._timers: dict[int, QTimer] = {}
        self._generation: dict[int, int] = {}
        self._documents: dict[int, LintDocument] = {}  # used on the pool's thread only
        self._results: dict[int, LintResult] = {}
        self._config_errors: set[str] = set()
        self._result.connect(self._on_result)
        self.enabled = True
        self.configProblem: Callable[[str], None] | None = None  # shows an llmspell.toml problem once

    def watch(self, editor: CodeEditor, path_fn: Callable[[], str]) -> None:
        """Check ``editor`` after each pause in typing; ``path_fn`` names the file (for messages)."""
        timer = QTimer(editor)
        timer.setSingleShot(True)
        timer.setInterval(self.delay_ms)
        key = id(editor)
        self._timers[key] = timer
        self._generation[key] = 0
        ref = weakref.ref(editor)
        timer.timeout.connect(lambda: self._start(ref, path_fn))
        editor.textEdited.connect(timer.start)
        editor.destroyed.connect(lambda *_: self._forget(key))
        timer.start()

    def _forget(self, key: int) -> None:
        self._timers.pop(key, None)
        self._generation.pop(key, None)
        self._results.pop(key, None)
        if self.enabled:  # after shutdown the documents go with the pool
            self._pool.submit(self._documents.pop, key, None)
            self.problemsChanged.emit(None)

    def check_now(self, editor: CodeEditor, path_fn: Callable[[], str]) -> None:
        """Check immediately (still in the background)."""
        self._start(weakref.ref(editor), path_fn)

    def result_for(self, editor: CodeEditor) -> LintResult | None:
        """The latest lint result of ``editor``, if it has been analysed."""
        return self._results.get(id(editor))

    def symbols_for(self, editor: CodeEditor, timeout: float = 3.0) -> SymbolIndex | None:
        """The symbols of ``editor``'s text as last analysed (computed on the lint thread, which owns the trees;
        waits at most ``timeout`` seconds). None before the first analysis or when the text does not parse."""
        key = id(editor)
        if not self.enabled or key not in self._results:
            return None

        def work() -> SymbolIndex | None:
            doc = self._documents.get(key)
            return doc.symbols() if doc is not None else None

        try:
            return self._pool.submit(work).result(timeout)
        except Exception:
            log.exception("symbols failed")
            return None

    def _start(self, ref: weakref.ref[CodeEditor], path_fn: Callable[[], str]) -> None:
        editor = ref()
        if editor is None or not self.enabled or not languages.is_spell_language(editor.language):
            return
        key = id(editor)
        self._generation[key] = gen = self._generation.get(key, 0) + 1
        source, path, language = editor.text(), path_fn(), editor.language
        check = self._check_provider()

        def work() -> None:
            try:
                doc = self._documents.get(key)
                if doc is None:
                    doc = self._documents[key] = LintDocument(language, path)
                result = doc.update(source, path, language)
                found = result.diagnostics
                if check is not None:
                    try:
                        engine = check(source, path or f"untitled{languages.get(language).default_extension}", language)
                    except Exception as e:  # noqa: BLE001 - a dead worker must not break typing
                        # (tree-sitter's syntax errors stand)
                        log.warning("syntax check failed: %s", e)
                        engine = None
                    found = merge_engine_syntax(found, engine, path, source)
                    result.diagnostics = found
                diags = [to_editor(d) for d in found]
            except Exception:  # a linter bug must never break typing
                log.exception("lint failed")
                return
            try:
                self._result.emit(ref, gen, diags, result)
            except RuntimeError:  # the service was deleted at exit
                pass

        self._pool.submit(work)

    def _on_result(
        self, ref: weakref.ref[CodeEditor], gen: int, diags: list[EditorDiagnostic], result: LintResult
    ) -> None:
        editor = ref()
        if editor is None or self._generation.get(id(editor)) != gen:
            return  # stale: the text changed since
        self._results[id(editor)] = result
        editor.set_diagnostics(diags)
        if result.config_error and result.config_error not in self._config_errors:
            self._config_errors.add(result.config_error)
            if self.configProblem is not None:
                self.configProblem(result.config_error)
        self.checked.emit(editor)
        self.problemsChanged.emit(editor)

    def shutdown(self) -> None:
        self.enabled = False
        self._pool.shutdown(wait=False, cancel_futures=True)
