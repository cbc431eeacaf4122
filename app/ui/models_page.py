"""Settings → Models: the response cache switch, model aliases and budgets (llmspell.toml syntax, checked as you
type), and what was spent today and this month. See docs/models.md."""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QCheckBox, QLabel, QPlainTextEdit, QVBoxLayout, QWidget

from app.bridges.model_config import USER_SOURCE, ModelConfigError, parse_sections, user_sections
from app.bridges.spend import ledger
from app.ui.settings import SettingsStore

EXAMPLE = """# Model aliases and budgets, as in a project's llmspell.toml (docs/models.md). Keys are references only.
# [models]
# quick = "openai/gpt-4o-mini"
# [models.smart]
# fallbacks = ["quick"]
# [[models.smart.deployments]]
# model = "openai/gpt-4o"
# key = "keyring:openai"
# rpm = 60
# [budget]
# daily_usd = 5.0
"""


def check_model_config(text: str) -> str | None:
    """Why ``text`` is not a usable model configuration, or None when it is."""
    try:
        parse_sections(user_sections(text), USER_SOURCE)
    except ModelConfigError as e:
        return str(e)
    return None


def spend_summary() -> str:
    """Today's and this month's spend, per model (from the shared ledger)."""
    led = ledger()
    today, month = led.by_model("day"), led.by_model("month")
    lines = [f"Spent today ${sum(today.values()):.4f}, this month ${sum(month.values()):.4f} (UTC)."]
    lines += [f"  {m}: ${c:.4f} today" for m, c in sorted(today.items(), key=lambda kv: -kv[1])[:8]]
    return "\n".join(lines)


class ModelsPage(QWidget):
    """The page; every valid change is saved at once (invalid text is kept in the editor, not saved)."""

    def __init__(self, store: SettingsStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        s = store.settings
        lay = QVBoxLayout(self)
        self.cache = QCheckBox("Answer repeated LLM requests from the response cache (exact match, on disk)")
        self.cache.setChecked(s.cache_enabled)
        self.cache.toggled.connect(lambda v: self.store.update(cache_enabled=bool(v)))
        lay.addWidget(self.cache)
        lay.addWidget(QLabel("Model aliases, deployments, rate limits and budgets (a project's llmspell.toml wins):"))
        self.editor = QPlainTextEdit()
        self.editor.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.editor.setPlaceholderText(EXAMPLE)
        self.editor.setPlainText(s.model_config)
        self.editor.setMinimumHeight(160)
        lay.addWidget(self.editor, 1)
        self.problem = QLabel()
        self.problem.setWordWrap(True)
        self.problem.setObjectName("modelConfigProblem")
        lay.addWidget(self.problem)
        self.spend = QLabel(spend_summary())
        self.spend.setWordWrap(True)
        self.spend.setEnabled(False)
        lay.addWidget(self.spend)
        self._debounce = QTimer(self, singleShot=True, interval=400)
        self._debounce.timeout.connect(self.commit)
        self.editor.textChanged.connect(self._debounce.start)
        self.commit()

    def commit(self) -> None:
        """Check the text; save it when it is valid, else say what is wrong (and keep the last valid one)."""
        text = self.editor.toPlainText()
        problem = check_model_config(text)
        self.problem.setText(f"⚠ {problem} — not saved yet" if problem else "")
        self.problem.setVisible(bool(problem))
        if problem is None and text != self.store.settings.model_config:
            self.store.update(model_config=text)
