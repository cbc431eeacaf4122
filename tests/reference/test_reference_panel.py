"""The reference dock: tree, search, pages in the editor's language, Insert, F1 (show_symbol), back/forward."""

from __future__ import annotations

from PySide6.QtCore import QUrl

from app.reference.model import Reference
from app.ui.reference_panel import KEY_ROLE, ReferencePanel


def _visible_keys(panel: ReferencePanel) -> list[str]:
    return [
        i.data(0, KEY_ROLE)
        for i in panel._items()
        if not i.isHidden() and (i.parent() is None or not i.parent().isHidden())
    ]


def test_tree_lists_every_global_and_method(qtbot, fake_ref: Reference) -> None:
    panel = ReferencePanel(lambda: "lua", fake_ref)
    qtbot.addWidget(panel)
    keys = [i.data(0, KEY_ROLE) for i in panel._items()]
    expected: list[str] = []
    globals_ = {g.name for g in fake_ref.all() if g.kind == "global"}
    for g in fake_ref.all():  # a handle type's methods sit under the global of its name (Agent → agent:run)
        expected += ([] if g.kind == "type" and g.name in globals_ else [g.key]) + [m.key for m in g.methods]
    assert sorted(keys) == sorted(expected)
    assert panel.current_key() == "global:LLM"  # first global shown at start
    agent = next(
        panel.tree.topLevelItem(i)
        for i in range(panel.tree.topLevelItemCount())
        if panel.tree.topLevelItem(i).text(0) == "Agent"
    )
    labels = [agent.child(i).text(0) for i in range(agent.childCount())]
    assert labels[0] == "create" and "agent:run" in labels  # Agent.create first, then an agent's methods
    assert not any("handle type" in panel.tree.topLevelItem(i).text(0) for i in range(panel.tree.topLevelItemCount()))


def test_option_names_never_break_mid_word(qtbot, fake_ref: Reference) -> None:
    """A narrow panel wraps descriptions, never a name ("temperatu re")."""
    panel = ReferencePanel(lambda: "lua", fake_ref)
    qtbot.addWidget(panel)
    panel.resize(260, 500)
    panel.show()
    m = next(m for g in fake_ref.all() for m in g.methods if m.options)
    assert panel.show_symbol(m.key)
    doc = panel.page.document()
    name = m.options[0].name
    blocks = [doc.findBlockByNumber(i) for i in range(doc.blockCount())]
    cells = [b for b in blocks if b.text().strip() == name]
    assert cells and all(b.blockFormat().nonBreakableLines() for b in cells)


def test_live_registry_panel(qtbot) -> None:
    panel = ReferencePanel(lambda: "js")
    qtbot.addWidget(panel)
    assert panel.show_symbol("JSON.encode")
    html = panel.page.toHtml()
    assert "JSON.encode(value: any, opts?: {pretty?: boolean, sortKeys?: boolean}): string" in html
    assert "console" in html  # the JS example


def test_page_follows_the_editor_language(qtbot, fake_ref: Reference) -> None:
    lang = {"v": "lua"}
    panel = ReferencePanel(lambda: lang["v"], fake_ref)
    qtbot.addWidget(panel)
    assert panel.show_symbol("LLM.count_tokens")
    assert (
        "LLM.count_tokens(text: string, model?: string) -&gt; integer" in panel.page.toHtml()
        or "LLM.count_tokens(text: string, model?: string) -> integer" in panel.page.toPlainText()
    )
    lang["v"] = "js"
    panel.refresh()
    text = panel.page.toPlainText()
    assert "LLM.countTokens(text: string, model?: string): number" in text
    assert "console.log(LLM.countTokens" in text
    assert [panel.tree.topLevelItem(0).child(i).text(0) for i in range(3)] == ["chat", "countTokens", "messages"]
    lang["v"] = "tengo"
    panel.refresh()
    assert "Derived automatically from the Lua example." in panel.page.toPlainText()
    lang["v"] = "python"  # unknown: Lua
    assert panel.language() == "lua"


