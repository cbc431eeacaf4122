"""One litellm ``Router`` per host process, built from the model configuration's aliases.

The Router spreads an alias over its deployments (routing strategy, rpm/tpm-aware routing), cools down a
deployment that keeps failing, and falls back to other aliases — litellm's code, not ours. Retries stay in
:class:`app.bridges.llm_client.LLMClient` (the Router is built with ``num_retries=0``) because there each attempt is
cancellable, shown in the trace and recorded in cassettes; a retry asks the Router again, so it lands on a
deployment that is not cooling down.

Keys: a deployment's ``key`` is a reference (``env:NAME`` or ``keyring:provider``), resolved here, in the host, when
the Router is built; the value lives only in the Router's memory (never in files, spans, cassettes or logs:
spans and cassettes hold the spell's request, and errors are redacted).
"""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from typing import Any

from app.bridges.errors import SpellError
from app.bridges.model_config import ModelAlias, ModelConfig

log = logging.getLogger(__name__)

ALLOWED_FAILS = 2  # failures in a minute before a deployment cools down
COOLDOWN_S = 30.0


def resolve_key(ref: str | None) -> str | None:
    """The secret a key reference names (None when unset or not found)."""
    if not ref:
        return None
    kind, _, name = ref.partition(":")
    if kind == "env":
        return os.environ.get(name) or None
    if kind == "keyring":
        from app import config  # noqa: PLC0415 - keyring backends load lazily

        try:
            return config.stored_credential(name)
        except Exception:  # no keyring backend: the reference is simply unresolved
            log.info("keyring unavailable for %s", ref)
            return None
    return None


def model_list(aliases: dict[str, ModelAlias]) -> list[dict[str, Any]]:
    """The Router's ``model_list`` for ``aliases`` (keys resolved)."""
    out: list[dict[str, Any]] = []
    for alias in aliases.values():
        for i, d in enumerate(alias.deployments):
            params: dict[str, Any] = {"model": d.model}
            if d.api_base:
                params["api_base"] = d.api_base
            key = resolve_key(d.key)
            if d.key and key is None:
                raise SpellError(
                    "authentication",
                    f"model alias {alias.name!r}: the key {d.key} is not set "
                    f"(set the variable, or store the key in Settings)",
                )
            if key:
                params["api_key"] = key
            if d.rpm:
                params["rpm"] = d.rpm
            if d.tpm:
                params["tpm"] = d.tpm
            timeout = d.timeout or alias.timeout
            if timeout:
                params["timeout"] = timeout
            out.append({"model_name": alias.name, "litellm_params": params, "model_info": {"id": f"{alias.name}#{i}"}})
    return out


class ProviderRouter:
    """The Router of one configuration."""

    def __init__(self, config: ModelConfig):
        from app.bridges.litellm_support import get_litellm  # noqa: PLC0415

        litellm = get_litellm()
        self.config = config
        strategies = {a.strategy for a in config.aliases.values()}
        # One Router has one strategy; aliases asking for others get the most common one (documented).
        strategy = max(sorted(strategies), key=lambda s: sum(a.strategy == s for a in config.aliases.values()))
        self.router = litellm.Router(
            model_list=model_list(config.aliases),
            num_retries=0,
            routing_strategy=strategy,
            fallbacks=[{a.name: list(a.fallbacks)} for a in config.aliases.values() if a.fallbacks],
            allowed_fails=ALLOWED_FAILS,
            cooldown_time=COOLDOWN_S,
        )

    def is_alias(self, model: str) -> bool:
        return model in self.config.aliases

    def completion(self, **kwargs: Any) -> Any:
        return self.router.completion(**kwargs)

    def embedding(self, **kwargs: Any) -> Any:
        return self.router.embedding(**kwargs)


MAX_ROUTERS = 8  # configurations kept at once (an IDE session edits its settings; projects differ)

_routers: OrderedDict[tuple[Any, ...], ProviderRouter] = OrderedDict()
_routers_lock = threading.Lock()


def router_for(config: ModelConfig) -> ProviderRouter | None:
    """This process's Router for ``config`` (None when it defines no aliases). Built once per configuration; the
    least recently used of more than :data:`MAX_ROUTERS` is dropped (its cooldown state with it)."""
    if not config.aliases:
        return None
    key = config.fingerprint()
    with _routers_lock:
        found = _routers.get(key)
        if found is None:
            found = _routers[key] = ProviderRouter(config)
            while len(_routers) > MAX_ROUTERS:
                _routers.popitem(last=False)
        _routers.move_to_end(key)
        return found
