"""``Mock``: pin what the model and tools answer in a test (test files only).

Mocks live in the run's host context (service ``"mocks"``, a :class:`MockRegistry`) and are shared with the
child runs a test starts with ``Spell.run``. The LLM pipeline asks :func:`mocked_reply` before it replays a
cassette or calls litellm; the tool runner asks :func:`mocked_tool` before it runs a tool's body. Mocks made
while a test runs last until that test ends; mocks made outside any test (at the top of the file) last for the
whole file. The newest matching mock answers.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from typing import Any, TypedDict

from app.bridges.calls import calls_from_spans, prompt_of
from app.bridges.errors import SpellError
from app.bridges.records import CallRecord
from app.bridges.registry import Bridge, BridgeContext, Callback, bridge

MAX_MOCKS = 1000
MAX_MATCH_CHARS = 10000


@dataclass
class _LLMMock:
    id: int
    match: str | Callback | None
    reply: Any
    times: int | None
    in_test: bool
    used: int = 0


class MockRegistry:
    """The mocks of one test run (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._llm: list[_LLMMock] = []
        self._tools: dict[str, tuple[Callback, bool]] = {}
        self._next = 1
        self._in_test = False
        self._span_mark = 0
        self._child_calls: list[CallRecord] = []

    def begin_test(self, span_count: int) -> None:
        """A test starts: mocks of the previous test go, file-level ones stay; the call list starts empty."""
        with self._lock:
            self._llm = [m for m in self._llm if not m.in_test]
            self._tools = {k: v for k, v in self._tools.items() if not v[1]}
            self._in_test = True
            self._span_mark = span_count
            self._child_calls = []

    def add_llm(self, match: str | Callback | None, reply: Any, times: int | None) -> int:
        with self._lock:
            if len(self._llm) >= MAX_MOCKS:
                raise SpellError("limit_exceeded", f"a test run may hold at most {MAX_MOCKS} LLM mocks")
            mock = _LLMMock(self._next, match, reply, times, self._in_test)
            self._next += 1
            self._llm.append(mock)
            return mock.id

    def add_tool(self, name: str, fn: Callback) -> None:
        with self._lock:
            if len(self._tools) >= MAX_MOCKS and name not in self._tools:
                raise SpellError("limit_exceeded", f"a test run may hold at most {MAX_MOCKS} tool mocks")
            self._tools[name] = (fn, self._in_test)

    def reset(self, span_count: int) -> None:
        with self._lock:
            self._llm.clear()
            self._tools.clear()
            self._child_calls = []
            self._span_mark = span_count

    def tool(self, name: str) -> Callback | None:
        with self._lock:
            entry = self._tools.get(name)
        return entry[0] if entry else None

    def add_child_calls(self, calls: list[CallRecord]) -> None:
        with self._lock:
            self._child_calls.extend(calls)

    def calls(self, spans: list[dict[str, Any]]) -> list[CallRecord]:
        """The calls of the current test: the run's own (from its trace) and its child runs'."""
        with self._lock:
            mark, children = self._span_mark, list(self._child_calls)
        return calls_from_spans(spans[mark:]) + children

    def answer(self, request: dict[str, Any]) -> Any:
        """The reply of the newest mock matching ``request`` ({model, prompt, system, messages}), or ``_NONE``."""
        with self._lock:
            candidates = [m for m in reversed(self._llm) if m.times is None or m.used < m.times]
        for mock in candidates:
            if _matches(mock.match, request):
                with self._lock:
                    mock.used += 1
                reply = mock.reply
                if isinstance(reply, Callback):
                    reply = reply(request)
                return reply
        return _NONE


_NONE = object()


def _matches(match: str | Callback | None, request: dict[str, Any]) -> bool:
    if match is None:
        return True
    if isinstance(match, str):
        haystack = "\n".join(str(m.get("content") or "") for m in request.get("messages") or [] if isinstance(m, dict))
        return match in haystack
    try:
        return bool(match(request))
    except SpellError as e:
        raise SpellError("tool_failed", f"a Mock.llm match function failed: {e.message}") from None


def registry_of(ctx: BridgeContext) -> MockRegistry | None:
    """The run's mocks; None outside test runs (and their child runs)."""
    mocks = ctx.services.get("mocks")
    return mocks if isinstance(mocks, MockRegistry) else None


def mocked_reply(ctx: BridgeContext, model: str, messages: list[dict[str, Any]]) -> dict[str, Any] | None:
    """``{content, tool_calls}`` (OpenAI-shaped tool calls) from a matching mock, or None to ask the model."""
    mocks = registry_of(ctx)
    if mocks is None:
        return None
    from app.bridges.llm_types import spell_messages

    spell_msgs = spell_messages(messages)
    request = {
        "model": model,
        "prompt": prompt_of(spell_msgs),
        "system": "\n".join(str(m.get("content") or "") for m in spell_msgs if m.get("role") == "system"),
        "messages": spell_msgs,
    }
    reply = mocks.answer(request)
    if reply is _NONE:
        return None
    return reply_record(reply)


def reply_record(reply: Any) -> dict[str, Any]:
    """A mock's reply as ``{content, tool_calls}``: a string is the text; a table with ``content`` and/or
    ``tool_calls`` is a whole answer; any other table is structured output (sent as its JSON text)."""
    from app.bridges.llm_types import openai_tool_call

    if reply is None:
        return {"content": "", "tool_calls": []}
    if isinstance(reply, str):
        return {"content": reply, "tool_calls": []}
    if isinstance(reply, (int, float, bool)):
        return {"content": json.dumps(reply), "tool_calls": []}
    if (
        isinstance(reply, dict)
        and ("content" in reply or "tool_calls" in reply)
        and set(reply) <= {"content", "tool_calls"}
    ):
        calls = reply.get("tool_calls") or []
        if not isinstance(calls, list) or not all(isinstance(c, dict) for c in calls):
            raise SpellError("invalid_argument", "a mock reply's tool_calls must be a list of {name, arguments}")
        out = []
        for i, c in enumerate(calls, 1):
            call = openai_tool_call(c)
            call["id"] = call.get("id") or f"mock_call_{i}"
            out.append(call)
        content = reply.get("content")
        if content is not None and not isinstance(content, str):
            content = json.dumps(content, ensure_ascii=False)
        return {"content": content, "tool_calls": out}
    return {"content": json.dumps(reply, ensure_ascii=False), "tool_calls": []}


def mocked_tool(ctx: BridgeContext, name: str) -> Callback | None:
    """The mock body of tool ``name``, or None."""
    mocks = registry_of(ctx)
    return mocks.tool(name) if mocks is not None else None


def begin_test(ctx: BridgeContext) -> None:
    """A test of a test run starts: fresh State and Event scopes, the previous test's mocks removed."""
    from app.bridges.state import MemoryStateStore
    from app.bridges.trace import Tracer

    ctx.services.pop("events", None)
    ctx.services["state"] = MemoryStateStore(ctx)
    tracer = ctx.service("tracer", Tracer)
    ctx.service("mocks", MockRegistry).begin_test(tracer.count())


class LLMMockOptions(TypedDict, total=False):
    times: int


@bridge("Mock", test_only=True)
class MockBridge(Bridge):
    """Pin what models and tools answer in a test (test files only). Mocks apply to everything the test runs,
    ``Spell.run`` included; a call no mock matches goes to the run's model (the offline model unless the test
    run names another). Mocks made inside a test end with it; mocks made at the top of the file last for the
    whole file. The newest matching mock answers."""

    def _registry(self) -> MockRegistry:
        return self.ctx.service("mocks", MockRegistry)

    def llm(self, match: Any, reply: Any, opts: LLMMockOptions | None = None) -> int:
        """Answer matching LLM calls with a fixed reply instead of asking the model.

        Args:
            match: A substring of the prompt (any message), a Lua pattern as {pattern = "..."} / a JS RegExp, a
                function of the request ({model, prompt, system, messages}) returning true, or nil for every call.
            reply: A string (the text), a table with content and/or tool_calls ({name, arguments}), any other
                table (structured output: its JSON), or a function of the request returning one of those.
        Options:
            times: Answer at most this many calls, then let the next mock (or the model) answer.
        Returns:
            The mock's id.
        Errors:
            invalid_argument: a reply that is not a string, table or function.
            limit_exceeded: more than 1,000 mocks.
        Example (lua):
            Mock.llm("capital of France", "Paris")
            assert.are.equal("Paris", LLM.complete("What is the capital of France?"))
        Example (js):
            Mock.llm(/capital of \\w+/, "Paris");
            expect(LLM.complete("What is the capital of France?")).toBe("Paris");
        Example (tengo):
            Mock.llm("capital of France", "Paris")
            assert.equal("Paris", LLM.complete("What is the capital of France?"))
        """
        # typed Any for the docs: Lua patterns and JS RegExps become match functions in the sandbox first
        if not (match is None or isinstance(match, (str, Callback))):
            raise SpellError("invalid_argument", "Mock.llm: match must be a string, a pattern, a function or nil")
        if isinstance(match, str) and len(match) > MAX_MATCH_CHARS:
            raise SpellError("invalid_argument", f"a mock's match text is longer than {MAX_MATCH_CHARS} characters")
        if not (reply is None or isinstance(reply, (str, int, float, bool, dict, list, Callback))):
            raise SpellError("invalid_argument", "a mock reply must be a string, a table or a function")
        times = (opts or {}).get("times")
        if times is not None and (not isinstance(times, int) or times < 1):
            raise SpellError("invalid_argument", "Mock.llm: times must be a positive integer")
        if not isinstance(reply, Callback):
            reply_record(reply)  # a malformed reply fails here, at the line that made it
        return self._registry().add_llm(match, reply, times)

    def tool(self, name: str, fn: Callback) -> None:
        """Replace a tool's body: calls of tool ``name`` (by agents or Tool.call) run ``fn`` instead.

        Args:
            name: The tool's name.
            fn: A function of the tool's arguments returning its result.
        Example (lua):
            Tool.register("weather", "Weather", {type = "object"}, function(args) return "rain" end)
            Mock.tool("weather", function(args) return "sunny in " .. args.city end)
            assert.are.equal("sunny in Oslo", Tool.call("weather", {city = "Oslo"}))
        Example (js):
            Tool.register("weather", "Weather", {type: "object"}, (args) => "rain");
            Mock.tool("weather", (args) => "sunny in " + args.city);
            expect(Tool.call("weather", {city: "Oslo"})).toBe("sunny in Oslo");
        Example (tengo):
            Tool.register("weather", "Weather", {type: "object"}, func(args) { return "rain" })
            Mock.tool("weather", func(args) { return "sunny in " + args.city })
            assert.equal("sunny in Oslo", Tool.call("weather", {city: "Oslo"}))
        """
        if not name or len(name) > 256:
            raise SpellError("invalid_argument", "Mock.tool: the tool name must be 1 to 256 characters")
        self._registry().add_tool(name, fn)

    def reset(self) -> None:
        """Remove every mock (file-level ones too) and forget the calls made so far.

        Example (lua):
            Mock.llm(nil, "always this")
            Mock.reset()
            print(LLM.complete("hi"))  -- the model answers again
        Example (js):
            Mock.llm(null, "always this");
            Mock.reset();
            console.log(LLM.complete("hi"));  // the model answers again
        Example (tengo):
            Mock.llm(undefined, "always this")
            Mock.reset()
            answer := LLM.complete("hi")  // the model answers again
        """
        from app.bridges.trace import Tracer

        self._registry().reset(self.ctx.service("tracer", Tracer).count())

    def calls(self) -> list[CallRecord]:
        """The LLM and tool calls of the current test so far (its Spell.run runs included), mocked or not.

        Returns:
            A list of call records: {kind = "llm", model, prompt, system, messages, reply, tool_calls, mocked}
            or {kind = "tool", name, args, result}, with the file and line that made each call.
        Example (lua):
            Mock.llm("Summarise", "Short.")
            LLM.complete("Summarise this text")
            local calls = Mock.calls()
            assert.are.equal("Summarise this text", calls[1].prompt)
        Example (js):
            Mock.llm("Summarise", "Short.");
            LLM.complete("Summarise this text");
            expect(Mock.calls()[0].prompt).toBe("Summarise this text");
        Example (tengo):
            Mock.llm("Summarise", "Short.")
            LLM.complete("Summarise this text")
            assert.equal("Summarise this text", Mock.calls()[0].prompt)
        """
        from app.bridges.trace import Tracer

        tracer = self.ctx.service("tracer", Tracer)
        return self._registry().calls(tracer.spans())
