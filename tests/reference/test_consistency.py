"""Done-when of issue 6: every global and method appears in the browser, the completion, the HTML site, the
Markdown, the LuaLS definitions and the .d.ts, with the same signature and text."""

from __future__ import annotations

import html

from app.reference.html import render_site
from app.reference.markdown import render_markdown
from app.reference.model import LanguageView, build_reference
from app.reference.stubs import dts_file, lua_meta_files
from app.ui import editor_intel as ei
from app.ui.reference_panel import ReferencePanel


def test_same_signature_and_text_everywhere(qtbot) -> None:
    ref = build_reference()
    site, md, dts = render_site(ref), render_markdown(ref), dts_file(ref)
    luals = "\n".join(lua_meta_files(ref).values())
    lang = {"v": "lua"}
    panel = ReferencePanel(lambda: lang["v"], ref)
    qtbot.addWidget(panel)
    for language in ("lua", "js", "tengo"):
        lang["v"] = language
        panel.refresh()
        v = LanguageView(ref, language)
        for g in ref.all():
            for m in g.methods:
                if not v.has(m):  # Task in JavaScript (promises instead): said so, and never completed
                    assert "not available" in md
                    if g.kind == "global" and not v.has(g):
                        res = ei.complete(f"{g.name}.", len(g.name) + 1, language, ref)
                        assert not any(c.label == v.name(m.name) for c in res.items), f"{language} {m.key}"
                    continue
                sig = v.signature(m).text
                summary = " ".join(m.summary.split())
                where = f"{language} {m.key}"
                assert html.escape(sig) in site, where
                assert sig.replace("|", "\\|") in md, where
                assert panel.show_symbol(m.key), where
                assert sig in panel.page.toPlainText(), where
                assert summary.replace("``", "") in panel.page.toPlainText().replace("\n", " "), where
                for text, lang_of_text in ((luals, "lua"), (dts, "js")):
                    if LanguageView(ref, lang_of_text).has(m):
                        assert summary in text.replace("\n---", " ").replace("\n   * ", " "), where
                if g.kind == "global":
                    res = ei.complete(f"{g.name}.", len(g.name) + 1, language, ref)
                else:
                    probe = f"local x = nil\n{v.receiver(g.name)}{':' if language == 'lua' else '.'}"
                    res = ei.complete(probe, len(probe), language, ref)
                item = next((c for c in res.items if c.label == v.name(m.name)), None)
                assert item is not None and item.detail == sig, where
