"""Results of test runs, and the readable expected/actual diff of a failed equality assertion."""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from app.engines.base import SpellFailure

MAX_DIFF_LINES = 200
#: values larger than this are cut before they are compared line by line (difflib is quadratic in the worst
#: case, and the values come from the test's worker: a test must not be able to keep the host busy)
MAX_VALUE_LINES = 2000
MAX_VALUE_CHARS = 200_000
MAX_MESSAGE_CHARS = 10_000


class Status(StrEnum):
    """How one test ended."""

    PASSED = "passed"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass
class CaseResult:
    """One test of a test file."""

    file: str
    name: str
    status: Status
    line: int | None = None  # the line of its it/test call
    message: str = ""
    failure_line: int | None = None  # the line of the failing assertion (or error) in the test file
    diff: str = ""  # expected vs actual, for equality assertions
    duration_s: float = 0.0
    output: str = ""  # what the test printed

    @property
    def location(self) -> str:
        line = self.failure_line or self.line
        return f"{self.file}:{line}" if line else self.file

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "name": self.name,
            "status": self.status.value,
            "line": self.line,
            "message": self.message,
            "failure_line": self.failure_line,
            "diff": self.diff,
            "duration_s": round(self.duration_s, 6),
            "output": self.output,
        }


@dataclass
class FileResult:
    """One test file's run: its tests, or the error that stopped the file (syntax, top-level error, limit)."""

    file: str
    cases: list[CaseResult] = field(default_factory=list)
    error: SpellFailure | None = None
    duration_s: float = 0.0
    output: str = ""  # printed outside any test (while the file declared its tests)

    def count(self, status: Status) -> int:
        return sum(1 for c in self.cases if c.status is status)

    @property
    def failed(self) -> int:
        """Failed tests, plus one when the file itself failed."""
        return self.count(Status.FAILED) + (1 if self.error is not None else 0)

    @property
    def ok(self) -> bool:
        return self.failed == 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "passed": self.count(Status.PASSED),
            "failed": self.failed,
            "skipped": self.count(Status.SKIPPED),
            "duration_s": round(self.duration_s, 6),
            "error": self.error.to_dict() if self.error else None,
            "output": self.output,
            "tests": [c.to_dict() for c in self.cases],
        }


@dataclass
class Totals:
    passed: int = 0
    failed: int = 0
    skipped: int = 0

    @classmethod
    def of(cls, files: list[FileResult]) -> Totals:
        return cls(
            sum(f.count(Status.PASSED) for f in files),
            sum(f.failed for f in files),
            sum(f.count(Status.SKIPPED) for f in files),
        )

    def summary(self) -> str:
        """``N passed, N failed`` (``, N skipped`` when some were)."""
        text = f"{self.passed} passed, {self.failed} failed"
        return text + (f", {self.skipped} skipped" if self.skipped else "")


def _pretty(value: Any) -> list[str]:
    text = (
        value
        if isinstance(value, str)
        else json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True, default=str)
    )
    cut = len(text) > MAX_VALUE_CHARS
    lines = text[:MAX_VALUE_CHARS].splitlines() or [""]
    if cut or len(lines) > MAX_VALUE_LINES:
        lines = lines[:MAX_VALUE_LINES] + ["… (value cut: too large to compare in full)"]
    return lines


def _scalar(value: Any) -> bool:
    return not isinstance(value, (dict, list)) and not (isinstance(value, str) and "\n" in value)


def render_diff(expected: Any, actual: Any) -> str:
    """Expected vs actual as text: two lines for scalars, a unified diff (``-`` expected, ``+`` actual) of the
    pretty-printed values for tables, objects and multi-line strings."""
    if _scalar(expected) and _scalar(actual):
        return (
            f"expected: {clip_text(json.dumps(expected, ensure_ascii=False, default=str))}\n"
            f"actual:   {clip_text(json.dumps(actual, ensure_ascii=False, default=str))}"
        )
    if type(expected) is not type(actual):
        return (
            f"expected ({_kind(expected)}):\n"
            + "\n".join("  " + s for s in _pretty(expected))
            + f"\nactual ({_kind(actual)}):\n"
            + "\n".join("  " + s for s in _pretty(actual))
        )
    lines = list(difflib.unified_diff(_pretty(expected), _pretty(actual), "expected", "actual", lineterm="", n=3))
    if len(lines) > MAX_DIFF_LINES:
        lines = lines[:MAX_DIFF_LINES] + [f"… ({len(lines) - MAX_DIFF_LINES} more diff lines)"]
    return "\n".join(lines)


def clip_text(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    """``text`` cut to ``limit`` characters (saying how much was cut)."""
    return text if len(text) <= limit else text[:limit] + f"… ({len(text) - limit} more characters)"


def _kind(v: Any) -> str:
    if isinstance(v, dict):
        return "table/object"
    if isinstance(v, list):
        return "list"
    return type(v).__name__ if v is not None else "nil"
