"""The engine pool: warm workers, concurrency, replacement of killed and crashed workers, recycling."""

from __future__ import annotations

import os
import signal
import time

import pytest

from app.engines.pool import EnginePool
from app.runner import Runner, RunOptions

SPIN = "while true do end"


def _wait(predicate, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


@pytest.fixture
def small_runner():
    r = Runner(pool=EnginePool(warm={"lua": 1}, max_runs=3))
    assert r.pool.wait_warm(60)
    yield r
    r.shutdown()
    r.pool.shutdown()


def test_warm_acquire_needs_no_cold_start(small_runner):
    before = small_runner.pool.cold_starts
    result = small_runner.run("a.lua", "return 1")
    assert result.status == "ok"
    assert small_runner.pool.cold_starts == before


def test_each_run_gets_a_fresh_runtime(small_runner):
    small_runner.run("a.lua", "leaked = 'x'; string.upper = nil")
    result = small_runner.run("b.lua", "return {leaked == nil, string.upper('a')}")
    assert result.value == [True, "A"]


def test_concurrent_runs(runner):
    src = "local t = os.clock() while os.clock() - t < 0.3 do end return INPUT"
    runs = [runner.start("c.lua", src, RunOptions(inputs=i)) for i in range(4)]
    results = [r.wait(30) for r in runs]
    assert [r.value for r in results] == [0, 1, 2, 3]
    assert len({r.stats["worker_pid"] for r in results}) == 4


def test_stopping_a_run_replaces_its_worker(small_runner):
    run = small_runner.start("spin.lua", SPIN)
    assert _wait(lambda: run.worker is not None and small_runner.pool.ready_count("lua") == 1)
    pid = run.worker.pid
    time.sleep(0.1)
    t = time.monotonic()
    run.cancel()
    result = run.wait(5)
    assert time.monotonic() - t < 1.0
    assert result.status == "cancelled" and result.exit_code == 130
    assert _wait(lambda: not os.path.exists(f"/proc/{pid}") or _is_zombie(pid))
    assert small_runner.run("ok.lua", "return 'fine'").value == "fine"


def test_a_crashed_worker_is_reported_and_replaced(small_runner):
    run = small_runner.start("spin.lua", SPIN)
    assert _wait(lambda: run.worker is not None)
    time.sleep(0.2)
    os.kill(run.worker.pid, signal.SIGSEGV)
    result = run.wait(10)
    assert result.status == "crashed" and result.exit_code == 4
    assert "SIGSEGV" in result.failure.message
    assert small_runner.pool.replaced >= 1
    assert _wait(lambda: small_runner.pool.ready_count("lua") >= 1)
    assert small_runner.run("ok.lua", "return 2").value == 2


def test_workers_are_recycled_after_max_runs(small_runner):
    pids = [small_runner.run("r.lua", "return 1").stats["worker_pid"] for _ in range(7)]
    # max_runs=3: no worker serves more than three runs
    for pid in set(pids):
        assert pids.count(pid) <= 3
    assert len(set(pids)) >= 3


def test_workers_are_recycled_when_memory_grows():
    r = Runner(pool=EnginePool(warm={"lua": 1}, max_rss_mb=1))
    try:
        a = r.run("m.lua", "return 1").stats["worker_pid"]
        b = r.run("m.lua", "return 1").stats["worker_pid"]
        assert a != b
    finally:
        r.shutdown()


def test_worker_environment_is_scrubbed(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret-from-the-host")
    pool = EnginePool(warm={"lua": 1})
    try:
        w = pool.acquire("lua")
        with open(f"/proc/{w.pid}/environ", "rb") as f:
            env = f.read()
        assert b"sk-secret" not in env and b"OPENAI_API_KEY" not in env
        assert os.getpgid(w.pid) == w.pid  # its own session/process group
        with open(f"/proc/{w.pid}/limits") as f:
            limits = f.read()
        assert "Max file size" in limits and " 0 " in limits.split("Max file size")[1].splitlines()[0]
        pool.release(w, {"runs": 1})
    finally:
        pool.shutdown()


def _is_zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split()[2] == "Z"
    except OSError:
        return True


def test_message_reader_without_select_on_pipes(monkeypatch):
    """Windows cannot select() on pipes: the reader then waits on a reading thread's queue, same behaviour."""
    from app.engines import protocol

    monkeypatch.setattr(protocol, "_CAN_SELECT_PIPES", False)
    r, w = os.pipe()
    reader = protocol.MessageReader(r)
    assert reader.read(0.05) is None
    os.write(w, protocol.encode(protocol.Output("run", "stdout", "hi\n")))
    assert reader.read(2) == protocol.Output("run", "stdout", "hi\n")
    os.close(w)
    with pytest.raises(protocol.ChannelClosed):
        reader.read(2)
    os.close(r)


def test_cold_workers_outlive_the_thread_that_asked_for_them():
    """PDEATHSIG follows the forking *thread*: workers are forked by pool threads, never by a run's thread."""
    r = Runner(warm={"lua": 0, "js": 0})
    try:
        results = []
        for i in range(4):  # each run on its own short-lived thread; the worker is reused by the next
            run = r.start("t.lua", f"return {i}")
            results.append(run.wait(30))
            time.sleep(0.1)
        assert [res.status for res in results] == ["ok"] * 4
        assert [res.value for res in results] == [0, 1, 2, 3]
        assert len({res.stats["worker_pid"] for res in results}) == 1
    finally:
        r.shutdown()


def test_a_closed_worker_never_writes_to_a_reused_descriptor(tmp_path):
    # A run's thread may still hold a worker that the pool has closed (a late answer to a stopped spell). The
    # closed pipe's descriptor number is free for the next file opened (another worker's pipe, a socket, a
    # database): the late send must fail, not write there.
    from app.engines.pool import WorkerProcess
    from app.engines.protocol import Shutdown

    w = WorkerProcess("lua")
    w.wait_ready()
    number = w._write_fd
    w.close()
    victims = []  # open files until one gets the pipe's old number (new files take the lowest free numbers)
    try:
        while len(victims) < 64 and (not victims or victims[-1].fileno() != number):
            victims.append(open(tmp_path / f"victim{len(victims)}.bin", "wb", buffering=0))
        assert victims[-1].fileno() == number
        with pytest.raises(OSError):
            w.send(Shutdown())
    finally:
        for f in victims:
            f.close()
    assert all(p.read_bytes() == b"" for p in tmp_path.glob("victim*.bin"))


def test_workers_started_for_a_burst_of_runs_exit_afterwards(small_runner):
    # Five runs at once on a pool that keeps one Lua worker warm: four start cold. When they are done, the pool
    # keeps two ready (one run after another then never waits for a cold start); the others exit.
    runs = [
        small_runner.start(f"b{i}.lua", "local t = os.clock() while os.clock() - t < 0.3 do end return 1", RunOptions())
        for i in range(5)
    ]
    assert all(r.wait(30).ok for r in runs)
    pids = {r.result.stats["worker_pid"] for r in runs}
    assert len(pids) == 5
    assert small_runner.pool.ready_count("lua") == 2
    assert _wait(lambda: sum(_alive(pid) for pid in pids) <= 2)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split()[2] != "Z"  # a zombie is dead (not yet reaped)
    except FileNotFoundError:
        return False


def test_a_closed_worker_leaves_no_descriptor_open():
    from app.engines.pool import WorkerProcess

    w = WorkerProcess("lua")
    w.wait_ready()
    fds = [w._write_fd, w.reader.fd, w.proc.stderr.fileno()]
    w.close()

    def all_closed() -> bool:
        for fd in fds:
            try:
                os.fstat(fd)
                return False
            except OSError:
                pass
        return True

    assert _wait(all_closed)  # stderr closes when its drain thread sees the end of the stream


def test_runs_one_after_another_reuse_their_workers():
    # Each run takes a warm worker and the pool starts a replacement; the finished worker is kept too, so runs
    # one after another alternate between two workers instead of starting (and retiring) one per run.
    r = Runner(pool=EnginePool(warm={"lua": 1}))
    try:
        assert r.pool.wait_warm(60)
        pids = set()
        for i in range(6):
            result = r.run(
                f"seq{i}.lua", "local t = os.clock() while os.clock() - t < 0.2 do end return 1", RunOptions()
            )  # long enough for the replacement to start meanwhile
            assert result.ok
            pids.add(result.stats["worker_pid"])
            assert _wait(lambda: r.pool.ready_count("lua") >= 1)
        assert len(pids) <= 2
    finally:
        r.shutdown()
