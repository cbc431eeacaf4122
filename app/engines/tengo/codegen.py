"""Pass 2 of the compiler: turns the annotated AST into nested Python closures.

Why closures rather than a bytecode VM: a bytecode loop in CPython pays a dispatch (``if op == ...`` chain or
table lookup plus stack pushes) for every instruction, while a closure tree pays one Python call per node and
lets each node specialise itself at compile time (constant operands, local-slot reads, int fast paths, tail
calls). That is typically 3-10x faster than a Python bytecode interpreter and far simpler than generating Python
source. Frames are plain lists: ``fr[0]`` holds the closure's captured cells, ``fr[1]`` the return value, and
locals follow; locals captured by inner functions live in :class:`~.objects.Cell` objects.

Statements return ``None`` or one of the signals of :mod:`.runtime` (break, continue, return, tail call).
"""

from __future__ import annotations

import logging
import operator
import sys
from collections.abc import Callable
from typing import Any

from . import nodes as N
from .access import index_get, index_set, iterate, slice_get
from .binops import make_binary, make_equal, make_op_assign
from .calls import make_call
from .errors import AllocLimit, TengoError, TengoRuntimeError
from .goslice import extend_in_place, immutable_view, seq_cap
from .objects import (
    UNDEFINED,
    Array,
    BuiltinFunction,
    Cell,
    Char,
    CompiledFunction,
    Error,
    ImmutableMap,
    Map,
    is_falsy,
    type_name,
    wrap_int,
)
from .ops import unary_op
from .resolver import FuncInfo, Ref
from .runtime import BREAK, CONTINUE, RET, TAIL, FuncCode, Runtime, fix_args, spread

log = logging.getLogger(__name__)

#: translate functions to Python source (see .pygen); the closure backend remains the fallback
USE_PYGEN = True

_CMP_OPS = {"<", ">", "<=", ">=", "==", "!="}
_ALLOCATING = {N.BinaryExpr, N.ArrayLit, N.MapLit, N.ErrorExpr, N.ImmutableExpr, N.SliceExpr}
_PY_CMP = {
    "<": operator.lt,
    ">": operator.gt,
    "<=": operator.le,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}


def make_immutable(v: Any) -> Any:
    """Shallow ``immutable(x)`` (shares the underlying list/dict like Tengo)."""
    t = type(v)
    if t is Array:
        return immutable_view(v)
    if t is Map:
        return ImmutableMap(v.value)
    return v


def _add_pos(e: TengoError, pos: tuple) -> None:
    if not e.trace:
        e.trace.append(pos)


