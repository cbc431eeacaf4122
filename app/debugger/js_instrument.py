"""Statement probes for JavaScript spells, from a tree-sitter-javascript parse (quickjs has no debugger API).

Every probe goes on the line of the statement it precedes and no newline is ever added, so errors and stack
traces keep pointing at the user's lines. What a debug run pays where no breakpoint is:

* a statement costs one test of a closure variable (``if (__ls_fK)``), the function's *hot* flag, which the
  agent sets for the functions holding a breakpoint and for every function while stepping or pausing;
* a function body is wrapped in ``try {...} catch {...} finally {...}``: the frame is pushed on the debugger's
  shadow stack only when the function is hot on entry (or at its first hot statement), popped in ``finally``,
  and an exception leaving the function is shown to the agent (break on uncaught exceptions) before any frame
  unwinds;
* to pause a spinning spell, the agent turns every hot flag on from quickjs's interrupt handler (called by the
  interpreter every ~10,000 branches and calls, so no cost per statement); where that handler cannot be installed a
  loop body decrements a counter that calls the agent every ``POLL_EVERY`` iterations instead (~25% on a tight
  loop).

A hot statement calls ``__ls_D.p(frame, site, scope)``. ``site`` indexes the file's probe table (line, function,
the names the scope closure knows); ``scope`` is an arrow function ``(i, v, set) => ...`` that reads (or sets)
the i-th visible name of the current function (parameters, ``var``/``let``/``const``/``class``/function
declarations of the enclosing blocks, ``this``, ``arguments`` when the function uses it, and the variables it
captures from enclosing functions). The file's top-level names are read through one closure made when the file
starts (no cost per statement). Never ``eval`` inside a spell function: a direct ``eval`` anywhere in a
function makes quickjs run it 14x slower; expressions are compiled apart and read the scope through a Proxy.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from tree_sitter import Node

from app import syntax

PREFIX = "__ls_"
DBG = "__ls_D"  # the file's debugger object
FRAME = "__ls_fr"  # a function's shadow-stack record (null while it runs cold)
COUNTER = "__ls_n"  # the file's loop counter (pause polling)
POLL_EVERY = 100_000
#: a scope closure: ``(i, v, set)`` reads (or sets to v) the i-th name it knows
CLOSURE_HEAD = f"({PREFIX}i, {PREFIX}v, {PREFIX}s) => {{ switch ({PREFIX}i) {{ "

FUNCTION_TYPES = {
    "function_declaration",
    "function_expression",
    "function",
    "arrow_function",
    "method_definition",
    "generator_function_declaration",
    "generator_function",
}
LOOP_TYPES = {"for_statement", "for_in_statement", "while_statement", "do_statement"}
#: statements that run (a probe goes before each); declarations of functions are hoisted and do not
SKIP_STATEMENTS = {
    "function_declaration",
    "generator_function_declaration",
    "empty_statement",
    "comment",
    "import_statement",
    "export_statement",
    "hash_bang_line",
}


class JsInstrumentError(Exception):
    """The source does not parse: run it as written (quickjs reports the syntax error)."""


@dataclass
class FunctionInfo:
    k: int
    name: str
    line: int
    end_line: int
    kind: str  # main / function / async / generator


@dataclass
class Site:
    line: int
    k: int
    names: list[tuple[str, str, bool]]  # (name, "local" | "closure", settable)
    statement: bool = True  # False: the catch clause that shows an exception leaving a function


@dataclass
class Instrumented:
    text: str
    functions: list[FunctionInfo]
    sites: list[Site]
    top_names: list[tuple[str, bool]]  # the file's top-level (name, settable), read through the file closure
    lines: set[int] = field(default_factory=set)  # lines with a probe (breakpoints move to the next one)

    def sites_at(self, line: int) -> list[int]:
        return [i for i, s in enumerate(self.sites) if s.line == line and s.statement]

    def resolve_line(self, line: int) -> int | None:
        return min((ln for ln in self.lines if ln >= line), default=None)


def parse(source: str) -> Node:
    return syntax.parse("js", source).root_node


def _text(node: Node) -> str:
    return node.text.decode("utf-8") if node.text is not None else ""


def _pattern_names(node: Node | None) -> list[str]:
    """The identifiers a binding pattern declares."""
    if node is None:
        return []
    t = node.type
    if t in ("identifier", "shorthand_property_identifier_pattern"):
        return [_text(node)]
    if t in ("assignment_pattern", "object_assignment_pattern"):
        return _pattern_names(node.child_by_field_name("left"))
    if t == "pair_pattern":
        return _pattern_names(node.child_by_field_name("value"))
    if t in ("object_pattern", "array_pattern", "rest_pattern", "formal_parameters"):
        out: list[str] = []
        for c in node.named_children:
            out.extend(_pattern_names(c))
        return out
    return []


def _declared_in_block(stmts: Iterable[Node]) -> list[tuple[str, bool]]:
    """(name, settable) for the lexical declarations of a statement list (let/const/class/function)."""
    out: list[tuple[str, bool]] = []
    for s in stmts:
        if s.type == "lexical_declaration":
            const = _text(s.child_by_field_name("kind") or s.children[0]) == "const"
            for d in s.named_children:
                if d.type == "variable_declarator":
                    out.extend((n, not const) for n in _pattern_names(d.child_by_field_name("name")))
        elif s.type in ("class_declaration", "function_declaration", "generator_function_declaration"):
            name = s.child_by_field_name("name")
            if name is not None:
                out.append((_text(name), True))
    return out


def _var_names(body: Node) -> list[str]:
    """``var`` names declared anywhere in a function body (not in nested functions)."""
    out: list[str] = []
    stack = [body]
    while stack:
        n = stack.pop()
        for c in n.named_children:
            if c.type in FUNCTION_TYPES or c.type in ("class_declaration", "class"):
                continue
            if c.type == "variable_declaration":
                for d in c.named_children:
                    if d.type == "variable_declarator":
                        out.extend(_pattern_names(d.child_by_field_name("name")))
            elif c.type == "for_in_statement" and _text(c.child_by_field_name("kind") or c) == "var":
                out.extend(_pattern_names(c.child_by_field_name("left")))
            stack.append(c)
    return out


def _references(node: Node) -> set[str]:
    """Identifiers used anywhere under ``node``."""
    out: set[str] = set()
    stack = [node]
    while stack:
        n = stack.pop()
        if n.type in ("identifier", "shorthand_property_identifier"):
            out.add(_text(n))
        stack.extend(n.named_children)
    return out


def _uses_arguments(body: Node) -> bool:
    stack = [body]
    while stack:
        n = stack.pop()
        if n.type == "identifier" and _text(n) == "arguments":
            return True
        stack.extend(c for c in n.named_children if c.type not in FUNCTION_TYPES or c.type == "arrow_function")
    return False


def _function_name(node: Node) -> str:
    name = node.child_by_field_name("name")
    if name is not None:
        return _text(name)
    parent = node.parent
    if parent is not None:
        if parent.type == "variable_declarator":
            return _text(parent.child_by_field_name("name") or parent)
        if parent.type == "pair":
            return _text(parent.child_by_field_name("key") or parent).strip("'\"")
        if parent.type == "assignment_expression":
            left = parent.child_by_field_name("left")
            if left is not None:
                return _text(left).rsplit(".", 1)[-1]
    return "<anonymous>"


class _Scope:
    """A function scope: the names visible in it, in blocks pushed and popped while walking."""

    def __init__(self, k: int, parent: _Scope | None, node: Node | None, refs: set[str]):
        self.k = k
        self.parent = parent
        self.node = node
        self.refs = refs
        self.blocks: list[list[tuple[str, bool]]] = []
        self.has_loop = False


class _Instrumenter:
    def __init__(self, source: str, fid: int, loop_polls: bool):
        self.src = source.encode("utf-8")
        self.fid = fid
        self.loop_polls = loop_polls
        self.inserts: list[tuple[int, int, str]] = []
        self.seq = 0
        self.functions: list[FunctionInfo] = []
        self.sites: list[Site] = []
        self.top_names: list[tuple[str, bool]] = []
        self.top_set: set[str] = set()

    def ins(self, pos: int, text: str, prio: int = 0) -> None:
        """Insert ``text`` at byte ``pos``. At one position: openings (prio < 9) outer first, closings
        (prio >= 9, inserted before the code they close is walked) inner first."""
        self.seq += 1
        self.inserts.append((pos, prio * 1_000_000_000 + (-self.seq if prio >= 9 else self.seq), text))

    # --------------------------------------------------------------------------------------------------------
    def run(self) -> Instrumented:
        root = parse(self.src.decode("utf-8"))
        if root.has_error:
            raise JsInstrumentError("the source has syntax errors")
        self.functions.append(FunctionInfo(0, "main chunk", 1, root.end_point[0] + 1, "main"))
        stmts = list(root.named_children)
        top = _declared_in_block(stmts) + [(n, True) for n in _var_names(root)]
        seen: set[str] = set()
        for n, settable in top:
            if n not in seen and not n.startswith(PREFIX):
                seen.add(n)
                self.top_names.append((n, settable))
        self.top_set = seen
        scope = _Scope(0, None, None, set())
        start = self._after_directives(root, 0)
        self.ins(
            len(self.src),
            f" }} catch ({PREFIX}e) {{ {DBG}.thrown({PREFIX}e, {FRAME}, -1, null); "
            f"throw {PREFIX}e; }} finally {{ {DBG}.leave({FRAME}); }}",
            prio=10,
        )
        self._statements(stmts, scope)
        nflags = len(self.functions)
        flags = ", ".join(f"{PREFIX}f{k} = false" for k in range(nflags))
        sets = "; ".join(f"{PREFIX}f{k} = {PREFIX}m[{k}]" for k in range(nflags))
        cases = " ".join(self._case(i, n, settable) for i, (n, settable) in enumerate(self.top_names))
        head = (
            f"const {DBG} = globalThis.__ls_dbg.file({self.fid}); var {FRAME} = {DBG}.enter(0); try {{ "
            f"let {flags}; let {COUNTER} = {POLL_EVERY}; "
            f"{DBG}.reg(({PREFIX}m) => {{ {sets}; }}, {CLOSURE_HEAD}{cases} }} }}); "
        )
        self.ins(start, head, prio=-1)
        return Instrumented(
            self._apply(), self.functions, self.sites, self.top_names, {s.line for s in self.sites if s.statement}
        )

    def _apply(self) -> str:
        out: list[bytes] = []
        last = 0
        for pos, _order, text in sorted(self.inserts):
            out.append(self.src[last:pos])
            out.append(text.encode("utf-8"))
            last = pos
        out.append(self.src[last:])
        return b"".join(out).decode("utf-8")

    def _after_directives(self, block: Node, default: int) -> int:
        """The byte after a block's directive prologue ("use strict"), or after its ``{``."""
        pos = default if block.type == "program" else block.start_byte + 1
        for c in block.named_children:
            if c.type == "comment":
                continue
            if c.type == "expression_statement" and c.named_children and c.named_children[0].type == "string":
                pos = c.end_byte
                continue
            break
        return pos

    # statements ---------------------------------------------------------------------------------------------
    def _statements(self, stmts: list[Node], scope: _Scope, block: Node | None = None) -> None:
        if block is not None:
            scope.blocks.append(_declared_in_block(stmts))
        directives = block is None or (block.parent is not None and block.parent.type in FUNCTION_TYPES)
        for s in stmts:
            if (
                directives
                and s.type == "expression_statement"
                and s.named_children
                and s.named_children[0].type == "string"
            ):
                continue
            directives = directives and s.type == "comment"
            self._statement(s, scope)
        if block is not None:
            scope.blocks.pop()

    def _site(self, line: int, scope: _Scope, statement: bool = True) -> tuple[int, str]:
        """A new probe site: its index and the text of its scope closure (``null`` when it knows no names)."""
        site = len(self.sites)
        names = self._visible(scope)
        self.sites.append(Site(line, scope.k, names, statement))
        if not names:
            return site, "null"
        cases = " ".join(self._case(i, n, settable) for i, (n, _kind, settable) in enumerate(names))
        return site, f"{CLOSURE_HEAD}{cases} }} }}"

    def _probe(self, node: Node, scope: _Scope, always: bool = False) -> str:
        site, closure = self._site(node.start_point[0] + 1, scope)
        cond = "" if always else f"if ({PREFIX}f{scope.k}) "
        return f"{cond}{FRAME} = {DBG}.p({FRAME}, {site}, {closure}{', 1' if always else ''}); "

    @staticmethod
    def _uses_this(fn: Node) -> bool:
        body = fn.child_by_field_name("body")
        stack = [body] if body is not None else []
        while stack:
            n = stack.pop()
            if n.type == "this":
                return True
            stack.extend(c for c in n.named_children if c.type not in FUNCTION_TYPES or c.type == "arrow_function")
        return False

    @staticmethod
    def _case(i: int, name: str, settable: bool) -> str:
        if name == "this":
            return f"case {i}: return this;"
        if settable:
            return f"case {i}: return {PREFIX}s ? ({name} = {PREFIX}v) : {name};"
        return f"case {i}: return {name};"

    def _visible(self, scope: _Scope) -> list[tuple[str, str, bool]]:
        """Names a probe's closure reads: the function's own (blocks, vars, params), then captured ones."""
        out: list[tuple[str, str, bool]] = []
        seen: set[str] = set()
        s: _Scope | None = scope
        kind = "local"
        while s is not None and s.k != 0:
            for block in reversed(s.blocks):
                for n, settable in block:
                    if n not in seen and not n.startswith(PREFIX) and (kind == "local" or n in scope.refs):
                        seen.add(n)
                        out.append((n, kind, settable))
            s = s.parent
            kind = "closure"
        if s is not None and s.k == 0:  # blocks inside the main chunk (its top level is the file closure)
            for block in reversed(s.blocks):
                for n, settable in block:
                    if (
                        n not in seen
                        and n not in self.top_set
                        and not n.startswith(PREFIX)
                        and (scope.k == 0 or n in scope.refs)
                    ):
                        seen.add(n)
                        out.append((n, "local" if scope.k == 0 else "closure", settable))
        if scope.k != 0:
            fn = scope.node
            if fn is not None and fn.type != "arrow_function" and self._uses_this(fn):
                # only where the function reads ``this`` itself: capturing it costs a sloppy function a
                # conversion of ``this`` on every call (1.2x on small functions)
                out.insert(0, ("this", "local", False))
        return out

    def _statement(self, s: Node, scope: _Scope) -> None:
        t = s.type
        if t in SKIP_STATEMENTS or not s.is_named:
            if t in ("function_declaration", "generator_function_declaration"):
                self._function(s, scope)
            return
        if t == "labeled_statement":
            self.ins(s.start_byte, self._probe(s, scope))
            body = s.child_by_field_name("body")
            if body is not None:
                self._statement_inner(body, scope, probe=False)
            return
        self.ins(s.start_byte, self._probe(s, scope, always=(t == "debugger_statement")))
        self._statement_inner(s, scope, probe=False)

    def _statement_inner(self, s: Node, scope: _Scope, probe: bool) -> None:
        """Descend into a statement (its blocks, nested statements and the functions in its expressions)."""
        t = s.type
        if probe:
            self._statement(s, scope)
            return
        if t == "statement_block":
            self._statements(list(s.named_children), scope, s)
            return
        if t == "if_statement":
            self._functions_in(s.child_by_field_name("condition"), scope)
            self._body(s.child_by_field_name("consequence"), scope, loop=False)
            alt = s.child_by_field_name("alternative")
            if alt is not None:
                inner = next((c for c in alt.named_children if c.type != "comment"), None)
                if inner is not None:
                    self._body(inner, scope, loop=False)
            return
        if t in LOOP_TYPES:
            decl: list[tuple[str, bool]] = []
            if t == "for_statement":
                init = s.child_by_field_name("initializer")
                if init is not None and init.type == "lexical_declaration":
                    decl = _declared_in_block([init])
            elif t == "for_in_statement":
                kind = s.child_by_field_name("kind")
                if kind is not None and _text(kind) in ("let", "const"):
                    decl = [(n, _text(kind) == "let") for n in _pattern_names(s.child_by_field_name("left"))]
            scope.blocks.append(decl)
            for c in s.named_children:
                if c != s.child_by_field_name("body"):
                    self._functions_in(c, scope)
            self._body(s.child_by_field_name("body"), scope, loop=True)
            scope.blocks.pop()
            return
        if t == "try_statement":
            if s.child_by_field_name("handler") is not None:  # counts the running try blocks that catch
                tb = s.child_by_field_name("body")
                if tb is not None:
                    self.ins(tb.start_byte + 1, f" {DBG}.ti(); try {{ ", prio=-1)
                    self.ins(tb.end_byte - 1, f" }} finally {{ {DBG}.to(); }} ", prio=9)
            for c in s.named_children:
                if c.type == "statement_block":
                    self._statements(list(c.named_children), scope, c)
                elif c.type == "catch_clause":
                    param = c.child_by_field_name("parameter")
                    body = c.child_by_field_name("body")
                    scope.blocks.append([(n, True) for n in _pattern_names(param)])
                    if body is not None:
                        pname = _text(param) if param is not None and param.type == "identifier" else "undefined"
                        self.ins(body.start_byte + 1, f" {DBG}.caught({pname}, {FRAME}); ")
                        self._statements(list(body.named_children), scope, body)
                    scope.blocks.pop()
                elif c.type == "finally_clause":
                    body = c.child_by_field_name("body")
                    if body is not None:
                        self._statements(list(body.named_children), scope, body)
            return
        if t == "switch_statement":
            self._functions_in(s.child_by_field_name("value"), scope)
            body = s.child_by_field_name("body")
            if body is not None:
                cases = [c for c in body.named_children if c.type in ("switch_case", "switch_default")]
                stmts = [x for c in cases for x in c.named_children if x != c.child_by_field_name("value")]
                scope.blocks.append(_declared_in_block(stmts))
                for c in cases:
                    self._functions_in(c.child_by_field_name("value"), scope)
                    for x in c.named_children:
                        if x != c.child_by_field_name("value"):
                            self._statement(x, scope)
                scope.blocks.pop()
            return
        if t in ("class_declaration",):
            self._functions_in(s, scope)
            return
        self._functions_in(s, scope)

    def _body(self, body: Node | None, scope: _Scope, loop: bool) -> None:
        """The body of an if/else/loop: a block, or one statement wrapped in braces (same line)."""
        if body is None:
            return
        poll = f"if (--{COUNTER} < 0) {COUNTER} = {DBG}.poll(); " if loop and self.loop_polls else ""
        scope.has_loop = scope.has_loop or bool(poll)
        if body.type == "statement_block":
            if poll:
                self.ins(body.start_byte + 1, " " + poll)
            elif loop and not any(c.type != "comment" for c in body.named_children):
                # ``while (x) {}``: a probe of its own, so a paused (poked) spin stops here
                self.ins(body.start_byte + 1, " " + self._probe(body, scope) + " ")
            self._statements(list(body.named_children), scope, body)
            return
        if loop and not poll and body.type == "empty_statement":
            poll = self._probe(body, scope)
        self.ins(body.start_byte, "{ " + poll, prio=-1)
        self.ins(body.end_byte, " }", prio=9)
        scope.blocks.append([])
        parent = body.parent.parent if body.parent is not None and body.parent.type == "else_clause" else body.parent
        if (
            parent is not None
            and parent.start_point[0] == body.start_point[0]
            and body.type not in LOOP_TYPES
            and body.type not in ("if_statement", "labeled_statement", "debugger_statement")
        ):
            # ``if (n < 2) return n;`` on one line: the line's probe is the if's (a breakpoint there stops
            # once; a step goes on to the next line), which saves a probe per call in small functions
            self._statement_inner(body, scope, probe=False)
        else:
            self._statement(body, scope)
        scope.blocks.pop()

    def _functions_in(self, node: Node | None, scope: _Scope) -> None:
        """Instrument the functions inside an expression (not the expression itself)."""
        if node is None:
            return
        stack = [node]
        while stack:
            n = stack.pop()
            if n.type in FUNCTION_TYPES:
                self._function(n, scope)
                continue
            if n.type == "class_static_block":
                continue
            stack.extend(reversed(n.named_children))

    # functions ----------------------------------------------------------------------------------------------
    def _function(self, fn: Node, parent: _Scope) -> None:
        k = len(self.functions)
        body = fn.child_by_field_name("body")
        if body is None:
            return
        is_async = any(c.type == "async" for c in fn.children)
        is_gen = "generator" in fn.type or any(c.type == "*" for c in fn.children)
        kind = "async" if is_async else "generator" if is_gen else "function"
        name = _function_name(fn)
        if fn.type == "method_definition":
            name = _text(fn.child_by_field_name("name") or fn)
        self.functions.append(FunctionInfo(k, name, fn.start_point[0] + 1, fn.end_point[0] + 1, kind))
        scope = _Scope(k, parent, fn, _references(fn))
        params = fn.child_by_field_name("parameters") or fn.child_by_field_name("parameter")
        own: list[tuple[str, bool]] = [(n, True) for n in _pattern_names(params)]
        own_name = fn.child_by_field_name("name")
        if fn.type in ("function_expression", "function", "generator_function") and own_name is not None:
            own.insert(0, (_text(own_name), False))  # a named function expression's own (immutable) name
        if body.type == "statement_block":
            own += [(n, True) for n in _var_names(body)]
        if fn.type != "arrow_function" and _uses_arguments(body):
            own.append(("arguments", False))
        scope.blocks.append(own)
        if params is not None:
            self._functions_in(params, parent)
        tracked = kind == "function"
        enter = f"{PREFIX}f{k} ? {DBG}.enter({k}) : null" if tracked else "null"
        head = f" var {FRAME} = {enter}; try {{ "
        # an exception leaving the function: the agent sees it with the parameters and vars (the body's
        # let/const are out of scope in the catch clause)
        csite, cclosure = self._site(fn.end_point[0] + 1, scope, statement=False)
        tail = f" }} catch ({PREFIX}e) {{ {DBG}.thrown({PREFIX}e, {FRAME}, {csite}, {cclosure}); throw {PREFIX}e; }}"
        if tracked:
            tail += f" finally {{ if ({FRAME} !== null) {DBG}.leave({FRAME}); }}"
        if body.type == "statement_block":
            at = self._after_directives(body, body.start_byte + 1)
            self.ins(at, head)
            self.ins(body.end_byte - 1, tail, prio=9)
            self._statements(list(body.named_children), scope, body)
            if scope.has_loop:  # the loop counter as a local of the function: cheaper than the file's
                self.ins(at, f"var {COUNTER} = {POLL_EVERY}; ")
        else:  # an arrow function's expression body
            self.ins(body.start_byte, "{" + head + self._probe(body, scope) + "return (", prio=-1)
            self.ins(body.end_byte, ");" + tail + " }", prio=9)
            self._functions_in(body, scope)
        scope.blocks.pop()


def instrument(source: str, fid: int, loop_polls: bool = True) -> Instrumented:
    """``source`` with probes (file id ``fid``), same lines; raises :class:`JsInstrumentError` on syntax errors.

    ``loop_polls``: every loop iteration counts down to a call of the agent (pause of a spinning spell). Off when
    the agent pokes the running spell through quickjs's interrupt handler instead (no cost per iteration)."""
    return _Instrumenter(source, fid, loop_polls).run()
