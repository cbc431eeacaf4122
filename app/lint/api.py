"""The spell API as lint facts, read from the bridge reference (:mod:`app.reference.model`), and the checks of one
call against a method's signature. Language-neutral: each language's analysis describes a call as a list of
:class:`Arg` and gets back :class:`Finding` records to position."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from app.reference.model import (
    GlobalRef,
    LanguageView,
    MethodRef,
    get_reference,
    split_type,
    view,
)

#: Literal kinds an argument can have; ``other`` is any non-literal expression (never checked), ``spread`` an
#: expression that may expand to several values (a call or ``...`` last in the list).
KINDS = ("string", "integer", "number", "boolean", "nil", "table", "array", "emptytable", "function", "other", "spread")
_KIND_WORDS = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "a boolean",
    "nil": "nil",
    "table": "a table",
    "array": "an array",
    "emptytable": "an empty table",
    "function": "a function",
}


@dataclass
class Arg:
    """One argument of a call (or the value of one option key). ``node`` is whatever the caller needs to position
    a finding (a tree-sitter node, a Tengo AST node)."""

    kind: str
    node: Any
    #: for table/object literals: ``(key, key node, value Arg)`` per named key
    keys: list[tuple[str, Any, Arg]] = field(default_factory=list)


@dataclass
class Finding:
    """A problem found by a check, at ``node``; the analysis turns it into a diagnostic."""

    rule: str
    message: str
    node: Any
    replacement: str | None = None  # a "did you mean" quick fix for the node's text
    subject: str = ""


def suggest(name: str, candidates: Iterable[str]) -> str | None:
    """The closest candidate to a misspelled ``name`` (case-insensitive match first), or None."""
    cands = list(candidates)
    for c in cands:
        if c.lower() == name.lower():
            return c
    best = difflib.get_close_matches(name, cands, n=1, cutoff=0.6)
    return best[0] if best else None


def did_you_mean(name: str | None) -> str:
    return f"; did you mean '{name}'?" if name else ""


class ApiFacts:
    """Bridge globals, handle types and their methods spelled in one language (JS camelCase)."""

    def __init__(self, language: str):
        self.language = language
        self.view: LanguageView = view(get_reference(), language)
        ref = self.view.ref
        self.globals: dict[str, GlobalRef] = {g.name: g for g in ref.globals}
        self.types: dict[str, GlobalRef] = {t.name: t for t in ref.types}
        self._members = {g.key: {self.view.name(m.name): m for m in g.methods} for g in ref.all()}
        if language == "js":  # every bridge method has a Promise-returning twin: LLM.completeAsync (js_prelude.js)
            for members in self._members.values():
                members.update({name + "Async": m for name, m in list(members.items())})
        self._signatures: dict[str, str] = {}
        self._accepts: dict[tuple[str, str], bool] = {}

    def members(self, owner: GlobalRef) -> dict[str, MethodRef]:
        """Method name in this language → method."""
        return self._members[owner.key]

    def extra_members(self, owner: GlobalRef) -> set[str]:
        """Members a global has beyond the registry's (JavaScript keeps ``JSON.parse``/``JSON.stringify``)."""
        if self.language == "js" and owner.name == "JSON" and owner.kind == "global":
            return {"parse", "stringify"}
        return set()

    def handle_type(self, type_str: str) -> str | None:
        """The handle type a method returns (``Agent`` for ``Agent.new``), if it returns one."""
        for atom in split_type(type_str):
            if atom in self.types:
                return atom
        return None

    def qualname(self, m: MethodRef) -> str:
        return self.view.qualname(m)

    def signature(self, m: MethodRef) -> str:
        sig = self._signatures.get(m.key)
        if sig is None:
            sig = self._signatures[m.key] = self.view.signature(m).text
        return sig


@cache
def facts(language: str) -> ApiFacts:
    """The facts for ``language`` (built once per process)."""
    return ApiFacts(language)


# --------------------------------------------------------------------------------------------------- type checks
def _accepts(kind: str, atom: str, facts_: ApiFacts) -> bool:
    if kind in ("other", "spread"):
        return True
    if atom in ("any", ""):
        return True
    if atom[:1] in ("'", '"'):
        return kind == "string"
    if atom in ("True", "False"):
        return kind == "boolean"
    if atom == "None":
        return kind == "nil"
    if atom in ("string", "boolean", "nil", "function"):
        return kind == atom
    if atom == "integer":
        return kind == "integer"
    if atom == "number":
        return kind in ("integer", "number")
    if atom == "table":
        return kind in ("table", "array", "emptytable")
    if atom == "list" or atom.startswith("list["):
        return kind in ("array", "emptytable")
    if atom in facts_.types:
        return False  # a handle comes from a constructor, never from a literal
    if facts_.view.ref.record(atom) is not None:
        return kind in ("table", "emptytable")
    return True  # a type we do not model: do not guess


def accepts(kind: str, type_str: str, facts_: ApiFacts) -> bool:
    """Whether a literal of ``kind`` fits the neutral type ``type_str`` (memoised per language)."""
    if kind in ("other", "spread"):
        return True
    key = (kind, type_str)
    known = facts_._accepts.get(key)
    if known is None:
        known = facts_._accepts[key] = _accepts_uncached(kind, type_str, facts_)
    return known


def _accepts_uncached(kind: str, type_str: str, facts_: ApiFacts) -> bool:
    if facts_.language == "lua" and kind == "array":
        kind_alts = ("array", "table")  # a Lua table with list items is still a table
        return any(_accepts(k, a, facts_) for k in kind_alts for a in split_type(type_str or "any"))
    return any(_accepts(kind, a, facts_) for a in split_type(type_str or "any"))


