"""Bridges for Tengo spells: value conversion across the boundary and the bridge globals as Tengo values.

Tengo has no globals of its own, so each bridge global (``JSON``, ``Log``, ``LLM``...) is predefined as an
**immutable map of functions** (``JSON.encode(x)``), and ``import("llmspell")`` returns a map of all of them.
Calling convention (docs/architecture.md §3): required arguments positional, then an optional trailing map of options.
A bridge failure (:class:`~app.engines.base.BridgeFault`) is *returned* to the spell as the Tengo error value
``error({code: "...", message: "...", retryable: bool})`` — Tengo's idiomatic style: ``if is_error(r) { ... }``.
Handles (``{"$handle": n, "$type": "Agent"}``) become immutable maps of methods that also carry the two marker
keys, so passing a handle back to a bridge sends the marker again.

Tengo → plain: int/float/bool/string as is; array/immutable-array → list; map/immutable-map → dict;
undefined → None; error → ``{"error": value}``; bytes → str (UTF-8, invalid bytes replaced); char → str of one
character; time → RFC 3339 string; functions → ``{"$callback": id}`` in bridge arguments (None in results).

Callbacks (script functions called by the host: tools, hooks, event handlers, workflow steps) take the arguments
they declare: extra arguments the host passes are dropped and missing ones are undefined, as in Lua and
JavaScript (``func(text) {...}`` works as a workflow condition, which is also given the context). A Tengo
runtime error inside a callback becomes a ``tool_failed`` fault for the bridge that called it.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from typing import Any

from app.engines.base import CALLBACK_KEY, HANDLE_KEY, MAX_DEPTH, BridgeFault, LimitExceeded

from .errors import TengoRuntimeError
from .objects import (
    UNDEFINED,
    Array,
    BuiltinFunction,
    Char,
    CompiledFunction,
    Error,
    ImmutableArray,
    ImmutableMap,
    Map,
    Time,
    rune_str,
    wrap_int,
)

log = logging.getLogger(__name__)

TYPE_KEY = "$type"


class NonFinite(TengoRuntimeError):
    """NaN and ±Inf are not JSON: refused at the boundary, as the Lua and JavaScript engines do."""

    def __init__(self) -> None:
        super().__init__("cannot pass NaN or infinity to the host")


class HostGate:
    """Whether the spell's thread is inside a call to the host (a bridge call, output), where a memory stop must
    not land half-way through a message: it is then held (``pending``) until the call returns. Script functions
    the host calls back run outside the gate again (``depth`` 0), so their allocations are stopped at once."""

    def __init__(self) -> None:
        self.depth = 0
        self.pending = False

    def __enter__(self) -> None:
        self.depth += 1

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self.depth -= 1
        if self.depth == 0 and self.pending and exc_type is None:
            self.pending = False
            raise MemoryError("memory limit")


class Converter:
    """Converts values for one run and keeps the callback table (id → Python callable)."""

    def __init__(
        self, rt: Any, host: Any, on_callback_error: Callable[[Exception], Exception], gate: HostGate | None = None
    ):
        self.gate = gate or HostGate()
        self.rt = rt
        self.host = host
        self.callbacks: dict[int, Callable[..., Any]] = {}
        self._ids: dict[int, int] = {}
        self._next = 1
        self._on_error = on_callback_error
        self._bridge_fns: dict[int, tuple[BuiltinFunction, Any, str, dict[str, Any]]] = {}  # for Task (tasks.py)

    # Tengo → plain --------------------------------------------------------------------------------------
    def to_plain(self, v: Any, callbacks: bool = False, depth: int = 0, seen: set | None = None) -> Any:
        if depth > MAX_DEPTH:
            raise TengoRuntimeError(f"value nested deeper than {MAX_DEPTH} levels")
        t = type(v)
        if v is UNDEFINED or v is None:
            return None
        if t is float and not math.isfinite(v):
            raise NonFinite()
        if t in (bool, int, float, str):
            return v
        if t is Array or t is ImmutableArray or t is Map or t is ImmutableMap:
            seen = seen if seen is not None else set()
            if id(v) in seen:
                raise TengoRuntimeError("cyclic value cannot cross the bridge")
            seen.add(id(v))
            try:
                if t is Array or t is ImmutableArray:
                    return [self.to_plain(e, callbacks, depth + 1, seen) for e in v.value]
                d = v.value
                if t is ImmutableMap and type(d.get(HANDLE_KEY)) is int and type(d.get(TYPE_KEY)) is str:
                    return {HANDLE_KEY: d[HANDLE_KEY], TYPE_KEY: d[TYPE_KEY]}  # an object (see handle())
                return {k: self.to_plain(e, callbacks, depth + 1, seen) for k, e in d.items()}
            finally:
                seen.discard(id(v))
        if t is Error:
            return {"error": self.to_plain(v.value, callbacks, depth + 1, seen)}
        if t is bytes:
            return v.decode("utf-8", "replace")
        if t is Char:
            return rune_str(v.v)
        if t is Time:
            from .stdlib.times_mod import rfc3339

            return rfc3339(v)
        if t is CompiledFunction or t is BuiltinFunction:
            return {CALLBACK_KEY: self.callback_id(v)} if callbacks else None
        return None

    def callback_id(self, fn: Any) -> int:
        key = id(fn)
        cid = self._ids.get(key)
        if cid is None:
            cid = self._next
            self._next += 1
            self._ids[key] = cid
            self.callbacks[cid] = self._make_callback(fn)
        return cid

    def _make_callback(self, fn: Any) -> Callable[..., Any]:
        code = fn.code if type(fn) is CompiledFunction else None
        # the host passes what the bridge offers (a workflow condition gets the input and the context, an
        # event handler the topic and the data): a script function takes the arguments it declares, extra ones
        # are dropped and missing ones are undefined, as in Lua and JavaScript
        want = None if code is None else (code.nparams if not code.variadic else code.nparams - 1)

        def call(*args: Any) -> Any:
            depth = self.rt.depth
            targs = [self.from_plain(a) for a in args]
            if want is not None:
                if len(targs) < want:
                    targs.extend([UNDEFINED] * (want - len(targs)))
                elif len(targs) > want and not code.variadic:
                    del targs[want:]
            gate, outside = self.gate, self.gate.depth
            gate.depth = 0  # spell code again, inside the host's call
            try:
                if gate.pending:
                    raise MemoryError("memory limit")
                result = self.rt.call(fn, targs)
            except (TengoRuntimeError, RecursionError, MemoryError) as e:
                self.rt.depth = depth  # the failed call's frames are gone; the spell goes on
                raise self._on_error(e) from None
            finally:
                gate.depth = outside
            return self.to_plain(result, callbacks=True)

        return call

    # plain → Tengo --------------------------------------------------------------------------------------
    def from_plain(self, v: Any, depth: int = 0) -> Any:
        if v is None:
            return UNDEFINED
        t = type(v)
        if t is bool or t is float or t is str:
            return v
        if t is int:
            return wrap_int(v)
        if isinstance(v, (list, tuple)):
            return Array([self.from_plain(e, depth + 1) for e in v])
        if isinstance(v, dict):
            if len(v) == 2 and type(v.get(HANDLE_KEY)) is int and type(v.get(TYPE_KEY)) is str:  # as Lua and JS
                return self.handle(v[HANDLE_KEY], v[TYPE_KEY])
            return Map({str(k): self.from_plain(e, depth + 1) for k, e in v.items()})
        if isinstance(v, bytes):
            return v
        return str(v)

    # bridges --------------------------------------------------------------------------------------------
    def bridge_fn(self, target: Any, method: str, spec: dict[str, Any]) -> BuiltinFunction:
        params = list(spec.get("params") or [])
        has_opts = bool(spec.get("has_opts"))
        host = self.host
        rt = self.rt

        def call(_rt: Any, args: list) -> Any:
            opts = None
            try:
                if has_opts and len(args) > len(params) and type(args[-1]) in (Map, ImmutableMap):
                    opts = self.to_plain(args[-1], callbacks=True)
                    args = args[:-1]
                plain = [self.to_plain(a, callbacks=True) for a in args]
            except NonFinite as e:  # as in Lua and JavaScript: the call fails, the spell may go on
                return Error(ImmutableMap({"code": "invalid_argument", "message": e.message, "retryable": False}))
            flush = getattr(rt, "flush_output", None)
            if flush is not None:
                flush()
            try:
                with self.gate:
                    result = host.bridge_call(target, method, plain, opts, rt.line or None, self.callbacks)
            except BridgeFault as f:
                return Error(ImmutableMap({"code": f.code, "message": f.message, "retryable": bool(f.retryable)}))
            except LimitExceeded:
                raise
            return self.from_plain(result)

        fn = BuiltinFunction(f"{target}.{method}" if isinstance(target, str) else method, call, "user-function")
        self._bridge_fns[id(fn)] = (fn, target, method, spec)
        return fn

    def bridge_of(self, fn: Any) -> tuple[Any, str, dict[str, Any]] | None:
        """``(target, method, spec)`` when ``fn`` is one of this run's bridge functions (``LLM.complete``,
        ``agent.run``...), else None."""
        entry = self._bridge_fns.get(id(fn))
        if entry is None or entry[0] is not fn:
            return None
        return entry[1], entry[2], entry[3]

    def handle(self, handle_id: Any, type_name: Any) -> ImmutableMap:
        methods = (self.host.bridges.types.get(type_name) or {}).get("methods", {}) if type_name else {}
        attrs: dict[str, Any] = {name: self.bridge_fn(handle_id, name, spec) for name, spec in methods.items()}
        attrs[HANDLE_KEY] = handle_id
        attrs[TYPE_KEY] = type_name if type_name is not None else UNDEFINED
        return ImmutableMap(attrs)

    def globals(self) -> dict[str, ImmutableMap]:
        out = {}
        for gname, gspec in (self.host.bridges.globals or {}).items():
            methods = gspec.get("methods", {})
            out[gname] = ImmutableMap({m: self.bridge_fn(gname, m, spec) for m, spec in methods.items()})
        return out
