"""The Eval view: open an ``.eval.yaml`` → Run Eval. A live matrix (rows × models, one coloured cell per assertion)
filling as runs finish, per-model totals, a row's detail (input, output, every assertion's reason, the LLM
exchanges of its cassette) and **Debug this row** (the spell under the debugger, its recorded answers replayed).

The eval runs on a background thread through :mod:`app.evals` with the IDE's runner (its warm pool); records
reach the UI through a queued signal. Hooked into the window by :class:`EvalWiring` (one dock, one action).
"""

from __future__ import annotations

import html
import json
import logging
import os
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from app import languages as spell_languages
from app.evals.results import cassette_dir, read_results, summarize
from app.evals.spec import EvalFileError, EvalSpec, load_eval

log = logging.getLogger(__name__)

EVAL_SUFFIXES = (".eval.yaml", ".eval.yml", ".eval.json")
PASS_BG = QColor(46, 160, 67, 80)
FAIL_BG = QColor(248, 81, 73, 90)
ERROR_BG = QColor(191, 135, 0, 90)
MAX_TRACE_CHARS = 4000


def is_eval_file(path: str | None) -> bool:
    return bool(path) and str(path).lower().endswith(EVAL_SUFFIXES)


def results_path(eval_path: str) -> str:
    """Where the IDE keeps an eval's results: beside the eval file, ``<name>.results.jsonl``."""
    from app.evals.cli import default_out

    return os.path.join(os.path.dirname(os.path.abspath(eval_path)), default_out(eval_path))


class _Relay(QObject):
    """Carries records from the eval thread to the UI thread (queued connections)."""

    record = Signal(object, object)
    finished = Signal(object)


