"""``llmspell eval FILE``: run an eval, a progress bar on stderr, a closing summary per model, exit 0/1 by the
eval's threshold (2 for a bad eval file or usage)."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from typing import Any, TextIO

from app.evals.results import Change, ModelSummary, compare, read_results, summarize
from app.evals.session import EvalOptions, EvalRun, Progress
from app.evals.spec import EvalFileError, EvalSpec, load_eval


def add_parser(sub: Any) -> None:
    """The ``eval`` subcommand's arguments."""
    p = sub.add_parser(
        "eval",
        help="run a spell over a dataset and score it (an .eval.yaml file)",
        description="Run an eval: every dataset row × model × repeat, scored by assertions.",
    )
    p.add_argument("file", help="the eval file (.eval.yaml or .eval.json)")
    p.add_argument(
        "--out",
        metavar="RESULTS.jsonl",
        help="results file, one line per finished run (default: <eval name>.results.jsonl here)",
    )
    p.add_argument("--resume", action="store_true", help="keep the results in --out and run only what is missing")
    p.add_argument(
        "--replay",
        nargs="?",
        const="",
        metavar="RESULTS.jsonl",
        help="answer every model call from the cassettes recorded with these results (default: --out): "
        "re-score without calling a model",
    )
    p.add_argument("--compare", metavar="OLD.jsonl", help="list rows that changed from pass to fail and back")
    p.add_argument("--html", metavar="REPORT.html", help="write a self-contained HTML report")
    p.add_argument("--model", action="append", metavar="MODEL", help="run these models instead of the file's")
    p.add_argument("--concurrency", type=int, metavar="N", help="runs at once (default: the file's, else 4)")
    p.add_argument(
        "--executor",
        choices=("local", "ray"),
        default="local",
        help="local: this machine's engine pool; ray: a Ray cluster (pip install llmspell-studio[scale])",
    )
    p.add_argument(
        "--address",
        metavar="ADDR",
        help="Ray cluster address (default: a local Ray instance; 'auto' joins the cluster this machine belongs to)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def default_out(eval_path: str) -> str:
    name = os.path.basename(eval_path)
    for ext in (".eval.yaml", ".eval.yml", ".eval.json", ".yaml", ".yml", ".json"):
        if name.endswith(ext):
            name = name[: -len(ext)]
            break
    return f"{name}.results.jsonl"


class ProgressBar:
    """One redrawn line on a terminal; a line every few seconds otherwise (CI logs)."""

    def __init__(self, out: TextIO, total: int, width: int = 24):
        self.out = out
        self.total = total
        self.width = width
        self.tty = out.isatty()
        self._last = 0.0
        self._shown = -1
        self._lock = threading.Lock()

    def update(self, p: Progress, force: bool = False) -> None:
        with self._lock:
            now = time.monotonic()
            if p.done == self._shown:
                return
            if not force and not self.tty and now - self._last < 5.0 and p.done < p.total:
                return
            if not force and self.tty and now - self._last < 0.1 and p.done < p.total:
                return
            self._last = now
            self._shown = p.done
            filled = int(self.width * p.done / p.total) if p.total else self.width
            eta = p.eta_s
            line = (
                f"[{'#' * filled}{'.' * (self.width - filled)}] {p.done}/{p.total} runs  "
                f"pass {100 * p.pass_rate:.0f}%  ${p.cost:.4f}  "
                f"ETA {_clock(eta) if eta is not None else '--:--'}"
            )
            self.out.write(("\r" + line + "\x1b[K") if self.tty else line + "\n")
            self.out.flush()

    def finish(self) -> None:
        if self.tty and self._shown >= 0:
            self.out.write("\n")
            self.out.flush()


def _clock(seconds: float) -> str:
    s = int(seconds + 0.5)
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


def format_summary(summaries: list[ModelSummary], threshold: float) -> str:
    head = (
        f"{'model':<28} {'runs':>5} {'pass rate':>9} {'score':>6} {'errors':>6} {'cost USD':>10} "
        f"{'p50 ms':>8} {'p95 ms':>8}"
    )
    lines = [head]
    for s in summaries:
        mark = "" if s.pass_rate >= threshold else "  < threshold"
        lines.append(
            f"{s.model[:28]:<28} {s.runs:>5} {100 * s.pass_rate:>8.1f}% {s.mean_score:>6.3f} "
            f"{s.errors:>6} {s.cost:>10.6f} {s.p50_ms:>8.0f} {s.p95_ms:>8.0f}{mark}"
        )
    return "\n".join(lines)


def format_changes(changes: list[Change]) -> str:
    if not changes:
        return "compared: no row changed"
    worse = [c for c in changes if c.before and not c.after]
    better = [c for c in changes if c.before is False and c.after]
    new = [c for c in changes if c.before is None]
    lines = [f"compared: {len(worse)} now failing, {len(better)} now passing, {len(new)} new"]
    for c in worse + better + new:
        was = "new" if c.before is None else ("pass" if c.before else "fail")
        now = "pass" if c.after else "FAIL"
        rep = f" repeat {c.repeat}" if c.repeat else ""
        lines.append(f"  row {c.row} {c.model}{rep}: {was} -> {now}")
    return "\n".join(lines)


def change_labels(changes: list[Change]) -> dict[str, str]:
    """For the HTML report: ``"row|model|repeat"`` → ``"was pass"`` / ``"was fail"`` / ``"new"``."""
    return {
        f"{c.row}|{c.model}|{c.repeat}": ("new" if c.before is None else f"was {'pass' if c.before else 'fail'}")
        for c in changes
    }


def run_eval(args: argparse.Namespace, settings: dict[str, Any], usage_error: Callable[[str], Exception]) -> int:
    """The ``eval`` command (``settings``: the run settings of the user's config, keys not included)."""
    default_model = str(settings.get("default_model") or "offline/echo")
    try:
        spec: EvalSpec = load_eval(args.file, args.model, default_model)
    except EvalFileError as e:
        sys.stderr.write(f"{e}\n")
        return 2
    if args.concurrency is not None and args.concurrency < 1:
        raise usage_error("--concurrency must be at least 1")
    if args.address and args.executor != "ray":
        raise usage_error("--address needs --executor ray")
    out = args.out or default_out(args.file)
    replay = None
    if args.replay is not None:
        replay = args.replay or out
        if not os.path.exists(replay):
            raise usage_error(f"--replay {replay}: no such results file")
    old = None
    if args.compare:
        try:
            old = read_results(args.compare)
        except ValueError as e:
            raise usage_error(f"--compare: {e}") from None
        if not old and not os.path.exists(args.compare):
            raise usage_error(f"--compare {args.compare}: no such file")
    options = EvalOptions(
        out=out,
        executor=args.executor,
        address=args.address,
        resume=args.resume,
        replay_from=replay,
        settings=settings,
        concurrency=args.concurrency,
    )
    bar: ProgressBar | None = None

    def on_record(record: dict[str, Any], p: Progress) -> None:
        if bar is not None:
            bar.update(p)

    run = EvalRun(spec, options, on_record)
    total = len(spec.rows) * len(spec.models) * spec.repeat
    if not args.quiet:
        bar = ProgressBar(sys.stderr, total)
    interrupted = threading.Event()

    def on_sigint(*_: Any) -> None:
        if interrupted.is_set():
            raise KeyboardInterrupt
        interrupted.set()
        sys.stderr.write("\ninterrupted: finishing the runs in flight (Ctrl+C again to quit now); --resume continues\n")
        run.cancel()

    previous = (
        signal.signal(signal.SIGINT, on_sigint) if threading.current_thread() is threading.main_thread() else None
    )
    try:
        if bar is not None:
            bar.total = total
        records = run.run()
    except (FileNotFoundError, ValueError, RuntimeError) as e:
        raise usage_error(str(e)) from None
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
    if bar is not None:
        bar.total = run.progress.total
        bar.update(run.progress, force=True)
        bar.finish()
    labels = [m.label for m in spec.models]
    summaries = summarize(records, labels)
    print(format_summary(summaries, spec.threshold))
    changes = compare(old, records) if old is not None else None
    if changes is not None:
        print(format_changes(changes))
    if args.html:
        from app.evals.report import write_html

        write_html(
            args.html,
            os.path.basename(args.file),
            labels,
            records,
            summaries,
            spec.threshold,
            change_labels(changes) if changes else None,
        )
        print(f"report: {args.html}")
    expected = total
    if len(records) < expected:
        print(f"incomplete: {len(records)} of {expected} runs in {out} (run again with --resume)")
        return 130 if interrupted.is_set() else 1
    ok = all(s.pass_rate >= spec.threshold for s in summaries)
    print(f"{'PASS' if ok else 'FAIL'}: threshold {100 * spec.threshold:.0f}% per model; results in {out}")
    return 0 if ok else 1
