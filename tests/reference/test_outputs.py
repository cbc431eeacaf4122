"""The generated reference: HTML, Markdown, LuaLS definitions and .d.ts are well-formed, complete and deterministic."""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
from html.parser import HTMLParser

import pytest

from app.reference import write_docs
from app.reference.html import anchor, render_site
from app.reference.markdown import render_markdown
from app.reference.model import LanguageView, Reference, build_reference
from app.reference.stubs import dts_file, lua_meta_files
from app.reference.writer import normalize_formats

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class _Checker(HTMLParser):
    """Fails on mismatched or unclosed tags; collects ids."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.ids: list[str] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for k, v in attrs:
            if k == "id" and v:
                self.ids.append(v)
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for k, v in attrs:
            if k == "id" and v:
                self.ids.append(v)

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> at {self.getpos()} closes {self.stack[-1:]}")
            return
        self.stack.pop()


def _check_html(text: str) -> _Checker:
    c = _Checker()
    c.feed(text)
    c.close()
    assert not c.errors, c.errors[:5]
    assert c.stack == [], c.stack
    return c


def _refs(fake_ref: Reference) -> list[Reference]:
    return [build_reference(), fake_ref]


def test_html_site_is_well_formed_and_complete(fake_ref: Reference) -> None:
    for ref in _refs(fake_ref):
        text = render_site(ref)
        assert text.startswith("<!DOCTYPE html>")
        c = _check_html(text)
        assert len(c.ids) == len(set(c.ids)), "duplicate ids"
        for m in ref.methods():
            assert anchor(m) in c.ids
            for lang in ("lua", "js", "tengo"):
                v = LanguageView(ref, lang)
                if v.has(m):  # else the page says it is not available (Task in JavaScript)
                    assert html.escape(v.signature(m).text) in text
        assert 'id="q"' in text and "addEventListener('input'" in text  # the search box
        assert 'class="highlight"' in text  # pygments
        for g in ref.all():
            assert anchor(g) in c.ids


def test_markdown_lists_every_method(fake_ref: Reference) -> None:
    for ref in _refs(fake_ref):
        text = render_markdown(ref)
        lua, js = LanguageView(ref, "lua"), LanguageView(ref, "js")
        for m in ref.methods():
            title = m.qualname if m.owner_kind == "global" else f"{m.owner}:{m.name}"
            assert f"### {title}\n" in text
            for v in (lua, js):
                if v.has(m):
                    assert v.signature(m).text.replace("|", "\\|") in text
        assert text.count("```") % 2 == 0


def test_dts_declares_every_method(fake_ref: Reference) -> None:
    for ref in _refs(fake_ref):
        text = dts_file(ref)
        js = LanguageView(ref, "js")
        for g in ref.all():
            if not js.has(g):  # Task: JavaScript has promises instead
                assert f"interface {g.name}Global" not in text
                continue
            iface = g.name if (g.kind == "type" or g.name in ("JSON", "Math")) else g.name + "Global"
            block = re.search(r"\ninterface " + re.escape(iface) + r" \{\n(.*?)\n\}\n", text, re.S)
            assert block, f"no interface {iface}"
            for m in g.methods:
                assert re.search(r'^  "?' + re.escape(js.name(m.name)) + r'"?\(', block.group(1), re.M), m.qualname
            if g.kind == "global" and g.name not in ("JSON", "Math"):
                assert f"declare var {g.name}: {iface};" in text
        assert text.count("/**") == text.count("*/")
        assert text.count("{") == text.count("}")


def test_luals_definitions_parse_and_declare_every_method(fake_ref: Reference) -> None:
    from lupa import lua54

    for ref in _refs(fake_ref):
        files = lua_meta_files(ref)
        lua = lua54.LuaRuntime()
        check = lua.eval("function(src, name) local f, err = load(src, name, 't'); return err end")
        for name, text in files.items():
            assert text.startswith("---@meta")
            assert check(text, name) is None, name
        all_text = "\n".join(files.values())
        for m in ref.methods():
            if not LanguageView(ref, "lua").has(m):
                continue
            sep = "." if m.owner_kind == "global" else ":"
            assert re.search(rf"^function {re.escape(m.owner)}{re.escape(sep)}{re.escape(m.name)}\(", all_text, re.M), (
                m.qualname
            )
    text = lua_meta_files(fake_ref)["LLM.lua"]
    assert "---@param opts? LLMChatOptions" in text and "---@field max_tokens? integer" in text
    assert "---@class Agent" in lua_meta_files(fake_ref)["Agent.type.lua"]
    assert "---@class AgentGlobal" in lua_meta_files(fake_ref)["Agent.lua"]  # name shared with the handle type


def test_generation_is_deterministic(tmp_path) -> None:
    a = write_docs(str(tmp_path / "a"), ["all"])
    b = write_docs(str(tmp_path / "b"), ["html", "md", "luals", "dts", "json"])
    assert [os.path.relpath(p, tmp_path / "a") for p in a] == [os.path.relpath(p, tmp_path / "b") for p in b]
    for pa, pb in zip(a, b):
        with open(pa, "rb") as fa, open(pb, "rb") as fb:
            assert fa.read() == fb.read(), pa
    again = write_docs(str(tmp_path / "a"), ["all"])
    assert again == a


def test_write_docs_layout_and_formats(tmp_path) -> None:
    paths = write_docs(str(tmp_path), ["html", "dts"])
    rel = sorted(os.path.relpath(p, tmp_path) for p in paths)
    assert rel == ["dts/llmspell.d.ts", "dts/tsconfig.json", "html/index.html"]
    assert json.loads((tmp_path / "dts" / "tsconfig.json").read_text())["compilerOptions"]["noEmit"] is True
    assert normalize_formats("html, markdown,lua,ts") == ["html", "md", "luals", "dts"]
    with pytest.raises(ValueError, match="unknown docs format 'pdf'"):
        write_docs(str(tmp_path), ["pdf"])


def test_stale_luals_files_are_removed(tmp_path) -> None:
    stale = tmp_path / "luals" / "Gone.lua"
    stale.parent.mkdir(parents=True)
    from app.reference.stubs import HEADER

    stale.write_text(f"---@meta Gone\n-- {HEADER}\n")
    mine = tmp_path / "luals" / "mine.lua"
    mine.write_text("-- user file\n")
    write_docs(str(tmp_path), ["luals"])
    assert not stale.exists() and mine.exists()


def _tsc() -> str | None:
    return os.environ.get("LLMSPELL_TSC") or shutil.which("tsc")


@pytest.mark.skipif(_tsc() is None, reason="tsc not installed (npm install typescript; or set LLMSPELL_TSC)")
def test_tsc_accepts_dts_and_js_examples(tmp_path) -> None:
    write_docs(str(tmp_path), ["dts"])
    ref = build_reference()
    from tests.reference.test_examples_run import KNOWN_BROKEN

    for m in ref.methods():
        code = m.examples.get("js")
        if code and ("js", m.qualname) not in KNOWN_BROKEN and LanguageView(ref, "js").has(m):
            # each example is its own module so examples may reuse variable names
            (tmp_path / "dts" / f"{m.owner}_{m.name}.js").write_text(code + "\nexport {};\n")
    (tmp_path / "dts" / "environment.js").write_text(
        'print(INPUT && INPUT.name);\nconst helpers = require("./helpers");\n'
        'try { JSON.decode("{"); } catch (e) { if (e instanceof SpellError) console.log(e.code, e.retryable); }\n'
        'console.log(JSON.stringify(JSON.parse("[]")), helpers.twice(2));\n'
    )
    (tmp_path / "dts" / "helpers.js").write_text("module.exports = {twice: (x) => 2 * x};\n")
    proc = subprocess.run([_tsc(), "-p", str(tmp_path / "dts")], capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_dts_quotes_method_names_that_are_keywords(fake_ref: Reference) -> None:
    import dataclasses

    g = fake_ref.global_("Agent")
    new = dataclasses.replace(g.methods[0], name="new")
    ref = dataclasses.replace(fake_ref, globals=[dataclasses.replace(g, methods=[new])])
    assert '  "new"(name: string' in dts_file(ref)


@pytest.mark.skipif(shutil.which("node") is None, reason="node not installed")
def test_site_script_is_valid_javascript(tmp_path) -> None:
    text = render_site(build_reference())
    script = re.search(r"<script>(.*?)</script>", text, re.S).group(1)
    (tmp_path / "site.js").write_text(script)
    proc = subprocess.run(["node", "--check", str(tmp_path / "site.js")], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr


def test_module_entry_point(tmp_path, capsys) -> None:
    from app.reference.__main__ import main

    assert main(["--out", str(tmp_path), "--format", "md,dts"]) == 0
    printed = capsys.readouterr().out.split()
    assert sorted(os.path.relpath(p, tmp_path) for p in printed) == [
        "dts/llmspell.d.ts",
        "dts/tsconfig.json",
        "markdown/reference.md",
    ]
    assert main(["--out", str(tmp_path), "--format", "pdf"]) == 2
    assert "unknown docs format 'pdf'" in capsys.readouterr().err
    assert main(["--check"]) == 0


_LUALS_BUILTIN = {
    "any",
    "nil",
    "boolean",
    "string",
    "number",
    "integer",
    "table",
    "function",
    "fun",
    "unknown",
    "userdata",
    "thread",
    "lightuserdata",
    "self",
    "true",
    "false",
}


def _luals_annotation_problems(files: dict[str, str]) -> list[str]:
    """What lua-language-server would flag in our annotations: undefined types, @param names that are not the
    function's parameters (in order), annotations not followed by their function."""
    text = "\n".join(files.values())
    classes = set(re.findall(r"^---@class ([\w.]+)", text, re.M))
    problems = []
    for name, body in files.items():
        pending: list[str] = []
        for line in body.splitlines():
            m = re.match(r"^---@(param|return|field|type) (.*)$", line)
            if m:
                kind, rest = m.groups()
                if kind == "param":
                    pname, _, typ = rest.partition(" ")
                    pending.append(pname.rstrip("?"))
                    typ = typ.split(" ", 1)[0] if not typ.startswith("fun(") else "fun"
                elif kind == "field":
                    typ = rest.split(" ")[1]
                else:
                    typ = rest.split(" #")[0].split(" ")[0]
                for ident in re.findall(r"[A-Za-z_][\w.]*", re.sub(r'"[^"]*"', "", typ)):
                    if ident not in _LUALS_BUILTIN and ident not in classes:
                        problems.append(f"{name}: unknown type {ident!r} in {line!r}")
                continue
            f = re.match(r"^function [\w.:]+\((.*)\) end$", line)
            if f:
                params = [p.strip() for p in f.group(1).split(",") if p.strip()]
                if pending and params != pending:
                    problems.append(f"{name}: {line!r} has parameters {params}, annotated {pending}")
                pending = []
            elif pending and not line.startswith("---"):
                problems.append(f"{name}: @param annotations not followed by a function: {line!r}")
                pending = []
    return problems


