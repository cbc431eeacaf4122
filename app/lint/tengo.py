"""Lint of Tengo spells: the project's own parser and resolver (app/engines/tengo), plus the registry checks.

The resolver runs in its lenient (check) mode; a subclass records which local each read resolves to, so unused
variables and undefined names come from the same scoping rules the compiler uses. Tengo nodes carry a start
position only (1-based line, byte column); member names and map keys are located in the source text.
"""

from __future__ import annotations

import re
from typing import Any

from app.engines.tengo import nodes as N
from app.engines.tengo.errors import TengoError
from app.engines.tengo.parser import parse
from app.engines.tengo.resolver import Ref, Resolver
from app.engines.tengo.resolver import Symbol as TSymbol
from app.lint import api
from app.lint.api import ApiFacts, Arg, Finding
from app.lint.core import Reporter, Symbol, is_placeholder, unused_message
from app.lint.diagnostic import Fix
from app.lint.modules import ModuleCheck
from app.lint.sandbox import TENGO_PREDEFINED, tengo_builtins, tengo_modules


def is_node(node: Any, cls: type) -> bool:
    """``type(node) is cls`` (the node classes are built at run time: no narrowing for the type checker)."""
    return type(node) is cls


_WORD = re.compile(r"[A-Za-z_]\w*|\S")


class _Pos:
    """A position in Tengo terms (1-based line, 1-based byte column) plus the length of the text there."""

    __slots__ = ("col", "length", "line")

    def __init__(self, line: int, col: int, length: int = 0):
        self.line, self.col, self.length = line, col, length


class _RecordingResolver(Resolver):
    """The compiler's resolver, noting each read's symbol and each name it could not resolve."""

    def __init__(self, *args: Any, **kw: Any):
        super().__init__(*args, **kw)
        self.reads: dict[int, list[Any]] = {}
        self.unresolved: list[Any] = []
        #: (node declaring a name, what it hides: "variable" or a bridge global's name)
        self.shadows: list[tuple[Any, str]] = []

    def _visible_outside_block(self, name: str) -> bool:
        """Whether ``name`` is a local of an enclosing block or function (not of the current block)."""
        fn = self.fn
        blocks = fn.blocks[:-1] if fn is not None else []
        while fn is not None:
            if any(name in b for b in blocks):
                return True
            fn = fn.parent
            blocks = fn.blocks if fn is not None else []
        return False

    def _note_declaration(self, node: Any, name: str) -> None:
        if name.startswith("_"):
            return
        if self._visible_outside_block(name):
            self.shadows.append((node, "variable"))
        elif name in self.builtins and name[:1].isupper():
            self.shadows.append((node, name))

    def assign(self, s: Any) -> None:
        if s.op == ":=" and len(s.lhs) == 1 and is_node(s.lhs[0], N.Ident):
            self._note_declaration(s.lhs[0], s.lhs[0].name)
        super().assign(s)

    def func(self, e: Any, name: str) -> None:
        for p in e.params:  # a parameter hides the same name of the enclosing scopes
            if (
                self.fn is not None
                and not p.startswith("_")
                and (any(p in b for b in self.fn.blocks) or self._visible_outside_block(p))
            ):
                self.shadows.append((("param", e, p), "variable"))
        super().func(e, name)

    def lookup(self, node: Any) -> Ref:
        fn = self.fn
        while fn is not None:
            sym = next((b[node.name] for b in reversed(fn.blocks) if node.name in b), None)
            if sym is not None:
                self.reads.setdefault(id(sym), []).append(node)
                break
            fn = fn.parent
        else:
            if node.name not in self.builtins:
                self.unresolved.append(node)
        return super().lookup(node)


