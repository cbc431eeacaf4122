"""The provider layer: model aliases on litellm's Router, the response cache, rate limits and budgets — against
the local fault-injecting server (counted at the server)."""

from __future__ import annotations

import itertools
import json
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from support.llm_server import LLMServer

from app.bridges.errors import SpellError
from app.bridges.model_config import ModelConfigError, find_project_file, load_model_config, user_sections
from app.bridges.rate_limit import RateLimiter
from app.bridges.response_cache import shared_cache
from app.bridges.spend import ledger

_names = itertools.count()


def unique(prefix: str) -> str:
    """Alias names are process-wide (their Router and rate limiter are shared by every run): one per test."""
    return f"{prefix}{next(_names)}-{time.monotonic_ns()}"


def write_toml(spell_dir: Path, text: str) -> None:
    spell_dir.mkdir(parents=True, exist_ok=True)
    (spell_dir / "llmspell.toml").write_text(text, "utf-8")


@pytest.fixture
def project(tmp_path: Path, make_spell: Callable[..., Any]) -> Callable[..., Any]:
    """A spell whose folder holds ``llmspell.toml`` with the given text."""

    def make(toml: str, **settings: Any) -> Any:
        write_toml(tmp_path / "spell", toml)
        return make_spell(settings)

    return make


# ------------------------------------------------------------------------------------------------ configuration
def test_config_reads_aliases_from_the_nearest_project_file(tmp_path):
    write_toml(
        tmp_path,
        '[models]\nquick = "openai/gpt-4o-mini"\n'
        '[models.smart]\nstrategy = "least-busy"\nfallbacks = ["quick"]\n'
        '[[models.smart.deployments]]\nmodel = "openai/gpt-4o"\nkey = "env:EU_KEY"\nrpm = 30\n'
        '[[models.smart.deployments]]\nmodel = "openai/gpt-4o"\napi_base = "http://127.0.0.1:9/v1"\n'
        "rpm = 30\n",
    )
    nested = tmp_path / "a" / "b"
    nested.mkdir(parents=True)
    assert find_project_file(nested / "spell.lua") == tmp_path / "llmspell.toml"
    config = load_model_config(str(nested / "spell.lua"))
    assert config.aliases["quick"].deployments[0].model == "openai/gpt-4o-mini"
    smart = config.aliases["smart"]
    assert smart.strategy == "least-busy" and smart.fallbacks == ("quick",) and smart.rpm == 60
    assert smart.deployments[0].key == "env:EU_KEY" and smart.tpm is None


def test_project_file_wins_over_user_settings(tmp_path):
    write_toml(tmp_path, '[models]\nquick = "openai/b"\n[budget]\ndaily_usd = 2\n')
    user = user_sections(
        '[models]\nquick = "openai/a"\nother = "openai/c"\n[budget]\ndaily_usd = 9\nmonthly_usd = 20\n'
    )
    config = load_model_config(str(tmp_path / "s.lua"), user)
    assert config.aliases["quick"].deployments[0].model == "openai/b" and "other" in config.aliases
    assert config.budget.daily_usd == 2 and config.budget.monthly_usd == 20


@pytest.mark.parametrize(
    "toml, says",
    [
        ('[models.x]\nmodel = "openai/a"\nkey = "sk-live-abcdefghijklmnop"\n', "must be a reference"),
        ('[models.x]\nmodel = "openai/a"\ncolour = 1\n', "unknown key(s) colour"),
        ('[models.x]\nstrategy = "fastest"\nmodel = "openai/a"\n', "is not one of"),
        ('[models]\nx = "gpt-4o"\n', "provider/model"),
        ('[models.x]\nmodel = "openai/a"\nrpm = -1\n', "positive whole number"),
        ('[models.x]\nmodel = "openai/a"\nfallbacks = ["nowhere"]\n', "neither an alias"),
        ('[budget]\ndaily_usd = "lots"\n', "positive number"),
        ("[models\n", "llmspell.toml"),
    ],
)
def test_bad_configuration_is_a_clear_error_naming_the_file(tmp_path, toml, says):
    write_toml(tmp_path, toml)
    with pytest.raises(ModelConfigError) as e:
        load_model_config(str(tmp_path / "s.lua"))
    assert says in str(e.value) and "llmspell.toml" in str(e.value)
    assert "sk-live" not in str(e.value)  # a pasted key is never echoed


