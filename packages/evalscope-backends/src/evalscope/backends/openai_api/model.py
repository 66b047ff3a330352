"""`OpenAIModelAPI`: generation through any OpenAI-compatible HTTP server (vLLM, `evalscope serve`...).

Concurrency, retries (with backoff and Retry-After), timeouts policy and caching come from core's
`Model` wrapper; this adapter sends one request per call, classifies failures for retrying and
measures latency and time to first token. The SDK's own retries are disabled (``max_retries=0``).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from typing import Any

import openai

from evalscope.backends.openai_api.errors import (
    ServiceError,
    is_retryable_error,
    redact,
    retry_after_of,
    to_service_error,
)
from evalscope.backends.openai_api.params import build_body
from evalscope.core.ports import ModelAPI
from evalscope.core.types import ModelOutput, ModelRequest, RequestKind, TokenLogprob, Usage

#: sent as the bearer token when no key is given (local servers ignore it; never the env's key)
PLACEHOLDER_KEY = "EMPTY"


class Secret:
    """A string that prints as *** (so dumps of the adapter's attributes never show the key)."""

    __slots__ = ("_value",)

    def __init__(self, value: str | None) -> None:
        self._value = value or None

    def get(self) -> str | None:
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __repr__(self) -> str:
        return "***" if self._value else "None"

    __str__ = __repr__

    def __copy__(self) -> Secret:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Secret:
        return self

    def __reduce__(self) -> Any:  # never pickle the key
        raise TypeError("Secret values cannot be pickled")


def base_url_of(api_url: str) -> str:
    """The SDK's base URL: `api_url` without a trailing ``/chat/completions`` or ``/completions``."""
    url = api_url.strip().rstrip("/")
    for suffix in ("/chat/completions", "/completions"):
        if url.endswith(suffix):
            url = url[: -len(suffix)]
            break
    return url


class OpenAIModelAPI(ModelAPI):
    """An OpenAI-compatible chat/completions endpoint.

    ``request.messages`` go to ``/chat/completions``; a raw ``request.prompt`` goes to
    ``/completions``. See :mod:`evalscope.backends.openai_api.params` for how generation settings
    are translated (``top_k``/``repetition_penalty`` travel in ``extra_body``).
    """

    capabilities = frozenset({RequestKind.GENERATE})
    max_batch_size = 1

    def __init__(
        self,
        model: str,
        model_args: dict[str, Any] | None = None,
        *,
        api_url: str,
        api_key: str | None = None,
        timeout: float | None = None,
        stream: bool = False,
        **options: Any,
    ) -> None:
        if not api_url:
            raise ValueError("OpenAIModelAPI needs api_url (e.g. http://127.0.0.1:8000/v1)")
        self._extra_body: dict[str, Any] = dict(options.pop("extra_body", None) or {})
        self._extra_headers: dict[str, str] = dict(options.pop("extra_headers", None) or {})
        super().__init__(model, model_args, **options)
        self.api_url = api_url
        self.base_url = base_url_of(api_url)
        self.timeout = timeout
        self.stream = bool(stream)
        self._api_key = Secret(api_key)
        self._client: openai.AsyncOpenAI | None = None
        self._client_loop: asyncio.AbstractEventLoop | None = None

    # ---- identity & policy hooks -------------------------------------------------------------

    def __repr__(self) -> str:
        return (
            f"OpenAIModelAPI(model={self.model_name!r}, api_url={self.base_url!r}, api_key={self._api_key!r})"
        )

    __str__ = __repr__

    def identity(self) -> dict[str, Any]:
        return {"provider": "openai", "model": self.model_name, "api_url": self.base_url}

    def is_retryable(self, error: BaseException) -> bool:
        return is_retryable_error(error)

    def retry_after(self, error: BaseException) -> float | None:
        return retry_after_of(error)

    # ---- client --------------------------------------------------------------------------------

    def _get_client(self) -> openai.AsyncOpenAI:
        loop = asyncio.get_running_loop()
        if self._client is None or self._client_loop is not loop:
            kwargs: dict[str, Any] = {
                "api_key": self._api_key.get() or PLACEHOLDER_KEY,
                "base_url": self.base_url,
                "max_retries": 0,
            }
            if self.timeout is not None:
                kwargs["timeout"] = float(self.timeout)
            self._client = openai.AsyncOpenAI(**kwargs)
            self._client_loop = loop
        return self._client

    async def aclose(self) -> None:
        client, self._client, self._client_loop = self._client, None, None
        if client is not None:
            try:
                await client.close()
            except RuntimeError:  # created on an event loop that is gone
                pass

    # ---- calls ---------------------------------------------------------------------------------

    async def call(self, requests: Sequence[ModelRequest]) -> list[ModelOutput]:
        return list(await asyncio.gather(*(self._one(r) for r in requests)))

    async def _one(self, request: ModelRequest) -> ModelOutput:
        if request.kind is not RequestKind.GENERATE:
            raise NotImplementedError(
                f"OpenAIModelAPI answers only generate requests, not {request.kind.value}"
            )
        chat = bool(request.messages)
        if not chat and request.prompt is None:
            raise ValueError("a generate request needs messages or a prompt")
        body, extra = build_body(request.config, chat=chat)
        extra = {**self._extra_body, **extra}
        stream = self.stream if request.config.stream is None else bool(request.config.stream)
        call_kwargs: dict[str, Any] = {"model": self.model_name, **body}
        if extra:
            call_kwargs["extra_body"] = extra
        if self._extra_headers:
            call_kwargs["extra_headers"] = self._extra_headers
        if request.config.timeout is not None:
            call_kwargs["timeout"] = float(request.config.timeout)
        if chat:
            call_kwargs["messages"] = [{"role": m.role, "content": m.content} for m in request.messages or []]
        else:
            call_kwargs["prompt"] = request.prompt
        client = self._get_client()
        endpoint = client.chat.completions if chat else client.completions
        try:
            if stream:
                return await self._streamed(endpoint, call_kwargs, chat=chat)
            return await self._whole(endpoint, call_kwargs, chat=chat)
        except openai.OpenAIError as error:
            raise to_service_error(error, self._api_key.get()) from None
        except (TimeoutError, ConnectionError) as error:  # raised outside the SDK's wrapping
            raise ServiceError(
                redact(f"{type(error).__name__}: {error}", self._api_key.get()),
                status=None,
                retryable=True,
                retry_after=None,
            ) from None

    async def _whole(self, endpoint: Any, kwargs: dict[str, Any], *, chat: bool) -> ModelOutput:
        start = time.perf_counter()
        response = await endpoint.create(**kwargs)
        latency = time.perf_counter() - start
        out = ModelOutput(latency=latency, model=getattr(response, "model", None))
        if response.choices:
            choice = response.choices[0]
            out.finish_reason = choice.finish_reason
            if chat:
                message = choice.message
                out.text = message.content or ""
                out.reasoning = _reasoning_of(message)
                out.logprobs = _chat_logprobs(choice.logprobs)
            else:
                out.text = choice.text or ""
                out.logprobs = _completion_logprobs(choice.logprobs)
        out.usage = _usage_of(getattr(response, "usage", None))
        return out

    async def _streamed(self, endpoint: Any, kwargs: dict[str, Any], *, chat: bool) -> ModelOutput:
        start = time.perf_counter()
        stream = await endpoint.create(**kwargs, stream=True, stream_options={"include_usage": True})
        texts: list[str] = []
        reasoning: list[str] = []
        logprobs: list[TokenLogprob] = []
        out = ModelOutput()
        try:
            async for chunk in stream:
                if out.model is None:
                    out.model = getattr(chunk, "model", None)
                if getattr(chunk, "usage", None) is not None:
                    out.usage = _usage_of(chunk.usage)
                if not chunk.choices:
                    continue
                choice = chunk.choices[0]
                if chat:
                    delta = choice.delta
                    piece = (delta.content or "") if delta is not None else ""
                    thought = _reasoning_of(delta) if delta is not None else None
                    logprobs.extend(_chat_logprobs(choice.logprobs) or [])
                else:
                    piece, thought = choice.text or "", None
                    logprobs.extend(_completion_logprobs(choice.logprobs) or [])
                if (piece or thought) and out.ttft is None:
                    out.ttft = time.perf_counter() - start
                if piece:
                    texts.append(piece)
                if thought:
                    reasoning.append(thought)
                if choice.finish_reason:
                    out.finish_reason = choice.finish_reason
        finally:
            await stream.close()
        out.latency = time.perf_counter() - start
        out.text = "".join(texts)
        out.reasoning = "".join(reasoning) or None
        out.logprobs = logprobs or None
        return out


def _reasoning_of(message: Any) -> str | None:
    """vLLM/DeepSeek send ``reasoning_content``; some servers say ``reasoning``."""
    for name in ("reasoning_content", "reasoning"):
        value = getattr(message, name, None)
        if isinstance(value, str) and value:
            return value
    return None


def _usage_of(usage: Any) -> Usage:
    if usage is None:
        return Usage()
    return Usage(input_tokens=int(usage.prompt_tokens or 0), output_tokens=int(usage.completion_tokens or 0))


def _chat_logprobs(logprobs: Any) -> list[TokenLogprob] | None:
    content = getattr(logprobs, "content", None)
    if not content:
        return None
    return [TokenLogprob(token=item.token, logprob=float(item.logprob)) for item in content]


def _completion_logprobs(logprobs: Any) -> list[TokenLogprob] | None:
    tokens = getattr(logprobs, "tokens", None)
    values = getattr(logprobs, "token_logprobs", None)
    if not tokens or values is None:
        return None
    return [
        TokenLogprob(token=t, logprob=float(v)) for t, v in zip(tokens, values, strict=False) if v is not None
    ]
