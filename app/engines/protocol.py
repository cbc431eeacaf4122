"""Typed messages between the host and a worker: length-prefixed JSON over the worker's pipes (docs/architecture.md §2).

Every message is a dataclass with a ``type`` tag. :func:`encode` turns one into bytes (4-byte big-endian length,
then UTF-8 JSON); :class:`MessageReader` reads them back from a file descriptor, with an optional timeout so the
host can enforce the wall clock while it waits.
"""

from __future__ import annotations

import json
import os
import queue
import re
import select
import struct
import sys
import threading
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, ClassVar

MAX_MESSAGE = 256 * 1024 * 1024
_CAN_SELECT_PIPES = not sys.platform.startswith("win")
_HEADER = struct.Struct(">I")


@dataclass
class Message:
    type: ClassVar[str] = ""


@dataclass
class Ready(Message):
    """worker → host: imports done, waiting for a run."""

    type: ClassVar[str] = "ready"
    pid: int
    language: str


@dataclass
class RunRequest(Message):
    """host → worker: run (or check, or REPL-evaluate) one spell in a fresh runtime."""

    type: ClassVar[str] = "run"
    run_id: str
    mode: str  # "run" | "test" | "check" | "repl" | "repl_reset"
    language: str
    source: str
    path: str
    spell_dir: str | None
    inputs: Any = None
    limits: dict[str, Any] = field(default_factory=dict)
    bridges: dict[str, Any] = field(default_factory=dict)
    debug: dict[str, Any] | None = None
    test: dict[str, Any] | None = None  # mode "test": {"filter": str|None, "line": int|None, "bail": bool}


@dataclass
class Output(Message):
    """worker → host: printed text or a log line (``stream`` is stdout, stderr or a level)."""

    type: ClassVar[str] = "output"
    run_id: str
    stream: str
    text: str


@dataclass
class BridgeCall(Message):
    """worker → host: call a bridge method; ``line`` is the spell line making the call."""

    type: ClassVar[str] = "bridge_call"
    call_id: int
    target: str | int
    method: str
    args: list[Any]
    opts: dict[str, Any] | None
    line: int | None = None
    concurrent: bool = False  # made by a task/promise: the worker runs on meanwhile (and may cancel it)
    abortable: bool = False  # likely to be cancelled (a race, a timeout, a signal): the host keeps its LLM
    # request closable (a slower path), else a cancel only drops its answer


@dataclass
class CancelCall(Message):
    """worker → host: a task waiting for this concurrent BridgeCall was cancelled; the host abandons the call
    (closing an LLM request where it can) and still answers it, which frees its slot."""

    type: ClassVar[str] = "cancel_call"
    call_id: int


@dataclass
class BridgeResult(Message):
    """host → worker: the answer to a BridgeCall (``error`` = {code, message, retryable} on failure)."""

    type: ClassVar[str] = "bridge_result"
    call_id: int
    value: Any = None
    error: dict[str, Any] | None = None


@dataclass
class CallbackCall(Message):
    """host → worker: run a script function handed to a bridge, nested inside a pending BridgeCall."""

    type: ClassVar[str] = "callback_call"
    call_id: int
    callback_id: int
    args: list[Any]


@dataclass
class CallbackResult(Message):
    """worker → host: the script function's result, or its error in the spell's terms."""

    type: ClassVar[str] = "callback_result"
    call_id: int
    value: Any = None
    error: dict[str, Any] | None = None


@dataclass
class RunFinished(Message):
    """worker → host: the run ended with a value, or with an error in the spell's terms."""

    type: ClassVar[str] = "run_finished"
    run_id: str
    ok: bool
    value: Any = None
    error: dict[str, Any] | None = None  # SpellFailure.to_dict()
    diagnostics: list[dict[str, Any]] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)


class FrameKind(StrEnum):
    """The ``kind`` of a stack frame in a :class:`Paused` message or a ``stack`` reply (every spell language)."""

    SPELL = "spell"  # a frame of the spell's own code
    BRIDGE = "bridge"  # a bridge call the spell waits in (``LLM.complete``)
    CHUNK = "chunk"  # a module being loaded


@dataclass
class TestStarted(Message):
    """worker → host: a test of a test file starts (the host gives it fresh State/Event scopes and mocks)."""

    type: ClassVar[str] = "test_started"
    run_id: str
    test_id: int
    name: str  # the full name: describe blocks and the test, joined by " › "
    line: int | None = None  # the line of its it/test call in the test file


@dataclass
class TestResult(Message):
    """worker → host: a test ended. ``status`` is passed, failed or skipped; a failure carries the test file's
    ``line`` and, for equality assertions, ``expected``/``actual`` as plain values (the host renders the diff)."""

    type: ClassVar[str] = "test_result"
    run_id: str
    test_id: int
    name: str
    status: str
    line: int | None = None
    message: str = ""
    failure_line: int | None = None
    expected: Any = None
    actual: Any = None
    has_values: bool = False  # expected/actual are meaningful (they may be null themselves)
    duration_s: float = 0.0


@dataclass
class Paused(Message):
    """worker → host: the debugger stopped (reason, file, line, stack)."""

    type: ClassVar[str] = "paused"
    run_id: str
    reason: str
    file: str | None = None
    line: int | None = None
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class DebugCommand(Message):
    """host → worker: a debugger command (continue, step, breakpoints, variables, evaluate...)."""

    type: ClassVar[str] = "debug_command"
    command: str
    args: dict[str, Any] = field(default_factory=dict)
    request_id: int = 0


@dataclass
class DebugReply(Message):
    """worker → host: the answer to a DebugCommand that asks for data (stack, variables, evaluation)."""

    type: ClassVar[str] = "debug_reply"
    request_id: int
    value: Any = None
    error: str | None = None