def _type_words(type_str: str, facts_: ApiFacts) -> str:
    return facts_.view.type(type_str)


def check_call(
    facts_: ApiFacts, m: MethodRef, args: list[Arg], call_node: Any, extra_options: frozenset[str] = frozenset()
) -> list[Finding]:
    """Argument count, literal types, option keys of one call of ``m`` (``extra_options``: keys the calling form
    adds, such as ``signal`` for JavaScript's Async twins)."""
    out: list[Finding] = []
    v = facts_.view
    name = facts_.qualname(m)
    n_params = len(m.params)
    most = n_params + (1 if m.has_opts else 0)
    required = sum(1 for p in m.params if p.required)
    spread = bool(args) and args[-1].kind == "spread"
    fixed = len(args) - (1 if spread else 0)
    if fixed > most:
        extra = args[most]
        what = "no arguments" if most == 0 else f"at most {most} argument{'s' if most != 1 else ''}"
        out.append(
            Finding("argument-count", f"{name} takes {what}, got {len(args)}: {facts_.signature(m)}", extra.node)
        )
    elif not spread and len(args) < required:
        missing = [p for p in m.params if p.required][len(args) :]
        names = ", ".join(f"'{v.name(p.name)}' ({v.param_type(p)})" for p in missing)
        out.append(Finding("argument-count", f"{name} needs {names}: {facts_.signature(m)}", call_node))
    for p, a in zip(m.params, args):
        if a.kind == "nil" and not p.required:
            continue
        if not accepts(a.kind, p.type, facts_):
            out.append(
                Finding(
                    "argument-type",
                    f"'{v.name(p.name)}' of {name} must be {_type_words(p.type, facts_)}"
                    f", not {_KIND_WORDS.get(a.kind, a.kind)}",
                    a.node,
                )
            )
    if m.has_opts and len(args) == n_params + 1:
        out.extend(_check_options(facts_, m, args[n_params], name, extra_options))
    elif m.has_opts and not spread and len(args) == n_params and any(o.required for o in m.options):
        need = ", ".join(f"'{v.name(o.name)}'" for o in m.options if o.required)
        out.append(
            Finding("missing-option", f"{name} needs an options table with {need}: {facts_.signature(m)}", call_node)
        )
    return out


def _check_options(
    facts_: ApiFacts, m: MethodRef, opts: Arg, name: str, extra_options: frozenset[str] = frozenset()
) -> list[Finding]:
    v = facts_.view
    if opts.kind in ("other", "spread", "nil"):
        return []
    if opts.kind not in ("table", "emptytable"):
        word = "object" if facts_.language == "js" else ("map" if facts_.language == "tengo" else "table")
        return [
            Finding(
                "argument-type",
                f"the options of {name} must be a{'n' if word == 'object' else ''} {word} "
                f"of {v.options_summary(m)}, not {_KIND_WORDS.get(opts.kind, opts.kind)}",
                opts.node,
            )
        ]
    if not m.options:
        return []
    out: list[Finding] = []
    known = {v.name(o.name): o for o in m.options}
    for key, key_node, value in opts.keys:
        o = known.get(key)
        if o is None and key in extra_options:
            continue
        if o is None:
            guess = suggest(key, known)
            out.append(
                Finding(
                    "unknown-option",
                    f"{name} has no option '{key}'{did_you_mean(guess)} (options: {', '.join(known)})",
                    key_node,
                    replacement=guess,
                    subject=key,
                )
            )
        elif not accepts(value.kind, o.type, facts_) and not (value.kind == "nil" and not o.required):
            out.append(
                Finding(
                    "argument-type",
                    f"option '{key}' of {name} must be {_type_words(o.type, facts_)}, "
                    f"not {_KIND_WORDS.get(value.kind, value.kind)}",
                    value.node,
                )
            )
    given = {k for k, _, _ in opts.keys}
    missing = [k for k, o in known.items() if o.required and k not in given]
    if missing and not opts_has_unknown_keys(opts):
        out.append(
            Finding(
                "missing-option",
                f"{name} needs option{'s' if len(missing) > 1 else ''} " + ", ".join(f"'{k}'" for k in missing),
                opts.node,
            )
        )
    return out


def opts_has_unknown_keys(opts: Arg) -> bool:
    """A table literal with computed keys or spreads (``[k] = v``, ``...rest``) may hold any key."""
    return any(k == "" for k, _, _ in opts.keys)


def check_member(facts_: ApiFacts, owner: GlobalRef, member: str, node: Any) -> Finding | None:
    """``LLM.compleet`` / ``agent:runn``: a member the global or handle type does not have."""
    members = facts_.members(owner)
    if member in members or member in facts_.extra_members(owner):
        return None
    names = sorted(set(members) | facts_.extra_members(owner))
    guess = suggest(member, names)
    if owner.kind == "global":
        return Finding(
            "unknown-member",
            f"{owner.name} has no member '{member}'{did_you_mean(guess)}",
            node,
            replacement=guess,
            subject=member,
        )
    recv = facts_.view.receiver(owner.name)
    return Finding(
        "unknown-method",
        f"{owner.name} handles have no method '{member}'{did_you_mean(guess)} "
        f"({recv} comes from a constructor returning {owner.name})",
        node,
        replacement=guess,
        subject=member,
    )
