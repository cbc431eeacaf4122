"""Fast backend: Tengo functions translated to Python functions (one code object per Tengo function).

The closure backend (:mod:`.codegen`) pays one Python call per AST node. This backend emits straight-line
Python for a whole function instead: locals become Python locals (``v<slot>``), expressions are linearised into
temporaries with inline int/float fast paths, loops become ``while``/``for`` loops.

Calling convention: a function literal becomes ``direct(F, D, *params)`` (``F`` its closure cells, ``D`` its
frame count, the parameters as Python arguments; it makes the cells of captured parameters itself) returning
the result value, or a :class:`~.runtime.Tail` ``(function, args)`` for a tail call that the caller finishes
(:meth:`~.runtime.Runtime.finish_tail`). Calls between such functions pass values and the frame count
directly, with no frame list and no shared counter to update (``rt.depth`` is only brought up to date before
calls that leave generated code: builtins, bridges, closure-backend functions). A ``body(fr)`` adapter gives
each function the frame protocol of the closure backend (``fr[0]`` closure cells, ``fr[1]`` return value /
tail-call pair, parameters from ``fr[2]``; signals ``RET``/``TAIL``), so both backends mix freely (nested
functions, modules, the runtime). The top level (main script, module) is a frame-protocol body; its locals are
written back to the frame when it ends (``Program.get`` and the REPL read them there).

Spell text never becomes code: identifiers are replaced by slot numbers (``v12``), every string, float, char,
position and helper is passed in as a constant (``K3``); only integer literals and fixed operator templates are
written into the source. Runs with a debugger hook or an allocation budget use the closure backend.
"""

from __future__ import annotations

import bisect
import collections
import itertools
import logging
import sys
from collections.abc import Callable
from typing import Any

from . import nodes as N
from .access import index_get, index_set, iterate, slice_get
from .errors import StackOverflow, TengoError
from .goslice import extend_in_place, seq_cap
from .objects import (
    MAX_INT,
    MIN_INT,
    UNDEFINED,
    Array,
    Cell,
    Char,
    CompiledFunction,
    Error,
    ImmutableMap,
    Map,
    equals,
    is_falsy,
    wrap_int,
)
from .ops import LIMITS, binary_op, check_str, unary_op
from .resolver import FuncInfo, Ref
from .runtime import RET, TAIL, Tail, fix_args, spread

log = logging.getLogger(__name__)

_ARITH = {"+", "-", "*"}
_CMP = {"<", ">", "<=", ">="}
_BITS = {"&", "|", "^"}
_FOLDABLE = {"+", "-", "*", "<", ">", "<=", ">=", "&", "|", "^"}
#: above this many generated lines a function uses the closure backend (Python's compile time grows with size)
MAX_LINES = 40000


class Unsupported(Exception):
    """This function uses something the fast backend does not translate: use closures instead."""


def _with_pos(e: TengoError, pos: tuple) -> TengoError:
    if not e.trace:
        e.trace.append(pos)
    return e


def _bin(op: str, a: Any, b: Any, pos: tuple) -> Any:
    try:
        return binary_op(op, a, b)
    except TengoError as e:
        _with_pos(e, pos)
        raise


def _un(op: str, a: Any, pos: tuple) -> Any:
    try:
        return unary_op(op, a)
    except TengoError as e:
        _with_pos(e, pos)
        raise


def _idx(o: Any, i: Any, pos: tuple) -> Any:
    try:
        return index_get(o, i)
    except TengoError as e:
        _with_pos(e, pos)
        raise


def _slc(o: Any, lo: Any, hi: Any, pos: tuple) -> Any:
    try:
        return slice_get(o, lo, hi)
    except TengoError as e:
        _with_pos(e, pos)
        raise


def _iset(c: Any, k: Any, v: Any, pos: tuple) -> None:
    try:
        index_set(c, k, v)
    except TengoError as e:
        _with_pos(e, pos)
        raise


def _iop(c: Any, k: Any, op: str, v: Any, pos: tuple) -> None:
    try:
        index_set(c, k, binary_op(op, index_get(c, k), v))
    except TengoError as e:
        _with_pos(e, pos)
        raise


def _pairs(obj: Any, pos: tuple) -> Any:
    if type(obj) is Array:
        # live reads over the list taken at the start; it cannot grow meanwhile (the in-place append refuses
        # a list with other references), as Go iterates over the slice header it took
        return enumerate(obj.value)
    try:
        return iterate(obj)
    except TengoError as e:
        _with_pos(e, pos)
        raise


def _make_immutable(v: Any) -> Any:
    from .codegen import make_immutable

    return make_immutable(v)


