"""Editor intelligence for spells, from the bridge reference: completion, option keys, call tips, hover, F1 symbols.

Qt-free plain functions taking ``(text, pos, language)``: ``text`` is the whole buffer, ``pos`` a *character*
offset into it (Scintilla gives byte offsets: convert with :func:`byte_to_char` / :func:`char_to_byte`), and
``language`` one of ``"lua"``, ``"js"``, ``"tengo"``. All take an optional ``reference`` (default: the live
registry's, built once).

- :func:`complete` — members after ``LLM.`` (Lua ``agent:`` for handle types, JS camelCase), option-table keys inside
  a bridge call's ``{…}``, and globals, keywords and the file's own locals/functions for a plain word.
- :func:`call_tip` — the signature of the bridge call around the cursor, with the current argument's range.
- :func:`hover` — documentation text for the name under the cursor; :func:`symbol_at` — its reference key (F1).
- :func:`local_symbols` — a simple scan of the file's locals, functions and parameters.
- :func:`on_char_added` — one entry point for an editor's ``charAdded``: what to complete and which call tip to show.
- :class:`EditorDriver` — applies all that to a Scintilla editor (duck-typed, no Qt import); a drop-in for
  ``app.ui.completion.Completer``.

Scanning is limited to a window before the cursor (:data:`WINDOW`) so a keystroke costs the same in a 20,000-line
file; handle types of variables are inferred from assignments such as ``local a = Agent.create(...)``.
"""

from __future__ import annotations

import logging
import re
import textwrap
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from app import languages
from app.lint.symbols import declared_names
from app.reference.model import LanguageView, MethodRef, Reference, first_sentence, get_reference, split_type

log = logging.getLogger(__name__)

#: Characters scanned before the cursor for context (brackets, strings, comments).
WINDOW = 20000

#: Reserved words per spell language (from the language registry: one list per language).
KEYWORDS: dict[str, tuple[str, ...]] = {lang.id: lang.keywords for lang in languages.LANGUAGES.values()}


# ------------------------------------------------------------------------------------------------ results
@dataclass
class Completion:
    """One completion candidate. ``insert`` is the text replacing the typed prefix (defaults to ``label``)."""

    label: str
    kind: str  # "method", "global", "type", "option", "local", "function", "param", "keyword"
    detail: str = ""
    doc: str = ""
    insert: str = ""
    key: str = ""  # reference key ("global:JSON.encode") for docs, or ""

    def __post_init__(self) -> None:
        if not self.insert:
            self.insert = self.label


@dataclass
class CompletionResult:
    """Candidates replacing ``text[start:pos]`` (the typed ``prefix``)."""

    start: int
    prefix: str
    items: list[Completion] = field(default_factory=list)
    context: str = "none"  # "member", "option", "word", "none"

    def labels(self) -> list[str]:
        """The candidates' labels, in order (for a Scintilla ``autoCShow`` list)."""
        return [c.label for c in self.items]

    def insert_for(self, label: str) -> str:
        """The text to insert for a chosen label (option keys get `` = `` in Lua, ``: `` in JS and Tengo)."""
        return next((c.insert for c in self.items if c.label == label), label)


@dataclass
class CallTip:
    """A signature to show, with the ``[start, end)`` range of the current argument (``None``: past the last)."""

    text: str
    highlight: tuple[int, int] | None
    arg_index: int
    key: str
    doc: str = ""
    call_start: int = 0  # character offset of the call's "("


@dataclass
class LocalSymbol:
    """A name the spell itself defines."""

    name: str
    kind: str  # "local", "function", "param"
    line: int  # 1-based
    type: str = ""  # inferred handle type, if any


# ------------------------------------------------------------------------------------------------ positions
def char_to_byte(text: str, pos: int) -> int:
    """Character offset → UTF-8 byte offset (Scintilla positions)."""
    return len(text[:pos].encode("utf-8"))


def byte_to_char(text: str, byte_pos: int) -> int:
    """UTF-8 byte offset → character offset."""
    return len(text.encode("utf-8")[:byte_pos].decode("utf-8", errors="ignore"))


# ------------------------------------------------------------------------------------------------ tokens
_TOKEN_RES = {
    "lua": re.compile(
        r"""
        (?P<comment>--\[(?P<eq>=*)\[.*?(?:\](?P=eq)\]|\Z)|--[^\n]*)
      | (?P<string>\[(?P<eq2>=*)\[.*?(?:\](?P=eq2)\]|\Z)|"(?:\\.|[^"\\\n])*(?:"|$)|'(?:\\.|[^'\\\n])*(?:'|$))
      | (?P<name>[A-Za-z_]\w*)
      | (?P<num>\d[\w.]*)
      | (?P<op>\.\.\.|\.\.|==|~=|<=|>=|::|[^\s\w])
    """,
        re.VERBOSE | re.DOTALL | re.MULTILINE,
    ),
    "js": re.compile(
        r"""
        (?P<comment>/\*.*?(?:\*/|\Z)|//[^\n]*)
      | (?P<string>"(?:\\.|[^"\\\n])*(?:"|$)|'(?:\\.|[^'\\\n])*(?:'|$)|`(?:\\.|[^`\\])*(?:`|\Z))
      | (?P<name>[A-Za-z_$][\w$]*)
      | (?P<num>\d[\w.]*)
      | (?P<op>=>|===|!==|==|!=|<=|>=|&&|\|\||\?\.|\.\.\.|[^\s\w])
    """,
        re.VERBOSE | re.DOTALL | re.MULTILINE,
    ),
    "tengo": re.compile(
        r"""
        (?P<comment>/\*.*?(?:\*/|\Z)|//[^\n]*)
      | (?P<string>"(?:\\.|[^"\\\n])*(?:"|$)|`[^`]*(?:`|\Z)|'(?:\\.|[^'\\\n])*(?:'|$))
      | (?P<name>[A-Za-z_]\w*)
      | (?P<num>\d[\w.]*)
      | (?P<op>:=|==|!=|<=|>=|&&|\|\||\.\.\.|[^\s\w])
    """,
        re.VERBOSE | re.DOTALL | re.MULTILINE,
    ),
}


