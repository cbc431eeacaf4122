"""Call gating without a call hook: a one-statement prologue in the functions that hold a breakpoint.

A Lua call hook costs 4-17x on call-heavy code (measured: an empty hook function 4x on ``fib``), too much for a
debugger that is meant to stay attached. Instead, when a debug run loads a chunk, every function whose code lines
hold a breakpoint gets ``if D[k] then D.e(k) end`` inserted right after its parameter list, on the same line (line
numbers never change). ``D[k]`` is flipped off when the breakpoints go away; ``D.e`` turns the line hook on for the
coroutine that entered the function. Functions without breakpoints are left exactly as written: zero overhead.

Finding the insertion points needs only a small scanner (strings, long strings, comments, the ``function``
keyword and the ``)`` closing its parameters); the ``function`` keywords in source order are the chunk's
prototypes in pre-order, which :mod:`luadump` reads from the compiled chunk, and the two are cross-checked.
"""

from __future__ import annotations

import logging
import re

from app.debugger.luadump import ChunkInfo

log = logging.getLogger(__name__)

#: The local that holds the debugger's table inside an instrumented chunk (hidden from variable views).
DBG_LOCAL = "__llmspell_dbg"
#: The key of the spell environment that hands the table to the chunk's first statement (then cleared).
ENV_KEY = "\0llmspell_dbg"
_ENV_KEY_LUA = "\\0llmspell_dbg"

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_LONG_OPEN = re.compile(r"\[(=*)\[")


class InstrumentError(Exception):
    """The scanner and the compiled chunk disagree: load the chunk without prologues."""


def function_sites(source: str) -> list[tuple[int, int]]:
    """``(line, offset after ')')`` for every ``function`` keyword, in source order."""
    sites: list[tuple[int, int]] = []
    i, n, line = 0, len(source), 1
    pending: int | None = None  # line of a 'function' keyword whose ')' is not found yet
    while i < n:
        c = source[i]
        if c == "\n":
            line += 1
            i += 1
        elif c == "-" and source.startswith("--", i):
            m = _LONG_OPEN.match(source, i + 2)
            if m:
                end = source.find("]" + m.group(1) + "]", m.end())
                end = n if end < 0 else end + len(m.group(1)) + 2
            else:
                end = source.find("\n", i)
                end = n if end < 0 else end
            line += source.count("\n", i, end)
            i = end
        elif c == "[" and _LONG_OPEN.match(source, i):
            m = _LONG_OPEN.match(source, i)
            assert m is not None
            end = source.find("]" + m.group(1) + "]", m.end())
            end = n if end < 0 else end + len(m.group(1)) + 2
            line += source.count("\n", i, end)
            i = end
        elif c in "\"'":
            j = i + 1
            while j < n and source[j] != c:
                if source[j] == "\\":
                    if source.startswith("\\z", j):
                        j += 2
                        while j < n and source[j] in " \t\r\n\f\v":
                            j += 1
                        continue
                    j += 2
                elif source[j] == "\n":
                    break  # unfinished string: Lua rejects it anyway
                else:
                    j += 1
            line += source.count("\n", i, j)
            i = j + 1
        elif c.isalpha() or c == "_":
            m = _NAME.match(source, i)
            assert m is not None
            if m.group(0) == "function":
                pending = line
            i = m.end()
        elif c.isdigit():
            m = re.compile(r"0[xX][0-9a-fA-F.]*([pP][+-]?\d+)?|[0-9.]+([eE][+-]?\d+)?").match(source, i)
            i = m.end() if m and m.end() > i else i + 1
        elif c == ")" and pending is not None:
            sites.append((pending, i + 1))
            pending = None
            i += 1
        else:
            i += 1
    return sites


def prologue(k: int) -> str:
    return f" if {DBG_LOCAL}[{k}] then {DBG_LOCAL}.e({k}) end "


def instrument(source: str, info: ChunkInfo, ids: dict[int, int]) -> str:
    """``source`` with prologues for the prototypes in ``ids`` (proto index → global id); lines unchanged.

    Raises :class:`InstrumentError` when the scanned ``function`` keywords do not match the compiled prototypes.
    """
    sites = function_sites(source)
    nested = info.protos[1:]
    if len(sites) != len(nested):
        raise InstrumentError(f"{len(sites)} function keywords but {len(nested)} functions")
    for (line, _), p in zip(sites, nested):
        if line != p.linedefined:
            raise InstrumentError(f"function keyword on line {line}, function defined on line {p.linedefined}")
    inserts = sorted((sites[idx - 1][1], gid) for idx, gid in ids.items() if idx > 0)
    parts: list[str] = [f'local {DBG_LOCAL} = _ENV["{_ENV_KEY_LUA}"]; _ENV["{_ENV_KEY_LUA}"] = nil;']
    if 0 in ids:
        parts.append(prologue(ids[0]))
    last = 0
    for pos, gid in inserts:
        parts.append(source[last:pos])
        parts.append(prologue(gid))
        last = pos
    parts.append(source[last:])
    return "".join(parts)
