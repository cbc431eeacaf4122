"""The parts the main window composes, one feature each, each testable on its own with a small host:

- :mod:`.host`       — the little the parts need from the window (:class:`WindowHost`)
- :mod:`.panels`     — the docks, the editing and debugging layouts, reset
- :mod:`.workspace`  — the workspace folder, recent files, examples, hot exit and session restore
- :mod:`.running`    — starting, stopping and describing runs
- :mod:`.debugging`  — the debugger's actions, toolbar and layout switch (around ``DebugWiring``)
- :mod:`.reference`  — the bridge reference dock
- :mod:`.editing`    — edit, navigation and view commands on the current editor
- :mod:`.palette`    — the command palette over every action
"""