def test_a_bad_configuration_reaches_the_spell_as_invalid_argument(project, make_spell):
    spell = project('[models.x]\nmodel = "openai/a"\nkey = "plain-text-key"\n')
    with pytest.raises(SpellError) as e:
        spell.call("LLM.complete", "hi")
    assert e.value.code == "invalid_argument" and "llmspell.toml" in e.value.message
    from_settings = make_spell({"model_config": "[models\n"})
    with pytest.raises(SpellError) as e:
        from_settings.call("LLM.complete", "hi")
    assert e.value.code == "invalid_argument" and "Settings → Models" in e.value.message


# ------------------------------------------------------------------------------------------------ cache
def test_cache_answers_a_repeated_request_without_asking_the_server(make_spell, llm_server):
    spell = make_spell({"default_model": "openai/test-model", "api_base": {"openai": llm_server.url}, "cache": True})
    prompt = unique("cache me ")
    first = spell.call("LLM.complete", prompt)
    second = spell.call("LLM.complete", prompt)
    assert first == second == f"Echo: {prompt}"
    assert len(llm_server.chat_requests()) == 1
    hit = spell.spans[-1]
    assert hit["response"]["cached"] is True and hit["cost"] == 0.0
    assert spell.call("LLM.usage")["cache_hits"] == 1
    spell.call("LLM.complete", prompt, opts={"cache": False})  # per call: skip it
    assert len(llm_server.chat_requests()) == 2
    stats = shared_cache().stats()
    assert stats["hits"] >= 1 and stats["misses"] >= 1 and stats["entries"] >= 1


def test_cache_is_off_unless_asked_and_keys_include_the_parameters(make_spell, llm_server):
    plain = make_spell({"default_model": "openai/test-model", "api_base": {"openai": llm_server.url}})
    prompt = unique("not cached ")
    plain.call("LLM.complete", prompt)
    plain.call("LLM.complete", prompt)
    assert len(llm_server.chat_requests()) == 2
    cached = make_spell({"default_model": "openai/test-model", "api_base": {"openai": llm_server.url}, "cache": True})
    cached.call("LLM.complete", prompt, opts={"temperature": 0.1})
    cached.call("LLM.complete", prompt, opts={"temperature": 0.2})  # another request: another key
    assert len(llm_server.chat_requests()) == 4


def test_a_streamed_cache_hit_still_streams(make_spell, llm_server):
    spell = make_spell({"default_model": "openai/test-model", "api_base": {"openai": llm_server.url}, "cache": True})
    prompt = unique("stream me ")
    spell.call("LLM.stream", prompt, spell.fn(lambda c: None))
    seen: list[str] = []
    text = spell.call("LLM.stream", prompt, spell.fn(seen.append))
    assert text == f"Echo: {prompt}" and "".join(seen) == text and len(seen) > 1
    assert len(llm_server.chat_requests()) == 1


def test_errors_are_never_cached(make_spell, llm_server):
    spell = make_spell(
        {"default_model": "openai/test-model", "api_base": {"openai": llm_server.url}, "cache": True, "retries": 0}
    )
    prompt = unique("fails once ")
    llm_server.fault("500")
    with pytest.raises(SpellError):
        spell.call("LLM.complete", prompt)
    assert spell.call("LLM.complete", prompt) == f"Echo: {prompt}"
    assert len(llm_server.chat_requests()) == 2 and spell.spans[-1]["response"].get("cached") is None
    assert spell.call("LLM.complete", prompt) == f"Echo: {prompt}"  # the success was cached, not the failure
    assert len(llm_server.chat_requests()) == 2 and spell.spans[-1]["response"]["cached"] is True