class TengoAnalysis:
    def __init__(self, source: str, tree: Any, reporter: Reporter, modules: ModuleCheck):
        """``tree`` is unused: Tengo is parsed here, with the engine's own parser."""
        self.source = source
        self.path = reporter.path
        self.r = reporter
        self.modules = modules
        self.facts: ApiFacts = api.facts("tengo")
        self.lines = reporter.source.lines
        self.symbols: list[Symbol] = []  # for the editor's symbol queries
        self._types: dict[int, str] = {}  # id(resolver symbol) -> handle type
        self.callbacks: set[int] = set()  # ids of function literals passed straight to a bridge method
        self.predefined: frozenset[str] = frozenset()

    # ------------------------------------------------------------------------------------------------ positions
    def _span(self, pos: Any, length: int | None = None) -> tuple[int, int, int, int]:
        line, bcol = pos.line, pos.col
        row = max(0, line - 1)
        text = self.lines[row] if row < len(self.lines) else ""
        col0 = self.r.source.char_col(row, max(0, bcol - 1))
        if length is None:
            m = _WORD.match(text, col0)
            length = len(m.group()) if m else 1
        return line, col0 + 1, line, col0 + 1 + max(1, length)

    def span(self, node: Any) -> tuple[int, int, int, int]:
        """1-based character ``(line, col, end_line, end_col)`` of an identifier node or a located position."""
        name = getattr(node, "name", None)
        return self._span(node, len(name) if isinstance(name, str) else getattr(node, "length", None) or None)

    def report(
        self,
        rule: str,
        message: str,
        pos: Any,
        length: int | None = None,
        replacement: str | None = None,
        subject: str = "",
    ) -> None:
        line, col, end_line, end_col = self._span(pos, getattr(pos, "length", None) or length)
        fix = Fix(f"Change to '{replacement}'", line, col, end_line, end_col, replacement) if replacement else None
        self.r.add(rule, message, line, col, end_line, end_col, fix, subject)

    def _find_after(self, node: Any, pattern: str) -> _Pos:
        """The position of ``pattern`` (a regex with one group) at or after ``node`` in the source."""
        row = node.line - 1
        text = self.lines[row] if 0 <= row < len(self.lines) else ""
        start = self.r.source.char_col(row, node.col - 1)
        for r in range(row, min(row + 20, len(self.lines))):
            line = self.lines[r]
            m = re.compile(pattern).search(line, start if r == row else 0)
            if m:
                byte_col = len(line[: m.start(1)].encode("utf-8")) + 1
                return _Pos(r + 1, byte_col, len(m.group(1)))
        del text
        return _Pos(node.line, node.col)

    # ------------------------------------------------------------------------------------------------ entry
    def run(self) -> None:
        try:
            stmts = parse(self.source, self.path)
        except TengoError as e:
            self._error(e)
            return
        except RecursionError:
            self.r.add("syntax-error", "source nested too deeply", 1, 1, 1, 2)
            return
        builtins = dict.fromkeys(tengo_builtins() | set(self.facts.globals) | self.predefined)
        resolver = _RecordingResolver(self.path, builtins, self._import, lenient=True)
        try:
            top = resolver.resolve_top(stmts, list(TENGO_PREDEFINED))
        except TengoError as e:
            self._error(e)
            return
        except RecursionError:
            return
        self.resolver = resolver
        for node, what in resolver.shadows:
            if isinstance(node, tuple):  # a parameter: located in the source after its function literal
                _, fn_node, pname = node
                pos: Any = self._find_after(fn_node, r"\b(" + re.escape(pname) + r")\b")
                name = pname
            else:
                pos, name = node, node.name
            hidden = "a variable of an enclosing scope" if what == "variable" else f"the bridge global {what}"
            self.report("shadowing", f"'{name}' hides {hidden}; rename it", pos, len(name), subject=name)
        for node in resolver.unresolved:
            guess = api.suggest(node.name, set(builtins) | TENGO_PREDEFINED)
            self.report(
                "undefined-global",
                f"'{node.name}' is not defined{api.did_you_mean(guess)} (Tengo spells "
                "see their variables, the builtins and the bridge globals; declare with ':=')",
                node,
                replacement=guess,
                subject=node.name,
            )
        del top
        self.walk_stmts(stmts, in_function=False)
        self._report_unused()

    def _error(self, e: TengoError) -> None:
        pos = e.position
        if pos is None:
            self.r.add("syntax-error", e.message, 1, 1, 1, 2)
        else:
            line, col, end_line, end_col = self._span(_Pos(pos[1], pos[2]))
            self.r.add("syntax-error", e.message, line, col, end_line, end_col)

    def _import(self, name: str, node: Any) -> Any:
        if name not in tengo_modules() and self.modules.exists(name) is False:
            self.report(
                "missing-module",
                f"module '{name}' is neither a standard module ("
                f"{', '.join(sorted(tengo_modules()))}) nor a file next to the spell",
                node,
                subject=name,
            )
        from app.engines.tengo.objects import UNDEFINED

        return ("value", UNDEFINED)

    # ------------------------------------------------------------------------------------------------ walk
    def walk_stmts(self, stmts: list, in_function: bool) -> None:
        terminated, terminated_line = None, 0
        for s in stmts:
            if terminated is not None and not is_node(s, N.EmptyStmt):
                self.report(
                    "unreachable-code", f"this code never runs: it follows '{terminated}' on line {terminated_line}", s
                )
                terminated = None
            self.stmt(s)
            if is_node(s, N.ReturnStmt):
                terminated, terminated_line = "return", s.line
            elif is_node(s, N.BranchStmt):
                terminated, terminated_line = s.kind, s.line

    def stmt(self, s: Any) -> None:
        t = type(s)
        if t is N.ExprStmt:
            self.expr(s.expr)
        elif t is N.AssignStmt:
            for e in s.rhs:
                self.expr(e)
            for lhs in s.lhs:
                if is_node(lhs, N.Ident):
                    if s.op == ":=" and isinstance(lhs.ann, Ref) and lhs.ann.sym is not None:
                        value = s.rhs[0] if len(s.rhs) == 1 else None
                        kind = (
                            "import"
                            if is_node(value, N.ImportExpr)
                            else ("function" if is_node(value, N.FuncLit) else "local")
                        )
                        self._declared(lhs.ann.sym, lhs, kind, s)
                        htype = self._type_of(value)
                        if htype:
                            self._types[id(lhs.ann.sym)] = htype
                    elif isinstance(lhs.ann, Ref) and lhs.ann.sym is not None:  # `x = value`: x's type follows
                        htype = self._type_of(s.rhs[0]) if len(s.rhs) == 1 and s.op == "=" else None
                        if htype:
                            self._types[id(lhs.ann.sym)] = htype
                        else:
                            self._types.pop(id(lhs.ann.sym), None)
                    elif lhs.name in self.facts.globals:
                        self.report(
                            "bridge-assignment",
                            f"'{lhs.name}' is a bridge global and cannot be replaced",
                            lhs,
                            subject=lhs.name,
                        )
                else:
                    base = lhs
                    while type(base) in (N.SelectorExpr, N.IndexExpr):
                        base = base.expr
                    if (
                        is_node(base, N.Ident)
                        and base.name in self.facts.globals
                        and not (isinstance(base.ann, Ref) and base.ann.kind == "local")
                    ):
                        self.report(
                            "bridge-assignment",
                            f"{base.name} is read-only: its members cannot be assigned",
                            base,
                            subject=base.name,
                        )
                    self.expr(lhs, write=True)
        elif t is N.BlockStmt:
            self.walk_stmts(s.stmts, True)
        elif t is N.IfStmt:
            if s.init is not None:
                self.stmt(s.init)
            self.expr(s.cond)
            self.stmt(s.body)
            if s.else_ is not None:
                self.stmt(s.else_)
        elif t is N.ForStmt:
            for part in (s.init, s.post):
                if part is not None:
                    self.stmt(part)
            if s.cond is not None:
                self.expr(s.cond)
            self.stmt(s.body)
        elif t is N.ForInStmt:
            self.expr(s.iterable)
            ksym, vsym = s.ann if isinstance(s.ann, tuple) else (None, None)
            if ksym is not None:
                self._declared(ksym, s.key, "loop", None)
            if vsym is not None:
                self._declared(vsym, s.value, "loop", None)
            self.stmt(s.body)
        elif t in (N.ReturnStmt, N.ExportStmt) and s.result is not None:
            self.expr(s.result)

    def _declared(
        self, sym: TSymbol, node: Any, kind: str, stmt: Any, group: list[Symbol] | None = None, dictated: bool = False
    ) -> None:
        reads = self.resolver.reads.get(id(sym), [])
        mine = Symbol(
            sym.name, kind, node, stmt, used=bool(reads), references=list(reads), group=group, dictated=dictated
        )
        if group is not None:
            group.append(mine)
        self.symbols.append(mine)

    def _report_unused(self) -> None:
        for mine in self.symbols:
            if mine.used or is_placeholder(mine):
                continue
            self._unused(mine)

    def _unused(self, mine: Symbol) -> None:
        kind, node, stmt = mine.kind, mine.node, mine.removable
        rule, msg = unused_message(mine)
        fix = None
        if stmt is not None and kind in ("import", "local", "function") and self._removable(stmt):
            fix = Fix(f"Remove unused '{mine.name}'", node.line, 1, node.line + 1, 1, "")
        line, col, end_line, end_col = self._span(node, len(mine.name))
        self.r.add(rule, msg, line, col, end_line, end_col, fix, mine.name)

    def _removable(self, stmt: Any) -> bool:
        """A one-line declaration of a literal, name or import: deleting its line changes nothing else."""
        value = stmt.rhs[0] if len(stmt.rhs) == 1 else None
        if type(value) not in (
            N.IntLit,
            N.FloatLit,
            N.StringLit,
            N.BoolLit,
            N.UndefinedLit,
            N.Ident,
            N.ImportExpr,
            N.CharLit,
        ):
            return False
        line = self.lines[stmt.line - 1] if stmt.line - 1 < len(self.lines) else ""
        return line.strip().startswith(stmt.lhs[0].name) and ";" not in line

    def _type_of(self, e: Any) -> str | None:
        if is_node(e, N.CallExpr):
            m = self._method_of(e.func)
            return self.facts.handle_type(m.returns_type) if m is not None else None
        if is_node(e, N.Ident) and isinstance(e.ann, Ref) and e.ann.sym is not None:
            return self._types.get(id(e.ann.sym))
        return None

    def _owner(self, e: Any) -> Any:
        """The bridge global or handle type an expression denotes (or None)."""
        if not is_node(e, N.Ident):
            return None
        ref = e.ann
        if isinstance(ref, Ref) and ref.kind == "builtin" and e.name in self.facts.globals:
            return self.facts.globals[e.name]
        if isinstance(ref, Ref) and ref.kind == "local" and ref.sym is not None:
            t = self._types.get(id(ref.sym))
            return self.facts.types.get(t) if t else None
        return None

    def _method_of(self, func: Any) -> Any:
        name = None
        if is_node(func, N.SelectorExpr):
            name = func.sel
        elif is_node(func, N.IndexExpr) and is_node(func.index, N.StringLit):
            name = func.index.value
        owner = self._owner(func.expr) if name is not None else None
        return self.facts.members(owner).get(name) if owner is not None and name is not None else None

    def expr(self, e: Any, write: bool = False) -> None:
        if e is None:
            return
        t = type(e)
        if t is N.SelectorExpr or (t is N.IndexExpr and is_node(e.index, N.StringLit)):
            self.expr(e.expr)
            if t is N.IndexExpr:
                self.expr(e.index)
            owner = self._owner(e.expr)
            name = e.sel if t is N.SelectorExpr else e.index.value
            if owner is not None and not write:
                f = api.check_member(self.facts, owner, name, None)
                if f is not None:
                    pos = (
                        self._find_after(e.expr, r"\.\s*(" + re.escape(name) + r")\b")
                        if t is N.SelectorExpr
                        else _Pos(e.index.line, e.index.col, len(name) + 2)
                    )
                    self.report(f.rule, f.message, pos, replacement=f.replacement, subject=name)
            return
        if t is N.CallExpr:
            self.expr(e.func)
            m = self._method_of(e.func)
            for a in e.args:
                if m is not None and is_node(a, N.FuncLit):
                    self.callbacks.add(id(a))
                self.expr(a)
            if m is not None:
                args = [self._arg(a) for a in e.args]
                if e.ellipsis and args:
                    args[-1] = Arg("spread", args[-1].node)
                for f in api.check_call(self.facts, m, args, e):
                    self._report_finding(f)
            return
        if t is N.FuncLit:
            info = e.ann
            group: list[Symbol] = []
            for sym in getattr(info, "param_syms", []):
                self._declared(
                    sym,
                    self._find_after(e, r"\b(" + re.escape(sym.name) + r")\b"),
                    "param",
                    None,
                    group,
                    id(e) in self.callbacks,
                )
            self.stmt(e.body)
            return
        for field in getattr(t, "fields", ()):
            v = getattr(e, field, None)
            if isinstance(v, list):
                for x in v:
                    if isinstance(x, N.Node):
                        self.expr(x)
            elif isinstance(v, N.Node):
                self.expr(v)

    def _report_finding(self, f: Finding) -> None:
        node = f.node
        if isinstance(node, tuple):  # (map node, key): locate the key
            mp, key = node
            node = self._find_after(mp, r"(?<![\w\"])\"?(" + re.escape(key) + r")\"?\s*:")
        self.report(f.rule, f.message, node, replacement=f.replacement, subject=f.subject)

    def _arg(self, a: Any) -> Arg:
        t = type(a)
        kind = {
            N.StringLit: "string",
            N.IntLit: "integer",
            N.FloatLit: "number",
            N.BoolLit: "boolean",
            N.UndefinedLit: "nil",
            N.FuncLit: "function",
        }.get(t, "other")
        if t is N.MapLit:
            kind = "table" if a.keys else "emptytable"
            keys = [(k, (a, k), self._arg(v)) for k, v in zip(a.keys, a.values)]
            return Arg(kind, a, keys)
        if t is N.ArrayLit:
            kind = "array" if a.elements else "emptytable"
        return Arg(kind, a)
