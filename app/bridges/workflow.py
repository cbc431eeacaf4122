"""``Workflow``: sequential, parallel, conditional and loop compositions of steps, with per-step results.

Parallel steps run on host threads, so their LLM I/O (prompt-template and agent steps) really overlaps. Script
functions run in the spell's single-threaded worker: their script code runs one at a time. While one function
step waits for a bridge call (say ``LLM.complete``) the worker serves the next step's callback, so the LLM I/O of
function steps overlaps too (see ``benchmarks/bench_parallel_workflow.py``).
"""

from __future__ import annotations

import contextvars
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypedDict

from app.bridges.errors import SpellError
from app.bridges.records import StepResult, WorkflowResult
from app.bridges.registry import Bridge, Callback, bridge
from app.bridges.trace import Tracer
from app.bridges.workflow_steps import DEFAULT_RETRIES, STRATEGIES, Step, make_step, run_step

log = logging.getLogger(__name__)

DEFAULT_CONCURRENCY = 4
MAX_CONCURRENCY = 32  # host threads per parallel workflow
DEFAULT_MAX_ITERATIONS = 100
HARD_MAX_ITERATIONS = 10000


class WorkflowOptions(TypedDict, total=False):
    name: str
    input: Any
    vars: dict[str, Any]
    model: str
    system: str
    on_error: str
    retries: int


class ParallelOptions(WorkflowOptions, total=False):
    max_concurrency: int


class ConditionalOptions(WorkflowOptions, total=False):
    default: Any


class LoopOptions(WorkflowOptions, total=False):
    items: list[Any]
    range: list[int]
    condition: Callback
    max_iterations: int


def _check_strategy(opts: WorkflowOptions) -> str:
    strategy = opts.get("on_error") or "stop"
    if strategy not in STRATEGIES:
        raise SpellError("invalid_argument", f"on_error must be one of {', '.join(STRATEGIES)}, got {strategy!r}")
    return strategy


def _raise_if_stopped(result: StepResult, strategy: str, step: Step) -> None:
    err = result["error"]
    if not result["ok"] and err is not None and (step.on_error or strategy) != "continue":
        raise SpellError(err["code"], f"workflow step {result['name']!r} failed: {err['message']}")


