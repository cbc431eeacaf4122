"""The run's LLM pipeline (service ``"llm"``): hooks → span → replay, cache, or budget check → rate limit →
litellm or the Router (retries, fallbacks) → record.

Every LLM call of every bridge (``LLM``, ``Agent``, ``Workflow`` prompt steps) goes through :class:`LLMClient`, so
hooks, traces, cassettes, usage and error mapping are the same everywhere. Thread-safe: parallel workflow steps
call it from several host threads at once.
"""

from __future__ import annotations

import concurrent.futures
import logging
import os
import random
import threading
import time
from collections.abc import Callable
from typing import Any

from app.bridges.cassette import Cassette, from_settings, normalise
from app.bridges.errors import SpellError
from app.bridges.hook_registry import hooks_of
from app.bridges.litellm_support import (
    ensure_thread_loop,
    get_litellm,
    is_offline,
    map_exception,
    provider_of,
    retry_after,
    run_abortable,
)
from app.bridges.llm_types import (
    SAMPLING_KEYS,
    LLMOptions,
    LLMResult,
    openai_tool_call,
    spell_messages,
    spell_tool_call,
    to_openai_messages,
)
from app.bridges.mock import mocked_reply
from app.bridges.model_config import ModelConfig, ModelConfigError, load_model_config, user_sections
from app.bridges.offline_provider import DEFAULT_MODEL, EMBEDDING_MODEL
from app.bridges.provider_router import ProviderRouter, router_for
from app.bridges.rate_limit import limiter_for
from app.bridges.registry import BridgeContext
from app.bridges.response_cache import request_key, shared_cache
from app.bridges.spend import Budget, estimate, ledger
from app.bridges.trace import Tracer

log = logging.getLogger(__name__)

DEFAULT_RETRIES = 2
DEFAULT_TIMEOUT = 120.0


