"""The language-neutral reference model and its Lua / JS / Tengo views."""

from __future__ import annotations

from app.reference.model import INITIAL_VERSION, LanguageView, Reference, build_reference, lua_to_tengo, split_type


def test_live_registry_has_every_global_and_method() -> None:
    from app.bridges import registry

    ref = build_reference()
    assert [g.name for g in ref.globals] == [g.name for g in registry.globals_info()]
    assert [t.name for t in ref.types] == [t.name for t in registry.types_info()]
    for g in [*registry.globals_info(), *registry.types_info()]:
        mine = ref.global_(g.name) if g.kind == "global" else ref.type_(g.name)
        assert mine is not None
        assert sorted(m.name for m in mine.methods) == sorted(g.methods)


def test_json_encode_description() -> None:
    ref = build_reference()
    m = ref.find("JSON.encode")
    assert m is not None and m.summary == "Turn a value into JSON text."
    assert [p.name for p in m.params] == ["value"]
    assert [o.name for o in m.options] == ["pretty", "sort_keys"]
    assert m.returns_type == "string" and m.returns_doc == "The JSON text."
    assert [e.code for e in m.errors] == ["invalid_argument"]
    assert {"lua", "js"} <= set(m.examples)
    assert m.since == INITIAL_VERSION


def test_views_spell_names_types_and_signatures(fake_ref: Reference) -> None:
    m = fake_ref.find("LLM.count_tokens")
    lua, js, tengo = (LanguageView(fake_ref, lang) for lang in ("lua", "js", "tengo"))
    assert lua.qualname(m) == "LLM.count_tokens"
    assert js.qualname(m) == "LLM.countTokens"
    assert tengo.qualname(m) == "LLM.count_tokens"
    assert lua.signature(m).text == "LLM.count_tokens(text: string, model?: string) -> integer"
    assert js.signature(m).text == "LLM.countTokens(text: string, model?: string): number"
    assert tengo.signature(m).text == "LLM.count_tokens(text: string, model?: string) -> int"
    chat = fake_ref.find("LLM.chat")
    sig = js.signature(chat)
    assert [sig.text[a:b] for a, b in sig.ranges] == [
        "prompt: string",
        "system?: string",
        "opts?: {model?: string, maxTokens?: number, temperature?: number}",
    ]
    run = fake_ref.find("type:Agent.run")
    assert lua.qualname(run) == "agent:run" and js.qualname(run) == "agent.run"
    assert js.call_snippet(chat) == "LLM.chat(prompt);"
    assert lua.call_snippet(run) == "agent:run(input)"
    msgs = fake_ref.find("LLM.messages")
    assert lua.type(msgs.returns_type) == "Message[]"
    assert js.param_type(msgs.params[1]) == "(...args: any[]) => any"
    assert msgs.params[1].is_callback


def test_records_since_and_errors(fake_ref: Reference) -> None:
    rec = fake_ref.record("Message")
    assert rec is not None and [f.name for f in rec.fields] == ["role", "content"]
    assert rec.fields[0].doc.startswith("Who speaks")
    create = fake_ref.find("Agent.create")
    assert create.since == "0.3.0" and "Since" not in create.body
    assert fake_ref.find("type:Agent.run").errors[1].code == "cancelled"
    assert fake_ref.find("LLM.chat").errors[0].code == "timeout"
    assert fake_ref.find("LLM.chat").errors[0].text == "when the model does not answer in time."


def test_find_accepts_neutral_js_and_lua_spellings(fake_ref: Reference) -> None:
    assert fake_ref.find("LLM.countTokens").name == "count_tokens"
    assert fake_ref.find("global:LLM").name == "LLM"
    assert fake_ref.find("type:Agent.run").owner_kind == "type"
    assert fake_ref.find("Agent").kind == "global"  # the global wins over the handle type
    assert fake_ref.find("Nope.x") is None


