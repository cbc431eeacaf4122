"""The bridge reference as data: one language-neutral description built from the registry, plus per-language views.

:func:`build_reference` introspects :mod:`app.bridges.registry` (signatures, type hints, docstrings in the format of
``docs/bridge-docstrings.md``) and returns a :class:`Reference`. Everything else — the in-app browser, completion and
call tips, the HTML/Markdown site, the LuaLS ``---@meta`` files and the ``.d.ts`` — reads that object, so a new bridge
method appears everywhere without another edit.

:class:`LanguageView` spells the neutral description in one spell language: names (Lua and Tengo keep the Python
snake_case, JavaScript gets camelCase, option keys included), type spelling, signatures with the character range of
each argument (for call tips), call snippets and the example for that language (Tengo examples are taken from the
docstring when present, otherwise derived from the Lua example when it is simple enough, otherwise omitted with a
note).

Qt-free.
"""

from __future__ import annotations

import logging
import re
import typing
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import Any

from app import languages
from app.bridges import registry
from app.bridges.errors import CODES
from app.engines.base import camel_case

log = logging.getLogger(__name__)

#: Version in which the initial API appeared; methods without a ``Since:`` line or ``since`` attribute get it.
INITIAL_VERSION = "0.1.0"

_SINCE_LINE = re.compile(r"^\s*Since:\s*(\S+?)\.?\s*$", re.MULTILINE)
_SINCE_TAIL = re.compile(r"\s*Since:\s*(\S+?)\.?\s*$")
_PRIMITIVES = ("any", "nil", "string", "integer", "number", "boolean", "table", "list", "function")


# ------------------------------------------------------------------------------------------------ neutral model
@dataclass
class ParamRef:
    """One positional parameter. ``type`` uses the registry's neutral spelling (``string``, ``list[string]``...)."""

    name: str
    type: str
    required: bool
    doc: str = ""
    default: Any = None
    is_callback: bool = False


@dataclass
class OptionRef:
    """One key of a method's options table (the trailing ``opts`` parameter)."""

    name: str
    type: str
    doc: str = ""
    required: bool = False


@dataclass
class ErrorRef:
    """An error a method documents: a code from :data:`app.bridges.errors.CODES` (or ``""``) and when it happens."""

    code: str
    text: str


@dataclass
class FieldRef:
    """A field of a record type (a ``TypedDict`` used as a parameter or return type)."""

    name: str
    type: str
    required: bool
    doc: str = ""


@dataclass
class RecordRef:
    """A structured value type (``TypedDict``) that appears in a signature."""

    name: str
    summary: str
    fields: list[FieldRef]


@dataclass
class MethodRef:
    """One method of a global (``JSON.encode``) or of a handle type (``agent:run``)."""

    owner: str
    owner_kind: str  # "global" or "type"
    name: str
    summary: str
    body: str
    params: list[ParamRef]
    options: list[OptionRef]
    has_opts: bool
    returns_type: str
    returns_doc: str
    errors: list[ErrorRef]
    examples: dict[str, str]
    since: str
    languages: tuple[str, ...] | None = None  # the spell languages that have it (None: all)

    @property
    def qualname(self) -> str:
        """Neutral qualified name, ``Owner.method`` (handle types too; views spell ``:`` for Lua)."""
        return f"{self.owner}.{self.name}"

    @property
    def key(self) -> str:
        """Unique id: ``global:JSON.encode`` or ``type:Agent.run``."""
        return f"{self.owner_kind}:{self.qualname}"


@dataclass
class GlobalRef:
    """A global (``kind == "global"``) or a handle type (``kind == "type"``) with its methods, sorted by name."""

    name: str
    kind: str
    summary: str
    body: str
    since: str
    methods: list[MethodRef]
    languages: tuple[str, ...] | None = None  # the spell languages that have it (None: all)

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.name}"

    def method(self, name: str) -> MethodRef | None:
        for m in self.methods:
            if m.name == name:
                return m
        return None