class EvalView(QWidget):
    """One eval: its matrix, totals and row detail. ``runner`` gives the IDE's Runner (may block briefly);
    ``settings`` the run settings (default model, base URLs)."""

    debugRequested = Signal(str, object, str, str)  # spell path, INPUT, model id, cassette path ("" for none)
    statusMessage = Signal(str)

    def __init__(
        self, runner: Callable[[], Any], settings: Callable[[], dict[str, Any]], parent: QWidget | None = None
    ):
        super().__init__(parent)
        self._runner = runner
        self._settings = settings
        self.spec: EvalSpec | None = None
        self.path = ""
        self.records: dict[tuple[int, str, int], dict[str, Any]] = {}
        self._run: Any = None
        self._thread: threading.Thread | None = None
        self._relay = _Relay()
        self._relay.record.connect(self._on_record)
        self._relay.finished.connect(self._on_finished)
        self._columns: list[tuple[str, str | None]] = []  # (model label, assertion name or None for the total)
        self._row_of: dict[tuple[int, int], int] = {}
        self._totals_timer = QTimer(self)
        self._totals_timer.setSingleShot(True)
        self._totals_timer.setInterval(200)
        self._totals_timer.timeout.connect(self._refresh_totals)

        self.title = QLabel("Open an .eval.yaml file, then Run Eval")
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.run_button = QPushButton("Run Eval")
        self.run_button.clicked.connect(lambda: self.run_eval())
        self.resume_box = QCheckBox("resume")
        self.resume_box.setToolTip("Keep the results already in the results file and run only what is missing")
        self.stop_button = QPushButton("Stop")
        self.stop_button.setEnabled(False)
        self.stop_button.clicked.connect(self.stop)
        self.failed_only = QCheckBox("failed only")
        self.failed_only.toggled.connect(self._apply_filter)
        self.progress = QProgressBar()
        self.progress.setTextVisible(True)
        self.progress.setFormat("%v/%m runs")
        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        top.addWidget(self.failed_only)
        top.addWidget(self.progress)
        top.addWidget(self.resume_box)
        top.addWidget(self.run_button)
        top.addWidget(self.stop_button)

        self.totals = QTableWidget(0, 8)
        self.totals.setHorizontalHeaderLabels(
            ["model", "runs", "pass rate", "mean score", "errors", "cost USD", "p50 ms", "p95 ms"]
        )
        self.totals.verticalHeader().hide()
        self.totals.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.totals.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.totals.setMaximumHeight(110)

        self.matrix = QTableWidget(0, 0)
        self.matrix.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.matrix.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.matrix.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.matrix.verticalHeader().hide()
        self.matrix.currentCellChanged.connect(lambda r, c, *_: self._show_detail(r, c))

        self.detail = QTextBrowser()
        self.detail.setOpenLinks(False)
        self.debug_button = QPushButton("Debug this row")
        self.debug_button.setEnabled(False)
        self.debug_button.clicked.connect(self._debug_selected)
        detail_box = QWidget()
        dl = QVBoxLayout(detail_box)
        dl.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        self.detail_title = QLabel("Select a cell to see the run")
        row.addWidget(self.detail_title, 1)
        row.addWidget(self.debug_button)
        dl.addLayout(row)
        dl.addWidget(self.detail, 1)

        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.matrix)
        split.addWidget(detail_box)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.totals)
        layout.addWidget(split, 1)
        self._selected: dict[str, Any] | None = None

    # loading ---------------------------------------------------------------------------------------------------
    def open(self, path: str) -> bool:
        """Load an eval file (and the results of its last run, if any). False (and the error shown) if bad."""
        if self.running:
            self.statusMessage.emit("An eval is running: stop it first")
            return False
        self.path = os.path.abspath(path)
        try:
            default = str(self._settings().get("default_model") or "offline/echo")
            self.spec = load_eval(self.path, None, default)
        except EvalFileError as e:
            self.spec = None
            self.title.setText(f"<span style='color:#cf222e'>{html.escape(str(e))}</span>")
            self.run_button.setEnabled(False)
            self.matrix.setRowCount(0)
            return False
        self.run_button.setEnabled(True)
        spec = self.spec
        desc = f" — {html.escape(spec.description)}" if spec.description else ""
        self.title.setText(
            f"<b>{html.escape(os.path.basename(self.path))}</b>{desc}<br>"
            f"<span style='color:gray'>{len(spec.rows)} rows × {len(spec.models)} model(s)"
            f"{f' × {spec.repeat} repeats' if spec.repeat > 1 else ''}, "
            f"threshold {100 * spec.threshold:.0f}%, spell "
            f"{html.escape(os.path.relpath(spec.spell, os.path.dirname(self.path)))}</span>"
        )
        self.records.clear()
        try:
            for r in read_results(results_path(self.path)):
                self.records[(int(r["row"]), str(r["model"]), int(r.get("repeat", 0)))] = r
        except ValueError as e:
            self.statusMessage.emit(str(e))
        self._build_matrix()
        for r in self.records.values():
            self._fill(r)
        self._refresh_totals()
        self.progress.setMaximum(len(spec.rows) * len(spec.models) * spec.repeat)
        self.progress.setValue(len(self.records))
        return True

    def _assertion_names(self) -> list[str]:
        assert self.spec is not None
        names: list[str] = []
        for a in self.spec.asserts + [a for r in self.spec.rows for a in r.asserts]:
            if a.name not in names:
                names.append(a.name)
        return names

    def _build_matrix(self) -> None:
        spec = self.spec
        assert spec is not None
        names = self._assertion_names()
        self._columns = []
        headers = ["#", "input"]
        for m in spec.models:
            self._columns.append((m.label, None))
            headers.append(m.label)
            for n in names:
                self._columns.append((m.label, n))
                headers.append(n if len(n) <= 16 else n[:15] + "…")
        self.matrix.clear()
        self.matrix.setColumnCount(len(headers))
        self.matrix.setHorizontalHeaderLabels(headers)
        for i in range(2, len(headers)):
            header_item = self.matrix.horizontalHeaderItem(i)
            label, name = self._columns[i - 2]
            if header_item is not None:
                header_item.setToolTip(f"{label}: {name}" if name else f"{label}: the row's result and score")
        self._row_of.clear()
        rows = [(r, k) for r in spec.rows for k in range(spec.repeat)]
        self.matrix.setRowCount(len(rows))
        for i, (row, k) in enumerate(rows):
            self._row_of[(row.index, k)] = i
            label = str(row.index) if spec.repeat == 1 else f"{row.index}·{k}"
            self.matrix.setItem(i, 0, QTableWidgetItem(label))
            text = json.dumps(row.inputs, ensure_ascii=False)
            item = QTableWidgetItem(text if len(text) <= 80 else text[:79] + "…")
            item.setToolTip(text[:2000])
            self.matrix.setItem(i, 1, item)
            for c in range(2, len(headers)):
                self.matrix.setItem(i, c, QTableWidgetItem("…" if self._columns[c - 2][1] is None else ""))
        header = self.matrix.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.matrix.setColumnWidth(0, 44)
        self.matrix.setColumnWidth(1, 260)
        metrics = self.matrix.horizontalHeader().fontMetrics()
        for c in range(2, len(headers)):
            text_w = metrics.horizontalAdvance(headers[c]) + 24
            self.matrix.setColumnWidth(c, max(92 if self._columns[c - 2][1] is None else 60, text_w))

    def _fill(self, record: dict[str, Any]) -> None:
        i = self._row_of.get((int(record["row"]), int(record.get("repeat", 0))))
        if i is None:
            return
        by_name = {a["name"]: a for a in record.get("assertions") or []}
        for c, (label, name) in enumerate(self._columns, 2):
            if label != record["model"]:
                continue
            item = self.matrix.item(i, c)
            if item is None:
                continue
            if name is None:
                ok = bool(record.get("pass"))
                item.setText(
                    ("pass " if ok else ("ERROR " if record.get("error") else "FAIL "))
                    + f"{float(record.get('score') or 0):.2f}"
                )
                item.setBackground(QBrush(PASS_BG if ok else ERROR_BG if record.get("error") else FAIL_BG))
                err = record.get("error")
                item.setToolTip(
                    f"{err.get('code')}: {err.get('message')}"
                    if err
                    else f"{float(record.get('latency_ms') or 0):.0f} ms, {record.get('tokens')} tokens"
                )
            else:
                a = by_name.get(name)
                if a is None:
                    item.setText("")
                    continue
                item.setText(("✓ " if a["pass"] else "✗ ") + f"{float(a['score']):.2f}")
                item.setBackground(QBrush(PASS_BG if a["pass"] else FAIL_BG))
                item.setToolTip(a.get("reason") or "")
        self._apply_filter_row(i)

    def _apply_filter(self) -> None:
        for i in range(self.matrix.rowCount()):
            self._apply_filter_row(i)

    def _apply_filter_row(self, i: int) -> None:
        if not self.failed_only.isChecked():
            self.matrix.setRowHidden(i, False)
            return
        items = [self.matrix.item(i, c) for c, (_, name) in enumerate(self._columns, 2) if name is None]
        failed = any(item is not None and item.text().startswith(("FAIL", "ERROR")) for item in items)
        self.matrix.setRowHidden(i, not failed)

    def _refresh_totals(self) -> None:
        if self.spec is None:
            return
        summaries = summarize(self.records.values(), [m.label for m in self.spec.models])
        self.totals.setRowCount(len(summaries))
        for i, s in enumerate(summaries):
            cells = [
                s.model,
                str(s.runs),
                f"{100 * s.pass_rate:.1f}%" if s.runs else "—",
                f"{s.mean_score:.3f}",
                str(s.errors),
                f"{s.cost:.6f}",
                f"{s.p50_ms:.0f}",
                f"{s.p95_ms:.0f}",
            ]
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if c == 2 and s.runs:
                    item.setBackground(QBrush(PASS_BG if s.pass_rate >= self.spec.threshold else FAIL_BG))
                self.totals.setItem(i, c, item)

    # running ---------------------------------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def run_eval(self, resume: bool | None = None) -> bool:
        """Start the eval on a background thread (fresh results unless ``resume``)."""
        if self.spec is None or self.running:
            return False
        if not self.open(self.path):
            return False
        spec = self.spec
        assert spec is not None
        resume = self.resume_box.isChecked() if resume is None else resume
        if not resume:
            self.records.clear()
            self._build_matrix()
            self._refresh_totals()
        self.progress.setValue(len(self.records))
        self.run_button.setEnabled(False)
        self.stop_button.setEnabled(True)
        out = results_path(self.path)
        settings = {k: v for k, v in self._settings().items() if k != "default_model"}

        def work() -> None:
            error = None
            try:
                from app.evals.executors import LocalExecutor
                from app.evals.rowrun import RowRunner
                from app.evals.session import EvalOptions, EvalRun, spell_spec

                runner = self._runner()
                spell = spell_spec(spec, settings)
                executor = LocalExecutor(spell, spec.concurrency, RowRunner(spell, runner))
                run = EvalRun(
                    spec,
                    EvalOptions(out=out, resume=resume, settings=settings),
                    lambda r, p: self._relay.record.emit(r, p),
                    executor=executor,
                )
                self._run = run
                run.run()
            except Exception as e:  # shown in the view, never a crash of the IDE
                log.exception("eval failed")
                error = f"{type(e).__name__}: {e}"
            self._relay.finished.emit(error)

        self._thread = threading.Thread(target=work, name="eval", daemon=True)
        self._thread.start()
        self.statusMessage.emit(f"Eval started: results in {out}")
        return True

    def stop(self) -> None:
        """Start no more runs (those in flight finish and are kept: Run Eval with resume continues)."""
        if self._run is not None:
            self._run.cancel()
        self.stop_button.setEnabled(False)

    def wait(self, timeout: float | None = None) -> bool:
        """For tests and shutdown: wait for the eval thread."""
        if self._thread is not None:
            self._thread.join(timeout)
        return not self.running

    def _on_record(self, record: dict[str, Any], progress: Any) -> None:
        key = (int(record["row"]), str(record["model"]), int(record.get("repeat", 0)))
        self.records[key] = record
        self._fill(record)
        self.progress.setValue(len(self.records))
        if not self._totals_timer.isActive():
            self._totals_timer.start()
        if self._selected is not None and self._selected_key() == key:
            self._show_detail(self.matrix.currentRow(), self.matrix.currentColumn())

    def _on_finished(self, error: str | None) -> None:
        self._run = None
        self.run_button.setEnabled(self.spec is not None)
        self.stop_button.setEnabled(False)
        self._refresh_totals()
        if error:
            self.statusMessage.emit(f"Eval failed: {error}")
            self.detail.setHtml(f"<p style='color:#cf222e'>{html.escape(error)}</p>")
        elif self.spec is not None:
            summaries = summarize(self.records.values(), [m.label for m in self.spec.models])
            ok = summaries and all(s.pass_rate >= self.spec.threshold for s in summaries)
            self.statusMessage.emit(
                f"Eval {'passed' if ok else 'failed'}: "
                + ", ".join(f"{s.model} {100 * s.pass_rate:.0f}%" for s in summaries)
            )

    # detail -----------------------------------------------------------------------------------------------------
    def _selected_key(self) -> tuple[int, str, int] | None:
        r = self._selected
        return None if r is None else (int(r["row"]), str(r["model"]), int(r.get("repeat", 0)))

    def record_at(self, row: int, column: int) -> dict[str, Any] | None:
        if self.spec is None or row < 0 or column < 2 or column - 2 >= len(self._columns):
            return None
        label = self._columns[column - 2][0]
        for (index, k), i in self._row_of.items():
            if i == row:
                return self.records.get((index, label, k))
        return None

    def _show_detail(self, row: int, column: int) -> None:
        record = self.record_at(row, column)
        self._selected = record
        lang = spell_languages.for_path(self.spec.spell) if self.spec is not None else None
        can_debug = record is not None and lang is not None and lang.debuggable
        self.debug_button.setEnabled(bool(can_debug) and not self.running)
        if record is None:
            self.detail_title.setText("Select a cell to see the run")
            self.detail.clear()
            return
        self.detail_title.setText(
            f"Row {record['row']} · {record['model']}"
            + (f" · repeat {record['repeat']}" if record.get("repeat") else "")
        )
        self.detail.setHtml(detail_html(record, self._cassette_path(record)))

    def _cassette_path(self, record: dict[str, Any]) -> str:
        if not record.get("cassette"):
            return ""
        return os.path.join(cassette_dir(results_path(self.path)), str(record["cassette"]))

    def _debug_selected(self) -> None:
        record = self._selected
        if record is None or self.spec is None:
            return
        model = str(record.get("model_id") or record["model"])
        self.debugRequested.emit(self.spec.spell, record.get("input"), model, self._cassette_path(record))


