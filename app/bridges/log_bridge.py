"""``Log``: levelled messages to the run console (and to the CLI's standard error)."""

from __future__ import annotations

import logging
from typing import Any

from app.bridges.budget import budget_of
from app.bridges.registry import Bridge, bridge, inline

log = logging.getLogger(__name__)


def _text(message: Any, data: Any) -> str:
    text = message if isinstance(message, str) else repr(message)
    if data is not None:
        import json

        text += " " + json.dumps(data, ensure_ascii=False, default=str)
    return text


@bridge("Log")
class LogBridge(Bridge):
    """Write levelled messages to the run console; the IDE colours them by level."""

    def _emit(self, level: str, message: Any, data: Any) -> None:
        text = _text(message, data)
        # Log lines are written by the host, not the worker: they count here, with print, against the output limit.
        budget_of(self.ctx).charge("output_bytes", len(text.encode("utf-8", "replace")) + 1)
        self.ctx.output(level, text)

    @inline
    def debug(self, message: str, data: Any = None) -> None:
        """Log a debug message.

        Args:
            message: The text.
            data: An optional value, shown as JSON after the text.
        Errors:
            limit_exceeded: the run's output (print and Log together) is past its output limit (the run ends).
        Example (lua):
            Log.debug("state", {step = 1})
            Log.debug("done")
        Example (js):
            Log.debug("state", {step: 1});
            Log.debug("done");
        """
        self._emit("debug", message, data)

    @inline
    def info(self, message: str, data: Any = None) -> None:
        """Log an informational message.

        Args:
            message: The text.
            data: An optional value, shown as JSON after the text.
        Errors:
            limit_exceeded: the run's output (print and Log together) is past its output limit (the run ends).
        Example (lua):
            Log.info("fetched", {count = 3})
            Log.info("ready")
        Example (js):
            Log.info("fetched", {count: 3});
            Log.info("ready");
        """
        self._emit("info", message, data)

    @inline
    def warn(self, message: str, data: Any = None) -> None:
        """Log a warning.

        Args:
            message: The text.
            data: An optional value, shown as JSON after the text.
        Errors:
            limit_exceeded: the run's output (print and Log together) is past its output limit (the run ends).
        Example (lua):
            Log.warn("slow reply", {ms = 2300})
            Log.warn("retrying")
        Example (js):
            Log.warn("slow reply", {ms: 2300});
            Log.warn("retrying");
        """
        self._emit("warn", message, data)

    @inline
    def error(self, message: str, data: Any = None) -> None:
        """Log an error message (the spell goes on; use ``error()``/``throw`` to stop it).

        Args:
            message: The text.
            data: An optional value, shown as JSON after the text.
        Errors:
            limit_exceeded: the run's output (print and Log together) is past its output limit (the run ends).
        Example (lua):
            Log.error("tool failed", {tool = "search"})
            Log.error("giving up")
        Example (js):
            Log.error("tool failed", {tool: "search"});
            Log.error("giving up");
        """
        self._emit("error", message, data)
