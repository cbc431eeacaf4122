"""``Agent``: an LLM with tools, run as litellm's tool-calling loop (call, run tools, feed results back)."""

from __future__ import annotations

import contextvars
import itertools
import json
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypedDict, cast

from app.bridges.budget import budget_of
from app.bridges.errors import SpellError
from app.bridges.hook_registry import hooks_of
from app.bridges.llm_client import client_of
from app.bridges.llm_types import LLMOptions, LLMResult, spell_tool_call
from app.bridges.records import AgentResult, ChatMessage
from app.bridges.registry import Bridge, BridgeContext, bridge, handle_type
from app.bridges.tool_registry import NAME, ToolDef, check_tool_schema, run_tool, tools_of
from app.bridges.trace import Tracer

log = logging.getLogger(__name__)

DEFAULT_MAX_STEPS = 8
DEFAULT_MEMORY = 50
MAX_STEPS = 1000
MAX_PARALLEL_TOOLS = 8


class AgentOptions(LLMOptions, total=False):
    name: str
    description: str
    tools: list[Any]
    max_steps: int
    memory: int


class RunOptions(TypedDict, total=False):
    max_steps: int


def _usage_add(total: dict[str, Any], result: LLMResult) -> None:
    for k in ("prompt_tokens", "completion_tokens", "total_tokens"):
        total[k] += int(result.usage.get(k, 0) or 0)
    total["cost"] += result.cost


