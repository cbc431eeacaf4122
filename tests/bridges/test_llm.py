"""LLM on the offline model and against the local OpenAI-compatible server, faults included."""

from __future__ import annotations

import json

import pytest

from app.bridges.errors import SpellError

from .conftest import DUMMY_KEY

PERSON = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
    "required": ["name", "age"],
}


# ------------------------------------------------------------------------------------------------ offline
def test_complete_offline_echoes(spell):
    assert spell.call("LLM.complete", "Say hello") == "Echo: Say hello"
    assert spell.call("LLM.complete", "one two three four", opts={"max_tokens": 3}) == "Echo: one"
    assert spell.call("LLM.complete", "alpha. beta", opts={"stop": "."}) == "Echo: alpha"


def test_chat_offline_returns_message_with_tool_calls(spell):
    msg = spell.call(
        "LLM.chat", [{"role": "user", "content": "Use the calculator to compute 6*7."}], opts={"tools": ["calculator"]}
    )
    assert msg["role"] == "assistant" and msg["content"] is None
    assert msg["tool_calls"][0]["name"] == "calculator"
    assert msg["tool_calls"][0]["arguments"] == {"expression": "6*7"}
    follow = spell.call(
        "LLM.chat",
        [
            {"role": "user", "content": "Use the calculator to compute 6*7."},
            msg,
            {"role": "tool", "tool_call_id": msg["tool_calls"][0]["id"], "content": "42"},
        ],
        opts={"tools": ["calculator"]},
    )
    assert follow["content"] == "calculator returned 42"


def test_stream_offline_calls_back_and_stops_early(spell):
    seen = []
    text = spell.call("LLM.stream", "one two three", spell.fn(lambda chunk: seen.append(chunk)))
    assert text == "Echo: one two three" and "".join(seen) == text and len(seen) == 4
    assert spell.spans[-1]["response"]["first_chunk_s"] >= 0  # time to the first text, for the trace panel
    seen.clear()
    text = spell.call("LLM.stream", "one two three", spell.fn(lambda c: seen.append(c) or len(seen) < 2))
    assert text == "Echo: one " and len(seen) == 2


def test_structured_offline_uses_prompt_values(spell):
    assert spell.call("LLM.structured", "name: Ada Lovelace, age: 36", PERSON) == {"name": "Ada Lovelace", "age": 36}


def test_structured_rejects_invalid_schema(spell):
    with pytest.raises(SpellError) as e:
        spell.call("LLM.structured", "x", {"type": "no-such-type"})
    assert e.value.code == "invalid_argument"


def test_embed_and_count_tokens_and_usage(spell):
    v = spell.call("LLM.embed", "hello world")
    assert len(v) == 32 and v == spell.call("LLM.embed", "hello world")
    vs = spell.call("LLM.embed", ["a", "b c"])
    assert len(vs) == 2 and len(vs[1]) == 32
    assert spell.call("LLM.count_tokens", "Hello, world!") == 4
    assert spell.call("LLM.count_tokens", [{"role": "user", "content": "hi there"}]) == 2
    spell.call("LLM.complete", "hi")
    u = spell.call("LLM.usage")
    assert u["calls"] == 4 and u["by_model"]["offline/echo"]["total_tokens"] == 1 + 3
    assert u["cost"] == 0.0


def test_unknown_option_and_bad_messages_are_invalid_arguments(spell):
    with pytest.raises(SpellError) as e:
        spell.call("LLM.complete", "hi", opts={"temprature": 1})
    assert e.value.code == "invalid_argument" and "temprature" in e.value.message
    with pytest.raises(SpellError) as e:
        spell.call("LLM.chat", [{"role": "robot", "content": "x"}])
    assert e.value.code == "invalid_argument"


def test_spans_carry_file_line_tokens(spell):
    spell.call("LLM.complete", "hi", line=7)
    (span,) = spell.spans
    assert span["kind"] == "llm" and span["name"] == "LLM.complete" and span["line"] == 7
    assert span["file"].endswith("main.lua") and span["model"] == "offline/echo"
    assert span["tokens"] == {"prompt": 1, "completion": 3, "total": 4} and span["end"] >= span["start"]
    assert span["response"]["content"] == "Echo: hi"


def test_cancelled_run_stops_calls(spell):
    spell.ctx.cancelled.set()
    with pytest.raises(SpellError) as e:
        spell.call("LLM.complete", "hi")
    assert e.value.code == "cancelled"


# ------------------------------------------------------------------------------------------------ server
def test_server_complete_chat_stream_embed(server_spell, llm_server):
    assert server_spell.call("LLM.complete", "hi there", opts={"temperature": 0, "seed": 1}) == "Echo: hi there"
    body = llm_server.chat_requests()[-1]
    assert body["temperature"] == 0 and body["seed"] == 1 and body["model"] == "test-model"
    msg = server_spell.call(
        "LLM.chat",
        [{"role": "user", "content": 'call shout with text="hey"'}],
        opts={
            "tools": [
                {
                    "name": "shout",
                    "description": "upper-case",
                    "parameters": {"type": "object", "properties": {"text": {"type": "string"}}},
                }
            ]
        },
    )
    assert msg["tool_calls"][0]["name"] == "shout" and msg["tool_calls"][0]["arguments"] == {"text": "hey"}
    chunks = []
    assert server_spell.call("LLM.stream", "a b c", server_spell.fn(chunks.append)) == "Echo: a b c"
    assert chunks == ["Echo: ", "a ", "b ", "c"]
    vec = server_spell.call("LLM.embed", "hello", opts={"model": "openai/text-embedding-3-small"})
    assert len(vec) == 32


