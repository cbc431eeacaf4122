"""LLMSpell Studio, the desktop IDE (PySide6 + Scintilla/Lexilla). One file per UI area:

- ``main.py``            entry point (``llmspell-studio``, ``python -m app.ui``); ``create_window()``
- ``main_window.py``     composes the docks; menus/toolbar/shortcuts come from ``actions.py`` (one table of data)
- ``editor.py``          CodeEditor (ScintillaEdit): lexers from ``languages.py``, margins, folding, search, squiggles
- ``editor_tabs.py``     tabs, open/save (``fileio.py``: atomic, encoding and line endings kept), changed on disk
- ``find_bar.py``, ``find_in_files.py``, ``outline.py``, ``file_tree.py``, ``completion.py``, ``diagnostics.py``
- ``run_service.py``     the Runner behind queued, batched signals (no UI-thread blocking); REPL sessions
- ``console.py``, ``repl.py``, ``trace_panel.py``   run output, REPL, LLM trace
- ``settings.py`` + ``settings_dialog.py`` (keys in the OS keyring), ``theme.py`` (+ ``resources/ui.qss``)
- ``hotexit.py`` (unsaved buffers backed up per instance), ``session.py`` (tabs, layout, workspace), ``welcome.py``
- ``paths.py``           config/data dirs (``LLMSPELL_CONFIG_DIR`` / ``LLMSPELL_DATA_DIR`` override them)
"""
