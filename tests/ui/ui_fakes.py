"""A tiny stand-in for ``app.runner.Runner`` used by the UI tests that do not need real workers.

It implements :class:`app.runs.SpellRunner` (checked by ``tests/ui/test_run.py``) and returns the real result types
(:class:`RunResult`, :class:`SpellFailure`, :class:`Diagnostic`), so the UI never has to tolerate a stand-in."""

from __future__ import annotations

import threading
import time
import uuid
from typing import Any

from app.debugger.session import DebugSession
from app.engines.base import Diagnostic, Frame, SpellFailure
from app.runs import RunOptions, RunResult, RunStatus


class FakeRun:
    """A :class:`app.runs.RunHandle`."""

    def __init__(self) -> None:
        self.run_id = uuid.uuid4().hex[:12]
        self.cancelled = threading.Event()
        self.finished = threading.Event()
        self.result: RunResult | None = None

    def cancel(self) -> None:
        self.cancelled.set()

    @property
    def done(self) -> bool:
        return self.finished.is_set()

    def wait(self, timeout: float | None = None) -> RunResult | None:
        self.finished.wait(timeout)
        return self.result


class FakeRepl:
    """A :class:`app.runs.ReplHandle` evaluating Python expressions."""

    def __init__(self, options: RunOptions | None = None) -> None:
        self.env: dict[str, Any] = {}
        self.closed = False
        self.options = options

    def eval(self, source: str, observer: Any = None) -> RunResult:
        try:
            if "=" in source and "==" not in source:
                name, expr = source.split("=", 1)
                self.env[name.replace("local", "").strip()] = eval(expr, {}, dict(self.env))  # noqa: S307
                return RunResult(RunStatus.OK, None)
            if source.startswith("print("):
                observer.on_output("stdout", f"{eval(source[6:-1], {}, dict(self.env))}\n")  # noqa: S307
                return RunResult(RunStatus.OK, None)
            return RunResult(RunStatus.OK, eval(source, {}, dict(self.env)))  # noqa: S307
        except Exception as e:
            return RunResult(RunStatus.ERROR, failure=SpellFailure("runtime", str(e), "<repl>", 1))

    def cancel(self) -> None:
        pass

    def close(self) -> None:
        self.closed = True


class FakeRunner:
    """Scripted by the spell text: ``HANG`` loops until cancelled, ``FAIL`` fails at line 2, ``FLOOD`` prints a lot;
    every run prints a greeting, logs at each level and reports one LLM span with a parent agent span."""

    def __init__(self) -> None:
        self.started: list[tuple[str, Any]] = []
        self.debugged: list[DebugSession] = []
        self.checks = 0
        self.repls: list[FakeRepl] = []

    def start(
        self, path: str, source: str | None = None, options: RunOptions | None = None, observer: Any = None
    ) -> FakeRun:
        self.started.append((path, options))
        run = FakeRun()
        threading.Thread(target=self._go, args=(run, path, source or "", options, observer), daemon=True).start()
        return run

    def debug(
        self,
        path: str,
        session: DebugSession,
        source: str | None = None,
        options: RunOptions | None = None,
        observer: Any = None,
    ) -> FakeRun:
        """Runs as :meth:`start` does (no debugger behind it): the session is recorded."""
        self.debugged.append(session)
        return self.start(path, source, options, observer)

    def _go(self, run: FakeRun, path: str, source: str, options: Any, obs: Any) -> None:
        t0 = time.monotonic()
        inputs = getattr(options, "inputs", None)
        obs.on_output("stdout", f"hello {inputs!r}\n")
        for level in ("debug", "info", "warn", "error"):
            obs.on_output(level, f"a {level} message")
        obs.on_span(
            {
                "id": "a1",
                "parent": None,
                "kind": "agent",
                "name": "Agent.run",
                "start": 1.0,
                "end": None,
                "model": None,
                "request": {"input": "task"},
                "response": None,
                "tokens": None,
                "cost": None,
                "error": None,
                "file": path,
                "line": 1,
            }
        )
        obs.on_span(
            {
                "id": "s1",
                "parent": "a1",
                "kind": "llm",
                "name": "LLM.chat",
                "start": 1.0,
                "end": 1.25,
                "model": "offline/echo",
                "request": {
                    "messages": [
                        {"role": "system", "content": "Be brief."},
                        {"role": "user", "content": "Say hi to Ada"},
                    ]
                },
                "response": {"choices": [{"message": {"role": "assistant", "content": "Hi Ada!"}}]},
                "tokens": {"prompt": 7, "completion": 3, "total": 10},
                "cost": 0.0012,
                "error": None,
                "file": path,
                "line": 2,
            }
        )
        obs.on_span(
            {
                "id": "a1",
                "parent": None,
                "kind": "agent",
                "name": "Agent.run",
                "start": 1.0,
                "end": 1.5,
                "model": None,
                "request": {"input": "task"},
                "response": {"output": "done"},
                "tokens": None,
                "cost": None,
                "error": None,
                "file": path,
                "line": 1,
            }
        )
        if "FLOOD" in source:
            for i in range(20000):
                obs.on_output("stdout", f"line {i} " + "x" * 60 + "\n")
        if "HANG" in source:
            while not run.cancelled.wait(0.05):
                pass
            result = RunResult(RunStatus.CANCELLED, duration_s=time.monotonic() - t0)
        elif "FAIL" in source:
            result = RunResult(
                RunStatus.ERROR,
                failure=SpellFailure("runtime", "attempt to call a nil value", path, 2, None, [Frame(path, 2, "main")]),
                duration_s=time.monotonic() - t0,
                stats={"tokens": 10, "cost": 0.0012},
            )
        else:
            result = RunResult(
                RunStatus.OK,
                {"greeted": "world"},
                duration_s=time.monotonic() - t0,
                stats={"tokens": 10, "cost": 0.0012},
            )
        run.result = result
        run.finished.set()
        obs.on_finished(result)

    def check(self, source: str, path: str, language: str | None = None) -> list[Diagnostic]:
        self.checks += 1
        out = []
        for n, line in enumerate(source.split("\n"), 1):
            i = line.find("= =")
            if i >= 0:
                out.append(Diagnostic(path, n, i + 3, "unexpected symbol near '='"))
        return out

    def repl(self, language: str, options: RunOptions | None = None) -> FakeRepl:
        r = FakeRepl(options)
        self.repls.append(r)
        return r

    def shutdown(self) -> None:
        pass


class SharedRunner:
    """The suite's real runner, which windows must not shut down (a :class:`app.runs.SpellRunner`)."""

    def __init__(self, runner: Any) -> None:
        self.runner = runner

    def start(self, path: str, source: str | None = None, options: Any = None, observer: Any = None) -> Any:
        return self.runner.start(path, source, options, observer)

    def debug(
        self, path: str, session: Any, source: str | None = None, options: Any = None, observer: Any = None
    ) -> Any:
        return self.runner.debug(path, session, source, options, observer)

    def check(self, source: str, path: str, language: str | None = None) -> Any:
        return self.runner.check(source, path, language)

    def repl(self, language: str, options: Any = None) -> Any:
        return self.runner.repl(language, options)

    def shutdown(self) -> None:
        pass
