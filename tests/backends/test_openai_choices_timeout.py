"""OpenAIModelAPI: n > 1 choices placed by index, and client timeouts that are named and not retried.

Real loopback HTTP servers (aiohttp on 127.0.0.1): one answers several choices out of index
order (whole and streamed with interleaved chunks), one stays silent longer than the timeout.
Fast: no model is loaded.
"""

from __future__ import annotations

import asyncio
import json

import pytest
from aiohttp import web

import evalscope.backends.openai_api.model as openai_model
from evalscope.backends.openai_api.errors import ServiceTimeout, is_retryable_error
from evalscope.backends.openai_api.model import OpenAIModelAPI
from evalscope.core.model import Model, RetryPolicy
from evalscope.core.types import ChatMessage, GenerationConfig, ModelRequest, RequestKind

try:
    from .serve_fixture import local_app
except ImportError:  # tests/backends is not a package
    from serve_fixture import local_app

#: every test runs over both transports (core's lean client, the OpenAI SDK)
pytestmark = pytest.mark.usefixtures("http_client")

#: the pieces of each choice, by index; the server sends them out of index order
PIECES = {0: ["alpha ", "one"], 1: ["beta ", "two"], 2: ["gamma ", "three"]}


def chat(**config) -> ModelRequest:
    return ModelRequest(
        RequestKind.GENERATE, messages=[ChatMessage("user", "hi")], config=GenerationConfig(**config)
    )


def completion(**config) -> ModelRequest:
    return ModelRequest(RequestKind.GENERATE, prompt="hi", config=GenerationConfig(**config))


class ChoicesServer:
    """Answers `n` choices (as many as the body asks, up to 3) in the order 2, 0, 1."""

    def __init__(self) -> None:
        self.bodies: list[dict] = []

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self.handle)
        app.router.add_post("/v1/completions", self.handle)
        return app

    async def handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.bodies.append(body)
        chat = request.path.endswith("/chat/completions")
        n = 1 if body["model"] == "ignores-n" else body.get("n", 1)
        order = [i for i in (2, 0, 1) if i < n]
        if not body.get("stream"):
            choices = []
            for i in order:
                text = "".join(PIECES[i])
                if chat:
                    message = {"role": "assistant", "content": text}
                    choices.append(
                        {"index": i, "message": message, "finish_reason": "length" if i else "stop"}
                    )
                else:
                    choices.append({"index": i, "text": text, "finish_reason": "length" if i else "stop"})
            usage = {"prompt_tokens": 2, "completion_tokens": 2 * n, "total_tokens": 2 + 2 * n}
            kind = "chat.completion" if chat else "text_completion"
            return web.json_response(
                {
                    "id": "x",
                    "object": kind,
                    "created": 0,
                    "model": body["model"],
                    "choices": choices,
                    "usage": usage,
                }
            )
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await resp.prepare(request)
        kind = "chat.completion.chunk" if chat else "text_completion"
        base = {"id": "x", "object": kind, "created": 0, "model": body["model"]}

        def choice(i: int, text: str | None, finish: str | None = None) -> dict:
            if chat:
                return {
                    "index": i,
                    "delta": {} if text is None else {"content": text},
                    "finish_reason": finish,
                }
            return {"index": i, "text": text or "", "finish_reason": finish}

        async def send(choices: list[dict], **extra) -> None:
            await resp.write(f"data: {json.dumps({**base, 'choices': choices, **extra})}\n\n".encode())

        for step in range(2):  # interleaved: each piece of each choice is its own chunk
            for i in order:
                await send([choice(i, PIECES[i][step])])
        await send([choice(i, None, "length" if i else "stop") for i in order])  # several in one chunk
        usage = {"prompt_tokens": 2, "completion_tokens": 2 * n, "total_tokens": 2 + 2 * n}
        await send([], usage=usage)
        await resp.write(b"data: [DONE]\n\n")
        return resp


async def with_choices(fn, model: str = "multi"):
    server = ChoicesServer()
    async with local_app(server.app()) as base:
        api = OpenAIModelAPI(model, api_url=base)
        try:
            return await fn(api), server
        finally:
            await api.aclose()