class LLMClient:
    """LLM calls for one run."""

    def __init__(self, ctx: BridgeContext):
        self.ctx = ctx
        self.settings = ctx.settings
        self.tracer: Tracer = ctx.service("tracer", Tracer)
        self.hooks = hooks_of(ctx)
        self._cassette: Cassette | None = None
        self._cassette_loaded = False
        self._lock = threading.Lock()
        self._usage: dict[str, Any] = {
            "prompt_tokens": 0,
            "completion_tokens": 0,
            "total_tokens": 0,
            "cost": 0.0,
            "calls": 0,
            "cache_hits": 0,
            "by_model": {},
        }
        self._providers: _Providers | None = None

    # settings --------------------------------------------------------------------------------------------------
    def default_model(self) -> str:
        return str(self.settings.get("default_model") or DEFAULT_MODEL)

    def embedding_model(self) -> str:
        return str(self.settings.get("embedding_model") or EMBEDDING_MODEL)

    def api_base(self, model: str) -> str | None:
        base = self.settings.get("api_base")
        if isinstance(base, dict):
            return base.get(provider_of(model))
        return str(base) if base and not is_offline(model) else None

    def cassette(self) -> Cassette | None:
        with self._lock:
            if not self._cassette_loaded:
                shared = self.ctx.services.get("cassette")  # a test file's cassette, shared with its child runs
                self._cassette = shared if isinstance(shared, Cassette) else from_settings(self.settings)
                self._cassette_loaded = True
            return self._cassette

    def providers(self) -> _Providers:
        """The run's model configuration, Router, cache switch and budgets (read on first use)."""
        with self._lock:
            if self._providers is None:
                self._providers = _Providers.of(self.ctx.spell_path, self.settings)
            return self._providers

    # usage -----------------------------------------------------------------------------------------------------
    def _account(self, result: LLMResult) -> None:
        with self._lock:
            u = self._usage
            for k in ("prompt_tokens", "completion_tokens", "total_tokens"):
                u[k] += int(result.usage.get(k, 0) or 0)
            u["cost"] += result.cost
            u["calls"] += 1
            u["cache_hits"] += 1 if result.cached else 0
            m = u["by_model"].setdefault(
                result.model or "?",
                {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0, "cost": 0.0, "calls": 0},
            )
            for k in ("prompt_tokens", "completion_tokens", "total_tokens"):
                m[k] += int(result.usage.get(k, 0) or 0)
            m["cost"] += result.cost
            m["calls"] += 1

    def usage(self) -> dict[str, Any]:
        with self._lock:
            u = dict(self._usage)
            u["by_model"] = {k: dict(v) for k, v in self._usage["by_model"].items()}
            return u

    # chat ------------------------------------------------------------------------------------------------------
    def chat(
        self,
        messages: list[dict[str, Any]],
        opts: LLMOptions | None,
        *,
        caller: str,
        tools: list[dict[str, Any]] | None = None,
        tool_choice: Any = None,
        response_format: dict[str, Any] | None = None,
        on_chunk: Callable[[str], Any] | None = None,
    ) -> LLMResult:
        """One chat completion through the whole pipeline. ``messages`` are in OpenAI shape."""
        opts = opts or {}
        model = str(opts.get("model") or self.default_model())
        params = {k: opts[k] for k in SAMPLING_KEYS if opts.get(k) is not None}  # type: ignore[literal-required]
        line = self.ctx.call_line()
        hooked = self.hooks.run(
            "before_llm",
            {"model": model, "messages": spell_messages(messages), "params": params, "caller": caller},
            subject=model,
        )
        if hooked.skipped:
            return self._substitute(hooked.result, model)
        model = str(hooked.payload["model"])
        messages = to_openai_messages(hooked.payload["messages"], caller, self.ctx.limits)
        params = dict(hooked.payload.get("params") or {})
        # A hook may tune sampling, never where the request goes or which credentials it carries.
        refused = sorted(k for k in params if k not in SAMPLING_KEYS)
        if refused:
            raise SpellError(
                "invalid_argument",
                f"before_llm hook: request field(s) {', '.join(refused)} cannot "
                f"be set by a hook (allowed: {', '.join(SAMPLING_KEYS)})",
            )
        body: dict[str, Any] = {"messages": messages, **params}
        if tools:
            body["tools"] = tools
            if tool_choice is not None:
                body["tool_choice"] = tool_choice
        if response_format:
            body["response_format"] = response_format
        mocked = mocked_reply(self.ctx, model, messages)  # a test's Mock.llm answers before any model
        cassette = self.cassette() if mocked is None else None
        if mocked is None and (cassette is None or cassette.mode != "replay"):
            get_litellm()  # import (seconds, once per process) before the span starts, not inside it
        span = self.tracer.start(
            "llm",
            caller,
            file=self.ctx.spell_path,
            line=line,
            model=model,
            request={**body, "stream": on_chunk is not None},
        )
        try:
            if mocked is not None:
                result = _mocked_result(mocked, model, on_chunk)
            else:
                result = self._with_fallbacks(model, body, opts, on_chunk, caller)
            if self.hooks.has("after_llm"):
                after = self.hooks.run(
                    "after_llm",
                    {
                        "model": result.model or model,
                        "messages": spell_messages(messages),
                        "content": result.content,
                        "tool_calls": [spell_tool_call(c) for c in result.tool_calls],
                        "usage": result.usage,
                        "cost": result.cost,
                    },
                    subject=model,
                )
                result.content = after.payload.get("content")
                result.tool_calls = [openai_tool_call(c) for c in after.payload.get("tool_calls") or []]
        except SpellError as e:
            self.tracer.end(span, error=e)
            self.hooks.notify_error(e, caller)
            raise
        except Exception as e:  # pragma: no cover - defensive: never leak a raw exception to the spell
            err = map_exception(e, model)
            self.tracer.end(span, error=err)
            raise err from None
        self._account(result)
        response: dict[str, Any] = {
            "content": result.content,
            "tool_calls": result.tool_calls,
            "finish_reason": result.finish_reason,
            "attempts": result.attempts,
        }
        if result.first_chunk_s is not None:
            response["first_chunk_s"] = result.first_chunk_s
        if result.cached:
            response["cached"] = True
        if result.rate_wait_s:
            response["rate_wait_s"] = round(result.rate_wait_s, 3)
        if result.mocked:
            response["mocked"] = True
        self.tracer.end(span, response=response, tokens=result.tokens(), cost=result.cost, model=result.model or model)
        return result

    def _substitute(self, value: Any, model: str) -> LLMResult:
        if isinstance(value, dict):
            return LLMResult(
                content=value.get("content"),
                tool_calls=[openai_tool_call(c) for c in value.get("tool_calls") or []],
                model=model,
            )
        return LLMResult(content="" if value is None else str(value), model=model)

    def _with_fallbacks(
        self, model: str, body: dict[str, Any], opts: LLMOptions, on_chunk: Callable[[str], Any] | None, caller: str
    ) -> LLMResult:
        models = [model] + [str(m) for m in opts.get("fallbacks") or []]
        errors: list[str] = []
        for i, m in enumerate(models):
            try:
                return self._with_retries(m, body, opts, on_chunk, caller)
            except SpellError as e:
                if e.code == "cancelled" or i == len(models) - 1 or e.partial:
                    if errors:
                        raise SpellError(
                            e.code, f"{e.message} (after fallbacks: {'; '.join(errors)})", e.retryable
                        ) from None
                    raise
                errors.append(f"{m}: {e.code}")
                log.info("model %s failed (%s); falling back to %s", m, e.code, models[i + 1])
        raise AssertionError("unreachable")

    def _with_retries(
        self, model: str, body: dict[str, Any], opts: LLMOptions, on_chunk: Callable[[str], Any] | None, caller: str
    ) -> LLMResult:
        retries = int(opts.get("retries", self.settings.get("retries", DEFAULT_RETRIES)))
        attempts: list[dict[str, Any]] = []
        for attempt in range(retries + 1):
            self._check_cancelled()
            try:
                result = self._once(model, body, opts, on_chunk, caller)
                result.attempts = attempts
                return result
            except SpellError as e:
                if not e.retryable or attempt == retries or e.partial:
                    raise
                delay = self._delay(attempt, e)
                attempts.append({"error": e.code, "message": e.message, "delay": round(delay, 3)})
                log.info("retrying %s after %s in %.2fs", model, e.code, delay)
                if self.ctx.call_cancelled().wait(delay):
                    raise SpellError("cancelled", "run cancelled while waiting to retry") from None
        raise AssertionError("unreachable")

    def _delay(self, attempt: int, error: SpellError) -> float:
        cassette = self.cassette()
        if cassette is not None and cassette.mode == "replay":
            return 0.0
        cap = float(self.settings.get("max_retry_delay", 30.0))
        hinted = error.retry_after
        if hinted is not None:
            return min(cap, float(hinted))
        base = float(self.settings.get("retry_base_delay", 0.5))
        return min(cap, base * (2**attempt)) * (0.5 + random.random() / 2)

    def _where(self, caller: str) -> str:
        line = self.ctx.call_line()
        return f"{caller} at {os.path.basename(self.ctx.spell_path)}:{line}" if line else caller

    def _check_cancelled(self) -> None:
        if self.ctx.call_cancelled().is_set():
            raise SpellError("cancelled", "the run was cancelled")

    def _once(
        self, model: str, body: dict[str, Any], opts: LLMOptions, on_chunk: Callable[[str], Any] | None, caller: str
    ) -> LLMResult:
        cassette = self.cassette()
        request = normalise("stream" if on_chunk is not None else "chat", model, body) if cassette else {}
        if cassette is not None and cassette.mode == "replay":
            rec = cassette.lookup(request, self._where(caller))
            return self._replayed(rec, on_chunk)
        cache_key = None
        if self.providers().cache_for(opts):
            cache_key = request_key(model, body, self.api_base(model))
            hit = shared_cache().get(cache_key)
            if hit is not None:
                result = self._replayed(hit, on_chunk)
                result.cost, result.cached = 0.0, True
                if cassette is not None:
                    cassette.record(request, result.to_record())
                return result
        try:
            result = self._sent(model, body, opts, on_chunk)
        except SpellError as e:
            if cassette is not None:
                cassette.record(request, {"error": e.to_dict(), "retry_after": e.retry_after})
            raise
        if cassette is not None:
            cassette.record(request, result.to_record())
        if cache_key is not None and result.finish_reason != "error":
            shared_cache().put(cache_key, result.to_record())
        return result

    def _sent(
        self, model: str, body: dict[str, Any], opts: LLMOptions, on_chunk: Callable[[str], Any] | None
    ) -> LLMResult:
        """Check the budgets, wait for the rate limit, send, and account for what it cost."""
        providers = self.providers()
        alias = providers.alias(model)
        limiter = limiter_for(alias.name, alias.rpm, alias.tpm) if alias is not None else None
        estimated = 0
        if providers.budget.active or (limiter is not None and limiter.tpm):
            priced = alias.deployments[0].model if alias is not None else model
            estimated, cost = estimate(priced, body["messages"], body.get("max_tokens"))
            with self._lock:
                run_cost, run_tokens = self._usage["cost"], self._usage["total_tokens"]
            providers.budget.check(model, cost, estimated, run_cost, run_tokens)
        waited = 0.0
        if limiter is not None:
            assert providers.router is not None  # built before the slot is taken, so the send follows it at once
            waited = limiter.reserve(estimated)
            if waited > 0:
                log.info("%s: waiting %.2fs for its rate limit", model, waited)
                if self.ctx.call_cancelled().wait(waited):
                    raise SpellError("cancelled", "run cancelled while waiting for the rate limit")
        result = self._litellm_call(model, body, opts, on_chunk)
        result.rate_wait_s = waited
        if limiter is not None:
            limiter.correct(estimated, int(result.usage.get("total_tokens") or 0))
        if result.cost > 0:
            ledger().add(model, result.cost)
        return result

    def _replayed(self, rec: dict[str, Any], on_chunk: Callable[[str], Any] | None) -> LLMResult:
        if "error" in rec:
            err = SpellError(rec["error"]["code"], rec["error"]["message"], rec["error"].get("retryable", False))
            err.retry_after = rec.get("retry_after")
            raise err
        result = LLMResult.from_record(rec)
        if on_chunk is not None:
            delivered = []
            for piece in result.chunks or ([result.content] if result.content else []):
                self._check_cancelled()
                delivered.append(piece)
                if on_chunk(piece) is False:
                    break
            result.content = "".join(delivered)
        return result

    def _call_kwargs(self, model: str, body: dict[str, Any], opts: LLMOptions) -> dict[str, Any]:
        alias = self.providers().alias(model)
        kwargs: dict[str, Any] = {"model": model, **body, "num_retries": 0, "max_retries": 0, "drop_params": True}
        timeout = opts.get("timeout") or (alias.timeout if alias is not None else None) or self.settings.get("timeout")
        if timeout or alias is None:  # an alias's deployments may set their own
            kwargs["timeout"] = float(timeout or DEFAULT_TIMEOUT)
        base = self.api_base(model) if alias is None else None
        if base:
            kwargs["api_base"] = base
        return kwargs

    def _sender(self, litellm: Any, model: str) -> Callable[..., Any]:
        """``litellm.completion``, or the Router's for a configured alias."""
        router = self.providers().router
        return router.completion if router is not None and router.is_alias(model) else litellm.completion

    def _litellm_call(
        self, model: str, body: dict[str, Any], opts: LLMOptions, on_chunk: Callable[[str], Any] | None
    ) -> LLMResult:
        litellm = get_litellm()
        ensure_thread_loop()
        kwargs = self._call_kwargs(model, body, opts)
        if on_chunk is not None:
            return self._stream(litellm, model, kwargs, on_chunk)
        scope = self.ctx.call_scope()
        try:
            sender = self._sender(litellm, model)
            if scope is not None and scope.cancellable and sender is litellm.completion:
                resp = _abortable_completion(litellm, kwargs, scope.cancelled)
            else:  # (a configured alias goes through the Router: a cancel only drops its answer)
                resp = sender(**kwargs)
        except SpellError:
            raise
        except Exception as e:
            raise _mapped(e, model) from None
        return _result_from_response(litellm, resp, model)

    def _stream(self, litellm: Any, model: str, kwargs: dict[str, Any], on_chunk: Callable[[str], Any]) -> LLMResult:
        pieces: list[str] = []
        chunks: list[Any] = []
        stream = None
        started = time.perf_counter()
        first: float | None = None
        try:
            stream = self._sender(litellm, model)(**kwargs, stream=True, stream_options={"include_usage": True})
            for chunk in stream:
                chunks.append(chunk)
                self._check_cancelled()
                text = chunk.choices[0].delta.content if chunk.choices else None
                if text:
                    if first is None:
                        first = time.perf_counter() - started
                    pieces.append(text)
                    if on_chunk(text) is False:
                        break
        except SpellError as e:
            e.partial = bool(pieces)
            raise
        except Exception as e:
            err = _mapped(e, model)
            if pieces:  # text already reached the spell: retrying would repeat it
                err = SpellError(err.code, f"{err.message} (stream broke after {len(pieces)} chunk(s))", False)
                err.partial = True
            raise err from None
        finally:
            close = getattr(stream, "close", None) or getattr(getattr(stream, "completion_stream", None), "close", None)
            if callable(close):
                try:
                    close()
                except Exception:  # closing a finished or broken stream may fail; nothing to do
                    log.debug("closing stream failed", exc_info=True)
        built = litellm.stream_chunk_builder(chunks, messages=kwargs.get("messages")) if chunks else None
        result = _result_from_response(litellm, built, model) if built is not None else LLMResult(content="")
        result.content = "".join(pieces)
        result.chunks = pieces
        result.first_chunk_s = None if first is None else round(first, 4)
        return result

    # embeddings ------------------------------------------------------------------------------------------------
    def embed(self, texts: list[str], opts: dict[str, Any] | None, caller: str) -> list[list[float]]:
        opts = opts or {}
        model = str(opts.get("model") or self.embedding_model())
        span = self.tracer.start(
            "embedding",
            caller,
            file=self.ctx.spell_path,
            line=self.ctx.call_line(),
            model=model,
            request={"input": texts},
        )
        try:
            vectors, usage, cost = self._embed_retrying(model, texts, opts)
        except SpellError as e:
            self.tracer.end(span, error=e)
            self.hooks.notify_error(e, caller)
            raise
        self._account(LLMResult(content=None, usage=usage, cost=cost, model=model))
        self.tracer.end(
            span,
            response={"count": len(vectors), "dimensions": len(vectors[0]) if vectors else 0},
            tokens={"prompt": usage.get("prompt_tokens", 0), "completion": 0, "total": usage.get("total_tokens", 0)},
            cost=cost,
        )
        return vectors

    def _embed_retrying(
        self, model: str, texts: list[str], opts: dict[str, Any]
    ) -> tuple[list[list[float]], dict[str, int], float]:
        retries = int(opts.get("retries", self.settings.get("retries", DEFAULT_RETRIES)))
        request = normalise("embed", model, {"input": texts})
        cassette = self.cassette()
        for attempt in range(retries + 1):
            self._check_cancelled()
            try:
                if cassette is not None and cassette.mode == "replay":
                    rec = cassette.lookup(request, self._where("LLM.embed"))
                    if "error" in rec:
                        raise SpellError(
                            rec["error"]["code"], rec["error"]["message"], rec["error"].get("retryable", False)
                        )
                    return rec["vectors"], rec.get("usage") or {}, float(rec.get("cost") or 0.0)
                vectors, usage, cost = self._embed_once(model, texts, opts)
                if cassette is not None:
                    cassette.record(request, {"vectors": vectors, "usage": usage, "cost": cost})
                return vectors, usage, cost
            except SpellError as e:
                if cassette is not None and cassette.mode == "record":
                    cassette.record(request, {"error": e.to_dict()})
                if not e.retryable or attempt == retries:
                    raise
                if self.ctx.call_cancelled().wait(self._delay(attempt, e)):
                    raise SpellError("cancelled", "run cancelled while waiting to retry") from None
        raise AssertionError("unreachable")

    def _embed_once(
        self, model: str, texts: list[str], opts: dict[str, Any]
    ) -> tuple[list[list[float]], dict[str, int], float]:
        litellm = get_litellm()
        ensure_thread_loop()
        kwargs: dict[str, Any] = {
            "model": model,
            "input": texts,
            "num_retries": 0,
            "max_retries": 0,
            "drop_params": True,
            "timeout": float(opts.get("timeout") or self.settings.get("timeout") or DEFAULT_TIMEOUT),
        }
        router = self.providers().router
        embed = router.embedding if router is not None and router.is_alias(model) else litellm.embedding
        base = self.api_base(model) if embed is litellm.embedding else None
        if base:
            kwargs["api_base"] = base
        try:
            resp = embed(**kwargs)
        except Exception as e:
            raise _mapped(e, model) from None
        vectors = [list(map(float, (d["embedding"] if isinstance(d, dict) else d.embedding))) for d in resp.data]
        usage = _usage_dict(getattr(resp, "usage", None))
        try:
            cost = float(litellm.completion_cost(completion_response=resp) or 0.0)
        except Exception:
            cost = 0.0
        return vectors, usage, cost


