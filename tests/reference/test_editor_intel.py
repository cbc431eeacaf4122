"""Completion, option keys, call tips, hover and F1 symbols from the reference (Qt-free)."""

from __future__ import annotations

import time

from app.reference.model import Reference
from app.ui import editor_intel as ei


def _at(src: str) -> tuple[str, int]:
    pos = src.index("|")
    return src.replace("|", "", 1), pos


def labels(src: str, lang: str, ref: Reference | None = None, **kw) -> list[str]:
    text, pos = _at(src)
    return [c.label for c in ei.complete(text, pos, lang, ref, **kw).items]


def test_members_of_a_global(fake_ref: Reference) -> None:
    assert labels("LLM.|", "lua", fake_ref) == ["chat", "count_tokens", "messages"]
    assert labels("LLM.|", "js", fake_ref) == ["chat", "countTokens", "messages"]
    assert labels("x = LLM.co|", "tengo", fake_ref) == ["count_tokens"]
    text, pos = _at("LLM.co|")
    res = ei.complete(text, pos, "js", fake_ref)
    assert res.start == 4 and res.prefix == "co" and res.context == "member"
    item = res.items[0]
    assert item.kind == "method" and item.detail.startswith("LLM.countTokens(text: string")
    assert item.doc == "Count the tokens of a text." and item.key == "global:LLM.count_tokens"


def test_live_registry_members() -> None:
    assert {"encode", "decode", "array"} <= set(labels("JSON.|", "lua"))
    assert "info" in labels("Log.|", "js")


def test_handle_methods_lua_colon_and_js_dot(fake_ref: Reference) -> None:
    assert labels("local a = Agent.create('x')\na:|", "lua", fake_ref) == ["history", "run"]
    assert labels("const bot = Agent.create('x');\nbot.r|", "js", fake_ref) == ["run"]
    assert labels('bot := Agent.create("x")\nbot.|', "tengo", fake_ref) == ["history", "run"]
    # unknown receiver in Lua: every handle type's methods; by name: agent → Agent
    assert labels("whatever:|", "lua", fake_ref) == ["history", "run"]
    assert labels("research_agent.|", "js", fake_ref) == ["history", "run"]
    assert labels("somebody.|", "js", fake_ref) == []
    # Lua: globals are not called with ':' and handles not with '.'
    assert labels("LLM:|", "lua", fake_ref) == []
    assert labels("local a = Agent.create('x')\na.|", "lua", fake_ref) == []


def test_option_keys_inside_braces(fake_ref: Reference) -> None:
    assert labels("LLM.chat('hi', nil, {|", "lua", fake_ref) == ["max_tokens", "model", "temperature"]
    assert labels("LLM.chat('hi', null, {maxTokens: 3, |", "js", fake_ref) == ["model", "temperature"]
    assert labels("LLM.chat('hi', {mo|", "lua", fake_ref) == ["model"]
    assert labels('r := LLM.chat("hi", {te|', "tengo", fake_ref) == ["temperature"]
    text, pos = _at("LLM.chat('hi', nil, {mod|")
    res = ei.complete(text, pos, "lua", fake_ref)
    assert res.context == "option" and res.items[0].insert == "model = " and res.items[0].detail == "string"
    text, pos = _at("LLM.chat('hi', null, {mod|")
    assert ei.complete(text, pos, "js", fake_ref).items[0].insert == "model: "
    # value position, nested tables, a table that is a positional argument: no option keys
    assert "max_tokens" not in labels("LLM.chat('hi', nil, {model = mo|", "lua", fake_ref, explicit=True)
    assert labels("LLM.messages({|", "lua", fake_ref) == []
    assert labels("local a = Agent.create('x')\na:run('t', {|", "lua", fake_ref) == ["max_steps"]
    assert labels("JSON.encode(v, {|", "js") == ["pretty", "sortKeys"]
    assert labels("JSON.encode({|", "js") == []


