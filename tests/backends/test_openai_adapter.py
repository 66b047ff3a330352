"""OpenAIModelAPI against small in-test aiohttp servers on 127.0.0.1 (faults the real model cannot cause).

Fast: no model is loaded. The capture server records the exact JSON body and headers it received.
"""

from __future__ import annotations

import asyncio
import json
import logging
import pickle
import time
import traceback

import pytest
from aiohttp import web

from evalscope.app.execute import refused_request
from evalscope.backends.openai_api.errors import ServiceError, parse_retry_after
from evalscope.backends.openai_api.model import OpenAIModelAPI, base_url_of
from evalscope.backends.openai_api.params import build_body, config_from_mapping
from evalscope.core.model import Model, RetryPolicy
from evalscope.core.types import ChatMessage, GenerationConfig, ModelRequest, RequestKind

try:
    from .serve_fixture import free_port, local_app
except ImportError:  # tests/backends is not a package
    from serve_fixture import free_port, local_app

SECRET = "sk-test-0123456789abcdefSECRET"

#: every test runs over both transports (core's lean client, the OpenAI SDK)
pytestmark = pytest.mark.usefixtures("http_client")


def chat(text: str = "hi", **config) -> ModelRequest:
    return ModelRequest(
        RequestKind.GENERATE, messages=[ChatMessage("user", text)], config=GenerationConfig(**config)
    )


def completion_json(model: str, text: str = "ok") -> dict:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 0,
        "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4},
    }


class FaultServer:
    """Behaviour picked by the body's `model`: ok, status-NNN, hang, flaky, echo-key, reasoning, stream-reasoning."""

    def __init__(self) -> None:
        self.bodies: list[dict] = []
        self.auth: list[str | None] = []
        self.calls: dict[str, int] = {}

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self.handle)
        app.router.add_post("/v1/completions", self.handle)
        return app

    async def handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.bodies.append(body)
        self.auth.append(request.headers.get("Authorization"))
        model = body["model"]
        self.calls[model] = self.calls.get(model, 0) + 1
        if model.startswith("status-"):
            status = int(model.split("-")[1])
            headers = {"Retry-After": "7"} if status == 429 else {}
            return web.json_response(
                {"error": {"message": f"fault {status}"}}, status=status, headers=headers
            )
        if model == "flaky" and self.calls[model] == 1:
            return web.json_response(
                {"error": {"message": "slow down"}}, status=429, headers={"Retry-After": "1"}
            )
        if model == "hang":
            await asyncio.sleep(5)
        if model == "echo-key":
            key = request.headers["Authorization"].removeprefix("Bearer ")
            message = f"Incorrect API key provided: {key}. Also seen as {key[:12]}...{key[-4:]}"
            return web.json_response({"error": {"message": message}}, status=401)
        if model == "reasoning":
            data = completion_json(model, "42")
            data["choices"][0]["message"]["reasoning_content"] = "think first"
            return web.json_response(data)
        if model == "stream-reasoning":
            resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
            await resp.prepare(request)
            base = {"id": "c", "object": "chat.completion.chunk", "created": 0, "model": model}
            deltas = [
                {"role": "assistant", "content": ""},
                {"reasoning_content": "hmm "},
                {"content": "4"},
                {"content": "2"},
            ]
            for delta in deltas:
                chunk = {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": None}]}
                await resp.write(f"data: {json.dumps(chunk)}\n\n".encode())
            done = {**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "length"}]}
            usage = {
                **base,
                "choices": [],
                "usage": {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7},
            }
            for chunk in (done, usage):
                await resp.write(f"data: {json.dumps(chunk)}\n\n".encode())
            await resp.write(b"data: [DONE]\n\n")
            return resp
        return web.json_response(completion_json(model))


def run(coro):
    return asyncio.run(coro)


async def with_server(fn, **api_kwargs):
    server = FaultServer()
    async with local_app(server.app()) as base:
        api = OpenAIModelAPI(api_kwargs.pop("model", "ok"), api_url=base, api_key=SECRET, **api_kwargs)
        try:
            return await fn(api, server)
        finally:
            await api.aclose()


async def failure(api: OpenAIModelAPI, model: str) -> ServiceError:
    api.model_name = model
    with pytest.raises(ServiceError) as info:
        await api.call([chat()])
    return info.value


def test_base_url_strips_endpoint():
    assert base_url_of("http://h:1/v1/chat/completions") == "http://h:1/v1"
    assert base_url_of("http://h:1/v1/") == "http://h:1/v1"
    assert base_url_of("http://h:1/v1/completions") == "http://h:1/v1"


def test_body_translation_sent_on_the_wire():
    async def go(api, server):
        cfg = dict(
            max_tokens=5, seed=1234, top_k=3, repetition_penalty=1.2, do_sample=False, stop=["\n"], top_p=0.9
        )
        await api.call([chat(**cfg)])
        return server.bodies[-1], server.auth[-1]

    body, auth = run(with_server(go))
    assert (
        body["seed"] == 1234 and body["max_tokens"] == 5 and body["stop"] == ["\n"] and body["top_p"] == 0.9
    )
    assert body["temperature"] == 0.0  # do_sample=False, no temperature -> greedy
    assert body["top_k"] == 3 and body["repetition_penalty"] == 1.2  # via extra_body
    assert "do_sample" not in body and "n" not in body
    assert auth == f"Bearer {SECRET}"


