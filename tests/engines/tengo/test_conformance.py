"""Tengo conformance: every case of the shared corpus (copied into ``data/``) through the three harnesses.

Cases listed in ``xfail.txt`` are documented deviations (strict xfail: they must keep failing, so the list stays
honest). A summary per area is written to the terminal at the end of the session.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from pathlib import Path

import pytest

from app.engines.tengo.conformance import run_case

log = logging.getLogger(__name__)

HERE = Path(__file__).parent
CASES = json.loads((HERE / "data" / "tengo-conformance.json").read_text(encoding="utf-8"))
XFAIL = {}
for _line in (HERE / "xfail.txt").read_text(encoding="utf-8").splitlines():
    if _line.strip() and not _line.startswith("#"):
        _id, _, _reason = _line.strip().partition(" ")
        XFAIL[_id] = _reason.strip()

RESULTS: dict[str, list[int]] = defaultdict(lambda: [0, 0])


def _params():
    for case in CASES:
        marks = []
        if case["id"] in XFAIL:
            marks.append(pytest.mark.xfail(reason=XFAIL[case["id"]], strict=True))
        yield pytest.param(case, id=f"{case['id']}", marks=marks)


@pytest.mark.parametrize("case", list(_params()))
def test_case(case: dict) -> None:
    ok, detail = run_case(case)
    res = RESULTS[case["area"]]
    res[1] += 1
    res[0] += ok
    assert ok, f"{case['id']} [{case['area']}] {case['code']!r}: {detail}"


def test_xfail_list_names_real_cases() -> None:
    ids = {c["id"] for c in CASES}
    assert set(XFAIL) <= ids


@pytest.fixture(scope="module", autouse=True)
def _report(request: pytest.FixtureRequest):
    """Hand the per-area counts to ``conftest.pytest_terminal_summary``."""
    request.config._tengo_conformance = RESULTS  # type: ignore[attr-defined]
    yield