def _text(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, indent=2)


def detail_html(record: dict[str, Any], cassette: str) -> str:
    """A run's detail: verdict, input, output or error, assertions with reasons, the exchanges of its cassette."""
    ok = bool(record.get("pass"))
    parts = [
        (
            f"<p><b style='color:{'#1a7f37' if ok else '#cf222e'}'>{'PASS' if ok else 'FAIL'}</b> · score "
            f"{float(record.get('score') or 0):.3f} · {float(record.get('latency_ms') or 0):.0f} ms · "
            f"{record.get('tokens') or 0} tokens · ${float(record.get('cost') or 0):.6f}</p>"
        ),
        "<h4>Input</h4>",
        f"<pre>{html.escape(_text(record.get('input'))[:MAX_TRACE_CHARS])}</pre>",
    ]
    err = record.get("error")
    if err:
        where = f" (line {err.get('line')})" if err.get("line") else ""
        parts.append(
            f"<h4>Error</h4><pre style='color:#cf222e'>{html.escape(str(err.get('code')))}: "
            f"{html.escape(str(err.get('message')))}{where}</pre>"
        )
    else:
        parts.append(f"<h4>Output</h4><pre>{html.escape(_text(record.get('output'))[:MAX_TRACE_CHARS])}</pre>")
    parts.append("<h4>Assertions</h4><table cellspacing='0' cellpadding='3'>")
    for a in record.get("assertions") or []:
        colour = "#1a7f37" if a["pass"] else "#cf222e"
        parts.append(
            f"<tr><td style='color:{colour}'><b>{'✓' if a['pass'] else '✗'}</b></td>"
            f"<td><b>{html.escape(a['name'])}</b></td><td>{float(a['score']):.2f}</td>"
            f"<td>{html.escape(a.get('reason') or '')}</td></tr>"
        )
    parts.append("</table>")
    calls = record.get("calls") or []
    if calls:
        parts.append(
            "<h4>Tools called</h4><ul>"
            + "".join(
                f"<li>{html.escape(str(c.get('name')))} {html.escape(_json_text(c.get('args')))}</li>" for c in calls
            )
            + "</ul>"
        )
    parts.append("<h4>LLM exchanges</h4>")
    exchanges = cassette_exchanges(cassette) if cassette else []
    if not exchanges:
        parts.append("<p style='color:gray'>none recorded (the run called no model)</p>")
    for ex in exchanges:
        parts.append(
            f"<p><b>{html.escape(ex['model'])}</b> <span style='color:gray'>{html.escape(ex['kind'])}</span>"
            f"<br><span style='color:gray'>asked:</span> {html.escape(ex['asked'])}"
            f"<br><span style='color:gray'>answered:</span> {html.escape(ex['answered'])}</p>"
        )
    return "".join(parts)