@dataclass
class _Tok:
    kind: str
    text: str
    start: int
    end: int


def _tokens(text: str, language: str, offset: int = 0) -> list[_Tok]:
    rx = _TOKEN_RES.get(language, _TOKEN_RES["lua"])
    return [
        _Tok(m.lastgroup or "op", m.group(), m.start() + offset, m.end() + offset)
        for m in rx.finditer(text)
        if m.lastgroup in ("comment", "string", "name", "num", "op")
    ]


def _window(text: str, pos: int) -> tuple[str, int]:
    """The text before ``pos`` from a line start at most :data:`WINDOW` characters back, and its offset."""
    start = max(0, pos - WINDOW)
    if start:
        nl = text.find("\n", start)
        start = nl + 1 if 0 <= nl < pos else start
    return text[start:pos], start


@dataclass
class _Open:
    char: str
    index: int  # token index of the bracket
    commas: int = 0
    pos: int = 0


@dataclass
class _Context:
    tokens: list[_Tok]
    stack: list[_Open]
    in_string_or_comment: bool


def _context(text: str, pos: int, language: str) -> _Context:
    chunk, off = _window(text, pos)
    toks = _tokens(chunk, language, off)
    inside = False
    if toks and toks[-1].end == pos and toks[-1].kind in ("string", "comment"):
        t = toks[-1]
        closed = _string_closed(t.text, language) if t.kind == "string" else _comment_closed(t.text)
        inside = not closed
    stack: list[_Open] = []
    pairs = {")": "(", "]": "[", "}": "{"}
    for i, t in enumerate(toks):
        if t.kind != "op":
            continue
        if t.text in "([{":
            stack.append(_Open(t.text, i, 0, t.start))
        elif t.text in ")]}":
            while stack and stack[-1].char != pairs[t.text]:
                stack.pop()
            if stack:
                stack.pop()
        elif t.text == "," and stack:
            stack[-1].commas += 1
    return _Context(toks, stack, inside)


def _string_closed(s: str, language: str) -> bool:
    if s.startswith("["):
        return bool(re.search(r"\](=*)\]$", s)) and len(s) >= 4
    if len(s) < 2 or s[-1] != s[0]:
        return False
    # an odd number of backslashes before the last quote means it is escaped
    k = len(s) - 2
    n = 0
    while k >= 1 and s[k] == "\\":
        n += 1
        k -= 1
    return n % 2 == 0


def _comment_closed(c: str) -> bool:
    if c.startswith("/*"):
        return c.endswith("*/") and len(c) >= 4
    if c.startswith("--["):
        return bool(re.search(r"\](=*)\]$", c))
    return False  # a line comment runs to the end of the line, where the cursor is


# ------------------------------------------------------------------------------------------------ reference access
_VIEWS: dict[tuple[int, str], LanguageView] = {}


def _ref(reference: Reference | None) -> Reference:
    return reference if reference is not None else get_reference()


def _view(ref: Reference, language: str) -> LanguageView:
    lang = language if languages.is_spell_language(language) else "lua"
    key = (id(ref), lang)
    v = _VIEWS.get(key)
    if v is None or v.ref is not ref:
        v = _VIEWS[key] = LanguageView(ref, lang)
    return v


def _method_completion(v: LanguageView, m: MethodRef) -> Completion:
    return Completion(v.name(m.name), "method", v.signature(m).text, first_sentence(m.summary), key=m.key)


# ------------------------------------------------------------------------------------------------ type inference
def _handle_types_of(ref: Reference, type_str: str) -> list[str]:
    names = {t.name for t in ref.types}
    out = []
    for atom in split_type(type_str):
        if atom in names and atom not in out:
            out.append(atom)
    return out


