"""The bridge registry: the single description of the spell API.

Bridges are plain Python classes, one module per global, registered with :func:`bridge` (a global such as ``JSON``)
or :func:`handle_type` (an object a spell holds, such as an ``Agent``). Their typed signatures and docstrings are
introspected here, and that one description feeds the worker bindings (:func:`describe`), argument validation
(:class:`BridgeHost`), the reference docs and the editor's completion.

Calling convention (every language): required arguments positional, then one optional options table/object
(a parameter named ``opts`` typed as a ``TypedDict``). Parameters typed :class:`Callback` take script functions.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import importlib
import inspect
import logging
import re
import threading
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Union, get_args, get_origin, get_type_hints

from app.bridges.budget import budget_of, json_size
from app.bridges.errors import SpellError

log = logging.getLogger(__name__)

#: Modules holding bridges, in reference order. A new global is one line here plus its module.
BRIDGE_MODULES = [
    "app.bridges.json_bridge",
    "app.bridges.log_bridge",
    "app.bridges.llm",
    "app.bridges.model",
    "app.bridges.tool",
    "app.bridges.agent",
    "app.bridges.workflow",
    "app.bridges.state",
    "app.bridges.event",
    "app.bridges.hook",
    "app.bridges.task",
    "app.bridges.mock",
    "app.bridges.spell",
]

HANDLE_KEY = "$handle"
TYPE_KEY = "$type"
CALLBACK_KEY = "$callback"
MAX_DEPTH = 100


class Callback:
    """A script function handed to a bridge (a tool body, a stream handler, a workflow step...).

    Calling it runs the function in the spell's worker, nested inside the pending bridge call, and returns its
    (plain) result. Script errors inside it raise :class:`SpellError` with code ``tool_failed``."""

    def __init__(self, callback_id: int, invoke: Callable[[int, list[Any]], Any]):
        self.id = callback_id
        self._invoke = invoke

    def __call__(self, *args: Any) -> Any:
        return self._invoke(self.id, list(args))

    def __repr__(self) -> str:
        return f"<script function #{self.id}>"


class CancelSignal(threading.Event):
    """A cancellation flag that can also run callbacks when it is set (``on_set``), e.g. to abort an asyncio
    task that holds an HTTP request. Setting a run's signal sets the signals of its calls in flight."""

    def __init__(self) -> None:
        super().__init__()
        self._callbacks: list[Callable[[], None]] = []
        self._cb_lock = threading.Lock()

    def set(self) -> None:
        super().set()
        with self._cb_lock:
            callbacks, self._callbacks = self._callbacks, []
        for fn in callbacks:
            try:
                fn()
            except Exception:  # one failing listener must not keep the others from hearing the cancel
                log.exception("cancel callback failed")

    def on_set(self, fn: Callable[[], None]) -> Callable[[], None]:
        """Call ``fn`` once when this is set (at once if it already is); returns a function that unregisters."""
        with self._cb_lock:
            if not self.is_set():
                self._callbacks.append(fn)
                return lambda: self._forget(fn)
        fn()
        return lambda: None

    def _forget(self, fn: Callable[[], None]) -> None:
        with self._cb_lock:
            with contextlib.suppress(ValueError):
                self._callbacks.remove(fn)


@dataclass
class CallScope:
    """One bridge call being served: its spell line and its own cancel signal (a task's call can be cancelled
    alone; stopping the run cancels them all). ``cancellable``: made by a task or promise, which may abandon it."""

    line: int | None = None
    cancelled: CancelSignal = field(default_factory=CancelSignal)
    cancellable: bool = False


_CALL_SCOPE: contextvars.ContextVar[CallScope | None] = contextvars.ContextVar("bridge_call_scope", default=None)