_HELPERS: dict[str, Any] = {
    "Array": Array,
    "Map": Map,
    "ImmutableMap": ImmutableMap,
    "Cell": Cell,
    "Error": Error,
    "CompiledFunction": CompiledFunction,
    "UNDEF": UNDEFINED,
    "RET": RET,
    "TAIL": TAIL,
    "Tail": Tail,
    "TengoError": TengoError,
    "StackOverflow": StackOverflow,
    "wrap_int": wrap_int,
    "equals": equals,
    "is_falsy": is_falsy,
    "fix_args": fix_args,
    "spread": spread,
    "_bin": _bin,
    "_un": _un,
    "_idx": _idx,
    "_slc": _slc,
    "_iset": _iset,
    "_iop": _iop,
    "_imm": _make_immutable,
    "_pairs": _pairs,
    "extend_in_place": extend_in_place,
    "_rc": sys.getrefcount,
    "_LIM": LIMITS,
    "_chkstr": check_str,
}


_COMPILED = itertools.count(1)
_LINE_TABLES: collections.OrderedDict[str, tuple[str, list[int], list[int]]] = collections.OrderedDict()
_MAX_LINE_TABLES = 4096


def _remember_lines(name: str, filename: str, linemap: list[tuple[int, int]]) -> None:
    _LINE_TABLES[name] = (filename, [p for p, _ in linemap], [line for _, line in linemap])
    while len(_LINE_TABLES) > _MAX_LINE_TABLES:
        _LINE_TABLES.popitem(last=False)


def spell_position(tb: Any) -> tuple[str, int] | None:
    """``(file, line)`` of the spell statement running in the innermost generated frame of traceback ``tb``
    (for errors raised outside the interpreter's own checks, such as a memory stop)."""
    found = None
    while tb is not None:
        table = _LINE_TABLES.get(tb.tb_frame.f_code.co_filename)
        if table is not None:
            i = bisect.bisect_right(table[1], tb.tb_lineno) - 1
            if i >= 0:
                found = (table[0], table[2][i])
        tb = tb.tb_next
    return found


class _Fn:
    """Code buffer and naming state for one Tengo function."""

    def __init__(self, info: FuncInfo):
        self.info = info
        self.lines: list[str] = []
        self.linemap: list[tuple[int, int]] = []  # (line of the generated source, spell line), ascending
        self.indent = 1
        self.ntemps = 0
        self.stmt_temps: list[str] = []
        self.loops: list[list[str] | None] = []  # per loop: post-statement lines (None for for-in)
        self.in_loop = 0  # > 0 while lowering any part of a loop
        self.direct = not info.top  # a direct entry (values in, value out) or a frame body
        #: variables known to hold an int here (counting-loop variables in their loop): name → never negative
        self.known_int: dict[str, bool] = {}

    def emit(self, text: str) -> None:
        self.lines.append("    " * self.indent + text)

    def temp(self, clear: bool = True) -> str:
        """A fresh temporary; ``clear``: it may hold a container, drop the reference at the statement's end
        (keeps reference counts exact for the in-place ``append``)."""
        self.ntemps += 1
        name = f"_t{self.ntemps}"
        if clear:
            self.stmt_temps.append(name)
        return name


def _is_int_literal(x: str) -> bool:
    return x.lstrip("-").isdigit()


def _int_guard(a: str, b: str, a_int: bool, b_int: bool) -> str:
    parts = []
    if not a_int:
        parts.append(f"type({a}) is int")
    if not b_int:
        parts.append(f"type({b}) is int")
    return " and ".join(parts) if parts else "True"


def _is_sym(e: Any, sym: Any) -> bool:
    return type(e) is N.Ident and e.ann is not None and e.ann.kind == "local" and e.ann.sym is sym


def _assigns(node: Any, syms: set) -> bool:
    """Does any statement under ``node`` assign one of the local symbols ``syms``?"""
    if isinstance(node, list):
        return any(_assigns(x, syms) for x in node)
    if not isinstance(node, N.Node):
        return False
    if type(node) is N.AssignStmt:
        for t in node.lhs:
            if type(t) is N.Ident and t.ann is not None and t.ann.kind == "local" and t.ann.sym in syms:
                return True
    return any(_assigns(getattr(node, name), syms) for name in node.fields)


def _is_var(x: str) -> bool:
    return x.startswith(("v", "F["))


