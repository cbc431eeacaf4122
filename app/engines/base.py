"""The engine interface: what every spell language (Lua, JavaScript, Tengo) implements inside a worker.

Engines know nothing of Qt, litellm or the bridges' Python code. They receive the bridge registry as *data*
(a :class:`BridgeSpec` description) and reach the host through a :class:`EngineHost`, which the worker provides.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from app import languages

#: Marker for values crossing the boundary (see docs/architecture.md §3).
HANDLE_KEY = "$handle"  # {"$handle": 3, "$type": "Agent"}: a host object the spell holds
CALLBACK_KEY = "$callback"  # {"$callback": 7}: a script function handed to a bridge
ARRAY_KEY = "$array"  # an empty list the spell made with JSON.array() travels as a plain []

MAX_DEPTH = 100  # nesting depth of a value crossing the boundary


def language_for(path: str, override: str | None = None) -> str:
    """The spell language from ``override`` or from the file's extension; ``ValueError`` names what is wrong."""
    if override:
        return languages.by_name(override).id
    lang = languages.for_path(path)
    if lang is None:
        raise ValueError(
            f"cannot tell the language of {path!r} from its extension "
            f"(known: {', '.join(languages.extensions())}); pass --lang"
        )
    return lang.id


def camel_case(name: str) -> str:
    """``count_tokens`` → ``countTokens`` (the JavaScript spelling of a bridge name)."""
    head, *rest = name.split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


def snake_case(name: str) -> str:
    """``maxTokens`` → ``max_tokens`` (option keys written in JavaScript style)."""
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


@dataclass
class Frame:
    """One spell frame of a traceback: never a Python, lupa or quickjs frame."""

    file: str
    line: int
    function: str = ""


@dataclass
class SpellFailure:
    """An error in the spell's own terms."""

    code: str  # "syntax", "runtime", a bridge code such as "invalid_argument", or "limit_exceeded"
    message: str
    file: str | None = None
    line: int | None = None
    column: int | None = None
    traceback: list[Frame] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> SpellFailure:
        tb = [Frame(**f) for f in d.get("traceback") or []]
        return cls(
            code=d["code"],
            message=d["message"],
            file=d.get("file"),
            line=d.get("line"),
            column=d.get("column"),
            traceback=tb,
        )

    def location(self) -> str:
        if self.file and self.line:
            return f"{self.file}:{self.line}" + (f":{self.column}" if self.column else "")
        return self.file or ""

    def __str__(self) -> str:
        loc = self.location()
        return f"{loc}: {self.message}" if loc else self.message


@dataclass
class Diagnostic:
    """A syntax problem found without running the spell."""

    file: str
    line: int
    column: int
    message: str
    severity: str = "error"

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.message}"


class BridgeFault(Exception):
    """A bridge call failed on the host; engines turn it into the language's error value."""

    def __init__(self, code: str, message: str, retryable: bool = False, frames: list[Frame] | None = None):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.retryable = retryable
        self.frames: list[Frame] = list(frames or [])  # where a script function handed to a bridge failed


class ScriptFunctions:
    """The run's script functions by callback id, as Python callables (ids are assigned by the engine's own
    runtime, so every id is looked up lazily; ``get`` returns a callable that reports a gone id itself)."""

    def get(self, callback_id: int) -> Callable[..., Any]:
        raise NotImplementedError

    def __getitem__(self, callback_id: int) -> Callable[..., Any]:
        return self.get(callback_id)

    def __contains__(self, callback_id: object) -> bool:
        return True


class LimitExceeded(Exception):
    """A per-run limit (memory, output, recursion, time) was hit inside the worker."""

    def __init__(self, what: str, message: str):
        super().__init__(message)
        self.what = what
        self.message = message


@dataclass
class Limits:
    """Per-run resource limits. The wall clock is enforced by the host (it kills the worker)."""

    timeout_s: float = 30.0
    memory_mb: int = 256
    output_bytes: int = 4 * 1024 * 1024
    max_stack: int = 200  # JS: stack size in KiB*4 (see engines); Lua: C-call depth guard
    allow_files: bool = False  # workspace file tools (issue 3)
    allow_http: bool = False  # http_get tool (issue 3)
    http_allow: tuple[str, ...] = ()
    max_concurrent_calls: int = 16  # bridge calls of one run's tasks/promises in flight at once (more wait)
    # Host budgets: what the bridges may hold or decode in the host for one run (counted there; see
    # app/bridges/budget.py and docs/security.md). Defaults are the standard profile's.
    event_queue_bytes: int = 16 * 1024 * 1024  # events waiting for queued subscriptions
    max_tools: int = 1000  # tools the spell registers
    tool_bytes: int = 4 * 1024 * 1024  # their descriptions and schemas, as JSON
    max_spans: int = 50_000  # trace spans kept
    span_bytes: int = 64 * 1024 * 1024  # their requests, responses and errors, as JSON
    message_elements: int = 2_000_000  # values in one decoded message from the worker
    max_objects: int = 10_000  # objects (handles) a run holds: agents, workflows...
    object_bytes: int = 64 * 1024 * 1024  # the arguments of the calls that created them, as JSON