def test_luals_annotations_are_consistent(fake_ref: Reference) -> None:
    for ref in _refs(fake_ref):
        assert _luals_annotation_problems(lua_meta_files(ref)) == []
    bad = {"x.lua": "---@class X\n---@param a string\n---@param b Nope\nfunction X.f(a) end\n"}
    found = _luals_annotation_problems(bad)
    assert any("unknown type 'Nope'" in p for p in found) and any("annotated ['a', 'b']" in p for p in found)


def test_dts_names_are_declared(fake_ref: Reference) -> None:
    """Without tsc: every capitalised name the .d.ts uses outside comments is declared in it or by ES2020."""
    builtin = {
        "Record",
        "Error",
        "Console",
        "JSON",
        "Math",
        "Array",
        "Promise",
        "Object",
        "String",
        "Number",
        "Boolean",
        "Function",
        "RegExp",
    }
    for ref in _refs(fake_ref):
        code = re.sub(r"/\*\*.*?\*/", "", dts_file(ref), flags=re.S)
        code = re.sub(r"//[^\n]*", "", code)
        code = re.sub(r'"[^"\n]*"', '""', code)
        declared = set(re.findall(r"(?:interface|declare var|declare class|declare function) (\w+)", code))
        used = set(re.findall(r"\b([A-Z]\w*)\b", code))
        assert used - declared - builtin == set()


def test_generation_is_deterministic_across_processes(tmp_path) -> None:
    """Same bytes whatever the hash seed (no set or hash order leaks into the output)."""
    import sys

    outs = []
    for seed in ("1", "2"):
        out = tmp_path / seed
        env = dict(os.environ, PYTHONHASHSEED=seed)
        subprocess.run(
            [sys.executable, "-m", "app.reference", "--out", str(out), "--format", "all"],
            env=env,
            check=True,
            capture_output=True,
            timeout=120,
        )
        outs.append({str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()})
    assert outs[0].keys() == outs[1].keys()
    for name in outs[0]:
        assert outs[0][name] == outs[1][name], name