@dataclass
class Shutdown(Message):
    """host → worker: exit cleanly."""

    type: ClassVar[str] = "shutdown"


TYPES: dict[str, type[Message]] = {
    cls.type: cls
    for cls in (
        Ready,
        RunRequest,
        Output,
        BridgeCall,
        CancelCall,
        BridgeResult,
        CallbackCall,
        CallbackResult,
        RunFinished,
        TestStarted,
        TestResult,
        Paused,
        DebugCommand,
        DebugReply,
        Shutdown,
    )
}


def encode(msg: Message) -> bytes:
    d = dict(msg.__dict__)
    d["type"] = msg.type
    body = json.dumps(d, ensure_ascii=False, separators=(",", ":"), default=_default).encode("utf-8")
    return _HEADER.pack(len(body)) + body


def _default(o: Any) -> Any:
    if isinstance(o, (set, frozenset, tuple)):
        return list(o)
    return repr(o)


def _non_finite(name: str) -> None:
    """NaN, Infinity and -Infinity are not JSON: every value crossing between host and worker, in every
    language, carries them as null (what JavaScript's JSON.stringify does), so results and bridge arguments are
    always valid JSON (docs/security.md)."""
    return None


def decode(body: bytes) -> Message:
    d = json.loads(body, parse_constant=_non_finite)
    cls = TYPES[d.pop("type")]
    return cls(**d)


_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')


def count_elements(body: bytes, limit: int) -> int:
    """How many values (arrays, objects, and the items, members and keys in them) the JSON text ``body`` decodes
    to, counted on the raw bytes before any Python object is built; exact when it matters, that is past
    ``limit``. A 48 MB message of empty objects would otherwise become gigabytes of Python dicts in the host.

    Brackets, braces and commas give an upper bound in one pass in C. Past the limit, the strings (each a value)
    are counted from the quotes: if they alone are too many, that is the answer; else the strings are cut out
    (a cost proportional to their number, which is then bounded) and the structure counted exactly, so text
    full of commas is never mistaken for many values."""
    upper = body.count(b",") + body.count(b"[") + body.count(b"{") + 1
    if upper <= limit:
        return upper
    strings = (body.count(b'"') - body.count(b'\\"')) // 2  # never more than there are
    if strings > limit:
        return strings
    bare = _STRING.sub(b"0", body)
    return bare.count(b",") + bare.count(b"[") + bare.count(b"{") + 1


class ChannelClosed(Exception):
    """The other side closed its end (a worker that exited or was killed)."""


class MessageTooLarge(ChannelClosed):
    """The other side sent a message past the reader's size limit (the host stops such a worker)."""


class MessageReader:
    """Reads framed messages from a file descriptor."""

    def __init__(self, fd: int, max_message: int = MAX_MESSAGE, max_elements: int | None = None):
        self.fd = fd
        self.max_message = max_message
        self.max_elements = max_elements  # values one message may decode to (None: any number)
        self._buf = bytearray()
        self._chunks: queue.Queue[bytes | Exception] | None = None
        self.closed = False

    def close(self) -> None:
        """Read no more (the descriptor is about to be closed, and its number may be reused)."""
        self.closed = True

    def fill(self, timeout: float | None) -> bool:
        """Read what the pipe has into the buffer, waiting up to ``timeout`` (None: forever); False on timeout."""
        if self.closed:
            raise ChannelClosed("the channel is closed")
        if timeout is not None and not _CAN_SELECT_PIPES:
            return self._fill_from_thread(timeout)
        if timeout is not None:
            ready, _, _ = select.select([self.fd], [], [], max(0.0, timeout))
            if not ready:
                return False
        try:
            chunk = os.read(self.fd, 1 << 16)
        except OSError as e:
            raise ChannelClosed(str(e)) from None
        if not chunk:
            raise ChannelClosed("end of stream")
        self._buf += chunk
        return True

    def _fill_from_thread(self, timeout: float) -> bool:
        """Where ``select`` cannot wait on pipes (Windows), a thread reads and this waits on its queue."""
        if self._chunks is None:
            self._chunks = queue.Queue()
            threading.Thread(target=self._pump, name=f"pipe-reader-{self.fd}", daemon=True).start()
        try:
            chunk = self._chunks.get(timeout=max(0.0, timeout))
        except queue.Empty:
            return False
        if isinstance(chunk, Exception):
            raise chunk
        self._buf += chunk
        return True

    def _pump(self) -> None:
        assert self._chunks is not None
        while not self.closed:  # once closed, the descriptor's number may belong to another file
            try:
                chunk = os.read(self.fd, 1 << 16)
            except OSError as e:
                self._chunks.put(ChannelClosed(str(e)))
                return
            if not chunk:
                self._chunks.put(ChannelClosed("end of stream"))
                return
            self._chunks.put(chunk)

    def read(self, timeout: float | None = None) -> Message | None:
        """The next message; None when ``timeout`` (seconds) passes first. Raises :class:`ChannelClosed`."""
        import time

        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            if len(self._buf) >= 4:
                (n,) = _HEADER.unpack_from(self._buf)
                if n > self.max_message:
                    raise MessageTooLarge(f"a message of {n} bytes is larger than the {self.max_message} allowed")
                if len(self._buf) >= 4 + n:
                    body = bytes(self._buf[4 : 4 + n])
                    del self._buf[: 4 + n]
                    if self.max_elements is not None and n > self.max_elements:
                        count = count_elements(body, self.max_elements)
                        if count > self.max_elements:
                            raise MessageTooLarge(
                                f"a message of {count:,} values is more than the "
                                f"{self.max_elements:,} allowed (the message_elements limit)"
                            )
                    return decode(body)
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                return None
            if not self.fill(left):
                return None


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]
