"""The Test Explorer: the workspace's test files and their tests, run from the IDE.

* The tree: test files (found with the language registry's patterns when a folder opens) and their tests, read
  from the source on open and save (``app.testing.discovery.declared_cases``), renamed to what a run reports.
* Run all / the selected file / the selected test (by its line), rerun the failed ones, stop; each run is an
  ordinary run of the :class:`~app.ui.run_service.RunService`, so it shows in the LLM Trace panel like any run.
* Results: an icon per test in the tree and in the editor margin beside each ``it``/``test`` (a click there runs
  that test); a failure shows its message, a link to its line and the expected/actual diff.
* "Debug this test": a debug run of the file limited to that test (every language the debugger speaks),
  through the window's debugger.

:class:`TestExplorerWiring` connects the panel to a window (one line there: ``TestExplorerWiring(window)``).
"""

from __future__ import annotations

import html
import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QObject, QPointF, QSize, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QBrush, QColor, QIcon, QPainter, QPen, QPixmap
from PySide6.QtWidgets import (
    QSplitter,
    QTextBrowser,
    QToolBar,
    QToolButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app import languages
from app.testing.api import for_language as test_api_for
from app.testing.discovery import declared_cases, discover
from app.testing.results import CaseResult
from app.testing.session import case_from_message
from app.ui.run_service import run_options_from_settings
from app.ui.window.panels import EDITING_ONLY, LEFT, PanelPlace

log = logging.getLogger(__name__)

ROLE_PATH = Qt.ItemDataRole.UserRole + 1
ROLE_LINE = Qt.ItemDataRole.UserRole + 2
ROLE_NAME = Qt.ItemDataRole.UserRole + 3

#: test result markers in the editor (Scintilla marker numbers and the margin they show in)
MARGIN_TESTS = 3
MARKERS = {"passed": 9, "failed": 10, "skipped": 11, "none": 12, "running": 13}
_MARKER_TEXT = {"passed": "✔", "failed": "✘", "skipped": "–", "none": "▷", "running": "…"}
_COLOURS = {
    "passed": "#2e7d32",
    "failed": "#c62828",
    "skipped": "#9e9e9e",
    "none": "#607d8b",
    "running": "#1565c0",
    "error": "#c62828",
}


def status_icon(state: str, size: int = 14) -> QIcon:
    """A small round icon for a test state (passed, failed, skipped, running, none)."""
    pix = QPixmap(size, size)
    pix.fill(Qt.GlobalColor.transparent)
    p = QPainter(pix)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    colour = QColor(_COLOURS.get(state, "#607d8b"))
    r = size / 2 - 1.5
    centre = QPointF(size / 2, size / 2)
    if state in ("none", "skipped"):
        p.setPen(QPen(colour, 1.6))
        p.setBrush(Qt.BrushStyle.NoBrush)
    else:
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QBrush(colour))
    p.drawEllipse(centre, r, r)
    p.setPen(QPen(QColor("white"), 1.8))
    if state == "passed":
        p.drawPolyline(
            [QPointF(size * 0.28, size * 0.52), QPointF(size * 0.44, size * 0.68), QPointF(size * 0.72, size * 0.34)]
        )
    elif state in ("failed", "error"):
        p.drawLine(QPointF(size * 0.32, size * 0.32), QPointF(size * 0.68, size * 0.68))
        p.drawLine(QPointF(size * 0.68, size * 0.32), QPointF(size * 0.32, size * 0.68))
    p.end()
    return QIcon(pix)


@dataclass
class CaseState:
    """One test (or describe block) of a file as the tree shows it."""

    name: str
    line: int | None
    kind: str = "test"  # "test" or "describe"
    state: str = "none"  # none, running, passed, failed, skipped
    result: CaseResult | None = None
    item: QTreeWidgetItem | None = None


@dataclass
class FileState:
    path: str
    language: str
    item: QTreeWidgetItem
    cases: dict[str, CaseState] = field(default_factory=dict)
    error: str = ""  # the file could not run to its end (syntax, top-level error, limit)
    error_line: int | None = None
    running: int = 0  # runs of this file in flight