class CodeGen:
    """Generates closures for one file; ``rt`` is the run's :class:`Runtime`."""

    def __init__(self, rt: Runtime, filename: str, ignore_export: bool = False, scopes: dict | None = None):
        self.rt = rt
        self.filename = filename
        self.ignore_export = ignore_export  # Tengo ignores `export` in a main script
        self.code_ref: list = []  # filled with the FuncCode being generated (self-recursion checks)
        self.scopes = scopes  # debug runs only: statement scopes from the resolver
        self.use_pygen = USE_PYGEN
        self._func_codes: dict[int, FuncCode] = {}
        self.fn: FuncInfo | None = None

    def pos(self, node: Any) -> tuple:
        """``(file, line, col, function)``: where an error is reported (function name for tracebacks)."""
        return (self.filename, node.line, node.col, self.fn.name if self.fn is not None else "")

    # -- functions -----------------------------------------------------------------------------------------
    def function(self, info: FuncInfo, stmts: list, line: int) -> FuncCode:
        saved = self.fn, self.code_ref
        self.fn = info
        self.code_ref = []
        if not info.top:
            self._mark_tail_statements(stmts)
        direct = None
        try:
            body = None
            if self.use_pygen and self.scopes is None and self.rt.max_allocs is None:
                from .pygen import PyGen, Unsupported

                try:
                    body, direct = PyGen(self).compile(info, stmts, self.code_ref)
                except Unsupported as e:
                    log.debug("closure backend for %s: %s", info.name or "<main>", e)
            if body is None:
                body = self.block(stmts)
        finally:
            ref = self.code_ref
            self.fn, self.code_ref = saved
        # a direct entry makes the cells of captured parameters itself
        cells = () if direct is not None else tuple(s.slot for s in info.param_syms if s.captured)
        if self.scopes is not None and self.rt.debug_hook is not None:
            from .debug import wrap_body

            # frames without a name: the main chunk or a module's top level, else an anonymous function
            body = wrap_body(
                body, info.name or ("" if info.top else "function"), self.filename, self.rt, self.rt.debug_hook
            )
        code = FuncCode(len(info.params), info.variadic, info.nslots, body, cells, info.name, self.filename, line)
        if direct is not None:
            code.direct = direct
            code.dn = code.fast_n
        ref.append(code)
        return code

    @classmethod
    def _mark_tail_statements(cls, stmts: list) -> None:
        """Tengo's VM turns a self-recursive call whose next instruction is the function's return into a
        jump (``f(x)`` as the last statement, also inside a final ``if`` without ``else``). Mark those call
        statements so the recursion does not grow the stack either."""
        rest = [s for s in stmts if type(s) is not N.EmptyStmt]
        if not rest:
            return
        last = rest[-1]
        if type(last) is N.BlockStmt:
            cls._mark_tail_statements(last.stmts)
        elif type(last) is N.ExprStmt and type(last.expr) is N.CallExpr:
            last.ann = "tail"
        elif type(last) is N.IfStmt and last.else_ is None:
            cls._mark_tail_statements(last.body.stmts)

    # -- helpers used by the Python-source backend -----------------------------------------------------------
    def call_slow_for_pygen(self, f: Any, args: list, line: int, depth: int) -> Any:
        """Any call the generated code does not inline (builtins, bridges, variadic or mismatched arity,
        closure-backend functions); ``depth``: the caller's frame count (generated code keeps it in a local)."""
        rt = self.rt
        rt.depth = depth
        if type(f) is CompiledFunction:
            return rt.invoke(f, fix_args(f.code, args))
        rt.line = line
        if type(f) is BuiltinFunction:
            return f.fn(rt, args)
        c = getattr(f, "tengo_call", None)
        if c is None:
            raise TengoRuntimeError(f"not callable: {type_name(f)}")
        return c(rt, args)

    def run_module_for_pygen(self, code: FuncCode, pos: tuple, depth: int) -> Any:
        self.rt.depth = depth
        try:
            return self.rt.invoke(CompiledFunction(code, ()), [])
        except TengoError as err:
            err.trace.append(pos)
            raise

    # -- statements ----------------------------------------------------------------------------------------
    def block(self, stmts: list) -> Callable:
        fs = [self.stmt(s) for s in stmts if type(s) is not N.EmptyStmt]
        fs = [f for f in fs if f is not None]
        if not fs:
            return lambda fr: None
        if len(fs) == 1:
            return fs[0]  # type: ignore[return-value]
        if len(fs) == 2:
            a, b = fs

            def run2(fr: list) -> Any:
                r = a(fr)
                if r is not None:
                    return r
                return b(fr)

            return run2
        if len(fs) == 3:
            a, b, c = fs

            def run3(fr: list) -> Any:
                r = a(fr)
                if r is not None:
                    return r
                r = b(fr)
                if r is not None:
                    return r
                return c(fr)

            return run3
        fs = tuple(fs)  # type: ignore[assignment]

        def run(fr: list) -> Any:
            for f in fs:
                r = f(fr)
                if r is not None:
                    return r
            return None

        return run

    def stmt(self, s: Any) -> Callable | None:
        f = self._stmt(s)
        if f is not None and self.scopes is not None and self.rt.debug_hook is not None and type(s) is not N.BlockStmt:
            from .debug import wrap_statement

            f = wrap_statement(f, s.line, self.scopes.get(id(s), {}), self.rt, self.rt.debug_hook)
        return f

    def _stmt(self, s: Any) -> Callable | None:
        t = type(s)
        if t is N.ExprStmt:
            if s.ann == "tail":
                return self.tail_statement(s.expr)
            ev = self.expr(s.expr)

            def expr_stmt(fr: list) -> None:
                ev(fr)

            return expr_stmt
        if t is N.AssignStmt:
            return self.assign(s)
        if t is N.BlockStmt:
            return self.block(s.stmts)
        if t is N.IfStmt:
            return self.if_stmt(s)
        if t is N.ForStmt:
            return self.for_stmt(s)
        if t is N.ForInStmt:
            return self.for_in(s)
        if t is N.ReturnStmt:
            return self.return_stmt(s)
        if t is N.BranchStmt:
            sig = BREAK if s.kind == "break" else CONTINUE
            return lambda fr: sig
        if t is N.ExportStmt:
            if self.ignore_export:
                return None
            ev = self.expr(s.result)

            def export(fr: list) -> Any:
                fr[1] = make_immutable(ev(fr))
                return RET

            return export
        if t is N.EmptyStmt:
            return None
        raise TengoRuntimeError(f"cannot compile {t.__name__}")  # pragma: no cover

    def if_stmt(self, s: N.IfStmt) -> Callable:
        init = self.stmt(s.init) if s.init is not None else None
        cond = self.cond(s.cond)
        body = self.stmt(s.body)
        else_ = self.stmt(s.else_) if s.else_ is not None else None
        body_stmts = [b for b in s.body.stmts if type(b) is not N.EmptyStmt]
        if (
            init is None
            and else_ is None
            and len(body_stmts) == 1
            and type(body_stmts[0]) is N.ReturnStmt
            and body_stmts[0].result is not None
            and type(body_stmts[0].result) is not N.CallExpr
            and self.scopes is None
        ):
            rev = self.expr(body_stmts[0].result)

            def if_return(fr: list) -> Any:
                if cond(fr):
                    fr[1] = rev(fr)
                    return RET
                return None

            return if_return
        if init is None and else_ is None:

            def if1(fr: list) -> Any:
                if cond(fr):
                    return body(fr)
                return None

            return if1
        if init is None:

            def if2(fr: list) -> Any:
                if cond(fr):
                    return body(fr)
                return else_(fr)

            return if2

        def if3(fr: list) -> Any:
            init(fr)
            if cond(fr):
                return body(fr)
            if else_ is not None:
                return else_(fr)
            return None

        return if3

    def for_stmt(self, s: N.ForStmt) -> Callable:
        init = self.stmt(s.init) if s.init is not None else None
        cond = self.cond(s.cond) if s.cond is not None else None
        body = self.stmt(s.body)
        post = self.stmt(s.post) if s.post is not None else None
        fused = self.fused_for(s, init, cond, body, post)  # type: ignore[arg-type]
        if fused is not None:
            return fused

        def loop(fr: list) -> Any:
            if init is not None:
                init(fr)
            while True:
                if cond is not None and not cond(fr):
                    return None
                r = body(fr)
                if r is not None:
                    if r is BREAK:
                        return None
                    if r is not CONTINUE:
                        return r
                if post is not None:
                    post(fr)

        return loop

    def fused_for(self, s: N.ForStmt, init: Any, cond: Any, body: Callable, post: Any) -> Callable | None:
        """``for init; i < n; post {}`` with ``i`` a plain local and ``n`` a constant or plain local:
        the int comparison runs inside the loop (one Python call less per iteration)."""
        c = s.cond
        if type(c) is not N.BinaryExpr or c.op not in _PY_CMP:
            return None
        ls = self.local_slot(c.lhs)
        if ls is None:
            return None
        is_const, k = self.constant(c.rhs)
        rs = self.local_slot(c.rhs)
        if not (is_const and type(k) is int) and rs is None:
            return None
        cmp = _PY_CMP[c.op]
        none = lambda fr: None  # noqa: E731
        init = init or none
        post = post or none

        def fused(fr: list) -> Any:
            init(fr)
            while True:
                a = fr[ls]
                b = k if rs is None else fr[rs]
                if type(a) is int and type(b) is int:
                    if not cmp(a, b):
                        return None
                elif not cond(fr):
                    return None
                r = body(fr)
                if r is not None:
                    if r is BREAK:
                        return None
                    if r is not CONTINUE:
                        return r
                post(fr)

        return fused

    def for_in(self, s: N.ForInStmt) -> Callable:
        it_ev = self.expr(s.iterable)
        ksym, vsym = s.ann
        body = self.stmt(s.body)
        pos = self.pos(s)
        kslot = ksym.slot if ksym is not None else None
        vslot = vsym.slot if vsym is not None else None
        kcell = ksym is not None and ksym.captured
        vcell = vsym is not None and vsym.captured

        def for_in(fr: list) -> Any:
            obj = it_ev(fr)
            if type(obj) is Array:
                pairs: Any = enumerate(obj.value)
            else:
                try:
                    pairs = iterate(obj)
                except TengoError as e:
                    _add_pos(e, pos)
                    raise
            for k, v in pairs:
                if kslot is not None:
                    fr[kslot] = Cell(k) if kcell else k
                if vslot is not None:
                    fr[vslot] = Cell(v) if vcell else v
                r = body(fr)
                if r is not None:
                    if r is BREAK:
                        return None
                    if r is not CONTINUE:
                        return r
            return None

        return for_in

    def return_stmt(self, s: N.ReturnStmt) -> Callable:
        if s.result is None:

            def ret_none(fr: list) -> Any:
                fr[1] = UNDEFINED
                return RET

            return ret_none
        e = s.result
        if type(e) is N.CallExpr:
            return self.tail_call(e)
        ev = self.expr(e)

        def ret(fr: list) -> Any:
            fr[1] = ev(fr)
            return RET

        return ret

    def tail_call(self, e: N.CallExpr) -> Callable:
        fev = self.expr(e.func)
        argevs = [self.expr(a) for a in e.args]
        ellipsis = e.ellipsis
        pos = self.pos(e)
        rt = self.rt

        def tail(fr: list) -> Any:
            f = fev(fr)
            args = [a(fr) for a in argevs]
            try:
                if ellipsis:
                    args = spread(args)
                if type(f) is CompiledFunction:
                    fr[1] = (f, fix_args(f.code, args))
                    return TAIL
                rt.line = pos[1]
                fr[1] = rt.call(f, args)
                return RET
            except TengoError as err:
                err.trace.append(pos)
                raise

        return tail

    def tail_statement(self, e: N.CallExpr) -> Callable:
        """A final call statement: a self-recursive call reuses the frame (the callee's result becomes the
        function's result, as in Tengo); any other call runs normally."""
        call = self.expr(e)
        fev = self.expr(e.func)
        argevs = [self.expr(a) for a in e.args]
        ellipsis = e.ellipsis
        pos = self.pos(e)
        ref = self.code_ref

        def tail_stmt(fr: list) -> Any:
            f = fev(fr)
            if type(f) is CompiledFunction and f.free is fr[0] and ref and f.code is ref[0]:
                args = [a(fr) for a in argevs]
                try:
                    if ellipsis:
                        args = spread(args)
                    fr[1] = (f, fix_args(f.code, args))
                except TengoError as err:
                    err.trace.append(pos)
                    raise
                return TAIL
            call(fr)
            return None

        return tail_stmt

    def assign(self, s: N.AssignStmt) -> Callable:
        lhs, rhs = s.lhs[0], s.rhs[0]
        op = s.op
        pos = self.pos(s)
        if type(lhs) is N.Ident:
            ref: Ref | None = lhs.ann
            if ref is None:  # `_ := x`
                ev = self.expr(rhs)
                return lambda fr: (ev(fr), None)[1]
            if op == "=" and self.rt.max_allocs is None and self._is_self_append(ref, rhs):
                return self.self_append(ref, rhs, pos)
            if op == ":=" or op == "=":
                ev = self.expr(rhs)
            else:
                if ref.kind == "local" and not ref.sym.captured:
                    is_const, k = self.constant(rhs)
                    rslot = self.local_slot(rhs)
                    if is_const:
                        st = make_op_assign(op[:-1], ref.sym.slot, k, pos, True)
                    elif rslot is not None:
                        st = make_op_assign(op[:-1], ref.sym.slot, rslot, pos, "local")
                    else:
                        st = make_op_assign(op[:-1], ref.sym.slot, self.expr(rhs), pos, False)
                    if st is not None:
                        return st
                ev = self.binary(op[:-1], lhs, rhs, pos)
            return self.store(ref, ev, op == ":=", type(rhs) is N.FuncLit)
        # selector / index target
        container = self.expr(lhs.expr)
        if type(lhs) is N.SelectorExpr:
            key = lhs.sel
            kev = lambda fr: key  # noqa: E731
        else:
            kev = self.expr(lhs.index)
        rev = self.expr(rhs)
        if op == "=":

            def set_index(fr: list) -> None:
                v = rev(fr)
                try:
                    index_set(container(fr), kev(fr), v)
                except TengoError as e:
                    _add_pos(e, pos)
                    raise

            return set_index
        bop = op[:-1]
        from .ops import binary_op

        def op_index(fr: list) -> None:
            v = rev(fr)
            try:
                c = container(fr)
                k = kev(fr)
                index_set(c, k, binary_op(bop, index_get(c, k), v))
            except TengoError as e:
                _add_pos(e, pos)
                raise

        return op_index

    @staticmethod
    def _same_var(a: Ref, b: Ref) -> bool:
        if a.kind != b.kind:
            return False
        if a.kind == "local":
            return a.sym is b.sym
        return a.kind == "free" and a.index == b.index

    def _is_self_append(self, ref: Ref, rhs: Any) -> bool:
        """``x = append(x, ...)`` with the builtin ``append`` (no spread)."""
        if type(rhs) is not N.CallExpr or rhs.ellipsis or len(rhs.args) < 2:
            return False
        f = rhs.func
        if type(f) is not N.Ident or f.ann is None or f.ann.kind != "builtin" or f.name != "append":
            return False
        first = rhs.args[0]
        return type(first) is N.Ident and first.ann is not None and self._same_var(first.ann, ref)

    def self_append(self, ref: Ref, rhs: N.CallExpr, pos: tuple) -> Callable:
        """Amortised O(1) ``x = append(x, v)``: when nothing but the variable itself refers to the array
        (checked with the reference count), extending it in place is unobservable; otherwise copy as usual."""
        generic = self.store(ref, self.expr(rhs), False, False)
        getter = self.expr(rhs.args[0])
        argevs = [self.expr(a) for a in rhs.args[1:]]
        # references while checking: the slot or cell, our local ``arr``, getrefcount's argument
        baseline = 3
        getrefcount = sys.getrefcount

        def append_in_place(fr: list) -> None:
            arr = getter(fr)
            if type(arr) is Array and arr.grp is None and getrefcount(arr) <= baseline and getrefcount(arr.value) <= 2:
                extend_in_place(arr, [a(fr) for a in argevs])
                return None
            del arr
            return generic(fr)

        return append_in_place

    def store(self, ref: Ref, ev: Callable, define: bool, is_func: bool) -> Callable:
        if ref.kind == "local":
            i = ref.sym.slot
            if ref.sym.captured:
                if define:
                    if is_func:

                        def define_rec(fr: list) -> None:
                            c = Cell(UNDEFINED)
                            fr[i] = c
                            c.v = ev(fr)

                        return define_rec

                    def define_cell(fr: list) -> None:
                        fr[i] = Cell(ev(fr))

                    return define_cell

                def set_cell(fr: list) -> None:
                    fr[i].v = ev(fr)

                return set_cell

            def set_local(fr: list) -> None:
                fr[i] = ev(fr)

            return set_local
        j = ref.index

        def set_free(fr: list) -> None:
            fr[0][j].v = ev(fr)

        return set_free

    # -- expressions ---------------------------------------------------------------------------------------
    def cond(self, e: Any) -> Callable:
        """A closure returning the Python truth value of ``e``."""
        t = type(e)
        if t is N.BinaryExpr and e.op in _CMP_OPS:
            return self.expr(e)
        if t is N.BoolLit:
            v = e.value
            return lambda fr: v
        if t is N.UnaryExpr and e.op == "!":
            inner = self.cond(e.expr)
            return lambda fr: not inner(fr)
        if t is N.BinaryExpr and e.op == "&&":
            a, b = self.cond(e.lhs), self.cond(e.rhs)
            return lambda fr: a(fr) and b(fr)
        if t is N.BinaryExpr and e.op == "||":
            a, b = self.cond(e.lhs), self.cond(e.rhs)
            return lambda fr: a(fr) or b(fr)
        ev = self.expr(e)

        def truthy(fr: list) -> bool:
            v = ev(fr)
            if v is True:
                return True
            if v is False:
                return False
            return not is_falsy(v)

        return truthy

    def local_slot(self, e: Any) -> int | None:
        """Slot index if ``e`` reads a plain (uncaptured) local."""
        if type(e) is N.Ident and e.ann is not None and e.ann.kind == "local" and not e.ann.sym.captured:
            return e.ann.sym.slot
        return None

    @staticmethod
    def constant(e: Any) -> tuple[bool, Any]:
        t = type(e)
        if t in (N.IntLit, N.FloatLit, N.StringLit, N.BoolLit):
            return True, e.value
        if t is N.UnaryExpr and e.op == "-" and type(e.expr) in (N.IntLit, N.FloatLit):
            v = -e.expr.value
            return True, (wrap_int(v) if type(v) is int else v)
        return False, None

    def binary(self, op: str, lhs: Any, rhs: Any, pos: tuple) -> Callable:
        if op in ("==", "!="):
            return make_equal(self.expr(lhs), self.expr(rhs), op == "!=")
        slot = self.local_slot(lhs)
        is_const, k = self.constant(rhs)
        rslot = self.local_slot(rhs)
        left = slot if slot is not None else self.expr(lhs)
        if is_const:
            return make_binary(op, left, k, pos, slot is not None, True)
        if rslot is not None:
            return make_binary(op, left, rslot, pos, slot is not None, "local")
        return make_binary(op, left, self.expr(rhs), pos, slot is not None, False)

    def expr(self, e: Any) -> Callable:
        t = type(e)
        meth = getattr(self, "e_" + t.__name__)
        ev = meth(e)
        if self.rt.max_allocs is not None and t in _ALLOCATING:
            if t is N.BinaryExpr and e.op in _CMP_OPS | {"&&", "||"}:
                return ev
            return self.counted(ev, self.pos(e))
        return ev

    def counted(self, ev: Callable, pos: tuple) -> Callable:
        """Wrap an allocating expression for Tengo's MaxAllocs budget (compiled in only when a budget is set)."""
        rt = self.rt

        def alloc(fr: list) -> Any:
            v = ev(fr)
            rt.allocs -= 1
            if rt.allocs < 0:
                err = AllocLimit()
                err.trace.append(pos)
                raise err
            return v

        return alloc

    def e_Ident(self, e: N.Ident) -> Callable:
        ref: Ref = e.ann
        if ref.kind == "local":
            i = ref.sym.slot
            if ref.sym.captured:
                return lambda fr: fr[i].v
            return lambda fr: fr[i]
        if ref.kind == "free":
            j = ref.index
            return lambda fr: fr[0][j].v
        v = ref.value
        return lambda fr: v

    def e_IntLit(self, e: Any) -> Callable:
        v = e.value
        return lambda fr: v

    e_FloatLit = e_StringLit = e_BoolLit = e_IntLit

    def e_CharLit(self, e: Any) -> Callable:
        v = Char(e.value)
        return lambda fr: v

    def e_UndefinedLit(self, e: Any) -> Callable:
        return lambda fr: UNDEFINED

    def e_ArrayLit(self, e: N.ArrayLit) -> Callable:
        evs = [self.expr(x) for x in e.elements]
        cap = seq_cap(len(evs))  # Tengo builds literals by appending one element at a time
        return lambda fr: Array([x(fr) for x in evs], cap)

    def e_MapLit(self, e: N.MapLit) -> Callable:
        keys = list(e.keys)
        evs = [self.expr(x) for x in e.values]
        pairs = list(zip(keys, evs))
        return lambda fr: Map({k: x(fr) for k, x in pairs})

    def e_BinaryExpr(self, e: N.BinaryExpr) -> Callable:
        op = e.op
        if op == "&&":
            a, b = self.expr(e.lhs), self.expr(e.rhs)

            def and_(fr: list) -> Any:
                v = a(fr)
                if v is False or (v is not True and is_falsy(v)):
                    return v
                return b(fr)

            return and_
        if op == "||":
            a, b = self.expr(e.lhs), self.expr(e.rhs)

            def or_(fr: list) -> Any:
                v = a(fr)
                if v is True or (v is not False and not is_falsy(v)):
                    return v
                return b(fr)

            return or_
        return self.binary(op, e.lhs, e.rhs, self.pos(e))

    def e_UnaryExpr(self, e: N.UnaryExpr) -> Callable:
        op = e.op
        is_const, k = self.constant(e)
        if is_const:
            return lambda fr: k
        ev = self.expr(e.expr)
        pos = self.pos(e)
        if op == "!":
            return lambda fr: is_falsy(ev(fr))
        if op == "+":
            return ev

        def unary(fr: list) -> Any:
            v = ev(fr)
            if op == "-" and type(v) is int and v != -(1 << 63):
                return -v
            try:
                return unary_op(op, v)
            except TengoError as err:
                _add_pos(err, pos)
                raise

        return unary

    def e_CondExpr(self, e: N.CondExpr) -> Callable:
        c = self.cond(e.cond)
        a, b = self.expr(e.true_expr), self.expr(e.false_expr)
        return lambda fr: a(fr) if c(fr) else b(fr)

    def e_IndexExpr(self, e: N.IndexExpr) -> Callable:
        oev, iev = self.expr(e.expr), self.expr(e.index)
        pos = self.pos(e)

        def index(fr: list) -> Any:
            o = oev(fr)
            i = iev(fr)
            if type(o) is Array and type(i) is int:
                lst = o.value
                if 0 <= i < len(lst):
                    return lst[i]
                return UNDEFINED
            try:
                return index_get(o, i)
            except TengoError as err:
                _add_pos(err, pos)
                raise

        return index

    def e_SelectorExpr(self, e: N.SelectorExpr) -> Callable:
        oev = self.expr(e.expr)
        key = e.sel
        pos = self.pos(e)

        def select(fr: list) -> Any:
            o = oev(fr)
            if type(o) is Map or type(o) is ImmutableMap:
                return o.value.get(key, UNDEFINED)
            try:
                return index_get(o, key)
            except TengoError as err:
                _add_pos(err, pos)
                raise

        return select

    def e_SliceExpr(self, e: N.SliceExpr) -> Callable:
        oev = self.expr(e.expr)
        lev = self.expr(e.low) if e.low is not None else (lambda fr: UNDEFINED)
        hev = self.expr(e.high) if e.high is not None else (lambda fr: UNDEFINED)
        pos = self.pos(e)

        def slice_(fr: list) -> Any:
            o, lo, hi = oev(fr), lev(fr), hev(fr)
            try:
                return slice_get(o, lo, hi)
            except TengoError as err:
                _add_pos(err, pos)
                raise

        return slice_

    def e_CallExpr(self, e: N.CallExpr) -> Callable:
        fev = self.expr(e.func)
        argevs = [self.expr(a) for a in e.args]
        ellipsis = e.ellipsis
        pos = self.pos(e)
        line = e.line
        rt = self.rt
        invoke = rt.invoke

        def call_slow(f: Any, args: list) -> Any:
            if ellipsis:
                args = spread(args)
            if type(f) is CompiledFunction:
                return invoke(f, fix_args(f.code, args))
            rt.line = line
            if type(f) is BuiltinFunction:
                if rt.max_allocs is not None:
                    rt.allocs -= 1
                    if rt.allocs < 0:
                        raise AllocLimit()
                return f.fn(rt, args)
            c = getattr(f, "tengo_call", None)
            if c is None:
                raise TengoRuntimeError(f"not callable: {type_name(f)}")
            return c(rt, args)

        if not ellipsis:
            kind, ref_index = "expr", fev
            ref = e.func.ann if type(e.func) is N.Ident else None
            if ref is not None and ref.kind == "local":
                kind, ref_index = ("cell" if ref.sym.captured else "local"), ref.sym.slot
            elif ref is not None and ref.kind == "free":
                kind, ref_index = "free", ref.index
            fast = make_call(ref_index, argevs, pos, rt, call_slow, kind)
            if fast is not None:
                return fast

        def call(fr: list) -> Any:
            f = fev(fr)
            args = [a(fr) for a in argevs]
            try:
                return call_slow(f, args)
            except TengoError as err:
                err.trace.append(pos)
                raise

        return call

    def e_ErrorExpr(self, e: N.ErrorExpr) -> Callable:
        ev = self.expr(e.expr)
        return lambda fr: Error(ev(fr))

    def e_ImmutableExpr(self, e: N.ImmutableExpr) -> Callable:
        ev = self.expr(e.expr)
        return lambda fr: make_immutable(ev(fr))

    def e_ImportExpr(self, e: N.ImportExpr) -> Callable:
        kind, value = e.ann
        if kind == "value":
            return lambda fr: value
        code: FuncCode = value
        invoke = self.rt.invoke
        pos = self.pos(e)

        def run_module(fr: list) -> Any:
            try:
                return invoke(CompiledFunction(code, ()), [])
            except TengoError as err:
                err.trace.append(pos)
                raise

        return run_module

    def func_lit_code(self, e: N.FuncLit) -> FuncCode:
        """The compiled code of a function literal (once, even if the enclosing function is retranslated)."""
        code = self._func_codes.get(id(e))
        if code is None:
            code = self.function(e.ann, [e.body], e.line)
            self._func_codes[id(e)] = code
        return code

    def e_FuncLit(self, e: N.FuncLit) -> Callable:
        info: FuncInfo = e.ann
        code = self.func_lit_code(e)
        getters = []
        for ref in info.free:
            if ref.kind == "local":
                getters.append((0, ref.sym.slot))
            else:
                getters.append((1, ref.index))
        if not getters:
            return lambda fr: CompiledFunction(code, ())
        if all(k == 0 for k, _ in getters):
            slots = [s for _, s in getters]
            return lambda fr: CompiledFunction(code, tuple([fr[s] for s in slots]))

        def closure(fr: list) -> CompiledFunction:
            free = fr[0]
            return CompiledFunction(code, tuple([fr[i] if k == 0 else free[i] for k, i in getters]))

        return closure
