"""``llmspell``: run, check and document spells from a terminal, for automation and CI.

``llmspell test`` runs spell tests (see app/testing/command.py): exit 0 all passed, 1 a failure, 2 usage error.

Exit codes of ``run``: 0 success, 1 spell error, 2 usage error, 3 limit exceeded, 4 worker crashed,
130 interrupted (Ctrl+C).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Sequence
from typing import Any

from app import languages

log = logging.getLogger(__name__)

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_LIMIT, EXIT_CRASH = 0, 1, 2, 3, 4


class UsageError(Exception):
    """Bad command-line input: reported on stderr with exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(message)


def build_parser() -> argparse.ArgumentParser:
    from app.engines.profiles import PROFILES

    p = _Parser(
        prog="llmspell",
        description="Run, debug, test, evaluate, lint and document LLM spells (Lua, JavaScript, Tengo).",
    )
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    run = sub.add_parser("run", help="run a spell", description="Run a spell in a sandboxed worker.")
    run.add_argument("file", help=f"the spell ({languages.spoken_list(languages.primary_extensions(), 'or')})")
    run.add_argument("--input", metavar="JSON|@FILE", help="the spell's INPUT as JSON text, or @file to read it")
    run.add_argument("--profile", default="standard", help=f"security profile ({', '.join(PROFILES)})")
    run.add_argument("--timeout", type=float, metavar="S", help="wall-clock limit in seconds")
    run.add_argument("--memory", type=int, metavar="MB", help="memory limit in MB")
    run.add_argument(
        "--limit",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="raise or lower one of the profile's limits or host budgets, e.g. output_bytes=16MB, "
        "event_queue_bytes, max_tools, tool_bytes, max_spans, span_bytes, message_elements, "
        "max_objects, object_bytes",
    )
    run.add_argument("--lang", help=f"language ({', '.join(languages.IDS)}) when the extension does not tell")
    run.add_argument("--json", action="store_true", help="print one JSON record with the result (output → stderr)")
    run.add_argument(
        "--allow-host",
        action="append",
        default=[],
        metavar="HOST",
        help="a host http_get may reach (profiles that allow http, e.g. trusted); repeatable",
    )
    run.add_argument(
        "--model", help="default model for LLM calls (default: the IDE's default model setting, else the offline model)"
    )
    run.add_argument("--trace", metavar="FILE.jsonl", help="write every span (LLM, tool, agent, workflow) here")
    run.add_argument("--record", metavar="FILE", help="record every LLM exchange into this cassette")
    run.add_argument("--replay", metavar="FILE", help="answer LLM calls from this cassette, offline")
    add_model_flags(run)

    check = sub.add_parser(
        "check",
        help="lint spells: file:line:col: severity rule-id: message",
        description="Find syntax errors and mistakes against the spell API (unknown members, "
        "argument counts and types, option keys, undefined globals, unused "
        "variables...) without running anything. Exits 1 when there are errors. "
        "Severities can be set per rule in a [lint] section of llmspell.toml.",
    )
    check.add_argument("files", nargs="+", help="spells, or folders to check every spell in")
    check.add_argument("--lang", help="language when the extension does not tell")
    check.add_argument("--strict", action="store_true", help="treat warnings as errors")
    check.add_argument(
        "--format", choices=("text", "json"), default="text", help="text (default) or json (one array of problems)"
    )

    debug = sub.add_parser(
        "debug",
        help=f"debug a {languages.names_list(languages.debuggable(), 'or')} spell in the "
        "terminal (b, c, n, s, finish, bt, p, q)",
        description="Debug a spell in the terminal. Commands: b LINE [if EXPR] set a breakpoint (FILE:LINE for "
        "another file), d LINE delete it, r/c run or continue, n step over, s step into, finish step out, "
        "bt call stack, p EXPR print, watch EXPR show at every stop, l list the source around the stop, "
        "llm [off] break before each LLM call, answer TEXT answer that call yourself, q quit.",
    )
    debug.add_argument(
        "file",
        help="the spell ("
        + languages.spoken_list((lang.default_extension for lang in languages.debuggable()), "or")
        + ")",
    )
    debug.add_argument("--input", metavar="JSON|@FILE", help="the spell's INPUT as JSON text, or @file")
    debug.add_argument("--profile", default="standard", help=f"security profile ({', '.join(PROFILES)})")
    debug.add_argument("--timeout", type=float, metavar="S", help="wall-clock limit in seconds (time stopped excluded)")

    from app.testing.command import add_parser as add_test_parser

    add_test_parser(sub)
    from app.evals.cli import add_parser as add_eval_parser

    add_eval_parser(sub)

    cache = sub.add_parser(
        "cache",
        help="the response cache: stats or clear",
        description="Show or clear the exact-match LLM response cache (the user cache folder).",
    )
    cache.add_argument("action", choices=("stats", "clear"))
    cache.add_argument("--json", action="store_true", help="stats as one JSON record")

    docs = sub.add_parser(
        "docs",
        help="write the bridge reference (HTML, Markdown, editor definitions)",
        description="Write the bridge reference generated from the bridge registry: HTML, Markdown, LuaLS "
        "definitions (luals), TypeScript declarations (dts) and JSON.",
    )
    docs.add_argument("--out", default="docs/reference", help="output folder")
    docs.add_argument(
        "--format", default="html,md", help="comma-separated: html, md, luals, dts, json, or all (default: html,md)"
    )
    return p


