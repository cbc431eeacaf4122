"""``Event``: publish/subscribe within a run, with ``*`` wildcards, queued delivery and waiting.

Delivery is synchronous: ``Event.publish`` calls every matching handler before it returns, in subscription
order. A handler subscribed with ``{queued = true}`` instead gets its events when the spell calls ``Event.drain()``
(or ``Event.wait``). Every published event is also kept for ``Event.wait`` (the last 10,000, at most ~16 MB).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypedDict

from app.bridges.budget import HostBudget, budget_of, json_size
from app.bridges.errors import SpellError
from app.bridges.glob import MAX_GLOB, Glob
from app.bridges.records import EventRecord
from app.bridges.registry import Bridge, BridgeContext, Callback, bridge

log = logging.getLogger(__name__)

HISTORY = 10000
HISTORY_BYTES = 16 * 1024 * 1024
MAX_DEPTH = 32
MAX_WAIT = 3600.0
MAX_SUBSCRIPTIONS = 10000
MAX_TOPIC = 4 * MAX_GLOB


def pattern_glob(pattern: str) -> Glob:
    """``user.*`` → a glob where ``*`` matches any run of characters (dots included), matched without backtracking."""
    if not isinstance(pattern, str):
        raise SpellError("invalid_argument", "an event pattern must be a non-empty string")
    try:
        return Glob.compile(pattern)
    except ValueError as e:
        raise SpellError("invalid_argument", f"event pattern: {e}") from None


@dataclass
class _Sub:
    id: int
    pattern: str
    glob: Glob
    fn: Callable[[str, Any], Any]
    queued: bool


class EventBus:
    """The run's event bus (service ``"events"``)."""

    def __init__(self, budget: HostBudget | None = None) -> None:
        self._budget = budget or HostBudget()  # queued events count against its event_queue_bytes
        self._subs: list[_Sub] = []
        self._queue: list[tuple[_Sub, str, Any, int]] = []  # (subscription, topic, data, approximate size)
        self._history: list[tuple[int, str, Any, int]] = []  # (sequence, topic, data, approximate size)
        self._history_bytes = 0
        self._seq = 0
        self._taken: set[int] = set()
        self._next = 1
        self._cond = threading.Condition()
        self._depth = threading.local()

    def subscribe(self, pattern: str, fn: Callable[[str, Any], Any], queued: bool = False) -> int:
        glob = pattern_glob(pattern)
        with self._cond:
            if len(self._subs) >= MAX_SUBSCRIPTIONS:
                raise SpellError("limit_exceeded", f"a run may hold at most {MAX_SUBSCRIPTIONS} subscriptions")
            sid = self._next
            self._next += 1
            self._subs.append(_Sub(sid, pattern, glob, fn, queued))
        return sid

    def unsubscribe(self, sid: int) -> bool:
        with self._cond:
            before = len(self._subs)
            self._subs = [s for s in self._subs if s.id != sid]
            kept = [q for q in self._queue if q[0].id != sid]
            self._budget.release("event_queue_bytes", sum(q[3] for q in self._queue) - sum(q[3] for q in kept))
            self._queue = kept
            return len(self._subs) != before

    def publish(self, topic: str, data: Any) -> int:
        if not isinstance(topic, str) or not topic or "*" in topic or len(topic) > MAX_TOPIC:
            raise SpellError(
                "invalid_argument", f"a topic must be a non-empty string of at most {MAX_TOPIC} characters, without '*'"
            )
        with self._cond:
            self._seq += 1
            size = len(topic) + json_size(data)
            self._history.append((self._seq, topic, data, size))
            self._history_bytes += size
            while len(self._history) > HISTORY or self._history_bytes > HISTORY_BYTES:
                self._history_bytes -= self._history.pop(0)[3]
            matching = [s for s in self._subs if s.glob.matches(topic)]
            for s in matching:
                if s.queued:
                    self._budget.charge("event_queue_bytes", size)
                    self._queue.append((s, topic, data, size))
            self._cond.notify_all()
        depth = getattr(self._depth, "n", 0)
        if depth >= MAX_DEPTH:
            raise SpellError("limit_exceeded", f"events published from handlers nest deeper than {MAX_DEPTH}")
        self._depth.n = depth + 1
        try:
            for s in matching:
                if not s.queued:
                    s.fn(topic, data)
        finally:
            self._depth.n = depth
        return len(matching)

    def drain(self) -> int:
        with self._cond:
            pending, self._queue = self._queue, []
            self._budget.release("event_queue_bytes", sum(q[3] for q in pending))
        for sub, topic, data, _ in pending:
            sub.fn(topic, data)
        return len(pending)

    def wait(self, pattern: str, timeout: float, cancelled: threading.Event) -> dict[str, Any] | None:
        glob = pattern_glob(pattern)
        deadline_left = max(0.0, min(float(timeout), MAX_WAIT))
        with self._cond:
            while True:
                for seq, topic, data, _ in self._history:
                    if seq not in self._taken and glob.matches(topic):
                        self._taken.add(seq)
                        return {"topic": topic, "data": data}
                if deadline_left <= 0 or cancelled.is_set():
                    break
                step = min(deadline_left, 0.1)
                self._cond.wait(step)
                deadline_left -= step
        if cancelled.is_set():
            raise SpellError("cancelled", "the run was cancelled while waiting for an event")
        return None

    def listing(self) -> list[dict[str, Any]]:
        with self._cond:
            return [{"id": s.id, "pattern": s.pattern, "queued": s.queued} for s in self._subs]


