"""Helpers for spell-test tests: write files into a folder, run a test file, collect its results."""

from __future__ import annotations

import os
import textwrap

import pytest

from app.testing.results import FileResult
from app.testing.session import TestOptions, run_file


def write(folder, name: str, text: str) -> str:
    path = os.path.join(str(folder), name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(textwrap.dedent(text).lstrip("\n"))
    return path


@pytest.fixture
def run_tests(runner):
    """``run_tests(path, **options) -> FileResult`` through the shared runner."""

    def go(path: str, **options) -> FileResult:
        return run_file(runner, path, TestOptions(timeout_s=60, **options))

    return go


def by_name(result: FileResult) -> dict:
    return {c.name: c for c in result.cases}
