"""``Model``: what models exist, what they can do and cost (litellm's bundled model map), and which providers
have credentials configured (names of environment variables only, never their values)."""

from __future__ import annotations

import logging
import os
from typing import TypedDict

from app.bridges.errors import SpellError
from app.bridges.litellm_support import get_litellm, is_offline, prepare_credentials, provider_of
from app.bridges.llm_client import client_of
from app.bridges.offline_provider import MODELS as OFFLINE_MODELS
from app.bridges.records import ModelEntry, ModelInfo, ProviderInfo, SpendReport
from app.bridges.registry import Bridge, bridge
from app.bridges.spend import ledger

log = logging.getLogger(__name__)

#: Provider → environment variables that must all be set for it to count as configured.
PROVIDER_ENV: dict[str, tuple[str, ...]] = {
    "openai": ("OPENAI_API_KEY",),
    "anthropic": ("ANTHROPIC_API_KEY",),
    "gemini": ("GEMINI_API_KEY",),
    "mistral": ("MISTRAL_API_KEY",),
    "groq": ("GROQ_API_KEY",),
    "cohere": ("COHERE_API_KEY",),
    "deepseek": ("DEEPSEEK_API_KEY",),
    "xai": ("XAI_API_KEY",),
    "openrouter": ("OPENROUTER_API_KEY",),
    "together_ai": ("TOGETHERAI_API_KEY",),
    "azure": ("AZURE_API_KEY", "AZURE_API_BASE"),
}


def configured(provider: str) -> bool:
    if provider == "offline":
        return True
    names = PROVIDER_ENV.get(provider)
    return bool(names) and all(os.environ.get(n) for n in names or ())


class ListOptions(TypedDict, total=False):
    provider: str
    all: bool
    mode: str


def _entry_name(key: str, provider: str) -> str:
    return key if key.startswith(provider + "/") else f"{provider}/{key}"


@bridge("Model")
class ModelBridge(Bridge):
    """Discover models: their context windows, prices and capabilities, and which providers are configured."""

    def list(self, opts: ListOptions | None = None) -> list[ModelEntry]:
        """List known models: the offline ones and those of configured providers (or all, on request).

        Options:
            provider: Only this provider's models (e.g. "openai").
            all: Include providers without credentials too.
            mode: Only models of this mode: "chat" (default) or "embedding".
        Returns:
            A sorted list of {name = "provider/model", provider, mode}.
        Example (lua):
            for _, m in ipairs(Model.list({provider = "offline"})) do print(m.name) end
            print(#Model.list({all = true}))
        Example (js):
            for (const m of Model.list({provider: "offline"})) console.log(m.name);
            console.log(Model.list({all: true}).length);
        """
        o = opts or {}
        mode = o.get("mode") or "chat"
        want = o.get("provider")
        out = [{"name": n, "provider": "offline", "mode": m} for n, m in OFFLINE_MODELS.items() if m == mode]
        if want not in (None, "offline"):
            out = []
        if want != "offline" and (want is None or o.get("all") or configured(want)):
            for key, entry in get_litellm().model_cost.items():
                provider = entry.get("litellm_provider") or ""
                if (
                    entry.get("mode") != mode
                    or not provider
                    or provider == "offline"
                    or (want and provider != want)
                    or (not o.get("all") and not configured(provider))
                ):
                    continue
                out.append({"name": _entry_name(key, provider), "provider": provider, "mode": mode})
        return sorted(out, key=lambda m: m["name"])  # type: ignore[arg-type]

    def info(self, model: str) -> ModelInfo:
        """Describe a model from litellm's model map.

        Args:
            model: provider/model, e.g. "openai/gpt-4o-mini" or "offline/echo".
        Returns:
            {name, provider, mode, context_window, max_output_tokens, input_cost_per_token,
            output_cost_per_token, supports = {tools, response_schema, vision, system_messages}, configured}.
        Errors:
            not_found: litellm does not know the model.
        Example (lua):
            local m = Model.info("offline/echo")
            print(m.context_window, m.supports.tools)
        Example (js):
            const m = Model.info("offline/echo");
            console.log(m.context_window, m.supports.tools);
        """
        try:
            entry = get_litellm().get_model_info(model)
        except Exception:
            raise SpellError("not_found", f"no model {model!r} in litellm's model map") from None
        provider = entry.get("litellm_provider") or provider_of(model)
        return {
            "name": model,
            "provider": provider,
            "mode": entry.get("mode"),
            "context_window": entry.get("max_input_tokens") or entry.get("max_tokens"),
            "max_output_tokens": entry.get("max_output_tokens"),
            "input_cost_per_token": entry.get("input_cost_per_token") or 0.0,
            "output_cost_per_token": entry.get("output_cost_per_token") or 0.0,
            "supports": {
                "tools": bool(entry.get("supports_function_calling")),
                "response_schema": bool(entry.get("supports_response_schema")) or is_offline(model),
                "vision": bool(entry.get("supports_vision")),
                "system_messages": entry.get("supports_system_messages") is not False,
            },
            "configured": configured(provider),
        }

    def providers(self) -> list[ProviderInfo]:  # type: ignore[valid-type]
        """Which providers have credentials configured: in the environment or, for the IDE and ``llmspell``, in
        the OS keyring (names only, never values).

        Returns:
            A list of {name, configured, env = names of the environment variables it needs}.
        Example (lua):
            for _, p in ipairs(Model.providers()) do print(p.name, p.configured) end
            print(Model.providers()[1].name)  -- offline
        Example (js):
            for (const p of Model.providers()) console.log(p.name, p.configured);
            console.log(Model.providers()[0].name);  // offline
        """
        prepare_credentials()  # keys kept in the OS keyring count (the CLI loads them on first need)
        out = [{"name": "offline", "configured": True, "env": []}]
        out += [{"name": p, "configured": configured(p), "env": list(env)} for p, env in PROVIDER_ENV.items()]
        return out

    def usage(self) -> SpendReport:
        """What has been spent, per model: in this run, today and this month (every run on this computer).

        Returns:
            {run, today, month = {[model] = US dollars}, today_total, month_total, budget = {daily_usd,
            monthly_usd, max_cost, max_tokens}} — budgets come from llmspell.toml, Settings and --max-cost /
            --max-tokens; a call that would pass one fails with budget_exceeded before it is sent.
        Example (lua):
            local u = Model.usage()
            print(u.today_total >= 0, u.run["offline/echo"])
        Example (js):
            const u = Model.usage();
            console.log(u.today_total >= 0, u.run["offline/echo"]);
        """
        client = client_of(self.ctx)
        run = {m: float(v.get("cost") or 0.0) for m, v in client.usage()["by_model"].items()}
        led = ledger()
        today, month = led.by_model("day"), led.by_model("month")
        budget = client.providers().budget
        return {
            "run": run,
            "today": today,
            "month": month,
            "today_total": sum(today.values()),
            "month_total": sum(month.values()),
            "budget": {
                "daily_usd": budget.config.budget.daily_usd,
                "monthly_usd": budget.config.budget.monthly_usd,
                "max_cost": budget.max_cost,
                "max_tokens": budget.max_tokens,
            },
        }

    def default(self) -> str:
        """The model used when a call names none.

        Returns:
            The run's default model (the "default_model" setting; "offline/echo" unless configured).
        Example (lua):
            print(Model.default())
            -- offline/echo
        Example (js):
            console.log(Model.default());
            // offline/echo
        """
        return client_of(self.ctx).default_model()
