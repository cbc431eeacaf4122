"""The worker's channel during a debug run, for every debug agent (Lua, Tengo, JS).

A reader thread owns the channel's input for the length of the run and fills an inbox: the worker's bridge-call
loop keeps reading its messages through ``channel.read`` (replaced here), and a debug command (or a shutdown)
sets :attr:`DebugInbox.pending`, which the agent checks where the spell can stop. An agent that must make the
spell reach such a point (Lua: a count hook) passes ``nudge``, called when a command arrives and again every
``renudge_s`` until the agent takes it. ``next_command`` hands the agent its commands (blocking while the spell is
stopped); a shutdown, or the host going away, ends the worker.
"""

from __future__ import annotations

import logging
import os
import select
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from app.engines.protocol import ChannelClosed, DebugCommand, DebugReply, Shutdown

log = logging.getLogger(__name__)


class DebugInbox:
    """Owns ``worker.channel``'s input from :meth:`start` to :meth:`close`."""

    def __init__(self, worker: Any, name: str, nudge: Callable[[], None] | None = None, renudge_s: float | None = None):
        self.worker = worker
        self._nudge = nudge
        self._renudge_s = renudge_s
        self.channel = worker.channel
        self.name = name
        #: a command (or a shutdown) waits: read by the agent at its safe points
        self.pending = False
        self._cv = threading.Condition()
        self._inbox: deque[Any] = deque()
        self._closed_channel = False
        self._wake_r, self._wake_w = os.pipe()
        self._stop_reader = False
        self._orig_read = self.channel.read
        self._reader = threading.Thread(target=self._reader_loop, name=name, daemon=True)

    def start(self) -> None:
        """Take the channel's input (``channel.read`` reads the inbox from now on)."""
        self.channel.read = self.read
        self._reader.start()

    def close(self) -> None:
        """Give the channel back to the worker."""
        self._stop_reader = True
        os.write(self._wake_w, b"x")
        if self._reader.is_alive():
            self._reader.join(5.0)
        os.close(self._wake_r)
        os.close(self._wake_w)
        try:
            del self.channel.read
        except AttributeError:
            self.channel.read = self._orig_read

    def _reader_loop(self) -> None:
        reader = self.channel.reader
        fd = reader.fd
        while not self._stop_reader:
            try:
                while True:
                    msg = reader.read(0.0)
                    if msg is None:
                        break
                    with self._cv:
                        self._inbox.append(msg)
                        if isinstance(msg, (DebugCommand, Shutdown)):
                            self.pending = True
                        self._cv.notify_all()
                    if isinstance(msg, DebugCommand) and self._nudge is not None:
                        self._nudge()
                waiting = self._nudge is not None and self.undelivered()
                ready, _, _ = select.select([fd, self._wake_r], [], [], self._renudge_s if waiting else None)
                if self._stop_reader:
                    return
                if fd in ready:
                    reader.fill(0.0)
                elif not ready and self._nudge is not None and self.undelivered():
                    self._nudge()  # the spell has not reached a stopping point yet
            except ChannelClosed:
                with self._cv:
                    self._closed_channel = True
                    self.pending = True
                    self._cv.notify_all()
                return
            except Exception:
                log.exception("debug reader failed")
                return

    def undelivered(self) -> bool:
        """Whether a debug command waits for the agent."""
        with self._cv:
            return any(isinstance(m, DebugCommand) for m in self._inbox)

    def unread(self) -> int:
        """Messages other than debug commands nobody read (at the end of a run: a sign of a lost message)."""
        with self._cv:
            return sum(1 for m in self._inbox if not isinstance(m, DebugCommand))

    def read(self, timeout: float | None = None) -> Any:
        """``Channel.read`` during the debug run (the worker's call loops read here): the next message, or None
        when ``timeout`` seconds pass first."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cv:
            while not self._inbox:
                if self._closed_channel:
                    raise ChannelClosed("end of stream")
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return None
                self._cv.wait(left)
            return self._inbox.popleft()

    def next_command(self, block: bool) -> DebugCommand | None:
        """The next debug command (None when none waits and ``block`` is False); a shutdown or the host going
        away ends the worker process (nobody will resume the run)."""
        with self._cv:
            while True:
                for i, m in enumerate(self._inbox):
                    if isinstance(m, DebugCommand):
                        del self._inbox[i]
                        return m
                    if isinstance(m, Shutdown):
                        os._exit(0)
                if self._closed_channel:
                    os._exit(0)
                self.pending = False
                if not block:
                    return None
                self._cv.wait()

    def reply(self, msg: DebugCommand, value: Any = None, error: str | None = None) -> None:
        if msg.request_id:
            self.channel.send(DebugReply(msg.request_id, value, error))

    def event(self, name: str, **data: Any) -> None:
        """An unsolicited message to the session (``breakpoints`` when a file loads)."""
        self.channel.send(DebugReply(0, {"event": name, **data}))
