"""`OpenAIModelAPI`: generation through any OpenAI-compatible HTTP server (vLLM, `evalscope serve`...).

Concurrency, retries (with backoff and Retry-After), timeouts policy and caching come from core's
`Model` wrapper; this adapter sends one request per call, classifies failures for retrying and
measures latency and time to first token. The SDK's own retries are disabled (``max_retries=0``).

Transport: by default core's stdlib HTTP/1.1 client (:mod:`evalscope.backends.openai_api.lean`,
about 0.15 ms of client CPU per request against the SDK's ~2 ms): the JSON body is ours, the
answer is read with ``json.loads`` into plain dicts. The lean client does not speak to HTTP
proxies, so the OpenAI SDK (``client.post`` with the same body, answers as plain dicts too) is
used when a proxy from the environment (``HTTP(S)_PROXY``/``ALL_PROXY``, minus ``NO_PROXY``)
applies to the URL, or when the model arg ``http_client: openai`` asks for it. Both share the
body building (`params.py`, `tools.py`) and the output filling (`output.py`).

``n > 1``: the server's choices are placed by their ``index`` into the output's ``texts`` (also
when streamed, where chunks of different choices interleave); a server that answers with other
indices than 0..n-1 gives an output with an ``error``; each completion's finish reason and
reasoning land in ``choices``.

Reasoning: ``message.reasoning_content`` / ``delta.reasoning_content`` (or ``reasoning``) is kept
in ``reasoning``, apart from the answer; ``usage.completion_tokens_details.reasoning_tokens`` in
``usage.reasoning_tokens``. A stop at ``max_tokens`` is the server's ``finish_reason`` "length"
(counted per subset in the report). The content itself is kept as the server sent it.

Timeouts: ``timeout`` (the run's setting, or a request's ``generation_config.timeout``) is the
client's limit on waiting for the server (a whole answer: for all of it; a stream: the silence
between chunks) and on connecting. When none is set the OpenAI client's default applies
(``DEFAULT_READ_TIMEOUT_S``, 600 s; ``DEFAULT_CONNECT_TIMEOUT_S``, 5 s to connect). A request that
hits the read limit is not retried, one that could not connect is; see
:mod:`evalscope.backends.openai_api.errors`.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from evalscope.backends.openai_api.errors import (
    ServiceError,
    is_retryable_error,
    redact,
    retry_after_of,
    timeout_error,
    to_service_error,
)
from evalscope.backends.openai_api.lean import LeanClient, StreamReader, check_status, proxy_for
from evalscope.backends.openai_api.output import StreamFold, whole_output
from evalscope.backends.openai_api.params import build_body
from evalscope.backends.openai_api.tools import message_json, tool_fields
from evalscope.core.net.http import ConnectError, ConnectTimeout, HttpError, ReadTimeout
from evalscope.core.ports import ModelAPI
from evalscope.core.types import Feature, ModelOutput, ModelRequest, RequestKind

if TYPE_CHECKING:  # the SDK is imported only when its path is taken (its import costs ~0.8 s)
    import openai

#: sent as the bearer token when no key is given (local servers ignore it; never the env's key)
PLACEHOLDER_KEY = "EMPTY"
#: the OpenAI client's own limits (`openai._constants.DEFAULT_TIMEOUT`), which apply when no
#: `timeout` is set, with either transport
DEFAULT_READ_TIMEOUT_S: float | None = 600.0
DEFAULT_CONNECT_TIMEOUT_S: float | None = 5.0
#: the transport when the model arg `http_client` is not given
DEFAULT_HTTP_CLIENT = "auto"


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
        super().__init__(
            model,
            model_args,
            batch_size=batch_size,
            seed=seed,
            truncation=truncation,
            chat_template=chat_template,
            api_url=api_url,
            timeout=timeout,
            stream=bool(stream),
        )
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
        #: model arg `http_client`: "auto" (default: lean, the SDK when a proxy applies), "lean", "openai"
        choice = str(self.model_args.get("http_client") or DEFAULT_HTTP_CLIENT).lower()
        if choice not in ("auto", "lean", "openai"):
            raise ValueError(f"model arg http_client must be 'auto', 'lean' or 'openai', not {choice!r}")
        if choice == "auto":
            choice = "openai" if proxy_for(self.base_url) else "lean"
        self.http_client = choice
        self._lean: LeanClient | None = None

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
        import openai

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
                kwargs["timeout"] = openai.Timeout(DEFAULT_READ_TIMEOUT_S, connect=DEFAULT_CONNECT_TIMEOUT_S)
            self._client = openai.AsyncOpenAI(**kwargs)
            self._client_loop = loop
        return self._client

    def _get_lean(self) -> LeanClient:
        if self._lean is None:
            connect = float(self.timeout) if self.timeout is not None else DEFAULT_CONNECT_TIMEOUT_S
            key = self._api_key.get() or PLACEHOLDER_KEY
            self._lean = LeanClient(self.base_url, key, self._extra_headers, connect)
        return self._lean

    def _read_timeout(self, request: ModelRequest) -> float | None:
        if request.config.timeout is not None:
            return float(request.config.timeout)
        return float(self.timeout) if self.timeout is not None else DEFAULT_READ_TIMEOUT_S

    async def aclose(self) -> None:
        if self._lean is not None:
            self._lean.close()
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
        n = max(1, int(request.config.n or 1))
        if self.http_client == "lean":
            return await self._lean_call(request, payload, chat=chat, stream=stream, n=n)
        options: dict[str, Any] = {}
        if request.config.timeout is not None:
            options["timeout"] = float(request.config.timeout)
        if self._extra_headers:
            options["headers"] = dict(self._extra_headers)
        import openai

        client = self._get_client()
        try:
            if stream:
                return await self._sdk_streamed(client, payload, options, chat=chat, n=n)
            return await self._sdk_whole(client, payload, options, chat=chat, n=n)
        except openai.APITimeoutError as error:
            raise self._timeout(request, error, streaming=stream) from None
        except openai.OpenAIError as error:
            raise to_service_error(error, self._api_key.get()) from None
        except TimeoutError as error:  # raised outside the SDK's wrapping
            raise self._timeout(request, error, streaming=stream) from None
        except ConnectionError as error:
            raise self._connection_error(error) from None
        except json.JSONDecodeError as error:
            raise _garbled(error) from None

    async def _lean_call(
        self, request: ModelRequest, payload: dict[str, Any], *, chat: bool, stream: bool, n: int
    ) -> ModelOutput:
        lean = self._get_lean()
        path = _endpoint(chat)
        timeout = self._read_timeout(request)
        start = time.perf_counter()
        try:
            if not stream:
                response = await lean.post(path, payload, timeout=timeout)
                check_status(response, self._api_key.get())
                data = json.loads(b"".join(response.body))
                return whole_output(data, chat=chat, n=n, latency=time.perf_counter() - start)
            fold = StreamFold(chat=chat, start=start)
            reader = StreamReader(fold.add)
            response = await lean.post(path, _streaming(payload), timeout=timeout, on_body=reader)
            check_status(response, self._api_key.get())
            reader.done()
            return fold.finish(n, time.perf_counter() - start)
        except ConnectTimeout as error:
            raise self._timeout(request, error, streaming=stream, before_sending=True) from None
        except ReadTimeout as error:
            raise self._timeout(request, error, streaming=stream) from None
        except (ConnectError, HttpError) as error:  # refused, reset, cut: the SDK's APIConnectionError
            raise self._connection_error(error) from None
        except json.JSONDecodeError as error:
            raise _garbled(error) from None

    def _connection_error(self, error: BaseException) -> ServiceError:
        return ServiceError(
            redact(f"{type(error).__name__}: {error}", self._api_key.get()),
            status=None,
            retryable=True,
            retry_after=None,
        )

    def _timeout(
        self,
        request: ModelRequest,
        error: BaseException,
        *,
        streaming: bool,
        before_sending: bool | None = None,
    ) -> ServiceError:
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
            before_sending=before_sending,
        )

    async def _sdk_whole(
        self, client: openai.AsyncOpenAI, payload: dict[str, Any], options: Any, *, chat: bool, n: int
    ) -> ModelOutput:
        start = time.perf_counter()
        path = _endpoint(chat)
        data: Any = await client.post(path, cast_to=object, body=payload, options=options)  # plain JSON
        return whole_output(data, chat=chat, n=n, latency=time.perf_counter() - start)

    async def _sdk_streamed(
        self, client: openai.AsyncOpenAI, payload: dict[str, Any], options: Any, *, chat: bool, n: int
    ) -> ModelOutput:
        import openai

        start = time.perf_counter()
        path = _endpoint(chat)
        stream: Any = await client.post(
            path,
            cast_to=object,
            body=_streaming(payload),
            options=options,
            stream=True,
            stream_cls=openai.AsyncStream[object],
        )
        fold = StreamFold(chat=chat, start=start)
        try:
            async for chunk in stream:  # plain dicts (cast to `object`)
                fold.add(chunk, time.perf_counter())
        finally:
            await stream.close()
        return fold.finish(n, time.perf_counter() - start)


def _endpoint(chat: bool) -> str:
    """Messages go to chat completions, a raw prompt to completions."""
    return "/chat/completions" if chat else "/completions"


def _streaming(payload: dict[str, Any]) -> dict[str, Any]:
    """`payload` asking for a stream whose last chunk carries the usage."""
    return {**payload, "stream": True, "stream_options": {"include_usage": True}}


def _garbled(error: json.JSONDecodeError) -> ServiceError:
    """A garbled answer (a proxy's page, a cut body): try again."""
    return ServiceError(
        f"the server's answer is not valid JSON ({error.msg} at character {error.pos})",
        status=None,
        retryable=True,
        retry_after=None,
    )
