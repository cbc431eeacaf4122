"""Simple completion and call tips for the bridge globals (from the registry) and the language's keywords.

Deliberately small: global names, method names and one-line signatures. The reference work (app/reference/) may
replace :class:`Completer` with a richer one; the editor only calls ``char_added(ch)``."""

from __future__ import annotations

import functools
import logging
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from app import languages

if TYPE_CHECKING:
    from app.ui.editor import CodeEditor

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MethodSig:
    """One bridge method as the editor shows it."""

    name: str
    signature: str
    summary: str


def _js(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


@functools.lru_cache(maxsize=4)
def api(language: str) -> dict[str, dict[str, MethodSig]]:
    """``{global: {method: MethodSig}}`` from the bridge registry, spelled for ``language``."""
    out: dict[str, dict[str, MethodSig]] = {}
    try:
        from app.bridges import registry

        infos = registry.globals_info()
    except Exception:
        log.exception("bridge registry unavailable for completion")
        return out
    for g in infos:
        methods: dict[str, MethodSig] = {}
        for m in g.methods.values():
            mname = _js(m.name) if language == "js" else m.name
            params = [f"{p.name}{'' if p.required else '?'}: {p.type}" for p in m.params]
            if m.options:
                params.append(
                    "opts?: {" + ", ".join(_js(o.name) if language == "js" else o.name for o in m.options) + "}"
                )
            elif m.has_opts:
                params.append("opts?: table")
            sig = f"{g.name}.{mname}({', '.join(params)})"
            if m.returns and m.returns != "nil":
                sig += f" -> {m.returns}"
            methods[mname] = MethodSig(mname, sig, m.doc.summary)
        out[g.name] = methods
    return out


def signature_of(language: str, global_name: str, method: str) -> str | None:
    """The call tip text for ``Global.method`` (signature, then the summary line)."""
    m = api(language).get(global_name, {}).get(method)
    if m is None:
        return None
    return m.signature + (f"\n{m.summary}" if m.summary else "")


class Completer:
    """Reacts to typed characters in a :class:`CodeEditor`: member lists after ``Global.``, call tips after ``(``,
    and a word list (globals, keywords, builtins) after two identifier characters."""

    MIN_PREFIX = 2

    def __init__(self, editor: CodeEditor) -> None:
        self.editor = editor
        editor.completer = self  # type: ignore[assignment]

    def _before(self, n: int = 200) -> str:
        e = self.editor
        pos = e.currentPos()
        start = max(e.positionFromLine(e.lineFromPosition(pos)), pos - n)
        return bytes(e.textRange(start, pos)).decode("utf-8", errors="replace")

    def char_added(self, ch: int) -> None:
        """Called by the editor after each typed character."""
        lang = self.editor.language
        if not languages.is_spell_language(lang):
            return
        c = chr(ch)
        before = self._before()
        if c == ".":
            m = re.search(r"([A-Za-z_]\w*)\.$", before)
            if m and m.group(1) in api(lang):
                self.show_members(m.group(1))
            return
        if c == "(":
            m = re.search(r"([A-Za-z_]\w*)\.([A-Za-z_]\w*)\s*\($", before)
            if m:
                tip = signature_of(lang, m.group(1), m.group(2))
                if tip:
                    self.editor.callTipShow(self.editor.currentPos(), tip)
            return
        if c == ")":
            self.editor.callTipCancel()
            return
        if c.isalnum() or c == "_":
            m = re.search(r"(?<![\w.:])([A-Za-z_]\w*)$", before)
            if self.editor.autoCActive():
                if m and not self.candidates(m.group(1)):  # typed in full (or matching nothing): no list
                    self.editor.autoCCancel()
                return
            if m and len(m.group(1)) >= self.MIN_PREFIX:
                self.show_words(m.group(1))

    def show_members(self, global_name: str) -> None:
        names = sorted(api(self.editor.language).get(global_name, {}), key=str.lower)
        if names:
            self.editor.autoCShow(0, "\n".join(names))

    def words(self) -> list[str]:
        spec = self.editor.spec
        words = (
            set(api(self.editor.language))
            | set(spec.keywords.split())
            | set(spec.builtins.split())
            | set(getattr(self.editor, "extra_words", ()))
        )
        return sorted(words, key=str.lower)

    def candidates(self, prefix: str) -> list[str]:
        """The words that complete ``prefix`` (never ``prefix`` itself: nothing to complete)."""
        p = prefix.lower()
        return [w for w in self.words() if w.lower().startswith(p) and w != prefix]

    def show_words(self, prefix: str) -> None:
        words = self.candidates(prefix)
        if words:
            self.editor.autoCShow(len(prefix.encode("utf-8")), "\n".join(words))


def attach(editor: CodeEditor) -> Completer:
    """Give ``editor`` completion and call tips."""
    return Completer(editor)