def _read_input(raw: str | None) -> Any:
    if raw is None:
        return None
    text = raw
    where = "--input"
    if raw.startswith("@"):
        where = raw[1:]
        try:
            with open(raw[1:], encoding="utf-8") as f:
                text = f.read()
        except OSError as e:
            raise UsageError(f"cannot read input file {raw[1:]}: {e.strerror or e}") from None
    if len(text) > MAX_INPUT_CHARS:
        raise UsageError(f"{where}: larger than {MAX_INPUT_CHARS // (1024 * 1024)} MB")
    try:
        value = json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as e:
        raise UsageError(f"{where}: invalid JSON at line {e.lineno}, column {e.colno}: {e.msg}") from None
    except RecursionError:
        raise UsageError(f"{where}: nested deeper than {MAX_INPUT_DEPTH} levels") from None
    except ValueError as e:  # an integer with more digits than Python converts, or NaN/Infinity
        raise UsageError(
            f"{where}: {e}"
            if isinstance(e, _InputError)
            else f"{where}: a number is too large (spells have 64-bit integers)"
        ) from None
    _check_input(value, where)
    return value


MAX_INPUT_CHARS = 64 * 1024 * 1024
MAX_INPUT_DEPTH = 100  # the depth a value may have when it crosses to a spell (app/engines/base.py MAX_DEPTH)


class _InputError(ValueError):
    pass


def _no_constant(name: str) -> Any:
    raise _InputError(f"{name} is not a JSON number (spells get finite numbers only)")


def _check_input(value: Any, where: str) -> None:
    """Depth and integer range, checked before the value goes to a worker (without recursion)."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        v, depth = stack.pop()
        if depth > MAX_INPUT_DEPTH:
            raise UsageError(f"{where}: nested deeper than {MAX_INPUT_DEPTH} levels")
        if isinstance(v, dict):
            stack.extend((item, depth + 1) for item in v.values())
        elif isinstance(v, list):
            stack.extend((item, depth + 1) for item in v)
        elif isinstance(v, int) and not isinstance(v, bool) and not -(2**63) <= v < 2**63:
            raise UsageError(
                f"{where}: the integer {str(v)[:20]}… does not fit in 64 bits (write it as a string or a float)"
            )


class _ConsoleObserver:
    """Streams a run's output live to the terminal."""

    def __init__(self, to_stderr: bool):
        self.out = sys.stderr if to_stderr else sys.stdout
        self.lock = threading.Lock()

    def on_output(self, stream: str, text: str) -> None:
        with self.lock:
            if stream == "stdout":
                self.out.write(text)
                self.out.flush()
            else:
                prefix = "" if stream == "stderr" else f"[{stream}] "
                lines = text.splitlines(keepends=True)
                sys.stderr.write("".join(prefix + line for line in lines))
                sys.stderr.flush()

    def on_span(self, span: dict[str, Any]) -> None:
        pass

    def on_finished(self, result: Any) -> None:
        pass