def test_search_filters_the_tree(qtbot, fake_ref: Reference) -> None:
    panel = ReferencePanel(lambda: "js", fake_ref)
    qtbot.addWidget(panel)
    panel.search.setText("count")
    assert _visible_keys(panel) == ["global:LLM", "global:LLM.count_tokens"]
    panel.search.setText("tokens")  # also finds chat through its option max_tokens
    assert _visible_keys(panel) == ["global:LLM", "global:LLM.chat", "global:LLM.count_tokens"]
    panel.search.setText("max_steps")  # an option key finds its method
    assert _visible_keys(panel) == ["global:Agent", "type:Agent.run"]  # agent:run, under Agent
    panel.search.setText("agent run")
    assert "type:Agent.run" in _visible_keys(panel)
    panel.search.returnPressed.emit()
    assert panel.current_key() == "type:Agent.run"
    panel.search.setText("")
    assert len(_visible_keys(panel)) == len(list(panel._items()))


def test_insert_emits_a_call_snippet(qtbot, fake_ref: Reference) -> None:
    lang = {"v": "lua"}
    panel = ReferencePanel(lambda: lang["v"], fake_ref)
    qtbot.addWidget(panel)
    panel.show_symbol("type:Agent.run")
    with qtbot.waitSignal(panel.insert_requested) as sig:
        panel.insert_button.click()
    assert sig.args == ["agent:run(input)"]
    lang["v"] = "js"
    panel.show_symbol("LLM.chat")
    with qtbot.waitSignal(panel.insert_requested) as sig:
        panel.insert_button.click()
    assert sig.args == ["LLM.chat(prompt);"]
    panel.show_symbol("type:Agent")
    assert not panel.insert_button.isEnabled()


def test_show_symbol_spellings_and_history(qtbot, fake_ref: Reference) -> None:
    panel = ReferencePanel(lambda: "lua", fake_ref)
    qtbot.addWidget(panel)
    assert panel.show_symbol("global:LLM.chat") and panel.current_key() == "global:LLM.chat"
    assert panel.show_symbol("agent:run") and panel.current_key() == "type:Agent.run"
    assert panel.show_symbol("countTokens") and panel.current_key() == "global:LLM.count_tokens"
    assert not panel.show_symbol("nothing.here")
    assert panel.current_key() == "global:LLM.count_tokens"
    panel.back()
    assert panel.current_key() == "type:Agent.run"
    panel.back()
    assert panel.current_key() == "global:LLM.chat"
    assert panel.forward_button.isEnabled()
    panel.forward()
    assert panel.current_key() == "type:Agent.run"
    panel.show_symbol("LLM")  # a new page drops the forward history
    assert not panel.forward_button.isEnabled()
    panel._link(QUrl("ref:global:LLM.messages"))  # links on a global's page
    assert panel.current_key() == "global:LLM.messages"
    item = panel.tree.currentItem()
    assert item.data(0, KEY_ROLE) == "global:LLM.messages"


def test_clicking_the_tree_opens_pages(qtbot, fake_ref: Reference) -> None:
    panel = ReferencePanel(lambda: "lua", fake_ref)
    qtbot.addWidget(panel)
    item = panel.tree.topLevelItem(0).child(2)
    panel.tree.setCurrentItem(item)
    assert panel.current_key() == "global:LLM.messages"
    assert "Message[]" in panel.page.toPlainText()


def test_dark_palette_gets_dark_highlighting(qtbot, fake_ref: Reference) -> None:
    from pygments.styles import get_style_by_name
    from PySide6.QtGui import QColor, QPalette

    from app.reference.html import PYGMENTS_DARK_STYLE

    panel = ReferencePanel(lambda: "lua", fake_ref)
    qtbot.addWidget(panel)
    panel.show_symbol("LLM.chat")
    pal = panel.page.palette()
    pal.setColor(QPalette.ColorRole.Base, QColor("#1e1e1e"))
    pal.setColor(QPalette.ColorRole.Text, QColor("#dddddd"))
    panel.page.setPalette(pal)
    panel.refresh()
    panel._render(panel.current_key())
    dark_bg = get_style_by_name(PYGMENTS_DARK_STYLE).background_color.lower()
    assert dark_bg in panel.page.toHtml().lower()


def test_constructing_does_not_show_the_dock(qtbot, fake_ref: Reference) -> None:
    panel = ReferencePanel(lambda: "lua", fake_ref)
    qtbot.addWidget(panel)
    assert not panel.isVisible() and panel.current_key() == "global:LLM"
    panel.show_symbol("LLM.chat")
    assert panel.isVisible()
