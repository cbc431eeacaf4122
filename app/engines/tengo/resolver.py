"""Pass 1 of the compiler: lexical scopes, symbol resolution and the compile errors of Tengo.

Annotates the AST in place (``node.ann``): identifiers get a :class:`Ref`, function literals a :class:`FuncInfo`,
for-in loops their key/value symbols, imports the module they load. Afterwards every local variable knows whether
an inner function captures it (then it lives in a :class:`~.objects.Cell`), which pass 2 (:mod:`.codegen`) needs
before it generates any code.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from . import nodes as N
from .errors import TengoCompileError

log = logging.getLogger(__name__)


class Symbol:
    """A local variable slot of one function (or module top level)."""

    __slots__ = ("name", "slot", "captured")

    def __init__(self, name: str, slot: int):
        self.name = name
        self.slot = slot
        self.captured = False


class Ref:
    """What an identifier refers to: ``local`` (sym), ``free`` (index into the closure), ``builtin`` (value)."""

    __slots__ = ("kind", "sym", "index", "value", "name")

    def __init__(self, kind: str, sym: Symbol | None = None, index: int = -1, value: Any = None, name: str = ""):
        self.kind = kind
        self.sym = sym
        self.index = index
        self.value = value
        self.name = name


class FuncInfo:
    """Static description of one function: parameters, slots, free variables (as refs in the parent)."""

    def __init__(self, params: list[str], variadic: bool, parent: FuncInfo | None, name: str, top: bool):
        self.params = params
        self.variadic = variadic
        self.parent = parent
        self.name = name
        self.top = top  # module / main top level
        self.blocks: list[dict[str, Symbol]] = [{}]
        self.nslots = 2  # slot 0: closure cells, slot 1: return value
        self.param_syms: list[Symbol] = []
        self.free: list[Ref] = []  # refs resolved in the parent
        self.free_index: dict[str, int] = {}
        self.loop_depth = 0
        self.predefined: dict[str, Symbol] = {}

    def define(self, name: str) -> Symbol:
        sym = Symbol(name, self.nslots)
        self.nslots += 1
        self.blocks[-1][name] = sym
        return sym


class Resolver:
    """Walks one file (main script or a source module)."""

    def __init__(
        self,
        filename: str,
        builtins: dict[str, Any],
        import_module: Callable[[str, Any], Any],
        lenient: bool = False,
        scopes: dict[int, dict[str, tuple[str, int]]] | None = None,
    ):
        self.filename = filename
        self.lenient = lenient  # check mode: unknown names are host globals we were not told about
        self.scopes = scopes  # debug runs: visible names per statement (id(node) -> scope)
        self.builtins = builtins
        self.import_module = import_module
        self.fn: FuncInfo | None = None

    def error(self, msg: str, node: Any) -> TengoCompileError:
        return TengoCompileError(msg, self.filename, node.line, node.col)

    # -- scopes --------------------------------------------------------------------------------------------
    def resolve(self, fn: FuncInfo, name: str) -> Ref | None:
        for block in reversed(fn.blocks):
            sym = block.get(name)
            if sym is not None:
                return Ref("local", sym=sym, name=name)
        j = fn.free_index.get(name)
        if j is not None:
            return Ref("free", index=j, name=name)
        if fn.parent is None:
            if name in self.builtins:
                return Ref("builtin", value=self.builtins[name], name=name)
            return None
        outer = self.resolve(fn.parent, name)
        if outer is None:
            return None
        if outer.kind == "builtin":
            return outer
        if outer.kind == "local":
            outer.sym.captured = True
        j = len(fn.free)
        fn.free.append(outer)
        fn.free_index[name] = j
        return Ref("free", index=j, name=name)

    def lookup(self, node: N.Ident) -> Ref:
        ref = self.resolve(self.fn, node.name)  # type: ignore[arg-type]
        if ref is None and self.lenient:
            from .objects import UNDEFINED

            return Ref("builtin", value=UNDEFINED, name=node.name)
        if ref is None:
            raise self.error(f"unresolved reference '{node.name}'", node)
        return ref

    def push_block(self) -> None:
        self.fn.blocks.append({})

    def pop_block(self) -> None:
        self.fn.blocks.pop()

    # -- entry points --------------------------------------------------------------------------------------
    def resolve_top(self, stmts: list, predefined: list[str], captured: set[str] | None = None) -> FuncInfo:
        """Resolve a main script or module; ``captured`` predefined names live in cells (REPL sessions)."""
        fn = FuncInfo([], False, None, "", True)
        self.fn = fn
        for name in predefined:
            fn.predefined[name] = fn.define(name)
            if captured and name in captured:
                fn.predefined[name].captured = True
        if captured is not None:
            fn.blocks.append({})  # REPL: an entry may redefine session variables
        for s in stmts:
            self.stmt(s)
        return fn

    # -- statements ----------------------------------------------------------------------------------------
    def stmts(self, lst: list) -> None:
        for s in lst:
            self.stmt(s)

    def snapshot(self) -> dict[str, tuple[str, int]]:
        """Names visible right now in the current function (debugger scopes)."""
        fn = self.fn
        scope: dict[str, tuple[str, int]] = {name: ("free", j) for name, j in fn.free_index.items()}
        for block in fn.blocks:
            for name, sym in block.items():
                scope[name] = ("local", sym.slot)
        return scope

    def stmt(self, s: Any) -> None:
        t = type(s)
        if self.scopes is not None:
            self.scopes[id(s)] = self.snapshot()
        if t is N.ExprStmt:
            self.expr(s.expr)
        elif t is N.AssignStmt:
            self.assign(s)
        elif t is N.BlockStmt:
            self.push_block()
            self.stmts(s.stmts)
            self.pop_block()
        elif t is N.IfStmt:
            self.push_block()
            if s.init is not None:
                self.stmt(s.init)
            self.expr(s.cond)
            self.stmt(s.body)
            if s.else_ is not None:
                self.stmt(s.else_)
            self.pop_block()
        elif t is N.ForStmt:
            self.push_block()
            if s.init is not None:
                self.stmt(s.init)
            if s.cond is not None:
                self.expr(s.cond)
            self.fn.loop_depth += 1
            self.stmt(s.body)
            self.fn.loop_depth -= 1
            if s.post is not None:
                self.stmt(s.post)
            self.pop_block()
        elif t is N.ForInStmt:
            self.expr(s.iterable)
            self.push_block()
            ksym = self.fn.define(s.key.name) if s.key.name != "_" else None
            vsym = self.fn.define(s.value.name) if s.value.name != "_" else None
            s.ann = (ksym, vsym)
            self.fn.loop_depth += 1
            self.stmt(s.body)
            self.fn.loop_depth -= 1
            self.pop_block()
        elif t is N.ReturnStmt:
            if self.fn.top:
                raise self.error("return not allowed outside function", s)
            if s.result is not None:
                self.expr(s.result)
        elif t is N.BranchStmt:
            if self.fn.loop_depth == 0:
                raise self.error(f"{s.kind} not allowed outside loop", s)
        elif t is N.ExportStmt:
            if not self.fn.top:
                raise self.error("export not allowed inside function", s)
            self.expr(s.result)
        elif t is N.EmptyStmt:
            pass
        else:  # pragma: no cover
            raise self.error(f"unknown statement {t.__name__}", s)

    def assign(self, s: N.AssignStmt) -> None:
        if len(s.lhs) != 1 or len(s.rhs) != 1:
            raise self.error("tuple assignment not allowed", s)
        lhs, rhs = s.lhs[0], s.rhs[0]
        if type(lhs) is N.Ident:
            if s.op == ":=":
                if lhs.name == "_":
                    self.expr(rhs)
                    lhs.ann = None
                    return
                existing = self.fn.blocks[-1].get(lhs.name)
                if existing is not None:
                    raise self.error(f"'{lhs.name}' redeclared in this block", lhs)
                if type(rhs) is N.FuncLit:
                    sym = self.fn.define(lhs.name)
                    lhs.ann = Ref("local", sym=sym, name=lhs.name)
                    self.expr(rhs, lhs.name)
                else:
                    self.expr(rhs)
                    sym = self.fn.define(lhs.name)
                    lhs.ann = Ref("local", sym=sym, name=lhs.name)
                return
            self.expr(rhs, lhs.name if type(rhs) is N.FuncLit else "")
            ref = self.resolve(self.fn, lhs.name)  # type: ignore[arg-type]
            if ref is None or ref.kind == "builtin":
                raise self.error(f"unresolved reference '{lhs.name}'", lhs)
            lhs.ann = ref
            return
        if type(lhs) in (N.SelectorExpr, N.IndexExpr):
            if s.op == ":=":
                raise self.error("operator ':=' not allowed with selector", s)
            self.expr(rhs)
            # the base must be a resolvable name (Tengo resolves the leftmost identifier)
            base = lhs
            while type(base) in (N.SelectorExpr, N.IndexExpr):
                base = base.expr
            if type(base) is not N.Ident:
                raise self.error("unresolved reference ''", lhs)
            self.expr(lhs.expr)
            if type(lhs) is N.IndexExpr:
                self.expr(lhs.index)
            return
        name = getattr(lhs, "value", "")
        raise self.error(f"unresolved reference '{name}'", lhs)

    # -- expressions ---------------------------------------------------------------------------------------
    def expr(self, e: Any, name: str = "") -> None:
        t = type(e)
        if t is N.Ident:
            e.ann = self.lookup(e)
        elif t in (N.IntLit, N.FloatLit, N.StringLit, N.CharLit, N.BoolLit, N.UndefinedLit):
            pass
        elif t is N.BinaryExpr:
            self.expr(e.lhs)
            self.expr(e.rhs)
        elif t is N.UnaryExpr:
            self.expr(e.expr)
        elif t is N.CondExpr:
            self.expr(e.cond)
            self.expr(e.true_expr)
            self.expr(e.false_expr)
        elif t is N.IndexExpr:
            self.expr(e.expr)
            self.expr(e.index)
        elif t is N.SliceExpr:
            self.expr(e.expr)
            if e.low is not None:
                self.expr(e.low)
            if e.high is not None:
                self.expr(e.high)
        elif t is N.SelectorExpr:
            self.expr(e.expr)
        elif t is N.CallExpr:
            self.expr(e.func)
            for a in e.args:
                self.expr(a)
        elif t is N.ArrayLit:
            for a in e.elements:
                self.expr(a)
        elif t is N.MapLit:
            for v in e.values:
                self.expr(v)
        elif t is N.ErrorExpr or t is N.ImmutableExpr:
            self.expr(e.expr)
        elif t is N.ImportExpr:
            if e.name == "":
                raise self.error("empty module name", e)
            if self.lenient:
                try:
                    e.ann = self.import_module(e.name, e)
                except TengoCompileError as err:
                    if "not found" not in err.message:
                        raise
                    from .objects import UNDEFINED

                    e.ann = ("value", UNDEFINED)
            else:
                e.ann = self.import_module(e.name, e)
        elif t is N.FuncLit:
            self.func(e, name)
        else:  # pragma: no cover
            raise self.error(f"unknown expression {t.__name__}", e)

    def func(self, e: N.FuncLit, name: str) -> None:
        parent = self.fn
        fn = FuncInfo(e.params, e.variadic, parent, name, False)
        for p in e.params:
            fn.param_syms.append(fn.define(p))
        self.fn = fn
        try:
            self.stmt(e.body)
        finally:
            self.fn = parent
        e.ann = fn