def infer_type(
    text: str, name: str, pos: int, language: str, reference: Reference | None = None, _depth: int = 0
) -> str:
    """The handle type of variable ``name`` at ``pos`` from its last assignment ``name = Owner.method(...)``
    (or ``obj:method(...)`` on a typed variable), or ``""``."""
    ref = _ref(reference)
    if not ref.types:
        return ""
    v = _view(ref, language)
    chunk, _ = _window(text, pos)
    assign = {
        "lua": r"(?:local\s+)?{n}\s*=\s*",
        "js": r"(?:(?:const|let|var)\s+)?{n}\s*=\s*(?:await\s+)?",
        "tengo": r"{n}\s*:?=\s*",
    }[v.language].format(n=re.escape(name))
    rx = re.compile(r"(?<![\w.$])" + assign + r"([A-Za-z_$][\w$]*)\s*([.:])\s*([A-Za-z_$][\w$]*)\s*[({\"']")
    found = ""
    for m in rx.finditer(chunk):
        owner, meth = m.group(1), m.group(3)
        mref = _resolve_method(ref, v, text, m.start() + (pos - len(chunk)), owner, meth, m.group(2), depth=_depth + 1)
        if mref is not None:
            types = _handle_types_of(ref, mref.returns_type)
            found = types[0] if types else ""
    if found:
        return found
    # by name: "agent", "research_agent", "myAgent" → Agent
    low = name.lower()
    for t in ref.types:
        tl = t.name.lower()
        if low == tl or low.endswith("_" + tl) or low.endswith(tl) and len(low) > len(tl):
            return t.name
    return ""


def _resolve_method(
    ref: Reference, v: LanguageView, text: str, pos: int, owner: str, meth: str, sep: str = ".", depth: int = 0
) -> MethodRef | None:
    """The method ``owner.meth`` / ``owner:meth``: on a global, or on a variable's (inferred) handle type."""
    g = ref.global_(owner)
    if g is not None and not (v.language == "lua" and sep == ":"):
        m = v.method_by_name(owner, meth, "global")
        if m is not None:
            return m
    tname = infer_type(text, owner, pos, v.language, ref, _depth=depth) if depth < 2 else ""
    if tname:
        m = v.method_by_name(tname, meth, "type")
        if m is not None:
            return m
    # unknown receiver: a method name that only one handle type has
    cands = [m for t in ref.types for m in t.methods if v.name(m.name) == meth]
    return cands[0] if len(cands) == 1 else None


def _callee(ctx: _Context, open_: _Open) -> tuple[str, str, str] | None:
    """``(owner, sep, method)`` of the call whose ``(`` is ``open_``; ``None`` when it is not ``a.b(`` / ``a:b(``."""
    i = open_.index
    t = ctx.tokens
    if (
        i >= 3
        and t[i - 1].kind == "name"
        and t[i - 2].kind == "op"
        and t[i - 2].text in (".", ":", "?.")
        and t[i - 3].kind == "name"
    ):
        # not a longer chain such as x.LLM.chat(
        if i >= 4 and t[i - 4].kind == "op" and t[i - 4].text in (".", ":"):
            return None
        return t[i - 3].text, t[i - 2].text, t[i - 1].text
    return None


def _call_result_type(ctx: _Context, close: int, text: str, v: LanguageView, ref: Reference) -> str:
    """The handle type returned by the call that ends with the ``)`` at token ``close``
    (``Agent.new({...})`` in ``Agent.new({...}):run(``), or ``""``."""
    t = ctx.tokens
    depth = 0
    j = close
    while j >= 0:
        if t[j].kind == "op" and t[j].text in ")]}":
            depth += 1
        elif t[j].kind == "op" and t[j].text in "([{":
            depth -= 1
            if depth == 0:
                break
        j -= 1
    if j < 3 or t[j].text != "(":
        return ""
    callee = _callee(ctx, _Open("(", j))
    if callee is None:
        return ""
    m = _resolve_method(ref, v, text, t[j].start, callee[0], callee[2], callee[1])
    types = _handle_types_of(ref, m.returns_type) if m is not None else []
    return types[0] if types else ""


def _chained_method(ctx: _Context, open_: _Open, text: str, v: LanguageView, ref: Reference) -> MethodRef | None:
    """The method of a call on a call's result: ``Agent.new({...}):run(``."""
    i = open_.index
    t = ctx.tokens
    if (
        i >= 3
        and t[i - 1].kind == "name"
        and t[i - 2].kind == "op"
        and t[i - 2].text in (".", ":", "?.")
        and t[i - 3].kind == "op"
        and t[i - 3].text == ")"
    ):
        tname = _call_result_type(ctx, i - 3, text, v, ref)
        if tname:
            return v.method_by_name(tname, t[i - 1].text, "type")
    return None


def _enclosing_call(
    text: str, pos: int, language: str, ref: Reference, ctx: _Context
) -> tuple[MethodRef, int, _Open] | None:
    """The innermost bridge call around ``pos``: (method, stack level of its "(", the "(")."""
    v = _view(ref, language)
    for level in range(len(ctx.stack) - 1, -1, -1):
        op = ctx.stack[level]
        if op.char != "(":
            continue
        callee = _callee(ctx, op)
        if callee is None:
            m = _chained_method(ctx, op, text, v, ref)
        else:
            owner, sep, meth = callee
            m = _resolve_method(ref, v, text, pos, owner, meth, sep)
        if m is not None:
            return m, level, op
    return None


# ------------------------------------------------------------------------------------------------ completion
def _word_before(text: str, pos: int, language: str) -> tuple[int, str]:
    rx = r"[\w$]*$" if language == "js" else r"\w*$"
    m = re.search(rx, text[max(0, pos - 200) : pos])
    word = m.group(0) if m else ""
    return pos - len(word), word


