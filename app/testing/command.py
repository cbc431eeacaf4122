"""``llmspell test [PATH...]``: find test files, run them through the engine pool, report.

Exit codes: 0 every test passed, 1 a test (or a test file) failed, 2 usage error (bad option, missing path,
no test files found).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from collections.abc import Callable
from typing import Any

from app import languages

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def add_parser(sub: Any) -> argparse.ArgumentParser:
    """The ``test`` sub-command on ``sub`` (the CLI's sub-parsers)."""
    patterns = ", ".join(languages.all_test_patterns())
    p = sub.add_parser(
        "test",
        help="run spell tests (" + patterns + ")",
        description=f"Run spell tests: files named {patterns} under the given files and folders "
        "(default: the current folder), each in its own sandboxed worker.",
    )
    p.add_argument("paths", nargs="*", metavar="PATH", help="test files or folders (default: .)")
    p.add_argument(
        "-j",
        "--jobs",
        type=int,
        default=os.cpu_count() or 1,
        metavar="N",
        help="test files run at once (default: the number of CPUs)",
    )
    p.add_argument("--filter", metavar="TEXT", help="run only tests whose full name contains TEXT")
    p.add_argument("--bail", action="store_true", help="stop at the first failure")
    p.add_argument("--junit", metavar="FILE", help="write a JUnit XML report here")
    p.add_argument("--json", action="store_true", help="print the results as JSON (progress goes to stderr)")
    p.add_argument(
        "--record", action="store_true", help="record each file's LLM exchanges into cassettes/<file>.jsonl beside it"
    )
    p.add_argument(
        "--replay", action="store_true", help="answer each file's LLM calls from its cassette (offline, free)"
    )
    p.add_argument("--model", help="the model of unmocked LLM calls (default: the offline model)")
    p.add_argument("--timeout", type=float, metavar="S", help="wall-clock limit per test file in seconds")
    p.add_argument("--profile", default="standard", help="security profile of the test runs")
    return p


def cmd_test(args: argparse.Namespace, usage_error: Callable[[str], Exception]) -> int:
    from app.engines.profiles import limits_for
    from app.runner import Runner
    from app.testing import report
    from app.testing.discovery import DiscoveryError, discover
    from app.testing.results import Totals
    from app.testing.session import TestOptions, cassette_path, run_files, warm_counts

    if args.jobs < 1:
        raise usage_error("-j/--jobs must be at least 1")
    if args.record and args.replay:
        raise usage_error("--record and --replay cannot be used together")
    try:
        limits_for(args.profile, args.timeout)
        files = discover(args.paths or ["."])
    except (ValueError, DiscoveryError) as e:
        raise usage_error(str(e)) from None
    if not files:
        raise usage_error(
            f"no test files found in {', '.join(args.paths or ['.'])} "
            f"(test files are named {', '.join(languages.all_test_patterns())})"
        )
    if args.replay:
        missing = [f for f in files if not os.path.isfile(cassette_path(f))]
        if missing:
            raise usage_error(
                f"--replay: no cassette for {missing[0]} (expected {cassette_path(missing[0])}; "
                "record one with --record)"
            )
    if args.record:  # a fresh cassette per file, even for a file whose every model call is mocked
        from app.bridges.cassette import write_empty

        for f in files:
            try:
                write_empty(cassette_path(f))
            except OSError as e:
                raise usage_error(f"--record: cannot write {cassette_path(f)}: {e.strerror or e}") from None

    # Tests never reach the network unless asked: unmocked calls go to the offline model by default.
    settings: dict[str, Any] = {"default_model": args.model} if args.model else {}
    options = TestOptions(
        filter=args.filter,
        bail=args.bail,
        timeout_s=args.timeout,
        profile=args.profile,
        record=args.record,
        replay=args.replay,
        settings=settings,
    )
    progress = sys.stderr if args.json else sys.stdout
    lock = threading.Lock()

    class Progress:
        def on_file_finished(self, result: Any) -> None:
            with lock:
                progress.write(report.progress_line(result) + "\n")
                progress.flush()

    jobs = min(args.jobs, len(files))
    runner = Runner(warm=warm_counts(files, jobs))  # the workers start while the registry loads
    interrupted = threading.Event()  # Ctrl+C: the runs in flight are stopped, no file starts
    previous = signal.getsignal(signal.SIGINT)
    signal.signal(signal.SIGINT, lambda *_: interrupted.set())
    try:
        results = run_files(runner, files, options, jobs, Progress(), interrupted)
    finally:
        signal.signal(signal.SIGINT, previous)
        runner.shutdown()
    if interrupted.is_set():
        sys.stderr.write("interrupted\n")
        return 130
    out = sys.stderr if args.json else sys.stdout
    report.write_failures(out, results)
    totals = Totals.of(results)
    out.write(("\n" if totals.failed else "") + totals.summary() + "\n")
    if args.json:
        sys.stdout.write(report.dumps_json(results) + "\n")
    if args.junit:
        try:
            _write_atomic(args.junit, report.junit_xml(results))
        except OSError as e:
            sys.stderr.write(f"llmspell: cannot write {args.junit}: {e.strerror or e}\n")
            return EXIT_USAGE
    return EXIT_OK if totals.failed == 0 else EXIT_FAILED


def _write_atomic(path: str, data: bytes) -> None:
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
