"""Tengo conformance: run a corpus in the shared format and print passed/total per area and overall.

    .venv/bin/python benchmarks/tengo_conformance.py [CORPUS.json]

Without an argument it runs the shared corpus (``../shared/tengo-conformance.json`` next to the project, or the copy
in ``tests/engines/tengo/data/``). Exits non-zero when a case fails that is not a documented deviation
(``tests/engines/tengo/xfail.txt``: the ``os`` module does not exist in the sandbox). ``make test`` runs it.
"""

from __future__ import annotations

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from app.engines.tengo.conformance import main as run_corpus  # noqa: E402

SHARED = os.path.join(os.path.dirname(ROOT), "shared", "tengo-conformance.json")
COPY = os.path.join(ROOT, "tests", "engines", "tengo", "data", "tengo-conformance.json")
DEVIATIONS = os.path.join(ROOT, "tests", "engines", "tengo", "xfail.txt")


def main(argv: list[str]) -> int:
    corpus = argv[0] if argv else (SHARED if os.path.exists(SHARED) else COPY)
    print(f"corpus: {corpus}")
    return run_corpus([corpus, "--xfail", DEVIATIONS, *argv[1:]])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