# ------------------------------------------------------------------------------------------------ rate limits
def test_rpm_spaces_requests_and_the_trace_shows_the_wait(project, llm_server, monkeypatch):
    monkeypatch.setenv("PACED_KEY", "sk-paced-0000000000")
    alias = unique("paced")
    spell = project(
        f'[models.{alias}]\nmodel = "openai/test-model"\napi_base = "{llm_server.url}"\n'
        f'key = "env:PACED_KEY"\nrpm = 600\n'
    )  # one request per 0.1 s
    started = time.monotonic()
    for i in range(4):
        assert spell.call("LLM.complete", f"paced {i}", opts={"model": alias}) == f"Echo: paced {i}"
    times = [r["at"] - started for r in llm_server.requests]
    # request k goes no earlier than k slots of 0.1 s after the first one's slot (a busy machine may only delay)
    assert len(times) == 4 and all(t >= k * 0.1 - 0.005 for k, t in enumerate(times)), times
    assert spell.spans[-1]["response"]["rate_wait_s"] > 0


def test_the_wait_for_a_rate_limit_is_cancellable(project, llm_server):
    alias = unique("slowpaced")
    spell = project(f'[models.{alias}]\nmodel = "openai/test-model"\napi_base = "{llm_server.url}"\nrpm = 1\n')
    spell.call("LLM.complete", "first", opts={"model": alias})
    spell.ctx.cancelled.set()
    started = time.monotonic()
    with pytest.raises(SpellError) as e:
        spell.call("LLM.complete", "second", opts={"model": alias})
    assert e.value.code == "cancelled" and time.monotonic() - started < 5


def test_tpm_bucket_makes_a_request_wait_for_its_tokens():
    now = [0.0]
    limiter = RateLimiter(rpm=None, tpm=600, clock=lambda: now[0])  # 10 tokens a second
    assert limiter.reserve(500) == 0.0
    assert limiter.reserve(200) == pytest.approx(10.0)  # 100 tokens short
    now[0] += 30.0
    limiter.correct(estimated=200, actual=100)
    assert limiter.reserve(100) == 0.0


# ------------------------------------------------------------------------------------------------ budgets
def test_max_tokens_stops_the_call_before_it_is_sent(make_spell, llm_server):
    spell = make_spell({"default_model": "openai/test-model", "api_base": {"openai": llm_server.url}, "max_tokens": 5})
    with pytest.raises(SpellError) as e:
        spell.call("LLM.complete", "a prompt that is certainly longer than five tokens, by quite a margin")
    assert e.value.code == "budget_exceeded" and "--max-tokens" in e.value.message
    assert llm_server.chat_requests() == []


def test_daily_budget_stops_the_call_before_it_is_sent(project, llm_server):
    ledger().add("openai/gpt-4o-mini", 0.02)  # already spent today
    spell = project(
        '[budget.models."openai/gpt-4o-mini"]\ndaily_usd = 0.01\n',
        default_model="openai/gpt-4o-mini",
        api_base={"openai": llm_server.url},
    )
    with pytest.raises(SpellError) as e:
        spell.call("LLM.complete", "hi")
    assert e.value.code == "budget_exceeded" and "daily_usd" in e.value.message
    assert llm_server.chat_requests() == []
    report = spell.call("Model.usage")
    assert report["today"]["openai/gpt-4o-mini"] == pytest.approx(0.02) and report["today_total"] >= 0.02


def test_max_cost_counts_what_the_run_spent(make_spell, llm_server):
    spell = make_spell(
        {"default_model": "openai/gpt-4o-mini", "api_base": {"openai": llm_server.url}, "max_cost": 0.0000001}
    )
    with pytest.raises(SpellError) as e:  # even one priced call's estimate passes this budget
        spell.call("LLM.complete", "hello there", opts={"max_tokens": 100})
    assert e.value.code == "budget_exceeded" and "--max-cost" in e.value.message
    assert llm_server.chat_requests() == []


def test_priced_calls_are_added_to_the_day_ledger(make_spell, llm_server):
    spell = make_spell({"default_model": "openai/gpt-4o-mini", "api_base": {"openai": llm_server.url}})
    before = ledger().spent("openai/gpt-4o-mini")
    spell.call("LLM.complete", "count me")
    spent = ledger().spent("openai/gpt-4o-mini") - before
    assert spent > 0 and spell.call("Model.usage")["run"]["openai/gpt-4o-mini"] == pytest.approx(spent)


