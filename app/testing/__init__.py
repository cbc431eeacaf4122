"""Spell tests on the host: finding test files and their cases, running them through the runner, reports.

Qt-free (the CLI's ``llmspell test`` and the IDE's Test Explorer both use it). A test file runs like a spell
(the runner, the pool, a fresh sandbox) with the test API bound; see ``docs/testing.md``.
"""