def _mocked_result(reply: dict[str, Any], model: str, on_chunk: Callable[[str], Any] | None) -> LLMResult:
    """A mock's ``{content, tool_calls}`` as the model's answer (a stream gets the text as one chunk)."""
    content, calls = reply.get("content"), list(reply.get("tool_calls") or [])
    if on_chunk is not None and content:
        on_chunk(content)
    return LLMResult(
        content=content,
        tool_calls=calls,
        finish_reason="tool_calls" if calls else "stop",
        model=model,
        chunks=[content] if on_chunk is not None and content else None,
        mocked=True,
    )


def _abortable_completion(litellm: Any, kwargs: dict[str, Any], cancelled: threading.Event) -> Any:
    """``litellm.acompletion`` on the host's I/O loop, aborted when ``cancelled`` is set: cancelling the asyncio
    task closes the HTTP connection, so the provider stops working on an answer nobody will read (a task's call
    that lost a race or was cancelled)."""
    try:
        return run_abortable(litellm.acompletion(**kwargs), cancelled)
    except concurrent.futures.CancelledError:
        raise SpellError("cancelled", "the call was cancelled") from None


class _Providers:
    """What a run's settings and its project's ``llmspell.toml`` say about models, cache and budgets."""

    def __init__(self, config: ModelConfig, cache: bool, budget: Budget):
        self.config = config
        self.cache = cache
        self.budget = budget
        self._router: ProviderRouter | None = None
        self._router_built = False

    @classmethod
    def of(cls, spell_path: str | None, settings: dict[str, Any]) -> _Providers:
        try:
            text = settings.get("model_config")
            user = user_sections(text) if isinstance(text, str) else {}
            if isinstance(settings.get("models"), dict):  # data instead of text (embedding hosts, benchmarks)
                user["models"] = settings["models"]
            if isinstance(settings.get("cache_enabled"), bool):
                user["cache"] = {"enabled": settings["cache_enabled"]}
            config = load_model_config(spell_path, user)
        except ModelConfigError as e:
            raise SpellError("invalid_argument", str(e)) from None
        forced = settings.get("cache")  # --cache / --no-cache
        cache = forced if isinstance(forced, bool) else bool(config.cache)
        max_cost, max_tokens = settings.get("max_cost"), settings.get("max_tokens")
        return cls(
            config,
            cache,
            Budget(
                config,
                float(max_cost) if max_cost is not None else None,
                int(max_tokens) if max_tokens is not None else None,
            ),
        )

    @property
    def router(self) -> ProviderRouter | None:
        if not self._router_built:
            self._router = router_for(self.config)
            self._router_built = True
        return self._router

    def alias(self, model: str) -> Any:
        """The configured alias ``model`` names, or None."""
        return self.config.aliases.get(model)

    def cache_for(self, opts: LLMOptions) -> bool:
        """Whether this call may be answered from (and stored in) the response cache."""
        return self.cache and opts.get("cache") is not False  # a spell may skip the cache, never turn it on


