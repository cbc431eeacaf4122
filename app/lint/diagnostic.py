"""What the linter reports: :class:`Diagnostic` records, their :class:`Severity` and an optional :class:`Fix`."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    """How bad a problem is; ``OFF`` (from ``llmspell.toml``) drops the rule."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"
    OFF = "off"


@dataclass(frozen=True)
class Fix:
    """A quick fix: replace the text between two 1-based ``(line, column)`` positions (columns in characters)."""

    title: str
    line: int
    col: int
    end_line: int
    end_col: int
    replacement: str


@dataclass
class Diagnostic:
    """One problem. Lines and columns are 1-based; columns count characters (not bytes); ``end_*`` is exclusive."""

    file: str
    line: int
    col: int
    end_line: int
    end_col: int
    severity: Severity
    rule: str
    message: str
    fix: Fix | None = None
    #: the name the problem is about (a symbol, a member...), for quick fixes and tests
    subject: str = field(default="", compare=False)

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}: {self.severity.value} {self.rule}: {self.message}"

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able data (``llmspell check --format json``)."""
        d = asdict(self)
        d["severity"] = self.severity.value
        d.pop("subject", None)
        return d