class TestExplorer(QWidget):
    """The panel. ``runs`` is the window's RunService; ``base_options()`` gives the run options from the
    settings (profile, limits, model); test options are added per run."""

    runStarted = Signal(object)  # RunSession of a test run (the window shows it in the trace panel)
    openLocation = Signal(str, int)  # path, line (1-based)
    debugRequested = Signal(str, int)  # path, line of the test to debug
    resultsChanged = Signal(str)  # a file's results changed (the editor margins follow)
    _discovered = Signal(object, int)  # [(path, source)], generation (from the discovery thread)

    def __init__(self, runs: Any, base_options: Callable[[], dict[str, Any]], parent: QWidget | None = None):
        super().__init__(parent)
        self.runs = runs
        self.base_options = base_options
        self.files: dict[str, FileState] = {}
        self.sessions: list[Any] = []
        self._generation = 0
        self.workspace: str | None = None

        self.tree = QTreeWidget()
        self.tree.setHeaderHidden(True)
        self.tree.setUniformRowHeights(True)
        self.tree.itemSelectionChanged.connect(self._selection_changed)
        self.tree.itemDoubleClicked.connect(self._item_activated)
        self.details = QTextBrowser()
        self.details.setOpenLinks(False)
        self.details.anchorClicked.connect(self._anchor)
        self.details.setPlaceholderText("Select a test to see its result")

        # a toolbar, not a row of buttons: in a narrow dock the buttons that do not fit go behind its » menu instead
        # of widening the dock (and with it the window) past the screen
        bar = QToolBar("Tests")
        bar.setIconSize(QSize(16, 16))
        self.buttons: dict[str, QToolButton] = {}
        for key, text, tip, slot in (
            ("run_all", "Run All", "Run every test file of the workspace", self.run_all),
            ("run_file", "File", "Run the selected test file", self.run_selected_file),
            ("run_test", "Test", "Run the selected test (or describe block)", self.run_selected_test),
            ("rerun", "Failed", "Rerun the tests that failed", self.rerun_failed),
            ("debug", "Debug", "Debug the selected test (stops at its breakpoints)", self.debug_selected),
            ("stop", "Stop", "Stop the test runs", self.stop),
        ):
            b = QToolButton()
            b.setText(text)
            b.setToolTip(tip)
            b.setAutoRaise(True)
            b.clicked.connect(slot)
            bar.addWidget(b)
            self.buttons[key] = b
        self.toolbar = bar
        self.buttons["stop"].setEnabled(False)

        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.tree)
        split.addWidget(self.details)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 1)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        lay.addWidget(bar)
        lay.addWidget(split, 1)
        self._discovered.connect(self._apply_discovery)

    # ------------------------------------------------------------------------------------------------ discovery
    def set_workspace(self, folder: str | None) -> None:
        """Find the test files under ``folder`` (on a background thread) and show them."""
        self.workspace = folder
        self._generation += 1
        gen = self._generation
        if not folder or not os.path.isdir(folder):
            self._apply_discovery([], gen)
            return

        def work() -> None:
            found: list[tuple[str, str]] = []
            try:
                for path in discover([folder]):
                    try:
                        with open(path, encoding="utf-8", errors="replace") as f:
                            found.append((os.path.abspath(path), f.read(1_000_000)))
                    except OSError:
                        continue
            except Exception:  # discovery must never break the IDE
                log.exception("test discovery failed")
            self._discovered.emit(found, gen)

        threading.Thread(target=work, name="test-discovery", daemon=True).start()

    def _apply_discovery(self, found: list[tuple[str, str]], gen: int) -> None:
        if gen != self._generation:
            return
        keep = {p for p, _ in found}
        for path in [p for p in self.files if p not in keep and self.files[p].running == 0]:
            self._remove_file(path)
        for path, source in found:
            self.refresh_file(path, source)

    def refresh_file(self, path: str, source: str) -> None:
        """A test file was opened or saved: show its declared tests (results of tests still there are kept)."""
        path = os.path.abspath(path)
        lang = languages.language_of_test_file(path)
        if lang is None:
            return
        fs = self.files.get(path)
        if fs is None:
            item = QTreeWidgetItem([self._file_label(path)])
            item.setData(0, ROLE_PATH, path)
            item.setToolTip(0, path)
            fs = FileState(path, lang.id, item)
            self.files[path] = fs
            self._insert_sorted(item)
        old = fs.cases
        fs.cases = {}
        for decl in declared_cases(source, lang.id):
            prev = old.get(decl.name)
            case = CaseState(
                decl.name,
                decl.line,
                decl.kind,
                prev.state if prev else ("skipped" if decl.skipped else "none"),
                prev.result if prev else None,
            )
            fs.cases[decl.name] = case
        for name, prev in old.items():  # tests a run reported that the source scan does not see
            if name not in fs.cases and prev.result is not None:
                fs.cases[name] = prev
        self._rebuild(fs)

    def _file_label(self, path: str) -> str:
        if self.workspace and path.startswith(os.path.abspath(self.workspace) + os.sep):
            return os.path.relpath(path, self.workspace)
        return os.path.basename(path)

    def _insert_sorted(self, item: QTreeWidgetItem) -> None:
        top = (self.tree.topLevelItem(i) for i in range(self.tree.topLevelItemCount()))
        labels = [t.text(0) for t in top if t is not None]
        pos = sum(1 for t in labels if t.lower() < item.text(0).lower())
        self.tree.insertTopLevelItem(pos, item)

    def _remove_file(self, path: str) -> None:
        fs = self.files.pop(path, None)
        if fs is not None:
            idx = self.tree.indexOfTopLevelItem(fs.item)
            if idx >= 0:
                self.tree.takeTopLevelItem(idx)

    def _rebuild(self, fs: FileState) -> None:
        """Rebuild a file's subtree: describe blocks nest their tests (names "a › b › test")."""
        expanded = fs.item.isExpanded() or fs.item.childCount() == 0
        selected = self._selected_key()
        fs.item.takeChildren()
        parents: dict[str, QTreeWidgetItem] = {}
        for case in fs.cases.values():
            parts = case.name.split(" › ")
            parent = fs.item
            for depth in range(1, len(parts)):
                key = " › ".join(parts[:depth])
                if key not in parents:
                    block = fs.cases.get(key)
                    item = QTreeWidgetItem([parts[depth - 1]])
                    item.setData(0, ROLE_PATH, fs.path)
                    item.setData(0, ROLE_NAME, key)
                    item.setData(0, ROLE_LINE, block.line if block else None)
                    parent.addChild(item)
                    item.setExpanded(True)
                    parents[key] = item
                    if block is not None:
                        block.item = item
                parent = parents[key]
            if case.kind == "describe":
                if case.name not in parents:
                    item = QTreeWidgetItem([parts[-1]])
                    item.setData(0, ROLE_PATH, fs.path)
                    item.setData(0, ROLE_NAME, case.name)
                    item.setData(0, ROLE_LINE, case.line)
                    parent.addChild(item)
                    item.setExpanded(True)
                    parents[case.name] = item
                    case.item = item
                continue
            item = QTreeWidgetItem([parts[-1]])
            item.setData(0, ROLE_PATH, fs.path)
            item.setData(0, ROLE_NAME, case.name)
            item.setData(0, ROLE_LINE, case.line)
            parent.addChild(item)
            case.item = item
        fs.item.setExpanded(expanded)
        self._refresh_icons(fs)
        if selected is not None:
            self._select_key(*selected)

    def _refresh_icons(self, fs: FileState) -> None:
        for case in fs.cases.values():
            if case.item is not None and case.kind == "test":
                case.item.setIcon(0, status_icon(case.state))
                tip = f"{case.name}: {case.state}"
                if case.result is not None and case.result.duration_s:
                    tip += f" ({case.result.duration_s * 1000:.0f} ms)"
                case.item.setToolTip(0, tip)
        for case in fs.cases.values():  # a describe block shows the worst state of its tests
            if case.kind == "describe" and case.item is not None:
                case.item.setIcon(
                    0,
                    status_icon(
                        self._aggregate(
                            [
                                c.state
                                for c in fs.cases.values()
                                if c.kind == "test" and c.name.startswith(case.name + " › ")
                            ]
                        )
                    ),
                )
        state = (
            "running"
            if fs.running
            else ("failed" if fs.error else self._aggregate([c.state for c in fs.cases.values() if c.kind == "test"]))
        )
        fs.item.setIcon(0, status_icon(state))
        counts = self.counts(fs.path)
        label = self._file_label(fs.path)
        if counts["failed"] or counts["passed"]:
            label += f"   {counts['passed']}✔ {counts['failed']}✘" if counts["failed"] else f"   {counts['passed']}✔"
        fs.item.setText(0, label)
        self.resultsChanged.emit(fs.path)

    @staticmethod
    def _aggregate(states: list[str]) -> str:
        for s in ("running", "failed", "none", "passed", "skipped"):
            if s in states:
                return s
        return "none"

    def counts(self, path: str) -> dict[str, int]:
        fs = self.files.get(path)
        out = {"passed": 0, "failed": 0, "skipped": 0, "none": 0, "running": 0}
        if fs is not None:
            for c in fs.cases.values():
                if c.kind == "test":
                    out[c.state] = out.get(c.state, 0) + 1
            if fs.error:
                out["failed"] += 1
        return out

    def declared_lines(self, path: str) -> list[tuple[int, str]]:
        """``(line, kind)`` of the tests and describe blocks of ``path``."""
        fs = self.files.get(os.path.abspath(path))
        return [(c.line, c.kind) for c in fs.cases.values() if c.line] if fs is not None else []

    def markers(self, path: str) -> dict[int, str]:
        """``{line: state}`` of the tests of ``path`` (for the editor margin)."""
        fs = self.files.get(os.path.abspath(path))
        if fs is None:
            return {}
        return {c.line: c.state for c in fs.cases.values() if c.kind == "test" and c.line}

    # ------------------------------------------------------------------------------------------------ running
    def run_all(self) -> None:
        """Run every test file shown."""
        for path in list(self.files):
            self.run(path)

    def run_selected_file(self) -> None:
        key = self._selected_key()
        if key is not None:
            self.run(key[0])

    def run_selected_test(self) -> None:
        path, case = self._selected_case()
        if path is not None:
            self.run(path, line=case.line if case else None)

    def run_test_at(self, path: str, line: int) -> None:
        """Run the test (or describe block) declared on ``line`` of ``path`` (a click in the editor margin)."""
        self.run(os.path.abspath(path), line=line)

    def rerun_failed(self) -> None:
        """Rerun each failed test (a file that could not run is rerun whole)."""
        for fs in list(self.files.values()):
            if fs.error:
                self.run(fs.path)
                continue
            for case in [c for c in fs.cases.values() if c.kind == "test" and c.state == "failed" and c.line]:
                self.run(fs.path, line=case.line)

    def debug_selected(self) -> None:
        path, case = self._selected_case()
        if path is not None and case is not None and case.line:
            self.debugRequested.emit(path, case.line)

    def _selected_case(self) -> tuple[str | None, CaseState | None]:
        """The selected file's path and the selected test or describe block (None for a file)."""
        key = self._selected_key()
        if key is None:
            return None, None
        path, name = key
        fs = self.files.get(path)
        return path, (fs.cases.get(name) if fs and name else None)

    def stop(self) -> None:
        for s in self.sessions:
            if not s.done:
                s.cancel()

    def test_options(self, path: str, line: int | None = None, filter: str | None = None) -> dict[str, Any]:
        """The RunOptions (as keywords) of a test run of ``path``."""
        opts = dict(self.base_options())
        opts.pop("inputs", None)
        opts["language"] = (languages.language_of_test_file(path) or languages.get("lua")).id
        opts["test"] = {"filter": filter, "line": line, "bail": False}
        opts["workspace"] = os.path.dirname(path)
        return opts

    def run(self, path: str, line: int | None = None, filter: str | None = None, debug_session: Any = None) -> Any:
        """Start a test run of ``path`` (one test when ``line`` is given; under the debugger with
        ``debug_session``); returns its RunSession."""
        fs = self.files.get(path)
        if fs is None:
            try:
                with open(path, encoding="utf-8", errors="replace") as f:
                    self.refresh_file(path, f.read())
            except OSError:
                return None
            fs = self.files.get(path)
            if fs is None:
                return None
        opts = self.test_options(path, line, filter)
        if line is None and filter is None:
            fs.error, fs.error_line = "", None
        for case in self._selected_cases(fs, line):
            case.state = "running"
        fs.running += 1
        session = self.runs.start_run(path, None, opts, fs.language, debug_session=debug_session)
        self.sessions = [s for s in self.sessions if not s.done] + [session]
        session.testEvent.connect(lambda msg, p=path: self._test_event(p, msg))
        session.finished.connect(lambda result, p=path, ln=line: self._finished(p, result, ln))
        self.buttons["stop"].setEnabled(True)
        self._refresh_icons(fs)
        self.runStarted.emit(session)
        return session

    def _selected_cases(self, fs: FileState, line: int | None) -> list[CaseState]:
        if line is None:
            return [c for c in fs.cases.values() if c.kind == "test"]
        target = next((c for c in fs.cases.values() if c.line == line), None)
        if target is None:
            return []
        if target.kind == "describe":
            return [c for c in fs.cases.values() if c.kind == "test" and c.name.startswith(target.name + " › ")]
        return [target]

    def _test_event(self, path: str, msg: Any) -> None:
        fs = self.files.get(path)
        if fs is None:
            return
        case = fs.cases.get(msg.name)
        if case is None:  # a test the source scan did not see (a computed name): add it
            case = CaseState(msg.name, msg.line)
            fs.cases[msg.name] = case
            self._rebuild(fs)
        if msg.type == "test_started":
            case.state = "running"
        else:
            case.result = case_from_message(path, msg)
            case.state = case.result.status.value
            if case.line is None:
                case.line = msg.line
            self._show_if_selected(path, case.name)
        self._refresh_icons(fs)

    def _finished(self, path: str, result: Any, line: int | None) -> None:
        fs = self.files.get(path)
        if fs is None:
            return
        fs.running = max(0, fs.running - 1)
        for case in fs.cases.values():
            if case.state == "running":  # never reported: stopped, or the file failed before it ran
                case.state = "none"
        if result is not None and getattr(result, "status", "ok") != "ok":
            failure = getattr(result, "failure", None)
            fs.error = str(getattr(failure, "message", "") or result.status)
            fs.error_line = getattr(failure, "line", None)
        self._refresh_icons(fs)
        if not any(not s.done for s in self.sessions):
            self.buttons["stop"].setEnabled(False)
        key = self._selected_key()
        if key is not None and key[0] == path:
            self._selection_changed()

    # ------------------------------------------------------------------------------------------------ selection
    def _selected_key(self) -> tuple[str, str | None] | None:
        items = self.tree.selectedItems()
        if not items:
            return None
        item = items[0]
        return item.data(0, ROLE_PATH), item.data(0, ROLE_NAME)

    def _select_key(self, path: str, name: str | None) -> None:
        fs = self.files.get(path)
        if fs is None:
            return
        item = fs.item if name is None else (fs.cases[name].item if name in fs.cases else None)
        if item is not None:
            self.tree.setCurrentItem(item)

    def select_test(self, path: str, name: str) -> None:
        """Select a test in the tree (and show its result)."""
        self._select_key(os.path.abspath(path), name)

    def _show_if_selected(self, path: str, name: str) -> None:
        key = self._selected_key()
        if key == (path, name):
            self._selection_changed()

    def _selection_changed(self) -> None:
        key = self._selected_key()
        if key is None:
            self.details.clear()
            return
        path, name = key
        fs = self.files.get(path)
        if fs is None:
            return
        if name is None:
            self.details.setHtml(self._file_html(fs))
            return
        case = fs.cases.get(name)
        self.details.setHtml(self._case_html(fs, case) if case else "")

    def _link(self, path: str, line: int | None) -> str:
        where = f"{os.path.basename(path)}:{line}" if line else os.path.basename(path)
        url = QUrl.fromLocalFile(path)
        if line:
            url.setFragment(str(line))
        return f'<a href="{html.escape(url.toString())}">{html.escape(where)}</a>'

    def _file_html(self, fs: FileState) -> str:
        c = self.counts(fs.path)
        parts = [
            f"<b>{html.escape(self._file_label(fs.path))}</b><br>",
            f"{c['passed']} passed, {c['failed']} failed" + (f", {c['skipped']} skipped" if c["skipped"] else ""),
        ]
        if fs.error:
            parts.append(
                f"<p style='color:{_COLOURS['failed']}'>{self._link(fs.path, fs.error_line)}: "
                f"{html.escape(fs.error)}</p>"
            )
        return "".join(parts)

    def _case_html(self, fs: FileState, case: CaseState) -> str:
        head = f"<b>{html.escape(case.name)}</b> — {case.state} · {self._link(fs.path, case.line)}"
        r = case.result
        if r is None or case.state != "failed":
            extra = f" ({r.duration_s * 1000:.0f} ms)" if r is not None and r.duration_s else ""
            out = f"<pre>{html.escape(r.output)}</pre>" if r is not None and r.output else ""
            return head + extra + out
        body = [
            head,
            (
                f"<p style='color:{_COLOURS['failed']}'>{self._link(fs.path, r.failure_line or r.line)}: "
                f"{html.escape(r.message)}</p>"
            ),
        ]
        if r.diff:
            lines = []
            for ln in r.diff.splitlines():
                colour = (
                    _COLOURS["failed"]
                    if ln.startswith("-") and not ln.startswith("---")
                    else _COLOURS["passed"]
                    if ln.startswith("+") and not ln.startswith("+++")
                    else None
                )
                text = html.escape(ln)
                lines.append(f"<span style='color:{colour}'>{text}</span>" if colour else text)
            body.append("<pre>" + "\n".join(lines) + "</pre>")
        if r.output:
            body.append("<p><b>Output</b></p><pre>" + html.escape(r.output) + "</pre>")
        return "".join(body)

    def _anchor(self, url: QUrl) -> None:
        line = int(url.fragment()) if url.fragment().isdigit() else 1
        self.openLocation.emit(url.toLocalFile(), line)

    def _item_activated(self, item: QTreeWidgetItem, _col: int = 0) -> None:
        path = item.data(0, ROLE_PATH)
        line = item.data(0, ROLE_LINE)
        if path:
            self.openLocation.emit(path, int(line) if line else 1)


