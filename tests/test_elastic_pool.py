"""The runner's thread pool: work never waits behind busy threads; idle threads are reused, then given back."""

from __future__ import annotations

import threading
import time

import pytest

from app.elastic_pool import ElasticPool


def _wait_for(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not predicate() and time.monotonic() < deadline:
        time.sleep(0.005)
    return predicate()


def test_blocked_tasks_never_hold_up_new_ones():
    pool = ElasticPool("t", idle_s=5)
    release = threading.Event()
    started = []
    for i in range(20):  # each waits for the last one: only possible if all run at once
        pool.submit(lambda i=i: (started.append(i), release.wait(10)))
    assert _wait_for(lambda: len(started) == 20)
    release.set()
    pool.shutdown()


def test_idle_threads_are_reused_then_exit():
    pool = ElasticPool("t", idle_s=0.3)
    names = []
    done = threading.Event()
    pool.submit(lambda: (names.append(threading.current_thread().name), done.set()))
    assert done.wait(5)
    assert _wait_for(lambda: pool._unclaimed == 1)  # back to idle
    for _ in range(5):
        done.clear()
        pool.submit(lambda: (names.append(threading.current_thread().name), done.set()))
        assert done.wait(5)
        assert _wait_for(lambda: pool._unclaimed == 1)
    assert len(set(names)) == 1 and pool.threads == 1  # one thread did everything
    assert _wait_for(lambda: pool.threads == 0)  # and left after its idle time


def test_a_failing_task_does_not_lose_the_thread(caplog):
    pool = ElasticPool("t", idle_s=5)
    done = threading.Event()
    pool.submit(lambda: 1 / 0)
    assert _wait_for(lambda: pool._unclaimed == 1)
    pool.submit(done.set)
    assert done.wait(5) and pool.threads == 1
    assert "ZeroDivisionError" in caplog.text


def test_no_work_after_shutdown():
    pool = ElasticPool("t")
    pool.shutdown()
    with pytest.raises(RuntimeError):
        pool.submit(print)
