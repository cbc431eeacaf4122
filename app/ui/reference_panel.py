"""The bridge reference browser: a dock with a searchable tree of globals and methods and a page per method.

Integration (the IDE owns the rest of ``app/ui``)::

    panel = ReferencePanel(lambda: current_editor_language())   # "lua" | "js" | "tengo"
    main_window.addDockWidget(Qt.RightDockWidgetArea, panel)
    panel.insert_requested.connect(lambda snippet: editor.insert_at_cursor(snippet))
    # F1 in the editor:
    key = editor_intel.symbol_at(text, pos, language)            # "global:LLM.chat" | "type:Agent.run" | None
    if key: panel.show_symbol(key)
    # when the current editor (and so its language) changes:
    panel.refresh()

Pages come from :mod:`app.reference.html` (the same text as the static site), examples highlighted with pygments
in the current editor's language. Back/forward keep a history of visited pages (also Alt+Left / Alt+Right).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QEvent, QSize, Qt, QUrl, Signal
from PySide6.QtGui import QColor, QFont, QKeySequence, QPalette, QShortcut
from PySide6.QtWidgets import (
    QDockWidget,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QStyle,
    QTextBrowser,
    QToolButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app import languages
from app.reference.html import global_page, method_page
from app.reference.model import GlobalRef, LanguageView, MethodRef, Reference, first_sentence, get_reference

log = logging.getLogger(__name__)

KEY_ROLE = Qt.ItemDataRole.UserRole
SEARCH_ROLE = Qt.ItemDataRole.UserRole + 1
NAME_ROLE = Qt.ItemDataRole.UserRole + 2


def page_css(palette: QPalette) -> str:
    """The page style sheet from the widget palette, so light and dark themes both read well."""
    base = palette.color(QPalette.ColorRole.Base)
    text = palette.color(QPalette.ColorRole.Text)
    muted = _mix(text, base, 0.45).name()
    dark = base.lightness() < 128
    tint = palette.color(QPalette.ColorRole.Highlight)
    sig_bg = _mix(base, tint, 0.12).name()
    code_bg = _mix(base, text, 0.07).name()
    head_bg = _mix(base, text, 0.05).name()
    heading = _mix(text, base, 0.2).name()
    link = palette.color(QPalette.ColorRole.Link).name() if not dark else _mix(tint, text, 0.35).name()
    return f"""