class EditorTestMarkers(QObject):
    """Test results in one editor's margin beside each ``it``/``test``; a click on one runs that test."""

    def __init__(self, editor: Any, path: Callable[[], str | None], explorer: TestExplorer):
        super().__init__(editor)
        self.editor = editor
        self._path = path
        self.explorer = explorer
        e = editor
        if e.margins() <= MARGIN_TESTS:
            e.setMargins(MARGIN_TESTS + 1)
        e.setMarginTypeN(MARGIN_TESTS, 0)  # SC_MARGIN_SYMBOL
        e.setMarginWidthN(MARGIN_TESTS, 0)
        mask = 0
        for state, num in MARKERS.items():
            e.markerDefine(num, 10000 + ord(_MARKER_TEXT[state]))  # SC_MARK_CHARACTER + the character
            e.markerSetFore(num, _bgr(_COLOURS[state]))
            mask |= 1 << num
        e.setMarginMaskN(MARGIN_TESTS, mask)
        e.setMarginSensitiveN(MARGIN_TESTS, True)
        e.marginClicked.connect(self._clicked)
        explorer.resultsChanged.connect(self._results_changed)
        self.refresh()

    def _results_changed(self, path: str) -> None:
        mine = self._path()
        if mine and os.path.abspath(mine) == path:
            self.refresh()

    def refresh(self) -> None:
        e = self.editor
        for num in MARKERS.values():
            e.markerDeleteAll(num)
        path = self._path()
        marks = self.explorer.markers(path) if path else {}
        e.setMarginWidthN(MARGIN_TESTS, 16 if marks else 0)
        bg = e.marginBackN(MARGIN_TESTS - 2)  # the symbol margin's colour: the theme's (a character marker fills it)
        e.setMarginBackN(MARGIN_TESTS, bg)
        for num in MARKERS.values():
            e.markerSetBack(num, bg)
        for line, state in marks.items():
            e.markerAdd(line - 1, MARKERS.get(state, MARKERS["none"]))

    def _clicked(self, position: int, _modifiers: int, margin: int) -> None:
        if margin != MARGIN_TESTS:
            return
        path = self._path()
        line = self.editor.lineFromPosition(position) + 1
        if path and line in self.explorer.markers(path):
            self.explorer.run_test_at(path, line)