def test_no_completion_in_strings_and_comments(fake_ref: Reference) -> None:
    assert labels("x = 'LLM.|", "lua", fake_ref) == []
    assert labels("-- LLM.|", "lua", fake_ref) == []
    assert labels("// LLM.|", "js", fake_ref) == []
    assert labels("/* LLM.|", "js", fake_ref) == []
    assert labels("x = `LLM.|", "js", fake_ref) == []
    assert labels("x = 'it''s'\nLLM.|", "lua", fake_ref) == ["chat", "count_tokens", "messages"]
    assert labels("--[[ c ]] LLM.|", "lua", fake_ref) == ["chat", "count_tokens", "messages"]


def test_words_locals_globals_keywords(fake_ref: Reference) -> None:
    src = "local foo = 1\nlocal function fetch(url, opts) end\nf|"
    got = labels(src, "lua", fake_ref)
    assert {"foo", "fetch", "for", "function", "false"} <= set(got)
    assert labels("L|", "lua", fake_ref) == ["LLM", "local"]  # exact case first, then case-insensitive
    assert labels("A|", "js", fake_ref) == ["Agent", "async", "await"]
    assert labels("|", "lua", fake_ref) == []  # nothing typed, not explicit
    assert "LLM" in labels("|", "lua", fake_ref, explicit=True)
    text, pos = _at("local total = 0\nlocal t|")
    assert "total" in [c.label for c in ei.complete(text, pos, "lua", fake_ref).items]
    assert labels("local x = 1\nprint(12|", "lua", fake_ref) == []


def test_local_symbols_per_language() -> None:
    lua = ei.local_symbols(
        "local a<const>, b = 1, 2\nfunction f(x, ...) end\nfunction M.g(y) end\n"
        "for i, v in ipairs(t) do end\nlocal s = 'local zz = 1' -- local yy\n",
        "lua",
    )
    assert [(s.name, s.kind, s.line) for s in lua] == [
        ("a", "local", 1),
        ("b", "local", 1),
        ("f", "function", 2),
        ("x", "param", 2),
        ("y", "param", 3),
        ("i", "local", 4),
        ("v", "local", 4),
        ("s", "local", 5),
    ]
    js = {
        s.name: s.kind
        for s in ei.local_symbols(
            "const a = 1; let b; function f(x, y = 2) {}\nxs.map((v, i) => v); z => z; class K {}", "js"
        )
    }
    assert js == {
        "a": "local",
        "b": "local",
        "f": "function",
        "x": "param",
        "y": "param",
        "v": "param",
        "i": "param",
        "z": "param",
        "K": "local",
    }
    tengo = {s.name for s in ei.local_symbols("a := 1\nf := func(x, y) { return x }\nfor k, v in m {}", "tengo")}
    assert tengo == {"a", "f", "x", "y", "k", "v"}


def _tip(src: str, lang: str, ref: Reference | None = None) -> tuple[str, str | None, int] | None:
    text, pos = _at(src)
    t = ei.call_tip(text, pos, lang, ref)
    if t is None:
        return None
    return t.text, (t.text[t.highlight[0] : t.highlight[1]] if t.highlight else None), t.arg_index


def test_call_tips_highlight_the_current_argument(fake_ref: Reference) -> None:
    sig = (
        "LLM.chat(prompt: string, system?: string, opts?: {model?: string, max_tokens?: integer, "
        "temperature?: number}) -> string"
    )
    assert _tip("LLM.chat(|", "lua", fake_ref) == (sig, "prompt: string", 0)
    assert _tip("LLM.chat('a, b', |", "lua", fake_ref) == (sig, "system?: string", 1)
    assert _tip("LLM.chat('a', nil, {max_tokens = f(1, 2), |", "lua", fake_ref)[1:] == (
        "opts?: {model?: string, max_tokens?: integer, temperature?: number}",
        2,
    )
    assert _tip("LLM.chat('a', {mo|", "lua", fake_ref)[2] == 2  # options table given in place of `system`
    assert _tip("LLM.chat('a', nil, {}, |", "lua", fake_ref)[1:] == (None, 3)
    assert _tip("print(LLM.countTokens(|", "js", fake_ref)[0].startswith("LLM.countTokens(text: string")
    assert _tip("LLM.chat(foo(|", "lua", fake_ref)[2] == 0  # inside an unknown call: the bridge call around it
    assert _tip("LLM.chat('a') |", "lua", fake_ref) is None
    assert _tip("local ag = Agent.create('x')\nag:run(|", "lua", fake_ref)[0].startswith("agent:run(input: string")
    text, pos = _at("x = LLM.chat(|")
    assert ei.call_tip(text, pos, "lua", fake_ref).call_start == 12


