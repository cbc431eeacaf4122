"""Fixtures for the bridge tests: a spell-like harness over BridgeHost, the local LLM server, a private data dir."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from support.llm_server import LLMServer

from app.bridges.errors import SpellError
from app.bridges.registry import BridgeContext, BridgeHost
from app.engines.base import Limits

DUMMY_KEY = "sk-test-dummy-key-0123456789"


class Spell:
    """Calls bridges the way the runner does: ``spell.call("LLM.complete", "hi", opts={...})``.

    Python functions passed through :meth:`fn` become script callbacks (``{"$callback": id}``)."""

    def __init__(self, ctx: BridgeContext):
        self.ctx = ctx
        self.host = BridgeHost(ctx)
        self._fns: dict[int, Callable[..., Any]] = {}
        self._ids = itertools.count(1)
        ctx.invoke_callback = self._invoke

    def _invoke(self, callback_id: int, args: list[Any]) -> Any:
        try:
            return self._fns[callback_id](*args)
        except SpellError:
            raise
        except Exception as e:  # a script error inside a callback
            raise SpellError("tool_failed", f"script function failed: {e}") from None

    def fn(self, f: Callable[..., Any]) -> dict[str, int]:
        cid = next(self._ids)
        self._fns[cid] = f
        return {"$callback": cid}

    def call(
        self,
        target: str | int,
        *args: Any,
        opts: dict[str, Any] | None = None,
        line: int | None = 1,
        method: str | None = None,
    ) -> Any:
        if isinstance(target, str) and method is None:
            target, method = target.split(".", 1)
        return self.host.call(target, method, list(args), opts, line=line)

    def method(self, handle: dict[str, Any], name: str, *args: Any, opts: dict[str, Any] | None = None) -> Any:
        return self.host.call(handle["$handle"], name, list(args), opts, line=1)

    @property
    def spans(self) -> list[dict[str, Any]]:
        return self.ctx.service("tracer", _tracer).spans()


def _tracer() -> Any:
    from app.bridges.trace import Tracer

    return Tracer()


@pytest.fixture(autouse=True)
def _private_env(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LLMSPELL_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("OPENAI_API_KEY", DUMMY_KEY)


@pytest.fixture(scope="session")
def llm_server_session() -> Iterator[LLMServer]:
    with LLMServer() as server:
        yield server


@pytest.fixture
def llm_server(llm_server_session: LLMServer) -> Iterator[LLMServer]:
    llm_server_session.reset()
    yield llm_server_session
    llm_server_session.reset()


@pytest.fixture
def make_spell(tmp_path: Any) -> Callable[..., Spell]:
    def make(settings: dict[str, Any] | None = None, limits: Limits | None = None, **ctx_fields: Any) -> Spell:
        spell_dir = tmp_path / "spell"
        spell_dir.mkdir(exist_ok=True)
        base = {"retry_base_delay": 0.01}
        ctx = BridgeContext(
            spell_path=str(spell_dir / "main.lua"),
            spell_dir=str(spell_dir),
            settings={**base, **(settings or {})},
            limits=limits or Limits(),
            **ctx_fields,
        )
        return Spell(ctx)

    return make


@pytest.fixture
def spell(make_spell: Callable[..., Spell]) -> Spell:
    return make_spell()


@pytest.fixture
def server_spell(make_spell: Callable[..., Spell], llm_server: LLMServer) -> Spell:
    """A spell whose default model is ``openai/test-model`` on the local server."""
    return make_spell({"default_model": "openai/test-model", "api_base": {"openai": llm_server.url}})
