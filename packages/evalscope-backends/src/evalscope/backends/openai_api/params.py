"""Translate evalscope's GenerationConfig into an OpenAI request body.

OpenAI's API has no `top_k`, `repetition_penalty` or `do_sample`. They are never sent raw:

* ``top_k`` and ``repetition_penalty`` go into ``extra_body`` (merged into the JSON body by the SDK);
  vLLM, SGLang, LMDeploy and ``evalscope serve`` accept them there. Real OpenAI rejects them, so
  leave them unset against api.openai.com.
* ``reasoning_effort`` is sent as the request's own field (OpenAI's reasoning models, and servers
  that follow them); ``chat_template_kwargs`` (``{enable_thinking: false}``) goes into
  ``extra_body``, where vLLM, SGLang and ``evalscope serve`` pass it to the chat template.
* ``do_sample=False`` becomes ``temperature=0`` when no temperature is set (greedy decoding);
  ``do_sample=True`` without a temperature leaves the server's default temperature.

A plain mapping (e.g. from a YAML ``generation_config``) goes through :func:`config_from_mapping`,
which accepts HF's ``max_new_tokens`` as ``max_tokens`` and rejects any key it does not know.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from evalscope.core.types import GenerationConfig

#: HF spellings that mean the same as one of our fields
_ALIASES = {"max_new_tokens": "max_tokens", "stop_sequences": "stop"}


def config_from_mapping(values: Mapping[str, Any]) -> GenerationConfig:
    """A GenerationConfig from a plain mapping; unknown keys raise ValueError naming them."""
    known = {f.name for f in attrs.fields(GenerationConfig)}
    kwargs: dict[str, Any] = {}
    unknown: list[str] = []
    for key, value in values.items():
        name = _ALIASES.get(key, key)
        if name in known:
            kwargs[name] = value
        else:
            unknown.append(key)
    if unknown:
        raise ValueError(
            f"generation config key(s) {', '.join(sorted(unknown))} are not supported by the OpenAI-compatible "
            f"adapter; supported: {', '.join(sorted(known))}"
        )
    if isinstance(kwargs.get("stop"), str):
        kwargs["stop"] = [kwargs["stop"]]
    return GenerationConfig(**kwargs)


def build_body(config: GenerationConfig, *, chat: bool) -> tuple[dict[str, Any], dict[str, Any]]:
    """(keyword arguments for the SDK's ``create``, ``extra_body``) for one request.

    `chat` selects chat-completions vocabulary (``logprobs`` bool + ``top_logprobs``) over legacy
    completions (``logprobs`` = number of alternatives).
    """
    body: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    if config.max_tokens is not None:
        body["max_tokens"] = int(config.max_tokens)
    temperature = config.temperature
    if temperature is None and config.do_sample is False:
        temperature = 0.0
    if temperature is not None:
        body["temperature"] = float(temperature)
    if config.top_p is not None:
        body["top_p"] = float(config.top_p)
    if config.seed is not None:
        body["seed"] = int(config.seed)
    if config.stop:
        body["stop"] = list(config.stop)
    if config.n is not None and config.n != 1:
        body["n"] = int(config.n)
    if config.presence_penalty is not None:
        body["presence_penalty"] = float(config.presence_penalty)
    if config.frequency_penalty is not None:
        body["frequency_penalty"] = float(config.frequency_penalty)
    if config.logprobs or config.top_logprobs:
        if chat:
            body["logprobs"] = True
            if config.top_logprobs:
                body["top_logprobs"] = int(config.top_logprobs)
        else:
            body["logprobs"] = int(config.top_logprobs or 1)
    if config.reasoning_effort is not None:
        body["reasoning_effort"] = config.reasoning_effort
    if config.chat_template_kwargs is not None:  # vLLM, SGLang and `evalscope serve` apply it
        extra["chat_template_kwargs"] = dict(config.chat_template_kwargs)
    if config.top_k is not None:
        extra["top_k"] = int(config.top_k)
    if config.repetition_penalty is not None:
        extra["repetition_penalty"] = float(config.repetition_penalty)
    return body, extra
