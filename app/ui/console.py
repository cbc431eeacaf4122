"""The run console: one tab per run with live, level-coloured output, clickable ``file:line`` links, Stop, and a
status line (elapsed time, tokens, cost); an INPUT field (JSON) above the tabs; the REPL lives in the first tab."""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.ui.run_service import RunSession, format_seconds
from app.ui.theme import LIGHT, Theme

log = logging.getLogger(__name__)

LINK_RE = re.compile(r"((?:[A-Za-z]:)?[^\s:\"'()<>\[\],]+\.(?:lua|js|mjs|cjs|tengo)|<[\w-]+>):(\d+)(?::(\d+))?")
MAX_LINES = 20000
MAX_LINE_CHARS = 4000  # longer lines are cut (a multi-megabyte line would take seconds to lay out)
TRIM_SLACK = 4000  # lines beyond MAX_LINES before the oldest are dropped (in one cheap operation)


def format_value(value: Any, limit: int = 2000) -> str:
    """A spell result as compact JSON (or repr), cut at ``limit`` characters."""
    try:
        text = json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= limit else text[:limit] + "…"


class ConsoleView(QPlainTextEdit):
    """Read-only output with coloured streams and clickable ``file:line`` links (``linkActivated``)."""

    linkActivated = Signal(str, int, int)  # path, line, column

    def __init__(self, base_dir: str | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumHeight(36)  # two lines: the console stays usable in a 680-pixel-high window
        self.base_dir = base_dir
        self.aliases: dict[str, str] = {}  # internal path → the name the user knows (untitled buffers)
        self.setReadOnly(True)
        self.setUndoRedoEnabled(False)
        self.setMaximumBlockCount(0)  # trimmed in chunks by _trim(): Qt's per-insert trimming is slow
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        self.viewport().setMouseTracking(True)
        self.theme: Theme = LIGHT
        self._formats: dict[str, QTextCharFormat] = {}
        self.set_theme(LIGHT)
        self._at_line_start = True
        self._line_len = 0  # characters in the current (unfinished) last line
        self._cut = 0  # characters of it not shown

    def set_theme(self, theme: Theme, family: str = "DejaVu Sans Mono", size: int = 10) -> None:
        self.theme = theme
        font = QFont(family)
        font.setStyleHint(QFont.StyleHint.Monospace)
        font.setPointSize(max(6, size - 1))
        self.setFont(font)
        colours = {
            "stdout": "",
            "stderr": theme.error,
            "fail": theme.error,
            "error": theme.error,
            "warn": theme.warn,
            "warning": theme.warn,
            "info": theme.link,
            "debug": theme.debug,
            "system": theme.muted,
            "ok": theme.ok,
            "input": theme.muted,
            "result": theme.ok,
        }
        self._formats = {}
        for k, c in colours.items():
            f = QTextCharFormat()
            if c:  # stdout keeps the palette's text colour, so it follows theme changes
                f.setForeground(QColor(c))
            if k in ("error", "stderr", "fail"):
                f.setFontWeight(QFont.Weight.Medium)
            self._formats[k] = f
        link = QTextCharFormat()
        link.setForeground(QColor(theme.link))
        link.setFontUnderline(True)
        link.setAnchor(True)
        self._formats["link"] = link

    def append_output(self, chunks: list[tuple[str, str]]) -> None:
        """Append ``(stream, text)`` chunks at the end, keeping the view pinned to the bottom if it was."""
        bar = self.verticalScrollBar()
        pinned = bar.value() >= bar.maximum() - 4
        cur = QTextCursor(self.document())
        cur.movePosition(QTextCursor.MoveOperation.End)
        cur.beginEditBlock()
        for stream, text in chunks:
            level = stream if stream in self._formats else "stdout"
            if stream in ("debug", "info", "warn", "warning", "error") and self._at_line_start:
                text = f"[{stream}] " + text
            if stream in (
                "debug",
                "info",
                "warn",
                "warning",
                "error",
                "system",
                "result",
                "ok",
                "fail",
            ) and not text.endswith("\n"):
                text += "\n"
            for real, shown in self.aliases.items():
                text = text.replace(real, shown)
            text = self._cap_lines(text)
            if text:
                self._insert(cur, text, self._formats[level])
                self._at_line_start = text.endswith("\n")
        cur.endEditBlock()
        self._trim()
        if pinned:
            bar.setValue(bar.maximum())

    def _cap_lines(self, text: str) -> str:
        """Cut every line at :data:`MAX_LINE_CHARS`, noting how much was left out when the line ends."""
        if len(text) + self._line_len <= MAX_LINE_CHARS and not self._cut:
            nl = text.rfind("\n")
            self._line_len = len(text) - nl - 1 if nl >= 0 else self._line_len + len(text)
            return text
        out: list[str] = []
        parts = text.split("\n")
        for i, part in enumerate(parts):
            room = MAX_LINE_CHARS - self._line_len
            if len(part) > room:
                out.append(part[: max(0, room)])
                self._cut += len(part) - max(0, room)
                self._line_len = MAX_LINE_CHARS
            else:
                out.append(part)
                self._line_len += len(part)
            if i < len(parts) - 1:  # the line ends here
                if self._cut:
                    out[-1] += f" … [{self._cut} more characters not shown]"
                    self._cut = 0
                out[-1] += "\n"
                self._line_len = 0
        return "".join(out)

    def _trim(self) -> None:
        doc = self.document()
        excess = doc.blockCount() - MAX_LINES
        if excess <= TRIM_SLACK:
            return
        cur = QTextCursor(doc)
        cur.movePosition(QTextCursor.MoveOperation.Start)
        cur.setPosition(doc.findBlockByNumber(excess).position(), QTextCursor.MoveMode.KeepAnchor)
        cur.removeSelectedText()

    def _insert(self, cur: QTextCursor, text: str, fmt: QTextCharFormat) -> None:
        pos = 0
        if ":" in text and len(text) < 200_000:
            for m in LINK_RE.finditer(text):
                if m.start() > pos:
                    cur.insertText(text[pos : m.start()], fmt)
                link = QTextCharFormat(self._formats["link"])
                link.setAnchorHref(f"{m.group(1)}\x00{m.group(2)}\x00{m.group(3) or 0}")
                cur.insertText(m.group(0), link)
                pos = m.end()
        if pos < len(text):
            cur.insertText(text[pos:], fmt)

    def resolve(self, path: str) -> str:
        if os.path.isabs(path) or not self.base_dir or path.startswith("<"):
            return path
        return os.path.normpath(os.path.join(self.base_dir, path))

    def _link_at(self, pos) -> tuple[str, int, int] | None:
        href = self.anchorAt(pos)
        if not href or "\x00" not in href:
            return None
        path, line, col = href.split("\x00")
        return self.resolve(path), int(line), int(col)

    def activate_link_at(self, pos) -> bool:
        link = self._link_at(pos)
        if link:
            self.linkActivated.emit(*link)
            return True
        return False

    def mouseMoveEvent(self, e) -> None:  # noqa: N802
        self.viewport().setCursor(
            Qt.CursorShape.PointingHandCursor if self._link_at(e.position().toPoint()) else Qt.CursorShape.IBeamCursor
        )
        super().mouseMoveEvent(e)

    def mouseReleaseEvent(self, e) -> None:  # noqa: N802
        if e.button() == Qt.MouseButton.LeftButton and not self.textCursor().hasSelection():
            if self.activate_link_at(e.position().toPoint()):
                return
        super().mouseReleaseEvent(e)

    def links(self) -> list[tuple[str, int, int]]:
        """All links in the console (for tests and keyboard navigation)."""
        out = []
        block = self.document().begin()
        while block.isValid():
            it = block.begin()
            while not it.atEnd():
                frag = it.fragment()
                f = frag.charFormat()
                if f.isAnchor() and "\x00" in f.anchorHref():
                    p, line, col = f.anchorHref().split("\x00")
                    out.append((self.resolve(p), int(line), int(col)))
                it += 1
            block = block.next()
        return out


class RunConsole(QWidget):
    """One run's tab: a status line with Stop, and the output."""

    linkActivated = Signal(str, int, int)

    def __init__(self, session: RunSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.paused: str | None = None  # while a debug run is stopped: why and where ("(breakpoint) at x.lua:2")
        self.status = QLabel()
        self.status.setObjectName("runStatus")
        self.stop_button = QPushButton("■ Stop")
        self.stop_button.setToolTip("Stop this run (Shift+F5 stops all)")
        self.stop_button.clicked.connect(session.cancel)
        untitled = session.display_path != session.path
        self.view = ConsoleView(os.path.dirname(session.path) if os.path.isabs(session.path) and not untitled else None)
        if untitled:  # messages name the buffer, never the internal path it runs under
            self.view.aliases[session.path] = session.display_path
        self.view.linkActivated.connect(self.linkActivated)
        head = QHBoxLayout()
        head.setContentsMargins(6, 2, 6, 2)
        head.addWidget(self.status, 1)
        head.addWidget(self.stop_button)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        lay.addLayout(head)
        lay.addWidget(self.view, 1)
        session.output.connect(self.view.append_output)
        session.finished.connect(self._finished)
        session.statsChanged.connect(self.update_status)
        self.view.append_output([("system", f"▶ {session.path}")])
        self.update_status()

    def glyph(self) -> str:
        if self.paused is not None and not self.session.done:
            return "‖"  # (⏸ is missing from the common UI fonts)
        return {"running": "●", "stopping": "◌", "ok": "✔", "cancelled": "■"}.get(self.session.status, "✖")

    def status_text(self) -> str:
        s = self.session
        status = s.status
        if self.paused is not None and not s.done:
            status = f"paused {self.paused}".rstrip()
        parts = [
            f"{self.glyph()} {status}",
            format_seconds(s.elapsed()),
            f"{s.stats.tokens} tokens",
            f"${s.stats.cost:.4f}",
        ]
        return "  ·  ".join(parts)

    def set_paused(self, note: str | None) -> None:
        """This debug run stopped (``note``: why and where, e.g. "(breakpoint) at x.lua:2") or goes again (None)."""
        self.paused = note
        self.update_status()

    def update_status(self) -> None:
        self.status.setText(self.status_text())
        self.stop_button.setVisible(not self.session.done)

    def _finished(self, result: Any) -> None:
        status = str(getattr(result, "status", "error"))
        duration = self.session.elapsed()
        failure = getattr(result, "failure", None)
        if status == "ok":
            value = getattr(result, "value", None)
            msg = f"✔ finished in {format_seconds(duration)}"
            self.view.append_output([("ok", msg + ("" if value is None else f" → {format_value(value)}"))])
        elif status == "cancelled":
            self.view.append_output([("warn", f"■ stopped after {format_seconds(duration)}")])
        else:
            lines: list[tuple[str, str]] = []
            if failure is not None:
                loc = _location(failure)
                code = getattr(failure, "code", status)
                lines.append(
                    ("fail", f"✖ {status} ({code}): {loc + ': ' if loc else ''}{getattr(failure, 'message', '')}")
                )
                for fr in getattr(failure, "traceback", None) or []:
                    fn = getattr(fr, "function", "") or "?"
                    lines.append(("stderr", f"    at {getattr(fr, 'file', '?')}:{getattr(fr, 'line', '?')} in {fn}\n"))
            else:
                lines.append(("fail", f"✖ {status}"))
            self.view.append_output(lines)
        calls = sum(1 for sp in self.session.spans.values() if sp.get("kind") == "llm")
        if calls:
            self.view.append_output(
                [
                    (
                        "system",
                        f"{calls} LLM call{'s' if calls != 1 else ''}, "
                        f"{self.session.stats.tokens} tokens — "
                        "see the LLM Trace panel for each request and reply",
                    )
                ]
            )
        self.update_status()


def _location(failure: Any) -> str:
    f, line = getattr(failure, "file", None), getattr(failure, "line", None)
    if f and line:
        col = getattr(failure, "column", None)
        return f"{f}:{line}" + (f":{col}" if col else "")
    return f or ""


class ConsolePanel(QWidget):
    """The bottom panel: INPUT field and the tabs (REPL first, then one per run)."""

    linkActivated = Signal(str, int, int)

    def __init__(self, repl_widget: QWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.input = QLineEdit()
        self.input.setPlaceholderText('INPUT for the spell, as JSON — e.g. {"name": "Ada"} (empty: nil)')
        self.input.setClearButtonEnabled(True)
        self.input_error = QLabel()
        top = QHBoxLayout()
        top.setContentsMargins(4, 4, 4, 2)
        top.addWidget(QLabel("INPUT"))
        top.addWidget(self.input, 1)
        top.addWidget(self.input_error)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.setTabsClosable(True)
        self.tabs.tabCloseRequested.connect(self._close_tab)
        self.tabs.tabBar().setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.tabs.tabBar().customContextMenuRequested.connect(self._tab_menu)
        self.repl_widget = repl_widget
        self.tabs.addTab(repl_widget, "REPL")
        self.tabs.tabBar().setTabButton(0, self.tabs.tabBar().ButtonPosition.RightSide, None)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        lay.addLayout(top)
        lay.addWidget(self.tabs, 1)
        self.consoles: list[RunConsole] = []
        self._tick = QTimer(self)
        self._tick.setInterval(200)
        self._tick.timeout.connect(self._update_running)
        self.theme: Theme = LIGHT
        self.font_spec = ("DejaVu Sans Mono", 10)
        self.input.textChanged.connect(lambda *_: self.input_error.clear())

    def parse_input(self) -> tuple[bool, Any]:
        """``(ok, value)`` of the INPUT field; shows the JSON error next to it when it is not valid."""
        text = self.input.text().strip()
        if not text:
            return True, None
        try:
            return True, json.loads(text)
        except json.JSONDecodeError as e:
            self.input_error.setText(f"<span style='color:{self.theme.error}'>invalid JSON: {e.msg}</span>")
            return False, None

    def add_run(self, session: RunSession) -> RunConsole:
        con = RunConsole(session)
        con.view.set_theme(self.theme, *self.font_spec)
        con.linkActivated.connect(self.linkActivated)
        session.statsChanged.connect(lambda c=con: self._retitle(c))
        idx = self.tabs.addTab(con, "")
        self.consoles.append(con)
        self._retitle(con)
        self.tabs.setCurrentIndex(idx)
        self._tick.start()
        # keep at most 12 finished run tabs
        done = [c for c in self.consoles if c.session.done]
        for c in done[:-12]:
            self._close_tab(self.tabs.indexOf(c))
        return con

    def _retitle(self, con: RunConsole) -> None:
        idx = self.tabs.indexOf(con)
        if idx >= 0:
            s = con.session
            self.tabs.setTabText(idx, f"{con.glyph()} #{s.number} {os.path.basename(s.path)}")
            self.tabs.setTabToolTip(idx, con.status_text())

    def set_paused(self, session: RunSession, note: str | None) -> None:
        """The tab of ``session`` says it is paused in the debugger (``note``: why and where) or running (None)."""
        for c in self.consoles:
            if c.session is session:
                c.set_paused(note)
                self._retitle(c)

    def _update_running(self) -> None:
        running = [c for c in self.consoles if not c.session.done]
        for c in running:
            c.update_status()
        if not running:
            self._tick.stop()

    def _tab_menu(self, pos: QPoint) -> None:
        index = self.tabs.tabBar().tabAt(pos)
        menu = QMenu(self)
        for text, slot, enabled in self.tab_menu_entries(index):
            menu.addAction(text, slot).setEnabled(enabled)
        menu.exec(self.tabs.tabBar().mapToGlobal(pos))

    def tab_menu_entries(self, index: int) -> list[tuple[str, Callable[[], None], bool]]:
        """The run tabs' context menu at tab ``index``: close it, the others, the finished ones, all."""
        con = self.tabs.widget(index)
        is_run = isinstance(con, RunConsole)
        return [
            ("Close", lambda: self._close_tab(index), is_run),
            (
                "Close Others",
                lambda: self.close_runs(keep=con),
                bool(self.consoles) and (len(self.consoles) > 1 or not is_run),
            ),
            ("Close Finished", lambda: self.close_runs(finished_only=True), any(c.session.done for c in self.consoles)),
            ("Close All", lambda: self.close_runs(), bool(self.consoles)),
        ]

    def close_runs(self, keep: QWidget | None = None, finished_only: bool = False) -> None:
        """Close run tabs (not the REPL): all but ``keep``, or only those whose runs finished (running ones
        are stopped as their tabs close)."""
        for c in list(self.consoles):
            if c is not keep and (c.session.done or not finished_only):
                self._close_tab(self.tabs.indexOf(c))

    def _close_tab(self, index: int) -> None:
        w = self.tabs.widget(index)
        if isinstance(w, RunConsole):
            if not w.session.done:
                w.session.cancel()
            self.consoles.remove(w)
            self.tabs.removeTab(index)
            w.deleteLater()

    def current_console(self) -> RunConsole | None:
        w = self.tabs.currentWidget()
        return w if isinstance(w, RunConsole) else None

    def set_theme(self, theme: Theme, family: str, size: int) -> None:
        self.theme = theme
        self.font_spec = (family, size)
        for c in self.consoles:
            c.view.set_theme(theme, family, size)
