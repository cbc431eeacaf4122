"""``Tool``: register script tools and call any tool (the registry lives in :mod:`app.bridges.tool_registry`)."""

from __future__ import annotations

import logging
from typing import Any

from app.bridges.records import ToolInfo
from app.bridges.registry import Bridge, Callback, bridge
from app.bridges.tool_registry import ToolDef, tools_of

log = logging.getLogger(__name__)


@bridge("Tool")
class ToolBridge(Bridge):
    """Register tools (named functions with a JSON schema for their arguments) and call them.

    Built-ins: ``calculator``, ``datetime``, ``text``, ``json_query``; ``file_read``, ``file_write`` and
    ``file_list`` (confined to the workspace) in profiles that allow files; ``http_get`` in profiles that allow
    HTTP, for the allowed hosts only. Agents call the same tools.
    """

    def register(self, name: str, description: str, schema: dict[str, Any], fn: Callback) -> ToolInfo:
        """Register a script function as a tool.

        Args:
            name: The tool name (letters, digits, _ or -; up to 64 characters).
            description: What the tool does; models read it to decide when to call it.
            schema: A JSON schema (an object) describing the arguments table.
            fn: The function; it receives the validated arguments table and returns the result.
        Returns:
            The tool's description {name, description, schema, source}.
        Errors:
            invalid_argument: a bad name, a built-in's name, an invalid schema, or a schema "$ref" that is
                not inside the schema ("#/..."): schemas never load files or URLs.
            limit_exceeded: past the profile's max_tools or tool_bytes budget (the run ends).
        Example (lua):
            Tool.register("shout", "Upper-case a text", {type = "object", properties = {text = {type = "string"}},
              required = {"text"}}, function(args) return string.upper(args.text) end)
        Example (js):
            Tool.register("shout", "Upper-case a text", {type: "object", properties: {text: {type: "string"}},
              required: ["text"]}, (args) => args.text.toUpperCase());
        """
        tool = ToolDef(name, description, schema, lambda args: fn(args), "script")
        tools_of(self.ctx).add(tool)
        return tool.info()  # type: ignore[return-value]

    def call(self, name: str, args: dict[str, Any] | None = None) -> Any:
        """Call a tool by name with an arguments table (validated against its schema).

        Args:
            name: The tool name.
            args: The arguments table.
        Returns:
            The tool's result.
        Errors:
            not_found: no tool has that name.
            invalid_argument: the arguments do not match the tool's schema (the message names the field).
            limit_exceeded: checking the arguments took too long (a schema pattern runs at most 0.25 s).
            tool_failed: a script tool raised an error.
            permission_denied: a file outside the workspace, or a host outside the profile's allow-list.
        Example (lua):
            print(Tool.call("calculator", {expression = "(2 + 3) * 4"}))  -- 20
            print(Tool.call("text", {op = "slug", text = "Hello World"}))  -- hello-world
        Example (js):
            console.log(Tool.call("calculator", {expression: "(2 + 3) * 4"}));  // 20
            console.log(Tool.call("text", {op: "slug", text: "Hello World"}));  // hello-world
        """
        return tools_of(self.ctx).call(name, args)

    def list(self) -> list[ToolInfo]:
        """The tools available in this run (built-ins first).

        Returns:
            A list of {name, description, source} where source is "builtin", "script" or "agent".
        Example (lua):
            for _, t in ipairs(Tool.list()) do print(t.name, t.source) end
            print(#Tool.list())
        Example (js):
            for (const t of Tool.list()) console.log(t.name, t.source);
            console.log(Tool.list().length);
        """
        return [{"name": t.name, "description": t.description, "source": t.source} for t in tools_of(self.ctx).all()]

    def info(self, name: str) -> ToolInfo:
        """Describe one tool.

        Args:
            name: The tool name.
        Returns:
            {name, description, schema, source}.
        Errors:
            not_found: no tool has that name.
        Example (lua):
            local t = Tool.info("calculator")
            print(t.description)
        Example (js):
            const t = Tool.info("calculator");
            console.log(t.description);
        """
        return tools_of(self.ctx).get(name).info()  # type: ignore[return-value]
