"""The run's tools behind ``Tool``: named functions with JSON-schema arguments that spells, agents and workflows call.

The run's :class:`ToolRegistry` (service ``"tools"``) holds the built-ins the profile allows plus the tools the
spell registers. Every call validates its arguments against the schema, runs the ``before_tool``/``after_tool``
hooks and is a ``tool`` span.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from app.bridges.budget import budget_of, json_size
from app.bridges.builtin_tools import builtin_tools
from app.bridges.errors import SpellError
from app.bridges.hook_registry import hooks_of
from app.bridges.mock import mocked_tool
from app.bridges.registry import BridgeContext
from app.bridges.schemas import check_schema, problem_with
from app.bridges.trace import Tracer

log = logging.getLogger(__name__)

NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]{0,63}$")


@dataclass
class ToolDef:
    name: str
    description: str
    schema: dict[str, Any]
    fn: Callable[[dict[str, Any]], Any] = field(repr=False)
    source: str = "script"  # "builtin", "script" or "agent"

    def openai(self) -> dict[str, Any]:
        """The tool as litellm/OpenAI ``tools`` entry."""
        return {
            "type": "function",
            "function": {"name": self.name, "description": self.description, "parameters": self.schema},
        }

    def info(self) -> dict[str, Any]:
        return {"name": self.name, "description": self.description, "schema": self.schema, "source": self.source}

    def size(self) -> int:
        """About the bytes the host keeps for this tool (its description and schema as JSON)."""
        return len(self.name) + json_size(self.description) + json_size(self.schema)


def check_tool_schema(name: str, schema: Any) -> dict[str, Any]:
    if schema is None or schema == {}:
        return {"type": "object", "properties": {}}
    if not isinstance(schema, dict):
        raise SpellError("invalid_argument", f"tool {name!r}: schema must be a JSON schema table")
    check_schema(schema, f"tool {name!r}")
    if schema.get("type", "object") != "object":
        raise SpellError("invalid_argument", f"tool {name!r}: the schema must describe an object (its arguments)")
    return schema


class ToolRegistry:
    """The run's tools."""

    def __init__(self, ctx: BridgeContext):
        self.ctx = ctx
        self._lock = threading.Lock()
        self._tools: dict[str, ToolDef] = {}
        for name, desc, schema, fn in builtin_tools(ctx):
            self._tools[name] = ToolDef(name, desc, schema, fn, "builtin")

    def add(self, tool: ToolDef) -> None:
        if not NAME.match(tool.name):
            raise SpellError(
                "invalid_argument",
                f"tool name {tool.name!r} must be letters, digits, _ or - (up to 64, not starting with a digit)",
            )
        tool.schema = check_tool_schema(tool.name, tool.schema)
        budget = budget_of(self.ctx)
        with self._lock:
            existing = self._tools.get(tool.name)
            if existing is not None and existing.source == "builtin":
                raise SpellError("invalid_argument", f"{tool.name!r} is a built-in tool; choose another name")
            if existing is None:
                budget.charge("max_tools", 1)
            budget.charge("tool_bytes", tool.size())
            if existing is not None:
                budget.release("tool_bytes", existing.size())
            self._tools[tool.name] = tool

    def get(self, name: str) -> ToolDef:
        with self._lock:
            tool = self._tools.get(name)
        if tool is None:
            raise SpellError("not_found", f"no tool named {name!r} (known: {', '.join(sorted(self._tools))})")
        return tool

    def all(self) -> list[ToolDef]:
        with self._lock:
            return sorted(self._tools.values(), key=lambda t: (t.source != "builtin", t.name))

    def call(self, name: str, args: Any) -> Any:
        """Validate, hook, trace and run one call of a registered tool."""
        return run_tool(self.ctx, self.get(name), args)


def validate_args(tool: ToolDef, args: dict[str, Any]) -> None:
    problem = problem_with(args, tool.schema, f"tool {tool.name!r}")
    if problem is not None:
        raise SpellError("invalid_argument", f"tool {tool.name!r}: arguments do not match its schema {problem}")


def run_tool(ctx: BridgeContext, tool: ToolDef, args: Any) -> Any:
    """Run ``tool`` with ``args``: ``before_tool`` hooks, schema validation, the body, ``after_tool`` hooks, all
    inside a ``tool`` span. Script failures become ``tool_failed``."""
    name = tool.name
    if args is None:
        args = {}
    if not isinstance(args, dict):
        raise SpellError("invalid_argument", f"tool {name!r}: arguments must be a table, got {type(args).__name__}")
    hooks = hooks_of(ctx)
    tracer: Tracer = ctx.service("tracer", Tracer)
    with tracer.span("tool", name, file=ctx.spell_path, line=ctx.call_line(), request={"args": args}) as span:
        hooked = hooks.run("before_tool", {"tool": name, "args": args}, subject=name)
        if hooked.skipped:
            span["_response"] = {"result": hooked.result, "skipped": True}
            return hooked.result
        args = hooked.payload.get("args") or {}
        validate_args(tool, args)
        mock = mocked_tool(ctx, name)  # a test's Mock.tool replaces the body
        try:
            result = mock(args) if mock is not None else tool.fn(args)
        except SpellError as e:
            if (tool.source != "script" and mock is None) or e.code in ("cancelled", "limit_exceeded"):
                hooks.notify_error(e, f"tool {name}")
                raise
            err = SpellError("tool_failed", f"tool {name!r} failed: {e.message}", e.retryable)
            hooks.notify_error(err, f"tool {name}")
            raise err from None
        except Exception as e:  # a built-in's bug must not crash the run
            log.exception("tool %s failed", name)  # the detail stays in the host's log: it may quote host data
            err = SpellError("tool_failed", f"tool {name!r} failed ({type(e).__name__}; see the host log)")
            hooks.notify_error(err, f"tool {name}")
            raise err from None
        after = hooks.run("after_tool", {"tool": name, "args": args, "result": result}, subject=name)
        result = after.payload.get("result")
        span["_response"] = {"result": result}
        return result


def tools_of(ctx: BridgeContext) -> ToolRegistry:
    """The run's tool registry."""
    return ctx.service("tools", lambda: ToolRegistry(ctx))