@bridge("Workflow")
class WorkflowBridge(Bridge):
    """Compose steps: run them in sequence, in parallel, by condition or in a loop.

    A step is a script function ``fn(input, vars)``, an agent, a prompt template string (``{{input}}`` and
    ``{{name}}`` of earlier steps or of ``vars``), or a table ``{name, fn | agent | tool | prompt, args, model,
    system, on_error, retries}`` (``args`` of a tool step may use templates too). Error strategies (``on_error``,
    per workflow or per step): ``"stop"`` (default: the workflow raises the step's error), ``"continue"`` (record
    the error, go on; ``ok`` becomes false) and ``"retry"`` (retry up to ``retries`` times, default 2, then stop).
    Parallel steps do their LLM I/O concurrently; the script code of function steps runs one at a time.
    """

    def _begin(self, kind: str, opts: WorkflowOptions) -> dict[str, Any]:
        tracer: Tracer = self.ctx.service("tracer", Tracer)
        return tracer.start(
            "workflow",
            f"{opts.get('name') or 'workflow'} ({kind})",
            file=self.ctx.spell_path,
            line=self.ctx.call_line(),
            request={"input": opts.get("input")},
        )

    def _finish(self, span: dict[str, Any], out: WorkflowResult | None, error: BaseException | None = None) -> None:
        tracer: Tracer = self.ctx.service("tracer", Tracer)
        tracer.end(span, response={"ok": out.get("ok"), "output": out.get("output")} if out else None, error=error)

    def _steps(self, steps: list[Any], opts: WorkflowOptions, where: str) -> list[Step]:
        if not isinstance(steps, list) or not steps:
            raise SpellError("invalid_argument", f"{where}: steps must be a non-empty list")
        made = [make_step(self.ctx, s, i, dict(opts), where) for i, s in enumerate(steps, 1)]
        names = [s.name for s in made]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise SpellError("invalid_argument", f"{where}: step names must be unique: {', '.join(dupes)}")
        return made

    def sequential(self, steps: list[Any], opts: WorkflowOptions | None = None) -> WorkflowResult:
        """Run steps one after another, each getting the previous step's output as its input.

        Args:
            steps: The steps (functions, agents, prompt templates or step tables).
        Options:
            name: A name for traces.
            input: The first step's input.
            vars: Extra template variables.
            model: The model of prompt steps (default: the run's default model).
            system: A system prompt for prompt steps.
            on_error: "stop" (default), "continue" or "retry".
            retries: Retries per step under "retry" (default 2).
        Returns:
            {ok, output = last successful output, outputs = {[step name] = output}, results = list of
            {name, ok, output, error = {code, message} | nil, attempts}}.
        Errors:
            tool_failed: (or the step's own code) a step failed under "stop" or "retry"; the message names it.
            invalid_argument: malformed steps or unknown template variables.
        Example (lua):
            local r = Workflow.sequential({{name = "draft", prompt = "Write about {{input}}"},
              function(text) return string.upper(text) end}, {input = "owls"})
        Example (js):
            const r = Workflow.sequential([{name: "draft", prompt: "Write about {{input}}"},
              (text) => text.toUpperCase()], {input: "owls"});
        """
        opts = opts or {}
        strategy = _check_strategy(opts)
        made = self._steps(steps, opts, "Workflow.sequential")
        retries = int(opts.get("retries", DEFAULT_RETRIES))
        span = self._begin("sequential", opts)
        try:
            variables = dict(opts.get("vars") or {})
            current = opts.get("input")
            results: list[StepResult] = []
            outputs: dict[str, Any] = {}
            for step in made:
                result = run_step(self.ctx, step, current, variables, strategy, retries)
                results.append(result)
                _raise_if_stopped(result, strategy, step)
                if result["ok"]:
                    current = result["output"]
                    outputs[step.name] = current
                    variables[step.name] = current
            out: WorkflowResult = {
                "ok": all(r["ok"] for r in results),
                "output": current,
                "outputs": outputs,
                "results": results,
            }
        except BaseException as e:
            self._finish(span, None, e)
            raise
        self._finish(span, out)
        return out

    def parallel(self, steps: list[Any], opts: ParallelOptions | None = None) -> WorkflowResult:
        """Run steps at the same time, each with the same input; outputs keep the steps' order.

        Args:
            steps: The steps (functions, agents, prompt templates or step tables).
        Options:
            name: A name for traces.
            input: The input every step gets.
            vars: Extra template variables.
            model: The model of prompt steps.
            system: A system prompt for prompt steps.
            on_error: "stop" (default: steps not yet started are skipped, then the error is raised),
                "continue" or "retry".
            retries: Retries per step under "retry" (default 2).
            max_concurrency: Most steps running at once (default 4, at most 32).
        Returns:
            {ok, output = list of outputs in step order (nil for failed steps), outputs = {[name] = output},
            results = list of {name, ok, output, error, attempts}}.
        Errors:
            tool_failed: (or the step's own code) the first failing step under "stop" or "retry".
        Example (lua):
            local r = Workflow.parallel({"Pros of {{input}}", "Cons of {{input}}"},
              {input = "remote work", max_concurrency = 2})
        Example (js):
            const r = Workflow.parallel(["Pros of {{input}}", "Cons of {{input}}"],
              {input: "remote work", maxConcurrency: 2});
        """
        opts = opts or {}
        strategy = _check_strategy(opts)
        made = self._steps(steps, opts, "Workflow.parallel")
        retries = int(opts.get("retries", DEFAULT_RETRIES))
        workers = max(1, min(int(opts.get("max_concurrency") or DEFAULT_CONCURRENCY), len(made), MAX_CONCURRENCY))
        tracer: Tracer = self.ctx.service("tracer", Tracer)
        span = self._begin("parallel", opts)
        stop = threading.Event()
        variables = dict(opts.get("vars") or {})
        inp = opts.get("input")

        def one(step: Step) -> StepResult:
            if stop.is_set():
                return {
                    "name": step.name,
                    "ok": False,
                    "output": None,
                    "attempts": 0,
                    "error": {"code": "cancelled", "message": "skipped after an earlier step failed"},
                }
            with tracer.attach(span["id"]):
                result = run_step(self.ctx, step, inp, variables, strategy, retries)
            if not result["ok"] and (step.on_error or strategy) != "continue":
                stop.set()
            return result

        try:
            with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="workflow") as pool:
                # each step sees the call being served (its line, its cancellation: a task may cancel it)
                scopes = [contextvars.copy_context() for _ in made]
                results = list(pool.map(lambda c, st: c.run(one, st), scopes, made))
            for step, result in zip(made, results):
                if result["attempts"]:
                    _raise_if_stopped(result, strategy, step)
            out: WorkflowResult = {
                "ok": all(r["ok"] for r in results),
                "output": [r["output"] for r in results],
                "outputs": {r["name"]: r["output"] for r in results if r["ok"]},
                "results": results,
            }
        except BaseException as e:
            self._finish(span, None, e)
            raise
        self._finish(span, out)
        return out

    def conditional(
        self, condition: Any, branches: dict[str, Any], opts: ConditionalOptions | None = None
    ) -> WorkflowResult:
        """Run a condition step, then the branch named by its result.

        Args:
            condition: A step (usually a function) whose result names the branch; true/false become "true"/"false".
            branches: A table from branch name to step.
        Options:
            name: A name for traces.
            input: The input of the condition and of the chosen branch.
            vars: Extra template variables.
            model: The model of prompt steps.
            system: A system prompt for prompt steps.
            on_error: "stop" (default), "continue" or "retry".
            retries: Retries per step under "retry" (default 2).
            default: The step to run when no branch matches (none: the result has branch = nil).
        Returns:
            {ok, branch = chosen name or nil, output, results = list of {name, ok, output, error, attempts}}.
        Errors:
            tool_failed: (or the step's own code) a step failed under "stop" or "retry".
        Example (lua):
            local r = Workflow.conditional(function(x) return x > 10 and "big" or "small" end,
              {big = function() return "large" end, small = "Say something small"}, {input = 42})
        Example (js):
            const r = Workflow.conditional((x) => x > 10 ? "big" : "small",
              {big: () => "large", small: "Say something small"}, {input: 42});
        """
        opts = opts or {}
        strategy = _check_strategy(opts)
        retries = int(opts.get("retries", DEFAULT_RETRIES))
        if not isinstance(branches, dict):
            raise SpellError("invalid_argument", "Workflow.conditional: branches must be a table of named steps")
        cond = make_step(self.ctx, condition, 0, dict(opts), "Workflow.conditional")
        cond.name = "condition" if cond.name == "step0" else cond.name
        span = self._begin("conditional", opts)
        try:
            variables = dict(opts.get("vars") or {})
            inp = opts.get("input")
            first = run_step(self.ctx, cond, inp, variables, strategy, retries)
            results = [first]
            _raise_if_stopped(first, strategy, cond)
            key = _branch_key(first["output"], list(branches))
            chosen = branches.get(key) if key is not None else opts.get("default")
            out: WorkflowResult = {"ok": first["ok"], "branch": key, "output": None, "results": results}
            if chosen is not None and first["ok"]:
                spec = chosen if not isinstance(chosen, dict) else {"name": key or "default", **chosen}
                step = make_step(self.ctx, spec, 1, dict(opts), "Workflow.conditional")
                if step.name == "step1":
                    step.name = key or "default"
                result = run_step(self.ctx, step, inp, dict(variables, condition=first["output"]), strategy, retries)
                results.append(result)
                _raise_if_stopped(result, strategy, step)
                out["ok"], out["output"] = result["ok"], result["output"]
        except BaseException as e:
            self._finish(span, None, e)
            raise
        self._finish(span, out)
        return out

    def loop(self, body: Any, opts: LoopOptions | None = None) -> WorkflowResult:
        """Run a step for each item, over a range, or while a condition holds.

        Exactly one of items, range or condition drives the loop; the body gets the item (or number, or the
        previous output for condition loops) as input and vars {index, item, previous}.

        Args:
            body: The step to repeat.
        Options:
            name: A name for traces.
            input: The first "previous" value (condition loops).
            vars: Extra template variables.
            model: The model of prompt steps.
            system: A system prompt for prompt steps.
            on_error: "stop" (default), "continue" or "retry".
            retries: Retries per iteration under "retry" (default 2).
            items: A list to iterate over.
            range: {from, to} or {from, to, step} (inclusive, like a Lua numeric for).
            condition: A function (index, previous) returning true to run another iteration.
            max_iterations: Upper bound on iterations (default 100).
        Returns:
            {ok, output = list of iteration outputs, iterations, results = list of {name, ok, output, error,
            attempts}}.
        Errors:
            invalid_argument: not exactly one of items, range, condition.
            limit_exceeded: more iterations than max_iterations.
            tool_failed: (or the step's own code) an iteration failed under "stop" or "retry".
        Example (lua):
            local r = Workflow.loop(function(x) return x * x end, {range = {1, 5}})
            print(table.concat(r.output, ","))  -- 1,4,9,16,25
        Example (js):
            const r = Workflow.loop((x) => x * x, {range: [1, 5]});
            console.log(r.output.join(","));  // 1,4,9,16,25
        """
        opts = opts or {}
        strategy = _check_strategy(opts)
        retries = int(opts.get("retries", DEFAULT_RETRIES))
        drivers = [k for k in ("items", "range", "condition") if opts.get(k) is not None]
        if len(drivers) != 1:
            raise SpellError("invalid_argument", "Workflow.loop needs exactly one of items, range, condition")
        limit = min(int(opts.get("max_iterations") or DEFAULT_MAX_ITERATIONS), HARD_MAX_ITERATIONS)
        step = make_step(self.ctx, body, 1, dict(opts), "Workflow.loop")
        base_name = step.name
        span = self._begin("loop", opts)
        try:
            out = self._iterate(step, base_name, opts, drivers[0], limit, strategy, retries)
        except BaseException as e:
            self._finish(span, None, e)
            raise
        self._finish(span, out)
        return out

    def _iterate(
        self, step: Step, base_name: str, opts: LoopOptions, driver: str, limit: int, strategy: str, retries: int
    ) -> WorkflowResult:
        variables = dict(opts.get("vars") or {})
        results: list[StepResult] = []
        outputs: list[Any] = []
        previous = opts.get("input")
        for index, item in enumerate(_items(opts, driver, limit), 1):
            if driver == "condition":
                if index > limit:
                    raise SpellError("limit_exceeded", f"Workflow.loop reached max_iterations ({limit})")
                if not opts["condition"](index, previous):
                    break
                item = previous
            step.name = f"{base_name}[{index}]"
            result = run_step(
                self.ctx, step, item, dict(variables, index=index, item=item, previous=previous), strategy, retries
            )
            results.append(result)
            _raise_if_stopped(result, strategy, step)
            outputs.append(result["output"])
            if result["ok"]:
                previous = result["output"]
        return {"ok": all(r["ok"] for r in results), "output": outputs, "iterations": len(results), "results": results}


