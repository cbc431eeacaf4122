"""The bridge reference: model (Qt-free), writers (HTML, Markdown, LuaLS, .d.ts, JSON) and :func:`write_docs`.

Imports are lazy so that ``app.reference.model`` stays cheap for the editor."""

from __future__ import annotations

from typing import Any

__all__ = ["FORMATS", "write_docs", "build_reference", "get_reference", "view"]


def __getattr__(name: str) -> Any:
    if name in ("FORMATS", "write_docs"):
        from app.reference import writer

        return getattr(writer, name)
    if name in ("build_reference", "get_reference", "view", "LanguageView", "Reference"):
        from app.reference import model

        return getattr(model, name)
    raise AttributeError(name)
