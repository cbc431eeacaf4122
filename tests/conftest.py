"""Suite-wide fixtures: private data/config folders and keyring (never the user's), and one shared spell runner."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator

import pytest

_PRIVATE = tempfile.mkdtemp(prefix="llmspell-tests-")
os.environ.setdefault("LLMSPELL_DATA_DIR", os.path.join(_PRIVATE, "data"))
os.environ.setdefault("LLMSPELL_CONFIG_DIR", os.path.join(_PRIVATE, "config"))
os.environ.setdefault("LLMSPELL_CACHE_DIR", os.path.join(_PRIVATE, "cache"))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Never the user's real keychain (no unlock prompts, no real keys), in this process and in CLI subprocesses;
# UI tests install an in-memory keyring over it, CLI tests a read-only one (support/fake_keyring.py).
os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.null.Keyring"


@pytest.fixture(scope="session")
def runner() -> Iterator[object]:
    """A Runner with warm Lua and JS workers, shared by the whole test session."""
    from app.runner import Runner

    r = Runner(warm={"lua": 2, "js": 2})
    r.pool.wait_warm(60)
    yield r
    r.shutdown()
