"""Lint of JavaScript spells from a tree-sitter tree: scopes (with hoisting), bridge calls (camelCase), globals."""

from __future__ import annotations

from typing import Any

from app.lint import api
from app.lint.api import ApiFacts, Arg
from app.lint.core import (
    Reporter,
    Scope,
    Symbol,
    TreeAnalysis,
    byte_span,
    is_ignorable_name,
    node_text,
    report_findings,
    report_node,
)
from app.lint.diagnostic import Fix
from app.lint.modules import ModuleCheck
from app.lint.sandbox import JS_BUILTINS, JS_MISSING, JS_PRELUDE

Node = Any
_FUNCTIONS = (
    "function_declaration",
    "function_expression",
    "arrow_function",
    "method_definition",
    "generator_function_declaration",
    "generator_function",
)
_DECLARATIONS = ("lexical_declaration", "variable_declaration")
_BLOCKS = ("statement_block", "program", "switch_body", "class_body")
_TERMINATORS = {
    "return_statement": "'return'",
    "throw_statement": "'throw'",
    "break_statement": "'break'",
    "continue_statement": "'continue'",
}
_PURE = {
    "number",
    "string",
    "template_string",
    "true",
    "false",
    "null",
    "undefined",
    "identifier",
    "object",
    "array",
    "arrow_function",
    "function_expression",
    "member_expression",
}


_text = node_text