@dataclass
class BridgeContext:
    """Per-run services a bridge may use. The runner builds one per run; tests may build their own."""

    run_id: str = "run"
    spell_path: str = "<spell>"
    spell_dir: str | None = None
    workspace: str | None = None
    language: str = "lua"
    profile: str = "standard"
    limits: Any = None
    settings: dict[str, Any] = field(default_factory=dict)
    current_line: int | None = None  # the latest call's line; concurrent calls: see call_line()
    cancelled: threading.Event = field(default_factory=CancelSignal)  # the whole run was stopped
    test_run: bool = False  # a test file's run (or a Spell.run child of one): the test-only globals exist
    output: Callable[[str, str], None] = lambda stream, text: None
    invoke_callback: Callable[[int, list[Any]], Any] | None = None
    #: Shared per-run services other bridges add (tracer, state store, event bus...), keyed by name.
    services: dict[str, Any] = field(default_factory=dict)

    # the call being served on this thread (runs of tasks/promises serve several calls at once) -------------
    @contextlib.contextmanager
    def serving(self, scope: CallScope) -> Any:
        """Serve one call inside ``scope``: :meth:`call_line` and :meth:`call_cancelled` answer for it, and a
        stop of the run cancels it."""
        run = self.cancelled
        forget = run.on_set(scope.cancelled.set) if isinstance(run, CancelSignal) else (lambda: None)
        if run.is_set():
            scope.cancelled.set()
        token = _CALL_SCOPE.set(scope)
        try:
            yield scope
        finally:
            _CALL_SCOPE.reset(token)
            forget()

    def call_scope(self) -> CallScope | None:
        """The call served on this thread, if any."""
        return _CALL_SCOPE.get()

    def call_line(self) -> int | None:
        """The spell line of the call served on this thread (for spans and messages)."""
        scope = _CALL_SCOPE.get()
        return scope.line if scope is not None and scope.line is not None else self.current_line

    def call_cancelled(self) -> threading.Event:
        """Set when the call served on this thread was cancelled (its task was) or the run was stopped."""
        scope = _CALL_SCOPE.get()
        return scope.cancelled if scope is not None else self.cancelled

    def service(self, name: str, factory: Callable[[], Any]) -> Any:
        """The per-run service ``name``, created with ``factory`` on first use."""
        if name not in self.services:
            self.services[name] = factory()
        return self.services[name]


class Bridge:
    """Base class of every bridge global and handle type: holds the run's :class:`BridgeContext`."""

    def __init__(self, ctx: BridgeContext):
        self.ctx = ctx


# ----------------------------------------------------------------------------------------------- description
@dataclass
class ParamInfo:
    name: str
    type: str
    required: bool
    default: Any = None
    doc: str = ""
    is_callback: bool = False


@dataclass
class OptionInfo:
    name: str
    type: str
    doc: str = ""
    required: bool = False  # a key of the options TypedDict that is not NotRequired (total=True)


@dataclass
class MethodInfo:
    name: str
    params: list[ParamInfo]
    options: list[OptionInfo]
    returns: str
    doc: DocInfo
    func: Callable[..., Any] = field(repr=False, default=None)  # type: ignore[assignment]
    hints: dict[str, Any] = field(repr=False, default_factory=dict)
    options_type: Any = field(repr=False, default=None)
    inline: bool = False
    languages: tuple[str, ...] | None = None  # None: every language that has its global

    @property
    def has_opts(self) -> bool:
        return self.options_type is not None


@dataclass
class DocInfo:
    """A docstring in the documented format (see docs/bridge-docstrings.md)."""

    summary: str = ""
    body: str = ""
    args: dict[str, str] = field(default_factory=dict)
    options: dict[str, str] = field(default_factory=dict)
    returns: str = ""
    errors: str = ""
    examples: dict[str, str] = field(default_factory=dict)  # language → code


@dataclass
class GlobalInfo:
    name: str
    kind: str  # "global" or "type"
    cls: type = field(repr=False)
    doc: DocInfo
    methods: dict[str, MethodInfo]
    worker_side: bool = False  # implemented inside the worker (see bridge())
    languages: tuple[str, ...] | None = None  # None: every language


