"""The code editor: a ScintillaEdit with Lexilla highlighting, margins, folding, brace matching, auto-indent,
comment toggle, multiple selections, zoom, search helpers, diagnostics display, completion and call tips."""

from __future__ import annotations

import html
import logging
import re
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QPoint, Qt, QTimer, Signal
from PySide6.QtWidgets import QToolTip, QWidget
from pyside6_scintilla import ScintillaEdit

from app import languages as spell_languages
from app.ui import languages
from app.ui.theme import Theme, bgr

log = logging.getLogger(__name__)

# Scintilla constants (Scintilla.h)
SC_MARGIN_SYMBOL, SC_MARGIN_NUMBER = 0, 1
SC_MASK_FOLDERS = 0xFE000000
MARGIN_NUMBERS, MARGIN_MARKERS, MARGIN_FOLD = 0, 1, 2
MARKER_ERROR, MARKER_WARNING, MARKER_RUN_ERROR = 1, 2, 3
SC_MARK_CIRCLE, SC_MARK_SHORTARROW, SC_MARK_BACKGROUND, SC_MARK_CHARACTER = 0, 4, 22, 10000
SC_MARK_BOXPLUS, SC_MARK_BOXMINUS, SC_MARK_VLINE, SC_MARK_LCORNER, SC_MARK_TCORNER = 12, 14, 9, 10, 11
SC_MARK_BOXPLUSCONNECTED, SC_MARK_BOXMINUSCONNECTED, SC_MARK_EMPTY = 13, 15, 5
SC_MARKNUM_FOLDEREND, SC_MARKNUM_FOLDEROPENMID, SC_MARKNUM_FOLDERMIDTAIL = 25, 26, 27
SC_MARKNUM_FOLDERTAIL, SC_MARKNUM_FOLDERSUB, SC_MARKNUM_FOLDER, SC_MARKNUM_FOLDEROPEN = 28, 29, 30, 31
SC_AUTOMATICFOLD_SHOW, SC_AUTOMATICFOLD_CLICK, SC_AUTOMATICFOLD_CHANGE = 1, 2, 4
SC_FOLDFLAG_LINEAFTER_CONTRACTED = 16
INDIC_SQUIGGLE, INDIC_ROUNDBOX, INDIC_FULLBOX = 1, 7, 16
INDICATOR_ERROR, INDICATOR_WARNING, INDICATOR_FIND, INDICATOR_OCCURRENCE = 8, 9, 10, 11
INDIC_ROUNDBOX_STYLE = 7
STYLE_DEFAULT, STYLE_LINENUMBER, STYLE_BRACELIGHT, STYLE_BRACEBAD, STYLE_INDENTGUIDE, STYLE_CALLTIP = (
    32,
    33,
    34,
    35,
    37,
    38,
)
SC_IV_LOOKBOTH = 3
SCFIND_WHOLEWORD, SCFIND_MATCHCASE, SCFIND_REGEXP, SCFIND_CXX11REGEX = 2, 4, 0x00200000, 0x00800000
SC_EOL_LF = 2
SC_MULTIPASTE_EACH = 1
SC_ELEMENT_CARET_LINE_BACK = 50
SC_LAYER_UNDER_TEXT = 1
SC_ELEMENT_SELECTION_BACK, SC_ELEMENT_SELECTION_ADDITIONAL_BACK = 11, 13
SC_ELEMENT_SELECTION_SECONDARY_BACK, SC_ELEMENT_SELECTION_INACTIVE_BACK = 15, 17
SC_ELEMENT_CARET = 40
SC_UPDATE_CONTENT, SC_UPDATE_SELECTION = 1, 2
SC_CARETSTICKY_OFF = 0
SCI_SETKEYWORDS = 4005

BRACES = b"()[]{}"


@dataclass
class EditorDiagnostic:
    """A problem to show: 1-based ``line``, 1-based character ``column`` (0 = whole line); ``end_line`` and
    ``end_column`` (exclusive) when the problem's extent is known; ``rule`` and a quick ``fix`` from the linter."""

    line: int
    column: int
    message: str
    severity: str = "error"
    end_line: int = 0
    end_column: int = 0
    rule: str = ""
    fix: Any = None  # app.lint.Fix

    def contains(self, line: int, column: int) -> bool:
        """Whether 1-based ``(line, column)`` is inside the problem's extent (or on its line, extent unknown)."""
        if not self.end_line:
            return line == self.line
        return (self.line, self.column) <= (line, column) <= (self.end_line, self.end_column)


