"""The ``offline/...`` models: a litellm custom provider answering by the rules of :mod:`offline_rules`.

Registered through ``litellm.custom_provider_map`` by :func:`register` (called from
:func:`app.bridges.litellm_support.get_litellm`), so offline calls take litellm's real path: ``completion``,
streaming, tool calls, structured output and embeddings. Any ``offline/<name>`` works; the listed ones are
documented and have model-map entries (free, 32k context, tools and JSON schema supported).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import Any

from app.bridges import offline_rules

log = logging.getLogger(__name__)

PROVIDER = "offline"
DEFAULT_MODEL = "offline/echo"
EMBEDDING_MODEL = "offline/embed"
MODELS = {
    DEFAULT_MODEL: "chat",
    EMBEDDING_MODEL: "embedding",
}


def _model_name(model: str) -> str:
    return model if model.startswith(PROVIDER + "/") else f"{PROVIDER}/{model}"


def _params(optional_params: dict[str, Any]) -> dict[str, Any]:
    return dict(optional_params or {})


def _clean_messages(messages: list[Any]) -> list[dict[str, Any]]:
    out = []
    for m in messages:
        out.append(m if isinstance(m, dict) else dict(m))
    return out


def register(litellm: Any) -> None:
    """Register the offline provider and its models with an imported litellm."""
    from litellm import CustomLLM  # noqa: PLC0415 - litellm is already imported by the caller
    from litellm.types.utils import EmbeddingResponse, ModelResponse  # noqa: PLC0415

    class OfflineLLM(CustomLLM):
        """Deterministic local answers (see app/bridges/offline_rules.py)."""

        def completion(
            self,
            model: str,
            messages: list,
            api_base: str,
            custom_prompt_dict: dict,
            model_response: Any,
            print_verbose: Any,
            encoding: Any,
            api_key: Any,
            logging_obj: Any,
            optional_params: dict,
            *args: Any,
            **kwargs: Any,
        ) -> Any:
            answer = offline_rules.reply(model, _clean_messages(messages), _params(optional_params))
            message: dict[str, Any] = {"role": "assistant", "content": answer["content"]}
            if answer["tool_calls"]:
                message["tool_calls"] = answer["tool_calls"]
            return ModelResponse(
                model=_model_name(model),
                created=int(time.time()),
                choices=[{"index": 0, "message": message, "finish_reason": answer["finish_reason"]}],
                usage=answer["usage"],
            )

        def streaming(  # type: ignore[override]
            self,
            model: str,
            messages: list,
            api_base: str,
            custom_prompt_dict: dict,
            model_response: Any,
            print_verbose: Any,
            encoding: Any,
            api_key: Any,
            logging_obj: Any,
            optional_params: dict,
            *args: Any,
            **kwargs: Any,
        ) -> Iterator[dict[str, Any]]:
            answer = offline_rules.reply(model, _clean_messages(messages), _params(optional_params))
            pieces = offline_rules.stream_pieces(answer["content"] or "")
            for piece in pieces:
                yield {
                    "text": piece,
                    "is_finished": False,
                    "finish_reason": "",
                    "usage": None,
                    "index": 0,
                    "tool_use": None,
                }
            for i, call in enumerate(answer["tool_calls"]):
                yield {
                    "text": "",
                    "is_finished": False,
                    "finish_reason": "",
                    "usage": None,
                    "index": 0,
                    "tool_use": {
                        "id": call["id"],
                        "type": "function",
                        "index": i,
                        "function": {"name": call["function"]["name"], "arguments": call["function"]["arguments"]},
                    },
                }
            yield {
                "text": "",
                "is_finished": True,
                "finish_reason": answer["finish_reason"],
                "index": 0,
                "usage": answer["usage"],
                "tool_use": None,
            }

        async def acompletion(self, *args: Any, **kwargs: Any) -> Any:
            return self.completion(*args, **kwargs)

        def embedding(
            self,
            model: str,
            input: list,
            model_response: Any,
            print_verbose: Any,
            logging_obj: Any,
            optional_params: dict,
            *args: Any,
            **kwargs: Any,
        ) -> Any:
            texts = [input] if isinstance(input, str) else list(input)
            data = [
                {"object": "embedding", "index": i, "embedding": offline_rules.embedding(str(t))}
                for i, t in enumerate(texts)
            ]
            tokens = sum(offline_rules.count_tokens(str(t)) for t in texts)
            return EmbeddingResponse(
                model=_model_name(model),
                data=data,
                usage={"prompt_tokens": tokens, "total_tokens": tokens},  # type: ignore[arg-type]
            )

    handler = OfflineLLM()
    others = [p for p in (litellm.custom_provider_map or []) if p.get("provider") != PROVIDER]
    litellm.custom_provider_map = others + [{"provider": PROVIDER, "custom_handler": handler}]
    from litellm.utils import custom_llm_setup  # noqa: PLC0415

    custom_llm_setup()
    entries = {}
    for name, mode in MODELS.items():
        entries[name] = {
            "max_input_tokens": 32768,
            "max_output_tokens": 4096,
            "max_tokens": 4096,
            "input_cost_per_token": 0.0,
            "output_cost_per_token": 0.0,
            "litellm_provider": PROVIDER,
            "mode": mode,
            "supports_function_calling": mode == "chat",
            "supports_response_schema": mode == "chat",
            "supports_system_messages": True,
        }
    _quiet_register(litellm, entries)
    log.debug("offline provider registered")


def _quiet_register(litellm: Any, entries: dict[str, Any]) -> None:
    level = logging.getLogger("LiteLLM").level
    logging.getLogger("LiteLLM").setLevel(logging.ERROR)
    try:
        litellm.register_model(entries)
    finally:
        logging.getLogger("LiteLLM").setLevel(level)
