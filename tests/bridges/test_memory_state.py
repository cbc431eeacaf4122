"""A test's State: every scope in memory, private to the store, safe from several threads at once."""

from __future__ import annotations

import threading

from app.bridges.registry import BridgeContext
from app.bridges.state import MemoryStateStore


def test_memory_state_is_private_and_thread_safe(tmp_path) -> None:
    ctx = BridgeContext(workspace=str(tmp_path))
    store = MemoryStateStore(ctx)

    def write(i: int) -> None:
        for j in range(30):
            store.set("workspace", f"k{i}-{j}", j)
            store.set("global", f"g{i}-{j}", j)

    threads = [threading.Thread(target=write, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(store.keys("workspace")) == 180 and len(store.keys("global")) == 180
    assert MemoryStateStore(ctx).keys("workspace") == []  # another test: empty
    assert not list(tmp_path.iterdir())  # nothing written to disk
