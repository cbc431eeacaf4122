"""The worker's bookkeeping of concurrent calls (app/engines/worker.py WorkerHost): the per-run cap, the queue
behind it and its bound, cancellation, answers by id. A real pipe stands for the host."""

from __future__ import annotations

import os

import pytest

from app.engines import worker as worker_module
from app.engines.base import BridgeFault
from app.engines.protocol import BridgeCall, BridgeResult, CancelCall, MessageReader, RunRequest, encode, write_all
from app.engines.worker import Channel, OutputBuffer, WorkerHost


class _Worker:
    """The parts of app.engines.worker.Worker a WorkerHost uses."""

    def __init__(self, channel: Channel):
        self.channel = channel
        self.out = OutputBuffer(channel)

    def debug_command(self, msg: object) -> None:
        raise AssertionError("no debug commands here")


@pytest.fixture
def pipes():
    to_worker_r, to_worker_w = os.pipe()
    to_host_r, to_host_w = os.pipe()
    channel = Channel(to_worker_r, to_host_w)
    host_reader = MessageReader(to_host_r)
    yield channel, host_reader, to_worker_w
    for fd in (to_worker_r, to_worker_w, to_host_r, to_host_w):
        os.close(fd)


def _host(channel: Channel, cap: int) -> WorkerHost:
    req = RunRequest("r1", "run", "lua", "", "spell.lua", None, limits={"max_concurrent_calls": cap})
    return WorkerHost(_Worker(channel), req)  # type: ignore[arg-type]


def _answer(fd: int, call_id: int, value: object) -> None:
    write_all(fd, encode(BridgeResult(call_id, value=value)))


def test_calls_past_the_cap_wait_and_go_out_as_slots_free(pipes):
    channel, host_side, to_worker = pipes
    wh = _host(channel, cap=2)
    ids = [wh.send_call("LLM", "complete", [f"q{i}"], None, 3, {}) for i in range(4)]
    sent = [host_side.read(1.0) for _ in range(2)]
    assert [m.call_id for m in sent] == ids[:2] and all(isinstance(m, BridgeCall) and m.concurrent for m in sent)
    assert host_side.read(0.05) is None  # the other two wait in the worker
    assert wh.pending_calls() == 4
    _answer(to_worker, ids[1], "second")
    got = wh.wait_any(1.0)
    assert (got.call_id, got.value) == (ids[1], "second")
    assert host_side.read(1.0).call_id == ids[2]  # a slot freed: the next queued call went out


def test_a_cancelled_call_keeps_its_slot_until_the_host_answers_and_its_answer_is_dropped(pipes):
    channel, host_side, to_worker = pipes
    wh = _host(channel, cap=1)
    first = wh.send_call("LLM", "complete", ["a"], None, 1, {}, abortable=True)
    queued = wh.send_call("LLM", "complete", ["b"], None, 2, {})
    assert host_side.read(1.0).abortable is True
    wh.cancel_call(queued)  # never sent: just dropped
    wh.cancel_call(first)  # sent: the host is told
    msg = host_side.read(1.0)
    assert isinstance(msg, CancelCall) and msg.call_id == first
    assert wh.pending_calls() == 0
    _answer(to_worker, first, "too late")
    assert wh.wait_any(0.2) is None  # dropped; nothing else is pending
    assert not wh.in_flight


def test_the_queue_behind_the_cap_is_bounded(pipes, monkeypatch):
    channel, _host_side, _to_worker = pipes
    monkeypatch.setattr(worker_module, "MAX_QUEUED_CALLS", 3)
    wh = _host(channel, cap=1)
    for i in range(4):  # one in flight, three queued
        wh.send_call("JSON", "encode", [i], None, 1, {})
    with pytest.raises(BridgeFault) as e:
        wh.send_call("JSON", "encode", [5], None, 1, {})
    assert e.value.code == "limit_exceeded"


def test_wait_any_without_calls_or_timeout_returns_at_once(pipes):
    channel, _host_side, _to_worker = pipes
    assert _host(channel, cap=4).wait_any(None) is None
