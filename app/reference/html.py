"""HTML for the bridge reference: the static searchable site (``llmspell docs --format html``) and the page fragments
the in-app browser shows (:func:`method_page`, :func:`global_page`, with inline styles for ``QTextBrowser``).

Examples are highlighted with pygments (Lua, JavaScript; Tengo with the Go lexer, the closest syntax).
Output is deterministic: no timestamps, stable order. Qt-free.
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Callable

from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexer import Lexer
from pygments.lexers import get_lexer_by_name

from app import languages
from app.reference.model import GlobalRef, LanguageView, MethodRef, Reference, first_sentence, param_default_text, view

log = logging.getLogger(__name__)

PYGMENTS_STYLE = "default"
PYGMENTS_DARK_STYLE = "github-dark"
TITLE = "LLMSpell bridge reference"


def lexer_for(language: str) -> Lexer:
    """The pygments lexer for a spell language."""
    return get_lexer_by_name(languages.get(language).fence)


def highlight_code(code: str, language: str, inline_styles: bool = False, style: str = PYGMENTS_STYLE) -> str:
    """``code`` as highlighted HTML (a ``<div class="highlight"><pre>`` block); ``style`` is a pygments style."""
    fmt = HtmlFormatter(style=style, noclasses=inline_styles, nowrap=False)
    out = highlight(code, lexer_for(language), fmt)
    if inline_styles:  # QTextBrowser: wrap long lines instead of scrolling the whole page sideways
        out = out.replace('<pre style="', '<pre style="white-space: pre-wrap; ', 1)
    return out


def pygments_css() -> str:
    return HtmlFormatter(style=PYGMENTS_STYLE).get_style_defs(".highlight")


_INLINE_CODE = re.compile(r"``(.+?)``|`([^`]+)`")


def inline(text: str) -> str:
    """Escape text and turn ``code`` / `code` spans into ``<code>``."""
    out, pos = [], 0
    for m in _INLINE_CODE.finditer(text or ""):
        out.append(html.escape(text[pos : m.start()]))
        out.append("<code>" + html.escape(m.group(1) or m.group(2)) + "</code>")
        pos = m.end()
    out.append(html.escape((text or "")[pos:]))
    return "".join(out)


def prose(text: str) -> str:
    """Docstring prose as HTML paragraphs (blank lines separate paragraphs)."""
    paras = [p.strip() for p in re.split(r"\n\s*\n", text or "") if p.strip()]
    return "".join(f"<p>{inline(' '.join(p.split()))}</p>" for p in paras)


def anchor(m: MethodRef | GlobalRef) -> str:
    """The HTML id of a method or global: ``JSON.encode``, ``type-Agent.run``, ``JSON``, ``type-Agent``."""
    if isinstance(m, MethodRef):
        return ("type-" if m.owner_kind == "type" else "") + m.qualname
    return ("type-" if m.kind == "type" else "") + m.name


# ------------------------------------------------------------------------------------------------ page fragments
def _param_rows(v: LanguageView, m: MethodRef) -> str:
    rows = []
    for p in m.params:
        default = param_default_text(v, p) if p.default is not None else ""
        extra = (
            ""
            if p.required
            else (
                f" Optional, default <code>{html.escape(default)}</code>."
                if default
                else ("" if "optional" in p.doc.lower() else " Optional.")
            )
        )
        rows.append(
            f'<tr><td style="white-space: nowrap"><code>{html.escape(v.name(p.name))}</code></td>'
            f"<td><code>{html.escape(v.param_type(p))}</code></td>"
            f"<td>{inline(p.doc)}{extra}</td></tr>"
        )
    return "".join(rows)


def _option_rows(v: LanguageView, m: MethodRef) -> str:
    return "".join(
        f'<tr><td style="white-space: nowrap"><code>{html.escape(v.name(o.name))}</code></td>'
        f"<td><code>{html.escape(v.type(o.type))}</code></td><td>{inline(o.doc)}</td></tr>"
        for o in m.options
    )


def _errors(m: MethodRef) -> str:
    items = []
    for e in m.errors:
        code = f"<code>{html.escape(e.code)}</code> " if e.code else ""
        items.append(f"<li>{code}{inline(e.text)}</li>")
    return "<ul>" + "".join(items) + "</ul>" if items else ""


def method_body(
    v: LanguageView, m: MethodRef, inline_styles: bool = False, heading: str = "h4", style: str = PYGMENTS_STYLE
) -> str:
    """Signature, prose, parameters, options, returns, errors and the example of one method in one language."""
    sig = v.signature(m)
    if not v.has(m):
        _code, note = v.example(m)
        return f'<p class="note"><i>{inline(note)}</i></p>'
    twin = v.async_twin(m)
    parts = [f'<pre class="sig">{html.escape(sig.text)}</pre>', f"<p><b>{inline(m.summary)}</b></p>", prose(m.body)]
    if twin:
        parts.append(
            f"<p>Async twin: <code>{html.escape(twin)}(...)</code> takes the same arguments (plus a "
            f"<code>signal</code> option) and returns a Promise.</p>"
        )
    table = (
        '<table class="params" width="100%" cellspacing="0" cellpadding="4" border="1">'
        "<tr><th>Name</th><th>Type</th><th>Description</th></tr>"
    )
    if m.params:
        parts.append(f"<{heading}>Parameters</{heading}>{table}{_param_rows(v, m)}</table>")
    if m.has_opts:
        parts.append(f"<{heading}>Options</{heading}>")
        if m.options:
            parts.append(
                f"<p>Keys of the optional last argument <code>opts</code>.</p>{table}{_option_rows(v, m)}</table>"
            )
        else:
            parts.append("<p>An optional table of further settings.</p>")
    if m.returns_type not in ("nil", "") or m.returns_doc:
        parts.append(
            f"<{heading}>Returns</{heading}><p><code>{html.escape(v.type(m.returns_type))}</code> "
            f"{inline(m.returns_doc)}</p>"
        )
    if m.errors:
        parts.append(f"<{heading}>Errors</{heading}>{_errors(m)}")
    code, note = v.example(m)
    parts.append(f"<{heading}>Example ({html.escape(v.title)})</{heading}>")
    if note:
        parts.append(f'<p class="note"><i>{inline(note)}</i></p>')
    if code:
        parts.append(highlight_code(code, v.language, inline_styles, style))
    parts.append(f'<p class="since">Since {html.escape(m.since)}.</p>')
    return "".join(parts)


def method_page(ref: Reference, m: MethodRef, language: str, dark: bool = False) -> str:
    """A standalone page (inline styles) for the in-app browser; ``dark`` picks a dark highlighting style.
    Colours of the text itself come from the browser's default style sheet (classes ``muted``, ``sig``...)."""
    v = view(ref, language)
    kind = "method of handle type" if m.owner_kind == "type" else "function of global"
    style = PYGMENTS_DARK_STYLE if dark else PYGMENTS_STYLE
    return (
        f"<h2>{html.escape(v.qualname(m))}</h2>"
        f'<p class="muted">{kind} <a href="ref:{anchor_key(m.owner_kind, m.owner)}">'
        f"{html.escape(m.owner)}</a></p>" + method_body(v, m, inline_styles=True, heading="h3", style=style)
    )


