"""Record types of the spell API's results (``TypedDict``): they document result fields in the reference and give
editors completion (LuaLS classes, TypeScript interfaces). At run time the values are plain tables."""

from __future__ import annotations

import logging
from typing import Any, TypedDict

log = logging.getLogger(__name__)


class ToolCall(TypedDict):
    """A tool call the model asked for.

    Args:
        id: The call id (tool results answer it with tool_call_id).
        name: The tool name.
        arguments: The arguments table (a string when the model sent invalid JSON).
    """

    id: str
    name: str
    arguments: Any


class ChatMessage(TypedDict, total=False):
    """A chat message.

    Args:
        role: "system", "user", "assistant" or "tool".
        content: The text (nil when an assistant message only calls tools).
        tool_calls: The tool calls of an assistant message.
        tool_call_id: The call a tool message answers.
    """

    role: str
    content: str | None
    tool_calls: list[ToolCall]
    tool_call_id: str


class Usage(TypedDict):
    """Tokens and cost so far.

    Args:
        prompt_tokens: Tokens sent.
        completion_tokens: Tokens received.
        total_tokens: Their sum.
        cost: US dollars from litellm's price map (0 for offline and unpriced models).
        calls: Number of LLM calls.
        cache_hits: Calls answered from the response cache (cost 0).
        by_model: The same fields per model name.
    """

    prompt_tokens: int
    completion_tokens: int
    total_tokens: int
    cost: float
    calls: int
    cache_hits: int
    by_model: dict[str, Any]


class AgentToolCall(TypedDict, total=False):
    """One tool call an agent made.

    Args:
        id: The call id.
        name: The tool name.
        arguments: The arguments table.
        result: The tool's result (absent when it failed).
        error: {code, message} when the tool failed (the model saw it).
    """

    id: str
    name: str
    arguments: Any
    result: Any
    error: dict[str, Any]


class AgentStep(TypedDict):
    """One step (LLM call) of an agent run.

    Args:
        step: The step number, from 1.
        content: The model's text in this step (often nil when it calls tools).
        tool_calls: The tools it called in this step.
    """

    step: int
    content: str | None
    tool_calls: list[AgentToolCall]


class AgentUsage(TypedDict):
    """Tokens and cost of one agent run.

    Args:
        prompt_tokens: Tokens sent.
        completion_tokens: Tokens received.
        total_tokens: Their sum.
        cost: US dollars.
    """

    prompt_tokens: int
    completion_tokens: int
    total_tokens: int
    cost: float


class AgentResult(TypedDict):
    """The outcome of agent:run.

    Args:
        text: The final answer.
        steps: Every step with its tool calls.
        usage: Tokens and cost of this run.
    """

    text: str
    steps: list[AgentStep]
    usage: AgentUsage


class StepResult(TypedDict):
    """The outcome of one workflow step.

    Args:
        name: The step name.
        ok: Whether it succeeded.
        output: Its output (nil when it failed).
        error: {code, message} when it failed.
        attempts: How many times it ran (retries included; 0 when skipped).
    """

    name: str
    ok: bool
    output: Any
    error: dict[str, Any] | None
    attempts: int


class WorkflowResult(TypedDict, total=False):
    """The outcome of a workflow.

    Args:
        ok: Whether every step succeeded.
        output: The final output (sequential, conditional) or the list of outputs (parallel, loop).
        outputs: Outputs by step name (sequential, parallel).
        results: Every step's outcome, in order.
        branch: The branch taken (conditional; nil when none matched).
        iterations: How many iterations ran (loop).
    """

    ok: bool
    output: Any
    outputs: dict[str, Any]
    results: list[StepResult]
    branch: str | None
    iterations: int


class ToolInfo(TypedDict, total=False):
    """A tool's description.

    Args:
        name: The tool name.
        description: What it does.
        schema: The JSON schema of its arguments.
        source: "builtin", "script" or "agent".
    """

    name: str
    description: str
    schema: dict[str, Any]
    source: str


class ModelEntry(TypedDict):
    """A model in Model.list.

    Args:
        name: provider/model.
        provider: The provider.
        mode: "chat" or "embedding".
    """

    name: str
    provider: str
    mode: str


class ModelInfo(TypedDict):
    """What litellm's model map says about a model.

    Args:
        name: provider/model.
        provider: The provider.
        mode: "chat", "embedding", ...
        context_window: Input tokens it accepts.
        max_output_tokens: Most tokens it answers with.
        input_cost_per_token: US dollars per prompt token.
        output_cost_per_token: US dollars per completion token.
        supports: {tools, response_schema, vision, system_messages} booleans.
        configured: Whether its provider has credentials in the environment.
    """

    name: str
    provider: str
    mode: str | None
    context_window: int | None
    max_output_tokens: int | None
    input_cost_per_token: float
    output_cost_per_token: float
    supports: dict[str, bool]
    configured: bool


class ProviderInfo(TypedDict):
    """A provider and whether it is configured (never the credentials themselves).

    Args:
        name: The provider name.
        configured: Whether every environment variable it needs is set.
        env: The names of those environment variables.
    """

    name: str
    configured: bool
    env: list[str]


class EventRecord(TypedDict):
    """An event taken by Event.wait.

    Args:
        topic: The topic it was published on.
        data: The data it carried.
    """

    topic: str
    data: Any


class CallRecord(TypedDict, total=False):
    """One LLM or tool call a run made (Mock.calls, the calls of Spell.run).

    Args:
        kind: "llm" or "tool".
        model: The model asked (LLM calls).
        prompt: The text of the last user message (LLM calls).
        system: The system prompt, "" when none (LLM calls).
        messages: Every message sent (LLM calls).
        reply: The model's text reply, nil when it only called tools (LLM calls).
        tool_calls: Tool calls the model asked for (LLM calls).
        mocked: Whether a Mock.llm answered instead of the model (LLM calls).
        name: The tool's name (tool calls).
        args: The tool's arguments (tool calls).
        result: What the tool returned (tool calls).
        error: {code, message} when the call failed.
        file: The spell file that made the call.
        line: The line that made the call.
    """

    kind: str
    model: str
    prompt: str
    system: str
    messages: list[Any]
    reply: str | None
    tool_calls: list[Any]
    mocked: bool
    name: str
    args: Any
    result: Any
    error: dict[str, Any]
    file: str | None
    line: int | None


class SpellRunResult(TypedDict):
    """What Spell.run returns.

    Args:
        result: The spell's result (what it returned or exported), nil when it failed.
        output: Everything it printed (print, console.log, stderr), as one text; Log lines are not part of it.
        error: nil, or {code, message, file, line} when it failed.
        calls: Its LLM and tool calls, in order (see CallRecord).
    """

    result: Any
    output: str
    error: dict[str, Any] | None
    calls: list[CallRecord]


class SpendReport(TypedDict):
    """Spending per model: this run, today and this month (UTC), in US dollars.

    Args:
        run: This run's cost per model.
        today: Today's spend per model, every run of this computer (the IDE and llmspell).
        month: This month's spend per model.
        today_total: Today's spend, all models.
        month_total: This month's spend, all models.
        budget: The limits in force: {daily_usd, monthly_usd, max_cost (this run), max_tokens (this run)}.
    """

    run: dict[str, float]
    today: dict[str, float]
    month: dict[str, float]
    today_total: float
    month_total: float
    budget: dict[str, Any]
