"""Symbols from the parse trees for the editor: the outline, go to definition, find references, rename a local.

Qt-free. :class:`SymbolIndex` is built from a lint analysis (the same scopes the linter resolved, so a reference
is exactly what the linter counted as a use); :func:`outline` reads the tree directly and tolerates broken code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from app import languages, syntax
from app.lint.core import Analysis
from app.lint.diagnostic import Fix

Span = tuple[int, int, int, int]  # 1-based line, col, end_line, end_col (characters)
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


@dataclass
class OutlineItem:
    """A definition for the outline: ``name`` at 0-based ``line``; ``kind`` function, method, class or variable."""

    name: str
    line: int
    kind: str = "function"
    detail: str = ""
    depth: int = 0


@dataclass
class SymbolInfo:
    """A local name with where it is defined and every place it is read or assigned."""

    name: str
    kind: str
    definition: Span
    references: list[Span] = field(default_factory=list)

    def spans(self) -> list[Span]:
        """The definition and every reference, in document order, without duplicates."""
        return sorted({self.definition, *self.references})


def _contains(span: Span, line: int, col: int) -> bool:
    l0, c0, l1, c1 = span
    return (line, col) >= (l0, c0) and (line, col) <= (l1, c1)


class SymbolIndex:
    """The symbols of one analysed file."""

    def __init__(self, analysis: Analysis, language: str):
        self.language = language
        self.symbols: list[SymbolInfo] = []
        for sym in analysis.symbols:
            try:
                definition = analysis.span(sym.node)
                refs = [analysis.span(r) for r in sym.references]
            except (AttributeError, TypeError):  # a synthetic symbol (the wrapper's parameters)
                continue
            refs = [r for r in refs if r != definition]
            self.symbols.append(SymbolInfo(sym.name, sym.kind, definition, refs))

    def at(self, line: int, col: int) -> SymbolInfo | None:
        """The symbol whose definition or a reference covers 1-based ``(line, col)``."""
        for s in self.symbols:
            if any(_contains(sp, line, col) for sp in s.spans()):
                return s
        return None

    def definition(self, line: int, col: int) -> Span | None:
        s = self.at(line, col)
        return s.definition if s is not None else None

    def references(self, line: int, col: int) -> list[Span]:
        """Every occurrence (definition included) of the symbol at ``(line, col)``."""
        s = self.at(line, col)
        return s.spans() if s is not None else []

    def rename(self, line: int, col: int, new_name: str) -> list[Fix]:
        """The edits renaming the local at ``(line, col)``; ``ValueError`` says why it cannot be done."""
        s = self.at(line, col)
        if s is None:
            raise ValueError(
                "no local variable, function or parameter here (only names this file declares can be renamed)"
            )
        record = languages.find(self.language)
        if not _IDENT.match(new_name) or (record is not None and new_name in record.keywords):
            raise ValueError(f"'{new_name}' is not a valid name")
        if new_name == s.name:
            return []
        clash = [o for o in self.symbols if o.name == new_name and o is not s]
        if clash:
            raise ValueError(f"'{new_name}' is already used in this file (line {clash[0].definition[0]})")
        return [Fix(f"Rename '{s.name}' to '{new_name}'", *sp, new_name) for sp in s.spans()]


# ---------------------------------------------------------------------------------------------------- outline
_OUTLINE_QUERIES = {
    "lua": """
(function_declaration name: (_) @name parameters: (parameters) @params) @def
(variable_declaration (assignment_statement (variable_list name: (identifier) @name)
  (expression_list value: (function_definition parameters: (parameters) @params)))) @def
(assignment_statement (variable_list name: (_) @name)
  (expression_list value: (function_definition parameters: (parameters) @params))) @def
(chunk (variable_declaration (assignment_statement (variable_list name: (identifier) @var))) @def)
(chunk (variable_declaration (variable_list name: (identifier) @var)) @def)
""",
    "js": """
(function_declaration name: (identifier) @name parameters: (formal_parameters) @params) @def
(generator_function_declaration name: (identifier) @name parameters: (formal_parameters) @params) @def
(class_declaration name: (identifier) @class) @def
(method_definition name: (_) @method parameters: (formal_parameters) @params) @def
(variable_declarator name: (identifier) @name value: [(arrow_function) (function_expression)] @fn) @def
(program [(lexical_declaration (variable_declarator name: (identifier) @var) @def)
          (variable_declaration (variable_declarator name: (identifier) @var) @def)])
