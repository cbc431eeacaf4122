"""``write_docs``: write the bridge reference in the requested formats (what ``llmspell docs`` calls).

Layout under ``out_dir``::

    html/index.html          one self-contained searchable page (format "html")
    markdown/reference.md    one Markdown file (format "md")
    luals/<Global>.lua       ---@meta files for lua-language-server, one per global; <Type>.type.lua per handle
                             type; records.lua for record types (format "luals")
    dts/llmspell.d.ts        TypeScript declarations, plus dts/tsconfig.json to check spells with tsc (format "dts")
    json/reference.json      the language-neutral model as data (format "json")

Output is deterministic (same registry → same bytes). Qt-free.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile

from app.reference.model import Reference, build_reference

log = logging.getLogger(__name__)

FORMATS = ("html", "md", "luals", "dts", "json")
_ALIASES = {"markdown": "md", "lua": "luals", "ts": "dts", "d.ts": "dts", "typescript": "dts"}


def normalize_formats(formats: list[str] | str) -> list[str]:
    """``"html,md"`` or ``["html", "markdown"]`` → ``["html", "md"]``; ``ValueError`` names an unknown format."""
    if isinstance(formats, str):
        formats = formats.split(",")
    out: list[str] = []
    for f in formats:
        f = _ALIASES.get(f.strip().lower(), f.strip().lower())
        if not f:
            continue
        if f == "all":
            out.extend(x for x in FORMATS if x not in out)
            continue
        if f not in FORMATS:
            raise ValueError(f"unknown docs format {f!r} (known: {', '.join(FORMATS)}, all)")
        if f not in out:
            out.append(f)
    return out


def _write(path: str, text: str) -> str:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".tmp-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def render(ref: Reference, fmt: str) -> dict[str, str]:
    """``{relative path: text}`` of one format."""
    if fmt == "html":
        from app.reference.html import render_site

        return {"html/index.html": render_site(ref)}
    if fmt == "md":
        from app.reference.markdown import render_markdown

        return {"markdown/reference.md": render_markdown(ref)}
    if fmt == "luals":
        from app.reference.stubs import lua_meta_files

        return {f"luals/{name}": text for name, text in lua_meta_files(ref).items()}
    if fmt == "dts":
        from app.reference.stubs import TSCONFIG, dts_file

        return {"dts/llmspell.d.ts": dts_file(ref), "dts/tsconfig.json": TSCONFIG}
    if fmt == "json":
        return {"json/reference.json": json.dumps(ref.to_dict(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"}
    raise ValueError(f"unknown docs format {fmt!r}")


def _remove_stale_luals(folder: str, keep: set[str]) -> None:
    from app.reference.stubs import HEADER

    if not os.path.isdir(folder):
        return
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name)
        if name.endswith(".lua") and name not in keep:
            with open(path, encoding="utf-8", errors="replace") as f:
                head = f.read(400)
            if HEADER in head:
                log.info("removing stale definition file %s", path)
                os.unlink(path)


def write_docs(out_dir: str, formats: list[str], reference: Reference | None = None) -> list[str]:
    """Write the reference under ``out_dir`` in ``formats`` (see :data:`FORMATS`); returns the paths written.

    ``formats`` may also be a comma-separated string; ``"all"`` means every format. Raises ``ValueError`` for an
    unknown format."""
    fmts = normalize_formats(formats)
    ref = reference or build_reference()
    written: list[str] = []
    for fmt in fmts:
        files = render(ref, fmt)
        if fmt == "luals":
            _remove_stale_luals(os.path.join(out_dir, "luals"), {os.path.basename(p) for p in files})
        for rel in sorted(files):
            written.append(_write(os.path.join(out_dir, *rel.split("/")), files[rel]))
    log.info("wrote %d reference file(s) to %s", len(written), out_dir)
    return written
