"""Bridges shaped like the real LLM/Agent ones, for testing the reference without depending on them."""

from __future__ import annotations

from typing import Any, TypedDict

from app.bridges.registry import Bridge, Callback


class ChatOptions(TypedDict, total=False):
    model: str
    max_tokens: int
    temperature: float


class Message(TypedDict):
    """A chat message.

    Args:
        role: Who speaks: "system", "user" or "assistant".
        content: The text.
    """

    role: str
    content: str


class RunOptions(TypedDict, total=False):
    max_steps: int


class FakeAgent(Bridge):
    """An agent a spell holds: it answers with tools."""

    def run(self, input: str, opts: RunOptions | None = None) -> str:
        """Run the agent on a task.

        Args:
            input: The task.
        Options:
            max_steps: Stop after this many steps.
        Returns:
            The final answer.
        Errors:
            limit_exceeded when max_steps is reached.
            cancelled when a hook cancels a step.
        Example (lua):
            local agent = Agent.create("helper")
            print(agent:run("add 2 and 3"))
        Example (js):
            const agent = Agent.create("helper");
            console.log(agent.run("add 2 and 3"));
        """
        return ""

    def history(self) -> list[Message]:
        """The conversation so far.

        Returns:
            The messages.
        Example (lua):
            local agent = Agent.create("helper")
            print(#agent:history())
        Example (js):
            const agent = Agent.create("helper");
            console.log(agent.history().length);
        """
        return []


class FakeAgentGlobal(Bridge):
    """Make agents."""

    def create(self, name: str, on_step: Callback | None = None) -> FakeAgent:
        """Create an agent.

        Since: 0.3.0

        Args:
            name: A name for traces.
            on_step: Called after each step.
        Returns:
            The agent.
        Example (lua):
            local agent = Agent.create("helper")
        Example (js):
            const agent = Agent.create("helper");
        """
        return FakeAgent(self.ctx)


class FakeLLM(Bridge):
    """Talk to language models."""

    def chat(self, prompt: str, system: str | None = None, opts: ChatOptions | None = None) -> str:
        """Send one prompt and return the reply.

        Args:
            prompt: The user message.
            system: An optional system message.
        Options:
            model: The model, e.g. "offline/echo".
            max_tokens: Upper bound on the reply's length.
            temperature: Sampling temperature.
        Returns:
            The reply text.
        Errors:
            timeout: when the model does not answer in time.
        Example (lua):
            print(LLM.chat("hi", nil, {max_tokens = 10}))
        Example (js):
            console.log(LLM.chat("hi", null, {maxTokens: 10}));
        """
        return ""

    def count_tokens(self, text: str, model: str | None = None) -> int:
        """Count the tokens of a text.

        Args:
            text: The text.
            model: The model whose tokenizer to use.
        Returns:
            The count.
        Example (lua):
            print(LLM.count_tokens("hello"))
        Example (js):
            console.log(LLM.countTokens("hello"));
        """
        return 0

    def messages(self, items: list[Message], stream: Callback, extra: Any = None) -> list[Message]:
        """Send messages, streaming the reply.

        Args:
            items: The conversation.
            stream: Called with each chunk.
            extra: Anything.
        Returns:
            The conversation with the reply appended.
        Example (lua):
            LLM.messages({{role = "user", content = "hi"}}, function(c) print(c) end)
        Example (js):
            LLM.messages([{role: "user", content: "hi"}], (c) => console.log(c));
        """
        return items
