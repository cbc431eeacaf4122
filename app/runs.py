"""The seam between front ends and the runner: what a run is asked to do (:class:`RunOptions`), how it ended
(:class:`RunResult`, :class:`RunStatus`), and the protocols the IDE and the terminal debugger program against
(:class:`SpellRunner`, :class:`RunHandle`, :class:`ReplHandle`, :class:`RunObserver`).

:class:`app.runner.Runner` implements them; so does every test fake (``tests/ui/ui_fakes.py``). Light to import
(no bridges, no engines, no Qt): the UI imports it at start-up, before the runner exists.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from app.engines.base import Diagnostic, SpellFailure
from app.engines.profiles import DEFAULT_PROFILE

if TYPE_CHECKING:  # plain runs never import the debugger
    from app.debugger.session import DebugSession

__all__ = [
    "EXIT_CODES",
    "ReplHandle",
    "RunHandle",
    "RunObserver",
    "RunOptions",
    "RunResult",
    "RunStatus",
    "SpellRunner",
]


class RunStatus(StrEnum):
    """How a run ended (a :class:`~enum.StrEnum`: ``RunStatus.OK == "ok"``, and it serialises as the string)."""

    OK = "ok"
    ERROR = "error"  # the spell failed (syntax, runtime, a bridge error it did not catch)
    LIMIT = "limit"  # a limit was hit (time, memory, output, message size)
    CRASHED = "crashed"  # the worker died
    CANCELLED = "cancelled"  # stopped by the user


#: Process exit codes of ``llmspell run`` per status ("usage" is the CLI's own: bad arguments).
EXIT_CODES = {
    RunStatus.OK: 0,
    RunStatus.ERROR: 1,
    "usage": 2,
    RunStatus.LIMIT: 3,
    RunStatus.CRASHED: 4,
    RunStatus.CANCELLED: 130,
}


@dataclass
class RunOptions:
    """How to run a spell. ``None`` limits take the profile's values."""

    inputs: Any = None
    profile: str = DEFAULT_PROFILE
    timeout_s: float | None = None
    memory_mb: int | None = None
    output_bytes: int | None = None
    language: str | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    workspace: str | None = None
    #: debug a run from plain settings (``breakpoints``, ``break_on_error``... see ``DebugSession.from_options``);
    #: to drive the run from a live session use :meth:`Runner.debug`
    debug: dict[str, Any] | None = None
    http_allow: tuple[str, ...] | None = None  # hosts http_get may reach (profiles that allow http)
    limit_overrides: dict[str, int] = field(default_factory=dict)  # profiles.TUNABLE name → value (--limit)
    #: a test file's run: the test API is bound and these options select tests ({filter, line, bail});
    #: the observer hears ``on_test_started(TestStarted)`` and ``on_test_result(TestResult)``
    test: dict[str, Any] | None = None
    #: per-run services the run starts with (a Spell.run child shares its test's mocks, state and cassette)
    services: dict[str, Any] = field(default_factory=dict)


@dataclass
class RunResult:
    """How a run ended."""

    status: RunStatus
    value: Any = None
    failure: SpellFailure | None = None
    duration_s: float = 0.0
    stats: dict[str, Any] = field(default_factory=dict)
    spans: list[dict[str, Any]] = field(default_factory=list)
    run_id: str = ""

    def __post_init__(self) -> None:
        self.status = RunStatus(self.status)

    @property
    def ok(self) -> bool:
        return self.status == RunStatus.OK

    @property
    def exit_code(self) -> int:
        return EXIT_CODES.get(self.status, 1)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["exit_code"] = self.exit_code
        return d


class RunObserver(Protocol):
    """What a front end hears about a run (from background threads)."""

    def on_output(self, stream: str, text: str) -> None: ...
    def on_span(self, span: dict[str, Any]) -> None: ...
    def on_finished(self, result: RunResult) -> None: ...


class RunHandle(Protocol):
    """A run in flight, as front ends hold it: :class:`Run` and every test fake."""

    run_id: str
    result: RunResult | None

    @property
    def done(self) -> bool: ...

    def cancel(self) -> None:
        """Stop the run now (the front end's Stop)."""

    def wait(self, timeout: float | None = None) -> RunResult | None: ...


class ReplHandle(Protocol):
    """A REPL session: one runtime that persists between entries (:class:`ReplSession` and test fakes)."""

    def eval(self, source: str, observer: Any = None) -> RunResult: ...

    def cancel(self) -> None:
        """Stop the entry being evaluated (the next entry gets a fresh runtime)."""

    def close(self) -> None: ...


@runtime_checkable
class SpellRunner(Protocol):
    """What front ends (the IDE, the terminal debugger) need of the runner: run, debug, check, REPL, stop (on the
    :class:`RunHandle`), shut down. :class:`Runner` implements it, and so does every test fake."""

    def start(
        self, path: str, source: str | None = None, options: RunOptions | None = None, observer: Any = None
    ) -> RunHandle: ...

    def debug(
        self,
        path: str,
        session: DebugSession,
        source: str | None = None,
        options: RunOptions | None = None,
        observer: Any = None,
    ) -> RunHandle: ...

    def check(self, source: str, path: str, language: str | None = None) -> list[Diagnostic]: ...

    def repl(self, language: str, options: RunOptions | None = None) -> ReplHandle: ...

    def shutdown(self) -> None: ...
