"""Markdown for the bridge reference (``llmspell docs --format md``): one file, deterministic, Qt-free."""

from __future__ import annotations

import logging

from app import languages
from app.reference.model import GlobalRef, MethodRef, Reference, first_sentence, param_default_text, view

log = logging.getLogger(__name__)


def _cell(text: str) -> str:
    return " ".join((text or "").split()).replace("|", "\\|")


def slug(text: str) -> str:
    """GitHub-style heading anchor."""
    keep = "".join(c for c in text.lower() if c.isalnum() or c in " -_")
    return keep.replace(" ", "-")


def _method(ref: Reference, m: MethodRef, g: GlobalRef) -> list[str]:
    views = {lang: view(ref, lang) for lang in languages.IDS}
    title = m.qualname if g.kind == "global" else f"{g.name}:{m.name}"
    out = [f"### {title}", "", m.summary, ""]
    if m.body:
        out += [m.body, ""]
    out.append("| Language | Signature |")
    out.append("|---|---|")
    for lang in languages.IDS:
        v = views[lang]
        if not v.has(m):
            out.append(f"| {languages.get(lang).name} | _not available_ |")
            continue
        twin = v.async_twin(m)
        extra = f" · `{twin}(...)` → Promise" if twin else ""
        out.append(f"| {languages.get(lang).name} | `{_cell(v.signature(m).text)}`{extra} |")
    out.append("")
    lua, js = views["lua"], views["js"]
    if m.params:
        out += ["**Parameters**", "", "| Name | Type | Description |", "|---|---|---|"]
        for p in m.params:
            name = f"`{p.name}`" + (f" (JS `{js.name(p.name)}`)" if js.name(p.name) != p.name else "")
            default = param_default_text(lua, p)
            extra = "" if p.required else (f" Optional, default `{default}`." if default else " Optional.")
            out.append(f"| {name} | `{_cell(lua.param_type(p))}` | {_cell(p.doc)}{extra} |")
        out.append("")
    if m.has_opts:
        out += ["**Options** (keys of the optional last argument `opts`)", ""]
        if m.options:
            out += ["| Key | Type | Description |", "|---|---|---|"]
            for o in m.options:
                name = f"`{o.name}`" + (f" (JS `{js.name(o.name)}`)" if js.name(o.name) != o.name else "")
                out.append(f"| {name} | `{_cell(lua.type(o.type))}` | {_cell(o.doc)} |")
        else:
            out.append("An optional table of further settings.")
        out.append("")
    if m.returns_type not in ("nil", "") or m.returns_doc:
        out += [f"**Returns** `{_cell(lua.type(m.returns_type))}` {m.returns_doc}".rstrip(), ""]
    if m.errors:
        out += ["**Errors**", ""]
        out += [f"- {'`' + e.code + '` ' if e.code else ''}{e.text}".rstrip() for e in m.errors]
        out.append("")
    for lang in languages.IDS:
        code, note = views[lang].example(m)
        out.append(f"**Example ({languages.get(lang).name})**")
        out.append("")
        if note:
            out += [f"_{note}_", ""]
        if code:
            out += [f"```{languages.get(lang).fence}", code, "```", ""]
    out += [f"_Since {m.since}._", ""]
    return out


def render_markdown(ref: Reference) -> str:
    """The whole reference as one Markdown document."""
    lua = view(ref, "lua")
    out = [
        "# LLMSpell bridge reference",
        "",
        "Generated from the bridges' signatures and docstrings. Lua and Tengo use the names as written; "
        "JavaScript uses camelCase names and option keys. Required arguments come first, then one optional "
        "options table.",
        "",
        "## Contents",
        "",
    ]
    for g in ref.all():
        label = g.name if g.kind == "global" else f"{g.name} (handle type)"
        out.append(f"- [{label}](#{slug(label)})")
        for m in g.methods:
            title = m.qualname if g.kind == "global" else f"{g.name}:{m.name}"
            out.append(f"  - [{lua.qualname(m)}](#{slug(title)}) — {first_sentence(m.summary)}")
    if ref.records:
        out.append("- [Record types](#record-types)")
    out.append("")
    for g in ref.all():
        label = g.name if g.kind == "global" else f"{g.name} (handle type)"
        out += [f"## {label}", "", g.summary, ""]
        if g.body:
            out += [g.body, ""]
        out += [f"_Since {g.since}._", ""]
        for m in g.methods:
            out += _method(ref, m, g)
    if ref.records:
        out += ["## Record types", ""]
        for r in ref.records:
            out += [
                f"### {r.name}",
                "",
                r.summary,
                "",
                "| Field | Type | Required | Description |",
                "|---|---|---|---|",
            ]
            out += [
                f"| `{f.name}` | `{_cell(lua.type(f.type))}` | {'yes' if f.required else 'no'} | {_cell(f.doc)} |"
                for f in r.fields
            ]
            out.append("")
    out += _test_api()
    return "\n".join(out).rstrip() + "\n"


def _test_api() -> list[str]:
    """The test files' API per language (``llmspell test``; ``Mock`` and ``Spell`` are above)."""
    from app.testing import api

    out = [
        "## Test files",
        "",
        "Test files (" + ", ".join(f"`{p}`" for p in languages.all_test_patterns()) + ") run with "
        "`llmspell test` or the IDE's Test Explorer. Besides every global above they have `Mock` and `Spell` "
        "and their language's test API:",
        "",
    ]
    for lang_id, test_api in api.BY_LANGUAGE.items():
        lang = languages.get(lang_id)
        out += [f"### {lang.name} ({test_api.style} style)", "", "| Call | What it does |", "|---|---|"]
        out += [f"| `{_cell(f.signature)}` | {_cell(f.summary)} |" for f in test_api.functions]
        out += ["", f"```{lang.fence}", test_api.example, "```", ""]
    return out
