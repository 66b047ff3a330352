"""OpenAIModelAPI and `evalscope serve` together: the real SmolLM2-135M server as a subprocess.

Budget: one model load (~5-10 s) shared by the session, about ten generations of <= 8 tokens.
"""

from __future__ import annotations

import asyncio
import json
import logging
import urllib.request

import pytest

from evalscope.backends.openai_api.errors import ServiceError
from evalscope.backends.openai_api.model import OpenAIModelAPI
from evalscope.core.types import ChatMessage, GenerationConfig, ModelRequest, RequestKind

try:
    from .serve_fixture import SERVE_MODEL, serve_server, sse_events  # noqa: F401 - fixture
except ImportError:  # tests/backends is not a package
    from serve_fixture import SERVE_MODEL, serve_server, sse_events  # noqa: F401 - fixture

pytestmark = pytest.mark.slow

SECRET = "sk-real-server-test-key-77aa"
QUESTION = "What is 2+2? Answer briefly."


def chat(**config) -> ModelRequest:
    config.setdefault("max_tokens", 4)
    return ModelRequest(
        RequestKind.GENERATE, messages=[ChatMessage("user", QUESTION)], config=GenerationConfig(**config)
    )


def call(server, *requests: ModelRequest, **api_kwargs):
    async def go():
        api = OpenAIModelAPI(
            SERVE_MODEL, api_url=f"{server.base_url}/chat/completions", api_key=SECRET, **api_kwargs
        )
        try:
            return await asyncio.gather(*(api.call([r]) for r in requests))
        finally:
            await api.aclose()

    return [outs[0] for outs in asyncio.run(go())]


def logged_configs(server) -> list[dict]:
    """The generation configs the server logged (what it received), in order."""
    out = []
    for line in server.log_text().splitlines():
        if "evalscope.serve:" in line and " config=" in line:
            out.append(json.loads(line.split(" config=", 1)[1]))
    return out


def test_models_route(serve_server):
    with urllib.request.urlopen(f"{serve_server.base_url}/models", timeout=10) as resp:
        data = json.load(resp)
    assert [m["id"] for m in data["data"]] == [SERVE_MODEL]


def test_chat_streaming_matches_non_streaming_greedy(serve_server, caplog):
    caplog.set_level(logging.DEBUG)
    whole, streamed = call(serve_server, chat(temperature=0.0), chat(temperature=0.0, stream=True))
    assert whole.text.strip() and whole.text == streamed.text
    assert 0 < whole.usage.output_tokens <= 4 and whole.usage.input_tokens > 5
    assert streamed.usage.output_tokens == whole.usage.output_tokens  # from the final usage chunk
    assert whole.finish_reason in ("stop", "length") and streamed.finish_reason == whole.finish_reason
    assert whole.latency > 0 and whole.ttft is None
    assert 0 < streamed.ttft <= streamed.latency
    assert whole.model == SERVE_MODEL
    assert SECRET not in caplog.text and SECRET not in serve_server.log_text()


def test_raw_completion(serve_server):
    async def go():
        api = OpenAIModelAPI(SERVE_MODEL, api_url=serve_server.base_url)
        request = ModelRequest(
            RequestKind.GENERATE,
            prompt="The capital of France is",
            config=GenerationConfig(max_tokens=6, temperature=0.0),
        )
        try:
            whole = (await api.call([request]))[0]
            request.config.stream = True
            streamed = (await api.call([request]))[0]
            return whole, streamed
        finally:
            await api.aclose()

    whole, streamed = asyncio.run(go())
    assert whole.text and whole.text == streamed.text
    assert 0 < whole.usage.output_tokens <= 6 and streamed.usage.output_tokens == whole.usage.output_tokens


def test_usage_chunk_on_the_wire(serve_server):
    body = {
        "model": SERVE_MODEL,
        "messages": [{"role": "user", "content": QUESTION}],
        "max_tokens": 4,
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    req = urllib.request.Request(
        f"{serve_server.base_url}/chat/completions",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=120) as resp:
        assert resp.headers["Content-Type"].startswith("text/event-stream")
        events = sse_events(resp.read())
    assert events[-1] == "[DONE]"
    chunks = [json.loads(e) for e in events[:-1]]
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    assert chunks[-1]["choices"] == [] and 0 < chunks[-1]["usage"]["completion_tokens"] <= 4


def test_seed_and_hf_keys_reach_the_server_translated(serve_server):
    before = len(logged_configs(serve_server))
    out = call(serve_server, chat(max_tokens=4, seed=1234, top_k=7, repetition_penalty=1.1, do_sample=False))[
        0
    ]
    assert out.text
    received = logged_configs(serve_server)[before:]
    assert len(received) == 1
    config = received[0]
    assert config["seed"] == 1234 and config["top_k"] == 7 and config["repetition_penalty"] == 1.1
    assert config["temperature"] == 0.0 and config["max_tokens"] == 4  # do_sample=False -> greedy
    assert config.get("do_sample") is None


def test_sampling_with_same_seed_is_reproducible(serve_server):
    first, second = (call(serve_server, chat(temperature=1.0, seed=99))[0] for _ in range(2))
    assert first.text == second.text


def test_bad_request_is_not_retryable(serve_server):
    async def go():
        api = OpenAIModelAPI(SERVE_MODEL, api_url=serve_server.base_url, api_key=SECRET)
        try:
            with pytest.raises(ServiceError) as info:
                await api.call([chat(temperature=5.0)])
            return api, info.value
        finally:
            await api.aclose()

    api, err = asyncio.run(go())
    assert err.status == 400 and not api.is_retryable(err) and "'temperature' must be between" in str(err)