def anchor_key(kind: str, name: str) -> str:
    return f"{kind}:{name}"


def global_page(ref: Reference, g: GlobalRef, language: str) -> str:
    """A global's or handle type's page for the in-app browser: prose and a linked list of its methods."""
    v = view(ref, language)
    what = "Global" if g.kind == "global" else "Handle type"
    items = "".join(
        f'<li><a href="ref:{html.escape(m.key)}">{html.escape(v.qualname(m))}</a> — '
        f"{inline(first_sentence(m.summary))}</li>"
        for m in g.methods
    )
    return (
        f'<h2>{html.escape(g.name)}</h2><p class="muted">{what}, since {html.escape(g.since)}</p>'
        f"<p><b>{inline(g.summary)}</b></p>{prose(g.body)}<h3>Methods</h3><ul>{items}</ul>"
    )


# ------------------------------------------------------------------------------------------------ the static site
_CSS = """
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1d1d1f;display:flex}
nav{position:sticky;top:0;height:100vh;overflow:auto;width:270px;flex:none;background:#f5f5f7;
    border-right:1px solid #ddd;padding:12px;box-sizing:border-box}
nav input,nav select{width:100%;box-sizing:border-box;margin-bottom:8px;padding:4px 6px;font:inherit}
nav ul{list-style:none;margin:0;padding:0}nav li li{padding-left:14px}nav a{color:#0b57d0;text-decoration:none}
nav .kind{color:#888;font-size:12px;text-transform:uppercase;margin-top:10px}
main{padding:16px 32px;max-width:980px;flex:1;min-width:0;box-sizing:border-box}
h2{border-bottom:2px solid #ddd;padding-bottom:4px;margin-top:36px}
article{border-top:1px solid #eee;padding-top:8px}
pre.sig{background:#eef3fb;padding:8px;border-radius:4px;white-space:pre-wrap}
.highlight pre{padding:8px;border-radius:4px;background:#f8f8f8;overflow:auto}
table.params{border-collapse:collapse;margin:4px 0}table.params td,table.params th{border:1px solid #ddd;
    padding:4px 8px;vertical-align:top;text-align:left}
code{background:#f2f2f2;padding:0 3px;border-radius:3px}
.note,.muted{color:#666}.since{color:#888;font-size:13px}.hidden{display:none}
"""

