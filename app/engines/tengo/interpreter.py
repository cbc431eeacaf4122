"""Compile and run Tengo source: the library-level API used by the engine and the conformance tests.

>>> it = Interpreter(stdlib={"fmt"})
>>> prog = it.compile('out = 1 + 2', "main", predefined=["out"])
>>> prog.run({"out": 0}); prog.get("out")
3
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import Any

from .builtins import builtin_objects
from .codegen import CodeGen
from .errors import StackOverflow, TengoCompileError, TengoError
from .objects import UNDEFINED, Cell
from .ops import LIMITS
from .parser import parse
from .resolver import FuncInfo, Resolver
from .runtime import MAX_FRAMES, RET, FuncCode, Runtime

log = logging.getLogger(__name__)

ModuleLoader = Callable[[str], "tuple[str, str] | None"]


class Program:
    """A compiled main script; :meth:`run` executes it in a fresh frame."""

    def __init__(self, interp: Interpreter, code: FuncCode, info: FuncInfo):
        self.interp = interp
        self.code = code
        self.info = info
        self.frame: list | None = None
        self.exported: Any = UNDEFINED
        self.has_export = False

    def run(self, values: dict[str, Any] | None = None) -> Any:
        """Run with the predefined variables set from ``values``; returns the exported value (or undefined)."""
        values = values or {}
        fr: list = [(), None]
        fr.extend([None] * (self.code.nslots - 2))
        for name, sym in self.info.predefined.items():
            v = values.get(name, UNDEFINED)
            if type(v) is Cell:
                fr[sym.slot] = v if sym.captured else v.v
            else:
                fr[sym.slot] = Cell(v) if sym.captured else v
        self.frame = fr
        rt = self.interp.rt
        rt.depth = 0
        if rt.max_allocs is not None:
            rt.allocs = rt.max_allocs
        old_limit = sys.getrecursionlimit()
        if old_limit < 60000:
            sys.setrecursionlimit(60000)
        try:
            r = self.code.body(fr)
        except RecursionError:
            raise StackOverflow() from None
        finally:
            if old_limit < 60000:
                sys.setrecursionlimit(old_limit)
        if r is RET:
            self.has_export = True
            self.exported = fr[1]
        return self.exported

    def top_level(self) -> dict[str, Any]:
        """Every top-level variable after a run (cells kept as :class:`Cell`), for REPL sessions."""
        out: dict[str, Any] = {}
        if self.frame is None:
            return out
        pairs = list(self.info.predefined.items())
        for block in self.info.blocks:
            pairs.extend(block.items())
        for name, sym in pairs:
            v = self.frame[sym.slot]
            out[name] = UNDEFINED if v is None else v
        return out

    def get(self, name: str) -> Any:
        sym = self.info.predefined.get(name)
        if sym is None:
            for block in self.info.blocks:
                if name in block:
                    sym = block[name]
        if sym is None or self.frame is None:
            return UNDEFINED
        v = self.frame[sym.slot]
        if type(v) is Cell:
            v = v.v
        return UNDEFINED if v is None else v


class Interpreter:
    """Compiler front end plus one :class:`Runtime`; create one per run.

    ``stdlib``: names of importable standard-library modules; ``modules``: extra source modules ``{name: src}``;
    ``loader``: resolves other module names to ``(filename, source)`` (or None); ``extra_builtins``: more
    builtin functions ``{name: fn(rt, args)}``."""

    def __init__(
        self,
        stdlib: set[str] | frozenset[str] = frozenset(),
        modules: dict[str, str] | None = None,
        loader: ModuleLoader | None = None,
        output: Callable[[str], None] | None = None,
        max_frames: int = MAX_FRAMES,
        max_string_len: int | None = None,
        max_bytes_len: int | None = None,
        extra_builtins: dict[str, Callable] | None = None,
        builtin_modules: dict[str, Any] | None = None,
        extra_values: dict[str, Any] | None = None,
        lenient: bool = False,
        max_allocs: int | None = None,
        main_export: bool = False,
        debug_hook: Callable[[str, list], None] | None = None,
        max_array_len: int | None = None,
    ):
        self.rt = Runtime(max_frames=max_frames, output=output)
        self.rt.max_allocs = max_allocs
        self.rt.debug_hook = debug_hook
        self.stdlib = set(stdlib)
        self.modules = dict(modules or {})
        self.loader = loader
        self.builtins: dict[str, Any] = dict(builtin_objects(extra_builtins))
        self.builtins.update(extra_values or {})
        self.lenient = lenient
        #: Tengo ignores ``export`` in the main script; spells (``main_export=True``) use it as their result
        self.main_export = main_export
        self.builtin_modules = dict(builtin_modules or {})
        self._module_cache: dict[str, tuple[str, Any]] = {}
        self._importing: list[str] = []
        LIMITS.max_string_len = max_string_len if max_string_len is not None else 2147483647
        LIMITS.max_bytes_len = max_bytes_len if max_bytes_len is not None else 2147483647
        LIMITS.max_array_len = max_array_len if max_array_len is not None else 2147483647

    # -- modules -------------------------------------------------------------------------------------------
    def _source_of(self, name: str) -> tuple[str, str] | None:
        if name in self.modules:
            return name, self.modules[name]
        from .stdlib import SOURCE_MODULES

        if name in self.stdlib and name in SOURCE_MODULES:
            return name, SOURCE_MODULES[name]
        if self.loader is not None:
            return self.loader(name)
        return None

    def import_module(self, name: str, node: Any, filename: str) -> tuple[str, Any]:
        if name in self._importing:
            raise TengoCompileError(f"cyclic module import: {name}", filename, node.line, node.col)
        cached = self._module_cache.get(name)
        if cached is not None:
            return cached
        if name in self.builtin_modules:
            res = ("value", self.builtin_modules[name])
            self._module_cache[name] = res
            return res
        from .stdlib import BUILTIN_MODULES

        if name in self.stdlib and name in BUILTIN_MODULES:
            res = ("value", BUILTIN_MODULES[name](self.rt))
            self._module_cache[name] = res
            return res
        if not name or any(ord(c) < 32 or c == "\x7f" for c in name):  # NUL and friends: never a file name
            raise TengoCompileError(f"invalid module name {name!r}", filename, node.line, node.col)
        src = self._source_of(name)
        if src is None:
            raise TengoCompileError(f"module '{name}' not found", filename, node.line, node.col)
        mod_file, text = src
        self._importing.append(name)
        try:
            code, _ = self._compile(text, mod_file, [])
        finally:
            self._importing.pop()
        res = ("source", code)
        self._module_cache[name] = res
        return res

    # -- compile -------------------------------------------------------------------------------------------
    def _compile(
        self,
        src: str,
        filename: str,
        predefined: list[str],
        repl: bool = False,
        captured: set[str] | None = None,
        main: bool = False,
    ) -> tuple[FuncCode, FuncInfo]:
        stmts = parse(src, filename)
        if repl and stmts and type(stmts[-1]).__name__ == "ExprStmt":
            from . import nodes as N

            last = stmts[-1]
            stmts[-1] = N.ExportStmt(last.line, last.col, last.expr)
        scopes: dict | None = {} if self.rt.debug_hook is not None else None
        resolver = Resolver(
            filename,
            self.builtins,
            lambda n, node: self.import_module(n, node, filename),
            lenient=self.lenient,
            scopes=scopes,
        )
        info = resolver.resolve_top(stmts, predefined, captured)
        ignore = main and not self.main_export and not repl
        gen = CodeGen(self.rt, filename, ignore_export=ignore, scopes=scopes)
        code = gen.function(info, stmts, 1)
        return code, info

    def compile(self, src: str, filename: str, predefined: list[str] | None = None) -> Program:
        """Parse and compile a main script; raises :class:`TengoParseError`/:class:`TengoCompileError`."""
        self.rt.filename = filename
        code, info = self._compile(src, filename, list(predefined or []), main=True)
        return Program(self, code, info)

    def check(self, src: str, filename: str, predefined: list[str] | None = None) -> None:
        """Parse and resolve only (editor diagnostics): raises the first parse or compile error. Unknown names
        are accepted as host globals and imports are not loaded."""
        stmts = parse(src, filename)
        resolver = Resolver(filename, self.builtins, lambda n, node: ("value", UNDEFINED), lenient=True)
        resolver.resolve_top(stmts, list(predefined or []))

    def compile_repl(self, src: str, filename: str, session: dict[str, Any]) -> Program:
        """Compile one REPL entry: session variables are predefined (in cells), a final expression is the
        entry's value (exported)."""
        self.rt.filename = filename
        names = list(session)
        code, info = self._compile(src, filename, names, repl=True, captured=set(names), main=True)
        return Program(self, code, info)


def run_source(src: str, filename: str = "main", values: dict[str, Any] | None = None, **kw: Any) -> Any:
    """Convenience: compile and run ``src``; returns the exported value."""
    it = Interpreter(**kw)
    prog = it.compile(src, filename, list((values or {}).keys()))
    return prog.run(values)


__all__ = ["Interpreter", "Program", "run_source", "TengoError"]