def test_to_dict_is_json_ready(fake_ref: Reference) -> None:
    import json

    text = json.dumps(fake_ref.to_dict(), sort_keys=True)
    assert "count_tokens" in text and "Message" in text


def test_split_type() -> None:
    assert split_type("list[string|nil]|nil") == ["list[string|nil]", "nil"]
    assert split_type("") == ["any"]


def test_tengo_examples_derived_or_explained(fake_ref: Reference) -> None:
    t = LanguageView(fake_ref, "tengo")
    code, note = t.example(fake_ref.find("LLM.chat"))
    assert code == 'fmt := import("fmt")\nfmt.println(LLM.chat("hi", undefined, {max_tokens: 10}))'
    assert "Derived" in note
    code, note = t.example(fake_ref.find("type:Agent.run"))
    assert code == 'fmt := import("fmt")\nagent := Agent.create("helper")\nfmt.println(agent.run("add 2 and 3"))'
    code, note = t.example(fake_ref.find("type:Agent.history"))  # '#agent:history()' → len() of a call: no
    assert code == "" and "No Tengo example" in note


def test_lua_to_tengo_subset() -> None:
    assert lua_to_tengo("local t = {a = 1, b = {\"x\", 'y'}}  -- c\nprint(#t.b)") == (
        'fmt := import("fmt")\nt := {a: 1, b: ["x", "y"]}  // c\nfmt.println(len(t.b))'
    )
    assert lua_to_tengo('local a = Agent.new({})\nprint(a:run("x").text); print(#a.xs)') == (
        'fmt := import("fmt")\na := Agent.new({})\nfmt.println(a.run("x").text); fmt.println(len(a.xs))'
    )
    for code in (
        "for i = 1, 3 do end",
        "obj:method{}",
        "local a, b = 1, 2",
        "print(#a:history())",
        "x = a .. b",
        "local s = [[long]]",
        "local f = function() end",
    ):
        assert lua_to_tengo(code) is None, code


def test_derived_tengo_examples_compile() -> None:
    """Every Tengo example the reference shows parses and compiles with the project's Tengo compiler."""
    import pytest

    tengo = pytest.importorskip("app.engines.tengo.interpreter")
    ref = build_reference()
    v = LanguageView(ref, "tengo")
    names = [g.name for g in ref.globals]
    shown = 0
    for m in ref.methods():
        code, note = v.example(m)
        assert code or note, m.qualname
        if code:
            from app.testing.api import TENGO  # examples of Mock and Spell are test files

            tengo.Interpreter(stdlib={"fmt"}).compile(code, m.qualname, predefined=names + TENGO.globals())
            shown += 1
    assert shown >= 3


def test_tengo_keyword_method_names_get_a_note(fake_ref: Reference) -> None:
    from app.reference.model import MethodRef

    m = MethodRef(
        "Log", "global", "error", "Log an error.", "", [], [], False, "nil", "", [], {"lua": 'Log.error("x")'}, "0.1.0"
    )
    code, note = LanguageView(fake_ref, "tengo").example(m)
    assert code == 'Log["error"]("x")' and 'Log["error"]' in note and "keyword" in note


def test_reference_and_editor_intel_do_not_import_litellm_or_qt() -> None:
    """The editor builds the reference at start-up: it must stay cheap (no litellm) and Qt-free."""
    import subprocess
    import sys

    code = (
        "import sys; from app.reference.model import get_reference; from app.ui import editor_intel; "
        "from app.reference import write_docs; get_reference(); editor_intel.complete('LLM.', 4, 'lua'); "
        "print('litellm' in sys.modules, any(m.startswith('PySide6') for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_tengo_spells_keyword_methods_as_an_index() -> None:
    ref = build_reference()
    m = ref.find("Log.error")
    t = LanguageView(ref, "tengo")
    assert t.qualname(m) == 'Log["error"]'
    assert t.signature(m).text.startswith('Log["error"](message: string')
    assert t.call_snippet(m) == 'Log["error"](message)'
    assert LanguageView(ref, "lua").qualname(m) == "Log.error"