def _filter(items: Iterable[Completion], prefix: str) -> list[Completion]:
    low = prefix.lower()
    seen: set[tuple[str, str]] = set()
    out = []
    for c in items:
        if low and not c.label.lower().startswith(low):
            continue
        if (c.label, c.kind) in seen:
            continue
        seen.add((c.label, c.kind))
        out.append(c)
    # exact-case prefix matches first, stable otherwise
    return sorted(out, key=lambda c: (not c.label.startswith(prefix), c.label.lower()))


def _option_context(ctx: _Context, m: MethodRef, call_level: int) -> bool:
    """Whether the innermost ``{`` sits at the options position of the call at ``call_level``."""
    if not m.has_opts or call_level != len(ctx.stack) - 2 or ctx.stack[-1].char != "{":
        return False
    idx = ctx.stack[call_level].commas
    if idx == len(m.params):
        return True
    if idx < len(m.params):
        p = m.params[idx]
        tableish = any(a in ("table", "any") or a.startswith("list") or a[:1].isupper() for a in split_type(p.type))
        return not p.required and not tableish
    return False


def _keys_in_table(ctx: _Context, language: str) -> tuple[set[str], bool]:
    """Keys already written at the top level of the innermost table, and whether the cursor is at a key position."""
    open_ = ctx.stack[-1]
    sep = "=" if language == "lua" else ":"
    depth = 0
    keys: set[str] = set()
    since_sep: list[_Tok] = []
    toks = ctx.tokens[open_.index + 1 :]
    for j, t in enumerate(toks):
        if t.kind == "op" and t.text in "([{":
            depth += 1
        elif t.kind == "op" and t.text in ")]}":
            depth -= 1
        elif depth == 0 and t.kind == "op" and t.text in (",", ";"):
            since_sep = []
            continue
        elif depth == 0 and t.kind == "op" and t.text == sep and j and toks[j - 1].kind in ("name", "string"):
            keys.add(toks[j - 1].text.strip("\"'"))
        if depth == 0 or t.kind != "op":
            since_sep.append(t)
    at_key = not since_sep or (len(since_sep) == 1 and since_sep[0].kind == "name")
    return keys, at_key


def complete(
    text: str,
    pos: int,
    language: str,
    reference: Reference | None = None,
    explicit: bool = False,
    builtins: Iterable[str] = (),
) -> CompletionResult:
    """Completion candidates at ``pos``. ``explicit`` (Ctrl+Space) also lists everything for an empty word;
    ``builtins`` are the language's own global names (``print``, ``ipairs``, ``console``...) to offer for a word."""
    ref = _ref(reference)
    v = _view(ref, language)
    start, prefix = _word_before(text, pos, v.language)
    ctx = _context(text, start, v.language)
    if ctx.in_string_or_comment:
        return CompletionResult(start, prefix)
    toks = ctx.tokens
    # member access: owner . prefix  /  owner : prefix
    if toks and toks[-1].kind == "op" and toks[-1].text in (".", ":", "?.") and toks[-1].end == start:
        sep = toks[-1].text
        if len(toks) >= 2 and toks[-2].kind == "name" and toks[-2].end == toks[-1].start:
            owner = toks[-2].text
            if (
                len(toks) >= 3
                and toks[-3].kind == "op"
                and toks[-3].text in (".", ":")
                and toks[-3].end == toks[-2].start
            ):
                return CompletionResult(start, prefix, [], "member")
            return CompletionResult(start, prefix, _filter(_members(ref, v, text, start, owner, sep), prefix), "member")
        if len(toks) >= 2 and toks[-2].kind == "op" and toks[-2].text == ")":
            tname = _call_result_type(ctx, len(toks) - 2, text, v, ref)
            t = ref.type_(tname) if tname else None
            if t is not None and not (v.language == "lua" and sep != ":"):
                items = [_method_completion(v, m) for m in t.methods]
                return CompletionResult(start, prefix, _filter(items, prefix), "member")
        return CompletionResult(start, prefix, [], "member")
    # option keys inside a bridge call's {…}
    if ctx.stack and ctx.stack[-1].char == "{":
        call = _enclosing_call(text, start, v.language, ref, ctx)
        if call is not None:
            m, level, _ = call
            if _option_context(ctx, m, level):
                present, at_key = _keys_in_table(ctx, v.language)
                if at_key:
                    assign = " = " if v.language == "lua" else ": "
                    items = [
                        Completion(
                            v.name(o.name),
                            "option",
                            v.type(o.type),
                            first_sentence(o.doc),
                            insert=v.name(o.name) + assign,
                            key=m.key,
                        )
                        for o in m.options
                        if v.name(o.name) not in present
                    ]
                    return CompletionResult(start, prefix, _filter(items, prefix), "option")
    if not prefix and not explicit:
        return CompletionResult(start, prefix, [], "none")
    if toks and toks[-1].kind == "num" and toks[-1].end == start:
        return CompletionResult(start, prefix, [], "none")
    items: list[Completion] = []  # type: ignore[no-redef]
    for s in local_symbols(text, v.language, pos):
        if s.name == prefix and _count_word(text, s.name) <= 1:
            continue  # the word being typed
        detail = f"{s.kind}, line {s.line}" + (f": {s.type}" if s.type else "")
        items.append(Completion(s.name, s.kind, detail))
    for g in ref.globals:
        if v.has(g):
            items.append(Completion(g.name, "global", "global", first_sentence(g.summary), key=g.key))
    for kw in KEYWORDS[v.language]:
        items.append(Completion(kw, "keyword"))
    for name in builtins:
        items.append(Completion(name, "builtin"))
    return CompletionResult(start, prefix, _filter(items, prefix), "word")