_JS = """
(function(){
  var q=document.getElementById('q'), lang=document.getElementById('lang');
  function setLang(l){
    document.querySelectorAll('[data-lang]').forEach(function(e){e.classList.toggle('hidden', e.dataset.lang!==l);});
    try{localStorage.setItem('llmspell-lang', l);}catch(e){}
  }
  function filter(){
    var words=q.value.toLowerCase().split(/\\s+/).filter(Boolean);
    function hit(el){var s=el.dataset.search;return words.every(function(w){return s.indexOf(w)>=0;});}
    document.querySelectorAll('section.global').forEach(function(sec){
      var any=false, byName=words.every(function(w){return sec.dataset.name.indexOf(w)>=0;}), own=byName||hit(sec);
      sec.querySelectorAll('article').forEach(function(a){var ok=byName||hit(a);a.classList.toggle('hidden',!ok);
        any=any||ok;});
      sec.classList.toggle('hidden', !(own||any));
    });
    document.querySelectorAll('nav li[data-search]').forEach(function(li){
      var target=document.getElementById(li.dataset.target);
      li.classList.toggle('hidden', !target || target.classList.contains('hidden'));
    });
  }
  q.addEventListener('input', filter);
  lang.addEventListener('change', function(){setLang(lang.value);});
  var saved=null; try{saved=localStorage.getItem('llmspell-lang');}catch(e){}
  if(saved){lang.value=saved;}
  setLang(lang.value);
})();
"""


def _search_text(*parts: str) -> str:
    return html.escape(" ".join(" ".join(parts).lower().split()), quote=True)


def _per_lang(views: dict[str, LanguageView], spell: Callable[[LanguageView], str]) -> str:
    """A name spelled per language: one span when all agree, else one ``data-lang`` span per language."""
    names = {lang: spell(v) for lang, v in views.items()}
    if len(set(names.values())) == 1:
        return html.escape(next(iter(names.values())))
    return "".join(f'<span data-lang="{lang}">{html.escape(n)}</span>' for lang, n in names.items())


def test_api_section() -> str:
    """The test files' API per language (``llmspell test``), as a section of the site."""
    from app.testing import api

    parts = []
    for lang_id, test_api in api.BY_LANGUAGE.items():
        rows = "".join(
            f"<tr><td><code>{html.escape(f.signature)}</code></td><td>{inline(f.summary)}</td></tr>"
            for f in test_api.functions
        )
        parts.append(
            f'<div data-lang="{lang_id}"><p>{html.escape(test_api.style)} style.</p>'
            f'<table class="params"><tr><th>Call</th><th>What it does</th></tr>{rows}</table>'
            f"{highlight_code(test_api.example, lang_id)}</div>"
        )
    patterns = ", ".join(f"<code>{html.escape(p)}</code>" for p in languages.all_test_patterns())
    search = _search_text(
        "test tests describe it expect assert mock spell",
        *(f.name for t in api.BY_LANGUAGE.values() for f in t.functions),
    )
    return (
        f'<section class="global" id="test-files" data-name="test files" data-search="{search}">'
        f"<h2>Test files</h2><p>Test files ({patterns}) run with <code>llmspell test</code> or the IDE's Test "
        "Explorer. Besides every global above they have <code>Mock</code> and <code>Spell</code> and their "
        f"language's test API:</p>{''.join(parts)}</section>"
    )