@handle_type("Agent")
class AgentInstance:
    """An agent made by ``Agent.new``: call ``agent:run(task)`` (stateless) or ``agent:chat(message)`` (keeps
    history). Each step is an ``agent_step`` span; tool calls are ``tool`` spans inside it. When the model asks for
    several tools in one step they run concurrently (agents and built-ins overlap; script code runs one at a time)
    and their results go back to the model in the order it asked."""

    def __init__(self, ctx: BridgeContext, opts: AgentOptions):
        self._ctx = ctx
        self._opts = opts
        names = ctx.service("agent_names", lambda: itertools.count(1))
        self._name = str(opts.get("name") or f"agent{next(names)}")
        if not NAME.match(self._name):
            raise SpellError("invalid_argument", f"agent name {self._name!r} must be letters, digits, _ or -")
        self._description = str(opts.get("description") or f"Ask the agent '{self._name}' (give it an input).")
        self._max_steps = int(opts.get("max_steps") or DEFAULT_MAX_STEPS)
        self._memory = int(opts.get("memory", DEFAULT_MEMORY))
        if not 1 <= self._max_steps <= MAX_STEPS:
            raise SpellError("invalid_argument", f"max_steps must be between 1 and {MAX_STEPS}")
        self._tools = self._resolve_tools(opts.get("tools") or [])
        self._history: list[dict[str, Any]] = []

    # tools -----------------------------------------------------------------------------------------------------
    def _resolve_tools(self, entries: list[Any]) -> list[ToolDef]:
        tools: list[ToolDef] = []
        for entry in entries:
            if isinstance(entry, str):
                tools.append(tools_of(self._ctx).get(entry))
            elif isinstance(entry, AgentInstance):
                tools.append(entry._as_tool())
            elif callable(entry):  # a bare script function: generic name and schema (a table says more)
                schema = {"type": "object", "properties": {"input": {"type": "string"}}}
                tools.append(
                    ToolDef(
                        f"function{len(tools) + 1}",
                        "A script function taking {input}.",
                        schema,
                        lambda args, fn=entry: fn(args),  # type: ignore[misc]
                        "script",
                    )
                )
            elif isinstance(entry, dict) and callable(entry.get("fn")) and isinstance(entry.get("name"), str):
                fn = entry["fn"]
                schema = check_tool_schema(entry["name"], entry.get("parameters", entry.get("schema")))
                tools.append(
                    ToolDef(
                        entry["name"],
                        str(entry.get("description", "")),
                        schema,
                        lambda args, fn=fn: fn(args),  # type: ignore[misc]
                        "script",
                    )
                )
                budget_of(self._ctx).charge("tool_bytes", tools[-1].size())
            else:
                raise SpellError(
                    "invalid_argument",
                    "Agent.new: each tool must be a registered tool name, an agent "
                    "or a table {name, description, parameters, fn}",
                )
        names = [t.name for t in tools]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise SpellError("invalid_argument", f"Agent.new: tool names must be unique: {', '.join(dupes)}")
        return tools

    def _as_tool(self) -> ToolDef:
        schema = {
            "type": "object",
            "properties": {"input": {"type": "string", "description": "The task"}},
            "required": ["input"],
        }
        return ToolDef(
            self._name,
            self._description,
            schema,
            lambda args: self._loop(self._start_messages([], str(args.get("input", ""))), self._max_steps)["text"],
            "agent",
        )

    # the loop --------------------------------------------------------------------------------------------------
    def _llm_opts(self) -> LLMOptions:
        keys = ("model", "temperature", "max_tokens", "timeout", "retries", "fallbacks", "stop", "seed", "cache")
        return cast(LLMOptions, {k: self._opts[k] for k in keys if self._opts.get(k) is not None})  # type: ignore[literal-required]

    def _start_messages(self, history: list[dict[str, Any]], text: str) -> list[dict[str, Any]]:
        msgs: list[dict[str, Any]] = []
        if self._opts.get("system"):
            msgs.append({"role": "system", "content": self._opts["system"]})
        return msgs + history + [{"role": "user", "content": text}]

    def _loop(self, messages: list[dict[str, Any]], max_steps: int) -> dict[str, Any]:
        ctx = self._ctx
        tracer: Tracer = ctx.service("tracer", Tracer)
        client = client_of(ctx)
        specs = [t.openai() for t in self._tools] or None
        usage: dict[str, Any] = {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0, "cost": 0.0}
        steps: list[dict[str, Any]] = []
        with tracer.span(
            "agent",
            self._name,
            file=ctx.spell_path,
            line=ctx.call_line(),
            model=self._opts.get("model"),
            request={"input": messages[-1]["content"]},
        ) as agent_span:
            for n in range(1, max_steps + 1):
                if ctx.call_cancelled().is_set():
                    raise SpellError("cancelled", f"agent {self._name} cancelled at step {n}")
                with tracer.span(
                    "agent_step", f"{self._name} step {n}", file=ctx.spell_path, line=ctx.call_line()
                ) as step_span:
                    result = client.chat(messages, self._llm_opts(), caller=f"Agent {self._name}", tools=specs)
                    _usage_add(usage, result)
                    messages.append(result.openai_message())
                    step = {
                        "step": n,
                        "content": result.content,
                        "tool_calls": self._run_calls(result.tool_calls, messages, step_span["id"]),
                    }
                    step_span["_response"] = step
                    step_span["_tokens"] = result.tokens()
                    step_span["_cost"] = result.cost
                steps.append(step)
                hooks_of(ctx).run("agent_step", {"agent": self._name, **step}, subject=self._name)
                if not result.tool_calls:
                    out = {"text": result.content or "", "steps": steps, "usage": usage}
                    agent_span["_response"] = {"text": out["text"], "steps": len(steps)}
                    return out
        raise SpellError("limit_exceeded", f"agent {self._name} reached max_steps ({max_steps}) without an answer")

    def _run_calls(
        self, calls: list[dict[str, Any]], messages: list[dict[str, Any]], parent: str
    ) -> list[dict[str, Any]]:
        """Run a step's tool calls, concurrently when there are several (script tools still run one at a time in
        the worker; agents and built-ins overlap), and append their results to ``messages`` in call order."""
        if len(calls) <= 1:
            outcomes = [self._run_call(c) for c in calls]
        else:
            tracer: Tracer = self._ctx.service("tracer", Tracer)

            def one(call: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
                with tracer.attach(parent):
                    return self._run_call(call)

            with ThreadPoolExecutor(
                max_workers=min(len(calls), MAX_PARALLEL_TOOLS), thread_name_prefix="agent-tools"
            ) as pool:
                scopes = [contextvars.copy_context() for _ in calls]  # the call's line and cancellation
                outcomes = list(pool.map(lambda c, call: c.run(one, call), scopes, calls))
        messages.extend(message for _, message in outcomes)
        return [record for record, _ in outcomes]

    def _run_call(self, call: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        info = spell_tool_call(call)
        record: dict[str, Any] = {"id": info["id"], "name": info["name"], "arguments": info["arguments"]}
        tool = next((t for t in self._tools if t.name == info["name"]), None)
        try:
            if tool is None:
                raise SpellError("not_found", f"the model asked for unknown tool {info['name']!r}")
            if not isinstance(info["arguments"], dict):
                raise SpellError("invalid_argument", f"tool {tool.name!r}: arguments are not a JSON object")
            result = run_tool(self._ctx, tool, info["arguments"])
            record["result"] = result
            content = result if isinstance(result, str) else json.dumps(result, ensure_ascii=False, default=str)
        except SpellError as e:
            if e.code in ("cancelled", "limit_exceeded"):
                raise
            record["error"] = {"code": e.code, "message": e.message}
            content = json.dumps({"error": e.code, "message": e.message})  # the model sees it and may recover
        return record, {"role": "tool", "tool_call_id": info["id"], "content": content}

    # spell methods ---------------------------------------------------------------------------------------------
    def run(self, input: str, opts: RunOptions | None = None) -> AgentResult:
        """Run the agent on a task: the model may call its tools until it answers (history is not kept).

        Args:
            input: The task.
        Options:
            max_steps: Override the agent's max_steps for this run.
        Returns:
            {text = final answer, steps = list of {step, content, tool_calls = list of {id, name, arguments,
            result | error}}, usage = {prompt_tokens, completion_tokens, total_tokens, cost}}.
        Errors:
            limit_exceeded: max_steps passed without a final answer.
            cancelled: a hook cancelled a step or call, or the run was stopped.
            provider: and the other errors of LLM.chat. Tool failures are not errors: the model sees them and
                may recover.
        Example (lua):
            local agent = Agent.new({tools = {"calculator"}})
            print(agent:run("Use the calculator to compute 6*7.").text)
        Example (js):
            const agent = Agent.new({tools: ["calculator"]});
            console.log(agent.run("Use the calculator to compute 6*7.").text);
        """
        max_steps = min(int((opts or {}).get("max_steps") or self._max_steps), MAX_STEPS)
        return self._loop(self._start_messages([], input), max_steps)  # type: ignore[return-value]

    def chat(self, message: str) -> str:
        """Send a message in the agent's ongoing conversation (it remembers earlier turns, up to ``memory``).

        Args:
            message: The user's message.
        Returns:
            The agent's answer text.
        Errors:
            limit_exceeded: and the other errors of agent:run.
        Example (lua):
            local bot = Agent.new({system = "You are terse."})
            print(bot:chat("My name is Ada.")); print(bot:chat("What is my name?"))
        Example (js):
            const bot = Agent.new({system: "You are terse."});
            console.log(bot.chat("My name is Ada.")); console.log(bot.chat("What is my name?"));
        """
        messages = self._start_messages(self._history, message)
        first = len(messages) - 1
        result = self._loop(messages, self._max_steps)
        self._history = self._trim(self._history + messages[first:])
        return result["text"]

    def _trim(self, history: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if self._memory <= 0:
            return []
        kept = history[-self._memory :]
        while kept and kept[0]["role"] != "user":  # never start with an orphan tool result or answer
            kept = kept[1:]
        return kept

    def history(self) -> list[ChatMessage]:
        """The conversation kept by agent:chat.

        Returns:
            A list of {role, content} messages (tool calls and results included).
        Example (lua):
            local bot = Agent.new(); bot:chat("Hello")
            for _, m in ipairs(bot:history()) do print(m.role, m.content) end
        Example (js):
            const bot = Agent.new(); bot.chat("Hello");
            for (const m of bot.history()) console.log(m.role, m.content);
        """
        out = []
        for m in self._history:
            msg = {"role": m["role"], "content": m.get("content")}
            if m.get("tool_calls"):
                msg["tool_calls"] = [spell_tool_call(c) for c in m["tool_calls"]]
            if m.get("tool_call_id"):
                msg["tool_call_id"] = m["tool_call_id"]
            out.append(msg)
        return out  # type: ignore[return-value]

    def reset(self) -> None:
        """Forget the conversation kept by agent:chat.

        Example (lua):
            local bot = Agent.new(); bot:chat("Hello")
            bot:reset(); print(#bot:history())  -- 0
        Example (js):
            const bot = Agent.new(); bot.chat("Hello");
            bot.reset(); console.log(bot.history().length);  // 0
        """
        self._history = []

    def name(self) -> str:
        """The agent's name (also its tool name when another agent uses it).

        Returns:
            The name.
        Example (lua):
            local a = Agent.new({name = "researcher"})
            print(a:name())
        Example (js):
            const a = Agent.new({name: "researcher"});
            console.log(a.name());
        """
        return self._name


@bridge("Agent")
class AgentBridge(Bridge):
    """Make agents: a model, a system prompt and tools, run as a tool-calling loop."""

    def new(self, opts: AgentOptions | None = None) -> AgentInstance:
        """Create an agent.

        Options:
            name: A name (letters, digits, _ or -), used in traces and as its tool name for other agents.
            description: What the agent does (shown to other agents that use it as a tool).
            model: provider/model (default: the run's default model).
            system: The system prompt.
            tools: Tools it may call: registered tool names, other agents, {name, description, parameters, fn}
                tables whose fn is a script function receiving the arguments table, or bare functions (named
                function1, function2... by position, taking {input}; prefer tables so the model knows what they do).
            max_steps: Most LLM calls per run (default 8, at most 1000).
            temperature: Sampling temperature.
            max_tokens: Upper bound on each answer's tokens.
            memory: Messages agent:chat keeps (default 50; 0 keeps none).
            timeout: Seconds to wait for the provider per call.
            retries: Retries of retryable failures per call.
            fallbacks: Models to try in order when the model fails.
            stop: Stop sequences.
            seed: A sampling seed.
            cache: false skips the response cache for its LLM calls (on only when the user turned it on).
        Returns:
            The agent.
        Errors:
            invalid_argument: a malformed tool entry, duplicate tool names or a bad schema.
            not_found: a tool name that is not registered.
        Example (lua):
            local add = {name = "add", parameters = {type = "object", properties = {a = {type = "number"},
              b = {type = "number"}}}, fn = function(args) return args.a + args.b end}
            local agent = Agent.new({system = "You add numbers.", tools = {add, "calculator"}, max_steps = 4})
        Example (js):
            const add = {name: "add", parameters: {type: "object", properties: {a: {type: "number"},
              b: {type: "number"}}}, fn: (args) => args.a + args.b};
            const agent = Agent.new({system: "You add numbers.", tools: [add, "calculator"], maxSteps: 4});
        """
        return AgentInstance(self.ctx, dict(opts or {}))  # type: ignore[arg-type]