def _count_word(text: str, word: str) -> int:
    return len(re.findall(r"(?<![\w$])" + re.escape(word) + r"(?![\w$])", text))


def _members(ref: Reference, v: LanguageView, text: str, pos: int, owner: str, sep: str) -> list[Completion]:
    lua = v.language == "lua"
    g = ref.global_(owner)
    if g is not None:
        # Lua calls a global's functions with '.', never ':'
        return [] if lua and sep == ":" else [_method_completion(v, m) for m in g.methods if v.has(m)]
    if lua and sep == ".":
        return []  # a handle's methods are called with ':' in Lua
    tname = infer_type(text, owner, pos, v.language, ref)
    if tname:
        t = ref.type_(tname)
        return [_method_completion(v, m) for m in t.methods if v.has(m)] if t else []
    if lua and sep == ":":
        out = []
        for t in ref.types:
            for m in t.methods:
                if not v.has(m):
                    continue
                c = _method_completion(v, m)
                c.detail = f"{t.name}: {c.detail}"
                out.append(c)
        return out
    return []


# ------------------------------------------------------------------------------------------------ call tips
def call_tip(text: str, pos: int, language: str, reference: Reference | None = None) -> CallTip | None:
    """The signature of the bridge call around ``pos`` with the current argument's character range."""
    ref = _ref(reference)
    v = _view(ref, language)
    ctx = _context(text, pos, v.language)
    if ctx.in_string_or_comment and not ctx.stack:
        return None
    call = _enclosing_call(text, pos, v.language, ref, ctx)
    if call is None:
        return None
    m, level, op = call
    idx = op.commas
    sig = v.signature(m)
    if level < len(ctx.stack) - 1 and ctx.stack[level + 1].char == "{" and _option_context(ctx, m, level):
        idx = len(m.params)  # inside the options table
    hl = sig.ranges[idx] if idx < len(sig.ranges) else None
    doc = first_sentence(m.summary)
    if level == len(ctx.stack) - 2 and _option_context(ctx, m, level):
        key = _current_key(ctx, v.language)
        opt = next((o for o in m.options if v.name(o.name) == key), None)
        if opt is not None:
            doc = f"{v.name(opt.name)}: {v.type(opt.type)} — {opt.doc}"
    return CallTip(sig.text, hl, idx, m.key, doc, op.pos)


def _current_key(ctx: _Context, language: str) -> str | None:
    """The key of the table entry the cursor is in (``max_tokens`` in ``{max_tokens = 1|``), if any."""
    sep = "=" if language == "lua" else ":"
    depth = 0
    entry: list[_Tok] = []
    for t in ctx.tokens[ctx.stack[-1].index + 1 :]:
        if t.kind == "op" and t.text in "([{":
            depth += 1
        elif t.kind == "op" and t.text in ")]}":
            depth -= 1
        elif depth == 0 and t.kind == "op" and t.text in (",", ";"):
            entry = []
            continue
        if depth == 0 or t.kind != "op":
            entry.append(t)
    if len(entry) >= 2 and entry[0].kind in ("name", "string") and entry[1].kind == "op" and entry[1].text == sep:
        return entry[0].text.strip("\"'")
    return None


# ------------------------------------------------------------------------------------------------ hover, F1
def _word_at(text: str, pos: int, language: str) -> tuple[int, int]:
    chars = r"[\w$]" if language == "js" else r"\w"
    s = pos
    while s > 0 and re.match(chars, text[s - 1]):
        s -= 1
    e = pos
    while e < len(text) and re.match(chars, text[e]):
        e += 1
    return s, e


def symbol_at(text: str, pos: int, language: str, reference: Reference | None = None) -> str | None:
    """The reference key of the bridge name under ``pos`` (``global:LLM.chat``, ``global:JSON``,
    ``type:Agent.run``) for F1, or ``None``."""
    ref = _ref(reference)
    v = _view(ref, language)
    s, e = _word_at(text, pos, v.language)
    if s == e:
        return None
    word = text[s:e]
    before = text[max(0, s - 200) : s]
    mo = re.search(r"([A-Za-z_$][\w$]*)\s*([.:])\s*$", before)
    if mo:
        m = _resolve_method(ref, v, text, s, mo.group(1), word, mo.group(2))
        if m is not None:
            return m.key
    after = text[e : e + 200]
    ma = re.match(r"\s*([.:])\s*([A-Za-z_$][\w$]*)", after)
    g = ref.global_(word)
    if g is not None and not mo:
        if ma:
            m = _resolve_method(ref, v, text, s, word, ma.group(2), ma.group(1))
            if m is not None and m.owner == word:
                return g.key  # on the owner of a call: the global's page
        return g.key
    if ref.type_(word) is not None:
        return f"type:{word}"
    return None


