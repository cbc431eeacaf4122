"""Spending budgets: per run (``--max-cost``, ``--max-tokens``) and per day / month, overall or per model.

A call that would pass a budget fails with ``budget_exceeded`` *before* it is sent: its cost is estimated from its
prompt (litellm's token counter) and its ``max_tokens`` with litellm's price map. What calls really cost is kept in
a small ledger (``spend.json`` in the user data folder, ``LLMSPELL_DATA_DIR`` overrides it), shared by the IDE and
``llmspell`` and safe across processes (a file lock, atomic replace). Days and months are UTC.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from pathlib import Path
from typing import Any

from app.bridges.errors import SpellError
from app.bridges.model_config import Limit, ModelConfig

log = logging.getLogger(__name__)

KEEP_DAYS = 62  # older days are dropped from the ledger


def data_dir() -> Path:
    if os.environ.get("LLMSPELL_DATA_DIR"):
        return Path(os.environ["LLMSPELL_DATA_DIR"])
    import platformdirs  # noqa: PLC0415

    return Path(platformdirs.user_data_dir("llmspell-studio", "LLMSpell"))


def _day(now: float | None = None) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(now if now is not None else time.time()))


class SpendLedger:
    """Cost per UTC day and model, on disk."""

    def __init__(self, path: Path | None = None):
        self.path = path or data_dir() / "spend.json"
        self._lock = threading.Lock()

    def _read(self) -> dict[str, dict[str, float]]:
        try:
            data = json.loads(self.path.read_text("utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError):
            log.warning("spend ledger %s is unreadable; starting a new one", self.path)
            return {}
        days = data.get("days") if isinstance(data, dict) else None
        if not isinstance(days, dict):
            return {}
        return {
            d: {str(m): float(c) for m, c in v.items() if isinstance(c, (int, float))}
            for d, v in days.items()
            if isinstance(v, dict)
        }

    def add(self, model: str, cost: float) -> None:
        """Record ``cost`` USD spent on ``model`` today."""
        if cost <= 0:
            return
        from filelock import FileLock  # noqa: PLC0415 - a dependency of litellm's, cheap

        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock, FileLock(str(self.path) + ".lock", timeout=10):
            days = self._read()
            today = days.setdefault(_day(), {})
            today[model] = today.get(model, 0.0) + cost
            for old in sorted(days)[:-KEEP_DAYS]:
                del days[old]
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(json.dumps({"days": days}, indent=1, sort_keys=True), "utf-8")
            os.replace(tmp, self.path)

    def spent(self, model: str | None = None, period: str = "day") -> float:
        """USD spent today (``period="day"``) or this month (``"month"``), on one model or on all."""
        days = self._read()
        prefix = _day() if period == "day" else _day()[:7]
        total = 0.0
        for d, models in days.items():
            if d.startswith(prefix):
                total += sum(c for m, c in models.items() if model is None or m == model)
        return total

    def by_model(self, period: str = "day") -> dict[str, float]:
        """USD spent per model today or this month."""
        prefix = _day() if period == "day" else _day()[:7]
        out: dict[str, float] = {}
        for d, models in self._read().items():
            if d.startswith(prefix):
                for m, c in models.items():
                    out[m] = out.get(m, 0.0) + c
        return out


_ledger: SpendLedger | None = None
_ledger_lock = threading.Lock()


def ledger() -> SpendLedger:
    """This process's ledger (follows ``LLMSPELL_DATA_DIR``)."""
    global _ledger
    with _ledger_lock:
        path = data_dir() / "spend.json"
        if _ledger is None or _ledger.path != path:
            _ledger = SpendLedger(path)
        return _ledger


class Budget:
    """The budgets of one run: checks a call's estimate before it is sent."""

    def __init__(self, config: ModelConfig, max_cost: float | None = None, max_tokens: int | None = None):
        self.config = config
        self.max_cost = max_cost
        self.max_tokens = max_tokens

    @property
    def active(self) -> bool:
        c = self.config
        return self.max_cost is not None or self.max_tokens is not None or c.budget != Limit() or bool(c.model_budgets)

    @property
    def needs_cost(self) -> bool:
        """Whether a call's cost must be estimated (any money budget is set)."""
        c = self.config
        return self.max_cost is not None or c.budget != Limit() or bool(c.model_budgets)

    def check(self, model: str, estimate_cost: float, estimate_tokens: int, run_cost: float, run_tokens: int) -> None:
        """Raise ``budget_exceeded`` when the call would pass a budget."""
        if self.max_tokens is not None and run_tokens + estimate_tokens > self.max_tokens:
            raise SpellError(
                "budget_exceeded",
                f"this call (~{estimate_tokens} tokens) would pass the run's token "
                f"budget: {run_tokens} of {self.max_tokens} used (--max-tokens)",
            )
        if self.max_cost is not None and run_cost + estimate_cost > self.max_cost:
            raise SpellError(
                "budget_exceeded",
                f"this call (~${estimate_cost:.4f}) would pass the run's budget: "
                f"${run_cost:.4f} of ${self.max_cost:.4f} spent (--max-cost)",
            )
        checks: list[tuple[str | None, Limit]] = [(None, self.config.budget)]
        if model in self.config.model_budgets:
            checks.append((model, self.config.model_budgets[model]))
        led = ledger() if any(lim != Limit() for _m, lim in checks) else None
        for who, limit in checks:
            for period, cap in (("day", limit.daily_usd), ("month", limit.monthly_usd)):
                if cap is None or led is None:
                    continue
                spent = led.spent(who, period)
                if spent + estimate_cost > cap:
                    scope = f"{who}'s" if who else "the overall"
                    key = "daily_usd" if period == "day" else "monthly_usd"
                    setting = f'budget.models."{who}".{key}' if who else f"budget.{key}"
                    raise SpellError(
                        "budget_exceeded",
                        f"this call (~${estimate_cost:.4f}) would pass {scope} {period} budget: "
                        f"${spent:.4f} of ${cap:.2f} spent ({setting} in llmspell.toml or Settings)",
                    )


def estimate(model: str, messages: list[dict[str, Any]], max_tokens: int | None) -> tuple[int, float]:
    """A call's expected tokens and cost (USD) before it is sent: prompt tokens counted, the reply assumed to use
    ``max_tokens`` (0 when unset). Unknown models cost 0."""
    from app.bridges.litellm_support import get_litellm  # noqa: PLC0415

    litellm = get_litellm()
    try:
        prompt = int(litellm.token_counter(model=model, messages=messages))
    except Exception:  # unknown tokenizer: roughly four characters a token
        prompt = sum(len(str(m.get("content") or "")) for m in messages) // 4 + 4 * len(messages)
    completion = int(max_tokens or 0)
    try:
        p_cost, c_cost = litellm.cost_per_token(model=model, prompt_tokens=prompt, completion_tokens=completion)
        cost = float(p_cost) + float(c_cost)
    except Exception:  # no price known (offline, local or custom models)
        cost = 0.0
    return prompt + completion, cost
