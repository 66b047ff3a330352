"""`OpenAIModelAPI`: generation through any OpenAI-compatible HTTP server (vLLM, `evalscope serve`...).

Concurrency, retries (with backoff and Retry-After), timeouts policy and caching come from core's
`Model` wrapper; this adapter sends one request per call, classifies failures for retrying and
measures latency and time to first token. The SDK's own retries are disabled (``max_retries=0``).

Requests go through the SDK's ``client.post`` with a ready JSON body (the SDK's documented route
for arbitrary endpoints) rather than ``chat.completions.create``: the body is ours anyway, and
skipping the SDK's typed-parameter transform cuts client CPU per request by about a quarter
(2.3 vs 3.0 ms non-streaming, 3.7 vs 5.0 ms streaming on this 2-core machine). Responses,
streams and errors are still the SDK's types.

``n > 1``: the server's choices are placed by their ``index`` into the output's ``texts`` (also
when streamed, where chunks of different choices interleave); a server that answers with other
indices than 0..n-1 gives an output with an ``error``; each completion's finish reason and
reasoning land in ``choices``.

Reasoning: ``message.reasoning_content`` / ``delta.reasoning_content`` (or ``reasoning``) is kept
in ``reasoning``, apart from the answer; ``usage.completion_tokens_details.reasoning_tokens`` in
``usage.reasoning_tokens``. A stop at ``max_tokens`` is the server's ``finish_reason`` "length"
(counted per subset in the report). The content itself is kept as the server sent it.

Timeouts: ``timeout`` (the run's setting, or a request's ``generation_config.timeout``) is the
client's limit on waiting for the server (for a stream: on the silence between chunks). When none
is set the OpenAI client's default applies (``DEFAULT_READ_TIMEOUT_S``, 600 s; 5 s to connect). A
request that hits it is not retried; see :mod:`evalscope.backends.openai_api.errors`.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Sequence
from typing import Any

import attrs
import openai
from openai._constants import DEFAULT_TIMEOUT as _SDK_DEFAULT_TIMEOUT
from openai.types import Completion
from openai.types.chat import ChatCompletion, ChatCompletionChunk

from evalscope.backends.openai_api.errors import (
    ServiceError,
    is_retryable_error,
    redact,
    retry_after_of,
    timeout_error,
    to_service_error,
)
from evalscope.backends.openai_api.params import build_body
from evalscope.backends.openai_api.tools import (
    PartialCall,
    add_deltas,
    finished_calls,
    message_calls,
    message_json,
    tool_fields,
)
from evalscope.core.ports import ModelAPI
from evalscope.core.types import (
    Feature,
    ModelChoice,
    ModelOutput,
    ModelRequest,
    RequestKind,
    TokenLogprob,
    ToolCall,
    Usage,
)

#: sent as the bearer token when no key is given (local servers ignore it; never the env's key)
PLACEHOLDER_KEY = "EMPTY"
#: the OpenAI client's own limits, which apply when no `timeout` is set
DEFAULT_READ_TIMEOUT_S: float | None = _SDK_DEFAULT_TIMEOUT.read
DEFAULT_CONNECT_TIMEOUT_S: float | None = _SDK_DEFAULT_TIMEOUT.connect


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
    #: chat completions take conversations, `n`, `tools` (the service's native tool calling: sent as
    #: OpenAI function tools, `tool_calls` read back, streamed deltas assembled; see `tools.py`) and
    #: give `reasoning_content`
    features = frozenset({Feature.TOOLS, Feature.MULTI_TURN, Feature.N_CHOICES, Feature.REASONING})
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
        batch_size: int = 1,
        seed: int | None = None,
        truncation: str = "error",
        chat_template: str | None = None,
        extra_body: dict[str, Any] | None = None,
        extra_headers: dict[str, str] | None = None,
    ) -> None:
        if not api_url:
            raise ValueError("OpenAIModelAPI needs api_url (e.g. http://127.0.0.1:8000/v1)")
        self._extra_body: dict[str, Any] = dict(extra_body or {})
        self._extra_headers: dict[str, str] = dict(extra_headers or {})
        super().__init__(model, model_args, batch_size=batch_size, seed=seed, truncation=truncation,
                         chat_template=chat_template, api_url=api_url, timeout=timeout, stream=bool(stream))
        self.base_url = base_url_of(api_url)
        self._api_key = Secret(api_key)
        #: model args `tokenizer_path` (a local HF tokenizer of the served model) and `context_length`
        #: let it count prompts in the model's tokens (`count_tokens`) and know its context
        self._tokenizer_path = self.model_args.get("tokenizer_path")
        self._tokenizer: Any = None
        self.counts_tokens = bool(self._tokenizer_path)
        #: model arg `n_choices: false`: a service that ignores `n` gets a request per repeat (own seed)
        if str(self.model_args.get("n_choices", True)).lower() in ("false", "0", "no"):
            self.features = self.features - {Feature.N_CHOICES}
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

    def count_tokens(self, prompts: Sequence[str | ModelRequest]) -> list[int] | None:
        """With a `tokenizer_path` model arg: prompts in that tokenizer's tokens, chat template
        included (the served model's template must be the tokenizer's); else None."""
        if not self._tokenizer_path:
            return None
        from evalscope.backends.tokens import count_prompts, load_tokenizer

        if self._tokenizer is None:
            self._tokenizer = load_tokenizer(str(self._tokenizer_path), self.chat_template)
        return count_prompts(self._tokenizer, prompts)

    def context_length(self) -> int | None:
        value = self.model_args.get("context_length")
        return int(value) if value is not None else None

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
            else:  # the SDK's default, spelled out so that errors can name what fired
                kwargs["timeout"] = type(_SDK_DEFAULT_TIMEOUT)(
                    DEFAULT_READ_TIMEOUT_S, connect=DEFAULT_CONNECT_TIMEOUT_S
                )
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
        payload: dict[str, Any] = {"model": self.model_name}
        if chat:
            payload["messages"] = [message_json(m) for m in request.messages or []]
            payload.update(tool_fields(request))
        else:
            payload["prompt"] = request.prompt
        payload.update(body)
        payload.update(self._extra_body)
        payload.update(extra)
        stream = self.stream if request.config.stream is None else bool(request.config.stream)
        options: dict[str, Any] = {}
        if request.config.timeout is not None:
            options["timeout"] = float(request.config.timeout)
        if self._extra_headers:
            options["headers"] = dict(self._extra_headers)
        client = self._get_client()
        n = max(1, int(request.config.n or 1))
        try:
            if stream:
                return await self._streamed(client, payload, options, chat=chat, n=n)
            return await self._whole(client, payload, options, chat=chat, n=n)
        except openai.APITimeoutError as error:
            raise self._timeout(request, error, streaming=stream) from None
        except openai.OpenAIError as error:
            raise to_service_error(error, self._api_key.get()) from None
        except TimeoutError as error:  # raised outside the SDK's wrapping
            raise self._timeout(request, error, streaming=stream) from None
        except ConnectionError as error:
            raise ServiceError(
                redact(f"{type(error).__name__}: {error}", self._api_key.get()),
                status=None,
                retryable=True,
                retry_after=None,
            ) from None
        except json.JSONDecodeError as error:  # a garbled answer (a proxy's page, a cut body): try again
            raise ServiceError(
                f"the server's answer is not valid JSON ({error.msg} at character {error.pos})",
                status=None,
                retryable=True,
                retry_after=None,
            ) from None

    def _timeout(self, request: ModelRequest, error: BaseException, *, streaming: bool) -> ServiceError:
        """The error for a request that hit the client timeout: which limit, set where."""
        if request.config.timeout is not None:
            seconds, source = float(request.config.timeout), "request"
        elif self.timeout is not None:
            seconds, source = float(self.timeout), "setting"
        else:
            seconds, source = DEFAULT_READ_TIMEOUT_S, "default"  # type: ignore[assignment]  # the SDK's default read timeout is set (600 s)
        connect = seconds if source != "default" else DEFAULT_CONNECT_TIMEOUT_S
        return timeout_error(
            error,
            url=redact(self.base_url, self._api_key.get()),
            seconds=seconds,
            connect_seconds=connect,
            source=source,
            streaming=streaming,
        )

    async def _whole(
        self, client: openai.AsyncOpenAI, payload: dict[str, Any], options: Any, *, chat: bool, n: int
    ) -> ModelOutput:
        start = time.perf_counter()
        path, result_type = ("/chat/completions", ChatCompletion) if chat else ("/completions", Completion)
        response: Any = await client.post(path, cast_to=result_type, body=payload, options=options)
        latency = time.perf_counter() - start
        out = ModelOutput(latency=latency, model=getattr(response, "model", None))
        out.usage = _usage_of(getattr(response, "usage", None))
        completions: dict[int, _Completion] = {}
        for position, choice in enumerate(response.choices or []):
            index = choice.index if isinstance(choice.index, int) else position
            if index in completions:
                out.error = f"the server answered with choice index {index} twice"
                return out
            done = completions.setdefault(index, _Completion())
            done.finish_reason = choice.finish_reason
            if chat:
                message = choice.message
                done.texts.append(message.content or "")
                done.tool_calls = message_calls(message)
                thought = _reasoning_of(message)
                if thought:
                    done.reasoning.append(thought)
                done.logprobs.extend(_chat_logprobs(choice.logprobs) or [])
            else:
                done.texts.append(choice.text or "")
                done.logprobs.extend(_completion_logprobs(choice.logprobs) or [])
        if not completions:  # nothing to score: never an empty answer scored as wrong
            raise ServiceError("the server answered with an empty `choices` list", status=None, retryable=True, retry_after=None)
        return _fill(out, completions, n)

    async def _streamed(
        self, client: openai.AsyncOpenAI, payload: dict[str, Any], options: Any, *, chat: bool, n: int
    ) -> ModelOutput:
        start = time.perf_counter()
        path, result_type, chunk_type = (
            ("/chat/completions", ChatCompletion, ChatCompletionChunk)
            if chat
            else ("/completions", Completion, Completion)
        )
        payload = {**payload, "stream": True, "stream_options": {"include_usage": True}}
        stream: Any = await client.post(
            path,
            cast_to=result_type,
            body=payload,
            options=options,
            stream=True,
            stream_cls=openai.AsyncStream[chunk_type],  # type: ignore[valid-type]  # the chunk class is picked at run time
        )
        completions: dict[int, _Completion] = {}
        out = ModelOutput()
        try:
            async for chunk in stream:
                if out.model is None:
                    out.model = getattr(chunk, "model", None)
                if getattr(chunk, "usage", None) is not None:
                    out.usage = _usage_of(chunk.usage)
                # each chunk's choices carry their own index: pieces of different completions interleave
                for choice in chunk.choices or []:
                    index = choice.index if isinstance(choice.index, int) else 0
                    done = completions.setdefault(index, _Completion())
                    if chat:
                        delta = choice.delta
                        piece = (delta.content or "") if delta is not None else ""
                        thought = _reasoning_of(delta) if delta is not None else None
                        if delta is not None and getattr(delta, "tool_calls", None):
                            add_deltas(done.partial_calls, delta.tool_calls)
                            if out.ttft is None:
                                out.ttft = time.perf_counter() - start
                        done.logprobs.extend(_chat_logprobs(choice.logprobs) or [])
                    else:
                        piece, thought = choice.text or "", None
                        done.logprobs.extend(_completion_logprobs(choice.logprobs) or [])
                    if (piece or thought) and out.ttft is None:
                        out.ttft = time.perf_counter() - start
                    if piece:
                        done.texts.append(piece)
                    if thought:
                        done.reasoning.append(thought)
                    if choice.finish_reason:
                        done.finish_reason = choice.finish_reason
        finally:
            await stream.close()
        out.latency = time.perf_counter() - start
        if not completions:
            raise ServiceError("the server's stream held no choices", status=None, retryable=True, retry_after=None)
        if all(done.finish_reason is None for done in completions.values()):
            # every OpenAI-compatible server ends a choice with its finish_reason: the stream was cut
            raise ServiceError(
                "the stream ended before the answer was finished (no finish_reason)", status=None, retryable=True, retry_after=None
            )
        return _fill(out, completions, n)


@attrs.define
class _Completion:
    """One choice of a response as it is read (pieces of text when streamed)."""

    texts: list[str] = attrs.field(factory=list)
    reasoning: list[str] = attrs.field(factory=list)
    logprobs: list[TokenLogprob] = attrs.field(factory=list)
    finish_reason: str | None = None
    #: tool calls of a whole answer, or a stream's calls as their deltas arrive (by index)
    tool_calls: list[ToolCall] | None = None
    partial_calls: dict[int, PartialCall] = attrs.field(factory=dict)

    def calls(self) -> list[ToolCall] | None:
        return self.tool_calls if self.tool_calls is not None else finished_calls(self.partial_calls)


def _fill(out: ModelOutput, completions: dict[int, _Completion], n: int) -> ModelOutput:
    """Put the choices into `out` by their index: `text` etc. from choice 0, `texts` for n > 1.

    With n > 1 every index 0..n-1 must be there exactly (pass@k counts them); otherwise the output
    carries an `error` saying what came back.
    """
    if n > 1 and sorted(completions) != list(range(n)):
        out.error = (
            f"asked for n={n} completions, but the server answered with choice indices "
            f"{sorted(completions)} (does it support `n`?)"
        )
        return out
    first = completions.get(0)
    if first is None:
        if completions:  # one choice with an unexpected index: it is still the answer
            first = completions[min(completions)]
        else:
            return out
    out.text = "".join(first.texts)
    out.reasoning = "".join(first.reasoning) or None
    out.logprobs = first.logprobs or None
    out.finish_reason = first.finish_reason
    out.tool_calls = first.calls()
    if n > 1:
        out.texts = ["".join(completions[i].texts) for i in range(n)]
        out.choices = [
            ModelChoice("".join(c.texts), c.finish_reason, c.calls(), reasoning="".join(c.reasoning) or None)
            for c in (completions[i] for i in range(n))
        ]
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
    details = getattr(usage, "completion_tokens_details", None)
    return Usage(
        input_tokens=int(usage.prompt_tokens or 0),
        output_tokens=int(usage.completion_tokens or 0),
        reasoning_tokens=int(getattr(details, "reasoning_tokens", None) or 0),
    )


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