class JsAnalysis(TreeAnalysis):
    """One walk over a JavaScript tree."""

    def __init__(self, source: str, tree: Any, reporter: Reporter, modules: ModuleCheck):
        super().__init__("js", tree, reporter, modules)

    def run(self) -> None:
        root = self.tree.root_node
        self._collect_global_writes(root)
        scope = self.begin_root()
        for name in ("INPUT", "require", "module", "exports"):  # the wrapper function's parameters
            scope.symbols[name] = Symbol(name, "param", root, used=True)
        self.block(root, scope)
        self.close_scope(scope)
        self.end_root()

    def _collect_global_writes(self, root: Node) -> None:
        stack = [root]
        while stack:
            n = stack.pop()
            if n.type in ("assignment_expression", "augmented_assignment_expression"):
                left = n.child_by_field_name("left")
                if left is not None and left.type == "identifier":
                    self.file_globals.add(_text(left))
            stack.extend(n.named_children)

    # ------------------------------------------------------------------------------------------------ scopes
    def declare(self, scope: Scope, name_node: Node, kind: str, removable: Node | None = None) -> Symbol:
        name = _text(name_node)
        if not is_ignorable_name(name):
            outer = scope.parent.lookup(name) if scope.parent is not None else None
            if outer is not None and outer.node is not self.tree.root_node:
                report_node(
                    self.r,
                    "shadowing",
                    f"'{name}' hides the {_kind_word(outer.kind)} declared on line "
                    f"{outer.node.start_point[0] + 1}; rename one of them",
                    name_node,
                    subject=name,
                )
            elif name in self.facts.globals:
                report_node(
                    self.r, "shadowing", f"'{name}' hides the bridge global {name}; rename it", name_node, subject=name
                )
        sym = Symbol(name, kind, name_node, removable)
        scope.symbols[name] = sym
        scope.all.append(sym)
        self.symbols.append(sym)
        return sym

    def hoist(self, statements: list[Node], scope: Scope) -> None:
        """Declare a block's functions, classes and variables before walking it (JS hoisting and closures)."""
        for s in statements:
            if s.type == "export_statement":
                s = s.child_by_field_name("declaration") or s
            if s.type in ("function_declaration", "generator_function_declaration", "class_declaration"):
                name = s.child_by_field_name("name")
                if name is not None:
                    self.declare(scope, name, "function" if "function" in s.type else "local", s)
            elif s.type in _DECLARATIONS:
                declarators = [d for d in s.named_children if d.type == "variable_declarator"]
                for d in declarators:
                    value = d.child_by_field_name("value")
                    kind = "import" if value is not None and _is_require(value) else "local"
                    pure = value is None or value.type in _PURE or kind == "import"
                    for name in _pattern_names(d.child_by_field_name("name")):
                        single = len(declarators) == 1 and d.child_by_field_name("name") is name
                        self.declare(scope, name, kind, s if single and pure else None)

    # ------------------------------------------------------------------------------------------------ statements
    def block(self, node: Node, scope: Scope) -> None:
        statements = [c for c in node.named_children if c.type != "comment"]
        self.hoist(statements, scope)
        terminated: Node | None = None
        for child in statements:
            if terminated is not None and child.type not in ("function_declaration", "empty_statement"):
                report_node(
                    self.r,
                    "unreachable-code",
                    f"this code never runs: it follows "
                    f"{_TERMINATORS[terminated.type]} on line {terminated.start_point[0] + 1}",
                    child,
                )
                terminated = None
            self.statement(child, scope)
            if child.type in _TERMINATORS:
                terminated = child

    def statement(self, n: Node, scope: Scope) -> None:
        t = n.type
        if t in _DECLARATIONS:
            for d in n.named_children:
                if d.type == "variable_declarator":
                    value = d.child_by_field_name("value")
                    vtype = self.expr(value, scope)
                    target = d.child_by_field_name("name")
                    if target is not None and target.type == "identifier":
                        sym = scope.lookup(_text(target))
                        if sym is not None:
                            sym.type = vtype
                    else:
                        self.pattern_defaults(target, scope)
        elif t in ("function_declaration", "generator_function_declaration"):
            if self.cache is not None and scope is self.root:
                self.cached_body(n, scope, "js", lambda: self.function(n, scope))
            else:
                self.function(n, scope)
        elif t == "class_declaration":
            for c in n.named_children:
                if c.type != "identifier":
                    self.expr(c, scope)
        elif t == "statement_block":
            inner = Scope(scope)
            self.block(n, inner)
            self.close_scope(inner)
        elif t in ("if_statement", "while_statement", "do_statement"):
            cond = n.child_by_field_name("condition")
            self.condition(cond)
            for c in n.named_children:
                self.statement(c, scope) if c.type != "parenthesized_expression" else self.expr(c, scope)
        elif t == "else_clause":
            for c in n.named_children:
                self.statement(c, scope)
        elif t in ("for_statement", "for_in_statement"):
            self.for_statement(n, scope)
        elif t == "try_statement":
            for c in n.named_children:
                if c.type == "catch_clause":
                    inner = Scope(scope)
                    param = c.child_by_field_name("parameter")
                    for name in _pattern_names(param):
                        self.declare(inner, name, "loop")
                    body = c.child_by_field_name("body")
                    if body is not None:
                        self.block(body, inner)
                    self.close_scope(inner)
                else:
                    self.statement(c, scope)
        elif t == "finally_clause":
            for c in n.named_children:
                self.statement(c, scope)
        elif t == "labeled_statement":
            body = n.child_by_field_name("body")
            if body is not None:
                self.statement(body, scope)
        elif t in ("break_statement", "continue_statement", "empty_statement", "debugger_statement"):
            return
        elif t == "switch_statement":
            self.expr(n.child_by_field_name("value"), scope)
            body = n.child_by_field_name("body")
            inner = Scope(scope)
            for case in body.named_children if body else []:
                stmts = [c for c in case.named_children if c != case.child_by_field_name("value")]
                self.expr(case.child_by_field_name("value"), inner)
                self.hoist(stmts, inner)
                for s in stmts:
                    self.statement(s, inner)
            self.close_scope(inner)
        elif t == "ERROR":
            return
        else:  # expression_statement, return_statement, throw_statement...
            for c in n.named_children:
                self.expr(c, scope)

    def condition(self, cond: Node | None) -> None:
        """``if (a = 1)``: an assignment where a comparison was probably meant (``if ((a = 1))`` is deliberate)."""
        if cond is None or cond.type != "parenthesized_expression":
            return
        inner = [c for c in cond.named_children if c.type != "comment"]
        if len(inner) == 1 and inner[0].type == "assignment_expression":
            a = inner[0]
            op = next((c for c in a.children if c.type == "="), None)
            fix = None
            if op is not None:
                line, col, end_line, end_col = byte_span(self.r, op)
                fix = Fix("Change '=' to '==='", line, col, end_line, end_col, "===")
            line, col, end_line, end_col = byte_span(self.r, a)
            self.r.add(
                "assignment-in-condition",
                "assignment in a condition: use '===' to compare, or wrap it in "
                "another pair of parentheses if the assignment is meant",
                line,
                col,
                end_line,
                end_col,
                fix,
            )

    def for_statement(self, n: Node, scope: Scope) -> None:
        inner = Scope(scope)
        if n.type == "for_statement":
            init = n.child_by_field_name("initializer")
            if init is not None and init.type in _DECLARATIONS:
                self.hoist([init], inner)
                for s in inner.all:
                    s.kind = "loop"
                    s.removable = None
            if init is not None:
                self.statement(init, inner)
            self.condition(n.child_by_field_name("condition"))
            for f in ("condition", "increment"):
                self.expr(n.child_by_field_name(f), inner)
        else:
            self.expr(n.child_by_field_name("right"), scope)
            left = n.child_by_field_name("left")
            if n.child_by_field_name("kind") is not None:
                for name in _pattern_names(left):
                    self.declare(inner, name, "loop")
            elif left is not None:
                self.assign_target(left, inner)
        body = n.child_by_field_name("body")
        if body is not None:
            if body.type == "statement_block":
                self.block(body, inner)
            else:
                self.statement(body, inner)
        self.close_scope(inner)

    def function(self, n: Node, scope: Scope) -> None:
        inner = Scope(scope, function=True)
        if n.type != "arrow_function":
            inner.symbols["arguments"] = Symbol("arguments", "param", n, used=True)
        if n.type == "function_expression":
            name = n.child_by_field_name("name")
            if name is not None:
                inner.symbols[_text(name)] = Symbol(_text(name), "function", name, used=True)
        params = n.child_by_field_name("parameters") or n.child_by_field_name("parameter")
        if params is not None:
            items = params.named_children if params.type == "formal_parameters" else [params]
            group: list[Symbol] = []
            for p in items:
                for name in _pattern_names(p):
                    sym = self.declare(inner, name, "param")
                    sym.group, sym.dictated = group, n.id in self.callbacks
                    group.append(sym)
            for p in items:
                self.pattern_defaults(p, inner)
        body = n.child_by_field_name("body")
        if body is not None and body.type == "statement_block":
            self.block(body, inner)
        elif body is not None:
            self.expr(body, inner)
        self.close_scope(inner)

    def pattern_defaults(self, p: Node | None, scope: Scope) -> None:
        """Default values and computed keys inside a destructuring pattern are expressions."""
        if p is None:
            return
        if p.type in ("assignment_pattern", "object_assignment_pattern"):
            self.expr(p.child_by_field_name("right"), scope)
            self.pattern_defaults(p.child_by_field_name("left"), scope)
        elif p.type in ("object_pattern", "array_pattern", "rest_pattern", "pair_pattern"):
            for c in p.named_children:
                if c.type == "computed_property_name":
                    self.expr(c, scope)
                elif p.type != "pair_pattern" or c == p.child_by_field_name("value"):
                    self.pattern_defaults(c, scope)

    # ------------------------------------------------------------------------------------------------ expressions
    def expr(self, n: Node | None, scope: Scope) -> str | None:
        """Walk an expression; returns the handle type of its value when known."""
        if n is None:
            return None
        t = n.type
        if t == "identifier":
            self.read_name(n, scope)
            sym = scope.lookup(_text(n))
            return sym.type if sym is not None else None
        if t == "shorthand_property_identifier":
            self.read_name(n, scope)
            return None
        if t in _FUNCTIONS:
            self.function(n, scope)
            return None
        if t == "call_expression":
            return self.call(n, scope)
        if t == "member_expression":
            obj, prop = n.child_by_field_name("object"), n.child_by_field_name("property")
            self.expr(obj, scope)
            if (
                obj is not None
                and prop is not None
                and obj.type == "identifier"
                and prop.type == "property_identifier"
                and scope.lookup(_text(obj)) is None
            ):
                self.check_global_member(obj, prop, write=_is_write_target(n))
            return None
        if t in ("assignment_expression", "augmented_assignment_expression"):
            vtype = self.expr(n.child_by_field_name("right"), scope)
            left = n.child_by_field_name("left")
            if left is not None:
                if t == "augmented_assignment_expression" and left.type == "identifier":
                    self.read_name(left, scope)
                self.assign_target(left, scope)
                sym = scope.lookup(_text(left)) if left.type == "identifier" else None
                if sym is not None:  # the handle type follows the latest assignment in the text
                    self.set_type(sym, vtype if t == "assignment_expression" else None)
            return None
        if t == "update_expression":
            arg = n.child_by_field_name("argument")
            if arg is not None and arg.type == "identifier":
                self.read_name(arg, scope)
                self.assign_target(arg, scope)
                return None
        if t == "unary_expression":
            arg = n.child_by_field_name("argument")
            op = n.child_by_field_name("operator")
            if op is not None and op.type == "typeof" and arg is not None and arg.type == "identifier":
                sym = scope.lookup(_text(arg))
                if sym is not None:
                    sym.used = True
                    self.note_root_read(_text(arg), sym)
                return None  # `typeof x` is how a spell tests whether x exists
        if t in ("pair",):
            key = n.child_by_field_name("key")
            if key is not None and key.type == "computed_property_name":
                self.expr(key, scope)
            return self.expr(n.child_by_field_name("value"), scope)
        if t in ("class", "class_body"):
            for c in n.named_children:
                self.expr(c, scope)
            return None
        if t in (
            "property_identifier",
            "statement_identifier",
            "this",
            "super",
            "ERROR",
            "regex",
            "private_property_identifier",
        ):
            return None
        for c in n.named_children:
            self.expr(c, scope)
        return None

    def assign_target(self, left: Node, scope: Scope) -> None:
        if left.type == "identifier":
            name = _text(left)
            sym = scope.lookup(name)
            if sym is not None:
                sym.references.append(left)
            elif name in self.facts.globals:
                report_node(
                    self.r,
                    "bridge-assignment",
                    f"'{name}' is a bridge global and cannot be replaced; use a variable with another name",
                    left,
                    subject=name,
                )
            elif name not in JS_PRELUDE and name not in JS_BUILTINS and name not in self.reported_globals:
                self.reported_globals.add(name)
                report_node(
                    self.r,
                    "global-assignment",
                    f"'{name}' is assigned but never declared, so it becomes a global; declare it with 'let {name}'",
                    left,
                    subject=name,
                )
        elif left.type == "member_expression":
            self.expr(left, scope)
        elif left.type in ("object_pattern", "array_pattern"):
            for name in _pattern_names(left):
                self.assign_target(name, scope)
        else:
            self.expr(left, scope)

    def read_name(self, n: Node, scope: Scope) -> None:
        name = _text(n)
        sym = scope.lookup(name)
        if sym is not None:
            sym.used = True
            sym.references.append(n)
            self.note_root_read(name, sym)
            return
        if name in self.facts.globals or name in JS_PRELUDE or name in JS_BUILTINS or name in self.file_globals:
            return
        if name in JS_MISSING:
            report_node(
                self.r, "not-in-sandbox", f"'{name}' is not available in spells: {JS_MISSING[name]}", n, subject=name
            )
            return
        guess = api.suggest(name, scope.visible() | set(self.facts.globals) | JS_PRELUDE | JS_BUILTINS)
        report_node(
            self.r,
            "undefined-global",
            f"'{name}' is not defined{api.did_you_mean(guess)} (spells see "
            "their own variables, the bridge globals and the ECMAScript built-ins)",
            n,
            guess,
            subject=name,
        )

    def check_global_member(self, obj: Node, prop: Node, write: bool) -> None:
        g = self.facts.globals.get(_text(obj))
        if g is None:
            return
        if write:
            report_node(
                self.r,
                "bridge-assignment",
                f"{g.name} is frozen: its members cannot be assigned",
                prop,
                subject=_text(prop),
            )
            return
        f = api.check_member(self.facts, g, _text(prop), prop)
        if f is not None:
            report_findings(self.r, [f])

    def call(self, n: Node, scope: Scope) -> str | None:
        callee = n.child_by_field_name("function")
        self.expr(callee, scope)
        args_node = n.child_by_field_name("arguments")
        if _is_bridge_call(callee, scope, self.facts) and args_node is not None:
            self.callbacks.update(c.id for c in args_node.named_children if c.type in _FUNCTIONS)
        args = self.arguments(args_node, scope)
        m = None
        if callee is not None and callee.type == "member_expression":
            obj, prop = callee.child_by_field_name("object"), callee.child_by_field_name("property")
            if obj is not None and prop is not None and obj.type == "identifier" and prop.type == "property_identifier":
                sym = scope.lookup(_text(obj))
                if sym is None and _text(obj) in self.facts.globals:
                    m = self.facts.members(self.facts.globals[_text(obj)]).get(_text(prop))
                elif sym is not None and sym.type is not None:
                    owner = self.facts.types[sym.type]
                    f = api.check_member(self.facts, owner, _text(prop), prop)
                    if f is not None:
                        report_findings(self.r, [f])
                    m = self.facts.members(owner).get(_text(prop))
        elif (
            callee is not None
            and callee.type == "identifier"
            and _text(callee) == "require"
            and len(args) == 1
            and args[0].node.type == "string"
        ):
            self.modules.check(self.r, _string_value(args[0].node), args[0].node)
        if m is None:
            return None
        is_async = (
            callee is not None
            and callee.type == "member_expression"
            and _text(callee.child_by_field_name("property")).endswith("Async")
        )
        extra = frozenset({"signal"}) if is_async else frozenset()
        report_findings(self.r, api.check_call(self.facts, m, args, n, extra))
        return self.facts.handle_type(m.returns_type)

    def arguments(self, node: Node | None, scope: Scope) -> list[Arg]:
        if node is None:
            return []
        if node.type == "template_string":  # tagged template: not a bridge call shape
            self.expr(node, scope)
            return [Arg("other", node)]
        out = []
        for c in node.named_children:
            if c.type == "comment":
                continue
            self.expr(c, scope)
            if c.type == "spread_element":
                out.append(Arg("spread", c))
                break
            out.append(Arg(_kind(c), c, _keys(c) if c.type == "object" else []))
        return out


