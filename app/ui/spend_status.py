"""The status bar's spend label: what LLM calls cost today (UTC), all runs of this computer, with the per-model
breakdown and the budgets in its tooltip. Refreshed after every run and once a minute."""

from __future__ import annotations

import logging

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QLabel, QWidget

from app.bridges.spend import ledger

log = logging.getLogger(__name__)


class SpendLabel(QLabel):
    """``$0.0123 today``; hidden while nothing was spent."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("spendLabel")
        self._timer = QTimer(self, interval=60_000)
        self._timer.timeout.connect(self.refresh)
        self._timer.start()
        self.refresh()

    def refresh(self) -> None:
        try:
            led = ledger()
            today, month = led.by_model("day"), led.by_model("month")
        except OSError as e:  # an unreadable data folder must not break the status bar
            log.warning("cannot read the spend ledger: %s", e)
            return
        total = sum(today.values())
        self.setText(f"${total:.4f} today")
        self.setVisible(total > 0 or sum(month.values()) > 0)
        rows = "".join(
            f"<tr><td>{m}</td><td align='right'>${c:.4f}</td></tr>"
            for m, c in sorted(today.items(), key=lambda kv: -kv[1])
        )
        self.setToolTip(
            f"<b>LLM spend today (UTC)</b><table>{rows}</table>"
            f"This month: ${sum(month.values()):.4f}<br>Budgets: Settings → Models or llmspell.toml"
        )
