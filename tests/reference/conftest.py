"""Fixtures for the reference tests: Qt offscreen, and a fake registry with a handle type, callbacks and records."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402

from app.bridges import registry  # noqa: E402
from app.reference.model import Reference, build_reference  # noqa: E402
from tests.reference import fake_bridges  # noqa: E402


@pytest.fixture
def fake_ref(monkeypatch: pytest.MonkeyPatch) -> Reference:
    """A reference built from :mod:`tests.reference.fake_bridges` (``LLM`` global, ``Agent`` handle type),
    without touching the live registry."""
    monkeypatch.setitem(registry._HANDLE_TYPES_BY_CLASS, fake_bridges.FakeAgent, "Agent")
    g = [
        registry._introspect("LLM", "global", fake_bridges.FakeLLM),
        registry._introspect("Agent", "global", fake_bridges.FakeAgentGlobal),
    ]
    t = [registry._introspect("Agent", "type", fake_bridges.FakeAgent)]
    return build_reference(g, t)
