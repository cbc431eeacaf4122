"""Finding test files (by the language registry's test-file patterns) and the cases they declare.

:func:`declared_cases` reads a test file's source without running it (for the IDE's tree and editor margin, on
open and save): the ``describe``/``it``/``test`` calls it can see, nested by indentation. The names a run
reports are authoritative; these are what the file shows before it has run.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass

from app import languages

#: folders never searched for tests
SKIP_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        "node_modules",
        ".venv",
        "venv",
        "__pycache__",
        ".mypy_cache",
        ".ruff_cache",
        ".pytest_cache",
        "build",
        "dist",
        "cassettes",
    }
)
MAX_FILES = 10000


class DiscoveryError(ValueError):
    """A path given to discovery does not exist."""


def is_test_file(path: str) -> bool:
    """Whether ``path``'s name matches a language's test-file pattern."""
    return languages.language_of_test_file(path) is not None


def discover(paths: Iterable[str]) -> list[str]:
    """The test files among ``paths`` (files are taken as they are, folders searched recursively), sorted and
    without duplicates. Raises :class:`DiscoveryError` for a path that does not exist."""
    found: dict[str, None] = {}
    for path in paths:
        if os.path.isfile(path):
            found[os.path.normpath(path)] = None
            continue
        if not os.path.isdir(path):
            raise DiscoveryError(f"{path}: no such file or folder")
        for root, dirs, files in os.walk(path):
            dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith("."))
            for name in sorted(files):
                if is_test_file(name):
                    found[os.path.normpath(os.path.join(root, name))] = None
                    if len(found) >= MAX_FILES:
                        return list(found)
    return list(found)


@dataclass(frozen=True)
class DeclaredCase:
    """A test (or a block of tests) seen in a test file's source."""

    name: str  # full name: enclosing describe blocks and the test, joined by " › " (as runs report)
    line: int
    kind: str  # "describe" or "test"
    skipped: bool = False


_STRING = r"""(?P<q>["'`])(?P<name>(?:\\.|(?!(?P=q)).)*)(?P=q)"""
_PATTERNS = {
    "lua": re.compile(r"^(?P<indent>\s*)(?P<fn>describe|context|it|test|pending)\s*\(\s*" + _STRING),
    "js": re.compile(
        r"^(?P<indent>\s*)(?P<fn>describe|it|test|xit|xtest|xdescribe)"
        r"(?P<mod>\.skip|\.todo|\.only)?\s*\(\s*" + _STRING
    ),
    "tengo": re.compile(r"^(?P<indent>\s*)(?P<fn>test|skip)\s*\(\s*" + _STRING),
}
_BLOCKS = {"describe", "context", "xdescribe"}
_SKIPS = {"pending", "xit", "xtest", "xdescribe", "skip"}


def declared_cases(source: str, language: str) -> list[DeclaredCase]:
    """The describe/it/test calls of a test file, in source order, named as a run would name them."""
    pattern = _PATTERNS.get(language)
    if pattern is None:
        return []
    out: list[DeclaredCase] = []
    stack: list[tuple[int, str, bool]] = []  # (indent, name, skipped) of the enclosing describe blocks
    for n, text in enumerate(source.splitlines(), 1):
        m = pattern.match(text)
        if not m:
            continue
        indent = len(m["indent"].expandtabs(4))
        while stack and stack[-1][0] >= indent:
            stack.pop()
        name = m["name"].replace("\\" + m["q"], m["q"])
        full = " › ".join([s[1] for s in stack] + [name])
        fn = m["fn"]
        skipped = fn in _SKIPS or m.groupdict().get("mod") in (".skip", ".todo") or any(s[2] for s in stack)
        if fn in _BLOCKS:
            out.append(DeclaredCase(full, n, "describe", skipped))
            stack.append((indent, name, skipped))
        else:
            out.append(DeclaredCase(full, n, "test", skipped))
    return out
