"""Recursive-descent parser for Tengo 2 (mirrors d5/tengo's parser: Go-style statements, precedence climbing).

Errors raise :class:`TengoParseError` carrying ``file:line:col``.
"""

from __future__ import annotations

import logging

from . import nodes as N
from .errors import TengoParseError
from .lexer import Token, tokenize

log = logging.getLogger(__name__)

BINARY_PREC = {
    "||": 1,
    "&&": 2,
    "==": 3,
    "!=": 3,
    "<": 3,
    "<=": 3,
    ">": 3,
    ">=": 3,
    "+": 4,
    "-": 4,
    "|": 4,
    "^": 4,
    "*": 5,
    "/": 5,
    "%": 5,
    "<<": 5,
    ">>": 5,
    "&": 5,
    "&^": 5,
}
ASSIGN_OPS = {"=", ":=", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "<<=", ">>=", "&^="}

SELECTOR_KEYWORDS = frozenset({"true", "false", "error", "undefined"})


class Parser:
    """Parses one file into a list of statements."""

    def __init__(self, src: str, filename: str):
        self.filename = filename
        self.toks: list[Token] = tokenize(src, filename)
        self.i = 0
        self.tok = self.toks[0]

    # -- helpers -------------------------------------------------------------------------------------------
    def next(self) -> None:
        if self.i < len(self.toks) - 1:
            self.i += 1
        self.tok = self.toks[self.i]

    def error(self, msg: str, tok: Token | None = None) -> TengoParseError:
        t = tok or self.tok
        return TengoParseError(msg, self.filename, t.line, t.col)

    def describe(self, t: Token) -> str:
        if t.kind == "EOF":
            return "EOF"
        if t.kind == "OP" and t.value == ";" and t.text == "\n":
            return "newline"
        if t.kind in ("OP", "KEYWORD"):
            return f"'{t.value}'"
        return t.kind if t.kind != "IDENT" else "IDENT"

    def is_op(self, op: str) -> bool:
        t = self.tok
        return t.kind == "OP" and t.value == op

    def is_kw(self, kw: str) -> bool:
        t = self.tok
        return t.kind == "KEYWORD" and t.value == kw

    def expect(self, op: str) -> Token:
        t = self.tok
        if not (t.kind == "OP" and t.value == op):
            raise self.error(f"expected '{op}', found {self.describe(t)}")
        self.next()
        return t

    def expect_semi(self) -> None:
        if self.is_op(")") or self.is_op("}"):
            return
        if self.is_op(";"):
            self.next()
            return
        if self.tok.kind == "EOF":
            return
        raise self.error(f"expected ';', found {self.describe(self.tok)}")

    def expect_comma(self, closing: str, want: str) -> bool:
        if self.is_op(","):
            self.next()
            if self.is_op(closing):
                raise self.error(f"expected {want}, found {self.describe(self.tok)}")
            return True
        if self.is_op(";") and self.tok.text == "\n":
            self.next()
        return False

    # -- program / statements ------------------------------------------------------------------------------
    def parse_file(self) -> list:
        stmts = []
        while self.tok.kind != "EOF":
            stmts.append(self.parse_stmt())
        return stmts

    def parse_stmt_list(self) -> list:
        stmts = []
        while not self.is_op("}") and self.tok.kind != "EOF":
            stmts.append(self.parse_stmt())
        return stmts

    def parse_block(self) -> N.BlockStmt:
        lb = self.expect("{")
        stmts = self.parse_stmt_list()
        self.expect("}")
        return N.BlockStmt(lb.line, lb.col, stmts)

    def parse_stmt(self):
        t = self.tok
        if t.kind == "KEYWORD":
            kw = t.value
            if kw in ("break", "continue"):
                self.next()
                s = N.BranchStmt(t.line, t.col, kw)
                self.expect_semi()
                return s
            if kw == "return":
                self.next()
                res = None
                if not self.is_op(";") and not self.is_op("}") and self.tok.kind != "EOF":
                    res = self.parse_expr()
                self.expect_semi()
                return N.ReturnStmt(t.line, t.col, res)
            if kw == "export":
                self.next()
                res = self.parse_expr()
                self.expect_semi()
                return N.ExportStmt(t.line, t.col, res)
            if kw == "if":
                return self.parse_if()
            if kw == "for":
                return self.parse_for()
        if t.kind == "OP":
            # no bare blocks in Tengo: a statement starting with '{' is a map literal expression
            if t.value == ";":
                self.next()
                return N.EmptyStmt(t.line, t.col)
        s = self.parse_simple_stmt(False)
        self.expect_semi()
        return s

    def parse_simple_stmt(self, for_in: bool):
        t = self.tok
        lhs = self.parse_expr_list()
        tok = self.tok
        if tok.kind == "OP" and tok.value in ASSIGN_OPS:
            self.next()
            rhs = self.parse_expr_list()
            return N.AssignStmt(lhs[0].line, lhs[0].col, lhs, rhs, tok.value)
        if for_in and tok.kind == "KEYWORD" and tok.value == "in":
            self.next()
            if len(lhs) > 2:
                raise self.error("too many identifiers in for-in", t)
            for e in lhs:
                if not isinstance(e, N.Ident):
                    raise self.error("expected identifier in for-in", t)
            key, value = (lhs[0], lhs[1]) if len(lhs) == 2 else (N.Ident(t.line, t.col, "_"), lhs[0])
            iterable = self.parse_expr()
            return ("forin", key, value, iterable)
        if len(lhs) > 1:
            raise self.error(f"expected 1 expression, found {len(lhs)}", t)
        if tok.kind == "OP" and tok.value in ("++", "--"):
            self.next()
            one = N.IntLit(tok.line, tok.col, 1)
            return N.AssignStmt(lhs[0].line, lhs[0].col, lhs, [one], "+=" if tok.value == "++" else "-=")
        return N.ExprStmt(lhs[0].line, lhs[0].col, lhs[0])

    def parse_expr_list(self) -> list:
        exprs = [self.parse_expr()]
        while self.is_op(","):
            self.next()
            exprs.append(self.parse_expr())
        return exprs

    def parse_if(self):
        t = self.tok
        self.next()
        init = None
        if self.is_op("{"):
            raise self.error("missing condition in if statement")
        if self.is_op(";"):
            raise self.error("missing init in if statement")
        s = self.parse_simple_stmt(False)
        if self.is_op(";"):
            self.next()
            init = s
            if self.is_op("{"):
                raise self.error("missing condition in if statement")
            s = self.parse_simple_stmt(False)
        if not isinstance(s, N.ExprStmt):
            raise self.error("missing condition in if statement", t)
        cond = s.expr
        body = self.parse_block()
        else_ = None
        if self.is_kw("else"):
            self.next()
            if self.is_kw("if"):
                else_ = self.parse_if()
                return N.IfStmt(t.line, t.col, init, cond, body, else_)
            if self.is_op("{"):
                else_ = self.parse_block()
                self.expect_semi()
            else:
                raise self.error(f"expected if statement or block, found {self.describe(self.tok)}")
        else:
            self.expect_semi()
        return N.IfStmt(t.line, t.col, init, cond, body, else_)

    def parse_for(self):
        t = self.tok
        self.next()
        init = cond = post = None
        if self.is_op("{"):
            body = self.parse_block()
            self.expect_semi()
            return N.ForStmt(t.line, t.col, None, None, None, body)
        s2 = None
        if not self.is_op(";"):
            s2 = self.parse_simple_stmt(True)
        if isinstance(s2, tuple):
            _, key, value, iterable = s2
            body = self.parse_block()
            self.expect_semi()
            return N.ForInStmt(t.line, t.col, key, value, iterable, body)
        if self.is_op(";"):
            self.next()
            init = s2
            s2 = None
            if not self.is_op(";"):
                s2 = self.parse_simple_stmt(False)
            self.expect(";")
            if not self.is_op("{"):
                post = self.parse_simple_stmt(False)
        if s2 is not None:
            if not isinstance(s2, N.ExprStmt):
                raise self.error("expected for loop condition", t)
            cond = s2.expr
        body = self.parse_block()
        self.expect_semi()
        return N.ForStmt(t.line, t.col, init, cond, post, body)

    # -- expressions ---------------------------------------------------------------------------------------
    def parse_expr(self):
        e = self.parse_binary(1)
        if self.is_op("?"):
            self.next()
            te = self.parse_expr()
            self.expect(":")
            fe = self.parse_expr()
            return N.CondExpr(e.line, e.col, e, te, fe)
        return e

    def parse_binary(self, prec1: int):
        x = self.parse_unary()
        while True:
            t = self.tok
            if t.kind != "OP":
                return x
            prec = BINARY_PREC.get(t.value)  # type: ignore[call-overload]
            if prec is None or prec < prec1:
                return x
            self.next()
            y = self.parse_binary(prec + 1)
            x = N.BinaryExpr(x.line, x.col, t.value, x, y)

    def parse_unary(self):
        t = self.tok
        if t.kind == "OP" and t.value in ("+", "-", "!", "^"):
            self.next()
            x = self.parse_unary()
            return N.UnaryExpr(t.line, t.col, t.value, x)
        return self.parse_primary()

    def parse_primary(self):
        x = self.parse_operand()
        while True:
            t = self.tok
            if t.kind != "OP":
                return x
            v = t.value
            if v == ".":
                self.next()
                # extension: the value keywords may name a field (``assert.true(x)``, ``r.error``), which is
                # unambiguous after a dot; Go's Tengo refuses them there
                if self.tok.kind != "IDENT" and not (
                    self.tok.kind == "KEYWORD" and self.tok.value in SELECTOR_KEYWORDS
                ):
                    raise self.error(f"expected selector, found {self.describe(self.tok)}")
                sel = self.tok.value
                self.next()
                x = N.SelectorExpr(x.line, x.col, x, sel)
            elif v == "[":
                x = self.parse_index(x)
            elif v == "(":
                x = self.parse_call(x)
            else:
                return x

    def parse_index(self, x):
        self.next()
        low = high = None
        is_slice = False
        if not self.is_op(":"):
            low = self.parse_expr()
        if self.is_op(":"):
            is_slice = True
            self.next()
            if not self.is_op("]"):
                high = self.parse_expr()
        if not is_slice and low is None:
            raise self.error("expected operand")
        self.expect("]")
        if is_slice:
            return N.SliceExpr(x.line, x.col, x, low, high)
        return N.IndexExpr(x.line, x.col, x, low)

    def parse_call(self, x):
        self.next()
        args = []
        ellipsis = False
        while not self.is_op(")") and self.tok.kind != "EOF" and not ellipsis:
            args.append(self.parse_expr())
            if self.is_op("..."):
                ellipsis = True
                self.next()
            if not self.expect_comma(")", "call argument"):
                break
        self.expect(")")
        return N.CallExpr(x.line, x.col, x, args, ellipsis)

    def parse_operand(self):
        t = self.tok
        k = t.kind
        if k == "IDENT":
            self.next()
            return N.Ident(t.line, t.col, t.value)
        if k == "INT":
            self.next()
            return N.IntLit(t.line, t.col, t.value)
        if k == "FLOAT":
            self.next()
            return N.FloatLit(t.line, t.col, t.value)
        if k == "STRING":
            self.next()
            return N.StringLit(t.line, t.col, t.value)
        if k == "CHAR":
            self.next()
            return N.CharLit(t.line, t.col, t.value)
        if k == "KEYWORD":
            v = t.value
            if v in ("true", "false"):
                self.next()
                return N.BoolLit(t.line, t.col, v == "true")
            if v == "undefined":
                self.next()
                return N.UndefinedLit(t.line, t.col)
            if v == "func":
                return self.parse_func_lit()
            if v in ("error", "immutable"):
                self.next()
                self.expect("(")
                e = self.parse_expr()
                self.expect(")")
                cls = N.ErrorExpr if v == "error" else N.ImmutableExpr
                return cls(t.line, t.col, e)
            if v == "import":
                self.next()
                self.expect("(")
                if self.tok.kind != "STRING":
                    raise self.error(f"expected string, found {self.describe(self.tok)}")
                name = self.tok.value
                self.next()
                self.expect(")")
                return N.ImportExpr(t.line, t.col, name)
        if k == "OP":
            v = t.value
            if v == "(":
                self.next()
                e = self.parse_expr()
                self.expect(")")
                return e
            if v == "[":
                self.next()
                elems = []
                while not self.is_op("]") and self.tok.kind != "EOF":
                    elems.append(self.parse_expr())
                    if not self.expect_comma("]", "array element"):
                        break
                self.expect("]")
                return N.ArrayLit(t.line, t.col, elems)
            if v == "{":
                self.next()
                keys, values = [], []
                while not self.is_op("}") and self.tok.kind != "EOF":
                    kt = self.tok
                    if kt.kind == "IDENT" or kt.kind == "STRING":
                        key = kt.value
                    else:
                        raise self.error(f"expected map key, found {self.describe(kt)}")
                    self.next()
                    self.expect(":")
                    keys.append(key)
                    values.append(self.parse_expr())
                    if not self.expect_comma("}", "map element"):
                        break
                self.expect("}")
                return N.MapLit(t.line, t.col, keys, values)
        raise self.error(f"expected operand, found {self.describe(t)}")

    def parse_func_lit(self):
        t = self.tok
        self.next()
        self.expect("(")
        params: list[str] = []
        variadic = False
        while not self.is_op(")"):
            if self.is_op("..."):
                self.next()
                variadic = True
            if self.tok.kind != "IDENT":
                raise self.error(f"expected identifier, found {self.describe(self.tok)}")
            params.append(self.tok.value)
            self.next()
            if variadic:
                break
            if not self.is_op(","):
                break
            self.next()
        self.expect(")")
        body = self.parse_block()
        return N.FuncLit(t.line, t.col, params, variadic, body)


def parse(src: str, filename: str) -> list:
    """Parse ``src`` into a list of statement nodes; raises :class:`TengoParseError`."""
    return Parser(src, filename).parse_file()