def _items(opts: LoopOptions, driver: str, limit: int) -> Any:
    if driver == "items":
        items = opts["items"]
        if len(items) > limit:
            raise SpellError("limit_exceeded", f"Workflow.loop: {len(items)} items exceed max_iterations ({limit})")
        return items
    if driver == "range":
        r = opts["range"]
        if not isinstance(r, list) or len(r) not in (2, 3) or not all(isinstance(x, (int, float)) for x in r):
            raise SpellError("invalid_argument", "Workflow.loop: range must be {from, to} or {from, to, step}")
        start, stop, stride = r[0], r[1], (r[2] if len(r) == 3 else 1)
        if stride == 0:
            raise SpellError("invalid_argument", "Workflow.loop: range step must not be 0")
        values = []
        x = start
        while (x <= stop) if stride > 0 else (x >= stop):
            values.append(x)
            if len(values) > limit:
                raise SpellError("limit_exceeded", f"Workflow.loop: range exceeds max_iterations ({limit})")
            x += stride
        return values
    return iter(lambda: None, object())  # condition loops: endless, bounded by the limit check


def _branch_key(value: Any, names: list[str]) -> str | None:
    if isinstance(value, bool):
        value = "true" if value else "false"
    if value is None:
        return None
    text = str(value)
    if text in names:
        return text
    low = text.strip().lower()
    return next((n for n in names if n.lower() == low), None)