h2 {{ font-size: 15pt; margin: 0 0 2px 0; }}
h3 {{ font-size: 11pt; margin: 10px 0 4px 0; color: {heading}; }}
a {{ color: {link}; }}
pre.sig {{ background: {sig_bg}; padding: 6px; font-family: monospace; white-space: pre-wrap; }}
code {{ font-family: monospace; background: {code_bg}; }}
table.params {{ border-color: {_mix(base, text, 0.18).name()}; }}
th {{ background: {head_bg}; text-align: left; }}
.note, .muted, .since {{ color: {muted}; }}
"""


def _mix(a: QColor, b: QColor, t: float) -> QColor:
    """``a`` moved ``t`` of the way towards ``b``."""
    return QColor(
        round(a.red() + (b.red() - a.red()) * t),
        round(a.green() + (b.green() - a.green()) * t),
        round(a.blue() + (b.blue() - a.blue()) * t),
    )


def is_dark(palette: QPalette) -> bool:
    return palette.color(QPalette.ColorRole.Base).lightness() < 128


class ReferencePanel(QDockWidget):
    """Dock showing the bridge reference in the current editor's language.

    ``language_getter`` returns the language of the current editor (``"lua"``, ``"js"``, ``"tengo"``; anything
    else means Lua). ``insert_requested(str)`` carries a call snippet for the editor."""

    insert_requested = Signal(str)

    def __init__(
        self,
        language_getter: Callable[[], str | None],
        reference: Reference | None = None,
        parent: QWidget | None = None,
    ):
        super().__init__("Reference", parent)
        self.setObjectName("ReferencePanel")
        self._language_getter = language_getter
        self._ref = reference if reference is not None else get_reference()
        self._history: list[str] = []
        self._index = -1
        self._current: str | None = None
        self._rendered_language: str | None = None

        body = QWidget(self)
        layout = QVBoxLayout(body)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)

        bar = QHBoxLayout()
        bar.setSpacing(4)
        style = self.style()
        self.back_button = QToolButton(body)
        self.back_button.setIcon(style.standardIcon(QStyle.StandardPixmap.SP_ArrowBack))
        self.back_button.setToolTip("Back (Alt+Left)")
        self.back_button.clicked.connect(self.back)
        self.forward_button = QToolButton(body)
        self.forward_button.setIcon(style.standardIcon(QStyle.StandardPixmap.SP_ArrowForward))
        self.forward_button.setToolTip("Forward (Alt+Right)")
        self.forward_button.clicked.connect(self.forward)
        self.search = QLineEdit(body)
        self.search.setPlaceholderText("Search the API…")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self._filter)
        self.search.returnPressed.connect(self._open_first_match)
        self.insert_button = QPushButton("Insert", body)
        self.insert_button.setToolTip("Insert a call at the cursor in the editor")
        self.insert_button.clicked.connect(self._insert)
        for w in (self.back_button, self.forward_button, self.search, self.insert_button):
            bar.addWidget(w)
        bar.setStretch(2, 1)
        layout.addLayout(bar)

        self.tree = QTreeWidget(body)
        self.tree.setHeaderHidden(True)
        self.tree.setUniformRowHeights(True)
        self.tree.itemActivated.connect(self._item_activated)
        self.tree.currentItemChanged.connect(self._current_item_changed)
        self.tree.itemDoubleClicked.connect(lambda item, _col: self._insert())

        self.page = QTextBrowser(body)
        self.page.setOpenLinks(False)
        self.page.anchorClicked.connect(self._link)

        self.language_label = QLabel(body)
        self.language_label.setForegroundRole(QPalette.ColorRole.PlaceholderText)

        split = QSplitter(Qt.Orientation.Vertical, body)
        split.addWidget(self.tree)
        split.addWidget(self.page)
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 5)
        split.setChildrenCollapsible(False)
        layout.addWidget(split, 1)
        layout.addWidget(self.language_label)
        self.setWidget(body)

        for seq, slot in (("Alt+Left", self.back), ("Alt+Right", self.forward)):
            sc = QShortcut(QKeySequence(seq), body)
            sc.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            sc.activated.connect(slot)
        find = QShortcut(QKeySequence(QKeySequence.StandardKey.Find), body)
        find.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        find.activated.connect(lambda: (self.search.setFocus(), self.search.selectAll()))

        self._build_tree()
        self._update_nav()
        first = self._ref.globals[0] if self._ref.globals else None
        if first is not None:
            self._go(first.key, record=True)  # not show_symbol: that would show the dock before it is docked

    # public API -------------------------------------------------------------------------------------------------
    def sizeHint(self) -> QSize:  # noqa: N802 - Qt name
        return QSize(380, 600)

    def language(self) -> str:
        """The current editor's language, ``lua`` when unknown."""
        try:
            lang = (self._language_getter() or "lua").lower()
        except Exception:  # the getter belongs to the IDE; never let it break the panel
            log.exception("language getter failed")
            lang = "lua"
        try:
            return languages.by_name(lang).id
        except ValueError:
            return "lua"

    def view(self) -> LanguageView:
        return LanguageView(self._ref, self.language())

    def current_key(self) -> str | None:
        """Key of the page shown (``global:JSON.encode``, ``global:JSON``, ``type:Agent``...)."""
        return self._current

    def show_symbol(self, name: str) -> bool:
        """Open the page of ``name`` (a key such as ``global:LLM.chat``, or ``LLM.chat``, ``agent:run``, ``LLM``,
        a JS name such as ``LLM.countTokens``, or a bare method name if only one global or type has it).
        Shows and raises the dock. Returns False when nothing matches."""
        key = self._resolve(name)
        if key is None:
            log.debug("no reference page for %r", name)
            return False
        self._go(key, record=True)
        if not self.isVisible():
            self.show()
        self.raise_()
        return True

    def refresh(self) -> None:
        """Re-render for the current editor's language (call when the current editor changes)."""
        lang = self.language()
        if lang != self._rendered_language:
            self._build_tree()
            if self._current:
                self._render(self._current)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt name
        """Re-render the page when the theme (palette) changes."""
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange and self._current:
            self._render(self._current)

    def back(self) -> None:
        if self._index > 0:
            self._index -= 1
            self._go(self._history[self._index], record=False)

    def forward(self) -> None:
        if self._index < len(self._history) - 1:
            self._index += 1
            self._go(self._history[self._index], record=False)

    def snippet(self) -> str | None:
        """The text "Insert" would emit for the current page."""
        item = self._ref.find(self._current) if self._current else None
        if isinstance(item, MethodRef):
            return self.view().call_snippet(item)
        if isinstance(item, GlobalRef) and item.kind == "global":
            return item.name
        return None

    # internals --------------------------------------------------------------------------------------------------
    def _resolve(self, name: str) -> str | None:
        name = (name or "").strip()
        if not name:
            return None
        item = self._ref.find(name)
        if item is not None:
            return item.key
        owner, sep, meth = name.replace(":", ".").partition(".")
        if sep:
            # "agent:run" / "myAgent.run": a receiver variable, match by method name on handle types
            for t in self._ref.types:
                if t.name.lower() == owner.lower():
                    m = next((m for m in t.methods if meth in (m.name, self.view().name(m.name))), None)
                    if m is not None:
                        return m.key
            name = meth
        v = LanguageView(self._ref, "js")
        hits = [m for m in self._ref.methods() if name in (m.name, v.name(m.name))]
        if len(hits) == 1:
            return hits[0].key
        t = self._ref.type_(name)  # type: ignore[assignment]
        return t.key if t is not None else None

    def _build_tree(self) -> None:
        v = self.view()
        self._rendered_language = v.language
        self.language_label.setText(f"Names and examples in {v.title}")
        self.tree.blockSignals(True)
        self.tree.clear()
        bold = QFont(self.tree.font())
        bold.setBold(True)
        globals_by_name: dict[str, QTreeWidgetItem] = {}
        for g in self._ref.all():
            owner = globals_by_name.get(g.name) if g.kind == "type" else None
            if owner is not None:  # an Agent's methods (agent:run) live under Agent, after Agent.new
                for m in g.methods:
                    owner.addChild(self._method_item(v, g.name, m, v.qualname(m)))
                continue
            label = g.name if g.kind == "global" else f"{g.name} (handle type)"
            top = QTreeWidgetItem([label])
            top.setFont(0, bold)
            top.setData(0, KEY_ROLE, g.key)
            top.setData(0, SEARCH_ROLE, f"{g.name} {g.summary}".lower())
            top.setData(0, NAME_ROLE, ("" if g.kind == "global" else "type ") + g.name.lower())
            top.setToolTip(0, first_sentence(g.summary))
            for m in g.methods:
                top.addChild(self._method_item(v, g.name, m, v.name(m.name)))
            self.tree.addTopLevelItem(top)
            if g.kind == "global":
                globals_by_name[g.name] = top
        self.tree.blockSignals(False)
        self._filter(self.search.text())
        if self._current:
            self._select_in_tree(self._current)

    @staticmethod
    def _method_item(v: LanguageView, owner: str, m: MethodRef, label: str) -> QTreeWidgetItem:
        child = QTreeWidgetItem([label])
        child.setData(0, KEY_ROLE, m.key)
        opts = " ".join(o.name + " " + v.name(o.name) for o in m.options)
        child.setData(
            0, SEARCH_ROLE, f"{owner}.{m.name} {v.qualname(m)} {m.name} {v.name(m.name)} {m.summary} {opts}".lower()
        )
        child.setToolTip(0, v.signature(m).text)
        return child

    def _items(self) -> list[QTreeWidgetItem]:
        out = []
        for i in range(self.tree.topLevelItemCount()):
            top = self.tree.topLevelItem(i)
            out.append(top)
            out.extend(top.child(j) for j in range(top.childCount()))
        return out  # type: ignore[return-value]

    def _filter(self, text: str) -> None:
        words = text.lower().split()
        for i in range(self.tree.topLevelItemCount()):
            top = self.tree.topLevelItem(i)
            # the global's name matching shows all its methods; its summary matching shows only the global
            by_name = all(w in top.data(0, NAME_ROLE) for w in words)
            own = by_name or all(w in top.data(0, SEARCH_ROLE) for w in words)
            any_child = False
            for j in range(top.childCount()):
                child = top.child(j)
                ok = by_name or all(w in child.data(0, SEARCH_ROLE) for w in words)
                child.setHidden(not ok)
                any_child = any_child or ok
            top.setHidden(not (own or any_child))
            top.setExpanded(any_child if words else False)
        if not words and self._current:
            self._select_in_tree(self._current)

    def _open_first_match(self) -> None:
        for item in self._items():
            if not item.isHidden() and item.parent() is not None and not item.parent().isHidden():
                self._go(item.data(0, KEY_ROLE), record=True)
                return
        for item in self._items():
            if not item.isHidden():
                self._go(item.data(0, KEY_ROLE), record=True)
                return

    def _item_activated(self, item: QTreeWidgetItem, _col: int = 0) -> None:
        key = item.data(0, KEY_ROLE)
        if key and key != self._current:
            self._go(key, record=True)

    def _current_item_changed(self, item: QTreeWidgetItem | None, _prev: QTreeWidgetItem | None) -> None:
        if item is not None:
            self._item_activated(item)

    def _link(self, url: QUrl) -> None:
        text = url.toString()
        if text.startswith("ref:"):
            self.show_symbol(text[4:])

    def _go(self, key: str, record: bool) -> None:
        if record:
            if self._index >= 0 and self._history[self._index] == key:
                pass
            else:
                del self._history[self._index + 1 :]
                self._history.append(key)
                self._index = len(self._history) - 1
        self._render(key)
        self._select_in_tree(key)
        self._update_nav()

    def _render(self, key: str) -> None:
        item = self._ref.find(key)
        lang = self.language()
        if lang != self._rendered_language:
            self._build_tree()
        self.page.document().setDefaultStyleSheet(page_css(self.page.palette()))
        if isinstance(item, MethodRef):
            html = method_page(self._ref, item, lang, dark=is_dark(self.page.palette()))
        elif isinstance(item, GlobalRef):
            html = global_page(self._ref, item, lang)
        else:
            html = f"<p>No reference entry for <code>{key}</code>.</p>"
        self._current = key
        self.page.setHtml(html)
        self.insert_button.setEnabled(self.snippet() is not None)

    def _select_in_tree(self, key: str) -> None:
        for item in self._items():
            if item.data(0, KEY_ROLE) == key:
                self.tree.blockSignals(True)
                self.tree.setCurrentItem(item)
                self.tree.blockSignals(False)
                self.tree.scrollToItem(item)
                if item.parent() is not None:
                    item.parent().setExpanded(True)
                return

    def _update_nav(self) -> None:
        self.back_button.setEnabled(self._index > 0)
        self.forward_button.setEnabled(0 <= self._index < len(self._history) - 1)

    def _insert(self) -> None:
        text = self.snippet()
        if text:
            self.insert_requested.emit(text)