# ---------------------------------------------------------------------------------------------------- helpers
def _is_bridge_call(callee: Node | None, scope: Scope, facts_: ApiFacts) -> bool:
    if callee is None or callee.type != "member_expression":
        return False
    obj = callee.child_by_field_name("object")
    if obj is None or obj.type != "identifier":
        return False
    sym = scope.lookup(_text(obj))
    return (sym is None and _text(obj) in facts_.globals) or (sym is not None and sym.type is not None)


def _pattern_names(p: Node | None) -> list[Node]:
    """Identifier nodes a declaration pattern binds."""
    if p is None:
        return []
    t = p.type
    if t in ("identifier", "shorthand_property_identifier_pattern"):
        return [p]
    if t in ("assignment_pattern", "object_assignment_pattern"):
        return _pattern_names(p.child_by_field_name("left"))
    if t == "pair_pattern":
        return _pattern_names(p.child_by_field_name("value"))
    if t in ("object_pattern", "array_pattern", "rest_pattern"):
        return [x for c in p.named_children for x in _pattern_names(c)]
    return []


def _is_write_target(member: Node) -> bool:
    parent = member.parent
    return (
        parent is not None
        and parent.type in ("assignment_expression", "augmented_assignment_expression")
        and parent.child_by_field_name("left") == member
    )