_SECTION = re.compile(r"^(Args|Options|Returns|Errors|Example(?: \((\w+)\))?):\s*$")


def parse_docstring(doc: str | None) -> DocInfo:
    """Parse ``Summary. / prose / Args: / Options: / Returns: / Errors: / Example (lua): / Example (js):``."""
    info = DocInfo()
    if not doc:
        return info
    lines = inspect.cleandoc(doc).splitlines()
    prose: list[str] = []
    section: str | None = None
    lang = ""
    buf: list[str] = []

    def flush() -> None:
        if section is None:
            return
        text = "\n".join(buf)
        if section in ("Args", "Options"):
            target = info.args if section == "Args" else info.options
            key = None
            for raw in buf:
                m = re.match(r"^\s{0,8}(\w+)(?:\s*\([^)]*\))?:\s*(.*)$", raw)
                if m and (len(raw) - len(raw.lstrip())) <= 4:
                    key = m.group(1)
                    target[key] = m.group(2).strip()
                elif key and raw.strip():
                    target[key] = (target[key] + " " + raw.strip()).strip()
        elif section == "Returns":
            info.returns = inspect.cleandoc(text)
        elif section == "Errors":
            info.errors = inspect.cleandoc(text)
        elif section == "Example":
            info.examples[lang or "lua"] = inspect.cleandoc(text)

    for raw in lines:
        m = _SECTION.match(raw)
        if m:
            flush()
            section = m.group(1).split(" ")[0]
            lang = (m.group(2) or "").lower()
            buf = []
        elif section is None:
            prose.append(raw)
        else:
            buf.append(raw)
    flush()
    text = "\n".join(prose).strip()
    summary, _, body = text.partition("\n\n")
    info.summary = " ".join(summary.split())
    info.body = body.strip()
    return info


def _type_name(t: Any) -> str:
    if t is inspect.Parameter.empty or t is Any:
        return "any"
    if t is type(None):
        return "nil"
    if t is Callback:
        return "function"
    origin = get_origin(t)
    if origin is Union or origin is types.UnionType:
        parts = [_type_name(a) for a in get_args(t)]
        return "|".join(p for p in parts)
    if origin in (list, tuple):
        args = get_args(t)
        return f"list[{_type_name(args[0])}]" if args else "list"
    if origin is dict:
        return "table"
    if origin is typing.Literal:
        return "|".join(repr(a) for a in get_args(t))
    if isinstance(t, type):
        if t in _HANDLE_TYPES_BY_CLASS:
            return _HANDLE_TYPES_BY_CLASS[t]
        return {
            str: "string",
            int: "integer",
            float: "number",
            bool: "boolean",
            list: "list",
            dict: "table",
            type(None): "nil",
        }.get(t, t.__name__)
    return str(t).replace("typing.", "")


@functools.cache
def _option_hints(options_type: Any) -> dict[str, Any]:
    """An options TypedDict's field types (resolved once: evaluating the annotations costs ~0.1 ms a call)."""
    return get_type_hints(options_type)


def _is_typeddict(t: Any) -> bool:
    return isinstance(t, type) and issubclass(t, dict) and hasattr(t, "__annotations__") and hasattr(t, "__total__")


def _strip_optional(t: Any) -> Any:
    args = [a for a in get_args(t) if a is not type(None)]
    if len(args) == 1 and get_origin(t) in (Union, types.UnionType):
        return args[0]
    return t


_GLOBALS: dict[str, type] = {}
_TEST_ONLY: set[str] = set()
_TYPES: dict[str, type] = {}
_HANDLE_TYPES_BY_CLASS: dict[type, str] = {}
_INFO: dict[tuple[str, str], GlobalInfo] = {}
_loaded = False
_lock = threading.Lock()