def _mapped(exc: BaseException, model: str) -> SpellError:
    err = map_exception(exc, model)
    err.retry_after = retry_after(exc)
    return err


def _usage_dict(usage: Any) -> dict[str, int]:
    if usage is None:
        return {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}
    get = usage.get if isinstance(usage, dict) else (lambda k, d=0: getattr(usage, k, d))
    return {k: int(get(k, 0) or 0) for k in ("prompt_tokens", "completion_tokens", "total_tokens")}


def _result_from_response(litellm: Any, resp: Any, model: str) -> LLMResult:
    try:
        choice = resp.choices[0]
        message = choice.message
    except (AttributeError, IndexError, TypeError):
        raise SpellError("provider", f"{model}: the provider returned no choices", True) from None
    calls = []
    for c in getattr(message, "tool_calls", None) or []:
        fn = c.function
        calls.append({"id": c.id, "type": "function", "function": {"name": fn.name, "arguments": fn.arguments or "{}"}})
    return LLMResult(
        content=message.content,
        tool_calls=calls,
        finish_reason=choice.finish_reason or "stop",
        usage=_usage_dict(getattr(resp, "usage", None)),
        cost=_cost(litellm, resp),
        model=model,
    )


def _cost(litellm: Any, resp: Any) -> float:
    """The response's cost: litellm computes it while logging (hidden params); else ask; unknown prices → 0."""
    hidden = getattr(resp, "_hidden_params", None) or {}
    if "response_cost" in hidden:  # None: litellm knows no price for this model
        return float(hidden["response_cost"] or 0.0)
    try:
        return float(litellm.completion_cost(completion_response=resp) or 0.0)
    except Exception:  # unknown price (local or custom models)
        return 0.0


def client_of(ctx: BridgeContext) -> LLMClient:
    """The run's LLM client."""
    return ctx.service("llm", lambda: LLMClient(ctx))
