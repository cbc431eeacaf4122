"""Workflow steps: what a step may be, ``{{name}}`` templates, and running one step with its error strategy.

A step is a script function ``fn(input, vars)``, an agent (``agent:run(input)``'s text), a prompt template string
(``{{input}}``, ``{{name}}`` of earlier steps or ``vars``, dotted paths like ``{{user.name}}``), or a table
``{name, fn | agent | tool | prompt, args, model, system, on_error, retries}``.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from app.bridges.errors import SpellError
from app.bridges.llm_client import client_of
from app.bridges.llm_types import prompt_messages
from app.bridges.records import StepResult
from app.bridges.registry import BridgeContext
from app.bridges.tool_registry import run_tool, tools_of
from app.bridges.trace import Tracer

log = logging.getLogger(__name__)

STRATEGIES = ("stop", "continue", "retry")
DEFAULT_RETRIES = 2
_VAR = re.compile(r"\{\{\s*([A-Za-z_][\w]*(?:\.[\w]+)*)\s*\}\}")


def render(template: str, variables: dict[str, Any], where: str) -> str:
    """Replace every ``{{name}}`` (or ``{{a.b}}``) in ``template``; unknown names are an error."""

    def value(m: re.Match[str]) -> str:
        parts = m.group(1).split(".")
        if parts[0] not in variables:
            raise SpellError(
                "invalid_argument",
                f"{where}: template uses {{{{{m.group(1)}}}}} but no step or "
                f"variable is named {parts[0]!r} (known: "
                f"{', '.join(sorted(variables)) or 'none'})",
            )
        v = variables[parts[0]]
        for p in parts[1:]:
            if isinstance(v, dict) and p in v:
                v = v[p]
            elif isinstance(v, list) and p.isdigit() and 0 < int(p) <= len(v):
                v = v[int(p) - 1]
            else:
                raise SpellError("invalid_argument", f"{where}: {{{{{m.group(1)}}}}} has no field {p!r}")
        return v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)

    return _VAR.sub(value, template)


def _as_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


@dataclass
class Step:
    name: str
    kind: str  # "function", "agent", "tool", "prompt"
    run: Callable[[Any, dict[str, Any]], Any]
    on_error: str | None = None
    retries: int | None = None


def make_step(ctx: BridgeContext, spec: Any, index: int, defaults: dict[str, Any], where: str) -> Step:
    """Normalise one step spec (see the module docstring)."""
    from app.bridges.agent import AgentInstance  # noqa: PLC0415 - agent imports tools; avoid a cycle at import

    table = spec if isinstance(spec, dict) and not callable(spec) else {}
    name = str(table.get("name") or f"step{index}")
    body: Any = spec
    if table:
        kinds = [k for k in ("fn", "agent", "tool", "prompt") if table.get(k) is not None]
        if len(kinds) != 1:
            raise SpellError("invalid_argument", f"{where}: step {name!r} needs exactly one of fn, agent, tool, prompt")
        body = table[kinds[0]]
        if kinds[0] == "tool":
            return Step(
                name,
                "tool",
                _tool_runner(ctx, str(body), table.get("args"), name),
                table.get("on_error"),
                table.get("retries"),
            )
    if isinstance(body, AgentInstance):
        return Step(
            name, "agent", lambda inp, v: body.run(_as_text(inp))["text"], table.get("on_error"), table.get("retries")
        )
    if callable(body):
        return Step(name, "function", lambda inp, v: body(inp, v), table.get("on_error"), table.get("retries"))
    if isinstance(body, str):
        model = table.get("model") or defaults.get("model")
        system = table.get("system") or defaults.get("system")
        return Step(
            name, "prompt", _prompt_runner(ctx, body, model, system, name), table.get("on_error"), table.get("retries")
        )
    raise SpellError(
        "invalid_argument",
        f"{where}: step {index} must be a function, an agent, a prompt string or "
        "a table {name, fn|agent|tool|prompt}",
    )


def _prompt_runner(
    ctx: BridgeContext, template: str, model: str | None, system: str | None, name: str
) -> Callable[[Any, dict[str, Any]], Any]:
    def run(inp: Any, variables: dict[str, Any]) -> Any:
        text = render(template, variables, f"step {name!r}")
        opts = {"model": model} if model else {}
        return client_of(ctx).chat(prompt_messages(text, system), opts, caller=f"Workflow step {name}").content or ""  # type: ignore[arg-type]

    return run


def _tool_runner(ctx: BridgeContext, tool: str, args: Any, name: str) -> Callable[[Any, dict[str, Any]], Any]:
    def run(inp: Any, variables: dict[str, Any]) -> Any:
        if args is None:
            call_args = inp if isinstance(inp, dict) else {}
        else:
            call_args = _render_args(args, variables, name)
        return run_tool(ctx, tools_of(ctx).get(tool), call_args)

    return run


def _render_args(value: Any, variables: dict[str, Any], name: str) -> Any:
    if isinstance(value, str):
        m = _VAR.fullmatch(value.strip())
        if m and "." not in m.group(1) and m.group(1) in variables:
            return variables[m.group(1)]  # a lone {{x}} keeps x's type
        return render(value, variables, f"step {name!r}")
    if isinstance(value, dict):
        return {k: _render_args(v, variables, name) for k, v in value.items()}
    if isinstance(value, list):
        return [_render_args(v, variables, name) for v in value]
    return value


def run_step(
    ctx: BridgeContext, step: Step, inp: Any, variables: dict[str, Any], strategy: str, retries: int
) -> StepResult:
    """Run ``step`` (retrying under the "retry" strategy) in a ``workflow_step`` span; never raises except
    ``cancelled``: the outcome is ``{name, ok, output, error, attempts}``."""
    tracer: Tracer = ctx.service("tracer", Tracer)
    strategy = step.on_error or strategy
    tries = 1 + ((step.retries if step.retries is not None else retries) if strategy == "retry" else 0)
    base = float(ctx.settings.get("retry_base_delay", 0.5))
    error: SpellError | None = None
    for attempt in range(1, tries + 1):
        if ctx.call_cancelled().is_set():
            raise SpellError("cancelled", f"workflow cancelled before step {step.name!r}")
        try:
            with tracer.span(
                "workflow_step",
                step.name,
                file=ctx.spell_path,
                line=ctx.call_line(),
                request={"kind": step.kind, "input": inp, "attempt": attempt},
            ) as span:
                output = step.run(inp, dict(variables, input=inp))
                span["_response"] = {"output": output}
            return {"name": step.name, "ok": True, "output": output, "error": None, "attempts": attempt}
        except SpellError as e:
            if e.code == "cancelled":
                raise
            error = e
            log.info("workflow step %s failed (attempt %d/%d): %s", step.name, attempt, tries, e)
            if attempt < tries and ctx.call_cancelled().wait(base * (2 ** (attempt - 1))):
                raise SpellError("cancelled", "workflow cancelled while waiting to retry") from None
    assert error is not None
    return {
        "name": step.name,
        "ok": False,
        "output": None,
        "attempts": tries,
        "error": {"code": error.code, "message": error.message},
    }
