"""`evalscope serve` (real SmolLM2 subprocess) at its limits: n > 1 completions read back by the
OpenAI adapter, and prompts that do not fit the context refused with 400 (never cut)."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.error
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

CONTEXT = 8192  # SmolLM2-135M's max_position_embeddings


def post(server, path: str, body: dict) -> tuple[int, bytes]:
    request = urllib.request.Request(
        f"{server.base_url}{path}",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def chat(text: str, **extra) -> dict:
    return {"model": SERVE_MODEL, "messages": [{"role": "user", "content": text}], **extra}


@pytest.mark.parametrize("stream", [False, True], ids=["whole", "streamed"])
def test_max_tokens_beyond_the_context_is_a_400_that_says_why(serve_server, stream):
    status, raw = post(serve_server, "/chat/completions", chat("Say hi.", max_tokens=CONTEXT, stream=stream))
    assert status == 400, raw
    error = json.loads(raw)["error"]
    assert error["type"] == "invalid_request_error" and error["code"] == "context_length_exceeded"
    assert error["param"] == "messages"
    message = error["message"]
    assert f"max_tokens is {CONTEXT}" in message and f"context of {CONTEXT} tokens" in message
    assert "the prompt has " in message and "lower max_tokens" in message
    assert "--truncation" not in message  # a server's client has no such setting


def test_a_prompt_longer_than_the_context_is_a_400_without_the_cost_of_reading_it(serve_server):
    huge = "word " * 400_000  # 2 MB: far beyond 8192 tokens
    started = time.perf_counter()
    status, raw = post(serve_server, "/completions", {"model": SERVE_MODEL, "prompt": huge, "max_tokens": 4})
    took = time.perf_counter() - started
    assert status == 400 and json.loads(raw)["error"]["param"] == "prompt"
    assert "the prompt has at least" in json.loads(raw)["error"]["message"]
    assert took < 10  # refused by a bound on its length; tokenising 2 MB takes far longer here
    status, raw = post(serve_server, "/chat/completions", chat("Say hi.", max_tokens=3))
    assert status == 200 and json.loads(raw)["choices"][0]["message"]["content"]  # still serving


def test_the_openai_adapter_reports_the_400_and_does_not_retry_it(serve_server):
    async def go():
        api = OpenAIModelAPI(SERVE_MODEL, api_url=serve_server.base_url)
        request = ModelRequest(
            RequestKind.GENERATE,
            messages=[ChatMessage("user", "Hi")],
            config=GenerationConfig(max_tokens=CONTEXT),
        )
        try:
            with pytest.raises(ServiceError) as info:
                await api.call([request])
            return info.value, api.is_retryable(info.value)
        finally:
            await api.aclose()

    error, retryable = asyncio.run(go())
    assert error.status == 400 and not retryable and "context length exceeded" in str(error)


@pytest.mark.parametrize("stream", [False, True], ids=["whole", "streamed"])
def test_n_completions_over_a_real_server(serve_server, stream):
    config = GenerationConfig(n=3, temperature=1.0, seed=11, max_tokens=6, stream=stream)
    request = ModelRequest(
        RequestKind.GENERATE, messages=[ChatMessage("user", "Name an animal.")], config=config
    )

    async def go():
        api = OpenAIModelAPI(SERVE_MODEL, api_url=serve_server.base_url)
        try:
            return (await api.call([request]))[0]
        finally:
            await api.aclose()

    out = asyncio.run(go())
    assert out.error is None and out.texts is not None and len(out.texts) == 3
    assert out.text == out.texts[0] and all(out.texts)
    assert len(set(out.texts)) > 1  # sampled: not one text copied, nor all merged into one
    assert out.usage.output_tokens <= 3 * 6


def test_n_completions_on_the_wire_name_their_index(serve_server):
    body = chat("Name an animal.", n=2, temperature=1.0, seed=5, max_tokens=4)
    status, raw = post(serve_server, "/chat/completions", body)
    assert status == 200
    assert [c["index"] for c in json.loads(raw)["choices"]] == [0, 1]
    status, raw = post(serve_server, "/chat/completions", {**body, "stream": True})
    chunks = [json.loads(e) for e in sse_events(raw)[:-1]]
    finished = [c["choices"][0]["index"] for c in chunks if c["choices"] and c["choices"][0]["finish_reason"]]
    assert status == 200 and sorted(finished) == [0, 1]
    texts = {0: "", 1: ""}
    for chunk in chunks:
        for choice in chunk["choices"]:
            texts[choice["index"]] += choice["delta"].get("content") or ""
    whole = json.loads(post(serve_server, "/chat/completions", body)[1])["choices"]
    assert [texts[0], texts[1]] == [c["message"]["content"] for c in whole]  # same seed, same texts
