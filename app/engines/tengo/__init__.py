"""Tengo 2 in pure Python: a faithful interpreter of the language (d5/tengo HEAD semantics) for Tengo spells.

Pipeline: :mod:`.lexer` → :mod:`.parser` (AST in :mod:`.nodes`, ``file:line:col`` parse errors) →
:mod:`.resolver` (scopes, captures, compile errors) → code generation → run on a :class:`.runtime.Runtime`.
Two interchangeable code generators produce each function's body: :mod:`.pygen` (the default: the whole
function translated to Python source, locals as Python locals, inline fast paths) and :mod:`.codegen` (AST →
nested Python closures; used for debug runs, allocation-limited runs and as the fallback). Neither is a bytecode
VM: a VM loop in CPython pays a dispatch per instruction, which is what both designs avoid (see the module
docstrings).
Runtime values live in :mod:`.objects`, operators in :mod:`.ops`/:mod:`.binops`, indexing in :mod:`.access`,
builtins in :mod:`.builtins`, Go-style formatting in :mod:`.gofmt`, the standard library in :mod:`.stdlib`.

Public API:

* :class:`~.engine.TengoEngine` — the engine interface (``check``/``run``/``repl_eval``) used by the worker.
* :class:`~.interpreter.Interpreter` / :class:`~.interpreter.Program` — compile and run Tengo source directly.
* ``python -m app.engines.tengo.conformance CORPUS.json`` — run a conformance corpus, pass counts per area.

Known deviations from Go Tengo (documented, deliberate):

* ``os`` does not exist (sandbox); ``times.sleep`` really sleeps (bounded by the host's wall clock).
* Regular expressions use Python's ``re`` with RE2 syntax translated where simple (no RE2 package available);
  ``rand`` uses Python's generator (same API, different sequences).
* Spells only (``TengoEngine``): a top-level ``export`` ends the run and is its result (Tengo ignores ``export``
  in a main script; ``Interpreter(main_export=False)``, the default, keeps that); an extra builtin ``print``;
  the bridge globals; an array length cap (memory safety; Tengo has none).
* Map iteration and printing follow insertion order (Go's order is random, so no program can rely on it).
* Allocation counting (``MaxAllocs``) approximates Tengo's per-instruction count (only compiled in when set).
* Times created from integers (``time(n)``) are in UTC where Go uses the process' local zone.

Faithful corners worth knowing: strings are Go byte strings (``len`` counts bytes, indexing is by rune, slicing
by byte), ints wrap at 64 bits, floats print like Go (``"a" + 1e21`` has 22 digits), arrays are Go slices
(capacity growth, shared backing arrays, aliasing through ``append``/slicing/``splice``, see :mod:`.goslice`).
"""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)

__all__ = ["TengoEngine", "Interpreter", "Program"]


def __getattr__(name: str):  # lazy: importing the package must not pull in the engine's host dependencies
    if name == "TengoEngine":
        from .engine import TengoEngine

        return TengoEngine
    if name in ("Interpreter", "Program"):
        from . import interpreter

        return getattr(interpreter, name)
    raise AttributeError(name)
