"""``Task`` for Tengo spells: run several bridge calls at once (ARCHITECTURE §8).

Tengo's interpreter runs script code to completion (its frames cannot be suspended), so a Tengo task is a bridge
call given as an array ``[fn, args...]``: ``Task.all([[LLM.complete, "a"], [agent.run, "b", {max_steps: 3}]])``.
The calls are sent to the host without waiting (the host serves them in parallel, up to the run's cap) and the
spell waits for them here:

* ``Task.all(calls, opts)`` → an array of the results, in order; if one call fails, the others are cancelled and
  its error value (``code``, ``message``, ``index``) is returned.
* ``Task.race(calls, opts)`` → the result (or error) of the call that finishes first; the others are cancelled.
* ``opts.timeout`` (seconds): past it the calls still running are cancelled and ``error({code: "timeout"})`` is
  returned. The LLM requests of a race's losers and of timed-out calls are closed on the host; the other calls
  of a failed ``Task.all`` are abandoned (their answers dropped).

A script function in the list is refused with ``invalid_argument``: it could only run after the others, not with
them, which would look concurrent and not be.
"""

from __future__ import annotations

import time
from typing import Any

from app.engines.base import BridgeFault

from .bridge import Converter
from .errors import TengoRuntimeError
from .objects import (
    UNDEFINED,
    Array,
    BuiltinFunction,
    CompiledFunction,
    Error,
    ImmutableArray,
    ImmutableMap,
    Map,
    wrap_int,
)


class _Answers:
    """Answers to this run's concurrent calls, by id: a Task.all nested in a callback may read the answers of
    an outer one, which it keeps here for it."""

    def __init__(self, host: Any):
        self.host = host
        self.kept: dict[int, Any] = {}

    def next_of(self, ids: set[int], deadline: float | None) -> Any:
        """The next answer among ``ids``; None when the deadline passes first."""
        for i in list(ids):
            if i in self.kept:
                return self.kept.pop(i)
        while True:
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                return None
            msg = self.host.wait_any(left)
            if msg is None:
                if left is None:  # nothing in flight could answer: a bug, never wait forever
                    raise TengoRuntimeError("Task: the calls' answers were lost")
                return None
            if msg.call_id in ids:
                return msg
            self.kept[msg.call_id] = msg


def task_global(conv: Converter, host: Any) -> ImmutableMap:
    """The ``Task`` map of builtins for one run."""
    answers = _Answers(host)

    def start(rt: Any, args: list, where: str, abortable: bool) -> tuple[list[int], float | None]:
        if not args or type(args[0]) not in (Array, ImmutableArray):
            raise TengoRuntimeError(f'{where}: expected an array of calls like [LLM.complete, "prompt"]')
        if len(args) > 2 or (len(args) == 2 and type(args[1]) not in (Map, ImmutableMap)):
            raise TengoRuntimeError(f"{where}: expected (calls) or (calls, {{timeout: seconds}})")
        timeout = None
        if len(args) == 2:
            t = args[1].value.get("timeout", UNDEFINED)
            if t is not UNDEFINED:
                if type(t) not in (int, float) or t < 0:
                    raise TengoRuntimeError(f"{where}: timeout must be a number of seconds ≥ 0")
                timeout = float(t)
        if not hasattr(host, "send_call"):
            raise TengoRuntimeError(f"{where}: concurrent calls are not available here")
        prepared = [_prepare(conv, item, i, where) for i, item in enumerate(args[0].value)]
        flush = getattr(rt, "flush_output", None)
        if flush is not None:
            flush()
        abortable = abortable or timeout is not None  # the losers of a race, or of the clock, are closed
        ids: list[int] = []
        try:
            for target, method, plain, opts in prepared:
                ids.append(host.send_call(target, method, plain, opts, rt.line or None, conv.callbacks, abortable))
        except BridgeFault as f:  # too many calls waiting for a slot: the group does not start
            cancel(set(ids))
            raise TengoRuntimeError(f"{where}: {f.message}") from None
        return ids, (None if timeout is None else time.monotonic() + timeout)

    def cancel(pending: set[int]) -> None:
        for call_id in pending:
            host.cancel_call(call_id)
            answers.kept.pop(call_id, None)

    def fault(msg: Any, index: int) -> Error:
        e = msg.error or {}
        return Error(
            ImmutableMap(
                {
                    "code": e.get("code", "internal"),
                    "message": e.get("message", ""),
                    "retryable": bool(e.get("retryable")),
                    "index": wrap_int(index),
                }
            )
        )

    def timed_out(pending: set[int], seconds: float) -> Error:
        cancel(pending)
        return Error(
            ImmutableMap(
                {
                    "code": "timeout",
                    "retryable": False,
                    "message": f"{len(pending)} call(s) did not finish within {seconds:g} s (they were cancelled)",
                }
            )
        )

    def b_all(rt: Any, args: list) -> Any:
        ids, deadline = start(rt, args, "Task.all", False)
        index = {call_id: i for i, call_id in enumerate(ids)}
        pending = set(ids)
        results: list[Any] = [UNDEFINED] * len(ids)
        while pending:
            msg = answers.next_of(pending, deadline)
            if msg is None:
                return timed_out(pending, _seconds(args))
            pending.discard(msg.call_id)
            if msg.error:
                cancel(pending)
                return fault(msg, index[msg.call_id])
            results[index[msg.call_id]] = conv.from_plain(msg.value)
        return Array(results)

    def b_race(rt: Any, args: list) -> Any:
        ids, deadline = start(rt, args, "Task.race", True)
        if not ids:
            raise TengoRuntimeError("Task.race: needs at least one call")
        pending = set(ids)
        msg = answers.next_of(pending, deadline)
        if msg is None:
            return timed_out(pending, _seconds(args))
        pending.discard(msg.call_id)
        cancel(pending)
        if msg.error:
            return fault(msg, ids.index(msg.call_id))
        return conv.from_plain(msg.value)

    return ImmutableMap(
        {
            "all": BuiltinFunction("Task.all", b_all, "user-function"),
            "race": BuiltinFunction("Task.race", b_race, "user-function"),
        }
    )


def _seconds(args: list) -> float:
    return float(args[1].value["timeout"])


def _prepare(conv: Converter, item: Any, i: int, where: str) -> tuple[Any, str, list[Any], dict[str, Any] | None]:
    """``[fn, args...]`` → (target, method, plain args, plain opts), as the bridge function would send them."""
    if type(item) not in (Array, ImmutableArray) or not item.value:
        raise TengoRuntimeError(f"{where}: element {i} must be an array [bridge function, args...]")
    fn, rest = item.value[0], list(item.value[1:])
    if type(fn) is CompiledFunction:
        raise TengoRuntimeError(
            f"{where}: element {i} is a script function; only bridge calls "
            '(such as [LLM.complete, "prompt"]) run concurrently in Tengo'
        )
    bridge = conv.bridge_of(fn)
    if bridge is None:
        raise TengoRuntimeError(
            f"{where}: element {i} does not start with a bridge function (such as LLM.complete or agent.run)"
        )
    target, method, spec = bridge
    params = list(spec.get("params") or [])
    opts = None
    if spec.get("has_opts") and len(rest) > len(params) and type(rest[-1]) in (Map, ImmutableMap):
        opts = conv.to_plain(rest[-1], callbacks=True)
        rest = rest[:-1]
    try:
        plain = [conv.to_plain(a, callbacks=True) for a in rest]
    except BridgeFault as f:  # pragma: no cover - to_plain raises Tengo errors, kept for safety
        raise TengoRuntimeError(f.message) from None
    return target, method, plain, opts
