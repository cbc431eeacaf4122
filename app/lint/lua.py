"""Lint of Lua spells from a tree-sitter tree: scopes, bridge calls, sandbox globals."""

from __future__ import annotations

from typing import Any

from app import syntax
from app.lint import api
from app.lint.api import Arg
from app.lint.core import (
    Reporter,
    Scope,
    Symbol,
    TreeAnalysis,
    is_ignorable_name,
    node_text,
    report_findings,
    report_node,
)
from app.lint.modules import ModuleCheck
from app.lint.sandbox import LUA_GLOBALS, LUA_REMOVED, LUA_REMOVED_MEMBERS

Node = Any
_FUNCTION_NODES = ("function_declaration", "function_definition")
_PURE_VALUES = {
    "number",
    "string",
    "true",
    "false",
    "nil",
    "identifier",
    "function_definition",
    "table_constructor",
    "dot_index_expression",
}


_text = node_text


class LuaAnalysis(TreeAnalysis):
    """One walk over a Lua tree."""

    def __init__(self, source: str, tree: Any, reporter: Reporter, modules: ModuleCheck):
        super().__init__("lua", tree, reporter, modules)

    # ------------------------------------------------------------------------------------------------ entry
    def run(self) -> None:
        root = self.tree.root_node
        self._collect_global_writes(root)
        scope = self.begin_root()
        self.block(root, scope)
        self.close_scope(scope)
        self.end_root()

    def _collect_global_writes(self, root: Node) -> None:
        """Globals the file itself defines (``function helper() end``, ``count = 0``), known before the walk so
        a function may use one defined below it. Local-ness is decided later; this only lists candidates.
        A tree-sitter query finds them (in C: this runs on every keystroke)."""
        for node, name in _captures(_GLOBAL_WRITES, root):
            if name == "assigned" and node.parent.parent.type == "variable_declaration":
                continue
            if name == "function" and _is_local(node.parent):
                continue
            self.file_globals.add(_text(node))

    # ------------------------------------------------------------------------------------------------ scopes
    def declare(
        self, scope: Scope, name_node: Node, kind: str, removable: Node | None = None, type_: str | None = None
    ) -> Symbol:
        name = _text(name_node)
        outer = scope.lookup(name)
        if not is_ignorable_name(name) and kind != "function":
            if outer is not None:
                where = outer.node.start_point[0] + 1
                report_node(
                    self.r,
                    "shadowing",
                    f"'{name}' hides the {_kind_word(outer.kind)} declared on line {where}; rename one of them",
                    name_node,
                    subject=name,
                )
            elif name in self.facts.globals:
                report_node(
                    self.r,
                    "shadowing",
                    f"'{name}' hides the bridge global {name}; rename the local",
                    name_node,
                    subject=name,
                )
        sym = Symbol(name, kind, name_node, removable, type=type_)
        scope.symbols[name] = sym
        scope.all.append(sym)
        self.symbols.append(sym)
        return sym

    # ------------------------------------------------------------------------------------------------ statements
    def block(self, node: Node, scope: Scope) -> None:
        terminated: Node | None = None
        for child in node.named_children:
            if child.type == "comment":
                continue
            if terminated is not None and child.type not in ("label_statement",):
                report_node(
                    self.r,
                    "unreachable-code",
                    f"this code never runs: it follows "
                    f"{_terminator_word(terminated)} on line {terminated.start_point[0] + 1}",
                    child,
                )
                terminated = None  # once per block
                self.statement(child, scope)
                continue
            self.statement(child, scope)
            if _terminates(child):
                terminated = child

    def statement(self, n: Node, scope: Scope) -> None:
        t = n.type
        if t == "variable_declaration":
            self.local_declaration(n, scope)
        elif t == "function_declaration":
            self.function_declaration(n, scope)
        elif t == "assignment_statement":
            self.assignment(n, scope)
        elif t in ("do_statement",):
            inner = Scope(scope)
            self.body(n, inner)
            self.close_scope(inner)
        elif t == "while_statement":
            self.expr(n.child_by_field_name("condition"), scope)
            inner = Scope(scope)
            self.body(n, inner)
            self.close_scope(inner)
        elif t == "repeat_statement":
            inner = Scope(scope)
            self.body(n, inner)
            self.expr(n.child_by_field_name("condition"), inner)  # `until` sees the body's locals
            self.close_scope(inner)
        elif t == "if_statement":
            self.expr(n.child_by_field_name("condition"), scope)
            for c in n.named_children:
                if c.type == "block":
                    self.scoped_block(c, scope)
                elif c.type == "elseif_statement":
                    self.expr(c.child_by_field_name("condition"), scope)
                    for b in c.named_children:
                        if b.type == "block":
                            self.scoped_block(b, scope)
                elif c.type == "else_statement":
                    for b in c.named_children:
                        if b.type == "block":
                            self.scoped_block(b, scope)
        elif t == "for_statement":
            self.for_statement(n, scope)
        elif t == "function_call":
            self.call(n, scope)
        elif t in ("goto_statement", "label_statement", "break_statement", "empty_statement"):
            return  # a label name is not a variable
        elif t == "ERROR":
            return
        else:
            for c in n.named_children:
                self.expr(c, scope)

    def scoped_block(self, block: Node, scope: Scope) -> None:
        inner = Scope(scope)
        self.block(block, inner)
        self.close_scope(inner)

    def body(self, n: Node, scope: Scope) -> None:
        b = n.child_by_field_name("body")
        if b is None:
            b = next((c for c in n.named_children if c.type == "block"), None)
        if b is not None:
            self.block(b, scope)

    def local_declaration(self, n: Node, scope: Scope) -> None:
        assign = next((c for c in n.named_children if c.type == "assignment_statement"), None)
        if assign is None:  # `local a, b` without values
            names = next((c for c in n.named_children if c.type == "variable_list"), None)
            items = names.named_children if names is not None else []
            for name in items:
                if name.type == "identifier":
                    self.declare(scope, name, "local", n if len(items) == 1 else None)
            return
        targets = [c for c in assign.children[0].named_children if c.type == "identifier"]
        exprs = next((c for c in assign.named_children if c.type == "expression_list"), None)
        values = [c for c in exprs.named_children if c.type != "comment"] if exprs else []
        types: list[str | None] = []
        for v in values:
            types.append(self.expr(v, scope))
        single = len(targets) == 1 and len(values) <= 1
        group: list[Symbol] | None = [] if len(targets) > 1 and len(values) == 1 else None
        for i, name in enumerate(targets):
            value = values[i] if i < len(values) else None
            kind = "import" if value is not None and _is_require(value) else "local"
            removable = n if single and (value is None or value.type in _PURE_VALUES or kind == "import") else None
            sym = self.declare(scope, name, kind, removable, types[i] if i < len(types) else None)
            if group is not None:
                sym.group = group
                group.append(sym)

    def function_declaration(self, n: Node, scope: Scope) -> None:
        name = n.child_by_field_name("name")
        if _is_local(n) and name is not None:
            self.declare(scope, name, "function", n)  # declared first: the body may call itself
        elif name is not None:
            if name.type == "identifier":
                self.write_name(name, scope)
            else:
                self.expr(name, scope, write=True)
        method = name is not None and name.type == "method_index_expression"
        if self.cache is not None and scope is self.root:
            self.cached_body(n, scope, ("lua", method), lambda: self.function(n, scope, method=method))
        else:
            self.function(n, scope, method=method)

    def function(self, n: Node, scope: Scope, method: bool = False) -> None:
        inner = Scope(scope, function=True)
        if method:
            inner.symbols["self"] = Symbol("self", "param", n, used=True)
        params = n.child_by_field_name("parameters")
        group: list[Symbol] = []
        for p in params.named_children if params else []:
            if p.type == "identifier":
                sym = self.declare(inner, p, "param")
                sym.group, sym.dictated = group, n.id in self.callbacks
                group.append(sym)
        self.body(n, inner)
        self.close_scope(inner)

    def for_statement(self, n: Node, scope: Scope) -> None:
        clause = n.child_by_field_name("clause")
        inner = Scope(scope)
        if clause is not None and clause.type == "for_numeric_clause":
            for field in ("start", "end", "step"):
                self.expr(clause.child_by_field_name(field), scope)
            name = clause.child_by_field_name("name")
            if name is not None:
                self.declare(inner, name, "loop")
        elif clause is not None:
            lists = list(clause.named_children)
            exprs = next((c for c in lists if c.type == "expression_list"), None)
            if exprs is not None:
                for e in exprs.named_children:
                    self.expr(e, scope)
            names = next((c for c in lists if c.type == "variable_list"), None)
            for name in names.named_children if names else []:
                if name.type == "identifier":
                    self.declare(inner, name, "loop")
        self.body(n, inner)
        self.close_scope(inner)

    def assignment(self, n: Node, scope: Scope) -> None:
        targets = n.children[0].named_children if n.children else []
        exprs = next((c for c in n.named_children if c.type == "expression_list"), None)
        types = [self.expr(v, scope) for v in (exprs.named_children if exprs else [])]
        for i, target in enumerate(targets):
            if target.type == "identifier":
                self.write_name(target, scope)
                sym = scope.lookup(_text(target))
                if sym is not None:  # the handle type follows the latest assignment in the text
                    self.set_type(sym, types[i] if i < len(types) else None)
            else:
                self.expr(target, scope, write=True)

    def write_name(self, name_node: Node, scope: Scope) -> None:
        name = _text(name_node)
        sym = scope.lookup(name)
        if sym is not None:
            sym.references.append(name_node)
            return
        if name in self.facts.globals:
            report_node(
                self.r,
                "bridge-assignment",
                f"'{name}' is a bridge global and cannot be replaced; use a local with another name",
                name_node,
                subject=name,
            )
        elif name in LUA_GLOBALS or name in LUA_REMOVED:
            return  # replacing a standard global (print = ...): legal Lua, a spell's own business
        elif name not in self.reported_globals:
            self.reported_globals.add(name)
            report_node(
                self.r,
                "global-assignment",
                f"'{name}' is assigned without 'local', so it becomes a global;"
                f" declare it with 'local {name}' (globals are visible to every module of the spell)",
                name_node,
                subject=name,
            )

    # ------------------------------------------------------------------------------------------------ expressions
    def expr(self, n: Node | None, scope: Scope, write: bool = False) -> str | None:
        """Walk an expression; returns the handle type of its value when known (``Agent`` for ``Agent.new()``)."""
        if n is None:
            return None
        t = n.type
        if t == "identifier":
            sym = self.read_name(n, scope)
            return sym.type if sym is not None else None
        if t == "function_call":
            return self.call(n, scope)
        if t == "function_definition":
            self.function(n, scope)
            return None
        if t == "dot_index_expression":
            table, field = n.child_by_field_name("table"), n.child_by_field_name("field")
            self.expr(table, scope)
            if table is not None and field is not None and table.type == "identifier":
                self.check_global_member(table, field, scope, write)
            return None
        if t == "method_index_expression":
            table, method = n.child_by_field_name("table"), n.child_by_field_name("method")
            owner_type = self.expr(table, scope)
            if owner_type is not None and method is not None:
                f = api.check_member(self.facts, self.facts.types[owner_type], _text(method), method)
                if f is not None:
                    report_findings(self.r, [f])
            return None
        if t == "ERROR":
            return None
        for c in n.named_children:
            if c.type == "field":
                key = c.child_by_field_name("name")
                if key is not None and key.type != "identifier":
                    self.expr(key, scope)  # [expr] = value
                self.expr(c.child_by_field_name("value"), scope)
            elif c.type != "comment":
                self.expr(c, scope)
        return None

    def _type_of_name(self, n: Node, scope: Scope) -> str | None:
        sym = scope.lookup(_text(n))
        return sym.type if sym is not None else None

    def read_name(self, n: Node, scope: Scope) -> Symbol | None:
        """A read of a name: marks its local used, or reports an unknown global. Returns the local, if any."""
        name = _text(n)
        sym = scope.lookup(name)
        if sym is not None:
            sym.used = True
            sym.references.append(n)
            self.note_root_read(name, sym)
            return sym
        if name in self.facts.globals or name in LUA_GLOBALS or name in self.file_globals:
            return None
        if name in LUA_REMOVED:
            report_node(
                self.r, "not-in-sandbox", f"'{name}' is not available in spells: {LUA_REMOVED[name]}", n, subject=name
            )
            return None
        guess = api.suggest(name, scope.visible() | set(self.facts.globals) | set(LUA_GLOBALS))
        report_node(
            self.r,
            "undefined-global",
            f"'{name}' is not defined{api.did_you_mean(guess)} (spells see "
            "their locals, the bridge globals and the sandbox's standard library)",
            n,
            guess,
            subject=name,
        )
        return None

    def check_global_member(self, table: Node, field: Node, scope: Scope, write: bool) -> None:
        owner, member = _text(table), _text(field)
        if scope.lookup(owner) is not None:
            return
        g = self.facts.globals.get(owner)
        if g is not None:
            if write:
                report_node(
                    self.r,
                    "bridge-assignment",
                    f"{owner} is read-only: its members cannot be assigned",
                    field,
                    subject=member,
                )
                return
            f = api.check_member(self.facts, g, member, field)
            if f is not None:
                report_findings(self.r, [f])
            return
        qual = f"{owner}.{member}"
        if qual in LUA_REMOVED_MEMBERS:
            report_node(
                self.r,
                "not-in-sandbox",
                f"'{qual}' is not available in spells: {LUA_REMOVED_MEMBERS[qual]}",
                field,
                subject=qual,
            )
            return
        members = LUA_GLOBALS.get(owner)
        if members is not None and member not in members and not write:
            guess = api.suggest(member, members)
            report_node(
                self.r,
                "unknown-member",
                f"{owner} has no member '{member}'{api.did_you_mean(guess)}",
                field,
                guess,
                subject=member,
            )

    def call(self, n: Node, scope: Scope) -> str | None:
        callee = n.child_by_field_name("name")
        args_node = n.child_by_field_name("arguments")
        self.expr(callee, scope)
        m = self._method(callee, scope)
        if m is not None and args_node is not None:
            self.callbacks.update(c.id for c in args_node.named_children if c.type == "function_definition")
        args = self.arguments(args_node, scope)
        if (
            callee is not None
            and callee.type == "identifier"
            and _text(callee) == "require"
            and scope.lookup("require") is None
            and len(args) == 1
            and args[0].node.type == "string"
        ):
            self.modules.check(self.r, _string_value(args[0].node), args[0].node)
        if m is None:
            return None
        report_findings(self.r, api.check_call(self.facts, m, args, n))
        return self.facts.handle_type(m.returns_type)

    def _method(self, callee: Node | None, scope: Scope) -> Any:
        """The bridge method a call's callee names (``LLM.complete``, ``agent:run``), if any."""
        if callee is not None and callee.type == "dot_index_expression":
            table, field = callee.child_by_field_name("table"), callee.child_by_field_name("field")
            if (
                table is not None
                and field is not None
                and table.type == "identifier"
                and scope.lookup(_text(table)) is None
            ):
                g = self.facts.globals.get(_text(table))
                return self.facts.members(g).get(_text(field)) if g is not None else None
        elif callee is not None and callee.type == "method_index_expression":
            table, method = callee.child_by_field_name("table"), callee.child_by_field_name("method")
            owner = self._type_of_name(table, scope) if table is not None and table.type == "identifier" else None
            if owner is not None and method is not None:
                return self.facts.members(self.facts.types[owner]).get(_text(method))
        return None

    def arguments(self, node: Node | None, scope: Scope) -> list[Arg]:
        if node is None:
            return []
        items = [c for c in node.named_children if c.type != "comment"]
        out = []
        for i, c in enumerate(items):
            self.expr(c, scope)
            kind = _kind(c)
            if i == len(items) - 1 and c.type in ("function_call", "vararg_expression"):
                kind = "spread"
            out.append(Arg(kind, c, _keys(c) if c.type == "table_constructor" else []))
        return out


