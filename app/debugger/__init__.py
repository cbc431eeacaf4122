"""The Lua debugger (docs/architecture.md §5).

Worker side: :mod:`app.debugger.agent` (Python) and ``lua_agent.lua`` (hooks, stack, variables), with
:mod:`app.debugger.luadump` (code lines of every function, from the compiled chunk) and
:mod:`app.debugger.instrument` (the one-statement prologues that gate the line hook). Host side:
:mod:`app.debugger.session` (breakpoints by file, the state machine of a debug run, commands, data requests,
LLM/tool call breakpoints) and :mod:`app.debugger.terminal` (``llmspell debug``). The IDE adapts the session in
``app/ui/debug_controller.py`` and shows it in ``app/ui/debugger_panels.py``.
"""
