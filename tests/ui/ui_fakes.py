"""A tiny stand-in for ``app.runner.Runner`` used by the UI tests that do not need real workers."""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any


@dataclass
class FakeFailure:
    code: str
    message: str
    file: str | None = None
    line: int | None = None
    column: int | None = None
    traceback: list = field(default_factory=list)


@dataclass
class FakeFrame:
    file: str
    line: int
    function: str = ""


@dataclass
class FakeResult:
    status: str
    value: Any = None
    failure: Any = None
    duration_s: float = 0.0
    stats: dict = field(default_factory=dict)


@dataclass
class FakeDiagnostic:
    file: str
    line: int
    column: int
    message: str
    severity: str = "error"


class FakeRun:
    def __init__(self) -> None:
        self.cancelled = threading.Event()
        self.finished = threading.Event()
        self.result: FakeResult | None = None

    def cancel(self) -> None:
        self.cancelled.set()

    @property
    def done(self) -> bool:
        return self.finished.is_set()

    def wait(self, timeout: float | None = None) -> FakeResult | None:
        self.finished.wait(timeout)
        return self.result


class FakeRepl:
    def __init__(self) -> None:
        self.env: dict[str, Any] = {}
        self.closed = False

    def eval(self, source: str, observer: Any) -> FakeResult:
        try:
            if "=" in source and "==" not in source:
                name, expr = source.split("=", 1)
                self.env[name.replace("local", "").strip()] = eval(expr, {}, dict(self.env))  # noqa: S307
                return FakeResult("ok", None)
            if source.startswith("print("):
                observer.on_output("stdout", f"{eval(source[6:-1], {}, dict(self.env))}\n")  # noqa: S307
                return FakeResult("ok", None)
            return FakeResult("ok", eval(source, {}, dict(self.env)))  # noqa: S307
        except Exception as e:
            return FakeResult("error", failure=FakeFailure("runtime", str(e), "<repl>", 1))

    def close(self) -> None:
        self.closed = True


class FakeRunner:
    """Scripted by the spell text: ``HANG`` loops until cancelled, ``FAIL`` fails at line 2, ``FLOOD`` prints a lot;
    every run prints a greeting, logs at each level and reports one LLM span with a parent agent span."""

    def __init__(self) -> None:
        self.started: list[tuple[str, Any]] = []
        self.checks = 0
        self.repls: list[FakeRepl] = []

    def start(self, path: str, source: str | None = None, options: Any = None, observer: Any = None) -> FakeRun:
        self.started.append((path, options))
        run = FakeRun()
        threading.Thread(target=self._go, args=(run, path, source or "", options, observer), daemon=True).start()
        return run

    def _go(self, run: FakeRun, path: str, source: str, options: Any, obs: Any) -> None:
        t0 = time.monotonic()
        inputs = getattr(options, "inputs", None)
        obs.on_output("stdout", f"hello {inputs!r}\n")
        for level in ("debug", "info", "warn", "error"):
            obs.on_output(level, f"a {level} message")
        obs.on_span({"id": "a1", "parent": None, "kind": "agent", "name": "Agent.run", "start": 1.0, "end": None,
                     "model": None, "request": {"input": "task"}, "response": None, "tokens": None, "cost": None,
                     "error": None, "file": path, "line": 1})
        obs.on_span({"id": "s1", "parent": "a1", "kind": "llm", "name": "LLM.chat", "start": 1.0, "end": 1.25,
                     "model": "offline/echo",
                     "request": {"messages": [{"role": "system", "content": "Be brief."},
                                              {"role": "user", "content": "Say hi to Ada"}]},
                     "response": {"choices": [{"message": {"role": "assistant", "content": "Hi Ada!"}}]},
                     "tokens": {"prompt": 7, "completion": 3, "total": 10}, "cost": 0.0012, "error": None,
                     "file": path, "line": 2})
        obs.on_span({"id": "a1", "parent": None, "kind": "agent", "name": "Agent.run", "start": 1.0, "end": 1.5,
                     "model": None, "request": {"input": "task"}, "response": {"output": "done"}, "tokens": None,
                     "cost": None, "error": None, "file": path, "line": 1})
        if "FLOOD" in source:
            for i in range(20000):
                obs.on_output("stdout", f"line {i} " + "x" * 60 + "\n")
        if "HANG" in source:
            while not run.cancelled.wait(0.05):
                pass
            result = FakeResult("cancelled", duration_s=time.monotonic() - t0)
        elif "FAIL" in source:
            result = FakeResult("error", failure=FakeFailure("runtime", "attempt to call a nil value", path, 2, None,
                                                             [FakeFrame(path, 2, "main")]),
                                duration_s=time.monotonic() - t0, stats={"tokens": 10, "cost": 0.0012})
        else:
            result = FakeResult("ok", {"greeted": "world"}, duration_s=time.monotonic() - t0,
                                stats={"tokens": 10, "cost": 0.0012})
        run.result = result
        run.finished.set()
        obs.on_finished(result)

    def check(self, source: str, path: str, language: str | None = None) -> list[FakeDiagnostic]:
        self.checks += 1
        out = []
        for n, line in enumerate(source.split("\n"), 1):
            i = line.find("= =")
            if i >= 0:
                out.append(FakeDiagnostic(path, n, i + 3, "unexpected symbol near '='"))
        return out

    def repl(self, language: str) -> FakeRepl:
        r = FakeRepl()
        self.repls.append(r)
        return r

    def shutdown(self) -> None:
        pass
