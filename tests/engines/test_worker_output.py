"""The worker's output batching: prints are sent in batches, late text is flushed by a thread that sleeps
while there is nothing to flush (an idle warm worker never wakes up)."""

from __future__ import annotations

import sys
import threading
import time

from app.engines.worker import FLUSH_INTERVAL_S, OutputBuffer


class Channel:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []
        self.event = threading.Event()

    def send(self, msg) -> None:
        self.sent.append((msg.stream, msg.text))
        self.event.set()


def test_text_written_between_flushes_is_sent_by_the_flusher() -> None:
    channel = Channel()
    out = OutputBuffer(channel)  # type: ignore[arg-type]
    threading.Thread(target=out.run_flusher, daemon=True).start()
    out.write("stdout", "first\n")  # the first write flushes at once (nothing was sent for 20 ms)
    out.write("stdout", "second\n")
    out.write("stdout", "third\n")
    assert channel.event.wait(5)
    deadline = time.monotonic() + 5
    while len(channel.sent) < 2 and time.monotonic() < deadline:
        time.sleep(0.005)
    assert channel.sent == [("stdout", "first\n"), ("stdout", "second\nthird\n")]


def test_the_flusher_sleeps_while_nothing_is_pending() -> None:
    out = OutputBuffer(Channel())  # type: ignore[arg-type]
    flusher = threading.Thread(target=out.run_flusher, daemon=True)
    flusher.start()
    time.sleep(FLUSH_INTERVAL_S * 3)
    assert not out._pending.is_set()  # it waits on this event, not on a timer
    frame = sys._current_frames()[flusher.ident]
    assert frame.f_code.co_name == "wait"  # blocked in Event.wait, not sleeping in a timed loop
