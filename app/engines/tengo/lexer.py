"""Tengo lexer: Go-like tokens with automatic semicolon insertion.

Strings are Go *byte* strings; the interpreter stores them as Python ``str`` decoded from UTF-8 with
``surrogateescape`` so invalid bytes (``"\\xff"``) survive and re-encode to the same bytes.
"""

from __future__ import annotations

import logging
import re

from app import languages

from .errors import TengoParseError

log = logging.getLogger(__name__)

KEYWORDS = frozenset(languages.TENGO.keywords)  # one list: the language registry's

# Longest operators first.
OPERATORS = [
    "&^=",
    "<<=",
    ">>=",
    "...",
    "+=",
    "-=",
    "*=",
    "/=",
    "%=",
    "&=",
    "|=",
    "^=",
    "<<",
    ">>",
    "&^",
    "&&",
    "||",
    "++",
    "--",
    "==",
    "!=",
    "<=",
    ">=",
    ":=",
    "+",
    "-",
    "*",
    "/",
    "%",
    "&",
    "|",
    "^",
    "<",
    ">",
    "=",
    "!",
    "(",
    "[",
    "{",
    ",",
    ".",
    ")",
    "]",
    "}",
    ";",
    ":",
    "?",
]
_OPS_BY_FIRST: dict[str, list[str]] = {}
for _op in OPERATORS:
    _OPS_BY_FIRST.setdefault(_op[0], []).append(_op)

# Token kinds: IDENT INT FLOAT CHAR STRING KEYWORD OP EOF; ";" is OP with literal ";" or "\n".
SEMI_AFTER_KW = {"break", "continue", "return", "export", "true", "false", "undefined"}
SEMI_AFTER_OP = {")", "]", "}", "++", "--"}

_SIMPLE_ESC = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", "\\": "\\"}


class Token:
    """One token: ``kind``, ``value`` (literal text or decoded value), ``line``, ``col`` (1-based, bytes)."""

    __slots__ = ("kind", "value", "line", "col", "text")

    def __init__(self, kind: str, value: object, line: int, col: int, text: str = ""):
        self.kind = kind
        self.value = value
        self.line = line
        self.col = col
        self.text = text

    def __repr__(self) -> str:
        return f"Token({self.kind}, {self.value!r}, {self.line}:{self.col})"


_IDENT = re.compile(r"[^\W\d]\w*")
_BLANKS = re.compile(r"[ \t\r]+")


def _is_letter(c: str) -> bool:
    return c.isalpha() or c == "_"


def _is_digit(c: str) -> bool:
    return "0" <= c <= "9"


