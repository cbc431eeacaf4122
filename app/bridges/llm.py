"""``LLM``: completions, chat, streaming, structured output, embeddings and token counts through litellm."""

from __future__ import annotations

import logging
from typing import Any, TypedDict

from app.bridges import offline_rules
from app.bridges.errors import SpellError
from app.bridges.litellm_support import get_litellm, is_offline
from app.bridges.llm_client import client_of
from app.bridges.llm_types import LLMOptions, prompt_messages, to_openai_messages, with_system
from app.bridges.records import ChatMessage, Usage
from app.bridges.registry import Bridge, Callback, bridge
from app.bridges.structured import check_schema, structured
from app.bridges.tool_registry import ToolDef, check_tool_schema, tools_of

log = logging.getLogger(__name__)


class ChatOptions(LLMOptions, total=False):
    tools: list[Any]
    tool_choice: str


class EmbedOptions(TypedDict, total=False):
    model: str
    timeout: float
    retries: int


class CountOptions(TypedDict, total=False):
    model: str


def tool_specs(ctx: Any, entries: list[Any], where: str) -> list[dict[str, Any]]:
    """Tool entries (registered names or {name, description, parameters|schema} tables) as OpenAI tools."""
    specs = []
    for entry in entries:
        if isinstance(entry, str):
            specs.append(tools_of(ctx).get(entry).openai())
        elif isinstance(entry, dict) and isinstance(entry.get("name"), str):
            schema = check_tool_schema(entry["name"], entry.get("parameters", entry.get("schema")))
            specs.append(ToolDef(entry["name"], str(entry.get("description", "")), schema, lambda a: None).openai())
        else:
            raise SpellError(
                "invalid_argument",
                f"{where}: each tool must be a registered tool name or a table {{name, description, parameters}}",
            )
    return specs


def _tool_choice(choice: str | None) -> Any:
    if choice in (None, "auto", "none", "required"):
        return choice
    return {"type": "function", "function": {"name": choice}}


