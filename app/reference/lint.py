"""Documentation lint for bridges: every public method needs a summary, a description of each parameter and option
key, and a Lua and a JavaScript example (``docs/bridge-docstrings.md``). Qt-free.

``problems()`` returns human-readable lines; ``tests/reference/test_docstring_lint.py`` fails on any, and a CLI may
offer it as ``llmspell docs --check``."""

from __future__ import annotations

import logging

from app.bridges import registry
from app.reference.model import _parse_errors

log = logging.getLogger(__name__)

REQUIRED_EXAMPLES = ("lua", "js")


def problems(infos: list[registry.GlobalInfo] | None = None, strict: bool = False) -> list[str]:
    """Every documentation problem of the given globals/types (default: all in the registry).

    ``strict`` also requires each ``Errors:`` entry to start with an error code (the test suite uses it)."""
    if infos is None:
        infos = [*registry.globals_info(), *registry.types_info()]
    out: list[str] = []
    for g in infos:
        where_g = f"{g.name} ({'global' if g.kind == 'global' else 'handle type'}, {g.cls.__module__})"
        if not g.doc.summary:
            out.append(f"{where_g}: class docstring has no summary")
        if not g.methods:
            out.append(f"{where_g}: no public methods")
        for name, m in sorted(g.methods.items()):
            where = f"{g.name}{'.' if g.kind == 'global' else ':'}{name}"
            d = m.doc
            if not d.summary:
                out.append(f"{where}: no summary (first paragraph of the docstring)")
            names = {p.name for p in m.params}
            for p in m.params:
                if not d.args.get(p.name, "").strip():
                    out.append(f"{where}: parameter '{p.name}' has no description under Args:")
            for extra in sorted(set(d.args) - names):
                out.append(f"{where}: Args: describes '{extra}', which is not a parameter")
            onames = {o.name for o in m.options}
            for o in m.options:
                if not o.doc.strip():
                    out.append(f"{where}: option '{o.name}' has no description under Options:")
            if m.has_opts and registry._is_typeddict(m.options_type):  # noqa: SLF001
                for extra in sorted(set(d.options) - onames):
                    out.append(
                        f"{where}: Options: describes '{extra}', which is not a key of {m.options_type.__name__}"
                    )
            aliases = {"javascript": "js"}
            langs = {aliases.get(k, k) for k, v in d.examples.items() if v.strip()}
            available = m.languages if m.languages is not None else g.languages
            for lang in REQUIRED_EXAMPLES:
                if lang not in langs and (available is None or lang in available or lang == "js"):
                    out.append(f"{where}: no 'Example ({lang}):' section")
            errs = _parse_errors(d.errors)
            if strict and errs and not errs[0].code:
                out.append(f"{where}: Errors: should start each entry with an error code (got {errs[0].text[:40]!r})")
    return out