class Lexer:
    """Produces the token list for one source file."""

    def __init__(self, src: str, filename: str):
        self.src = src
        self.filename = filename
        self.pos = 0
        self.ascii = src.isascii()
        self.line = 1
        self.line_start = 0
        self.tokens: list[Token] = []
        self.errors: list[TengoParseError] = []  # illegal characters: reported together, like Go's scanner

    def error(self, msg: str, line: int, col: int) -> TengoParseError:
        return TengoParseError(msg, self.filename, line, col)

    def col_of(self, pos: int) -> int:
        """1-based column in bytes (Tengo counts bytes): the UTF-8 length of the line prefix."""
        if self.ascii:
            return pos - self.line_start + 1
        prefix = self.src[self.line_start : pos]
        return (len(prefix.encode("utf-8", "surrogatepass")) if not prefix.isascii() else len(prefix)) + 1

    def tokenize(self) -> list[Token]:
        src = self.src
        n = len(src)
        toks = self.tokens
        insert_semi = False
        while True:
            # skip whitespace (newline may end a statement)
            while self.pos < n:
                c = src[self.pos]
                if c == "\n":
                    if insert_semi:
                        toks.append(Token("OP", ";", self.line, self.col_of(self.pos), "\n"))
                        insert_semi = False
                    self.pos += 1
                    self.line += 1
                    self.line_start = self.pos
                elif c in " \t\r":
                    self.pos = _BLANKS.match(src, self.pos).end()
                elif c == "/" and self.pos + 1 < n and src[self.pos + 1] == "/":
                    end = src.find("\n", self.pos)
                    self.pos = n if end < 0 else end
                elif c == "/" and self.pos + 1 < n and src[self.pos + 1] == "*":
                    end = src.find("*/", self.pos + 2)
                    if end < 0:
                        raise self.error("comment not terminated", self.line, self.col_of(self.pos))
                    body = src[self.pos : end + 2]
                    nl = body.count("\n")
                    if nl and insert_semi:
                        toks.append(Token("OP", ";", self.line, self.col_of(self.pos), "\n"))
                        insert_semi = False
                    if nl:
                        self.line += nl
                        self.line_start = self.pos + body.rfind("\n") + 1
                    self.pos = end + 2
                else:
                    break
            if self.pos >= n:
                if insert_semi:
                    toks.append(Token("OP", ";", self.line, self.col_of(self.pos), "\n"))
                toks.append(Token("EOF", None, self.line, self.col_of(self.pos)))
                if self.errors:
                    first = self.errors[0]
                    first.more = len(self.errors) - 1
                    raise first
                return toks
            c = src[self.pos]
            line, col = self.line, self.col_of(self.pos)
            start = self.pos
            if _is_letter(c):
                p = _IDENT.match(src, start).end()
                word = src[start:p]
                self.pos = p
                if word in KEYWORDS:
                    toks.append(Token("KEYWORD", word, line, col, word))
                    insert_semi = word in SEMI_AFTER_KW
                else:
                    toks.append(Token("IDENT", word, line, col, word))
                    insert_semi = True
            elif _is_digit(c) or (c == "." and self.pos + 1 < n and _is_digit(src[self.pos + 1])):
                toks.append(self.scan_number(line, col))
                insert_semi = True
            elif c == '"':
                toks.append(Token("STRING", self.scan_string(line, col), line, col, ""))
                insert_semi = True
            elif c == "`":
                end = src.find("`", self.pos + 1)
                if end < 0:
                    raise self.error("raw string literal not terminated", line, col)
                raw = src[self.pos + 1 : end].replace("\r", "")
                nl = raw.count("\n")
                if nl:
                    self.line += nl
                    self.line_start = self.pos + 1 + src[self.pos + 1 : end].rfind("\n") + 1
                self.pos = end + 1
                toks.append(Token("STRING", raw, line, col, ""))
                insert_semi = True
            elif c == "'":
                toks.append(Token("CHAR", self.scan_char(line, col), line, col, ""))
                insert_semi = True
            else:
                for op in _OPS_BY_FIRST.get(c, ()):
                    if src.startswith(op, self.pos):
                        break
                else:
                    desc = f"U+{ord(c):04X} '{c}'" if c.isprintable() else f"U+{ord(c):04X}"
                    self.errors.append(self.error(f"illegal character {desc}", line, col))
                    self.pos += 1
                    insert_semi = False
                    continue
                self.pos += len(op)
                toks.append(Token("OP", op, line, col, op))
                insert_semi = op in SEMI_AFTER_OP

    def scan_number(self, line: int, col: int) -> Token:
        src, n, p = self.src, len(self.src), self.pos
        start = p
        is_float = False
        if src[p] == "0" and p + 1 < n and src[p + 1] in "xXbBoO":
            p += 2
            while p < n and (src[p].isalnum() or src[p] == "_"):
                p += 1
            text = src[start:p]
            if text[1] in "xX" and p < n and src[p] in ".pP":
                raise self.error("hexadecimal floats are not supported", line, col)
        else:
            while p < n and (_is_digit(src[p]) or src[p] == "_"):
                p += 1
            if p < n and src[p] == ".":
                is_float = True
                p += 1
                while p < n and (_is_digit(src[p]) or src[p] == "_"):
                    p += 1
            if p < n and src[p] in "eE":
                q = p + 1
                if q < n and src[q] in "+-":
                    q += 1
                if q < n and _is_digit(src[q]):
                    is_float = True
                    p = q
                    while p < n and _is_digit(src[p]):
                        p += 1
            text = src[start:p]
        self.pos = p
        clean = text.replace("_", "")
        try:
            if is_float:
                fv = float(clean)
                if fv in (float("inf"), float("-inf")):
                    raise self.error("number out of range", line, col)
                return Token("FLOAT", fv, line, col, text)
            low = clean.lower()
            if low.startswith("0x"):
                v = int(low[2:], 16)
            elif low.startswith("0b"):
                v = int(low[2:], 2)
            elif low.startswith("0o"):
                v = int(low[2:], 8)
            elif len(low) > 1 and low[0] == "0":
                v = int(low, 8)
            else:
                v = int(low, 10)
        except ValueError:
            raise self.error("invalid float" if is_float else "invalid integer", line, col) from None
        if v > 0x7FFFFFFFFFFFFFFF:
            raise self.error("number out of range", line, col)
        return Token("INT", v, line, col, text)

    def _escape(self, quote: str, out: bytearray, line: int, col: int) -> None:
        """Decode one escape after a backslash at self.pos (pointing at the char after ``\\``)."""
        src = self.src
        if self.pos >= len(src):
            raise self.error("escape sequence not terminated", line, col)
        c = src[self.pos]
        self.pos += 1
        if c in _SIMPLE_ESC:
            out += _SIMPLE_ESC[c].encode()
        elif c == quote:
            out += c.encode()
        elif c in "01234567":
            digits = src[self.pos - 1 : self.pos + 2]
            if len(digits) < 3 or any(d not in "01234567" for d in digits):
                raise self.error("invalid octal escape", line, col)
            v = int(digits, 8)
            if v > 255:
                raise self.error("octal escape value > 255", line, col)
            self.pos += 2
            out.append(v)
        elif c in "xuU":
            size = {"x": 2, "u": 4, "U": 8}[c]
            digits = src[self.pos : self.pos + size]
            try:
                if len(digits) < size:
                    raise ValueError
                v = int(digits, 16)
            except ValueError:
                raise self.error("invalid escape sequence", line, col) from None
            self.pos += size
            if c == "x":
                out.append(v)
            else:
                if v > 0x10FFFF or 0xD800 <= v < 0xE000:
                    raise self.error("escape sequence is invalid Unicode code point", line, col)
                out += chr(v).encode()
        else:
            raise self.error("unknown escape sequence", line, col)

    def scan_string(self, line: int, col: int) -> str:
        src, n = self.src, len(self.src)
        self.pos += 1
        out = bytearray()
        while True:
            if self.pos >= n or src[self.pos] == "\n":
                raise self.error("string literal not terminated", line, col)
            c = src[self.pos]
            if c == '"':
                self.pos += 1
                break
            if c == "\\":
                self.pos += 1
                self._escape('"', out, line, col)
            else:
                j = self.pos
                while j < n and src[j] not in '"\\\n':
                    j += 1
                out += src[self.pos : j].encode("utf-8", "surrogateescape")
                self.pos = j
        return out.decode("utf-8", "surrogateescape")

    def scan_char(self, line: int, col: int) -> int:
        src, n = self.src, len(self.src)
        self.pos += 1
        out = bytearray()
        count = 0
        while True:
            if self.pos >= n or src[self.pos] == "\n":
                raise self.error("rune literal not terminated", line, col)
            c = src[self.pos]
            if c == "'":
                self.pos += 1
                break
            count += 1
            if c == "\\":
                self.pos += 1
                self._escape("'", out, line, col)
            else:
                out += c.encode("utf-8", "surrogateescape")
                self.pos += 1
        if count != 1:
            raise self.error("illegal rune literal", line, col)
        s = out.decode("utf-8", "replace")
        if len(s) != 1:
            return out[0] if len(out) == 1 else 0xFFFD
        return ord(s)


def tokenize(src: str, filename: str) -> list[Token]:
    """All tokens of ``src`` (raises :class:`TengoParseError`)."""
    return Lexer(src, filename).tokenize()
