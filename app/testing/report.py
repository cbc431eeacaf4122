"""Reports of test runs: the terminal's progress lines and failure details, JUnit XML and JSON."""

from __future__ import annotations

import datetime
import json
import os
import socket
import xml.etree.ElementTree as ET
from typing import Any, TextIO

from app.testing.results import CaseResult, FileResult, Status, Totals

MAX_OUTPUT_CHARS = 4000


def progress_line(result: FileResult) -> str:
    """``PASS  examples/hello_spec.lua  (3 passed, 0.04 s)`` / ``FAIL ... (1 failed, 2 passed)``."""
    parts = []
    if result.failed:
        parts.append(f"{result.failed} failed")
    parts.append(f"{result.count(Status.PASSED)} passed")
    if result.count(Status.SKIPPED):
        parts.append(f"{result.count(Status.SKIPPED)} skipped")
    return f"{'PASS' if result.ok else 'FAIL'}  {result.file}  ({', '.join(parts)}, {result.duration_s:.2f} s)"


def _indent(text: str, prefix: str = "    ") -> str:
    return "\n".join(prefix + line for line in text.splitlines())


def failure_text(case: CaseResult) -> str:
    """One failed test: its name, ``file:line: message``, the diff and what it printed."""
    lines = [f"● {case.name}", f"  {case.location}: {case.message.splitlines()[0] if case.message else 'failed'}"]
    rest = case.message.splitlines()[1:]
    if rest:
        lines.append(_indent("\n".join(rest)))
    if case.diff:
        lines.append(_indent(case.diff))
    if case.output.strip():
        out = case.output if len(case.output) <= MAX_OUTPUT_CHARS else case.output[:MAX_OUTPUT_CHARS] + "…"
        lines.append("  output:")
        lines.append(_indent(out.rstrip("\n")))
    return "\n".join(lines)


def file_error_text(result: FileResult) -> str:
    """A test file that could not run to its end (syntax error, top-level error, limit, crash)."""
    err = result.error
    assert err is not None
    lines = [f"● {result.file}", f"  {err.location() or result.file}: {err.message}"]
    for fr in err.traceback[1:6]:
        lines.append(f"    at {fr.file}:{fr.line}" + (f" in {fr.function}" if fr.function else ""))
    return "\n".join(lines)


def write_failures(out: TextIO, results: list[FileResult]) -> None:
    """Every failure, grouped by file."""
    for r in results:
        failures = [c for c in r.cases if c.status is Status.FAILED]
        if not failures and r.error is None:
            continue
        out.write(f"\n{r.file}\n")
        if r.error is not None:
            out.write(file_error_text(r) + "\n")
        out.writelines(failure_text(c) + "\n" for c in failures)


def junit_xml(results: list[FileResult]) -> bytes:
    """JUnit XML (``testsuites``/``testsuite``/``testcase`` with ``failure``/``skipped``), one testsuite per
    file, as pytest's xunit2 writes it (the shape CI servers read)."""
    totals = Totals.of(results)
    total_time = sum(r.duration_s for r in results)
    root = ET.Element(
        "testsuites",
        name="llmspell test",
        tests=str(sum(_tests(r) for r in results)),
        failures=str(totals.failed),
        errors="0",
        skipped=str(totals.skipped),
        time=f"{total_time:.3f}",
    )
    stamp = datetime.datetime.now(datetime.UTC).replace(microsecond=0).isoformat()
    host = socket.gethostname()
    for r in results:
        suite = ET.SubElement(
            root,
            "testsuite",
            name=r.file,
            tests=str(_tests(r)),
            failures=str(r.failed),
            errors="0",
            skipped=str(r.count(Status.SKIPPED)),
            time=f"{r.duration_s:.3f}",
            timestamp=stamp,
            hostname=host,
        )
        classname = os.path.splitext(r.file)[0].replace(os.sep, ".").replace("/", ".").lstrip(".")
        if r.error is not None:
            case = ET.SubElement(suite, "testcase", classname=classname, name="(file)", time="0.000")
            failure = ET.SubElement(case, "failure", message=_clean(r.error.message), type=r.error.code)
            failure.text = _clean(file_error_text(r))
        for c in r.cases:
            case = ET.SubElement(
                suite, "testcase", classname=classname, name=_clean(c.name), time=f"{c.duration_s:.3f}"
            )
            if c.status is Status.FAILED:
                failure = ET.SubElement(
                    case, "failure", message=_clean(f"{c.location}: {c.message}"), type="AssertionError"
                )
                failure.text = _clean(failure_text(c))
            elif c.status is Status.SKIPPED:
                ET.SubElement(case, "skipped", message="skipped")
            if c.output:
                ET.SubElement(case, "system-out").text = _clean(c.output)
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def _tests(r: FileResult) -> int:
    return len(r.cases) + (1 if r.error is not None else 0)


def _clean(text: str) -> str:
    """Text XML 1.0 can carry (control characters other than tab and newlines are not allowed)."""
    return "".join(ch if ch in "\t\n\r" or ord(ch) >= 32 else f"\\x{ord(ch):02x}" for ch in text)


def json_report(results: list[FileResult]) -> dict[str, Any]:
    """The whole run as one JSON-ready record."""
    totals = Totals.of(results)
    return {
        "passed": totals.passed,
        "failed": totals.failed,
        "skipped": totals.skipped,
        "files": [r.to_dict() for r in results],
    }


def dumps_json(results: list[FileResult]) -> str:
    return json.dumps(json_report(results), ensure_ascii=False, indent=2, default=str)