def bridge(
    name: str, *, worker_side: bool = False, languages: tuple[str, ...] | None = None, test_only: bool = False
) -> Callable[[type], type]:
    """Register a class as the spell global ``name``.

    ``worker_side``: the global is implemented inside the worker (``Task``: its calls never reach the host); the
    class only describes it, for the reference, completion and lint, and is left out of :func:`describe`.
    ``languages``: the spell languages that have it (None: all). ``test_only``: bound in test files only."""

    def register(cls: type) -> type:
        _GLOBALS[name] = cls
        if test_only:
            _TEST_ONLY.add(name)
        else:
            _TEST_ONLY.discard(name)
        cls.bridge_name = name  # type: ignore[attr-defined]
        cls.worker_side = worker_side  # type: ignore[attr-defined]
        cls.languages = languages  # type: ignore[attr-defined]
        _INFO.pop(("global", name), None)
        return cls

    return register


def inline(func: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a bridge method as quick and never calling back into the spell: the runner then serves it on its
    reader thread without a thread hand-off (the fast path for ``JSON``, ``Log`` and the like)."""
    func.__bridge_inline__ = True  # type: ignore[attr-defined]
    return func


def only_in(*language_ids: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Mark a bridge method as available in these spell languages only (the reference says so)."""

    def mark(func: Callable[..., Any]) -> Callable[..., Any]:
        func.__bridge_languages__ = tuple(language_ids)  # type: ignore[attr-defined]
        return func

    return mark


def handle_type(
    name: str, *, worker_side: bool = False, languages: tuple[str, ...] | None = None
) -> Callable[[type], type]:
    """Register a class whose instances spells hold as objects (``agent:run(...)``); ``worker_side`` and
    ``languages`` as for :func:`bridge`."""

    def register(cls: type) -> type:
        _TYPES[name] = cls
        _HANDLE_TYPES_BY_CLASS[cls] = name
        cls.bridge_name = name  # type: ignore[attr-defined]
        cls.worker_side = worker_side  # type: ignore[attr-defined]
        cls.languages = languages  # type: ignore[attr-defined]
        _INFO.pop(("type", name), None)
        return cls

    return register


def load_all() -> None:
    """Import every bridge module in :data:`BRIDGE_MODULES` (cheap: none imports litellm at module level)."""
    global _loaded
    with _lock:
        if _loaded:
            return
        for mod in BRIDGE_MODULES:
            importlib.import_module(mod)
        _loaded = True


def _introspect(name: str, kind: str, cls: type) -> GlobalInfo:
    methods: dict[str, MethodInfo] = {}
    for attr, func in inspect.getmembers(cls, inspect.isfunction):
        if attr.startswith("_"):
            continue
        sig = inspect.signature(func)
        try:
            hints = get_type_hints(func)
        except Exception:  # pragma: no cover - a bad annotation is a programming error; show it plainly
            log.exception("cannot read type hints of %s.%s", name, attr)
            hints = {}
        doc = parse_docstring(func.__doc__)
        params: list[ParamInfo] = []
        options: list[OptionInfo] = []
        options_type = None
        for pname, p in list(sig.parameters.items())[1:]:
            ann = hints.get(pname, Any)
            if pname == "opts":
                options_type = _strip_optional(ann)
                if _is_typeddict(options_type):
                    ohints = get_type_hints(options_type)
                    required_keys: frozenset[str] = getattr(options_type, "__required_keys__", frozenset())
                    options = [
                        OptionInfo(k, _type_name(v), doc.options.get(k, ""), k in required_keys)
                        for k, v in ohints.items()
                    ]
                continue
            is_cb = _strip_optional(ann) is Callback
            params.append(
                ParamInfo(
                    pname,
                    _type_name(ann),
                    p.default is inspect.Parameter.empty,
                    None if p.default is inspect.Parameter.empty else p.default,
                    doc.args.get(pname, ""),
                    is_cb,
                )
            )
        ret = hints.get("return", Any)
        methods[attr] = MethodInfo(
            attr,
            params,
            options,
            _type_name(ret),
            doc,
            func,
            hints,
            options_type,
            bool(getattr(func, "__bridge_inline__", False)),
            getattr(func, "__bridge_languages__", None),
        )
    return GlobalInfo(
        name,
        kind,
        cls,
        parse_docstring(cls.__doc__),
        methods,
        bool(getattr(cls, "worker_side", False)),
        getattr(cls, "languages", None),
    )


def info(name: str, kind: str = "global") -> GlobalInfo:
    """The introspected description of one global (or handle type)."""
    load_all()
    key = (kind, name)
    if key not in _INFO:
        table = _GLOBALS if kind == "global" else _TYPES
        if name not in table:
            raise KeyError(name)
        _INFO[key] = _introspect(name, kind, table[name])
    return _INFO[key]


def globals_info() -> list[GlobalInfo]:
    load_all()
    return [info(n) for n in _GLOBALS]


def types_info() -> list[GlobalInfo]:
    load_all()
    return [info(n, "type") for n in _TYPES]


def is_test_only(name: str) -> bool:
    """Whether global ``name`` exists in test files only (``Mock``, ``Spell``)."""
    load_all()
    return name in _TEST_ONLY


def describe(tests: bool = False) -> dict[str, Any]:
    """The registry as plain data for the workers (``app.engines.base.BridgeSpec``); ``tests``: include the
    test-only globals (a test file's run)."""

    def methods(g: GlobalInfo) -> dict[str, Any]:
        return {
            m.name: {
                "params": [p.name for p in m.params],
                "required": sum(1 for p in m.params if p.required),
                "callbacks": [p.name for p in m.params if p.is_callback],
                "has_opts": m.has_opts,
            }
            for m in g.methods.values()
        }

    return {
        "globals": {
            g.name: {"methods": methods(g)}
            for g in globals_info()
            if not g.worker_side and (tests or g.name not in _TEST_ONLY)
        },
        "types": {t.name: {"methods": methods(t)} for t in types_info() if not t.worker_side},
    }


# ----------------------------------------------------------------------------------------------- validation
_SIMPLE = {str: (str,), int: (int,), float: (int, float), bool: (bool,), list: (list,), dict: (dict,)}


def _check_value(where: str, value: Any, ann: Any) -> None:
    """Raise ``invalid_argument`` when ``value`` clearly does not fit ``ann`` (simple types only)."""
    if ann is Any or ann is inspect.Parameter.empty:
        return
    origin = get_origin(ann)
    if origin is Union or origin is types.UnionType:
        options = get_args(ann)
        if value is None and type(None) in options:
            return
        errors = []
        for a in options:
            if a is type(None):
                continue
            try:
                _check_value(where, value, a)
                return
            except SpellError as e:
                errors.append(e)
        if errors:
            raise SpellError("invalid_argument", f"{where} must be {_type_name(ann)}, got {_spell_type(value)}")
        return
    if origin in (list, tuple):
        ann = list
    elif origin is dict:
        ann = dict
    elif origin is typing.Literal:
        if value not in get_args(ann):
            raise SpellError(
                "invalid_argument", f"{where} must be one of {', '.join(map(repr, get_args(ann)))}, got {value!r}"
            )
        return
    if ann is Callback:
        if not isinstance(value, Callback):
            raise SpellError("invalid_argument", f"{where} must be a function, got {_spell_type(value)}")
        return
    if isinstance(ann, type) and ann in _HANDLE_TYPES_BY_CLASS:
        if not isinstance(value, ann):
            raise SpellError(
                "invalid_argument", f"{where} must be {_HANDLE_TYPES_BY_CLASS[ann]}, got {_spell_type(value)}"
            )
        return
    if _is_typeddict(ann):
        ann = dict
    accepted = _SIMPLE.get(ann) if isinstance(ann, type) else None
    if accepted is None:
        return
    if isinstance(value, bool) and ann is not bool:
        raise SpellError("invalid_argument", f"{where} must be {_type_name(ann)}, got boolean")
    if not isinstance(value, accepted):
        raise SpellError("invalid_argument", f"{where} must be {_type_name(ann)}, got {_spell_type(value)}")


def _spell_type(value: Any) -> str:
    if value is None:
        return "nil"
    if isinstance(value, Callback):
        return "function"
    if type(value) in _HANDLE_TYPES_BY_CLASS:
        return _HANDLE_TYPES_BY_CLASS[type(value)]
    return {bool: "boolean", int: "integer", float: "number", str: "string", list: "list", dict: "table"}.get(
        type(value), type(value).__name__
    )


# ----------------------------------------------------------------------------------------------- per-run host
def _is_handle_ref(value: dict[str, Any]) -> bool:
    """``{"$handle": 3}`` or ``{"$handle": 3, "$type": "Agent"}`` with a whole-number id: a reference to an
    object of the run. Any other table, including one that merely has a ``$handle`` key, is plain data."""
    hid = value.get(HANDLE_KEY)
    if type(hid) is not int or not 1 <= len(value) <= 2:
        return False
    return len(value) == 1 or isinstance(value.get(TYPE_KEY), str)


class BridgeHost:
    """Serves one run's bridge calls: instantiates globals lazily, keeps the run's handles, validates, converts."""

    def __init__(self, ctx: BridgeContext):
        load_all()
        self.ctx = ctx
        self._instances: dict[str, Bridge] = {}
        self._handles: dict[int, Any] = {}
        self._handle_ids: dict[int, int] = {}  # id(obj) → handle id
        self._next_handle = 1
        self._lock = threading.RLock()

    # values ---------------------------------------------------------------------------------------------------
    def to_host(self, value: Any, depth: int = 0) -> Any:
        """A plain value from the worker as bridge arguments see it (handles become objects, callbacks callables)."""
        if depth > MAX_DEPTH:
            raise SpellError("invalid_argument", f"value nested deeper than {MAX_DEPTH} levels")
        if isinstance(value, dict):
            if _is_handle_ref(value):  # an object of this run (the engines send exactly this shape)
                hid = value[HANDLE_KEY]
                obj = self._handles.get(hid)
                if (
                    obj is None
                    or value.get(TYPE_KEY, _HANDLE_TYPES_BY_CLASS[type(obj)]) != _HANDLE_TYPES_BY_CLASS[type(obj)]
                ):
                    raise SpellError("invalid_argument", f"object #{hid} no longer exists")
                return obj
            if len(value) == 1 and type(value.get(CALLBACK_KEY)) is int:
                if self.ctx.invoke_callback is None:
                    raise SpellError("invalid_argument", "functions cannot be passed here")
                return Callback(value[CALLBACK_KEY], self.ctx.invoke_callback)
            return {k: self.to_host(v, depth + 1) for k, v in value.items()}
        if isinstance(value, list):
            return [self.to_host(v, depth + 1) for v in value]
        return value

    def to_spell(self, value: Any, depth: int = 0) -> Any:
        """A bridge's Python result as a plain value for the worker (handle types become handles)."""
        if depth > MAX_DEPTH:
            raise SpellError("invalid_argument", f"result nested deeper than {MAX_DEPTH} levels")
        if value is None or isinstance(value, (bool, int, float, str)):
            return value
        if isinstance(value, dict):
            if len(value) == 2 and HANDLE_KEY in value and TYPE_KEY in value:
                raise SpellError(
                    "invalid_argument",
                    f"a table with exactly the keys {HANDLE_KEY} and {TYPE_KEY} "
                    "cannot be handed to a spell: that is how objects are referred to",
                )
            return {str(k): self.to_spell(v, depth + 1) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.to_spell(v, depth + 1) for v in value]
        name = _HANDLE_TYPES_BY_CLASS.get(type(value))
        if name is not None:
            with self._lock:
                hid = self._handle_ids.get(id(value))
                if hid is None:
                    hid = self._next_handle
                    self._next_handle += 1
                    self._handles[hid] = value
                    self._handle_ids[id(value)] = hid
            return {HANDLE_KEY: hid, TYPE_KEY: name}
        if isinstance(value, Callback):
            return {CALLBACK_KEY: value.id}
        if hasattr(value, "to_dict"):
            return self.to_spell(value.to_dict(), depth + 1)
        raise SpellError("internal", f"bridge returned a value of type {type(value).__name__}")

    # calls ----------------------------------------------------------------------------------------------------
    def instance(self, name: str) -> Bridge:
        with self._lock:
            if name not in self._instances:
                if name not in _GLOBALS or (name in _TEST_ONLY and not self.ctx.test_run):
                    raise SpellError("invalid_argument", f"unknown global {name!r}")
                self._instances[name] = _GLOBALS[name](self.ctx)
            return self._instances[name]

    def is_inline(self, target: str | int, method: str) -> bool:
        """Whether a call can be served on the reader thread (see :func:`inline`)."""
        if isinstance(target, int):
            return False
        try:
            m = info(target).methods.get(method)
        except KeyError:
            return True  # unknown global: the error is quick
        return m is None or m.inline

    def call(
        self, target: str | int, method: str, args: list[Any], opts: dict[str, Any] | None, line: int | None = None
    ) -> Any:
        """Validate and run one bridge call from a spell; the result is already converted for the worker."""
        if isinstance(target, int):
            obj = self._handles.get(target)
            if obj is None:
                raise SpellError("invalid_argument", f"object #{target} no longer exists")
            ginfo = info(_HANDLE_TYPES_BY_CLASS[type(obj)], "type")
            qual = f"{ginfo.name}:{method}"
        else:
            ginfo = info(target)
            obj = None
            qual = f"{target}.{method}"
        m = ginfo.methods.get(method)
        if m is None:
            raise SpellError("invalid_argument", f"{ginfo.name} has no method {method!r}")
        if line is not None:
            self.ctx.current_line = line
        raw_args, raw_opts = args, opts
        args = self.to_host(list(args))
        opts = self.to_host(opts) if opts else None
        required = [p for p in m.params if p.required]
        if len(args) < len(required) or len(args) > len(m.params):
            names = ", ".join(p.name for p in m.params) or "no arguments"
            want = f"{len(required)}" if len(required) == len(m.params) else f"{len(required)} to {len(m.params)}"
            raise SpellError("invalid_argument", f"{qual} expects {want} argument(s) ({names}), got {len(args)}")
        for p, v in zip(m.params, args):
            if v is None and not p.required:
                continue
            _check_value(f"{qual}: argument '{p.name}'", v, m.hints.get(p.name, Any))
        if opts is not None:
            if not m.has_opts:
                raise SpellError("invalid_argument", f"{qual} takes no options table")
            if not isinstance(opts, dict):
                raise SpellError("invalid_argument", f"{qual}: options must be a table, got {_spell_type(opts)}")
            if _is_typeddict(m.options_type):
                ohints = _option_hints(m.options_type)
                for k, v in opts.items():
                    if k not in ohints:
                        raise SpellError(
                            "invalid_argument", f"{qual}: unknown option {k!r} (known: {', '.join(sorted(ohints))})"
                        )
                    if v is not None:
                        _check_value(f"{qual}: option '{k}'", v, ohints[k])
        if obj is None:
            obj = self.instance(ginfo.name)
        func = getattr(obj, method)
        result = func(*args, opts=opts) if m.has_opts else func(*args)
        before = self._next_handle
        value = self.to_spell(result)
        if self._next_handle != before:  # new objects the host keeps for the run: count them and what made them
            budget = budget_of(self.ctx)
            budget.charge("max_objects", self._next_handle - before)
            budget.charge("object_bytes", json_size(raw_args) + json_size(raw_opts))
        return value