""",
}
_FUNCTION_TYPES = {
    "function_declaration",
    "function_definition",
    "function_expression",
    "arrow_function",
    "method_definition",
    "generator_function_declaration",
    "class_declaration",
}


def outline(text: str, language: str, tree: Any = None) -> list[OutlineItem]:
    """Functions, methods, classes and top-level variables, in document order (depth = nesting)."""
    if language == "tengo":
        return _tengo_outline(text)
    if not syntax.has_grammar(language):
        return []
    if tree is None:
        tree = syntax.parse(language, text)
    items: dict[int, OutlineItem] = {}
    for _, caps in syntax.query_cursor(language, _OUTLINE_QUERIES[language]).matches(tree.root_node):
        d = caps["def"][0]
        if d.type == "assignment_statement" and d.parent is not None and d.parent.type == "variable_declaration":
            continue  # `local f = function` is matched as the declaration
        if d.start_byte in items and "var" in caps:
            continue  # a function assigned to a top-level local: the function entry wins
        depth = _depth(d)
        if "class" in caps:
            items[d.start_byte] = OutlineItem(_t(caps["class"][0]), d.start_point[0], "class", "", depth)
            continue
        key = "name" if "name" in caps else "method" if "method" in caps else "var"
        name = caps[key][0]
        params = (
            caps.get("params") or (caps["fn"][0].child_by_field_name("parameters"),)
            if "fn" in caps
            else caps.get("params")
        )
        detail = _t(params[0]) if params and params[0] is not None else ""
        if key == "var":
            items.setdefault(d.start_byte, OutlineItem(_t(name), d.start_point[0], "variable", "", depth))
            continue
        kind = "method" if key == "method" or ":" in _t(name) else "function"
        items[d.start_byte] = OutlineItem(
            _t(name), d.start_point[0], kind, detail if detail.startswith("(") else f"({detail})", depth
        )
    return [items[k] for k in sorted(items)]


def _t(node: Any) -> str:
    return node.text.decode("utf-8", errors="replace") if node is not None else ""


def _depth(node: Any) -> int:
    depth, p = 0, node.parent
    while p is not None:
        if p.type in _FUNCTION_TYPES:
            depth += 1
        p = p.parent
    return depth


def _tengo_outline(text: str) -> list[OutlineItem]:
    from app.engines.tengo import nodes as N
    from app.engines.tengo.errors import TengoError
    from app.engines.tengo.parser import parse
    from app.lint.tengo import is_node

    try:
        stmts = parse(text, "outline")
    except (TengoError, RecursionError):
        return []
    out: list[OutlineItem] = []

    def walk(body: list, depth: int) -> None:
        s: Any
        for s in body:
            if is_node(s, N.AssignStmt) and s.op == ":=" and len(s.lhs) == 1 and is_node(s.lhs[0], N.Ident):
                value: Any = s.rhs[0] if s.rhs else None
                if is_node(value, N.FuncLit):
                    params = ", ".join(value.params) + ("..." if value.variadic else "")
                    out.append(OutlineItem(s.lhs[0].name, s.line - 1, "function", f"({params})", depth))
                    walk(value.body.stmts, depth + 1)
                elif depth == 0:
                    out.append(OutlineItem(s.lhs[0].name, s.line - 1, "variable", "", depth))
            elif is_node(s, N.BlockStmt):
                walk(s.stmts, depth)

    walk(stmts, 0)
    return out


# ---------------------------------------------------------------------------------------------------- declared names
_DECLARATION_QUERIES = {
    "lua": """
(variable_declaration (variable_list name: (identifier) @local))
(variable_declaration (assignment_statement (variable_list name: (identifier) @local)))
(function_declaration name: (identifier) @function)
(function_declaration name: (_) parameters: (parameters name: (identifier) @param))
(function_definition parameters: (parameters name: (identifier) @param))
(for_numeric_clause name: (identifier) @local)
(for_generic_clause (variable_list name: (identifier) @local))
""",
    "js": """
(variable_declarator name: (identifier) @local)
(variable_declarator name: [(object_pattern) (array_pattern)] @pattern)
(function_declaration name: (identifier) @function)
(generator_function_declaration name: (identifier) @function)
(class_declaration name: (identifier) @local)
(formal_parameters [(identifier) @param
                    (assignment_pattern left: (identifier) @param)
                    (rest_pattern (identifier) @param)
                    (object_pattern) @pattern_param
                    (array_pattern) @pattern_param])
(arrow_function parameter: (identifier) @param)
(catch_clause parameter: (identifier) @local)
(for_in_statement left: (identifier) @local)
""",
}
_PATTERN_NAMES = """
(shorthand_property_identifier_pattern) @name
(pair_pattern value: (identifier) @name)
(array_pattern (identifier) @name)
(assignment_pattern left: (identifier) @name)
(rest_pattern (identifier) @name)
"""


def declared_names(text: str, language: str) -> tuple[list[tuple[str, str, int]], bool]:
    """``(name, kind, 1-based line)`` of every name the file declares (kind: local, function or param), from the
    parse tree (strings and comments never count), and whether the text parsed without errors (half-typed code
    yields the intact declarations only)."""
    if not syntax.has_grammar(language) or language not in _DECLARATION_QUERIES:
        return [], False
    tree = syntax.parse(language, text)
    out: list[tuple[str, str, int]] = []
    for cap, nodes in syntax.query_cursor(language, _DECLARATION_QUERIES[language]).captures(tree.root_node).items():
        for n in nodes:
            if cap in ("pattern", "pattern_param"):
                kind = "param" if cap == "pattern_param" else "local"
                for names in syntax.query_cursor(language, _PATTERN_NAMES).captures(n).values():
                    out.extend((_t(x), kind, x.start_point[0] + 1) for x in names)
            else:
                out.append((_t(n), cap, n.start_point[0] + 1))
    return out, not tree.root_node.has_error
