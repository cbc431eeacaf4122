"""``python -m app.reference [--out DIR] [--format html,md,luals,dts,json|all] [--check]``.

The same as ``llmspell docs`` (which calls :func:`app.reference.write_docs`); ``--check`` prints documentation
problems of the bridges (see ``docs/bridge-docstrings.md``) and exits 1 when there are any."""

from __future__ import annotations

import argparse
import logging
import sys

log = logging.getLogger(__name__)

DEFAULT_OUT = "llmspell-docs"
DEFAULT_FORMATS = "html,md"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m app.reference", description="Write the bridge reference (HTML, Markdown, LuaLS, .d.ts, JSON)."
    )
    parser.add_argument("--out", default=DEFAULT_OUT, help=f"output folder (default: {DEFAULT_OUT})")
    parser.add_argument(
        "--format",
        default=DEFAULT_FORMATS,
        help=f"comma-separated: html, md, luals, dts, json or all (default: {DEFAULT_FORMATS})",
    )
    parser.add_argument("--check", action="store_true", help="only check the bridges' docstrings")
    args = parser.parse_args(argv)
    if args.check:
        from app.reference.lint import problems

        found = problems(strict=True)
        for p in found:
            print(p)
        print(f"{len(found)} documentation problem(s)" if found else "bridge documentation OK", file=sys.stderr)
        return 1 if found else 0
    from app.reference.writer import write_docs

    try:
        paths = write_docs(args.out, args.format.split(","))
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    for p in paths:
        print(p)
    return 0


if __name__ == "__main__":
    sys.exit(main())