def test_hover_and_symbol_at(fake_ref: Reference) -> None:
    text, pos = _at("LLM.cha|t('x')")
    assert ei.symbol_at(text, pos, "lua", fake_ref) == "global:LLM.chat"
    h = ei.hover(text, pos, "lua", fake_ref)
    assert h.startswith("LLM.chat(prompt: string") and "Send one prompt" in h and "opts.max_tokens" in h
    text, pos = _at("L|LM.chat('x')")
    assert ei.symbol_at(text, pos, "lua", fake_ref) == "global:LLM"
    assert "Talk to language models." in ei.hover(text, pos, "lua", fake_ref)
    text, pos = _at("const a = Agent.create('x');\na.ru|n('y');")
    assert ei.symbol_at(text, pos, "js", fake_ref) == "type:Agent.run"
    text, pos = _at("LLM.countT|okens('x')")
    assert ei.symbol_at(text, pos, "js", fake_ref) == "global:LLM.count_tokens"
    text, pos = _at("local foo = 1\nprint(fo|o)")
    assert ei.symbol_at(text, pos, "lua", fake_ref) is None
    assert ei.hover(text, pos, "lua", fake_ref) == "local foo (line 1)"
    text, pos = _at("local a = Agent.create('x')\nprint(a|)")
    assert ei.hover(text, pos, "lua", fake_ref) == "local a (line 1): Agent"
    assert ei.hover("   ", 1, "lua", fake_ref) is None


def test_byte_char_positions() -> None:
    text = "é = '€'\nx"
    assert ei.char_to_byte(text, 1) == 2
    assert ei.byte_to_char(text, ei.char_to_byte(text, 8)) == 8


def test_big_file_stays_fast() -> None:
    lines = []
    for i in range(5000):
        lines += [
            f'local v{i} = JSON.encode({{n = {i}, s = "x -- y"}}, {{pretty = true}})',
            f"-- comment {i}",
            f"local function f{i}(a, b) return a .. b end",
            f"print(v{i})",
        ]
    text = "\n".join(lines) + "\nJSON.encode(v1, {"
    ei.complete(text, len(text), "lua")  # warm the reference
    start = time.perf_counter()
    assert [c.label for c in ei.complete(text, len(text), "lua").items] == ["pretty", "sort_keys"]
    ei.call_tip(text, len(text), "lua")
    ei.complete(text + "\nv49", len(text) + 4, "lua")
    assert time.perf_counter() - start < 0.5


def _typed(src: str, lang: str, ref: Reference) -> ei.Suggestion:
    text, pos = _at(src)
    return ei.on_char_added(text, pos, lang, text[pos - 1], ref)


def test_on_char_added_drives_the_editor(fake_ref: Reference) -> None:
    s = _typed("LLM.|", "lua", fake_ref)
    assert s.completion.labels() == ["chat", "count_tokens", "messages"] and s.call_tip is None
    s = _typed("LLM.chat(|", "lua", fake_ref)
    assert s.call_tip.arg_index == 0 and s.completion is None
    s = _typed("LLM.chat('a', nil, {|", "lua", fake_ref)
    assert s.completion.context == "option" and s.call_tip.arg_index == 2
    assert s.completion.insert_for("model") == "model = "
    s = _typed("LLM.chat('a', null, {maxTokens: 1,|", "js", fake_ref)
    assert s.completion.labels() == ["model", "temperature"]
    s = _typed("LLM.chat('a')|", "lua", fake_ref)
    assert s.cancel_call_tip
    s = _typed("print(LLM.chat('a')|", "lua", fake_ref)
    assert s.cancel_call_tip  # print is not a bridge call
    s = _typed("local value = 1\nva|", "lua", fake_ref)
    assert s.completion.labels() == ["value"]
    assert _typed("local value = 1\nv|", "lua", fake_ref).completion is None  # one character: wait
    assert _typed("local value = 1\nvalue|", "lua", fake_ref).completion is None  # already complete
    assert _typed("x = 1 + |", "lua", fake_ref) == ei.Suggestion()