# ------------------------------------------------------------------------------------------------ routing
def test_an_alias_falls_back_to_another_alias_when_its_deployment_fails(project, llm_server):
    main, backup = unique("main"), unique("backup")
    spell = project(
        f'[models.{main}]\nmodel = "openai/test-model"\napi_base = "{llm_server.url}"\n'
        f'fallbacks = ["{backup}"]\n[models]\n{backup} = "offline/echo"\n',
        retries=0,
    )
    llm_server.fault("500")
    assert spell.call("LLM.complete", "rescue me", opts={"model": main}) == "Echo: rescue me"
    assert len(llm_server.requests) == 1  # the failing deployment was asked once


def test_a_failing_deployment_cools_down_and_the_others_serve(project, llm_server):
    alias = unique("pool")
    with LLMServer() as broken:
        for _ in range(50):
            broken.fault("500")
        spell = project(
            f"[models.{alias}]\n"
            f'[[models.{alias}.deployments]]\nmodel = "openai/test-model"\napi_base = "{broken.url}"\n'
            f'[[models.{alias}.deployments]]\nmodel = "openai/test-model"\napi_base = "{llm_server.url}"\n',
            retries=4,
        )
        for i in range(12):
            assert spell.call("LLM.complete", f"call {i}", opts={"model": alias}) == f"Echo: call {i}"
        failed = len(broken.requests)
    assert len(llm_server.chat_requests()) == 12
    assert failed <= 4, f"the broken deployment kept being asked ({failed} requests)"


# ------------------------------------------------------------------------------------------------ keys
def test_keys_never_reach_traces_cassettes_or_logs(project, llm_server, monkeypatch, tmp_path, caplog):
    secret = "sk-secret-do-not-leak-0123456789"
    monkeypatch.setenv("SECRET_DEPLOY_KEY", secret)
    alias = unique("keyed")
    cassette = tmp_path / "calls.cassette"
    spell = project(
        f'[models.{alias}]\nmodel = "openai/test-model"\napi_base = "{llm_server.url}"\n'
        f'key = "env:SECRET_DEPLOY_KEY"\n',
        record=str(cassette),
    )
    caplog.set_level(logging.DEBUG)
    spell.call("LLM.complete", "who am I", opts={"model": alias})
    llm_server.fault("401")
    with pytest.raises(SpellError) as e:
        spell.call("LLM.complete", "denied", opts={"model": alias, "retries": 0})
    headers = {k.lower(): v for k, v in llm_server.requests[0]["headers"].items()}
    assert headers.get("authorization") == f"Bearer {secret}"  # it was used
    assert secret not in json.dumps(spell.spans, default=str)
    assert secret not in e.value.message
    assert secret not in caplog.text
    assert not cassette.exists() or secret not in cassette.read_text("utf-8")
    assert secret not in (tmp_path / "spell" / "llmspell.toml").read_text("utf-8")


# ------------------------------------------------------------------------------------------------ attacks
def test_a_project_file_cannot_send_the_users_keys_to_another_host(tmp_path):
    write_toml(
        tmp_path,
        '[models.x]\nmodel = "openai/gpt-4o"\napi_base = "https://collector.example.net/v1"\nkey = "keyring:openai"\n',
    )
    with pytest.raises(ModelConfigError) as e:
        load_model_config(str(tmp_path / "s.lua"))
    assert "may point only at this computer" in str(e.value) and "collector.example.net" in str(e.value)
    # trusted once the user's own settings use that host
    user = {"models": {"gw": {"model": "openai/gpt-4o", "api_base": "https://collector.example.net/v1"}}}
    assert "x" in load_model_config(str(tmp_path / "s.lua"), user).aliases
    write_toml(tmp_path, '[models.x]\nmodel = "openai/m"\napi_base = "http://127.0.0.1:8080/v1"\n')
    assert "x" in load_model_config(str(tmp_path / "s.lua")).aliases


def test_a_spell_cannot_turn_the_cache_on(make_spell, llm_server):
    spell = make_spell({"default_model": "openai/test-model", "api_base": {"openai": llm_server.url}})
    prompt = unique("no cache for you ")
    spell.call("LLM.complete", prompt, opts={"cache": True})
    spell.call("LLM.complete", prompt, opts={"cache": True})
    assert len(llm_server.chat_requests()) == 2