# ---------------------------------------------------------------------------------------------------- helpers
_GLOBAL_WRITES = """
(assignment_statement (variable_list name: (identifier) @assigned))
(function_declaration name: (identifier) @function)
"""


def _captures(query_text: str, root: Node) -> list[tuple[Node, str]]:
    """``(node, capture name)`` of a query over ``root``, in document order."""
    cursor = syntax.query_cursor("lua", query_text)
    found = [(n, name) for name, nodes in cursor.captures(root).items() for n in nodes]
    return sorted(found, key=lambda x: x[0].start_byte)


def _is_local(n: Node) -> bool:
    return any(c.type == "local" for c in n.children[:1])


def _is_require(n: Node) -> bool:
    if n.type != "function_call":
        return False
    callee = n.child_by_field_name("name")
    return callee is not None and callee.type == "identifier" and callee.text == b"require"


def _string_value(n: Node) -> str:
    content = n.child_by_field_name("content")
    return _text(content) if content is not None else ""


def _kind(n: Node) -> str:
    t = n.type
    if t == "string":
        return "string"
    if t == "number":
        txt = _text(n).lower()
        if txt.startswith("0x"):
            return "number" if "." in txt or "p" in txt else "integer"
        return "number" if any(ch in txt for ch in ".e") else "integer"
    if t in ("true", "false"):
        return "boolean"
    if t == "nil":
        return "nil"
    if t == "function_definition":
        return "function"
    if t == "table_constructor":
        fields = [c for c in n.named_children if c.type == "field"]
        if not fields:
            return "emptytable"
        if all(c.child_by_field_name("name") is None for c in fields):
            return "array"
        return "table"
    return "other"


