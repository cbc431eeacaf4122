"""Evals: a spell run over a dataset, each run scored by assertions, models compared (``llmspell eval``, the IDE's
Eval view). Qt-free. ``spec`` reads eval files, ``assertions`` scores, ``grading`` asks the sandbox and models,
``rowrun`` runs one row, ``executors`` spread rows (local pool, Ray), ``results`` is the JSONL source of truth,
``session`` drives an eval, ``cli`` and ``report`` are the command and its HTML report."""