def _is_require(n: Node) -> bool:
    if n.type != "call_expression":
        return False
    f = n.child_by_field_name("function")
    return f is not None and f.type == "identifier" and f.text == b"require"


def _string_value(n: Node) -> str:
    return "".join(_text(c) for c in n.named_children if c.type == "string_fragment")


def _kind(n: Node) -> str:
    t = n.type
    if t in ("string", "template_string"):
        return "string"
    if t == "number":
        txt = _text(n).lower().replace("_", "")
        if txt.startswith(("0x", "0o", "0b")):
            return "integer"
        return "number" if any(ch in txt for ch in ".e") else "integer"
    if t in ("true", "false"):
        return "boolean"
    if t in ("null", "undefined"):
        return "nil"
    if t in ("arrow_function", "function_expression"):
        return "function"
    if t == "object":
        return "table" if n.named_child_count else "emptytable"
    if t == "array":
        return "array" if n.named_child_count else "emptytable"
    return "other"


def _keys(n: Node) -> list[tuple[str, Node, Arg]]:
    out: list[tuple[str, Node, Arg]] = []
    for c in n.named_children:
        if c.type == "pair":
            key, value = c.child_by_field_name("key"), c.child_by_field_name("value")
            if key is None or value is None:
                continue
            if key.type in ("property_identifier", "number"):
                out.append((_text(key), key, Arg(_kind(value), value)))
            elif key.type == "string":
                out.append((_string_value(key), key, Arg(_kind(value), value)))
            else:
                out.append(("", key, Arg("other", value)))
        elif c.type == "shorthand_property_identifier":
            out.append((_text(c), c, Arg("other", c)))
        elif c.type == "method_definition":
            name = c.child_by_field_name("name")
            if name is not None:
                out.append((_text(name), name, Arg("function", c)))
        elif c.type == "spread_element":
            out.append(("", c, Arg("other", c)))
    return out


def _kind_word(kind: str) -> str:
    return {"param": "parameter", "loop": "loop variable", "import": "module", "function": "function"}.get(
        kind, "variable"
    )