def _path_of(page: Any) -> Callable[[], str | None]:
    """The current path of an editor page (it changes with Save As)."""
    return lambda: page.path


def _bgr(colour: str) -> int:
    c = QColor(colour)
    return c.red() | (c.green() << 8) | (c.blue() << 16)


class TestExplorerWiring(QObject):
    """The Test Explorer in a window: its dock, discovery on open/save and workspace change, editor margins,
    test runs in the console and LLM trace, "debug this test" through the window's debugger."""

    def __init__(self, window: Any):
        super().__init__(window)
        self.window = window
        self.panel = TestExplorer(window.runs, self._base_options)
        self.dock = window.panels.add(
            "tests", "Tests", self.panel, PanelPlace(LEFT, tab_with="outline", shown_in=EDITING_ONLY)
        )
        self.markers: dict[int, EditorTestMarkers] = {}
        self.panel.runStarted.connect(self._run_started)
        self.panel.openLocation.connect(lambda p, ln: window.open_location(p, ln))
        self.panel.debugRequested.connect(self.debug_test)
        window.tabs.pageAdded.connect(self._page_added)
        # after the window applied a new theme to the editors, the markers take its margin colour
        window.store.changed.connect(lambda *_: QTimer.singleShot(0, self.refresh_markers))
        window.tabs.fileSaved.connect(self._file_saved)
        for page in window.tabs.pages():
            self._page_added(page)
        if getattr(window, "workspace", None):
            self.panel.set_workspace(window.workspace)

    def show_and_run_all(self) -> None:
        self.dock.show()
        self.dock.raise_()
        for page in self.window.tabs.pages():  # unsaved edits count: the files run as saved
            if page.path and languages.language_of_test_file(page.path) and page.dirty:
                self.window.tabs.save(page)
        self.panel.run_all()

    def run_test_at_cursor(self) -> None:
        """Run the test the cursor is in (Ctrl+;, C), in a test file."""
        page = self.window.tabs.current_page()
        if page is None or not self.run_at_cursor(page):
            self.window.notify("Put the cursor inside a test (it/test/describe) of a test file")

    def run_at_cursor(self, page: Any) -> bool:
        """Run the innermost test (or describe block) declared at or above the cursor; False when none."""
        if not page.path or not languages.language_of_test_file(page.path):
            return False
        if page.dirty:
            self.window.tabs.save(page)
        self.panel.refresh_file(page.path, page.editor.text())
        line = page.editor.caret()[0] + 1
        marks = [ln for ln, _ in self.panel.declared_lines(page.path) if ln <= line]
        if not marks:
            return False
        self.panel.run(os.path.abspath(page.path), line=max(marks))
        return True

    def refresh_markers(self) -> None:
        for binding in list(self.markers.values()):
            binding.refresh()

    def _base_options(self) -> dict[str, Any]:
        return run_options_from_settings(self.window.store.settings)

    def set_workspace(self, folder: str | None) -> None:
        self.panel.set_workspace(folder)

    def _page_added(self, page: Any) -> None:
        key = id(page)
        if key not in self.markers:
            self.markers[key] = EditorTestMarkers(page.editor, _path_of(page), self.panel)
            page.destroyed.connect(self._forget_page(key))
        self._test_words(page)
        if page.path and languages.language_of_test_file(page.path):
            self.panel.refresh_file(page.path, page.editor.text())

    def _forget_page(self, key: int) -> Callable[..., None]:
        def forget(*_: Any) -> None:
            self.markers.pop(key, None)

        return forget

    @staticmethod
    def _test_words(page: Any) -> None:
        """Test files complete their language's test API (describe, it, expect, assert...)."""
        lang = languages.language_of_test_file(page.path) if page.path else None
        test_api = test_api_for(lang.id) if lang is not None else None
        page.editor.extra_words = tuple(test_api.globals()) if test_api is not None else ()

    def _file_saved(self, path: str) -> None:
        if not languages.language_of_test_file(path):
            return
        page = next((p for p in self.window.tabs.pages() if p.path == os.path.abspath(path)), None)
        if page is not None:
            self._test_words(page)
            self.panel.refresh_file(path, page.editor.text())

    def _run_started(self, session: Any) -> None:
        self.window.trace.add_run(session)
        self.window.console.add_run(session)

    def debug_test(self, path: str, line: int) -> Any:
        """Debug one test: a debug run of its file limited to the test on ``line``."""
        w = self.window
        lang = languages.language_of_test_file(path)
        if lang is None or not lang.debuggable:
            w.statusBar().showMessage(
                f"The debugger speaks {languages.names_list(languages.debuggable())} only for now", 5000
            )
            return None
        w.open_location(path, line)
        # a fresh debug session (which stops the last one), as the window's own debug runs get
        return self.panel.run(path, line=line, debug_session=w.debugger.controller.new_session())
