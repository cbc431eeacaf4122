"""The panel layout on its own (a bare QMainWindow): panels placed from one call each, the debugging layout coming
and going with what the user made of each layout kept, toolbars per layout, and both layouts surviving a restart."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QMainWindow, QTextEdit, QToolBar

from app.ui.window.panels import BOTH, BOTTOM, DEBUGGING_ONLY, EDITING_ONLY, LEFT, LayoutMode, PanelLayout, PanelPlace


def make(qtbot) -> tuple[QMainWindow, PanelLayout]:
    w = QMainWindow()
    w.setCentralWidget(QTextEdit())
    qtbot.addWidget(w)
    p = PanelLayout(w)
    p.add("files", "Files", QLabel("files"), PanelPlace(LEFT, shown_in=EDITING_ONLY, size=200))
    p.add("console", "Console", QLabel("console"), PanelPlace(BOTTOM, shown_in=BOTH, size=200))
    p.add("trace", "Trace", QLabel("trace"), PanelPlace(BOTTOM, tab_with="console", shown_in=BOTH))
    p.add("variables", "Variables", QLabel("vars"), PanelPlace(LEFT, shown_in=DEBUGGING_ONLY))
    p.add("watches", "Watch", QLabel("watch"), PanelPlace(LEFT, below="variables", shown_in=DEBUGGING_ONLY))
    w.resize(1024, 680)
    w.show()
    return w, p


def visible(p: PanelLayout) -> set[str]:
    return {k for k, d in p.docks.items() if d.isVisible()}


def test_debugging_layout_comes_and_goes(qtbot):
    w, p = make(qtbot)
    tb = QToolBar("Debug", w)
    w.addToolBar(tb)
    p.add_toolbar(tb, DEBUGGING_ONLY)
    assert visible(p) == {"files", "console", "trace"} and not tb.isVisible()
    assert w.tabifiedDockWidgets(p.docks["console"]) == [p.docks["trace"]]

    p.switch(LayoutMode.DEBUGGING)
    assert visible(p) == {"variables", "watches", "console", "trace"} and tb.isVisible()
    assert w.dockWidgetArea(p.docks["watches"]) == LEFT
    p.docks["watches"].hide()  # the user's change to the debugging layout

    p.switch(LayoutMode.EDITING)
    assert visible(p) == {"files", "console", "trace"} and not tb.isVisible()
    p.switch(LayoutMode.DEBUGGING)  # as the user left it
    assert visible(p) == {"variables", "console", "trace"}


def test_a_panel_added_later_takes_its_place(qtbot):
    w, p = make(qtbot)
    p.add("problems", "Problems", QLabel("problems"), PanelPlace(BOTTOM, tab_with="trace", shown_in=BOTH))
    assert p.docks["problems"] in w.tabifiedDockWidgets(p.docks["console"])
    p.show("problems")
    assert p.docks["problems"].isVisible()


def test_reset_and_restart(qtbot):
    w, p = make(qtbot)
    p.switch(LayoutMode.DEBUGGING)
    p.docks["variables"].hide()
    p.switch(LayoutMode.EDITING)
    p.docks["files"].setFloating(True)
    saved = p.saved_states()
    assert {"editing", "debugging"} <= set(saved)

    w2, p2 = make(qtbot)
    p2.restore_states(saved)
    assert p2.docks["files"].isFloating()
    p2.switch(LayoutMode.DEBUGGING)
    assert visible(p2) == {"watches", "console", "trace"}

    p2.reset()  # the fresh debugging layout; the editing one forgets its changes too
    assert visible(p2) == {"variables", "watches", "console", "trace"}
    p2.switch(LayoutMode.EDITING)
    assert not p2.docks["files"].isFloating() and visible(p2) == {"files", "console", "trace"}


def test_a_panel_created_after_a_layout_was_saved_keeps_to_its_layouts(qtbot):
    """The Reference is made on first use: a debugging layout saved before it existed does not show it."""
    w, p = make(qtbot)
    p.switch(LayoutMode.DEBUGGING)
    p.switch(LayoutMode.EDITING)
    p.add("reference", "Reference", QLabel("ref"), PanelPlace(Qt.DockWidgetArea.RightDockWidgetArea))
    p.show("reference")
    p.switch(LayoutMode.DEBUGGING)
    assert "reference" not in visible(p)
    p.switch(LayoutMode.EDITING)
    assert "reference" in visible(p)