def render_site(ref: Reference) -> str:
    """The whole reference as one self-contained, searchable HTML page."""
    views = {lang: view(ref, lang) for lang in languages.IDS}
    nav: list[str] = []
    main: list[str] = []
    for kind, title, items in (("global", "Globals", ref.globals), ("type", "Handle types", ref.types)):
        if not items:
            continue
        nav.append(f'<li class="kind">{title}</li>')
        for g in items:
            gid = anchor(g)
            sub = "".join(
                f'<li data-search="1" data-target="{html.escape(anchor(m))}">'
                f'<a href="#{html.escape(anchor(m))}">{_per_lang(views, lambda v, m=m: v.name(m.name))}</a></li>'  # type: ignore[misc]
                for m in g.methods
            )
            nav.append(
                f'<li data-search="1" data-target="{html.escape(gid)}"><a href="#{html.escape(gid)}">'
                f"<b>{html.escape(g.name)}</b></a><ul>{sub}</ul></li>"
            )
            arts: list[str] = []
            for m in g.methods:
                names = " ".join(dict.fromkeys(views[lang].qualname(m) for lang in languages.IDS))
                opts = " ".join(o.name + " " + views["js"].name(o.name) for o in m.options)
                search = _search_text(names, m.qualname, m.summary, opts)
                per_lang = "".join(
                    f'<div data-lang="{lang}">{method_body(views[lang], m)}</div>' for lang in languages.IDS
                )
                arts.append(
                    f'<article class="method" id="{html.escape(anchor(m))}" data-search="{search}">'
                    f"<h3>{_per_lang(views, lambda v, m=m: v.qualname(m))}</h3>"  # type: ignore[misc]
                    f"{per_lang}</article>"
                )
            label = "global" if kind == "global" else "handle type"
            main.append(
                f'<section class="global" id="{html.escape(gid)}" '
                f'data-name="{_search_text(g.name)}" data-search="'
                f'{_search_text(g.name, g.summary)}"><h2>{html.escape(g.name)} '
                f'<small style="color:#888;font-weight:normal">{label}</small></h2>'
                f"<p><b>{inline(g.summary)}</b></p>{prose(g.body)}{''.join(arts)}</section>"
            )
    if ref.records:
        nav.append('<li class="kind">Record types</li>')
        recs = []
        for r in ref.records:
            rid = "record-" + r.name
            nav.append(f'<li data-search="1" data-target="{rid}"><a href="#{rid}">{html.escape(r.name)}</a></li>')
            rows = "".join(
                f'<tr><td style="white-space: nowrap"><code>{html.escape(f.name)}</code></td>'
                f"<td><code>{html.escape(f.type)}</code></td>"
                f"<td>{'required' if f.required else 'optional'}</td>"
                f"<td>{inline(f.doc)}</td></tr>"
                for f in r.fields
            )
            recs.append(
                f'<article id="{rid}" data-search="{_search_text(r.name, r.summary)}">'
                f"<h3>{html.escape(r.name)}</h3><p>{inline(r.summary)}</p>"
                f'<table class="params"><tr><th>Field</th><th>Type</th><th></th><th>Description</th></tr>'
                f"{rows}</table></article>"
            )
        main.append(
            f'<section class="global" id="records" data-name="records" data-search="records">'
            f"<h2>Record types</h2>"
            f"{''.join(recs)}</section>"
        )
    nav.append(
        '<li class="kind">Tests</li><li data-search="1" data-target="test-files">'
        '<a href="#test-files">Test files</a></li>'
    )
    main.append(test_api_section())
    options = "".join(f'<option value="{lang}">{languages.get(lang).name}</option>' for lang in languages.IDS)
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">\n<title>{TITLE}</title>\n'
        f"<style>{_CSS}\n{pygments_css()}</style>\n</head>\n<body>\n"
        f'<nav><input id="q" type="search" placeholder="Search the API…" aria-label="Search">'
        f'<select id="lang" aria-label="Language">{options}</select><ul>{"".join(nav)}</ul></nav>\n'
        f"<main><h1>{TITLE}</h1><p>Every global a spell can use, generated from the bridges' signatures and "
        "docstrings. Lua and Tengo use the names as written; JavaScript uses camelCase names and option keys. "
        "Required arguments come first, then one optional options table.</p>\n"
        + "\n".join(main)
        + f"\n</main>\n<script>{_JS}</script>\n</body>\n</html>\n"
    )