def _option_under(text: str, pos: int, v: LanguageView, ref: Reference) -> tuple[MethodRef, Any] | None:
    """``(method, option)`` when ``pos`` is on a key of a bridge call's options table (``{max_tokens = 1}``)."""
    s, e = _word_at(text, pos, v.language)
    if s == e or not re.match(r"\s*" + ("=(?!=)" if v.language == "lua" else ":"), text[e : e + 40]):
        return None
    ctx = _context(text, s, v.language)
    if ctx.in_string_or_comment or not ctx.stack or ctx.stack[-1].char != "{":
        return None
    call = _enclosing_call(text, s, v.language, ref, ctx)
    if call is None or not _option_context(ctx, call[0], call[1]):
        return None
    word = text[s:e]
    o = next((o for o in call[0].options if v.name(o.name) == word), None)
    return (call[0], o) if o is not None else None


def hover(text: str, pos: int, language: str, reference: Reference | None = None) -> str | None:
    """Plain-text documentation for the name under ``pos``: a bridge method or global, or a local of the file."""
    ref = _ref(reference)
    v = _view(ref, language)
    opt = _option_under(text, pos, v, ref)
    if opt is not None:
        m, o = opt
        return f"{v.qualname(m)} option {v.name(o.name)}: {v.type(o.type)}\n\n{o.doc}"
    key = symbol_at(text, pos, v.language, ref)
    if key:
        item = ref.find(key)
        if isinstance(item, MethodRef):
            lines = [v.signature(item).text, "", item.summary]
            for p in item.params:
                lines.append(f"  {v.name(p.name)}: {p.doc}")
            for o in item.options:
                lines.append(f"  opts.{v.name(o.name)}: {o.doc}")
            if item.returns_doc:
                lines.append(f"Returns: {item.returns_doc}")
            return "\n".join(lines)
        if item is not None:
            kind = "global" if item.kind == "global" else "handle type"
            names = ", ".join(v.name(m.name) for m in item.methods)
            return f"{item.name} ({kind})\n\n{item.summary}\n\nMethods: {names}"
    s, e = _word_at(text, pos, v.language)
    word = text[s:e]
    if not word:
        return None
    for sym in local_symbols(text, v.language, pos):
        if sym.name == word:
            t = sym.type or infer_type(text, word, pos, v.language, ref)
            return f"{sym.kind} {word} (line {sym.line})" + (f": {t}" if t else "")
    return None


# ------------------------------------------------------------------------------------------------ locals
#: The local-symbol rules of each spell language, compiled from the registry's ``local_patterns``.
_LOCAL_RULES: dict[str, list[tuple[str, re.Pattern[str]]]] = {
    lang.id: [(kind, re.compile(pattern)) for kind, pattern in lang.local_patterns]
    for lang in languages.LANGUAGES.values()
}


def _strings_and_comments_re(language: str) -> re.Pattern[str]:
    """Only the comment and string alternatives of the language's token pattern (scanned left to right)."""
    rx = _SC_RES.get(language)
    if rx is None:
        src = _TOKEN_RES[language].pattern
        body = src[: src.index("| (?P<name>")]
        rx = _SC_RES[language] = re.compile(body, re.VERBOSE | re.DOTALL | re.MULTILINE)
    return rx


_SC_RES: dict[str, re.Pattern[str]] = {}
_NOT_NL = re.compile(r"[^\n]")


def _blank_strings_and_comments(text: str, language: str) -> str:
    """``text`` with string and comment contents replaced by spaces (offsets and newlines kept)."""
    return _strings_and_comments_re(language).sub(lambda m: _NOT_NL.sub(" ", m.group()), text)


_LOCALS_CACHE: dict[str, tuple[str, list[LocalSymbol]]] = {}


#: Past this size, :func:`local_symbols` scans only a window around the cursor (keystrokes stay cheap).
LOCALS_WINDOW = 120_000