def cmd_run(args: argparse.Namespace) -> int:
    from app.engines.base import language_for
    from app.engines.profiles import limits_for, parse_limit
    from app.runner import Runner, RunOptions

    inputs = _read_input(args.input)
    try:
        language = language_for(args.file, args.lang)
        overrides = dict(parse_limit(text) for text in args.limit)
        limits_for(args.profile, args.timeout, args.memory, overrides=overrides)
    except ValueError as e:
        raise UsageError(str(e)) from None
    if not os.path.exists(args.file):
        raise UsageError(f"{args.file}: no such file")
    if os.path.isdir(args.file):
        raise UsageError(f"{args.file}: is a folder, not a spell")
    for flag, path in (("--replay", args.replay),):
        if path and not os.path.isfile(path):
            raise UsageError(f"{flag} {path}: no such file")

    settings: dict[str, Any] = {}
    _use_user_config(settings)
    if args.model:
        settings["default_model"] = args.model
    if args.record:
        settings["record"] = os.path.abspath(args.record)
    if args.replay:
        settings["replay"] = os.path.abspath(args.replay)
    apply_model_flags(args, settings)

    runner = Runner(warm={language: 0})
    observer = _ConsoleObserver(to_stderr=args.json)
    options = RunOptions(
        inputs=inputs,
        profile=args.profile,
        timeout_s=args.timeout,
        memory_mb=args.memory,
        language=language,
        settings=settings,
        http_allow=tuple(args.allow_host) if args.allow_host else None,
        limit_overrides=overrides,
    )
    run = runner.start(args.file, None, options, observer)
    previous = signal.getsignal(signal.SIGINT)
    signal.signal(signal.SIGINT, lambda *_: run.cancel())
    try:
        while run.wait(0.2) is None:
            pass
    finally:
        signal.signal(signal.SIGINT, previous)
    result = run.result
    assert result is not None
    if args.trace:
        _write_jsonl(args.trace, result.spans)
    runner.shutdown()

    if args.json:
        record = {
            "status": result.status,
            "exit_code": result.exit_code,
            "value": result.value,
            "error": result.failure.to_dict() if result.failure else None,
            "duration_s": round(result.duration_s, 6),
            "stats": {
                k: v
                for k, v in result.stats.items()
                if k in ("tokens", "cost", "llm_calls", "cache_hits", "output_bytes", "limit")
            },
        }
        print(json.dumps(record, ensure_ascii=False, default=str))
    elif result.ok:
        if result.value is not None:
            print(_format_value(result.value))
    else:
        _print_failure(result)
    return result.exit_code


def _format_value(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, indent=2)


def _print_failure(result: Any) -> None:
    f = result.failure
    label = {"limit": "limit exceeded", "crashed": "worker crashed", "cancelled": "stopped"}.get(result.status, "error")
    where = f.location() if f else ""
    msg = f.message if f else result.status
    sys.stderr.write(f"{where + ': ' if where else ''}{label}: {msg}\n")
    if f and len(f.traceback) > 1:
        sys.stderr.write("traceback (most recent call first):\n")
        for fr in f.traceback:
            sys.stderr.write(f"  {fr.file}:{fr.line}" + (f" in {fr.function}" if fr.function else "") + "\n")


def _write_jsonl(path: str, records: list[dict[str, Any]]) -> None:
    """Write records atomically: a temp file next to the target, then replace."""
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(r, ensure_ascii=False, default=str) + "\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _spell_files(paths: list[str], lang: str | None) -> list[str]:
    """The files named, and every spell file under the folders named (hidden folders skipped), sorted."""
    from app import languages

    out: list[str] = []
    for path in paths:
        if os.path.isdir(path):
            found: list[str] = []
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "node_modules")
                found.extend(os.path.join(root, f) for f in files if f.lower().endswith(languages.extensions()))
            out.extend(sorted(found))
        elif not os.path.exists(path):
            raise UsageError(f"{path}: no such file or folder")
        else:
            out.append(path)
    return out


def cmd_check(args: argparse.Namespace) -> int:
    from app.engines.base import language_for
    from app.lint import Diagnostic, Severity, lint_source, merge_engine_syntax, severities_for
    from app.runner import Runner

    runner = None
    problems = []
    try:
        for path in _spell_files(args.files, args.lang):
            try:
                language = language_for(path, args.lang)
                with open(path, "rb") as f:
                    source = f.read().decode("utf-8")
                severities = severities_for(path)
            except UnicodeDecodeError as e:  # (a ValueError: caught first)
                problems.append(
                    Diagnostic(
                        path,
                        1,
                        1,
                        1,
                        1,
                        Severity.ERROR,
                        "syntax-error",
                        f"file is not UTF-8 text ({e.reason} at byte {e.start})",
                    )
                )
                continue
            except ValueError as e:  # an unknown language, or llmspell.toml (it names its file and problem)
                raise UsageError(str(e)) from None
            except OSError as e:
                raise UsageError(f"{path}: {e.strerror or e}") from None
            if runner is None:
                runner = Runner(warm={})
            found = lint_source(source, path, language, severities=severities)
            problems.extend(merge_engine_syntax(found, runner.check(source, path, language), path, source))
    finally:
        if runner is not None:
            runner.shutdown()
    if args.strict:
        for d in problems:
            if d.severity is Severity.WARNING:
                d.severity = Severity.ERROR
    if args.format == "json":
        print(json.dumps([d.to_dict() for d in problems], ensure_ascii=False, indent=1))
    else:
        for d in problems:
            print(str(d))
    return EXIT_ERROR if any(d.severity is Severity.ERROR for d in problems) else EXIT_OK