class PyGen:
    """Translates one Tengo function; nested function literals go back through the code generator."""

    def __init__(self, cg: Any):
        self.cg = cg
        self.rt = cg.rt
        self.env: dict[str, Any] = {}
        self.f: _Fn | None = None

    # -- constants -----------------------------------------------------------------------------------------
    def const(self, value: Any) -> str:
        name = f"K{len(self.env)}"
        self.env[name] = value
        return name

    def pos(self, node: Any) -> str:
        return self.const((self.cg.filename, node.line, node.col, self.f.info.name if self.f else ""))

    # -- entry point ---------------------------------------------------------------------------------------
    def compile(self, info: FuncInfo, stmts: list, code_ref: list) -> tuple[Callable, Callable | None]:
        """``(body, direct)``: the frame-protocol body and, for functions (not the top level), the direct
        entry it wraps (None for the top level)."""
        f = self.f = _Fn(info)
        params = [s.slot for s in info.param_syms]
        if f.direct:
            head = "def direct(F, D" + "".join(f", v{s}" for s in params) + "):"
            for s in info.param_syms:
                if s.captured:
                    f.emit(f"v{s.slot} = Cell(v{s.slot})")
            self.stmts(stmts)
            f.emit("return UNDEF")
            # the frame-protocol body: parameters from the frame, the frame count from the runtime
            tail = (
                "def body(fr):\n"
                "    r = direct(fr[0], rt.depth" + "".join(f", fr[{s}]" for s in params) + ")\n"
                "    fr[1] = r\n"
                "    return TAIL if type(r) is Tail else RET\n"
            )
            src = head + "\n" + "\n".join(f.lines) + "\n" + tail
        else:
            src = self._top_source(info, stmts, params)
        return self._build(src, info, code_ref, f.direct)

    def _top_source(self, info: FuncInfo, stmts: list, params: list) -> str:
        """A top level (main script, module): every local is written back to the frame when it ends."""
        f = self.f
        f.emit("F = fr[0]")
        f.emit("D = rt.depth")
        slots = list(range(2, info.nslots))
        for s in slots:
            f.emit(f"v{s} = fr[{s}]")
        f.emit("try:")
        f.indent += 1
        self.stmts(stmts)
        f.emit("return None")
        f.indent -= 1
        f.emit("finally:")
        f.indent += 1
        if slots:
            for s in slots:
                f.emit(f"fr[{s}] = v{s}")
        else:
            f.emit("pass")
        f.indent -= 1
        return "def body(fr):\n" + "\n".join(f.lines) + "\n"

    def _build(self, src: str, info: FuncInfo, code_ref: list, direct: bool) -> tuple[Callable, Callable | None]:
        f = self.f
        if len(f.lines) > MAX_LINES:
            raise Unsupported(f"translation too large ({len(f.lines)} lines)")
        env = dict(self.env)
        env.update(_HELPERS)
        env["rt"] = self.rt
        env["MAXF"] = self.rt.max_frames
        env["_slow"] = self.cg.call_slow_for_pygen
        env["_runmod"] = self.cg.run_module_for_pygen
        env["SELF"] = code_ref
        try:
            name = f"<tengo {self.cg.filename}:{info.name or 'main'}#{next(_COMPILED)}>"
            code = compile(src, name, "exec")
            _remember_lines(name, self.cg.filename, f.linemap)
        except (SyntaxError, RecursionError, MemoryError, ValueError) as e:
            # e.g. more than 20 nested loops or 100 indentation levels: Python's own limits
            raise Unsupported(f"Python rejected the translation: {e}") from None
        exec(code, env)  # generated from fixed templates; no spell text
        return env["body"], (env["direct"] if direct else None)

    # -- statements ----------------------------------------------------------------------------------------
    def stmts(self, stmts: list) -> None:
        before = len(self.f.lines)
        for s in stmts:
            if type(s) is not N.EmptyStmt:
                self.stmt(s)
        if len(self.f.lines) == before:
            self.f.emit("pass")

    def end_stmt(self) -> None:
        f = self.f
        if f.stmt_temps:
            f.emit(" = ".join(f.stmt_temps) + " = None")
            f.stmt_temps = []

    def stmt(self, s: Any) -> None:
        t = type(s)
        f = self.f
        f.linemap.append((len(f.lines) + 2, s.line))  # the source starts with one ``def`` line
        if t is N.ExprStmt:
            if s.ann == "tail":
                self.tail_statement(s.expr)
            else:
                self.expr(s.expr)
            self.end_stmt()
        elif t is N.AssignStmt:
            self.assign(s)
            self.end_stmt()
        elif t is N.BlockStmt:
            self.stmts(s.stmts)
        elif t is N.IfStmt:
            self.if_stmt(s)
        elif t is N.ForStmt:
            self.for_stmt(s)
        elif t is N.ForInStmt:
            self.for_in(s)
        elif t is N.ReturnStmt:
            self.return_stmt(s)
        elif t is N.BranchStmt:
            if s.kind == "break":
                f.emit("break")
            else:
                for ln in (f.loops[-1] if f.loops else None) or ():
                    f.emit(ln)
                f.emit("continue")
        elif t is N.ExportStmt:
            if self.cg.ignore_export:
                return
            if f.direct:  # the resolver rejects export inside a function
                raise Unsupported("export inside a function")
            v = self.expr(s.result)
            f.emit(f"fr[1] = _imm({v})")
            f.emit("return RET")
        else:  # pragma: no cover
            raise Unsupported(t.__name__)

    def if_stmt(self, s: N.IfStmt) -> None:
        f = self.f
        if s.init is not None:
            self.stmt(s.init)
        c = self.cond_value(s.cond)
        f.emit(f"if {c}:")
        f.indent += 1
        self.stmts(s.body.stmts)
        f.indent -= 1
        if s.else_ is not None:
            f.emit("else:")
            f.indent += 1
            if type(s.else_) is N.IfStmt:
                self.if_stmt(s.else_)
            else:
                self.stmts(s.else_.stmts)
            f.indent -= 1

    def for_stmt(self, s: N.ForStmt) -> None:
        f = self.f
        if s.init is not None:
            self.stmt(s.init)
        f.in_loop += 1
        try:
            self._for_loop(s)
        finally:
            f.in_loop -= 1

    def _for_loop(self, s: N.ForStmt) -> None:
        f = self.f
        counting = self._counting_loop(s)
        if counting is not None:
            sym, start, bound, bsym, op = counting
            extra = " + 1" if op == "<=" else ""
            var = f"v{sym.slot}"  # an int in the body (the body never assigns it)
            if bsym is None:  # constant bound: a Python range loop says it all
                f.emit(f"for {var} in range({start}, {bound + (1 if op == '<=' else 0)}):")
                f.indent += 1
                f.loops.append([])
                f.known_int[var] = start >= 0
                self.stmts(s.body.stmts)
                del f.known_int[var]
                f.loops.pop()
                f.indent -= 1
                return
            b = f"v{bsym.slot}"
            f.emit(f"if type({b}) is int:")
            f.indent += 1
            f.emit(f"for {var} in range({start}, {b}{extra}):")
            f.indent += 1
            f.loops.append([])
            f.known_int[var] = start >= 0
            self.stmts(s.body.stmts)
            del f.known_int[var]
            f.loops.pop()
            f.indent -= 2
            f.emit("else:")
            f.indent += 1
            self._while_loop(s)
            f.indent -= 1
            return
        self._while_loop(s)

    def _counting_loop(self, s: N.ForStmt) -> tuple | None:
        """``for i := A; i < B; i++ {}`` (or ``<=``) with ``i`` an uncaptured local, ``A`` an int constant and
        ``B`` an int constant or an uncaptured local that the body never assigns (nor ``i``): Python ``range``."""
        init, cond, post = s.init, s.cond, s.post
        if type(init) is not N.AssignStmt or init.op != ":=" or type(init.lhs[0]) is not N.Ident:
            return None
        ref = init.lhs[0].ann
        if ref is None or ref.kind != "local" or ref.sym.captured:
            return None
        sym = ref.sym
        is_c, start = self.cg.constant(init.rhs[0])
        if not is_c or type(start) is not int:
            return None
        if type(cond) is not N.BinaryExpr or cond.op not in ("<", "<=") or not _is_sym(cond.lhs, sym):
            return None
        is_c, bound = self.cg.constant(cond.rhs)
        bsym = None
        if is_c:
            if type(bound) is not int:
                return None
        else:
            r = cond.rhs
            if type(r) is not N.Ident or r.ann is None or r.ann.kind != "local" or r.ann.sym.captured:
                return None
            bsym = r.ann.sym
            bound = None
        if type(post) is not N.AssignStmt or post.op != "+=" or not _is_sym(post.lhs[0], sym):
            return None
        is_c, step = self.cg.constant(post.rhs[0])
        if not is_c or type(step) is not int or step != 1:
            return None
        if _assigns(s.body, {sym} if bsym is None else {sym, bsym}):
            return None
        return sym, start, bound, bsym, cond.op

    def _while_loop(self, s: N.ForStmt) -> None:
        f = self.f
        # the post statement runs at the end of the body and before each `continue`
        post_lines: list[str] = []
        if s.post is not None:
            saved_lines, saved_indent = f.lines, f.indent
            f.lines, f.indent = [], 0
            self.stmt(s.post)
            post_lines = f.lines
            f.lines, f.indent = saved_lines, saved_indent
        f.emit("while True:")
        f.indent += 1
        if s.cond is not None:
            c = self.cond_value(s.cond)
            f.emit(f"if not {c}:")
            f.emit("    break")
        f.loops.append(post_lines)
        self.stmts(s.body.stmts)
        f.loops.pop()
        for ln in post_lines:
            f.emit(ln)
        f.indent -= 1

    def for_in(self, s: N.ForInStmt) -> None:
        f = self.f
        obj = self.expr(s.iterable)
        f.in_loop += 1
        try:
            self._for_in_loop(s, obj)
        finally:
            f.in_loop -= 1

    def _for_in_loop(self, s: N.ForInStmt, obj: str) -> None:
        f = self.f
        ksym, vsym = s.ann
        f.ntemps += 1
        kv, vv = f"_k{f.ntemps}", f"_v{f.ntemps}"
        f.emit(f"for {kv}, {vv} in _pairs({obj}, {self.pos(s)}):")
        header_temps, f.stmt_temps = f.stmt_temps, []
        f.indent += 1
        if ksym is not None:
            f.emit(f"v{ksym.slot} = Cell({kv})" if ksym.captured else f"v{ksym.slot} = {kv}")
        if vsym is not None:
            f.emit(f"v{vsym.slot} = Cell({vv})" if vsym.captured else f"v{vsym.slot} = {vv}")
        f.loops.append(None)
        self.stmts(s.body.stmts)
        f.loops.pop()
        f.indent -= 1
        f.emit(f"{kv} = {vv} = None")
        f.stmt_temps = header_temps
        self.end_stmt()

    def return_stmt(self, s: N.ReturnStmt) -> None:
        f = self.f
        if s.result is None:
            if f.direct:
                f.emit("return UNDEF")
            else:
                f.emit("fr[1] = UNDEF")
                f.emit("return RET")
            return
        e = s.result
        if type(e) is N.CallExpr:
            fn, args = self.call_parts(e)
            arglist = "[" + ", ".join(args) + "]"
            if e.ellipsis:
                arglist = f"spread({arglist})"
            f.emit("try:")
            f.emit(f"    if type({fn}) is CompiledFunction:")
            if f.direct:
                f.emit(f"        return Tail(({fn}, fix_args({fn}.code, {arglist})))")
                f.emit(f"    return _slow({fn}, {arglist}, {e.line}, D)")
            else:
                f.emit(f"        fr[1] = ({fn}, fix_args({fn}.code, {arglist}))")
                f.emit("        return TAIL")
                f.emit(f"    fr[1] = _slow({fn}, {arglist}, {e.line}, D)")
            f.emit("except TengoError as _e:")
            f.emit(f"    _e.trace.append({self.pos(e)})")
            f.emit("    raise")
            if not f.direct:
                f.emit("return RET")
            return
        v = self.expr(e)
        if f.direct:
            f.emit(f"return {v}")
        else:
            f.emit(f"fr[1] = {v}")
            f.emit("return RET")

    def tail_statement(self, e: N.CallExpr) -> None:
        f = self.f
        fn, args = self.call_parts(e)
        arglist = "[" + ", ".join(args) + "]"
        if e.ellipsis:
            arglist = f"spread({arglist})"
        f.emit(f"if type({fn}) is CompiledFunction and {fn}.free is F and SELF and {fn}.code is SELF[0]:")
        f.emit("    try:")
        f.emit(f"        _tc = Tail(({fn}, fix_args({fn}.code, {arglist})))")
        f.emit("    except TengoError as _e:")
        f.emit(f"        _e.trace.append({self.pos(e)})")
        f.emit("        raise")
        if f.direct:
            f.emit("    return _tc")
        else:
            f.emit("    fr[1] = _tc")
            f.emit("    return TAIL")
        f.emit("else:")
        f.indent += 1
        self.call_emit(e, fn, args, f.temp())
        f.indent -= 1

    # -- assignment ----------------------------------------------------------------------------------------
    def read(self, ref: Ref) -> str:
        if ref.kind == "local":
            return f"v{ref.sym.slot}.v" if ref.sym.captured else f"v{ref.sym.slot}"
        if ref.kind == "free":
            return f"F[{ref.index}].v"
        return self.const(ref.value)

    def store(self, ref: Ref, value: str, define: bool) -> None:
        f = self.f
        if ref.kind == "local":
            s = ref.sym
            if s.captured:
                f.emit(f"v{s.slot} = Cell({value})" if define else f"v{s.slot}.v = {value}")
            else:
                f.emit(f"v{s.slot} = {value}")
        else:
            f.emit(f"F[{ref.index}].v = {value}")

    def assign(self, s: N.AssignStmt) -> None:
        f = self.f
        lhs, rhs = s.lhs[0], s.rhs[0]
        op = s.op
        pos = self.pos(s)
        if type(lhs) is N.Ident:
            ref: Ref | None = lhs.ann
            if ref is None:  # `_ := x`
                self.expr(rhs)
                return
            if op == "=" and self.cg._is_self_append(ref, rhs):
                self.self_append(ref, rhs)
                return
            if op == ":=" and ref.kind == "local" and ref.sym.captured and type(rhs) is N.FuncLit:
                f.emit(f"v{ref.sym.slot} = Cell(UNDEF)")  # the function sees itself (recursion)
                v = self.expr(rhs)
                f.emit(f"v{ref.sym.slot}.v = {v}")
                return
            plain = ref.kind == "local" and not ref.sym.captured
            if op in (":=", "=") and plain and type(rhs) is N.BinaryExpr and rhs.op not in ("&&", "||"):
                v = self.binary(rhs.op, self.expr(rhs.lhs), rhs.rhs, self.pos(rhs), target=f"v{ref.sym.slot}")
                if v != f"v{ref.sym.slot}":
                    self.store(ref, v, op == ":=")
                return
            if op in (":=", "="):
                v = self.expr(rhs)
                self.store(ref, v, op == ":=")
                return
            if plain:
                v = self.binary(op[:-1], self.read(ref), rhs, pos, target=f"v{ref.sym.slot}")
                if v != f"v{ref.sym.slot}":
                    self.store(ref, v, False)
                return
            v = self.binary(op[:-1], self.read(ref), rhs, pos)
            self.store(ref, v, False)
            return
        v = self.materialize(self.expr(rhs))
        c = self.materialize(self.expr(lhs.expr))
        k = self.const(lhs.sel) if type(lhs) is N.SelectorExpr else self.expr(lhs.index)
        if op == "=":
            kstr = type(lhs) is N.SelectorExpr
            f.emit(f"if type({c}) is Map{'' if kstr else f' and type({k}) is str'}:")
            f.emit(f"    {c}.value[{k}] = {v}")
            f.emit("else:")
            f.emit(f"    _iset({c}, {k}, {v}, {pos})")
        else:
            f.emit(f"_iop({c}, {k}, {op[:-1]!r}, {v}, {pos})")

    def self_append(self, ref: Ref, rhs: N.CallExpr) -> None:
        """``x = append(x, ...)`` extends in place when nothing else refers to the array (see codegen)."""
        f = self.f
        a = f.temp()
        f.emit(f"{a} = {self.read(ref)}")
        f.emit(f"if type({a}) is Array and {a}.grp is None and _rc({a}) <= 3 and _rc({a}.value) <= 2:")
        f.indent += 1
        vals = self.operands(list(rhs.args[1:]))
        f.emit(f"extend_in_place({a}, [{', '.join(vals)}])")
        f.indent -= 1
        f.emit("else:")
        f.indent += 1
        f.emit(f"{a} = None")
        v = self.expr(rhs)
        self.store(ref, v, False)
        f.indent -= 1

    # -- expressions ---------------------------------------------------------------------------------------
    def materialize(self, x: str) -> str:
        """Copy a variable read into a temporary (its value must not change under later evaluation)."""
        if _is_var(x):
            t = self.f.temp()
            self.f.emit(f"{t} = {x}")
            return t
        return x

    def sub(self, fn: Callable[[], str]) -> tuple[list[str], str]:
        """Lower into a separate buffer (to decide about materializing an earlier operand)."""
        f = self.f
        saved = f.lines
        f.lines = []
        try:
            x = fn()
            return f.lines, x
        finally:
            f.lines = saved

    def operands(self, exprs: list) -> list[str]:
        """Lower expressions left to right; earlier values are fixed before later code runs."""
        vals: list[str] = []
        for x in exprs:
            lines, v = self.sub(lambda x=x: self.expr(x))
            if lines:
                vals = [self.materialize(p) for p in vals]
                self.f.lines.extend(lines)
            vals.append(v)
        return vals

    def cond(self, e: Any) -> str:
        """A Python boolean expression for the truth of ``e``."""
        t = type(e)
        if t is N.BinaryExpr and (e.op in _CMP or e.op in ("==", "!=")):
            return self.expr(e)
        if t is N.BoolLit:
            return "True" if e.value else "False"
        if t is N.UnaryExpr and e.op == "!":
            return f"not ({self.cond(e.expr)})"
        v = self.expr(e)
        if _is_int_literal(v):
            return "True" if int(v) != 0 else "False"
        if v in ("True", "False"):
            return v
        if v == "UNDEF":
            return "False"
        return f"({v} is True or ({v} is not False and not is_falsy({v})))"

    def cond_value(self, e: Any) -> str:
        """The truth of ``e`` in a fresh boolean temporary; the other temporaries are dropped."""
        c = self.cond(e)
        f = self.f
        if not f.stmt_temps:
            return c
        f.ntemps += 1
        name = f"_c{f.ntemps}"
        f.emit(f"{name} = {c}")
        self.end_stmt()
        return name

    def expr(self, e: Any) -> str:
        meth = getattr(self, "e_" + type(e).__name__, None)
        if meth is None:
            raise Unsupported(type(e).__name__)
        return meth(e)

    def e_Ident(self, e: N.Ident) -> str:
        return self.read(e.ann)

    def e_IntLit(self, e: Any) -> str:
        return repr(int(e.value))

    def e_BoolLit(self, e: Any) -> str:
        return "True" if e.value else "False"

    def e_FloatLit(self, e: Any) -> str:
        return self.const(e.value)

    def e_StringLit(self, e: Any) -> str:
        return self.const(e.value)

    def e_CharLit(self, e: Any) -> str:
        return self.const(Char(e.value))

    def e_UndefinedLit(self, e: Any) -> str:
        return "UNDEF"

    def e_ArrayLit(self, e: N.ArrayLit) -> str:
        vals = self.operands(e.elements)
        t = self.f.temp()
        self.f.emit(f"{t} = Array([{', '.join(vals)}], {seq_cap(len(vals))})")
        return t

    def e_MapLit(self, e: N.MapLit) -> str:
        vals = self.operands(e.values)
        t = self.f.temp()
        items = ", ".join(f"{self.const(k)}: {v}" for k, v in zip(e.keys, vals))
        self.f.emit(f"{t} = Map({{{items}}})")
        return t

    def e_ErrorExpr(self, e: Any) -> str:
        v = self.expr(e.expr)
        t = self.f.temp()
        self.f.emit(f"{t} = Error({v})")
        return t

    def e_ImmutableExpr(self, e: Any) -> str:
        v = self.expr(e.expr)
        t = self.f.temp()
        self.f.emit(f"{t} = _imm({v})")
        return t

    def e_ImportExpr(self, e: N.ImportExpr) -> str:
        kind, value = e.ann
        if kind == "value":
            return self.const(value)
        t = self.f.temp()
        self.f.emit(f"{t} = _runmod({self.const(value)}, {self.pos(e)}, D)")
        return t

    def e_FuncLit(self, e: N.FuncLit) -> str:
        info: FuncInfo = e.ann
        code = self.cg.func_lit_code(e)
        cells = [f"v{ref.sym.slot}" if ref.kind == "local" else f"F[{ref.index}]" for ref in info.free]
        t = self.f.temp()
        self.f.emit(f"{t} = CompiledFunction({self.const(code)}, ({''.join(c + ', ' for c in cells)}))")
        return t

    def e_UnaryExpr(self, e: N.UnaryExpr) -> str:
        f = self.f
        is_const, k = self.cg.constant(e)
        if is_const:
            return repr(k) if type(k) is int else self.const(k)
        if e.op == "+":
            return self.expr(e.expr)
        if e.op == "!":
            c = self.cond(e.expr)
            t = f.temp(clear=False)
            f.emit(f"{t} = not ({c})")
            return t
        v = self.materialize(self.expr(e.expr))
        t = f.temp()
        pos = self.pos(e)
        if e.op == "-":
            f.emit(f"{t} = -{v} if type({v}) is int and {v} != {MIN_INT} else _un('-', {v}, {pos})")
        else:
            f.emit(f"{t} = ~{v} if type({v}) is int else _un({e.op!r}, {v}, {pos})")
        return t

    def e_CondExpr(self, e: N.CondExpr) -> str:
        f = self.f
        c = self.cond(e.cond)
        t = f.temp()
        f.emit(f"if {c}:")
        f.indent += 1
        v = self.expr(e.true_expr)
        f.emit(f"{t} = {v}")
        f.indent -= 1
        f.emit("else:")
        f.indent += 1
        v = self.expr(e.false_expr)
        f.emit(f"{t} = {v}")
        f.indent -= 1
        return t

    def e_BinaryExpr(self, e: N.BinaryExpr) -> str:
        op = e.op
        f = self.f
        if op in ("&&", "||"):
            t = f.temp()
            lv = self.expr(e.lhs)
            f.emit(f"{t} = {lv}")
            truth = f"({t} is True or ({t} is not False and not is_falsy({t})))"
            f.emit(f"if {truth}:" if op == "&&" else f"if not {truth}:")
            f.indent += 1
            rv = self.expr(e.rhs)
            f.emit(f"{t} = {rv}")
            f.indent -= 1
            return t
        return self.binary(op, self.expr(e.lhs), e.rhs, self.pos(e))

    def binary(self, op: str, a: str, rhs_node: Any, pos: str, target: str | None = None) -> str:
        """``a op rhs`` where ``a`` is already lowered; ``target``: a plain local to compute into."""
        f = self.f
        lines, b = self.sub(lambda: self.expr(rhs_node))
        if lines:
            a = self.materialize(a)
            f.lines.extend(lines)
        a_lit = _is_int_literal(a)
        b_lit = _is_int_literal(b)
        if a_lit and b_lit and op in _FOLDABLE:
            return repr(binary_op(op, int(a), int(b)))
        a_int = a_lit or a in f.known_int
        b_int = b_lit or b in f.known_int
        if target is not None:
            t = target
        elif op in _CMP or op in ("==", "!="):
            t = f.temp(clear=False)  # always a bool
        else:
            t = f.temp()
        guard = _int_guard(a, b, a_int, b_int)
        if op in ("==", "!="):
            neg = "not " if op == "!=" else ""
            f.emit(f"{t} = ({a} {op} {b}) if {guard} else {neg}equals({a}, {b})")
        elif op in _ARITH:
            f.emit(f"if {guard}:")
            f.emit(f"    {t} = {a} {op} {b}")
            b_nonneg = int(b) >= 0 if b_lit else f.known_int.get(b, False)
            a_nonneg = int(a) >= 0 if a_lit else f.known_int.get(a, False)
            if op in "+-" and b_nonneg:
                check = f"{t} > {MAX_INT}" if op == "+" else f"{t} < {MIN_INT}"  # only one side can overflow
            elif op == "+" and a_nonneg:
                check = f"{t} > {MAX_INT}"
            else:
                check = f"{t} > {MAX_INT} or {t} < {MIN_INT}"
            f.emit(f"    if {check}:")
            f.emit(f"        {t} = wrap_int({t})")
            if not (a_int or b_int):
                f.emit(f"elif type({a}) is float and type({b}) is float:")
                f.emit(f"    {t} = {a} {op} {b}")
                if op == "+":
                    f.emit(f"elif type({a}) is str and type({b}) is str:")
                    f.emit(f"    {t} = {a} + {b}")
                    f.emit(f"    if len({t}) > _LIM.max_string_len:")
                    f.emit(f"        {t} = _chkstr({t})")
            f.emit("else:")
            f.emit(f"    {t} = _bin({op!r}, {a}, {b}, {pos})")
        elif op in _CMP or op in _BITS:
            f.emit(f"{t} = ({a} {op} {b}) if {guard} else _bin({op!r}, {a}, {b}, {pos})")
        elif op == "&^":
            f.emit(f"{t} = ({a} & ~{b}) if {guard} else _bin({op!r}, {a}, {b}, {pos})")
        elif op in ("/", "%"):
            pyop = "//" if op == "/" else "%"
            f.emit(f"{t} = ({a} {pyop} {b}) if {guard} and {b} > 0 and {a} >= 0 else _bin({op!r}, {a}, {b}, {pos})")
        elif op == ">>":
            f.emit(f"{t} = ({a} >> {b}) if {guard} and 0 <= {b} < 64 else _bin({op!r}, {a}, {b}, {pos})")
        else:
            f.emit(f"{t} = _bin({op!r}, {a}, {b}, {pos})")
        return t

    def e_IndexExpr(self, e: N.IndexExpr) -> str:
        f = self.f
        o, i = self.operands([e.expr, e.index])
        t = f.temp()
        iguard = "" if _is_int_literal(i) else f" and type({i}) is int"
        f.emit(f"if type({o}) is Array{iguard}:")
        f.emit(f"    {t} = {o}.value")
        f.emit(f"    {t} = {t}[{i}] if 0 <= {i} < len({t}) else UNDEF")
        f.emit("else:")
        f.emit(f"    {t} = _idx({o}, {i}, {self.pos(e)})")
        return t

    def e_SelectorExpr(self, e: N.SelectorExpr) -> str:
        f = self.f
        o = self.materialize(self.expr(e.expr))
        k = self.const(e.sel)
        t = f.temp()
        f.emit(
            f"{t} = {o}.value.get({k}, UNDEF) if (type({o}) is Map or type({o}) is ImmutableMap) "
            f"else _idx({o}, {k}, {self.pos(e)})"
        )
        return t

    def e_SliceExpr(self, e: N.SliceExpr) -> str:
        parts = [e.expr] + [x for x in (e.low, e.high) if x is not None]
        vals = self.operands(parts)
        rest = vals[1:]
        lo = rest.pop(0) if e.low is not None else "UNDEF"
        hi = rest.pop(0) if e.high is not None else "UNDEF"
        t = self.f.temp()
        self.f.emit(f"{t} = _slc({vals[0]}, {lo}, {hi}, {self.pos(e)})")
        return t

    def call_parts(self, e: N.CallExpr) -> tuple[str, list[str]]:
        vals = [self.materialize(v) for v in self.operands([e.func] + list(e.args))]
        return vals[0], vals[1:]

    def e_CallExpr(self, e: N.CallExpr) -> str:
        fn, args = self.call_parts(e)
        t = self.f.temp()
        self.call_emit(e, fn, args, t)
        return t

    def call_emit(self, e: N.CallExpr, fn: str, args: list[str], t: str) -> None:
        f = self.f
        arglist = "[" + ", ".join(args) + "]"
        f.emit("try:")
        if e.ellipsis:
            f.emit(f"    {t} = _slow({fn}, spread({arglist}), {e.line}, D)")
        elif f.info.top and not f.in_loop:
            # straight-line top-level code runs once: a compact call keeps the generated source small
            f.emit(f"    {t} = _slow({fn}, {arglist}, {e.line}, D)")
        else:
            # the callee's direct entry: no frame list, the frame count travels as an argument
            f.emit(f"    if type({fn}) is CompiledFunction and {fn}.code.dn == {len(args)}:")
            f.emit("        if D >= MAXF:")
            f.emit("            raise StackOverflow()")
            f.emit(f"        {t} = {fn}.code.direct({fn}.free, D + 1{''.join(', ' + a for a in args)})")
            f.emit(f"        if type({t}) is Tail:")
            f.emit(f"            {t} = rt.finish_tail({t}, D + 1)")
            f.emit("    else:")
            f.emit(f"        {t} = _slow({fn}, {arglist}, {e.line}, D)")
        f.emit("except TengoError as _e:")
        f.emit(f"    _e.trace.append({self.pos(e)})")
        f.emit("    raise")
