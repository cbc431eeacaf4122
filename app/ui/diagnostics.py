"""Diagnostics as you type: debounced syntax checks run by the runner in a background thread, never the UI thread."""
from __future__ import annotations

import logging
import weakref
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable

from PySide6.QtCore import QObject, QTimer, Signal

from app import languages
from app.ui.editor import CodeEditor, EditorDiagnostic

log = logging.getLogger(__name__)

#: ``check(source, path, language) -> list[Diagnostic]`` (blocking; runs in a worker process)
CheckFn = Callable[[str, str, str], list[Any]]


class DiagnosticsService(QObject):
    """Watches editors; ``delay_ms`` after the last edit it checks the text off the UI thread and shows results."""

    _result = Signal(object, int, object)  # editor ref, generation, list[EditorDiagnostic]
    checked = Signal(object)  # the CodeEditor that got fresh diagnostics

    def __init__(self, check: Callable[[], CheckFn | None], delay_ms: int = 500, parent: QObject | None = None):
        super().__init__(parent)
        self._check_provider = check
        self.delay_ms = delay_ms
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="diagnostics")
        self._timers: dict[int, QTimer] = {}
        self._generation: dict[int, int] = {}
        self._result.connect(self._on_result)
        self.enabled = True

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
        editor.destroyed.connect(lambda *_: (self._timers.pop(key, None), self._generation.pop(key, None)))
        timer.start()

    def check_now(self, editor: CodeEditor, path_fn: Callable[[], str]) -> None:
        """Check immediately (still in the background)."""
        self._start(weakref.ref(editor), path_fn)

    def _start(self, ref: "weakref.ref[CodeEditor]", path_fn: Callable[[], str]) -> None:
        editor = ref()
        if editor is None or not self.enabled or not languages.is_spell_language(editor.language):
            return
        check = self._check_provider()
        if check is None:  # runner not ready yet: try again shortly
            t = self._timers.get(id(editor))
            if t is not None:
                t.start(1000)
            return
        key = id(editor)
        self._generation[key] = gen = self._generation.get(key, 0) + 1
        source, path, language = editor.text(), path_fn(), editor.language

        def work() -> None:
            try:
                found = check(source, path, language)
            except Exception as e:  # a dead worker must not break typing
                log.warning("syntax check failed: %s", e)
                return
            diags = [EditorDiagnostic(int(getattr(d, "line", 1) or 1), int(getattr(d, "column", 0) or 0),
                                      str(getattr(d, "message", d)), str(getattr(d, "severity", "error")))
                     for d in found or []]
            try:
                self._result.emit(ref, gen, diags)
            except RuntimeError:  # the service was deleted at exit
                pass

        self._pool.submit(work)

    def _on_result(self, ref: "weakref.ref[CodeEditor]", gen: int, diags: list[EditorDiagnostic]) -> None:
        editor = ref()
        if editor is None or self._generation.get(id(editor)) != gen:
            return  # stale: the text changed since
        editor.set_diagnostics(diags)
        self.checked.emit(editor)

    def shutdown(self) -> None:
        self.enabled = False
        self._pool.shutdown(wait=False, cancel_futures=True)
