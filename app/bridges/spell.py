"""``Spell``: run a whole spell from a test (test files only), in a fresh sandbox, and look at what it did.

The bridge checks the request (the path stays inside the test file's folder tree, bounded counts and sizes);
the run itself is the runner's business: it provides the per-run service ``"child_runs"``, a function
``(path, inputs, timeout_s, model) -> SpellRunResult`` that starts a child run on the same pool with the test's
mocks, state and limits (see ``app/runner.py``).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Any, TypedDict

from app.bridges.errors import SpellError
from app.bridges.records import SpellRunResult
from app.bridges.registry import Bridge, BridgeContext, bridge

MAX_PATH_CHARS = 1024
MAX_CHILD_RUNS = 500  # per test file
MAX_SPELL_BYTES = 4 * 1024 * 1024

ChildRunner = Callable[[str, Any, "float | None", "str | None"], SpellRunResult]


class SpellRunOptions(TypedDict, total=False):
    timeout: float
    model: str


def confined_spell_path(ctx: BridgeContext, path: str) -> str:
    """``path`` (relative to the test file's folder) as a real path inside that folder tree, or a SpellError.

    Symbolic links are resolved before the check, so a link pointing out of the folder is refused too."""
    if not isinstance(path, str) or not path or len(path) > MAX_PATH_CHARS or "\0" in path:
        raise SpellError("invalid_argument", f"Spell.run: the path must be 1 to {MAX_PATH_CHARS} characters")
    if not ctx.spell_dir:
        raise SpellError("invalid_argument", "Spell.run needs a test file saved in a folder")
    root = os.path.realpath(ctx.spell_dir)
    full = os.path.realpath(os.path.join(root, path))
    if os.path.commonpath([root, full]) != root:
        raise SpellError("permission_denied", f"Spell.run: {path!r} is outside the test's folder ({root})")
    if not os.path.isfile(full):
        raise SpellError("not_found", f"Spell.run: no spell {path!r} in {root}")
    if os.path.getsize(full) > MAX_SPELL_BYTES:
        raise SpellError("invalid_argument", f"Spell.run: {path!r} is larger than 4 MB")
    return full


@bridge("Spell", test_only=True)
class SpellBridge(Bridge):
    """Run a whole spell from a test (test files only): a fresh sandbox on the same engine pool, with the test's
    mocks, State and limits. The path is relative to the test file and must stay inside its folder tree."""

    def __init__(self, ctx: BridgeContext):
        super().__init__(ctx)
        self._count = 0
        self._lock = threading.Lock()

    def run(self, path: str, input: Any = None, opts: SpellRunOptions | None = None) -> SpellRunResult:
        """Run a spell to its end and return what it did.

        Args:
            path: The spell, relative to the test file (e.g. "summarise.lua"); inside the test's folder tree.
            input: The spell's INPUT.
        Options:
            timeout: Seconds it may run (at most what the test has left).
            model: The default model of its LLM calls (default: the test run's).
        Returns:
            {result, output, error, calls}: its result, everything it printed, nil or its error
            {code, message, file, line}, and its LLM and tool calls in order.
        Errors:
            permission_denied: the path leaves the test's folder tree.
            not_found: no such spell.
            limit_exceeded: more than 500 runs in one test file, or no time left.
        Example (lua):
            Mock.llm("Summarise", "A short summary.")
            local r = Spell.run("summarise.lua", {text = "a long text"})
            assert.is_nil(r.error)
            assert.are.equal("A short summary.", r.result)
            assert.matches("^Summarise", r.calls[1].prompt)
        Example (js):
            Mock.llm("Summarise", "A short summary.");
            const r = Spell.run("summarise.js", {text: "a long text"});
            expect(r.error).toBeNull();
            expect(r.calls[0].prompt).toMatch(/^Summarise/);
        Example (tengo):
            Mock.llm("Summarise", "A short summary.")
            r := Spell.run("summarise.tengo", {text: "a long text"})
            assert.undefined(r.error)
            assert.equal("A short summary.", r.result)
        """
        runner = self.ctx.services.get("child_runs")
        if runner is None:
            raise SpellError("invalid_argument", "Spell.run works in test files only (llmspell test)")
        full = confined_spell_path(self.ctx, path)
        with self._lock:
            if self._count >= MAX_CHILD_RUNS:
                raise SpellError("limit_exceeded", f"a test file may start at most {MAX_CHILD_RUNS} spell runs")
            self._count += 1
        o = opts or {}
        timeout = o.get("timeout")
        if timeout is not None and (not isinstance(timeout, (int, float)) or timeout <= 0):
            raise SpellError("invalid_argument", "Spell.run: timeout must be a positive number of seconds")
        model = o.get("model")
        return runner(full, input, float(timeout) if timeout is not None else None, model)
