"""Light and dark themes: one palette drives the Qt widgets (Fusion + QPalette + QSS) and the editors' styles."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

from app.ui import paths

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Theme:
    """Colours as ``#rrggbb`` strings."""

    name: str
    window: str
    base: str
    alt_base: str
    text: str
    muted: str
    highlight: str
    highlight_text: str
    button: str
    border: str
    # editor
    editor_bg: str
    editor_fg: str
    caret: str
    current_line: str
    selection: str
    margin_bg: str
    margin_fg: str
    fold_bg: str
    comment: str
    keyword: str
    builtin: str
    bridge: str
    string: str
    number: str
    operator: str
    label: str
    brace_ok: str
    brace_bad: str
    indent_guide: str
    find_hit: str
    # diagnostics and console levels
    error: str
    warn: str
    info: str
    debug: str
    link: str
    ok: str


LIGHT = Theme(
    name="light",
    window="#f3f3f3",
    base="#ffffff",
    alt_base="#f7f7f7",
    text="#1f1f1f",
    muted="#6e6e6e",
    highlight="#0a63c9",
    highlight_text="#ffffff",
    button="#f0f0f0",
    border="#cfcfcf",
    editor_bg="#ffffff",
    editor_fg="#1f1f1f",
    caret="#000000",
    current_line="#f2f6fc",
    selection="#add6ff",
    margin_bg="#f7f7f7",
    margin_fg="#8a8a8a",
    fold_bg="#f7f7f7",
    comment="#008000",
    keyword="#0000cc",
    builtin="#795e26",
    bridge="#267f99",
    string="#a31515",
    number="#098658",
    operator="#383838",
    label="#af00db",
    brace_ok="#b4e4b4",
    brace_bad="#ff9c9c",
    indent_guide="#d8d8d8",
    find_hit="#ffd966",
    error="#c62828",
    warn="#a66a00",
    info="#1f1f1f",
    debug="#7a7a7a",
    link="#0a63c9",
    ok="#2e7d32",
)

DARK = Theme(
    name="dark",
    window="#252526",
    base="#1e1e1e",
    alt_base="#2a2a2b",
    text="#d4d4d4",
    muted="#9a9a9a",
    highlight="#264f78",
    highlight_text="#ffffff",
    button="#333337",
    border="#3f3f46",
    editor_bg="#1e1e1e",
    editor_fg="#d4d4d4",
    caret="#aeafad",
    current_line="#2a2d2e",
    selection="#264f78",
    margin_bg="#1e1e1e",
    margin_fg="#858585",
    fold_bg="#1e1e1e",
    comment="#6a9955",
    keyword="#569cd6",
    builtin="#dcdcaa",
    bridge="#4ec9b0",
    string="#ce9178",
    number="#b5cea8",
    operator="#d4d4d4",
    label="#c586c0",
    brace_ok="#3a5a3a",
    brace_bad="#7a2e2e",
    indent_guide="#404040",
    find_hit="#613214",
    error="#f48771",
    warn="#cca700",
    info="#d4d4d4",
    debug="#8a8a8a",
    link="#3794ff",
    ok="#89d185",
)

THEMES = {"light": LIGHT, "dark": DARK}


def get(name: str) -> Theme:
    """The theme called ``name``; ``system`` follows the desktop's colour scheme (light when unknown)."""
    if name == "system":
        return DARK if system_prefers_dark() else LIGHT
    return THEMES.get(name, LIGHT)


def system_prefers_dark() -> bool:
    """True when the desktop asks for a dark colour scheme (Qt 6.5+ style hints)."""
    try:
        from PySide6.QtCore import Qt
        from PySide6.QtGui import QGuiApplication

        return QGuiApplication.styleHints().colorScheme() == Qt.ColorScheme.Dark
    except Exception:
        return False


def bgr(colour: str) -> int:
    """``#rrggbb`` → Scintilla's ``0xBBGGRR`` integer."""
    c = colour.lstrip("#")
    r, g, b = int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16)
    return r | (g << 8) | (b << 16)


def icon(name: str):
    """``resources/icons/<name>.svg`` as a QIcon, or None when there is no such file."""
    from PySide6.QtGui import QIcon

    path = paths.resources_dir() / "icons" / f"{name}.svg"
    return QIcon(str(path)) if path.is_file() else None


def apply_to_app(app: QApplication, theme: Theme) -> None:
    """Fusion style, a palette from ``theme`` and the theme's style sheet from ``resources/``."""
    app.setStyle("Fusion")
    pal = QPalette()
    c = QColor
    pal.setColor(QPalette.ColorRole.Window, c(theme.window))
    pal.setColor(QPalette.ColorRole.WindowText, c(theme.text))
    pal.setColor(QPalette.ColorRole.Base, c(theme.base))
    pal.setColor(QPalette.ColorRole.AlternateBase, c(theme.alt_base))
    pal.setColor(QPalette.ColorRole.Text, c(theme.text))
    pal.setColor(QPalette.ColorRole.PlaceholderText, c(theme.muted))
    pal.setColor(QPalette.ColorRole.Button, c(theme.button))
    pal.setColor(QPalette.ColorRole.ButtonText, c(theme.text))
    pal.setColor(QPalette.ColorRole.Highlight, c(theme.highlight))
    pal.setColor(QPalette.ColorRole.HighlightedText, c(theme.highlight_text))
    pal.setColor(QPalette.ColorRole.ToolTipBase, c(theme.base))
    pal.setColor(QPalette.ColorRole.ToolTipText, c(theme.text))
    pal.setColor(QPalette.ColorRole.Link, c(theme.link))
    pal.setColor(QPalette.ColorRole.BrightText, c(theme.error))
    pal.setColor(QPalette.ColorRole.Mid, c(theme.border))
    pal.setColor(QPalette.ColorRole.Dark, c(theme.border))
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText):
        pal.setColor(QPalette.ColorGroup.Disabled, role, c(theme.muted))
    app.setPalette(pal)
    app.setStyleSheet(style_sheet(theme))


def style_sheet(theme: Theme) -> str:
    """The QSS of ``resources/<theme>.qss`` with ``@name`` colour placeholders filled in."""
    path = paths.resources_dir() / "ui.qss"
    try:
        qss = path.read_text("utf-8")
    except OSError:
        log.warning("style sheet %s missing", path)
        return ""
    qss = qss.replace("@icons", (paths.resources_dir() / "icons").as_posix())
    for key, value in sorted(vars(theme).items(), key=lambda kv: -len(kv[0])):
        qss = qss.replace("@" + key, value)
    return qss