def cassette_exchanges(path: str) -> list[dict[str, str]]:
    """The exchanges of a cassette, summarised for display: model, kind, last message asked, answer."""
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()[1:]
    except OSError:
        return []
    out = []
    for line in lines[:200]:
        try:
            e = json.loads(line)
        except ValueError:
            continue
        req, resp = e.get("request") or {}, e.get("response") or {}
        messages = req.get("messages") or []
        asked = (
            _text(messages[-1].get("content"))
            if messages and isinstance(messages[-1], dict)
            else _text(req.get("input"))
        )
        if "error" in resp:
            answered = f"error {resp['error'].get('code')}: {resp['error'].get('message')}"
        elif "vectors" in resp:
            answered = f"{len(resp['vectors'])} vector(s)"
        else:
            answered = _text(resp.get("content")) or json.dumps(resp.get("tool_calls") or [], ensure_ascii=False)
        out.append(
            {
                "model": str(req.get("model")),
                "kind": str(req.get("kind")),
                "asked": asked[:600],
                "answered": answered[:600],
            }
        )
    return out


class EvalWiring:
    """The Eval view in a main window: a dock and the Run Eval action (``action_run_eval`` delegates here)."""

    def __init__(
        self,
        window: Any,
        runner: Callable[[], Any],
        settings: Callable[[], dict[str, Any]],
        debug_row: Callable[[str, Any, str, str], object],
    ):
        self.window = window
        self.view = EvalView(runner, settings)
        self.view.debugRequested.connect(debug_row)
        self.view.statusMessage.connect(lambda m: window.statusBar().showMessage(m, 6000))

    def file_shown(self, path: str | None) -> None:
        """An editor tab became current: an eval file's last results appear in the view (nothing runs)."""
        view = self.view
        if is_eval_file(path) and not view.running and os.path.abspath(str(path)) != view.path:
            view.open(str(path))

    def run_current(self, path: str | None) -> bool:
        """Run Eval on ``path`` (the current editor's file), showing the view."""
        if not is_eval_file(path):
            self.window.statusBar().showMessage("Run Eval: open an .eval.yaml file first", 4000)
            return False
        assert path is not None
        if not self.view.open(path):
            return False
        return self.view.run_eval()


def eval_action_specs() -> tuple[Any, ...]:
    """Rows for ``app.ui.actions.ACTIONS`` (the window's ``action_run_eval`` calls :meth:`EvalWiring.run_current`)."""
    from app.ui.actions import ActionSpec

    return (
        ActionSpec(
            "run_eval",
            "Run &Eval",
            "action_run_eval",
            "&Run",
            ("Ctrl+Shift+E",),
            separator_before=True,
            tip="Run the current .eval.yaml: every dataset row × model, scored (Ctrl+Shift+E)",
        ),
    )


def _json_text(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)