@dataclass
class Reference:
    """The whole spell API: globals in registry order, then handle types, then record types."""

    globals: list[GlobalRef]
    types: list[GlobalRef]
    records: list[RecordRef] = field(default_factory=list)

    def all(self) -> list[GlobalRef]:
        """Globals then handle types."""
        return [*self.globals, *self.types]

    def methods(self) -> list[MethodRef]:
        return [m for g in self.all() for m in g.methods]

    def global_(self, name: str) -> GlobalRef | None:
        return next((g for g in self.globals if g.name == name), None)

    def type_(self, name: str) -> GlobalRef | None:
        return next((t for t in self.types if t.name == name), None)

    def record(self, name: str) -> RecordRef | None:
        return next((r for r in self.records if r.name == name), None)

    def find(self, key: str) -> GlobalRef | MethodRef | None:
        """Resolve ``global:JSON``, ``type:Agent.run``, ``JSON.encode``, ``JSON:encode``, ``jsonEncode``-free names.

        Accepts neutral names and JS camelCase method names; globals win over types of the same name."""
        kind = None
        if key.startswith(("global:", "type:")):
            kind, key = key.split(":", 1)
        owner, sep, meth = re.sub(r"[:]", ".", key).partition(".")
        pools = [g for g in self.all() if kind is None or g.kind == kind]
        for g in pools:
            if g.name != owner:
                continue
            if not sep:
                return g
            for m in g.methods:
                if meth in (m.name, camel_case(m.name)):
                    return m
        return None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able data (used by the ``json`` output format)."""

        def g(x: GlobalRef) -> dict[str, Any]:
            d = asdict(x)
            for md in d["methods"]:
                for p in md["params"]:
                    if not isinstance(p["default"], (type(None), bool, int, float, str)):
                        p["default"] = repr(p["default"])
            return d

        return {
            "globals": [g(x) for x in self.globals],
            "types": [g(x) for x in self.types],
            "records": [asdict(r) for r in self.records],
        }


def _since(obj: Any, summary: str, body: str) -> tuple[str, str, str]:
    """The since-version from a ``Since: X`` line in the prose (or at the end of the summary paragraph) or a
    ``since`` attribute; returns ``(since, summary, body)`` with the line removed."""
    m = _SINCE_LINE.search(body or "")
    if m:
        body = (body[: m.start()] + body[m.end() :]).strip()
        return m.group(1), summary, body
    m = _SINCE_TAIL.search(summary or "")
    if m:
        return m.group(1), summary[: m.start()].rstrip(), body
    since = getattr(obj, "since", None)
    return (str(since) if since else INITIAL_VERSION), summary, body


def _parse_errors(text: str) -> list[ErrorRef]:
    """Split an ``Errors:`` section into entries; a line starting with an error code starts a new entry."""
    out: list[ErrorRef] = []
    code_re = re.compile(r"^[-*•]?\s*`{0,2}(" + "|".join(map(re.escape, CODES)) + r")`{0,2}\b[\s:—–-]*(.*)$")
    for raw in (text or "").splitlines():
        line = raw.strip()
        if not line:
            continue
        m = code_re.match(line)
        if m:
            out.append(ErrorRef(m.group(1), m.group(2).strip()))
        elif out:
            out[-1].text = (out[-1].text + " " + line).strip()
        else:
            out.append(ErrorRef("", line))
    return out


def _examples(doc: registry.DocInfo) -> dict[str, str]:
    aliases = {"javascript": "js", "lua54": "lua", "ts": "js"}
    out: dict[str, str] = {}
    for lang, code in doc.examples.items():
        out[aliases.get(lang, lang)] = code.rstrip()
    return out


def _collect_records(annotations: Iterable[Any], found: dict[str, type]) -> None:
    """Find TypedDict classes inside annotations (recursively through unions, lists and record fields)."""
    for ann in annotations:
        if ann is None:
            continue
        if registry._is_typeddict(ann):  # noqa: SLF001 - the registry's own predicate, shared on purpose
            name = ann.__name__
            if name in found:
                continue
            found[name] = ann
            try:
                _collect_records(typing.get_type_hints(ann).values(), found)
            except Exception:  # pragma: no cover - broken annotation in a bridge: report and go on
                log.exception("cannot read fields of %s", name)
            continue
        _collect_records(typing.get_args(ann), found)


def _record(cls: type) -> RecordRef:
    doc = registry.parse_docstring(cls.__doc__)
    docs = {**doc.args, **doc.options}
    hints = typing.get_type_hints(cls)
    required = getattr(cls, "__required_keys__", frozenset(hints))
    fields = [
        FieldRef(k, registry._type_name(v), k in required, docs.get(k, ""))  # noqa: SLF001
        for k, v in hints.items()
    ]
    return RecordRef(cls.__name__, doc.summary, fields)


def _method(g: registry.GlobalInfo, m: registry.MethodInfo) -> MethodRef:
    since, summary, body = _since(m.func, m.doc.summary, m.doc.body)
    langs = m.languages if m.languages is not None else g.languages
    params = [ParamRef(p.name, p.type, p.required, p.doc, p.default, p.is_callback) for p in m.params]
    options = [OptionRef(o.name, o.type, o.doc, o.required) for o in m.options]
    return MethodRef(
        owner=g.name,
        owner_kind=g.kind,
        name=m.name,
        summary=summary,
        body=body,
        params=params,
        options=options,
        has_opts=m.has_opts,
        returns_type=m.returns,
        returns_doc=m.doc.returns,
        errors=_parse_errors(m.doc.errors),
        examples=_examples(m.doc),
        since=since,
        languages=tuple(langs) if langs is not None else None,
    )


def build_reference(
    globals_info: list[registry.GlobalInfo] | None = None, types_info: list[registry.GlobalInfo] | None = None
) -> Reference:
    """Turn the registry (or the given infos, for tests) into a :class:`Reference`."""
    gl = registry.globals_info() if globals_info is None else globals_info
    ty = registry.types_info() if types_info is None else types_info
    records: dict[str, type] = {}

    def conv(g: registry.GlobalInfo) -> GlobalRef:
        since, summary, body = _since(g.cls, g.doc.summary, g.doc.body)
        methods = [_method(g, m) for _, m in sorted(g.methods.items())]
        for m in g.methods.values():
            anns = [v for k, v in m.hints.items() if k != "opts"]
            if m.options_type is not None and registry._is_typeddict(m.options_type):  # noqa: SLF001
                try:
                    anns.extend(typing.get_type_hints(m.options_type).values())
                except Exception:  # pragma: no cover
                    log.exception("cannot read options of %s.%s", g.name, m.name)
            _collect_records(anns, records)
        return GlobalRef(
            g.name, g.kind, summary, body, since, methods, tuple(g.languages) if g.languages is not None else None
        )

    ref = Reference([conv(g) for g in gl], [conv(t) for t in ty])
    ref.records = [_record(records[n]) for n in sorted(records)]
    return ref


@lru_cache(maxsize=1)
def get_reference() -> Reference:
    """The reference of the live registry, built once per process (the registry does not change at run time)."""
    return build_reference()


# ------------------------------------------------------------------------------------------------ type expressions
def split_type(t: str) -> list[str]:
    """Split a neutral type string at top-level ``|``: ``list[string|nil]|nil`` → ``['list[string|nil]', 'nil']``."""
    parts, depth, cur = [], 0, ""
    for ch in t or "any":
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        if ch == "|" and depth == 0:
            parts.append(cur.strip())
            cur = ""
        else:
            cur += ch
    parts.append(cur.strip())
    return [p for p in parts if p]


def type_names(t: str) -> list[str]:
    """Every named (non-primitive, non-literal) type mentioned in a type string: handle types and records."""
    return [n for n in re.findall(r"[A-Za-z_]\w*", t or "") if n not in _PRIMITIVES]


# ------------------------------------------------------------------------------------------------ language views
@dataclass
class Signature:
    """A signature string with the ``[start, end)`` character range of each argument (options table last)."""

    text: str
    ranges: list[tuple[int, int]]


class LanguageView:
    """The reference spelled in one spell language (``lua``, ``js`` or ``tengo``)."""

    def __init__(self, ref: Reference, language: str):
        if language not in languages.LANGUAGES:
            raise ValueError(f"unknown language {language!r}")
        self.ref = ref
        self.language = language
        self.title = languages.get(language).name
        self._handle_names = {t.name for t in ref.types}
        self._record_names = {r.name for r in ref.records}

    # availability -----------------------------------------------------------------------------------------------
    def has(self, item: GlobalRef | MethodRef) -> bool:
        """Whether this language has the global or method (``Task`` is Lua and Tengo; JavaScript uses promises)."""
        return item.languages is None or self.language in item.languages

    def async_twin(self, m: MethodRef) -> str | None:
        """JavaScript's Promise-returning twin of a bridge method (``LLM.completeAsync``); None elsewhere and
        for globals implemented in the worker."""
        if self.language != "js" or m.languages is not None:
            return None
        return self.qualname(m) + "Async"

    # names ------------------------------------------------------------------------------------------------------
    def name(self, python_name: str) -> str:
        """A method, parameter or option name in this language (camelCase for JS)."""
        return camel_case(python_name) if self.language == "js" else python_name

    def receiver(self, type_name: str) -> str:
        """The conventional variable for a handle of ``type_name``: ``Agent`` → ``agent``."""
        return type_name[:1].lower() + type_name[1:]

    def qualname(self, m: MethodRef) -> str:
        """``JSON.encode``; handle methods ``agent:run`` (Lua) or ``agent.run`` (JS, Tengo). In Tengo a method
        named like a keyword is indexed: ``Log["error"]`` (``Log.error`` does not parse there)."""
        owner = self.receiver(m.owner) if m.owner_kind == "type" else m.owner
        if self.language == "tengo" and m.name in TENGO_KEYWORDS:
            return f'{owner}["{m.name}"]'
        sep = ":" if m.owner_kind == "type" and self.language == "lua" else "."
        return f"{owner}{sep}{self.name(m.name)}"

    def method_by_name(self, owner: str, name: str, kind: str | None = None) -> MethodRef | None:
        """Find a method by its spelling in this language."""
        for g in self.ref.all():
            if g.name == owner and (kind is None or g.kind == kind):
                for m in g.methods:
                    if self.name(m.name) == name or m.name == name:
                        return m
        return None

    # types ------------------------------------------------------------------------------------------------------
    def type(self, t: str) -> str:
        """Spell a neutral type string for this language."""
        parts = [self._atom(a) for a in split_type(t)]
        out: list[str] = []
        for p in parts:
            if p not in out:
                out.append(p)
        if self.language != "js":
            return "|".join(out)
        if len(out) > 1:  # a function type inside a union must be parenthesized in TypeScript
            out = [f"({p})" if "=>" in p else p for p in out]
        return " | ".join(out)

    def _atom(self, a: str) -> str:
        lang = self.language
        if a.startswith("list[") and a.endswith("]"):
            inner = self.type(a[5:-1])
            if lang == "tengo":
                return "array"
            if "|" in inner:
                inner = f"({inner})"
            return f"{inner}[]"
        if a.startswith(("'", '"')):
            return '"' + a[1:-1] + '"' if lang != "tengo" else "string"
        if re.fullmatch(r"-?\d+(\.\d+)?|True|False|None", a):
            return {"True": "true", "False": "false", "None": "nil" if lang != "js" else "null"}.get(a, a)
        table = {
            "lua": {
                "any": "any",
                "nil": "nil",
                "string": "string",
                "integer": "integer",
                "number": "number",
                "boolean": "boolean",
                "table": "table",
                "list": "any[]",
                "function": "function",
            },
            "js": {
                "any": "any",
                "nil": "null",
                "string": "string",
                "integer": "number",
                "number": "number",
                "boolean": "boolean",
                "table": "Record<string, any>",
                "list": "any[]",
                "function": "(...args: any[]) => any",
            },
            "tengo": {
                "any": "any",
                "nil": "undefined",
                "string": "string",
                "integer": "int",
                "number": "float",
                "boolean": "bool",
                "table": "map",
                "list": "array",
                "function": "func",
            },
        }[lang]
        if a in table:
            return table[a]
        if a in self._handle_names or a in self._record_names:
            return a if lang != "tengo" else ("map" if a in self._record_names else a)
        return "any" if lang != "tengo" else "any"

    def literal(self, value: Any) -> str:
        """A Python default value as a literal of this language."""
        if value is None:
            return {"lua": "nil", "js": "null", "tengo": "undefined"}[self.language]
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, (int, float)):
            return repr(value)
        if isinstance(value, str):
            return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
        return repr(value)

    # signatures -------------------------------------------------------------------------------------------------
    def options_summary(self, m: MethodRef, limit: int = 4) -> str:
        """``{pretty?: boolean, sort_keys?: boolean}`` (names only past ``limit`` keys)."""
        if not m.options:
            return "table" if self.language != "js" else "object"
        if len(m.options) > limit:
            return "{" + ", ".join(self.name(o.name) for o in m.options[:limit]) + ", …}"
        return "{" + ", ".join(f"{self.name(o.name)}?: {self.type(o.type)}" for o in m.options) + "}"

    def param_type(self, p: ParamRef) -> str:
        """The parameter's type; an optional parameter's ``|nil`` is left to the ``?`` mark."""
        t = p.type
        if not p.required:
            atoms = [a for a in split_type(t) if a not in ("nil", "None")]
            t = "|".join(atoms) or "any"
        return self.type(t)

    def param_text(self, p: ParamRef) -> str:
        opt = "" if p.required else "?"
        return f"{self.name(p.name)}{opt}: {self.param_type(p)}"

    def signature(self, m: MethodRef, qualified: bool = True) -> Signature:
        """The signature in this language, e.g. Lua ``JSON.encode(value: any, opts?: {...}) -> string``."""
        head = (self.qualname(m) if qualified else self.name(m.name)) + "("
        pieces = [self.param_text(p) for p in m.params]
        if m.has_opts:
            pieces.append(f"opts?: {self.options_summary(m)}")
        text, ranges = head, []
        for i, piece in enumerate(pieces):
            if i:
                text += ", "
            ranges.append((len(text), len(text) + len(piece)))
            text += piece
        text += ")"
        ret = self.type(m.returns_type)
        if m.returns_type not in ("nil", ""):
            text += f": {ret}" if self.language == "js" else f" -> {ret}"
        return Signature(text, ranges)

    def call_snippet(self, m: MethodRef) -> str:
        """A call to insert in the editor: required arguments as named placeholders, options omitted."""
        args = [self.name(p.name) for p in m.params if p.required]
        text = f"{self.qualname(m)}({', '.join(args)})"
        return text + (";" if self.language == "js" else "")

    # examples ---------------------------------------------------------------------------------------------------
    def example(self, m: MethodRef) -> tuple[str, str]:
        """``(code, note)`` for this language; ``code`` may be empty, and ``note`` says why or where it came from."""
        if not self.has(m):
            if self.language == "js" and m.owner == "Task":
                return "", (
                    "Not in JavaScript: use promises — every bridge method has an Async twin "
                    "(`LLM.completeAsync`), with `await`, `Promise.all/race/any`, `setTimeout` and an "
                    "`AbortController` `signal` option."
                )
            return "", f"Not available in {self.title}."
        if self.language in m.examples:
            return m.examples[self.language], ""
        if self.language == "tengo":
            owner = self.receiver(m.owner) if m.owner_kind == "type" else m.owner
            keyword = (
                f" `{m.name}` is a keyword in Tengo, so `{owner}.{m.name}(...)` does not parse: index the "
                f"object instead, `{self.qualname(m)}(...)`."
                if m.name in TENGO_KEYWORDS
                else ""
            )
            lua = m.examples.get("lua", "")
            derived = lua_to_tengo(lua) if lua else None
            if derived:
                return derived, "Derived automatically from the Lua example." + keyword
            if keyword:
                return "", "No Tengo example." + keyword
            return "", (
                f"No Tengo example: the call is written as in Lua with map literals, e.g. `{self.call_snippet(m)}`."
            )
        return "", f"No {self.title} example documented."


def view(ref: Reference, language: str) -> LanguageView:
    """Shorthand for :class:`LanguageView`."""
    return LanguageView(ref, language)


# ------------------------------------------------------------------------------------------------ Lua → Tengo
#: Lua standard-library names: an example using them has no direct Tengo translation.
_LUA_STDLIB = {
    "table",
    "string",
    "math",
    "os",
    "io",
    "ipairs",
    "pairs",
    "tostring",
    "tonumber",
    "type",
    "pcall",
    "xpcall",
    "error",
    "select",
    "next",
    "setmetatable",
    "getmetatable",
    "rawget",
    "rawset",
    "rawequal",
    "rawlen",
    "require",
    "assert",
    "load",
    "unpack",
    "coroutine",
    "utf8",
    "debug",
    "collectgarbage",
}
#: Tengo keywords: not usable as a selector (``Log.error`` does not parse in Tengo).
TENGO_KEYWORDS = frozenset(languages.TENGO.keywords)
_LUA_BLOCK_WORDS = {
    "function",
    "end",
    "then",
    "do",
    "for",
    "while",
    "repeat",
    "until",
    "elseif",
    "goto",
    "return",
    "if",
    "else",
    "in",
    "break",
}
_TOKEN = re.compile(
    r"""
    (?P<comment>--\[(?P<eq>=*)\[.*?\](?P=eq)\]|--[^\n]*)
  | (?P<long>\[(?P<eq2>=*)\[.*?\](?P=eq2)\])
  | (?P<str>"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*')
  | (?P<num>0[xX][0-9a-fA-F]+|\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
  | (?P<name>[A-Za-z_]\w*)
  | (?P<op>\.\.\.|\.\.|==|~=|<=|>=|::|[-+*/%^\#<>=(){}\[\];:,.])
  | (?P<ws>[ \t]+)
  | (?P<nl>\n)
  | (?P<bad>.)
""",
    re.VERBOSE | re.DOTALL,
)


def lua_to_tengo(code: str) -> str | None:
    """Translate a *simple* Lua example (assignments, calls, table constructors, ``print``) into Tengo.

    Returns ``None`` when the example uses anything beyond that subset (control flow, functions, method calls with
    ``:``, concatenation, long strings...), so a derived example is never silently wrong."""
    tokens = [(m.lastgroup, m.group()) for m in _TOKEN.finditer(code)]
    out: list[str] = []
    braces: list[str] = []  # "map" or "array" per open '{'
    uses_print = False
    i = 0
    n = len(tokens)

    def next_sig(j: int) -> tuple[str, str]:
        while j < n and tokens[j][0] in ("ws", "nl", "comment"):
            j += 1
        return tokens[j] if j < n else ("", "")  # type: ignore[return-value]

    def classify(j: int) -> str:
        """Whether the table constructor whose '{' is tokens[j-1] is a map (has top-level ``name =``); an empty
        ``{}`` is a map (it is usually an options table)."""
        if next_sig(j) == ("op", "}"):
            return "map"
        depth = 0
        k = j
        prev_sig_is_sep = True
        while k < n:
            kind, text = tokens[k]
            if kind == "op" and text in "({[":
                depth += 1
            elif kind == "op" and text in ")}]":
                if depth == 0:
                    return "array"
                depth -= 1
            elif depth == 0 and kind == "name" and prev_sig_is_sep and next_sig(k + 1) == ("op", "="):
                return "map"
            if kind not in ("ws", "nl", "comment"):
                prev_sig_is_sep = kind == "op" and text in (",", ";")
            k += 1
        return "array"

    line_start = True
    while i < n:
        kind, text = tokens[i]
        if kind in ("bad", "long") or (kind == "name" and text in _LUA_BLOCK_WORDS):
            return None
        if (
            kind == "op"
            and text == ":"
            and i + 2 < n
            and tokens[i + 1][0] == "name"
            and tokens[i + 2] in (("op", "("), ("op", "{"))
        ):
            # obj:method(...)  →  obj.method(...)  (handles are called with '.' in Tengo)
            if tokens[i + 2] == ("op", "{"):
                return None
            out.append(".")
            i += 1
            line_start = False
            continue
        if kind == "op" and text in ("..", "...", ":", "::", "^", "[", "]"):
            return None  # '..' needs string() conversions Tengo does not do implicitly
        if kind == "comment":
            if text.startswith("--["):
                return None
            out.append("//" + text[2:])
        elif kind == "str":
            body = text[1:-1]
            if text[0] == "'":
                body = body.replace("\\'", "'").replace('"', '\\"')
            out.append('"' + body + '"')
        elif kind == "name":
            after_dot = bool(out) and out[-1] == "."
            if after_dot and text in TENGO_KEYWORDS:
                out[-1] = f'["{text}"]'  # Log.error → Log["error"]: a keyword cannot follow '.' in Tengo
                i += 1
                line_start = False
                continue
            if not after_dot and text in _LUA_STDLIB:
                return None
            if text == "local" and line_start:
                # local a = expr  →  a := expr
                j = i + 1
                names = []
                while j < n and tokens[j][0] in ("ws", "name") or (j < n and tokens[j] == ("op", ",")):
                    if tokens[j][0] == "name":
                        names.append(tokens[j][1])
                    j += 1
                if len(names) != 1 or j >= n or tokens[j] != ("op", "="):
                    return None
                out.append(f"{names[0]} :=")
                i = j + 1
                line_start = False
                continue
            if text == "print" and next_sig(i + 1) == ("op", "("):
                out.append("fmt.println")
                uses_print = True
            else:
                out.append({"nil": "undefined", "and": "&&", "or": "||", "not": "!"}.get(text, text))
        elif kind == "op":
            if text == "{":
                kind_ = classify(i + 1)
                braces.append(kind_)
                out.append("{" if kind_ == "map" else "[")
            elif text == "}":
                if not braces:
                    return None
                out.append("}" if braces.pop() == "map" else "]")
            elif text == "=" and braces and braces[-1] == "map":
                if out and out[-1].isspace():
                    out.pop()
                out.append(":")
            elif text == "=" and not braces:
                out.append("=")
            elif text == "=":
                return None
            elif text == "~=":
                out.append("!=")
            elif text == "#":
                # #x  →  len(x) for a simple name or dotted path
                j = i + 1
                path = ""
                while j < n and (tokens[j][0] == "name" or tokens[j] == ("op", ".")):
                    path += tokens[j][1]
                    j += 1
                if not path or next_sig(j)[1] in ("(", ":", "[", "{"):
                    return None  # only the length of a plain name or field
                out.append(f"len({path})")
                i = j
                line_start = False
                continue
            elif text == ";":
                out.append("," if braces else ";")
            else:
                out.append(text)
        else:
            out.append(text)
        if kind == "nl":
            line_start = True
        elif kind not in ("ws",):
            line_start = False
        i += 1
    if braces:
        return None
    result = "".join(out).rstrip()
    result = "\n".join(line.rstrip() for line in result.splitlines())
    if uses_print:
        result = 'fmt := import("fmt")\n' + result
    return result


def param_default_text(view_: LanguageView, p: ParamRef) -> str:
    """The default of an optional parameter in the view's language ('' when required)."""
    if p.required:
        return ""
    return view_.literal(p.default)


def first_sentence(text: str) -> str:
    """The first sentence of a paragraph (for one-line lists)."""
    m = re.match(r"(.+?[.!?])(\s|$)", text or "")
    return m.group(1) if m else (text or "")


def signature_params(m: MethodRef) -> list[str]:
    """Neutral parameter names of a call, the options table last (``opts``)."""
    return [p.name for p in m.params] + (["opts"] if m.has_opts else [])
