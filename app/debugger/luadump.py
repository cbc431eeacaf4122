"""Where the code is in a Lua 5.4 chunk: its function prototypes and the lines that hold instructions.

The debugger needs, before a chunk runs, every function's line range and its *code lines* (Lua's "active lines")
to verify breakpoints (a breakpoint on a blank or comment line moves to the next code line) and to know which
functions hold a breakpoint (call gating). Lua cannot list the nested prototypes of a function it has not run, so
the chunk is compiled in a throwaway runtime, dumped with ``string.dump`` and the binary chunk is read here.
The format is Lua 5.4's ``ldump.c``; a chunk that cannot be read raises :class:`DumpError`.
"""

from __future__ import annotations

import builtins
import logging
import struct
from dataclasses import dataclass, field

from lupa import lua54

log = logging.getLogger(__name__)

_ABSLINEINFO = -0x80


class DumpError(Exception):
    """The source does not compile, or its binary chunk is not the expected Lua 5.4 format."""


@dataclass
class Proto:
    """One function prototype: its line range, the lines holding its own instructions, its nested functions."""

    linedefined: int
    lastlinedefined: int
    is_vararg: bool
    lines: set[int] = field(default_factory=set)
    children: list[Proto] = field(default_factory=list)
    index: int = 0  # position in pre-order (0 = main chunk)

    @property
    def is_main(self) -> bool:
        return self.index == 0


@dataclass
class ChunkInfo:
    """All prototypes of a chunk, in pre-order (the order of their ``function`` keywords in the source)."""

    protos: list[Proto]

    @property
    def main(self) -> Proto:
        return self.protos[0]

    def code_lines(self) -> list[int]:
        """Every line holding an instruction of some function of the chunk, sorted."""
        out: set[int] = set()
        for p in self.protos:
            out |= p.lines
        return sorted(out)

    def resolve_line(self, line: int) -> int | None:
        """The code line a breakpoint on ``line`` lands on: ``line`` itself or the next code line; None past the end."""
        for ln in self.code_lines():
            if ln >= line:
                return ln
        return None

    def protos_at(self, line: int) -> list[Proto]:
        """The functions with an instruction on ``line``."""
        return [p for p in self.protos if line in p.lines]


class _Reader:
    def __init__(self, data: bytes):
        self.data = data
        self.pos = 0

    def byte(self) -> int:
        b = self.data[self.pos]
        self.pos += 1
        return b

    def bytes(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise DumpError("truncated chunk")
        b = self.data[self.pos : self.pos + n]
        self.pos += n
        return b

    def size(self) -> int:
        x = 0
        while True:
            b = self.byte()
            x = (x << 7) | (b & 0x7F)
            if b & 0x80:
                return x

    def string(self) -> builtins.bytes | None:
        n = self.size()
        if n == 0:
            return None
        return self.bytes(n - 1)


def _read_function(r: _Reader, out: list[Proto]) -> Proto:
    r.string()  # source
    linedefined, lastlinedefined = r.size(), r.size()
    r.byte()  # numparams
    is_vararg = bool(r.byte())
    r.byte()  # maxstacksize
    ncode = r.size()
    r.bytes(4 * ncode)
    for _ in range(r.size()):  # constants
        tt = r.byte()
        if tt in (3, 0x13):  # integer, float
            r.bytes(8)
        elif tt in (4, 0x14):  # short, long string
            r.string()
        elif tt not in (0, 1, 0x11):  # nil, false, true
            raise DumpError(f"unknown constant tag {tt}")
    nup = r.size()
    r.bytes(3 * nup)
    proto = Proto(linedefined, lastlinedefined, is_vararg, index=len(out))
    out.append(proto)
    for _ in range(r.size()):
        proto.children.append(_read_function(r, out))
    n = r.size()
    deltas = struct.unpack(f"{n}b", r.bytes(n))
    absinfo: dict[int, int] = {}
    for _ in range(r.size()):
        pc = r.size()
        absinfo[pc] = r.size()
    for _ in range(r.size()):  # local variables
        r.string()
        r.size()
        r.size()
    for _ in range(r.size()):  # upvalue names
        r.string()
    line = linedefined
    for pc, d in enumerate(deltas):
        if d == _ABSLINEINFO:
            line = absinfo.get(pc, line)
        else:
            line += d
        if pc == 0 and is_vararg:
            continue  # VARARGPREP: no line event (as Lua's activelines)
        proto.lines.add(line)
    return proto


def parse_dump(data: bytes) -> ChunkInfo:
    """Read a Lua 5.4 binary chunk made by ``string.dump`` (not stripped)."""
    r = _Reader(data)
    if r.bytes(4) != b"\x1bLua" or r.byte() != 0x54:
        raise DumpError("not a Lua 5.4 chunk")
    r.byte()  # format
    r.bytes(6)  # LUAC_DATA
    r.bytes(3)  # sizes of Instruction, lua_Integer, lua_Number
    r.bytes(8)  # LUAC_INT
    r.bytes(8)  # LUAC_NUM
    r.byte()  # number of upvalues of the main function
    protos: list[Proto] = []
    _read_function(r, protos)
    return ChunkInfo(protos)


_analyser: lua54.LuaRuntime | None = None


def analyse(source: str, chunkname: str = "=chunk") -> ChunkInfo:
    """Compile ``source`` (never run it) in a private runtime and describe its functions and code lines."""
    global _analyser
    if _analyser is None:
        _analyser = lua54.LuaRuntime(register_eval=False, register_builtins=False, encoding=None)
    rt = _analyser
    fn = rt.eval(
        "function(src, name) local f, err = load(src, name, 't', {}) "
        "if not f then return nil, err end return string.dump(f) end"
    )
    res = fn(source.encode("utf-8"), chunkname.encode("utf-8"))
    if isinstance(res, tuple):
        data, err = res[0], res[1] if len(res) > 1 else None
    else:
        data, err = res, None
    if data is None:
        raise DumpError(str(err))
    if isinstance(data, str):
        data = data.encode("latin-1")
    if isinstance(err, bytes):
        err = err.decode("utf-8", "replace")
    return parse_dump(data)
