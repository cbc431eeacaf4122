"""The language registry: lookups, module resolution, and that the rest of the app reads it."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import pytest

from app import languages
from app.engines.base import language_for


def test_ids_and_records_are_consistent() -> None:
    assert languages.IDS == ("lua", "js", "tengo")
    for lang_id, lang in languages.LANGUAGES.items():
        assert lang.id == lang_id
        assert lang.name and lang.extensions and lang.engine and lang.comment and lang.keywords
        assert all(ext.startswith(".") and ext == ext.lower() for ext in lang.extensions)
        assert len(set(lang.keywords)) == len(lang.keywords), f"{lang_id}: a keyword listed twice"
    with pytest.raises(dataclasses.FrozenInstanceError):
        languages.LUA.name = "Moon"  # type: ignore[misc]


def test_lookups() -> None:
    assert languages.for_path("/a/b/spell.LUA") is languages.LUA
    assert languages.for_path("x.mjs") is languages.JS
    assert languages.for_path("x.cjs") is languages.JS
    assert languages.for_path("x.tengo") is languages.TENGO
    assert languages.for_path("notes.txt") is None
    assert languages.for_path(None) is None
    assert languages.by_name("JavaScript") is languages.JS
    assert languages.by_name("lua54") is languages.LUA
    with pytest.raises(ValueError, match="expected one of: lua, js, tengo"):
        languages.by_name("python")
    assert languages.find("json") is None and languages.find(None) is None
    assert languages.is_spell_language("tengo") and not languages.is_spell_language("text")
    assert languages.extensions() == (".lua", ".js", ".mjs", ".cjs", ".tengo")
    assert languages.primary_extensions() == (".lua", ".js", ".tengo")


def test_debuggable() -> None:
    assert [lang.id for lang in languages.debuggable()] == ["lua", "js", "tengo"]
    assert languages.is_debuggable("lua") and languages.is_debuggable("js")
    assert not languages.is_debuggable("text")
    with pytest.raises(ValueError, match="cannot be debugged"):
        dataclasses.replace(languages.JS, debug_agent=None).debug_agent_class()
    assert languages.LUA.debug_agent_class().__name__ == "LuaDebugAgent"
    assert languages.JS.debug_agent_class().__name__ == "JsDebugAgent"
    assert languages.TENGO.debug_agent_class().__name__ == "TengoDebugAgent"


def test_test_file_patterns() -> None:
    assert languages.all_test_patterns() == ("*_spec.lua", "*_test.lua", "*.test.js", "*.spec.js", "*_test.tengo")
    assert languages.language_of_test_file("/w/math_spec.lua") is languages.LUA
    assert languages.language_of_test_file("api.test.js") is languages.JS
    assert languages.language_of_test_file("util_test.tengo") is languages.TENGO
    assert languages.language_of_test_file("spec.lua") is None
    assert languages.language_of_test_file("test.js") is None


def test_module_resolvers() -> None:
    assert languages.LUA.module_candidates("a.b") == ["a/b.lua", "a/b/init.lua"]
    for bad in ("", "../x", "a/b", "a b"):
        with pytest.raises(languages.ModuleNameError):
            languages.LUA.module_candidates(bad)
    assert languages.JS.module_candidates("./util") == ["./util.js", "./util/index.js"]
    assert languages.JS.module_candidates("lib.mjs")[0] == "lib.mjs"
    assert languages.TENGO.module_candidates("m") == ["m.tengo"]
    assert languages.TENGO.module_candidates("m.tengo") == ["m.tengo.tengo", "m.tengo"]


def test_spoken_lists() -> None:
    assert languages.names_list() == "Lua, JavaScript and Tengo"
    assert languages.names_list(languages.debuggable(), "or") == "Lua, JavaScript or Tengo"
    assert languages.spoken_list([".lua"]) == ".lua"


def test_language_for_reads_the_registry() -> None:
    assert language_for("x.js") == "js"
    assert language_for("x", "javascript") == "js"
    with pytest.raises(ValueError, match="pass --lang"):
        language_for("x.py")


def test_engines_load_from_the_registry() -> None:
    for lang in languages.LANGUAGES.values():
        engine = lang.load_engine()
        assert engine.language == lang.id


def test_registry_is_light() -> None:
    """The worker imports the registry before its engine: it must pull in neither Qt nor litellm nor an engine."""
    code = (
        "import sys, app.languages; bad = [m for m in sys.modules if m.split('.')[0] in "
        "('PySide6', 'litellm', 'lupa', 'quickjs') or m.startswith('app.engines')]; print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_editor_and_completion_share_one_keyword_list() -> None:
    from app.engines.tengo import lexer
    from app.ui import editor_intel
    from app.ui import languages as ui_languages

    for lang in languages.LANGUAGES.values():
        assert editor_intel.KEYWORDS[lang.id] == lang.keywords
        assert ui_languages.LANGUAGES[lang.id].keywords.split() == list(lang.keywords)
        assert ui_languages.LANGUAGES[lang.id].comment == lang.comment
    assert lexer.KEYWORDS == frozenset(languages.TENGO.keywords)