def test_option_keys_in_call_tips_and_hover(fake_ref: Reference) -> None:
    text, pos = _at("LLM.chat('a', nil, {max_tokens = |")
    tip = ei.call_tip(text, pos, "lua", fake_ref)
    assert tip.arg_index == 2 and tip.doc == "max_tokens: integer — Upper bound on the reply's length."
    text, pos = _at("LLM.chat('a', null, {maxTokens: 5, temperature: |")
    assert ei.call_tip(text, pos, "js", fake_ref).doc.startswith("temperature: number")
    text, pos = _at("LLM.chat('a', nil, {|")
    assert ei.call_tip(text, pos, "lua", fake_ref).doc == "Send one prompt and return the reply."
    text, pos = _at("LLM.chat('a', nil, {max_to|kens = 5})")
    assert ei.hover(text, pos, "lua", fake_ref) == (
        "LLM.chat option max_tokens: integer\n\nUpper bound on the reply's length."
    )
    text, pos = _at("local t = {max_to|kens = 5}")
    assert "option" not in (ei.hover(text, pos, "lua", fake_ref) or "")  # a plain table, not a bridge call


def test_calls_on_a_call_result(fake_ref: Reference) -> None:
    assert labels("Agent.create('x'):|", "lua", fake_ref) == ["history", "run"]
    assert labels("Agent.create('x').|", "lua", fake_ref) == []  # Lua: handle methods take ':'
    assert labels("Agent.create(f('x', 1)).r|", "js", fake_ref) == ["run"]
    assert labels("foo('x').|", "js", fake_ref) == []
    assert _tip("Agent.create('x'):run('t', |", "lua", fake_ref)[1:] == ("opts?: {max_steps?: integer}", 1)
    assert labels("Agent.create('x'):run('t', {|", "lua", fake_ref) == ["max_steps"]


class _FakeEditor:
    """Records the Scintilla calls the driver makes."""

    def __init__(self, text: str, language: str = "lua") -> None:
        self._text = text
        self.language = language
        self.calls: list[tuple] = []
        self.tip_active = False
        self.completer = None

    def text(self) -> str:
        return self._text

    def currentPos(self) -> int:  # noqa: N802 - Scintilla name
        return len(self._text.encode("utf-8"))

    def autoCShow(self, n: int, items: str) -> None:  # noqa: N802
        self.calls.append(("autoCShow", n, items))

    def callTipShow(self, pos: int, text: str) -> None:  # noqa: N802
        self.tip_active = True
        self.calls.append(("callTipShow", pos, text))

    def callTipSetHlt(self, a: int, b: int) -> None:  # noqa: N802
        self.calls.append(("callTipSetHlt", a, b))

    def callTipActive(self) -> bool:  # noqa: N802
        return self.tip_active

    def callTipCancel(self) -> None:  # noqa: N802
        self.tip_active = False
        self.calls.append(("callTipCancel",))


def test_editor_driver_makes_the_scintilla_calls(fake_ref: Reference) -> None:
    ed = _FakeEditor("-- é\nLLM.co")
    drv = ei.EditorDriver(ed, fake_ref)
    assert ed.completer is drv
    drv.char_added(ord("o"))
    assert ed.calls == [("autoCShow", 2, "count_tokens")]
    ed._text, ed.calls = "-- é\nx = LLM.chat('a', ", []
    drv.char_added(ord(" "))
    assert ed.calls == []
    drv.char_added(ord(","))
    tip = ed.calls[0]
    assert (
        tip[0] == "callTipShow"
        and tip[1] == len("-- é\nx = LLM.chat".encode())
        and tip[2].startswith("LLM.chat(prompt: string, system?: string")
    )
    a, b = ed.calls[1][1:]
    assert tip[2].encode()[a:b].decode() == "system?: string"
    ed._text += "nil)"
    ed.calls = []
    drv.char_added(ord(")"))
    assert ed.calls == [("callTipCancel",)]
    ed._text, ed.calls = "LLM.", []
    drv.complete_now()
    assert ed.calls == [("autoCShow", 0, "chat\ncount_tokens\nmessages")]
    ed._text = "LLM.chat('x')"
    assert drv.hover_text(5).startswith("LLM.chat(prompt")
    ed.language = "markdown"
    ed.calls = []
    drv.char_added(ord("."))
    assert ed.calls == []