@dataclass
class BridgeSpec:
    """The registry as data: what an engine needs to build its bindings.

    ``globals``: ``{"JSON": {"methods": {"encode": {"params": ["value"], "callbacks": [], "has_opts": True}}}}``
    ``types``: the same shape for handle types (``{"Agent": {"methods": {...}}}``), whose methods take the handle.
    """

    globals: dict[str, dict[str, Any]] = field(default_factory=dict)
    types: dict[str, dict[str, Any]] = field(default_factory=dict)


class EngineHost(Protocol):
    """What the worker gives an engine during one run."""

    spell_path: str  # absolute path of the spell (or a pseudo name such as "<repl>")
    spell_dir: str | None  # folder from which sibling modules may be required (None: no require)
    limits: Limits
    bridges: BridgeSpec

    def output(self, stream: str, text: str) -> None:
        """Stream text to the host: ``stream`` is "stdout", "stderr", or a log level ("debug", "info", ...).
        Raises :class:`LimitExceeded` past the output limit."""

    def bridge_call(
        self,
        target: str | int,
        method: str,
        args: list[Any],
        opts: dict[str, Any] | None,
        line: int | None,
        callbacks: Mapping[int, Callable[..., Any]],
    ) -> Any:
        """Call a bridge method on the host and return its (plain JSON-like) result.

        ``target`` is a global name ("JSON") or a handle id (int). ``args`` and ``opts`` are plain values in
        which script functions were replaced by ``{"$callback": id}``; ``callbacks`` maps those ids to Python
        callables that run the script function (the host may call them back while this call is pending).
        Raises :class:`BridgeFault` when the bridge fails."""

    def send_call(
        self,
        target: str | int,
        method: str,
        args: list[Any],
        opts: dict[str, Any] | None,
        line: int | None,
        callbacks: Mapping[int, Callable[..., Any]],
        abortable: bool = False,
    ) -> int:
        """Start a bridge call for a task or promise without waiting for it; returns its call id. Its answer
        comes from :meth:`wait_any`. Past the run's ``max_concurrent_calls`` the call waits in the worker.
        ``abortable``: the spell is likely to cancel it (a race, a timeout, an abort signal): the host then
        keeps its LLM request closable, which costs a little more per call."""

    def wait_any(self, timeout: float | None) -> Any:
        """The next answer (a ``BridgeResult``: ``call_id``, ``value``, ``error``) to a call started with
        :meth:`send_call`, serving the host's callbacks meanwhile; None after ``timeout`` seconds, or at once
        when no timeout is given and no call is pending."""

    def cancel_call(self, call_id: int) -> None:
        """Abandon a call started with :meth:`send_call` (the host closes its work where it can)."""

    def pending_calls(self) -> int:
        """How many calls started with :meth:`send_call` still owe the spell an answer."""

    def test_event(self, kind: str, data: dict[str, Any]) -> None:
        """Report a test of a test run to the host: ``kind`` "started" (test_id, name, line) or "result"
        (the fields of :class:`app.engines.protocol.TestResult`)."""

    def read_module(self, name: str) -> tuple[str, str]:
        """Resolve a sibling module name to ``(absolute_path, source_text)`` inside ``spell_dir``;
        raises :class:`BridgeFault` ("module_not_found" / "invalid_argument") otherwise."""


class Engine(Protocol):
    """One language. A fresh runtime is created inside :meth:`run` for every run."""

    language: str

    def check(self, source: str, filename: str) -> list[Diagnostic]:
        """Syntax errors of ``source`` without running it."""

    def run(self, source: str, filename: str, inputs: Any, host: EngineHost) -> Any:
        """Run the spell; return its result as a plain value (None, bool, int, float, str, list, dict).

        Raise :class:`SpellError` (below) for errors in the spell's terms, :class:`LimitExceeded` for limits."""

    def run_tests(self, source: str, filename: str, options: dict[str, Any], host: EngineHost) -> Any:
        """Run a test file: bind the language's test API, run the file (which declares its tests), then run
        the tests that ``options`` selects ({"filter": substring, "line": line of one test, "bail": stop at the
        first failure}), reporting each through ``host.test_event``. Returns {passed, failed, skipped}."""

    def repl_eval(self, source: str, host: EngineHost) -> Any:
        """Evaluate one REPL entry in a session runtime that persists between calls (created on first use)."""


class SpellError(Exception):
    """Raised by an engine: the spell failed; carries the failure in the spell's terms."""

    def __init__(self, failure: SpellFailure):
        super().__init__(str(failure))
        self.failure = failure
