"""Exceptions of the Tengo interpreter, formatted like Tengo's own messages.

``Parse Error: msg\\n\\tat file:L:C``, ``Compile Error: msg\\n\\tat file:L:C`` and
``Runtime Error: msg\\n\\tat file:L:C`` (one ``at`` line per spell frame, innermost first).
"""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)

Pos = tuple  # (filename, line, col)


class TengoError(Exception):
    """Base of all interpreter errors; ``kind`` is "Parse", "Compile" or "Runtime"."""

    kind = "Runtime"

    def __init__(self, message: str, filename: str | None = None, line: int = 0, col: int = 0):
        super().__init__(message)
        self.message = message
        #: spell positions, innermost first: (file, line, col, function name)
        self.trace: list[tuple[str, int, int, str]] = []
        self.more = 0  # further errors reported with the first one (Go's ErrorList)
        if filename is not None:
            self.trace.append((filename, line, col, ""))

    def add_pos(self, pos: tuple) -> None:
        """Record the position where the error happened (first call) or a caller's call site."""
        self.trace.append(pos)

    @property
    def position(self) -> tuple | None:
        return self.trace[0] if self.trace else None

    def __str__(self) -> str:
        lines = [f"{self.kind} Error: {self.message}"]
        for p in self.trace:
            lines.append(f"\tat {p[0]}:{p[1]}:{p[2]}")
        text = "\n".join(lines)
        if self.more:
            text += f" (and {self.more} more errors)"
        return text


class TengoParseError(TengoError):
    kind = "Parse"


class TengoCompileError(TengoError):
    kind = "Compile"


class TengoRuntimeError(TengoError):
    kind = "Runtime"
    #: set by the debugger once it has stopped on this error (the statements around it let it pass)
    seen_by_debugger = False


class StackOverflow(TengoRuntimeError):
    """Call depth beyond MaxFrames (Tengo: ``stack overflow``)."""

    def __init__(self) -> None:
        super().__init__("stack overflow")


class AllocLimit(TengoRuntimeError):
    def __init__(self) -> None:
        super().__init__("allocation limit exceeded")


class SizeLimit(TengoRuntimeError):
    """A size cap (Tengo's MaxStringLen/MaxBytesLen, our array and memory caps): the message is Tengo's, and the
    engine reports it as ``limit_exceeded`` (the run's memory limit sets the caps)."""
