"""The LLM trace panel: spans of the current and recent runs as a tree (model, latency, tokens, cost) with a timeline
column — each span a bar placed in its run's time span, so calls that overlap (tasks, promises, parallel steps)
show as overlapping bars; the selected span's request and reply as a chat transcript and as pretty JSON;
double-click jumps to the spell line; filter by kind, model or text; export to JSONL."""

from __future__ import annotations

import html
import json
import logging
import os
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPainter
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTabWidget,
    QTextBrowser,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.ui.run_service import RunSession, format_seconds
from app.ui.theme import LIGHT, Theme

log = logging.getLogger(__name__)

COLUMNS = ("Span", "Kind", "Model", "Latency", "Tokens", "Cost", "Timeline")
TIMELINE = COLUMNS.index("Timeline")
KINDS = ("llm", "tool", "agent", "workflow")
ROLE_SPAN = Qt.ItemDataRole.UserRole
ROLE_RUN = Qt.ItemDataRole.UserRole + 1
ROLE_TIMES = Qt.ItemDataRole.UserRole + 3  # a span's (start, end or None), Unix seconds
ROLE_RANGE = Qt.ItemDataRole.UserRole + 4  # on a run's item: (first start, last end) of its spans
ROLE_FAILED = Qt.ItemDataRole.UserRole + 5  # the span ended with an error (a red bar)


def bar_fraction(times: tuple[float, float | None], window: tuple[float, float]) -> tuple[float, float]:
    """Where a span's bar lies in its run's window, as fractions of the column: ``(left, right)`` in 0..1. A span
    still running reaches the end of the window."""
    t0, t1 = window
    width = max(t1 - t0, 1e-6)
    start, end = times
    left = min(max((start - t0) / width, 0.0), 1.0)
    right = min(max(((t1 if end is None else end) - t0) / width, left), 1.0)
    return left, right