def tooltip_html(text: str) -> str:
    """Hover text as a tooltip: line breaks kept, long lines wrapped, ``code`` (the docstrings' markup) shown as
    code instead of backquotes."""
    body = re.sub(r"``(.+?)``", r"<code>\1</code>", html.escape(text))
    return f"<div style='white-space: pre-wrap'>{body}</div>"


def _rgba(colour: str, alpha: int = 0xFF) -> int:
    return bgr(colour) | (alpha << 24)


class CodeEditor(ScintillaEdit):
    """One editing surface. Text is always UTF-8 inside Scintilla with ``\\n`` line endings."""

    #: (line, column) of the main caret, 1-based, when it moves
    cursorMoved = Signal(int, int)
    #: the text changed (any edit)
    textEdited = Signal()

    def __init__(self, language: str = "lua", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.language = language
        self.spec = languages.LANGUAGES.get(language, languages.LANGUAGES["text"])
        self.diagnostics: list[EditorDiagnostic] = []
        self.theme: Theme | None = None
        self._font = ("DejaVu Sans Mono", 11)
        self.completer = None  # set by app.ui.completion.attach() or app.ui.editor_intel.EditorDriver()
        self._run_error = False  # the margin shows where the last run failed
        self._dedented: tuple[int, int, str] | None = None  # (line, indent before, closer) of the last auto-dedent
        #: names a feature adds to this editor's word completion (the test API in test files: app.ui.test_explorer)
        self.extra_words: tuple[str, ...] = ()
        #: ``value_hover(pos, x, y) -> bool``: the debugger shows a value there (True) instead of the docs
        self.value_hover = None
        self.setCodePage(65001)
        self.setEOLMode(SC_EOL_LF)
        self.setTabWidth(4)
        self.setIndent(4)
        self.setUseTabs(False)
        self.setTabIndents(True)
        self.setBackSpaceUnIndents(True)
        self.setIndentationGuides(SC_IV_LOOKBOTH)
        self.setCaretLineVisible(True)
        self.setCaretLineVisibleAlways(True)
        self.setCaretWidth(2)
        self.setMultipleSelection(True)
        self.setAdditionalSelectionTyping(True)
        self.setMultiPaste(SC_MULTIPASTE_EACH)
        self.setMouseSelectionRectangularSwitch(True)
        self.setScrollWidth(1)
        self.setScrollWidthTracking(True)
        self.setEndAtLastLine(False)
        self.setMouseDwellTime(400)
        self.autoCSetSeparator(ord("\n"))
        self.autoCSetIgnoreCase(True)
        self.autoCSetMaxHeight(12) if hasattr(self, "autoCSetMaxHeight") else None
        self.setModEventMask(0x1 | 0x2)  # insert and delete text only: cheap signal traffic
        # margins
        self.setMarginTypeN(MARGIN_NUMBERS, SC_MARGIN_NUMBER)
        self.setMarginTypeN(MARGIN_MARKERS, SC_MARGIN_SYMBOL)
        self.setMarginMaskN(MARGIN_MARKERS, (1 << MARKER_ERROR) | (1 << MARKER_WARNING) | (1 << MARKER_RUN_ERROR))
        self.setMarginWidthN(MARGIN_MARKERS, 14)
        self.setMarginSensitiveN(MARGIN_MARKERS, True)
        self.setMarginTypeN(MARGIN_FOLD, SC_MARGIN_SYMBOL)
        self.setMarginMaskN(MARGIN_FOLD, SC_MASK_FOLDERS)
        self.setMarginWidthN(MARGIN_FOLD, 14)
        self.setMarginSensitiveN(MARGIN_FOLD, True)
        self.setMarginMaskN(MARGIN_NUMBERS, 0)
        self.setMarginLeft(4)
        self.setAutomaticFold(SC_AUTOMATICFOLD_SHOW | SC_AUTOMATICFOLD_CLICK | SC_AUTOMATICFOLD_CHANGE)
        self.setFoldFlags(SC_FOLDFLAG_LINEAFTER_CONTRACTED)
        for num, sym in (
            (SC_MARKNUM_FOLDEROPEN, SC_MARK_BOXMINUS),
            (SC_MARKNUM_FOLDER, SC_MARK_BOXPLUS),
            (SC_MARKNUM_FOLDERSUB, SC_MARK_VLINE),
            (SC_MARKNUM_FOLDERTAIL, SC_MARK_LCORNER),
            (SC_MARKNUM_FOLDEREND, SC_MARK_BOXPLUSCONNECTED),
            (SC_MARKNUM_FOLDEROPENMID, SC_MARK_BOXMINUSCONNECTED),
            (SC_MARKNUM_FOLDERMIDTAIL, SC_MARK_TCORNER),
        ):
            self.markerDefine(num, sym)
        # problems are characters, so they never look like the debugger's breakpoint circles in the same margin
        self.markerDefine(MARKER_ERROR, SC_MARK_CHARACTER + ord("✖"))
        self.markerDefine(MARKER_WARNING, SC_MARK_CHARACTER + ord("▲"))
        self.markerDefine(MARKER_RUN_ERROR, SC_MARK_SHORTARROW)
        self.indicSetStyle(INDICATOR_ERROR, INDIC_SQUIGGLE)
        self.indicSetStyle(INDICATOR_WARNING, INDIC_SQUIGGLE)
        self.indicSetStyle(INDICATOR_FIND, INDIC_FULLBOX)
        self.indicSetUnder(INDICATOR_FIND, True)
        self.indicSetStyle(INDICATOR_OCCURRENCE, INDIC_ROUNDBOX_STYLE)
        self.indicSetUnder(INDICATOR_OCCURRENCE, True)
        self._occ_timer = QTimer(self)
        self._occ_timer.setSingleShot(True)
        self._occ_timer.setInterval(250)
        self._occ_timer.timeout.connect(self.highlight_occurrences)
        self._occ_word = ""
        self.updateUi.connect(self._on_update_ui)
        self.charAdded.connect(self._on_char_added)
        self.modified.connect(self._on_modified)
        self.dwellStart.connect(self._on_dwell_start)
        self.dwellEnd.connect(lambda *_: QToolTip.hideText())
        self._apply_lexer()

    # ------------------------------------------------------------------------------------------------ language
    def set_language(self, language: str) -> None:
        """Switch lexer and keywords (e.g. after Save As with another extension)."""
        if language == self.language:
            return
        self.language = language
        self.spec = languages.LANGUAGES.get(language, languages.LANGUAGES["text"])
        self._apply_lexer()
        if self.theme:
            self.apply_theme(self.theme, *self._font)

    def refresh_keywords(self) -> None:
        """Re-apply the keyword lists (after the bridge names were loaded) and restyle."""
        if self.spec.lexer:
            for idx, words in languages.keyword_sets(self.spec).items():
                self.setKeyWords(idx, words)
            self.colourise(0, -1)

    def _apply_lexer(self) -> None:
        lexer = languages.create_lexer(self.spec)
        if lexer is None:
            self.setILexer(0)
            return
        from lexilla.pyside6_scintilla import set_lexer

        set_lexer(self, lexer)
        for key, value in self.spec.properties.items():
            self.setProperty(key, value)
        for idx, words in languages.keyword_sets(self.spec).items():
            self.setKeyWords(idx, words)
        self.colourise(0, -1)

    # ------------------------------------------------------------------------------------------------ look
    def apply_theme(self, theme: Theme, font_family: str, font_size: int) -> None:
        """Colours from ``theme``, font and size for every style."""
        self.theme = theme
        self._font = (font_family, font_size)
        self.styleSetFont(STYLE_DEFAULT, font_family)
        self.styleSetSize(STYLE_DEFAULT, font_size)
        self.styleSetFore(STYLE_DEFAULT, bgr(theme.editor_fg))
        self.styleSetBack(STYLE_DEFAULT, bgr(theme.editor_bg))
        self.styleClearAll()
        for style, role in self.spec.styles.items():
            self.styleSetFore(style, bgr(getattr(theme, role)))
        for style, role in self.spec.styles.items():
            if role == "comment":
                self.styleSetItalic(style, True)
            if role == "keyword":
                self.styleSetBold(style, True)
        self.styleSetFore(STYLE_LINENUMBER, bgr(theme.margin_fg))
        self.styleSetBack(STYLE_LINENUMBER, bgr(theme.margin_bg))
        self.styleSetBack(STYLE_BRACELIGHT, bgr(theme.brace_ok))
        self.styleSetBold(STYLE_BRACELIGHT, True)
        self.styleSetBack(STYLE_BRACEBAD, bgr(theme.brace_bad))
        self.styleSetFore(STYLE_INDENTGUIDE, bgr(theme.indent_guide))
        self.styleSetBack(STYLE_INDENTGUIDE, bgr(theme.editor_bg))
        self.styleSetFore(STYLE_CALLTIP, bgr(theme.text))
        self.styleSetBack(STYLE_CALLTIP, bgr(theme.base))
        self.callTipSetBack(bgr(theme.alt_base))  # call tips in the theme (they were white in the dark theme)
        self.callTipSetFore(bgr(theme.muted))
        self.callTipSetForeHlt(bgr(theme.link))
        self.setCaretFore(bgr(theme.caret))
        # the caret line is drawn half-transparent (same colour on plain lines), so line backgrounds under it
        # stay visible: the debugger's stopped-line band is where a stop puts the caret
        cur, bg = (
            (int(theme.current_line[i : i + 2], 16) for i in (1, 3, 5)),
            (int(theme.editor_bg[i : i + 2], 16) for i in (1, 3, 5)),
        )
        r, g, b = (max(0, min(255, 2 * c - k)) for c, k in zip(cur, bg))
        self.setCaretLineLayer(SC_LAYER_UNDER_TEXT)
        self.setElementColour(SC_ELEMENT_CARET_LINE_BACK, r | (g << 8) | (b << 16) | (0x80 << 24))
        self.setElementColour(SC_ELEMENT_SELECTION_BACK, _rgba(theme.selection))
        self.setElementColour(SC_ELEMENT_SELECTION_ADDITIONAL_BACK, _rgba(theme.selection, 0xB0))
        self.setElementColour(SC_ELEMENT_SELECTION_SECONDARY_BACK, _rgba(theme.selection, 0x90))
        self.setElementColour(SC_ELEMENT_SELECTION_INACTIVE_BACK, _rgba(theme.selection, 0x90))
        for m in (MARGIN_MARKERS, MARGIN_FOLD):
            self.setMarginBackN(m, bgr(theme.margin_bg))
        self.setFoldMarginColour(True, bgr(theme.fold_bg))
        self.setFoldMarginHiColour(True, bgr(theme.fold_bg))
        for num in range(25, 32):
            self.markerSetFore(num, bgr(theme.editor_bg))
            self.markerSetBack(num, bgr(theme.margin_fg))
        self.markerSetFore(MARKER_ERROR, bgr(theme.error))
        self.markerSetBack(MARKER_ERROR, bgr(theme.margin_bg))  # a character marker: back fills behind it
        self.markerSetFore(MARKER_WARNING, bgr(theme.warn))
        self.markerSetBack(MARKER_WARNING, bgr(theme.margin_bg))
        self.markerSetFore(MARKER_RUN_ERROR, bgr(theme.error))
        self.markerSetBack(MARKER_RUN_ERROR, bgr(theme.error))
        self.indicSetFore(INDICATOR_ERROR, bgr(theme.error))
        self.indicSetFore(INDICATOR_WARNING, bgr(theme.warn))
        self.indicSetFore(INDICATOR_FIND, bgr(theme.find_hit))
        self.indicSetFore(INDICATOR_OCCURRENCE, bgr(theme.margin_fg))
        if hasattr(self, "indicSetAlpha"):
            self.indicSetAlpha(INDICATOR_FIND, 160)
        self._update_number_margin()

    def _update_number_margin(self) -> None:
        digits = max(3, len(str(self.lineCount())))
        self.setMarginWidthN(MARGIN_NUMBERS, self.textWidth(STYLE_LINENUMBER, "9" * (digits + 1)))

    # ------------------------------------------------------------------------------------------------ text
    def text(self) -> str:
        """The whole buffer as a Python string."""
        n = self.length()
        return bytes(self.getText(n + 1))[:n].decode("utf-8", errors="replace")

    def set_text(self, text: str, *, keep_undo: bool = False) -> None:
        """Replace the whole buffer (``setText`` only takes ``str``: see docs/facts.md, "PySide6")."""
        self.setText(text)
        if not keep_undo:
            self.emptyUndoBuffer()
        self.colourise(0, -1)
        self._update_number_margin()

    def line_text(self, line: int) -> str:
        """Text of 0-based ``line`` without its line ending."""
        return bytes(self.getLine(line)).decode("utf-8", errors="replace").rstrip("\r\n")

    def position_at(self, line: int, column: int = 0) -> int:
        """Byte position of 0-based ``line`` and 0-based character ``column`` (clamped to the line)."""
        line = max(0, min(line, self.lineCount() - 1))
        start = self.positionFromLine(line)
        end = self.lineEndPosition(line)
        pos = self.positionRelative(start, column) if column > 0 else start
        return min(pos, end) if pos >= start else end

    def caret(self) -> tuple[int, int]:
        """0-based (line, character column) of the main caret."""
        pos = self.currentPos()
        line = self.lineFromPosition(pos)
        return line, self.countCharacters(self.positionFromLine(line), pos)

    def set_cursor(self, line: int, column: int = 0, *, centre: bool = True) -> None:
        """Move the caret to 0-based ``line``/``column``, unfold and scroll it into view."""
        pos = self.position_at(line, column)
        self.ensureVisibleEnforcePolicy(self.lineFromPosition(pos))
        self.gotoPos(pos)
        if centre:
            self.verticalCentreCaret()

    def word_at(self, pos: int | None = None) -> str:
        """The identifier around ``pos`` (default: the caret)."""
        pos = self.currentPos() if pos is None else pos
        start, end = self.wordStartPosition(pos, True), self.wordEndPosition(pos, True)
        return bytes(self.textRange(start, end)).decode("utf-8", errors="replace")

    def insert_at_cursor(self, text: str) -> None:
        """Replace the selection (or insert at the caret) with ``text`` as one undo step."""
        self.beginUndoAction()
        try:
            self.replaceSel(text)
        finally:
            self.endUndoAction()

    def char_position(self) -> int:
        """The caret as a character offset into :meth:`text`."""
        return self.countCharacters(0, self.currentPos())

    def selected_text(self) -> str:
        return bytes(self.getSelText()).decode("utf-8", errors="replace").rstrip("\x00")

    # ------------------------------------------------------------------------------------------------ editing aids
    def toggle_comment(self) -> None:
        """Comment or uncomment the selected lines (or the caret line) with the language's line comment."""
        token = self.spec.comment
        if not token:
            return
        start_line = self.lineFromPosition(self.selectionStart())
        end_pos = self.selectionEnd()
        end_line = self.lineFromPosition(end_pos)
        if end_line > start_line and end_pos == self.positionFromLine(end_line):
            end_line -= 1
        lines = [self.line_text(n) for n in range(start_line, end_line + 1)]
        code = [t for t in lines if t.strip()]
        uncomment = bool(code) and all(t.lstrip().startswith(token) for t in code)
        indent = min((len(t) - len(t.lstrip()) for t in code), default=0)
        self.beginUndoAction()
        try:
            for n, t in zip(range(start_line, end_line + 1), lines, strict=True):
                if not t.strip():
                    continue
                if uncomment:
                    i = t.index(token)
                    cut = len(token) + (1 if t[i + len(token) : i + len(token) + 1] == " " else 0)
                    new = t[:i] + t[i + cut :]
                else:
                    new = t[:indent] + token + " " + t[indent:]
                self.setTargetRange(self.positionFromLine(n), self.lineEndPosition(n))
                self.replaceTarget(len(new.encode("utf-8")), new)
            if end_line > start_line:  # keep the whole block selected for the next toggle
                self.setSel(self.positionFromLine(start_line), self.lineEndPosition(end_line))
        finally:
            self.endUndoAction()

    def _on_char_added(self, ch: int) -> None:
        if ch == ord("\n"):
            self._auto_indent()
        else:
            self._auto_dedent(chr(ch))
        if self.completer is not None:
            self.completer.char_added(ch)

    def _auto_dedent(self, ch: str) -> None:
        """A line that becomes just a block's closer (``end``, ``else``, ``until``, ``}``...) moves back to the
        indentation of the block it closes; if the word grows into another name (``endpoint``) it moves back."""
        line = self.lineFromPosition(self.currentPos())
        stripped = self.line_text(line).strip()
        words = self.spec.dedent_on
        done = self._dedented
        if done is not None and done[0] == line:
            old_indent, word = done[1], done[2]
            grows = stripped.startswith(word) and len(stripped) > len(word) and (ch.isalnum() or ch == "_")
            if grows and not any(w.startswith(stripped) for w in words):
                self._dedented = None
                self._set_indent_keep_caret(line, old_indent)
            return
        self._dedented = None
        if stripped not in words or line == 0:
            return
        indent = self.lineIndentation(line)
        target = self._closing_indent(line)
        if target < indent:
            self._dedented = (line, indent, stripped)
            self._set_indent_keep_caret(line, target)

    def _closing_indent(self, line: int) -> int:
        """The indentation of a closer on ``line``: the previous code line's, one level less unless that line
        opened the block."""
        prev = line - 1
        while prev > 0 and not self.line_text(prev).strip():
            prev -= 1
        indent = self.lineIndentation(prev)
        stripped = re.sub(r"(--|//).*$", "", self.line_text(prev)).rstrip()
        if stripped.endswith(self.spec.indent_after) or re.search(r"\bfunction\b[^)]*\)\s*$", stripped):
            return indent
        return max(0, indent - (self.indent() or self.tabWidth() or 4))

    def _set_indent_keep_caret(self, line: int, indent: int) -> None:
        from_end = self.lineEndPosition(line) - self.currentPos()
        self.setLineIndentation(line, indent)
        self.gotoPos(self.lineEndPosition(line) - from_end)

    def _auto_indent(self) -> None:
        line = self.lineFromPosition(self.currentPos())
        if line == 0:
            return
        prev = self.line_text(line - 1)
        indent = self.lineIndentation(line - 1)
        stripped = re.sub(r"(--|//).*$", "", prev).rstrip()
        if stripped.endswith(self.spec.indent_after) or re.search(r"\bfunction\b[^)]*\)\s*$", stripped):
            indent += self.indent() or 4
        if indent:
            self.setLineIndentation(line, indent)
            self.gotoPos(self.lineIndentPosition(line))

    def _on_update_ui(self, updated: int) -> None:
        pos = self.currentPos()
        brace = -1
        if pos > 0 and self.charAt(pos - 1) in BRACES:
            brace = pos - 1
        elif pos < self.length() and self.charAt(pos) in BRACES:
            brace = pos
        if brace >= 0:
            match = self.braceMatch(brace, 0)
            if match >= 0:
                self.braceHighlight(brace, match)
            else:
                self.braceBadLight(brace)
        else:
            self.braceHighlight(-1, -1)
        if updated & (SC_UPDATE_SELECTION | SC_UPDATE_CONTENT):
            line, col = self.caret()
            self.cursorMoved.emit(line + 1, col + 1)
            self._occ_timer.start()

    def highlight_occurrences(self) -> int:
        """Mark the other occurrences of the identifier under the caret near the view (whole word, same case)."""
        word = self.word_at() if self.selectionEmpty() else ""
        if not re.fullmatch(r"[A-Za-z_$][\w$]+", word or ""):
            word = ""
        if word == self._occ_word and word:
            return -1
        self._occ_word = word
        self.setIndicatorCurrent(INDICATOR_OCCURRENCE)
        self.indicatorClearRange(0, self.length())
        if not word:
            return 0
        first = max(0, self.firstVisibleLine() - 200)
        last = min(self.lineCount() - 1, self.firstVisibleLine() + self.linesOnScreen() + 200)
        lo, hi = self.positionFromLine(first), self.lineEndPosition(last)
        n = word.encode("utf-8")
        self.setSearchFlags(SCFIND_WHOLEWORD | SCFIND_MATCHCASE)
        count, pos = 0, lo
        while pos < hi and count < 500:
            self.setTargetRange(pos, hi)
            if self.searchInTarget(len(n), word) < 0:
                break
            s, e = self.targetStart(), self.targetEnd()
            self.indicatorFillRange(s, e - s)
            count += 1
            pos = e
        return count

    def charAt(self, pos: int) -> int:  # noqa: N802 - Scintilla naming
        """The byte at ``pos`` as an int (Scintilla returns a signed char)."""
        return super().charAt(pos) & 0xFF

    def _on_modified(self, mtype: int, *args: object) -> None:
        if mtype & 0x3:
            self._update_number_margin()
            if self._run_error:  # the code changed since the run failed: its arrow is out of date
                self.mark_run_error(None)
            self.textEdited.emit()

    # ------------------------------------------------------------------------------------------------ zoom
    def zoom_in(self) -> None:
        self.zoomIn()
        self._update_number_margin()

    def zoom_out(self) -> None:
        self.zoomOut()
        self._update_number_margin()

    def zoom_reset(self) -> None:
        self.setZoom(0)
        self._update_number_margin()

    # ------------------------------------------------------------------------------------------------ search
    @staticmethod
    def search_flags(case: bool, whole_word: bool, regex: bool) -> int:
        flags = 0
        if case:
            flags |= SCFIND_MATCHCASE
        if whole_word:
            flags |= SCFIND_WHOLEWORD
        if regex:
            flags |= SCFIND_REGEXP | SCFIND_CXX11REGEX
        return flags

    def search(
        self, needle: str, flags: int, forward: bool = True, wrap: bool = True, from_pos: int | None = None
    ) -> tuple[int, int] | None:
        """Select and return the next (or previous) match of ``needle``; None when there is none."""
        if not needle:
            return None
        n = needle.encode("utf-8")
        length = self.length()
        if from_pos is None:
            from_pos = self.selectionEnd() if forward else self.selectionStart()
        ranges = [(from_pos, length), (0, length)] if forward else [(from_pos, 0), (length, 0)]
        if not wrap:
            ranges = ranges[:1]
        self.setSearchFlags(flags)
        for start, end in ranges:
            self.setTargetRange(start, end)
            try:
                found = self.searchInTarget(len(n), needle)
            except Exception:  # an invalid regular expression
                log.debug("search failed for %r", needle)
                return None
            if found >= 0:
                s, e = self.targetStart(), self.targetEnd()
                self.setSel(s, e)
                self.ensureVisibleEnforcePolicy(self.lineFromPosition(s))
                self.scrollRange(e, s) if hasattr(self, "scrollRange") else self.scrollCaret()
                return s, e
        return None

    def replace_selection_match(self, needle: str, replacement: str, flags: int) -> bool:
        """If the selection is a match of ``needle``, replace it (regex groups allowed) and find the next one."""
        s, e = self.selectionStart(), self.selectionEnd()
        if s == e:
            self.search(needle, flags, from_pos=s)
            return False
        self.setSearchFlags(flags)
        self.setTargetRange(s, e)
        n = needle.encode("utf-8")
        if self.searchInTarget(len(n), needle) != s or self.targetEnd() != e:
            self.search(needle, flags, from_pos=s)
            return False
        r = replacement.encode("utf-8")
        if flags & SCFIND_REGEXP:
            self.replaceTargetRE(len(r), replacement)
        else:
            self.replaceTarget(len(r), replacement)
        self.setSel(self.targetEnd(), self.targetEnd())
        self.search(needle, flags)
        return True

    def replace_all(self, needle: str, replacement: str, flags: int) -> int:
        """Replace every match in the buffer as one undo step; returns how many were replaced."""
        if not needle:
            return 0
        n, r = needle.encode("utf-8"), replacement.encode("utf-8")
        count, pos = 0, 0
        self.setSearchFlags(flags)
        self.beginUndoAction()
        try:
            while True:
                self.setTargetRange(pos, self.length())
                if self.searchInTarget(len(n), needle) < 0:
                    break
                s, e = self.targetStart(), self.targetEnd()
                if flags & SCFIND_REGEXP:
                    self.replaceTargetRE(len(r), replacement)
                else:
                    self.replaceTarget(len(r), replacement)
                count += 1
                pos = self.targetEnd()
                if e == s:  # empty match: step over one character to make progress
                    pos = self.positionAfter(pos)
                    if pos >= self.length():
                        break
        finally:
            self.endUndoAction()
        return count

    def highlight_all(self, needle: str, flags: int, limit: int = 2000) -> int:
        """Mark every match with the find indicator; returns how many were marked (up to ``limit``)."""
        self.setIndicatorCurrent(INDICATOR_FIND)
        self.indicatorClearRange(0, self.length())
        if not needle:
            return 0
        n = needle.encode("utf-8")
        self.setSearchFlags(flags)
        pos, count = 0, 0
        while count < limit:
            self.setTargetRange(pos, self.length())
            try:
                if self.searchInTarget(len(n), needle) < 0:
                    break
            except Exception:
                break
            s, e = self.targetStart(), self.targetEnd()
            if e > s:
                self.indicatorFillRange(s, e - s)
            count += 1
            pos = e if e > s else self.positionAfter(e)
            if pos >= self.length():
                break
        return count

    # ------------------------------------------------------------------------------------------------ diagnostics
    def set_diagnostics(self, diags: list[EditorDiagnostic]) -> None:
        """Show problems as squiggles, margin markers and (on hover) tooltips."""
        self.diagnostics = list(diags)
        for ind in (INDICATOR_ERROR, INDICATOR_WARNING):
            self.setIndicatorCurrent(ind)
            self.indicatorClearRange(0, self.length())
        self.markerDeleteAll(MARKER_ERROR)
        self.markerDeleteAll(MARKER_WARNING)
        for d in self.diagnostics:
            line = max(0, min(d.line - 1, self.lineCount() - 1))
            start_line, end_line = self.positionFromLine(line), self.lineEndPosition(line)
            if d.end_line and d.column > 0:  # the linter knows the extent
                start = self.position_at(line, d.column - 1)
                end = self.position_at(d.end_line - 1, d.end_column - 1)
                if d.end_line - 1 > line:
                    end = min(end, end_line) if end_line > start else end
            elif d.column > 0:
                start = self.position_at(line, d.column - 1)
                end = self.wordEndPosition(start, True)
                if end <= start:
                    end = min(end_line, self.positionAfter(start))
                if end <= start:  # at the end of the line: mark the last character
                    start = max(start_line, self.positionBefore(start))
                    end = end_line
            else:
                text = self.line_text(line)
                start = start_line + (len(text.encode("utf-8")) - len(text.lstrip().encode("utf-8")))
                end = end_line
            if end <= start:
                end = start + 1 if start < self.length() else start
                if end <= start and start > 0:
                    start -= 1
            warn = d.severity == "warning"
            self.setIndicatorCurrent(INDICATOR_WARNING if warn else INDICATOR_ERROR)
            if end > start:
                self.indicatorFillRange(start, end - start)
            self.markerAdd(line, MARKER_WARNING if warn else MARKER_ERROR)

    def diagnostic_at_line(self, line: int) -> EditorDiagnostic | None:
        """The first problem on 0-based ``line``."""
        for d in self.diagnostics:
            if d.line - 1 == line:
                return d
        return None

    def diagnostic_at(self, pos: int) -> EditorDiagnostic | None:
        """The problem under byte position ``pos`` (errors before warnings), else the first on its line."""
        line = self.lineFromPosition(pos)
        col = len(bytes(self.textRange(self.positionFromLine(line), pos)).decode("utf-8", errors="replace")) + 1
        hits = [d for d in self.diagnostics if d.contains(line + 1, col)]
        hits.sort(key=lambda d: d.severity != "error")
        return hits[0] if hits else self.diagnostic_at_line(line)

    def apply_fixes(self, fixes: list[Any]) -> None:
        """Apply linter edits (``app.lint.Fix``: 1-based character ranges) as one undo step, last first so
        earlier positions stay valid."""
        self.beginUndoAction()
        try:
            for f in sorted(fixes, key=lambda f: (f.line, f.col), reverse=True):
                start = self.position_at(f.line - 1, f.col - 1)
                end = (
                    self.length()
                    if f.end_line - 1 >= self.lineCount()
                    else self.position_at(f.end_line - 1, f.end_col - 1)
                )
                self.setTargetRange(start, end)
                self.replaceTarget(len(f.replacement.encode("utf-8")), f.replacement)
        finally:
            self.endUndoAction()

    def _on_dwell_start(self, x: int, y: int) -> None:
        pos = self.positionFromPointClose(x, y)
        if pos < 0:
            if x < self.marginWidthN(0) + self.marginWidthN(1) + self.marginWidthN(2):
                pos = self.positionFromPoint(x, y)
            else:
                return
        d = self.diagnostic_at(pos)
        if d is None and self.value_hover is not None and self.value_hover(pos, x, y):
            return  # stopped in the debugger: its value tooltip comes instead of the docs
        text = (
            (
                f"{d.severity}{' ' + d.rule if d.rule else ''}: {d.message}"
                + ("\nQuick fix (Ctrl+.): " + d.fix.title if d.fix is not None else "")
            )
            if d
            else self.hover_text(pos)
        )
        if text:
            QToolTip.showText(self.viewport().mapToGlobal(QPoint(x, y)), tooltip_html(text), self)

    def hover_text(self, pos: int) -> str | None:
        """The signature and summary of the bridge method (or global) under ``pos``, if any."""
        if not spell_languages.is_spell_language(self.language):
            return None
        if hasattr(self.completer, "hover_text"):  # editor intelligence: docs of methods, options, locals
            try:
                return self.completer.hover_text(pos)  # type: ignore[attr-defined]
            except Exception:
                log.exception("hover failed")
                return None
        start = self.wordStartPosition(pos, True)
        end = self.wordEndPosition(pos, True)
        if end <= start:
            return None
        from app.ui import completion

        line_start = self.positionFromLine(self.lineFromPosition(start))
        before = bytes(self.textRange(line_start, start)).decode("utf-8", errors="replace")
        word = bytes(self.textRange(start, end)).decode("utf-8", errors="replace")
        api = completion.api(self.language)
        m = re.search(r"([A-Za-z_]\w*)\s*[.:]\s*$", before)
        if m and m.group(1) in api:
            return completion.signature_of(self.language, m.group(1), word)
        if word in api and not re.search(r"[.:]\s*$", before):
            return f"{word}: {', '.join(sorted(api[word]))}"
        return None

    def mark_run_error(self, line: int | None) -> None:
        """An arrow in the margin at the 1-based line where the last run failed (None clears it; so does the next
        edit)."""
        self.markerDeleteAll(MARKER_RUN_ERROR)
        self._run_error = bool(line)
        if line:
            self.markerAdd(line - 1, MARKER_RUN_ERROR)

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt naming
        if event.key() == Qt.Key.Key_Escape and self.callTipActive():
            self.callTipCancel()
        if (
            event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
            and self.autoCActive()
            and self._typed_word() == self._current_candidate()
        ):
            self.autoCCancel()  # the word is already what the list offers: Enter starts a new line
        super().keyPressEvent(event)

    def _typed_word(self) -> str:
        pos = self.currentPos()
        start = self.wordStartPosition(pos, True)
        return bytes(self.textRange(start, pos)).decode("utf-8", errors="replace") if start < pos else ""

    def _current_candidate(self) -> str | None:
        return bytes(self.autoCCurrentText()).decode("utf-8", errors="replace")