def bus_of(ctx: BridgeContext) -> EventBus:
    """The run's event bus."""
    return ctx.service("events", lambda: EventBus(budget_of(ctx)))


class SubscribeOptions(TypedDict, total=False):
    queued: bool


@bridge("Event")
class EventBridge(Bridge):
    """Publish events and react to them within a run: topics are dotted names such as ``"order.created"``;
    patterns may use ``*`` (any characters, dots included)."""

    def publish(self, topic: str, data: Any = None) -> int:
        """Publish an event; matching handlers run before this returns (queued ones at Event.drain).

        Args:
            topic: A topic name such as "message.received" (no "*").
            data: Any value handed to the handlers.
        Returns:
            The number of subscriptions the event matched.
        Errors:
            invalid_argument: an empty topic or one with "*".
            limit_exceeded: handlers publish recursively deeper than 32 levels, or events waiting for queued
                subscriptions are past the profile's event_queue_bytes budget (the run ends).
            tool_failed: a handler failed (its error reaches the publisher).
        Example (lua):
            local n = Event.publish("message.received", {text = "hello"})
            print(n .. " handlers")
        Example (js):
            const n = Event.publish("message.received", {text: "hello"});
            console.log(n + " handlers");
        """
        return bus_of(self.ctx).publish(topic, data)

    def subscribe(self, pattern: str, handler: Callback, opts: SubscribeOptions | None = None) -> int:
        """Call a function for every event whose topic matches a pattern.

        Args:
            pattern: A topic or a pattern with "*" wildcards, e.g. "message.*" or "*" (up to 256 characters).
            handler: A function (topic, data).
        Options:
            queued: Deliver at Event.drain() (or Event.wait) instead of during publish.
        Returns:
            The subscription id, for Event.unsubscribe.
        Example (lua):
            Event.subscribe("message.*", function(topic, data) print(topic, data.text) end)
            Event.publish("message.received", {text = "hi"})
        Example (js):
            Event.subscribe("message.*", (topic, data) => console.log(topic, data.text));
            Event.publish("message.received", {text: "hi"});
        """
        return bus_of(self.ctx).subscribe(pattern, handler, bool((opts or {}).get("queued")))

    def unsubscribe(self, id: int) -> bool:
        """Stop a subscription.

        Args:
            id: The id returned by Event.subscribe.
        Returns:
            true when a subscription was removed.
        Example (lua):
            local id = Event.subscribe("*", function(t) print(t) end)
            Event.unsubscribe(id)
        Example (js):
            const id = Event.subscribe("*", (t) => console.log(t));
            Event.unsubscribe(id);
        """
        return bus_of(self.ctx).unsubscribe(id)

    def drain(self) -> int:
        """Deliver the events queued for ``{queued = true}`` subscriptions.

        Returns:
            The number of deliveries made.
        Example (lua):
            Event.subscribe("job.*", function(t, d) print(t) end, {queued = true})
            Event.publish("job.done", {}); print(Event.drain())  -- 1
        Example (js):
            Event.subscribe("job.*", (t, d) => console.log(t), {queued: true});
            Event.publish("job.done", {}); console.log(Event.drain());  // 1
        """
        return bus_of(self.ctx).drain()

    def wait(self, pattern: str, timeout: float = 0) -> EventRecord | None:
        """Take the oldest matching event not yet taken by a wait, waiting up to ``timeout`` seconds for one.

        Queued deliveries are drained first. Events come from this run: earlier publishes, or publishes made
        meanwhile from parallel workflow steps.

        Args:
            pattern: A topic or a pattern with "*" wildcards.
            timeout: Seconds to wait (default 0: only look at events already published; at most 3600).
        Returns:
            {topic, data}, or nil when none arrived in time.
        Errors:
            cancelled: the run was stopped while waiting.
        Example (lua):
            Event.publish("review.done", {score = 9})
            local ev = Event.wait("review.*", 5); if ev then print(ev.topic, ev.data.score) end  -- review.done 9
        Example (js):
            Event.publish("review.done", {score: 9});
            const ev = Event.wait("review.*", 5); if (ev) console.log(ev.topic, ev.data.score);  // review.done 9
        """
        bus = bus_of(self.ctx)
        bus.drain()
        return bus.wait(pattern, timeout, self.ctx.call_cancelled())  # type: ignore[return-value]

    def list(self) -> list[dict[str, Any]]:
        """The active subscriptions.

        Returns:
            A list of {id, pattern, queued}.
        Example (lua):
            for _, s in ipairs(Event.list()) do print(s.id, s.pattern) end
            print(#Event.list())
        Example (js):
            for (const s of Event.list()) console.log(s.id, s.pattern);
            console.log(Event.list().length);
        """
        return bus_of(self.ctx).listing()