class TimelineDelegate(QStyledItemDelegate):
    """Paints the timeline column: a bar per span over its run's time window (overlapping calls overlap)."""

    def __init__(self, panel: TracePanel):
        super().__init__(panel.tree)
        self.panel = panel

    def paint(
        self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        times = index.data(ROLE_TIMES)
        root = index
        while root.parent().isValid():
            root = root.parent()
        window = root.sibling(root.row(), 0).data(ROLE_RANGE)
        if option.state & QStyle.StateFlag.State_Selected:
            painter.fillRect(option.rect, option.palette.highlight())
        if not times or not window:
            return
        left, right = bar_fraction(times, window)
        r = option.rect.adjusted(3, 4, -3, -4)
        x0 = r.left() + left * r.width()
        w = max(2.0, (right - left) * r.width())
        t = self.panel.theme
        kind = index.sibling(index.row(), 1).data(Qt.ItemDataRole.DisplayRole)
        colour = QColor({"llm": t.link, "embedding": t.link, "tool": t.builtin, "agent": t.ok}.get(kind, t.muted))
        if index.data(ROLE_FAILED):
            colour = QColor(t.error)
        if option.state & QStyle.StateFlag.State_Selected:
            colour = option.palette.highlightedText().color()  # a blue bar on the blue selection would vanish
        if times[1] is None:
            colour.setAlpha(120)  # still running
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(colour)
        painter.drawRoundedRect(QRectF(x0, r.top(), w, r.height()), 2, 2)
        painter.restore()


def ask_export_path(parent: QWidget) -> str | None:
    """Where to export (tests replace this)."""
    path, _ = QFileDialog.getSaveFileName(parent, "Export trace", "trace.jsonl", "JSON Lines (*.jsonl)")
    return path or None


MAX_SHOWN_CHARS = 20000  # per string in the details views (exports keep everything)


def clip(value: Any, limit: int = MAX_SHOWN_CHARS, depth: int = 0) -> Any:
    """``value`` with very long strings shortened for display."""
    if isinstance(value, str):
        return value if len(value) <= limit else value[:limit] + f" … [{len(value) - limit} more characters]"
    if depth > 50:
        return "…"
    if isinstance(value, dict):
        return {k: clip(v, limit, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [clip(v, limit, depth + 1) for v in value[:1000]] + (["…"] if len(value) > 1000 else [])
    return value


def latency_s(span: dict) -> float | None:
    s, e = span.get("start"), span.get("end")
    if isinstance(s, (int, float)) and isinstance(e, (int, float)):
        return max(0.0, e - s)
    return None


def _tokens(span: dict) -> int | None:
    t = span.get("tokens")
    if isinstance(t, dict):
        total = t.get("total") or ((t.get("prompt") or 0) + (t.get("completion") or 0))
        return int(total) if total else None
    return int(t) if isinstance(t, (int, float)) else None


def _content_text(content: Any) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # OpenAI-style content parts
        return "\n".join(str(p.get("text", "")) if isinstance(p, dict) else str(p) for p in content)
    return json.dumps(content, ensure_ascii=False, indent=2)


def transcript(span: dict) -> list[tuple[str, str]]:
    """``(role, text)`` turns of a span's request followed by its reply (tolerant of several shapes)."""
    turns: list[tuple[str, str]] = []
    req = span.get("request")
    if isinstance(req, dict):
        msgs = req.get("messages")
        if isinstance(msgs, list):
            for m in msgs:
                if isinstance(m, dict):
                    text = _content_text(m.get("content"))
                    if m.get("tool_calls"):
                        text += "\n" + _tool_calls(m["tool_calls"])
                    turns.append((str(m.get("role", "user")), text))
        elif "prompt" in req:
            turns.append(("user", _content_text(req["prompt"])))
        elif "input" in req or "args" in req:
            turns.append(("input", _content_text(req.get("input", req.get("args")))))
        else:
            turns.append(("request", json.dumps(req, ensure_ascii=False, indent=2)))
    elif req is not None:
        turns.append(("user", _content_text(req)))
    resp = span.get("response")
    if isinstance(resp, dict):
        msg = None
        choices = resp.get("choices")
        if isinstance(choices, list) and choices and isinstance(choices[0], dict):
            msg = choices[0].get("message") or choices[0].get("delta")
        if msg is None and ("content" in resp or "tool_calls" in resp):
            msg = resp
        if isinstance(msg, dict):
            text = _content_text(msg.get("content"))
            if msg.get("tool_calls"):
                text = (text + "\n" if text else "") + _tool_calls(msg["tool_calls"])
            turns.append((str(msg.get("role", "assistant")), text))
        elif "output" in resp or "result" in resp:
            turns.append(("output", _content_text(resp.get("output", resp.get("result")))))
        else:
            turns.append(("response", json.dumps(resp, ensure_ascii=False, indent=2)))
    elif resp is not None:
        turns.append(("assistant", _content_text(resp)))
    if span.get("error"):
        turns.append(("error", _content_text(span["error"])))
    return turns


def _expand_subtree(item: QTreeWidgetItem) -> None:
    stack = [item]
    while stack:
        it = stack.pop()
        if it.childCount():
            it.setExpanded(True)
            stack.extend(it.child(i) for i in range(it.childCount()))


def _tool_calls(calls: Any) -> str:
    out = []
    for c in calls if isinstance(calls, list) else [calls]:
        if isinstance(c, dict):
            fn = c.get("function") or c
            out.append(f"→ {fn.get('name', '?')}({_content_text(fn.get('arguments', ''))})")
    return "\n".join(out)


class TracePanel(QWidget):
    """Spans of recent runs. ``jumpTo(path, line)`` on double-click."""

    jumpTo = Signal(str, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.theme: Theme = LIGHT
        self.kind = QComboBox()
        self.kind.addItem("All kinds", "")
        for k in KINDS:
            self.kind.addItem(k, k)
        self.text_filter = QLineEdit(placeholderText="Filter by name, model or text")
        self.text_filter.setClearButtonEnabled(True)
        self.export_button = QPushButton("Export JSONL…")
        self.clear_button = QPushButton("Clear")
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(list(COLUMNS))
        self.tree.setUniformRowHeights(True)
        self.tree.setAlternatingRowColors(True)
        self.tree.setRootIsDecorated(True)
        for i, w in enumerate((230, 105, 150, 75, 60, 70, 160)):
            self.tree.setColumnWidth(i, w)
        self.tree.setItemDelegateForColumn(TIMELINE, TimelineDelegate(self))
        self.tree.headerItem().setToolTip(
            TIMELINE,
            "When each span ran within its run: overlapping bars are calls that were in flight at the same time",
        )
        self.chat = QTextBrowser()
        self.chat.setOpenLinks(False)
        self.json = QPlainTextEdit()
        self.json.setReadOnly(True)
        mono = QFont("DejaVu Sans Mono")
        mono.setStyleHint(QFont.StyleHint.Monospace)
        mono.setPointSize(9)
        self.json.setFont(mono)
        self.details = QTabWidget()
        self.details.setDocumentMode(True)
        self.details.addTab(self.chat, "Chat")
        self.details.addTab(self.json, "JSON")
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.tree)
        split.addWidget(self.details)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        self.splitter = split
        top = QHBoxLayout()
        top.setContentsMargins(4, 4, 4, 2)
        top.addWidget(self.kind)
        top.addWidget(self.text_filter, 1)
        top.addWidget(self.export_button)
        top.addWidget(self.clear_button)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        lay.addLayout(top)
        lay.addWidget(split, 1)
        self._runs: dict[int, tuple[RunSession, QTreeWidgetItem]] = {}
        self._items: dict[tuple[int, Any], QTreeWidgetItem] = {}
        self._spans: dict[tuple[int, Any], dict] = {}
        self._orphans: dict[tuple[int, Any], list[QTreeWidgetItem]] = {}
        self._pending: dict[tuple[int, Any], tuple[int, dict]] = {}
        self.tree.currentItemChanged.connect(lambda cur, _prev: self.show_span(cur))
        self.tree.itemDoubleClicked.connect(self._jump)
        self.kind.currentIndexChanged.connect(lambda *_: self.apply_filter())
        self.text_filter.textChanged.connect(lambda *_: self.apply_filter())
        self.export_button.clicked.connect(lambda: self.export())
        self.clear_button.clicked.connect(self.clear)
        self.show_span(None)

    # ------------------------------------------------------------------------------------------------ data
    def add_run(self, session: RunSession) -> None:
        """Show ``session``'s spans as they arrive (newest run on top; the last 10 runs are kept)."""
        root = QTreeWidgetItem([f"Run #{session.number}  {os.path.basename(session.path)}", "run", "", "", "", "", ""])
        root.setData(0, ROLE_RUN, session.number)
        f = root.font(0)
        f.setBold(True)
        root.setFont(0, f)
        self.tree.insertTopLevelItem(0, root)
        root.setExpanded(True)
        self._runs[session.number] = (session, root)
        session.spanUpdated.connect(lambda span, n=session.number: self.update_span(n, span))
        session.finished.connect(lambda _r, n=session.number: self._run_done(n))
        while self.tree.topLevelItemCount() > 10:
            old = self.tree.takeTopLevelItem(self.tree.topLevelItemCount() - 1)
            self._forget(old.data(0, ROLE_RUN))

    def _forget(self, run_no: int) -> None:
        self._runs.pop(run_no, None)
        for key in [k for k in self._pending if k[0] == run_no]:
            self._pending.pop(key, None)
        for key in [k for k in self._items if k[0] == run_no]:
            self._items.pop(key, None)
            self._spans.pop(key, None)
        for key in [k for k in self._orphans if k[0] == run_no]:
            self._orphans.pop(key, None)

    def _run_done(self, run_no: int) -> None:
        entry = self._runs.get(run_no)
        if entry:
            session, root = entry
            root.setText(1, session.status)
            root.setText(3, format_seconds(session.elapsed()))
            root.setText(4, str(session.stats.tokens or ""))
            root.setText(5, f"${session.stats.cost:.4f}" if session.stats.cost else "")

    def update_span(self, run_no: int, span: dict) -> None:
        """Add or refresh one span (spans arrive at start and again at end with the same id).

        While the panel is hidden, spans are only collected; the tree catches up when it is shown (lazy refresh)."""
        if not self.shown():
            self._pending[(run_no, span.get("id"))] = (run_no, span)
            return
        self._apply_span(run_no, span)

    def shown(self) -> bool:
        """True when the user can see the panel (a dock tabbed behind another is "visible" but not shown)."""
        return self.isVisible() and not self.visibleRegion().isEmpty()

    def flush(self) -> None:
        """Bring the tree up to date with spans collected while hidden."""
        pending, self._pending = self._pending, {}
        for run_no, span in pending.values():
            self._apply_span(run_no, span)

    def showEvent(self, e) -> None:  # noqa: N802
        self.flush()
        super().showEvent(e)

    def _apply_span(self, run_no: int, span: dict) -> None:
        entry = self._runs.get(run_no)
        if entry is None:
            return
        key = (run_no, span.get("id"))
        self._spans[key] = span
        item = self._items.get(key)
        if item is None:
            item = QTreeWidgetItem()
            item.setData(0, ROLE_SPAN, key)
            parent_key = (run_no, span.get("parent"))
            parent = self._items.get(parent_key) if span.get("parent") is not None else None
            if parent is None and span.get("parent") is not None:
                self._orphans.setdefault(parent_key, []).append(item)
                parent = entry[1]
            holder = parent or entry[1]
            holder.addChild(item)
            holder.setExpanded(True)
            self._items[key] = item
            for orphan in self._orphans.pop(key, []):  # children that arrived before their parent
                orphan.parent().removeChild(orphan) if orphan.parent() else None
                item.addChild(orphan)
                item.setExpanded(True)
                _expand_subtree(orphan)  # moving a subtree drops its expanded state
        self._fill_item(item, span)
        self._widen_window(entry[1], span)
        self._apply_filter_item(item)
        if self.tree.currentItem() is item:
            self.show_span(item)

    def _widen_window(self, root: QTreeWidgetItem, span: dict) -> None:
        """Grow the run's time window to hold ``span`` (the timeline bars are drawn within it)."""
        start, end = span.get("start"), span.get("end")
        if not isinstance(start, (int, float)):
            return
        window = root.data(0, ROLE_RANGE)
        t0, t1 = window if window else (start, start)
        last = end if isinstance(end, (int, float)) else start
        new = (min(t0, start), max(t1, last))
        if new != window:
            root.setData(0, ROLE_RANGE, new)
            self.tree.viewport().update()  # every bar of the run moves

    def _fill_item(self, item: QTreeWidgetItem, span: dict) -> None:
        lat = latency_s(span)
        tok = _tokens(span)
        cost = span.get("cost")
        item.setText(0, str(span.get("name") or span.get("kind") or "span"))
        item.setText(1, str(span.get("kind") or ""))
        item.setText(2, str(span.get("model") or ""))
        item.setText(3, "…" if span.get("end") is None else (f"{lat * 1000:.0f} ms" if lat is not None else ""))
        item.setText(4, "" if tok is None else str(tok))
        item.setText(5, f"${float(cost):.4f}" if isinstance(cost, (int, float)) and cost else "")
        start, end = span.get("start"), span.get("end")
        if isinstance(start, (int, float)):
            item.setData(TIMELINE, ROLE_TIMES, (float(start), float(end) if isinstance(end, (int, float)) else None))
            item.setData(TIMELINE, ROLE_FAILED, bool(span.get("error")))
            item.setToolTip(
                TIMELINE,
                f"started {start - self._run_start(item):.3f} s into the run"
                + (f", {lat * 1000:.0f} ms" if lat is not None else ", still running"),
            )
        where = f"{span.get('file')}:{span.get('line')}" if span.get("file") and span.get("line") else ""
        item.setToolTip(0, where or str(span.get("name") or ""))
        colour = QColor(self.theme.error) if span.get("error") else QColor(self.theme.text)
        for c in range(len(COLUMNS)):
            item.setForeground(c, colour)

    def _run_start(self, item: QTreeWidgetItem) -> float:
        root = item
        while (parent := root.parent()) is not None:
            root = parent
        window = root.data(0, ROLE_RANGE)
        if window:
            return float(window[0])
        times = item.data(TIMELINE, ROLE_TIMES)
        return float(times[0]) if times else 0.0

    def spans(self, run_no: int | None = None) -> list[dict]:
        """Spans held, oldest run first (optionally of one run)."""
        self.flush()
        return [
            s for (n, _sid), s in sorted(self._spans.items(), key=lambda kv: kv[0][0]) if run_no is None or n == run_no
        ]

    def clear(self) -> None:
        self._pending.clear()
        self.tree.clear()
        self._runs.clear()
        self._items.clear()
        self._spans.clear()
        self._orphans.clear()
        self.show_span(None)

    # ------------------------------------------------------------------------------------------------ filter
    def apply_filter(self) -> None:
        self.flush()
        for i in range(self.tree.topLevelItemCount()):
            root = self.tree.topLevelItem(i)
            stack = [root.child(j) for j in range(root.childCount())]
            while stack:
                it = stack.pop()
                self._apply_filter_item(it)  # type: ignore[arg-type]
                stack.extend(it.child(j) for j in range(it.childCount()))

    def _matches(self, span: dict) -> bool:
        kind = self.kind.currentData()
        if kind and span.get("kind") != kind:
            return False
        needle = self.text_filter.text().strip().lower()
        if not needle:
            return True
        hay = " ".join(str(span.get(k) or "") for k in ("name", "model", "kind"))
        if needle in hay.lower():
            return True
        return (
            needle in json.dumps([span.get("request"), span.get("response")], ensure_ascii=False, default=str).lower()
        )

    def _apply_filter_item(self, item: QTreeWidgetItem) -> None:
        span = self._spans.get(item.data(0, ROLE_SPAN))
        if span is None:
            return
        visible = self._matches(span)
        item.setHidden(False)
        # keep a parent visible when a child matches
        item.setData(0, Qt.ItemDataRole.UserRole + 2, visible)
        item.setHidden(not visible and not self._any_child_visible(item))
        p = item.parent()
        while p is not None and p.data(0, ROLE_SPAN) is not None:
            if visible:
                p.setHidden(False)
            p = p.parent()

    def _any_child_visible(self, item: QTreeWidgetItem) -> bool:
        for j in range(item.childCount()):
            c = item.child(j)
            span = self._spans.get(c.data(0, ROLE_SPAN))
            if (span is not None and self._matches(span)) or self._any_child_visible(c):  # type: ignore[arg-type]
                return True
        return False

    # ------------------------------------------------------------------------------------------------ details
    def show_span(self, item: QTreeWidgetItem | None) -> None:
        span = self._spans.get(item.data(0, ROLE_SPAN)) if item is not None else None
        if span is None:
            self.chat.setHtml(f"<p style='color:{self.theme.muted}'>Select a span to see its request and reply.</p>")
            self.json.setPlainText("")
            return
        shown = clip(span)
        self.chat.setHtml(self._chat_html(shown))
        self.json.setPlainText(json.dumps(shown, ensure_ascii=False, indent=2, default=str))

    def _chat_html(self, span: dict) -> str:
        t = self.theme
        head = [f"<b>{html.escape(str(span.get('name') or span.get('kind') or 'span'))}</b>"]
        meta = []
        if span.get("model"):
            meta.append(html.escape(str(span["model"])))
        lat = latency_s(span)
        if lat is not None:
            meta.append(f"{lat * 1000:.0f} ms")
        tok = _tokens(span)
        if tok:
            meta.append(f"{tok} tokens")
        if span.get("cost"):
            meta.append(f"${float(span['cost']):.4f}")
        if span.get("file") and span.get("line"):
            meta.append(f"{html.escape(os.path.basename(str(span['file'])))}:{span['line']}")
        parts = [
            f"<div style='margin-bottom:6px'>{head[0]} <span style='color:{t.muted}'>{' · '.join(meta)}</span></div>"
        ]
        colours = {"system": t.muted, "user": t.link, "assistant": t.ok, "tool": t.builtin, "error": t.error}
        for role, text in transcript(span):
            c = colours.get(role, t.label)
            body = html.escape(text).replace("\n", "<br>")
            parts.append(
                f"<div style='margin:4px 0 8px 0'><div style='color:{c};font-weight:600'>"
                f"{html.escape(role)}</div><div style='margin-left:8px'>{body or '&nbsp;'}</div></div>"
            )
        return f"<div style='color:{t.text}'>{''.join(parts)}</div>"

    def _jump(self, item: QTreeWidgetItem, _col: int = 0) -> None:
        span = self._spans.get(item.data(0, ROLE_SPAN))
        if span and span.get("file") and span.get("line"):
            self.jumpTo.emit(str(span["file"]), int(span["line"]))

    def select_first_span(self, kind: str | None = "llm") -> bool:
        """Select the first span (of ``kind``) of the newest run that has one, e.g. for screenshots."""
        self.flush()
        for run_no in sorted({k[0] for k in self._items}, reverse=True):
            for key, item in self._items.items():
                span = self._spans.get(key)
                if key[0] == run_no and span is not None and (kind is None or span.get("kind") == kind):
                    self.tree.setCurrentItem(item)
                    self.tree.scrollToItem(item)
                    return True
        return False

    # ------------------------------------------------------------------------------------------------ export
    def export(self, path: str | None = None) -> int:
        """Write the spans (visible ones when a filter is set) as JSON Lines; returns how many."""
        path = path or ask_export_path(self)
        if not path:
            return 0
        spans = [s for s in self.spans() if self._matches(s)]
        with open(path, "w", encoding="utf-8") as fh:
            for s in spans:
                fh.write(json.dumps(s, ensure_ascii=False, default=str) + "\n")
        log.info("exported %d spans to %s", len(spans), path)
        return len(spans)

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        for key, item in self._items.items():
            span = self._spans.get(key)
            if span:
                self._fill_item(item, span)
        self.show_span(self.tree.currentItem())