@bridge("LLM")
class LLMBridge(Bridge):
    """Talk to language models through litellm (any ``provider/model``; ``offline/echo`` needs no network).

    Every call goes through the run's hooks, appears in the trace, counts toward ``LLM.usage()``, and is recorded
    or replayed when the run records or replays a cassette. Errors carry the codes ``authentication``,
    ``rate_limited``, ``context_length``, ``timeout``, ``network``, ``provider``, ``invalid_argument``,
    ``cancelled``, ``budget_exceeded``. Retryable ones (rate limits, timeouts, network, 5xx) are retried with
    exponential backoff and jitter (honouring Retry-After), then the ``fallbacks`` models are tried in order.
    A model may be an alias from ``llmspell.toml`` or Settings → Models (deployments, rate limits, budgets,
    response cache: docs/models.md).
    """

    def complete(self, prompt: str, opts: LLMOptions | None = None) -> str:
        """Send one prompt and return the model's text.

        Args:
            prompt: The user prompt.
        Options:
            model: provider/model, e.g. "openai/gpt-4o-mini" (default: the run's default model, "offline/echo").
            system: A system message sent before the prompt.
            temperature: Sampling temperature.
            max_tokens: Upper bound on the answer's tokens.
            timeout: Seconds to wait for the provider (default 120).
            retries: Retries of retryable failures (default 2).
            fallbacks: Models to try in order when the model still fails.
            stop: A stop sequence or a list of them.
            seed: A sampling seed, where the provider supports it.
            cache: false skips the response cache for this call (it is on only when the user turned it on).
        Returns:
            The answer text.
        Errors:
            authentication: the provider rejected the API key (or none is set).
            rate_limited: still rate limited after the retries (retryable).
            context_length: the prompt does not fit the model's context window.
            timeout: no answer within timeout (retryable).
            network: the provider could not be reached (retryable).
            provider: the provider failed or answered something unusable.
            cancelled: a before_llm hook cancelled the call, or the run was stopped.
            budget_exceeded: the call would pass a budget (--max-cost, --max-tokens, daily or monthly); not sent.
        Example (lua):
            local answer = LLM.complete("Name three colours", {temperature = 0})
            print(answer)
        Example (js):
            const answer = LLM.complete("Name three colours", {temperature: 0});
            console.log(answer);
        """
        opts = opts or {}
        result = client_of(self.ctx).chat(prompt_messages(prompt, opts.get("system")), opts, caller="LLM.complete")
        return result.content or ""

    def chat(self, messages: list[ChatMessage], opts: ChatOptions | None = None) -> ChatMessage:
        """Send a conversation and return the model's message (which may ask for tool calls).

        Args:
            messages: A list of {role, content} with role "system", "user", "assistant" or "tool" (tool results
                also carry tool_call_id; assistant messages may carry tool_calls).
        Options:
            model: provider/model (default: the run's default model).
            system: A system message placed before the messages.
            temperature: Sampling temperature.
            max_tokens: Upper bound on the answer's tokens.
            timeout: Seconds to wait for the provider (default 120).
            retries: Retries of retryable failures (default 2).
            fallbacks: Models to try in order when the model still fails.
            stop: A stop sequence or a list of them.
            seed: A sampling seed, where the provider supports it.
            cache: false skips the response cache for this call (it is on only when the user turned it on).
            tools: Tools the model may call: registered tool names or {name, description, parameters} tables.
            tool_choice: "auto", "none", "required" or a tool name to force.
        Returns:
            The message {role = "assistant", content, tool_calls} where tool_calls (if any) is a list of
            {id, name, arguments}; the tools are not run (use an Agent for that).
        Errors:
            invalid_argument: malformed messages or tools.
            provider: and the other errors of LLM.complete.
        Example (lua):
            local reply = LLM.chat({{role = "user", content = "Hi!"}}, {system = "Be brief."})
            print(reply.content)
        Example (js):
            const reply = LLM.chat([{role: "user", content: "Hi!"}], {system: "Be brief."});
            console.log(reply.content);
        """
        opts = opts or {}
        msgs = with_system(to_openai_messages(messages, "LLM.chat", self.ctx.limits), opts.get("system"))
        tools = tool_specs(self.ctx, opts.get("tools") or [], "LLM.chat") or None
        result = client_of(self.ctx).chat(
            msgs,
            opts,
            caller="LLM.chat",
            tools=tools,
            tool_choice=_tool_choice(opts.get("tool_choice")) if tools else None,
        )
        return result.spell_message()  # type: ignore[return-value]

    def stream(self, input: str | list[ChatMessage], on_chunk: Callback, opts: LLMOptions | None = None) -> str:
        """Stream an answer, calling a function with each piece of text as it arrives.

        Args:
            input: A prompt string or a list of {role, content} messages.
            on_chunk: Called with each text chunk; return false to stop the stream early.
        Options:
            model: provider/model (default: the run's default model).
            system: A system message sent first.
            temperature: Sampling temperature.
            max_tokens: Upper bound on the answer's tokens.
            timeout: Seconds to wait for the provider (default 120).
            retries: Retries before the first chunk arrives (a stream that breaks later is not retried).
            fallbacks: Models to try in order when the model fails before streaming.
            stop: A stop sequence or a list of them.
            seed: A sampling seed, where the provider supports it.
            cache: false skips the response cache for this call (it is on only when the user turned it on).
        Returns:
            The full text received (up to the point where on_chunk returned false).
        Errors:
            network: the stream broke midway (not retried once text has arrived).
            provider: and the other errors of LLM.complete.
        Example (lua):
            local text = LLM.stream("Tell a short story", function(chunk) print(chunk) end)
            print(#text .. " characters")
        Example (js):
            const text = LLM.stream("Tell a short story", (chunk) => { console.log(chunk); });
            console.log(text.length + " characters");
        """
        opts = opts or {}
        if isinstance(input, str):
            msgs = prompt_messages(input, opts.get("system"))
        else:
            msgs = with_system(to_openai_messages(input, "LLM.stream", self.ctx.limits), opts.get("system"))
        result = client_of(self.ctx).chat(msgs, opts, caller="LLM.stream", on_chunk=on_chunk)
        return result.content or ""

    def structured(self, prompt: str, schema: dict[str, Any], opts: LLMOptions | None = None) -> Any:
        """Ask for a value that matches a JSON schema, validated before it is returned.

        Uses the provider's JSON-schema mode where the model supports it; otherwise instructs the model, extracts
        the JSON from its answer and validates it. An invalid answer gets one repair request.

        Args:
            prompt: What to produce or extract.
            schema: A JSON schema table (e.g. {type = "object", properties = {...}, required = {...}}).
        Options:
            model: provider/model (default: the run's default model).
            system: A system message sent before the prompt.
            temperature: Sampling temperature.
            max_tokens: Upper bound on the answer's tokens.
            timeout: Seconds to wait for the provider (default 120).
            retries: Retries of retryable failures (default 2).
            fallbacks: Models to try in order when the model still fails.
            stop: A stop sequence or a list of them.
            seed: A sampling seed, where the provider supports it.
            cache: false skips the response cache for this call (it is on only when the user turned it on).
        Returns:
            The decoded value (a table, list, string, number or boolean) valid against the schema.
        Errors:
            invalid_argument: the schema is not a valid JSON schema.
            provider: the answer still fails validation after the repair; the message names the violation, e.g.
                "at $.age: 'x' is not of type 'integer'".
        Example (lua):
            local p = LLM.structured("name: Ada, age: 36", {type = "object",
              properties = {name = {type = "string"}, age = {type = "integer"}}, required = {"name", "age"}})
        Example (js):
            const p = LLM.structured("name: Ada, age: 36", {type: "object",
              properties: {name: {type: "string"}, age: {type: "integer"}}, required: ["name", "age"]});
        """
        opts = opts or {}
        check_schema(schema, "LLM.structured")
        return structured(
            client_of(self.ctx), prompt_messages(prompt, opts.get("system")), schema, opts, "LLM.structured"
        )

    def embed(self, texts: str | list[str], opts: EmbedOptions | None = None) -> list[Any]:
        """Turn texts into embedding vectors.

        Args:
            texts: One string or a list of strings.
        Options:
            model: An embedding model (default: the run's embedding model, "offline/embed").
            timeout: Seconds to wait for the provider.
            retries: Retries of retryable failures (default 2).
        Returns:
            For one string, its vector (a list of numbers); for a list, a list of vectors in the same order.
        Errors:
            invalid_argument: an empty list or a non-string item.
            provider: and the other errors of LLM.complete.
        Example (lua):
            local v = LLM.embed("hello world")
            print(#v)  -- 32 with offline/embed
        Example (js):
            const vs = LLM.embed(["cat", "dog"]);
            console.log(vs.length, vs[0].length);
        """
        single = isinstance(texts, str)
        items = [texts] if single else list(texts)
        if not items or not all(isinstance(t, str) for t in items):
            raise SpellError("invalid_argument", "LLM.embed: texts must be a string or a non-empty list of strings")
        vectors = client_of(self.ctx).embed(items, dict(opts or {}), "LLM.embed")  # type: ignore[arg-type]
        return vectors[0] if single else vectors

    def count_tokens(self, input: str | list[ChatMessage], opts: CountOptions | None = None) -> int:
        """Count the tokens of a text or a message list for a model's tokenizer.

        Args:
            input: A string or a list of {role, content} messages.
        Options:
            model: provider/model whose tokenizer to use (default: the run's default model; offline models
                count words and punctuation marks).
        Returns:
            The number of tokens.
        Example (lua):
            print(LLM.count_tokens("How many tokens is this?"))
            print(LLM.count_tokens({{role = "user", content = "hi"}}, {model = "openai/gpt-4o-mini"}))
        Example (js):
            console.log(LLM.countTokens("How many tokens is this?"));
            console.log(LLM.countTokens([{role: "user", content: "hi"}], {model: "openai/gpt-4o-mini"}));
        """
        model = str((opts or {}).get("model") or client_of(self.ctx).default_model())
        if isinstance(input, str):
            if is_offline(model):
                return offline_rules.count_tokens(input)
            return int(get_litellm().token_counter(model=model, text=input))
        msgs = to_openai_messages(input, "LLM.count_tokens", self.ctx.limits)
        if is_offline(model):
            return offline_rules.messages_tokens(msgs)
        return int(get_litellm().token_counter(model=model, messages=msgs))

    def usage(self) -> Usage:
        """Tokens and cost of this run's LLM calls so far.

        Returns:
            {prompt_tokens, completion_tokens, total_tokens, cost (US dollars, from litellm's price map; 0 for
            offline and unknown models), calls, by_model = {[model] = {...same fields...}}}.
        Example (lua):
            local u = LLM.usage()
            print(u.total_tokens, u.cost)
        Example (js):
            const u = LLM.usage();
            console.log(u.total_tokens, u.cost);
        """
        return client_of(self.ctx).usage()  # type: ignore[return-value]