def local_symbols(text: str, language: str, pos: int | None = None) -> list[LocalSymbol]:
    """The file's own functions, locals and parameters (a simple scan, first definition of each name).

    In a file longer than :data:`LOCALS_WINDOW` characters and with ``pos`` given, only the text around ``pos``
    (mostly before it) is scanned."""
    lang = language if language in _LOCAL_RULES else "lua"
    start = 0
    if pos is not None and len(text) > LOCALS_WINDOW:
        start = max(0, pos - LOCALS_WINDOW * 3 // 4)
        nl = text.find("\n", start)
        start = nl + 1 if start and nl >= 0 else start
        end = min(len(text), start + LOCALS_WINDOW)
        chunk = text[start:end]
    else:
        chunk = text
    cached = _LOCALS_CACHE.get(lang)
    if cached is not None and cached[0] == chunk:
        result = cached[1]
    else:
        result = _scan_locals(chunk, lang)
        _LOCALS_CACHE[lang] = (chunk, result)
    if start:
        first_line = text.count("\n", 0, start)
        return [LocalSymbol(s.name, s.kind, s.line + first_line, s.type) for s in result]
    return list(result)


def _scan_locals(text: str, lang: str) -> list[LocalSymbol]:
    """Declared names from the parse tree (app/lint/symbols.py); while the text does not parse (half-typed code,
    or Tengo, which has no tree-sitter grammar) the line-based scan adds what the broken tree cannot show."""
    names, complete = declared_names(text, lang)
    found: dict[str, LocalSymbol] = {}
    keywords = set(KEYWORDS[lang])
    for name, kind, line in sorted(names, key=lambda x: x[2]):
        if name not in found and name not in keywords:
            found[name] = LocalSymbol(name, kind, line)
    if not complete:
        for sym in _regex_locals(text, lang):
            found.setdefault(sym.name, sym)
    return sorted(found.values(), key=lambda s: (s.line, s.name))


def _regex_locals(text: str, lang: str) -> list[LocalSymbol]:
    clean = _blank_strings_and_comments(text, lang)
    found: dict[str, LocalSymbol] = {}
    line_starts = [0] + [m.end() for m in re.finditer(r"\n", clean)]

    def line_of(off: int) -> int:
        lo, hi = 0, len(line_starts) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if line_starts[mid] <= off:
                lo = mid
            else:
                hi = mid - 1
        return lo + 1

    keywords = set(KEYWORDS[lang])

    def add(name: str, kind: str, off: int) -> None:
        name = name.strip()
        if name in found:
            return
        if "<" in name:
            name = _ATTRIB.sub("", name).strip()
        if name in keywords or not _IDENT.fullmatch(name):
            return
        found[name] = LocalSymbol(name, kind, line_of(off))

    for kind, rx in _LOCAL_RULES[lang]:
        for m in rx.finditer(clean):
            if kind == "function":
                fname = m.group(1)
                if lang == "lua" and re.search(r"[.:]", fname):
                    pass  # a method on a table: not a completable plain name
                else:
                    add(fname, "function", m.start(1))
                for p in _param_names(m.group(2) if m.lastindex and m.lastindex >= 2 else ""):
                    add(p, "param", m.start(2))
            elif kind == "param":
                for p in _param_names(m.group(1)):
                    add(p, "param", m.start(1))
            else:
                for n in m.group(1).split(","):
                    add(n, kind, m.start(1))
    return sorted(found.values(), key=lambda s: (s.line, s.name))


_IDENT = re.compile(r"[A-Za-z_$][\w$]*")
_ATTRIB = re.compile(r"<\w+>")
_PARAM_END = re.compile(r"[=:\s]")


def _param_names(params: str) -> list[str]:
    out = []
    for p in params.split(","):
        p = _PARAM_END.split(p.strip(), maxsplit=1)[0].lstrip(".")
        if p:
            out.append(p)
    return out


# ------------------------------------------------------------------------------------------------ typing driver
@dataclass
class Suggestion:
    """What the editor should show after a typed character (see :func:`on_char_added`)."""

    completion: CompletionResult | None = None
    call_tip: CallTip | None = None
    cancel_call_tip: bool = False
    #: close an open completion list: the typed word is complete (it equals the only candidate) or matches nothing
    close_list: bool = False


#: Word completion pops up after this many identifier characters (option keys and members after one or none).
MIN_WORD_PREFIX = 2


def on_char_added(
    text: str, pos: int, language: str, ch: str, reference: Reference | None = None, builtins: Iterable[str] = ()
) -> Suggestion:
    """One entry point for an editor's ``charAdded``: ``text`` is the buffer after typing ``ch``, ``pos`` the
    cursor (a character offset). Returns the completion list to show (``None``: leave it), the call tip to show
    or whether to cancel it.

    A Scintilla adapter: ``autoCShow(char_to_byte(text, pos) - char_to_byte(text, result.start), "\\n".join(labels))``
    and, on ``autoCompletionSelection``, replace the label with :meth:`CompletionResult.insert_for`."""
    ref = _ref(reference)
    out = Suggestion()
    if ch in ".:":
        res = complete(text, pos, language, ref)
        if res.items:
            out.completion = res
        return out
    if ch in "(,":
        out.call_tip = call_tip(text, pos, language, ref)
        out.cancel_call_tip = out.call_tip is None
        if ch == ",":
            res = complete(text, pos, language, ref)
            if res.context == "option" and res.items:
                out.completion = res
        return out
    if ch == "{":
        res = complete(text, pos, language, ref)
        if res.context == "option" and res.items:
            out.completion = res
        out.call_tip = call_tip(text, pos, language, ref)
        return out
    if ch == ")":
        out.call_tip = call_tip(text, pos, language, ref)
        out.cancel_call_tip = out.call_tip is None
        return out
    if ch.isalnum() or ch in "_$":
        res = complete(text, pos, language, ref, builtins=builtins)
        need = 1 if res.context in ("member", "option") else MIN_WORD_PREFIX
        exact = len(res.items) == 1 and res.items[0].label == res.prefix
        if res.items and len(res.prefix) >= need and not exact:
            out.completion = res
        out.close_list = exact or not res.items
        return out
    return out


# ------------------------------------------------------------------------------------------------ Scintilla driver
class EditorDriver:
    """Connects the functions above to a Scintilla editor, without importing Qt (duck typing).

    A drop-in for ``app.ui.completion.Completer``: ``EditorDriver(editor)`` sets ``editor.completer`` to itself, and
    the editor calls :meth:`char_added` from ``charAdded``. The editor must provide ``text() -> str``,
    ``language``, and the ScintillaEdit calls ``currentPos``, ``autoCShow``, ``autoCActive``, ``callTipShow``,
    ``callTipSetHlt``, ``callTipActive``, ``callTipCancel`` (its auto-completion separator must be ``"\\n"``).
    :meth:`hover_text` gives the text to show on ``dwellStart``; :meth:`symbol` the key for F1."""

    def __init__(self, editor: Any, reference: Reference | None = None):
        self.editor = editor
        self.reference = reference
        self._shown: CompletionResult | None = None
        editor.completer = self
        selection = getattr(editor, "autoCompleteSelection", None)
        if selection is not None and hasattr(selection, "connect"):
            selection.connect(self.on_selection)

    def on_selection(self, position: int, label: str) -> None:
        """``autoCompleteSelection(position, text)``: insert the candidate's full text (an option key gets
        `` = `` / ``: ``) instead of the bare label, then bring the call tip back (showing the list hid it)."""
        shown, self._shown = self._shown, None
        insert = shown.insert_for(label) if shown is not None else label
        if insert != label:
            self.editor.autoCCancel()  # Scintilla then inserts nothing: we do
            self.editor.setSel(position, self.editor.currentPos())
            self.editor.replaceSel(insert)
        text, pos, _, lang = self._state()
        if insert != label:
            tip = call_tip(text, pos, lang, self.reference)
            if tip is not None:
                self.show_call_tip(tip, text)

    def _builtins(self) -> list[str]:
        """The language's own global names from the editor's language spec (``spec.builtins``, ``spec.libs``)."""
        spec = getattr(self.editor, "spec", None)
        words = f"{getattr(spec, 'builtins', '')} {getattr(spec, 'libs', '')}".split()
        words += list(getattr(self.editor, "extra_words", ()))  # e.g. the test API in test files
        return [w for w in dict.fromkeys(words) if w.isidentifier()]

    def _state(self) -> tuple[str, int, int, str]:
        text = self.editor.text()
        bpos = int(self.editor.currentPos())
        lang = getattr(self.editor, "language", "lua")
        return text, byte_to_char(text, bpos), bpos, lang

    def char_added(self, ch: int) -> None:
        """Called by the editor after each typed character."""
        text, pos, bpos, lang = self._state()
        if not languages.is_spell_language(lang):
            return
        try:
            s = on_char_added(text, pos, lang, chr(ch), self.reference, self._builtins())
        except Exception:  # completion must never break typing
            log.exception("completion failed")
            return
        # Scintilla shows one at a time (a call tip cancels the list, the list hides the tip): the tip first, so
        # option keys offered after "{" or "," stay up; choosing one brings the tip back (on_selection)
        if s.call_tip is not None:
            self.show_call_tip(s.call_tip, text)
        elif s.cancel_call_tip and self.editor.callTipActive():
            self.editor.callTipCancel()
        if s.completion is not None:
            typed = bpos - char_to_byte(text, s.completion.start)
            self._shown = s.completion
            self.editor.autoCShow(typed, "\n".join(s.completion.labels()))
        elif s.close_list and self.editor.autoCActive():  # "end" typed in full: Enter must start a new line
            self._shown = None
            self.editor.autoCCancel()

    def complete_now(self) -> None:
        """Ctrl+Space: show every candidate at the caret."""
        text, pos, bpos, lang = self._state()
        res = complete(text, pos, lang, self.reference, explicit=True, builtins=self._builtins())
        if res.items:
            self._shown = res
            self.editor.autoCShow(bpos - char_to_byte(text, res.start), "\n".join(res.labels()))

    def show_call_tip(self, tip: CallTip | None = None, text: str | None = None) -> None:
        """Show ``tip`` (default: the one at the caret) with its current argument highlighted."""
        if tip is None or text is None:
            text, pos, _, lang = self._state()
            tip = call_tip(text, pos, lang, self.reference)
            if tip is None:
                return
        at = char_to_byte(text, tip.call_start)
        fit = self._columns_from(at)
        if fit < min(len(tip.text), 60):  # too near the right edge: show it from the line's start instead
            at = self.editor.positionFromLine(self.editor.lineFromPosition(at))
            fit = self._columns_from(at)
        doc = "\n".join(textwrap.fill(line, max(30, fit)) for line in tip.doc.splitlines()) if tip.doc else ""
        body = tip.text + (f"\n{doc}" if doc else "")
        self.editor.callTipShow(at, body)
        if tip.highlight:
            a, b = tip.highlight
            self.editor.callTipSetHlt(char_to_byte(tip.text, a), char_to_byte(tip.text, b))

    def _columns_from(self, byte_pos: int) -> int:
        """How many characters fit between ``byte_pos`` and the editor's right edge (call tips stay inside the
        window); a large number when the editor cannot say."""
        e = self.editor
        try:
            x = int(e.pointXFromPosition(byte_pos))
            width = int(e.width()) - x - 24
            char = max(1, int(e.textWidth(38, "M")))  # STYLE_CALLTIP
        except (AttributeError, TypeError):
            return 10_000
        return max(0, width // char)

    def hover_text(self, byte_pos: int) -> str | None:
        """Documentation for the name at Scintilla position ``byte_pos`` (for ``dwellStart``)."""
        text = self.editor.text()
        return hover(text, byte_to_char(text, byte_pos), getattr(self.editor, "language", "lua"), self.reference)

    def symbol(self) -> str | None:
        """The reference key of the name at the caret (for F1 → ``ReferencePanel.show_symbol``)."""
        text, pos, _, lang = self._state()
        return symbol_at(text, pos, lang, self.reference)