def cmd_debug(args: argparse.Namespace) -> int:
    from app.debugger.terminal import main as debug_main
    from app.engines.base import language_for
    from app.engines.profiles import limits_for
    from app.runner import RunOptions

    inputs = _read_input(args.input)
    try:
        if not languages.is_debuggable(language_for(args.file)):
            raise UsageError(
                f"{args.file}: only {languages.names_list(languages.debuggable())} spells can be debugged for now"
            )
        limits_for(args.profile, args.timeout)
    except ValueError as e:
        raise UsageError(str(e)) from None
    if not os.path.isfile(args.file):
        raise UsageError(f"{args.file}: no such file")
    settings: dict[str, Any] = {}
    _use_user_config(settings)
    return debug_main(
        args.file, options=RunOptions(inputs=inputs, profile=args.profile, timeout_s=args.timeout, settings=settings)
    )


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r}: expected a positive amount")
    return value


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r}: expected a positive number")
    return value


def add_model_flags(parser: argparse.ArgumentParser) -> None:
    """Response cache and budget flags, shared by the commands that run spells."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--cache",
        dest="cache",
        action="store_true",
        default=None,
        help="answer repeated LLM requests from the on-disk response cache",
    )
    group.add_argument(
        "--no-cache",
        dest="cache",
        action="store_false",
        help="never use the response cache (default: the setting / llmspell.toml [cache])",
    )
    parser.add_argument(
        "--max-cost",
        type=_positive_float,
        metavar="USD",
        help="stop LLM calls that would make this run spend more (code budget_exceeded)",
    )
    parser.add_argument(
        "--max-tokens",
        type=_positive_int,
        metavar="N",
        help="stop LLM calls that would make this run use more tokens (code budget_exceeded)",
    )


def apply_model_flags(args: argparse.Namespace, settings: dict[str, Any]) -> None:
    if getattr(args, "cache", None) is not None:
        settings["cache"] = args.cache
    if getattr(args, "max_cost", None) is not None:
        settings["max_cost"] = args.max_cost
    if getattr(args, "max_tokens", None) is not None:
        settings["max_tokens"] = args.max_tokens


def cmd_cache(args: argparse.Namespace) -> int:
    from app.bridges.response_cache import shared_cache

    cache = shared_cache()
    if args.action == "clear":
        removed = cache.clear()
        print(f"cleared {removed} cached response(s) from {cache.folder}")
        return EXIT_OK
    stats = cache.stats()
    if args.json:
        print(json.dumps(stats))
    else:
        asked = stats["hits"] + stats["misses"]
        rate = f" ({100.0 * stats['hits'] / asked:.0f}% hits)" if asked else ""
        print(
            f"{stats['entries']} cached response(s), {stats['bytes'] / 1024:.0f} KiB in {stats['folder']}\n"
            f"{stats['hits']} hit(s), {stats['misses']} miss(es){rate}"
        )
    return EXIT_OK


def _use_user_config(settings: dict[str, Any]) -> None:
    """What the IDE would use: its default model and local-server URLs (settings.json), and the API keys stored
    in the OS keyring, exported to this process only (variables already set win). The keyring (~0.1 s to load)
    is read only when litellm is first needed, so spells that call no model never touch it."""
    from app import config
    from app.bridges.litellm_support import before_first_use

    user = config.load_settings()
    settings["default_model"] = user.default_model
    settings.update(config.llm_settings(user))
    before_first_use(lambda: config.export_to_environment(user))


def cmd_test(args: argparse.Namespace) -> int:
    from app.testing.command import cmd_test as run_tests

    return run_tests(args, UsageError)


def cmd_eval(args: argparse.Namespace) -> int:
    from app.evals.cli import run_eval

    settings: dict[str, Any] = {}
    if args.executor == "ray":  # the cluster's environment supplies API keys, never this machine's keyring
        from app import config

        settings.update(config.llm_settings(config.load_settings()))
    else:
        _use_user_config(settings)
    return run_eval(args, settings, UsageError)


def cmd_docs(args: argparse.Namespace) -> int:
    from app.reference import write_docs

    formats = [f.strip() for f in args.format.split(",") if f.strip()]
    try:
        paths = write_docs(args.out, formats)
    except ValueError as e:
        raise UsageError(str(e)) from None
    for path in paths:
        print(path)
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(
        level=os.environ.get("LLMSPELL_LOG", "WARNING"), stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s"
    )
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help(sys.stderr)
            return EXIT_USAGE
        handler = {
            "run": cmd_run,
            "check": cmd_check,
            "debug": cmd_debug,
            "docs": cmd_docs,
            "eval": cmd_eval,
            "cache": cmd_cache,
            "test": cmd_test,
        }[args.command]
        return handler(args)
    except UsageError as e:
        sys.stderr.write(f"llmspell: {e}\n")
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
