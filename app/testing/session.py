"""Running test files: each file is one run through :class:`app.runner.Runner` (its own sandboxed worker from
the pool) with the test API bound; several files at once with :func:`run_files`.

A :class:`TestListener` hears what happens as it happens (from background threads): a test starting, a test's
result, a file's result, and the spans of the file's LLM and tool calls (the IDE's trace panel shows them).
"""

from __future__ import annotations

import concurrent.futures
import os
import threading
from dataclasses import dataclass, field
from typing import Any, Protocol

from app.engines.base import SpellFailure
from app.engines.protocol import TestResult, TestStarted
from app.testing.results import CaseResult, FileResult, Status, clip_text, render_diff

CASSETTE_DIR = "cassettes"


class TestListener(Protocol):
    """What a front end hears about test runs (every method optional)."""

    def on_test_started(self, file: str, name: str, line: int | None) -> None: ...
    def on_case(self, case: CaseResult) -> None: ...
    def on_file_finished(self, result: FileResult) -> None: ...
    def on_span(self, span: dict[str, Any]) -> None: ...


@dataclass
class TestOptions:
    """How to run test files."""

    filter: str | None = None  # run tests whose full name contains this text
    line: int | None = None  # run the test (or describe block) declared on this line
    bail: bool = False  # stop at the first failure
    timeout_s: float | None = None  # per file (default: the profile's)
    profile: str = "standard"
    record: bool = False  # record each file's LLM exchanges into its cassette
    replay: bool = False  # answer each file's LLM calls from its cassette (offline, free)
    settings: dict[str, Any] = field(default_factory=dict)


def cassette_path(test_file: str) -> str:
    """Where ``--record``/``--replay`` keep a test file's cassette: ``cassettes/<file name>.jsonl`` beside it."""
    folder, name = os.path.split(os.path.abspath(test_file))
    return os.path.join(folder, CASSETTE_DIR, name + ".jsonl")


def _call(listener: Any, name: str, *args: Any) -> None:
    fn = getattr(listener, name, None)
    if fn is not None:
        fn(*args)


def case_from_message(file: str, msg: TestResult, output: str = "") -> CaseResult:
    """A test's result message as a :class:`CaseResult` (with the expected/actual diff rendered)."""
    try:
        status = Status(msg.status)
    except ValueError:  # a worker that says something else: never a pass
        status = Status.FAILED
    return CaseResult(
        file,
        clip_text(str(msg.name), 1000),
        status,
        msg.line,
        clip_text(str(msg.message)),
        msg.failure_line,
        render_diff(msg.expected, msg.actual) if msg.has_values else "",
        msg.duration_s,
        output,
    )


class FileObserver:
    """The run observer of one test file: gathers its results (and each test's output) into a FileResult."""

    def __init__(self, file: str, listener: Any = None):
        self.file = file
        self.listener = listener
        self.result = FileResult(file)
        self._lock = threading.Lock()
        self._current: int | None = None
        self._current_name = ""
        self._outputs: dict[int, list[str]] = {}
        self._file_output: list[str] = []
        self.done = threading.Event()

    def on_output(self, stream: str, text: str) -> None:
        with self._lock:
            if self._current is not None:
                self._outputs.setdefault(self._current, []).append(text)
            else:
                self._file_output.append(text)

    def on_span(self, span: dict[str, Any]) -> None:
        _call(self.listener, "on_span", span)

    def on_test_started(self, msg: TestStarted) -> None:
        with self._lock:
            self._current = msg.test_id
            self._current_name = msg.name if msg.line is None else f"{msg.name} (line {msg.line})"
        _call(self.listener, "on_test_started", self.file, msg.name, msg.line)

    def on_test_result(self, msg: TestResult) -> None:
        with self._lock:
            output = "".join(self._outputs.pop(msg.test_id, []))
            self._current = None
        case = case_from_message(self.file, msg, output)
        with self._lock:
            self.result.cases.append(case)
        _call(self.listener, "on_case", case)

    def on_finished(self, run_result: Any) -> None:
        r = self.result
        try:
            r.duration_s = run_result.duration_s
            with self._lock:
                r.output = "".join(self._file_output)
            if not run_result.ok:
                r.error = run_result.failure or SpellFailure(
                    run_result.status, f"the test file {run_result.status}", self.file
                )
                if self._current is not None:  # stopped inside a test (time limit, crash, a promise that hangs)
                    r.error.message += f" (while test {self._current_name!r} was running)"
        finally:
            self.done.set()
        _call(self.listener, "on_file_finished", r)


def run_options(path: str, options: TestOptions) -> Any:
    """The :class:`app.runner.RunOptions` of one test file."""
    from app.runner import RunOptions

    settings = dict(options.settings)
    if options.replay:
        settings["replay"] = cassette_path(path)
    elif options.record:
        settings["record"] = cassette_path(path)
    return RunOptions(
        profile=options.profile,
        timeout_s=options.timeout_s,
        settings=settings,
        workspace=os.path.dirname(os.path.abspath(path)),
        test={"filter": options.filter, "line": options.line, "bail": options.bail},
    )


def start_file(runner: Any, path: str, options: TestOptions, listener: Any = None) -> tuple[Any, FileObserver]:
    """Start one test file on a background thread: ``(run, observer)``; ``observer.result`` is complete once
    ``observer.done`` is set (the listener hears ``on_file_finished`` then)."""
    observer = FileObserver(path, listener)
    run = runner.start(path, None, run_options(path, options), observer)
    return run, observer


def run_file(
    runner: Any, path: str, options: TestOptions, listener: Any = None, stop: threading.Event | None = None
) -> FileResult:
    """Run one test file to its end (or until ``stop`` is set: the run is cancelled)."""
    run, observer = start_file(runner, path, options, listener)
    while run.wait(0.1) is None:
        if stop is not None and stop.is_set():
            run.cancel()
    observer.done.wait()  # the observer hears the end right after the run's own wait returns
    return observer.result


def warm_counts(paths: list[str], jobs: int) -> dict[str, int]:
    """Workers to start at once for these test files: per language, as many as will run at the same time."""
    from app import languages

    counts: dict[str, int] = {}
    for p in paths:
        lang = languages.language_of_test_file(p) or languages.for_path(p)
        if lang is not None:
            counts[lang.id] = counts.get(lang.id, 0) + 1
    return {k: min(v, max(1, jobs)) for k, v in counts.items()}


def run_files(
    runner: Any,
    paths: list[str],
    options: TestOptions,
    jobs: int = 1,
    listener: Any = None,
    stop: threading.Event | None = None,
) -> list[FileResult]:
    """Run test files, ``jobs`` at once (each in its own worker); results in the order of ``paths``.
    With ``options.bail`` no file starts after one has failed; once ``stop`` is set, runs in flight are cancelled
    and no file starts."""
    failed = threading.Event()
    results: dict[str, FileResult] = {}

    def one(path: str) -> None:
        if (options.bail and failed.is_set()) or (stop is not None and stop.is_set()):
            return
        result = run_file(runner, path, options, listener, stop)
        results[path] = result
        if not result.ok:
            failed.set()

    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="test-file") as ex:
        for fut in [ex.submit(one, p) for p in paths]:
            fut.result()
    return [results[p] for p in paths if p in results]