def test_do_sample_true_leaves_temperature_and_explicit_temperature_wins():
    body, extra = build_body(GenerationConfig(do_sample=True), chat=True)
    assert "temperature" not in body and extra == {}
    body, _ = build_body(GenerationConfig(do_sample=False, temperature=0.7), chat=True)
    assert body["temperature"] == 0.7
    body, _ = build_body(GenerationConfig(logprobs=True, top_logprobs=2), chat=False)
    assert body["logprobs"] == 2  # legacy completions vocabulary


def test_unknown_generation_keys_rejected_by_name():
    with pytest.raises(ValueError, match="num_beams"):
        config_from_mapping({"max_tokens": 4, "num_beams": 4})
    cfg = config_from_mapping({"max_new_tokens": 9, "stop": "###"})
    assert cfg.max_tokens == 9 and cfg.stop == ["###"]


def test_retry_classification_and_retry_after():
    async def go(api, server):
        return {code: await failure(api, f"status-{code}") for code in (429, 500, 503, 400, 401, 404)}

    errors = run(with_server(go))
    api = OpenAIModelAPI("x", api_url="http://127.0.0.1:9/v1")
    for code in (429, 500, 503):
        assert api.is_retryable(errors[code]), code
    for code in (400, 401, 404):
        assert not api.is_retryable(errors[code]), code
        assert errors[code].status == code
    assert api.retry_after(errors[429]) == 7.0
    assert api.retry_after(errors[500]) is None
    assert parse_retry_after({"retry-after-ms": "250"}) == 0.25


def test_an_http_error_is_worded_alike_over_both_clients():
    """The SDK's wording, the status in parentheses and the server's message: the run's "refused as
    invalid, a retry would fail the same way" advice reads the status from it."""

    async def go(api, server):
        return {code: await failure(api, f"status-{code}") for code in (400, 422, 429, 503)}

    errors = run(with_server(go))
    assert str(errors[400]).startswith("BadRequestError (HTTP 400): ") and "fault 400" in str(errors[400])
    assert str(errors[422]).startswith("UnprocessableEntityError (HTTP 422): ")
    assert str(errors[429]).startswith("RateLimitError (HTTP 429): ")
    assert str(errors[503]).startswith("InternalServerError (HTTP 503): ")
    assert refused_request(str(errors[400])) and refused_request(str(errors[422]))
    assert not refused_request(str(errors[429])) and not refused_request(str(errors[503]))


def test_timeouts_are_not_retried_and_connection_errors_are():
    async def go(api, server):
        start = time.perf_counter()
        err = await failure(api, "hang")
        return err, time.perf_counter() - start

    err, elapsed = run(with_server(go, timeout=0.5))
    assert not err.retryable and elapsed < 5  # the server may still be generating

    async def refused():
        api = OpenAIModelAPI("x", api_url=f"http://127.0.0.1:{free_port()}/v1", timeout=2)
        try:
            with pytest.raises(ServiceError) as info:
                await api.call([chat()])
            return api.is_retryable(info.value)
        finally:
            await api.aclose()

    assert run(refused())


def test_core_model_retries_after_429_honouring_retry_after():
    async def go(api, server):
        model = Model(api, retry=RetryPolicy(retries=2, backoff_base=0.01), cache=False)
        start = time.perf_counter()
        out = await model.call(chat())
        return out, time.perf_counter() - start, model.retries_done, server.calls["flaky"]

    out, elapsed, retries, calls = run(with_server(go, model="flaky"))
    assert out.text == "ok" and retries == 1 and calls == 2
    assert elapsed >= 0.9  # waited the server's Retry-After: 1, not the 0.01 s backoff


def test_reasoning_content_captured_streaming_and_not():
    async def go(api, server):
        api.model_name = "reasoning"
        whole = (await api.call([chat()]))[0]
        api.model_name = "stream-reasoning"
        streamed = (await api.call([chat(stream=True)]))[0]
        return whole, streamed

    whole, streamed = run(with_server(go))
    assert whole.text == "42" and whole.reasoning == "think first" and whole.ttft is None
    assert streamed.text == "42" and streamed.reasoning == "hmm " and streamed.finish_reason == "length"
    assert streamed.usage.input_tokens == 5 and streamed.usage.output_tokens == 2
    assert 0 < streamed.ttft <= streamed.latency


def test_api_key_never_in_repr_identity_errors_or_logs(caplog):
    caplog.set_level(logging.DEBUG)  # every logger, the SDK's and httpx's included

    async def go(api, server):
        await api.call([chat()])
        try:  # this model's answer to a streamed request is plain JSON, no SSE: an error, key-free too
            await api.call([chat(stream=True)])
        except ServiceError as empty_stream:
            assert "no choices" in str(empty_stream)
            assert SECRET not in repr(empty_stream)
        err = await failure(api, "echo-key")
        return err, server

    api_holder = {}

    async def go_keep(api, server):
        api_holder["api"] = api
        return await go(api, server)

    err, server = run(with_server(go_keep))
    api = api_holder["api"]
    assert server.auth[0] == f"Bearer {SECRET}"  # the key was really used
    texts = [
        repr(api),
        str(api),
        json.dumps(api.identity()),
        repr(vars(api)),
        str(err),
        repr(err),
        "".join(traceback.format_exception(err)),
        caplog.text,
    ]
    for text in texts:
        assert SECRET not in text
        assert SECRET[:12] not in text
    assert "Incorrect API key" in str(err) and not err.retryable
    with pytest.raises(TypeError):  # the key never lands in a pickle (or a cache built from one)
        pickle.dumps(api)
