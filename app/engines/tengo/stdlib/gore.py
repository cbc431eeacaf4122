"""Go ``regexp`` (RE2) on top of Python's ``re``: syntax translation, byte offsets, ``$1``/``${name}`` templates.

Deviation: Python's backtracking engine is used (no RE2 in the dependencies); RE2 syntax that Python lacks
(``\\z``, ``\\pL``-style classes beyond the basics) is translated where simple, otherwise compiling fails with an
error value like Go's ``regexp.Compile`` does.
"""

from __future__ import annotations

import logging
import re
from typing import Any

log = logging.getLogger(__name__)

_cache: dict[str, re.Pattern] = {}


_POSIX = {
    "alpha": "a-zA-Z",
    "digit": "0-9",
    "alnum": "a-zA-Z0-9",
    "upper": "A-Z",
    "lower": "a-z",
    "space": r" \t\n\v\f\r",
    "xdigit": "0-9A-Fa-f",
    "word": r"\w",
    "punct": r"!-/:-@\[-`{-~",
    "blank": r" \t",
    "cntrl": r"\x00-\x1f\x7f",
    "print": r" -~",
    "graph": r"!-~",
    "ascii": r"\x00-\x7f",
}


def _translate(pat: str) -> str:
    """RE2 syntax → Python ``re``: ``$``/``\\z`` anchor at the very end (unless multi-line), POSIX classes,
    ``(?<name>``, ``\\pL``-style classes (approximated)."""
    multiline = "(?m" in pat or "(?sm" in pat or "(?im" in pat
    out = []
    i = 0
    n = len(pat)
    in_class = False
    while i < n:
        c = pat[i]
        if c == "\\" and i + 1 < n:
            d = pat[i + 1]
            if d in "zZ" and not in_class:
                out.append(r"\Z")
            elif d in "pP" and i + 2 < n:
                if pat[i + 2] == "{":
                    j = pat.find("}", i + 2)
                    name = pat[i + 3 : j]
                    i = j - 1
                else:
                    name = pat[i + 2]
                    i += 1
                cls = {"L": r"[^\W\d_]", "N": r"\d", "Nd": r"\d", "Lu": r"[A-Z]", "Ll": r"[a-z]"}.get(name, r"\w")
                if in_class:
                    cls = cls.strip("[]")
                out.append(cls if d == "p" else f"(?:(?!{cls}).)")
            else:
                out.append(pat[i : i + 2])
            i += 2
            continue
        if in_class:
            if c == "[" and pat.startswith("[:", i):
                j = pat.find(":]", i + 2)
                if j > 0:
                    name = pat[i + 2 : j]
                    neg = name.startswith("^")
                    cls = _POSIX.get(name.lstrip("^"))  # type: ignore[assignment]
                    if cls is not None and not neg:
                        out.append(cls)
                        i = j + 2
                        continue
            if c == "]":
                in_class = False
            out.append(c)
            i += 1
            continue
        if c == "[":
            in_class = True
            out.append(c)
            if i + 1 < n and pat[i + 1] == "^":
                out.append("^")
                i += 1
            if i + 1 < n and pat[i + 1] == "]":
                out.append(r"\]")
                i += 1
            i += 1
            continue
        if c == "$" and not multiline:
            out.append(r"(?!\n)\Z" if False else r"\Z")
            i += 1
            continue
        if c == "(" and pat.startswith("(?<", i) and not pat.startswith("(?<=", i) and not pat.startswith("(?<!", i):
            out.append("(?P<")
            i += 3
            continue
        out.append(c)
        i += 1
    return "".join(out)


def compile_go(pat: str) -> re.Pattern:
    """Compile a Go regexp; raises ``ValueError`` with a Go-like message on bad syntax."""
    p = _cache.get(pat)
    if p is None:
        try:
            p = re.compile(_translate(pat))
        except re.error as e:
            raise ValueError(f"error parsing regexp: {e.msg}: `{pat}`") from None
        if len(_cache) > 256:
            _cache.clear()
        _cache[pat] = p
    return p


class ByteMap:
    """Maps character offsets of a str to Go byte offsets."""

    def __init__(self, s: str):
        self.ascii = s.isascii()
        if not self.ascii:
            self.offs = [0]
            acc = 0
            for ch in s:
                acc += len(ch.encode("utf-8", "surrogateescape"))
                self.offs.append(acc)

    def __call__(self, i: int) -> int:
        return i if self.ascii else self.offs[i]


def expand_template(m: re.Match, tmpl: str) -> str:
    """Go ``Regexp.Expand`` template: ``$1``, ``${1}``, ``$name``, ``${name}``, ``$$``."""
    out = []
    i, n = 0, len(tmpl)
    while i < n:
        c = tmpl[i]
        if c != "$" or i + 1 >= n:
            out.append(c)
            i += 1
            continue
        d = tmpl[i + 1]
        if d == "$":
            out.append("$")
            i += 2
            continue
        if d == "{":
            j = tmpl.find("}", i + 2)
            if j < 0:
                out.append(c)
                i += 1
                continue
            name = tmpl[i + 2 : j]
            i = j + 1
        else:
            j = i + 1
            while j < n and (tmpl[j].isalnum() or tmpl[j] == "_"):
                j += 1
            if j == i + 1:
                out.append(c)
                i += 1
                continue
            name = tmpl[i + 1 : j]
            i = j
        try:
            g = m.group(int(name)) if name.isdigit() else m.group(name)
        except (IndexError, error_types()):
            g = None
        out.append(g or "")
    return "".join(out)


def error_types() -> Any:
    return re.error


def find_all(p: re.Pattern, s: str, n: int) -> list[re.Match]:
    """``FindAll*`` with Go's count (n < 0: all, 0: none) and its empty-match rule (an empty match right
    after the previous match is skipped)."""
    if n == 0:
        return []
    res: list[re.Match] = []
    prev_end = -1
    for m in p.finditer(s):
        if m.start() == m.end() and m.start() == prev_end:
            continue
        res.append(m)
        prev_end = m.end()
        if 0 < n <= len(res):
            break
    return res


def split(p: re.Pattern, s: str, n: int) -> list[str]:
    """Go ``Regexp.Split``."""
    if n == 0:
        return []
    if p.pattern != "" and s == "":
        return [""]
    matches = find_all(p, s, n)
    out: list[str] = []
    beg = end = 0
    for m in matches:
        if n > 0 and len(out) == n - 1:
            break
        end = m.start()
        if m.end() != 0:
            out.append(s[beg:end])
        beg = m.end()
    if end != len(s):
        out.append(s[beg:])
    return out