@pytest.mark.parametrize("stream", [False, True], ids=["whole", "streamed"])
@pytest.mark.parametrize("make", [chat, completion], ids=["chat", "completions"])
def test_n_choices_land_in_texts_by_index(stream, make):
    async def go(api):
        return (await api.call([make(n=3, stream=stream, temperature=1.0)]))[0]

    out, server = asyncio.run(with_choices(go))
    assert server.bodies[-1]["n"] == 3
    assert out.error is None
    assert out.texts == ["alpha one", "beta two", "gamma three"]  # index order, never merged
    assert out.text == "alpha one" and out.finish_reason == "stop"  # choice 0's
    assert out.usage.output_tokens == 6


@pytest.mark.parametrize("stream", [False, True], ids=["whole", "streamed"])
def test_one_choice_stays_one_text(stream):
    async def go(api):
        return (await api.call([chat(stream=stream)]))[0]

    out, server = asyncio.run(with_choices(go))
    assert "n" not in server.bodies[-1]
    assert out.text == "alpha one" and out.texts is None and out.error is None


@pytest.mark.parametrize("stream", [False, True], ids=["whole", "streamed"])
def test_a_server_that_ignores_n_gives_an_error_output(stream):
    async def go(api):
        return (await api.call([chat(n=3, stream=stream, temperature=1.0)]))[0]

    out, _ = asyncio.run(with_choices(go, model="ignores-n"))
    assert out.error is not None and "n=3" in out.error and "[0]" in out.error
    assert out.texts is None


class SilentServer:
    """Counts requests and answers only after `delay` seconds (streams: one chunk, then silence)."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.requests = 0
        self.finished = 0

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self.handle)
        return app

    async def handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.requests += 1
        if body.get("stream"):
            resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
            await resp.prepare(request)
            base = {"id": "x", "object": "chat.completion.chunk", "created": 0, "model": "m"}
            chunk = {**base, "choices": [{"index": 0, "delta": {"content": "a"}, "finish_reason": None}]}
            await resp.write(f"data: {json.dumps(chunk)}\n\n".encode())
            await asyncio.sleep(self.delay)
            return resp
        await asyncio.sleep(self.delay)
        self.finished += 1
        return web.json_response(
            {"id": "x", "object": "chat.completion", "created": 0, "model": "m", "choices": []}
        )


async def timed_out(stream: bool, *, timeout: float | None, retries: int = 3) -> tuple[BaseException, int]:
    """Call through core's Model (which retries what the adapter calls retryable) until it fails."""
    server = SilentServer(delay=3.0)
    async with local_app(server.app()) as base:
        api = OpenAIModelAPI("m", api_url=base, timeout=timeout)
        model = Model(api, retry=RetryPolicy(retries=retries, backoff_base=0.01), cache=False)
        try:
            with pytest.raises(Exception) as info:
                await model.call(chat(stream=stream))
            await asyncio.sleep(0.2)  # a retry, were there one, would have arrived by now
            return info.value, server.requests
        finally:
            await model.aclose()


@pytest.mark.parametrize("stream", [False, True], ids=["whole", "streamed"])
def test_a_timeout_names_the_setting_and_is_not_retried(stream):
    error, requests = asyncio.run(timed_out(stream, timeout=0.5))
    assert isinstance(error, ServiceTimeout) and not error.retryable
    assert requests == 1  # no second generation started
    text = str(error)
    assert "0.5 s" in text and "`timeout` setting" in text and "--timeout" in text
    assert "not retried" in text
    assert ("stream" in text) == stream


def test_the_default_timeout_is_named_when_none_is_set(monkeypatch):
    # the OpenAI client's default (600 s read, 5 s connect) is what applies; shrink it to test it
    assert openai_model.DEFAULT_READ_TIMEOUT_S == 600 and openai_model.DEFAULT_CONNECT_TIMEOUT_S == 5
    monkeypatch.setattr(openai_model, "DEFAULT_READ_TIMEOUT_S", 0.5)
    error, requests = asyncio.run(timed_out(False, timeout=None))
    assert isinstance(error, ServiceTimeout) and requests == 1
    assert "0.5 s" in str(error) and "no `timeout` was set" in str(error) and "--timeout" in str(error)


def test_timeout_classification():
    import httpx2  # the SDK's HTTP client
    import openai

    request = httpx2.Request("POST", "http://127.0.0.1:9/v1/chat/completions")
    for cause, retryable in ((httpx2.ConnectTimeout("x"), True), (httpx2.ReadTimeout("x"), False)):
        try:
            raise openai.APITimeoutError(request=request) from cause
        except openai.APITimeoutError as err:
            assert is_retryable_error(err) is retryable
    assert not is_retryable_error(asyncio.TimeoutError())  # a wait_for around a request in flight
    assert is_retryable_error(ConnectionResetError())
