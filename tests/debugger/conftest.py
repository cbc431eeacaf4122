"""Helpers for debugger tests: spells in a temp folder, debug runs through the real runner and worker."""

from __future__ import annotations

import os
import textwrap
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from app.debugger.session import BreakpointStore, CallBreakpoints, DebugSession
from app.runner import Run, RunOptions

WAIT = 20.0


class Debugged:
    """A debug run in flight: the run, its session and the spell's path."""

    def __init__(self, run: Run, session: DebugSession, path: str):
        self.run = run
        self.session = session
        self.path = path

    def stop(self) -> Any:
        """Wait for the next stop; fail the test when the run ends instead."""
        st = self.session.wait_paused(WAIT)
        assert st is not None, f"expected a stop, run ended: {self.run.result}"
        return st

    def step(self, how: str) -> Any:
        getattr(self.session, how)()
        return self.stop()

    def finish(self) -> Any:
        """Continue until the end (no more stops expected) and return the RunResult."""
        if self.session.state == "paused":
            self.session.continue_()
        res = self.run.wait(WAIT)
        assert res is not None, "the run did not end"
        return res

    def locals(self, frame: int = 1) -> dict[str, str]:
        scopes = self.session.scopes(frame)
        ref = next(s["ref"] for s in scopes if s["name"] == "Locals")
        return {v["name"]: v["value"] for v in self.session.variables(ref)["items"]}


@pytest.fixture
def spell(tmp_path: Any) -> Callable[..., str]:
    """``spell("name.lua", source)`` writes a spell (dedented) and returns its path."""

    def write(name: str, source: str) -> str:
        path = os.path.join(str(tmp_path), name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(textwrap.dedent(source).lstrip("\n"))
        return path

    return write


@pytest.fixture
def debug(runner: Any) -> Iterator[Callable[..., Debugged]]:
    """``debug(path, breakpoints=[(line, {...})], **session options)`` starts a debug run."""
    started: list[Debugged] = []

    def start(
        path: str,
        breakpoints: list[Any] | None = None,
        store: BreakpointStore | None = None,
        calls: CallBreakpoints | None = None,
        break_on_error: bool = True,
        inputs: Any = None,
        instrument: str = "breakpoints",
        timeout_s: float | None = None,
    ) -> Debugged:
        store = store or BreakpointStore()
        for bp in breakpoints or []:
            line, opts = (bp, {}) if isinstance(bp, int) else bp
            store.add(opts.pop("file", path), line, **opts)
        session = DebugSession(store, break_on_error=break_on_error, calls=calls, instrument=instrument)
        run = runner.debug(path, session, options=RunOptions(inputs=inputs, timeout_s=timeout_s))
        d = Debugged(run, session, path)
        started.append(d)
        return d

    yield start
    for d in started:
        if not d.run.done:
            d.run.cancel()
            d.run.wait(10)