def test_server_structured_instruct_path_with_repair(server_spell, llm_server):
    llm_server.fault("content", content="Sure! Here it is: not json at all")
    llm_server.fault("content", content='```json\n{"name": "Ada", "age": 36}\n```')
    assert server_spell.call("LLM.structured", "extract", PERSON) == {"name": "Ada", "age": 36}
    first, second = llm_server.chat_requests()[-2:]
    assert "JSON schema" in first["messages"][0]["content"] and "response_format" not in first
    assert "did not match" in second["messages"][-1]["content"]


def test_server_structured_fails_naming_the_violation(server_spell, llm_server):
    llm_server.fault("content", content='{"name": "Ada", "age": "old"}')
    llm_server.fault("content", content='{"name": "Ada", "age": "still old"}')
    with pytest.raises(SpellError) as e:
        server_spell.call("LLM.structured", "extract", PERSON)
    assert e.value.code == "provider" and "$.age" in e.value.message and "integer" in e.value.message


def test_server_schema_mode_for_models_that_support_it(make_spell, llm_server):
    s = make_spell({"api_base": {"openai": llm_server.url}})
    value = s.call("LLM.structured", "name: Bo, age: 7", PERSON, opts={"model": "openai/gpt-4o-mini"})
    assert value == {"name": "Bo", "age": 7}
    assert llm_server.chat_requests()[-1]["response_format"]["type"] == "json_schema"


def test_429_is_retried_honouring_retry_after(server_spell, llm_server):
    llm_server.fault("429", retry_after=0.05)
    assert server_spell.call("LLM.complete", "hi") == "Echo: hi"
    attempts = server_spell.spans[-1]["response"]["attempts"]
    assert attempts == [{"error": "rate_limited", "message": attempts[0]["message"], "delay": 0.05}]


def test_500_and_malformed_are_retried_then_fail(server_spell, llm_server):
    llm_server.fault("500")
    llm_server.fault("malformed")
    assert server_spell.call("LLM.complete", "hi", opts={"retries": 2}) == "Echo: hi"
    llm_server.fault("500")
    llm_server.fault("500")
    with pytest.raises(SpellError) as e:
        server_spell.call("LLM.complete", "hi", opts={"retries": 1})
    assert e.value.code == "provider" and e.value.retryable
    assert server_spell.spans[-1]["error"]["code"] == "provider"


@pytest.mark.parametrize("kind, code", [("401", "authentication"), ("context", "context_length")])
def test_non_retryable_errors_map_to_codes(server_spell, llm_server, kind, code):
    llm_server.fault(kind)
    n = len(llm_server.chat_requests())
    with pytest.raises(SpellError) as e:
        server_spell.call("LLM.complete", "hi")
    assert e.value.code == code and not e.value.retryable
    assert len(llm_server.chat_requests()) == n + 1  # not retried
    assert DUMMY_KEY not in e.value.message


def test_timeout(server_spell, llm_server):
    llm_server.fault("timeout", seconds=1.5)
    with pytest.raises(SpellError) as e:
        server_spell.call("LLM.complete", "hi", opts={"timeout": 0.3, "retries": 0})
    assert e.value.code == "timeout"


def test_disconnect_mid_stream_is_a_network_error_after_partial_text(server_spell, llm_server):
    llm_server.fault("disconnect", after=3)
    chunks = []
    with pytest.raises(SpellError) as e:
        server_spell.call("LLM.stream", "one two three four", server_spell.fn(chunks.append))
    assert e.value.code == "network" and chunks == ["Echo: ", "one "]


def test_disconnect_before_answer_is_retried(server_spell, llm_server):
    llm_server.fault("disconnect")
    assert server_spell.call("LLM.complete", "hi") == "Echo: hi"


def test_fallbacks(server_spell, llm_server):
    llm_server.fault("401")
    assert server_spell.call("LLM.complete", "hi", opts={"fallbacks": ["offline/echo"]}) == "Echo: hi"
    assert server_spell.spans[-1]["model"] == "offline/echo"


def test_no_secret_in_spans_or_requests_to_hooks(server_spell, llm_server):
    server_spell.call("LLM.complete", "hi")
    assert DUMMY_KEY not in json.dumps(server_spell.spans)
    auth = {k.lower(): v for k, v in llm_server.requests[-1]["headers"].items()}["authorization"]
    assert auth == f"Bearer {DUMMY_KEY}"  # the key reached the provider, and only the provider