def test_editor_driver_on_a_real_scintilla_editor(qtbot, fake_ref: Reference) -> None:
    from pyside6_scintilla import ScintillaEdit

    ed = ScintillaEdit()
    qtbot.addWidget(ed)
    ed.autoCSetSeparator(ord("\n"))
    ed.language = "js"
    ed.text = lambda: bytes(ed.getText(ed.length() + 1))[: ed.length()].decode("utf-8")
    drv = ei.EditorDriver(ed, fake_ref)
    ed.setText("const n = LLM.countTokens(")
    ed.gotoPos(ed.length())
    drv.char_added(ord("("))
    assert ed.callTipActive()
    ed.setText("LLM.co")
    ed.gotoPos(ed.length())
    drv.char_added(ord("o"))
    assert ed.autoCActive()


def test_choosing_an_option_key_inserts_the_assignment(qtbot, fake_ref: Reference) -> None:
    from pyside6_scintilla import ScintillaEdit

    ed = ScintillaEdit()
    qtbot.addWidget(ed)
    ed.autoCSetSeparator(ord("\n"))
    ed.language = "lua"
    ed.text = lambda: bytes(ed.getText(ed.length() + 1))[: ed.length()].decode("utf-8")
    drv = ei.EditorDriver(ed, fake_ref)
    ed.setText("LLM.chat('é', nil, {max_t")
    ed.gotoPos(ed.length())
    drv.char_added(ord("t"))
    assert ed.autoCActive()
    ed.autoCComplete()
    assert ed.text() == "LLM.chat('é', nil, {max_tokens = "
    assert ed.callTipActive()
    ed.setText("LLM.cou")  # a method name is inserted as is
    ed.gotoPos(ed.length())
    drv.char_added(ord("u"))
    ed.autoCComplete()
    assert ed.text() == "LLM.count_tokens"


def test_language_builtins_from_the_editor_spec(fake_ref: Reference) -> None:
    text, pos = _at("ip|")
    assert [c.label for c in ei.complete(text, pos, "lua", fake_ref, builtins=["ipairs", "print"]).items] == ["ipairs"]

    class Spec:
        builtins = "ipairs pairs print"
        libs = "string.format table"

    ed = _FakeEditor("pa")
    ed.spec = Spec()
    drv = ei.EditorDriver(ed, fake_ref)
    drv.char_added(ord("a"))
    assert ed.calls == [("autoCShow", 2, "pairs")]
    assert drv._builtins() == ["ipairs", "pairs", "print", "table"]


def test_editor_driver_on_the_ide_code_editor(qtbot) -> None:
    """The IDE's CodeEditor calls ``completer.char_added``: the driver works as that completer."""
    from app.ui.editor import CodeEditor

    ed = CodeEditor("lua")
    qtbot.addWidget(ed)
    drv = ei.EditorDriver(ed)
    assert ed.completer is drv
    ed.set_text("local agent = Agent.new({})\nagent:")
    ed.gotoPos(ed.length())
    drv.char_added(ord(":"))
    assert ed.autoCActive()
    ed.autoCCancel()
    ed.set_text("JSON.encode(v, {pre")
    ed.gotoPos(ed.length())
    drv.char_added(ord("e"))
    ed.autoCComplete()
    assert ed.text() == "JSON.encode(v, {pretty = "
    assert drv.hover_text(3).startswith("JSON (global)")
    assert drv.symbol() is None  # the caret is after "= "
    ed.gotoPos(7)
    assert drv.symbol() == "global:JSON.encode"