def _keys(n: Node) -> list[tuple[str, Node, Arg]]:
    out: list[tuple[str, Node, Arg]] = []
    for f in n.named_children:
        if f.type != "field":
            continue
        name, value = f.child_by_field_name("name"), f.child_by_field_name("value")
        if name is None or value is None:
            continue
        if name.type == "identifier":
            out.append(
                (_text(name), name, Arg(_kind(value), value, _keys(value) if value.type == "table_constructor" else []))
            )
        elif name.type == "string":
            out.append((_string_value(name), name, Arg(_kind(value), value)))
        else:
            out.append(("", name, Arg("other", value)))  # [expr] = v: any key
    return out


def _terminates(n: Node) -> bool:
    if n.type in ("return_statement", "break_statement", "goto_statement"):
        return True
    if n.type == "function_call":
        callee = n.child_by_field_name("name")
        return callee is not None and callee.type == "identifier" and callee.text == b"error"
    return False


def _terminator_word(n: Node) -> str:
    return {"return_statement": "'return'", "break_statement": "'break'", "goto_statement": "'goto'"}.get(
        n.type, "error()"
    )


def _kind_word(kind: str) -> str:
    return {"param": "parameter", "loop": "loop variable", "import": "module", "function": "function"}.get(
        kind, "local"
    )