def test_schema_mode_wraps_non_object_schemas(make_spell, llm_server):
    s = make_spell({"api_base": {"openai": llm_server.url}})
    tags = {"type": "array", "items": {"type": "string"}, "minItems": 2}
    assert s.call("LLM.structured", "tags please", tags, opts={"model": "openai/gpt-4o-mini"}) == ["<value>", "<value>"]
    sent = llm_server.chat_requests()[-1]["response_format"]["json_schema"]["schema"]
    assert sent["type"] == "object" and sent["properties"]["value"] == tags
    assert s.call("LLM.structured", "x", tags) == ["<value>", "<value>"]  # offline: same wrapping, same value


def test_no_secret_in_logs_or_errors(server_spell, llm_server, caplog):
    import logging

    caplog.set_level(logging.DEBUG)
    llm_server.fault("401")
    with pytest.raises(SpellError) as e:
        server_spell.call("LLM.complete", "hi")
    assert DUMMY_KEY not in e.value.message
    assert DUMMY_KEY not in caplog.text
    assert DUMMY_KEY not in json.dumps(server_spell.spans)


def test_cancel_during_retry_wait(server_spell, llm_server):
    import threading

    llm_server.fault("429", retry_after=30)
    timer = threading.Timer(0.2, server_spell.ctx.cancelled.set)
    timer.start()
    try:
        with pytest.raises(SpellError) as e:
            server_spell.call("LLM.complete", "hi")
    finally:
        timer.cancel()
    assert e.value.code == "cancelled"


def test_missing_key_is_authentication_and_not_retried(make_spell, llm_server, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY")
    s = make_spell({"api_base": {"openai": llm_server.url}})
    with pytest.raises(SpellError) as e:
        s.call("LLM.complete", "hi", opts={"model": "openai/gpt-4o-mini"})
    assert e.value.code == "authentication" and "no API key for openai" in e.value.message
    assert "Settings → Providers" in e.value.message and "OPENAI_API_KEY" in e.value.message  # how to fix it
    assert llm_server.chat_requests() == []


def test_content_parts_cannot_make_the_host_fetch_urls(make_spell, llm_server):
    from app.engines.base import Limits

    parts = [
        {"type": "text", "text": "what is this?"},
        {"type": "image_url", "image_url": {"url": "http://169.254.169.254/latest/meta-data"}},
    ]
    s = make_spell()
    for call in (
        lambda: s.call("LLM.chat", [{"role": "user", "content": parts}]),
        lambda: s.call("LLM.count_tokens", [{"role": "user", "content": parts}]),
    ):
        with pytest.raises(SpellError) as e:
            call()
        assert e.value.code == "permission_denied"
    with pytest.raises(SpellError) as e:
        s.call("LLM.chat", [{"role": "user", "content": [{"type": "file", "file": {"file_id": "x"}}]}])
    assert e.value.code == "invalid_argument"
    data_url = [
        {"type": "text", "text": "hi"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,AA=="}},
    ]
    assert s.call("LLM.chat", [{"role": "user", "content": data_url}])["content"] == "Echo: hi"
    allowed = make_spell(limits=Limits(allow_http=True, http_allow=("images.example.org",)))
    ok = [
        {"type": "text", "text": "hi"},
        {"type": "image_url", "image_url": {"url": "https://images.example.org/a.png"}},
    ]
    assert allowed.call("LLM.chat", [{"role": "user", "content": ok}])["content"] == "Echo: hi"


def test_llm_threads_get_their_own_event_loop():
    import asyncio
    import threading

    from app.bridges.litellm_support import ensure_thread_loop

    seen = []

    def work():
        ensure_thread_loop()
        ensure_thread_loop()
        loop = asyncio.get_event_loop()
        seen.append((loop, loop.is_closed()))

    t = threading.Thread(target=work)
    t.start()
    t.join()
    assert seen[0][1] is False  # litellm's sync hooks reuse it instead of asyncio.run per call


def test_count_tokens_never_downloads_a_tokenizer(spell):
    from app.bridges.litellm_support import get_litellm

    assert get_litellm().disable_hf_tokenizer_download is True  # llama models would fetch one from huggingface.co
    assert spell.call("LLM.count_tokens", "hello world", opts={"model": "groq/llama-3.1-8b-instant"}) > 0


@pytest.mark.parametrize(
    ("header", "expected"),
    [("2", 2.0), ("0.5", 0.5), ("-3", 0.0), ("soon", None), ("Wed, 21 Oct 2015 07:28:00", None)],
)
def test_retry_after_reads_seconds(header: str, expected: float | None) -> None:
    from app.bridges.litellm_support import retry_after

    err = Exception("limited")
    err.headers = {"retry-after": header}  # type: ignore[attr-defined]
    assert retry_after(err) == expected


def test_retry_after_reads_an_http_date() -> None:
    import datetime
    import email.utils

    from app.bridges.litellm_support import retry_after

    when = datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=30)
    err = Exception("limited")
    err.headers = {"Retry-After": email.utils.format_datetime(when, usegmt=True)}  # type: ignore[attr-defined]
    assert 27 <= (retry_after(err) or 0) <= 30
    err.headers = {"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}  # type: ignore[attr-defined]  # in the past
    assert retry_after(err) == 0.0
