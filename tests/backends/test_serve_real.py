"""`evalscope serve` as a user starts it: real SmolLM2 subprocess, both entry modules, concurrent load."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import urllib.error
import urllib.request

import aiohttp
import pytest

try:
    from .serve_fixture import SERVE_MODEL, serve_server  # noqa: F401 - fixture
except ImportError:  # tests/backends is not a package
    from serve_fixture import SERVE_MODEL, serve_server  # noqa: F401 - fixture

pytestmark = pytest.mark.slow


def test_module_entry_point_runs_the_same_command():
    """`python -m evalscope.backends.serve [serve] --help` works without loading a model."""
    for argv in (["--help"], ["serve", "--help"]):
        out = subprocess.run(
            [sys.executable, "-m", "evalscope.backends.serve", *argv],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert out.returncode == 0, out.stderr
        assert "--batch-size" in out.stdout and "--model-args" in out.stdout


def test_bad_body_is_400_naming_the_field(serve_server):
    bad = urllib.request.Request(
        f"{serve_server.base_url}/chat/completions",
        data=json.dumps({"model": SERVE_MODEL, "messages": "hello"}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(bad, timeout=10)
    assert info.value.code == 400
    error = json.loads(info.value.read())["error"]
    assert error["param"] == "messages" and error["type"] == "invalid_request_error"


def test_concurrent_requests_all_answered(serve_server):
    prompts = ["Say hi.", "Name a color.", "Count to three."]

    async def go():
        async with aiohttp.ClientSession() as session:

            async def one(text: str) -> dict:
                body = {
                    "model": SERVE_MODEL,
                    "messages": [{"role": "user", "content": text}],
                    "max_tokens": 4,
                    "temperature": 0,
                }
                async with session.post(f"{serve_server.base_url}/chat/completions", json=body) as resp:
                    assert resp.status == 200
                    return await resp.json()

            return await asyncio.gather(*(one(p) for p in prompts))

    answers = asyncio.run(go())
    assert len({a["id"] for a in answers}) == 3
    for a in answers:
        assert a["object"] == "chat.completion" and a["choices"][0]["message"]["content"]
        assert 0 < a["usage"]["completion_tokens"] <= 4


# ---- token streaming -----------------------------------------------------------------------------


def _chat_body(text: str, max_tokens: int, stream: bool) -> dict:
    body = {
        "model": SERVE_MODEL,
        "messages": [{"role": "user", "content": text}],
        "max_tokens": max_tokens,
        "temperature": 0,
        "stream": stream,
    }
    if stream:
        body["stream_options"] = {"include_usage": True}
    return body


async def _timed_stream(session: aiohttp.ClientSession, url: str, body: dict) -> dict:
    """Stream a chat body; the content deltas with their arrival times (seconds after sending)."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    pieces, usage, finish = [], None, None
    async with session.post(url, json=body) as resp:
        assert resp.status == 200
        async for line in resp.content:
            if not line.startswith(b"data: ") or line.strip() == b"data: [DONE]":
                continue
            chunk = json.loads(line[6:])
            usage = chunk.get("usage") or usage
            if chunk["choices"]:
                choice = chunk["choices"][0]
                finish = choice["finish_reason"] or finish
                if choice["delta"].get("content"):
                    pieces.append((loop.time() - start, choice["delta"]["content"]))
    return {"pieces": pieces, "total": loop.time() - start, "usage": usage, "finish": finish}


HAIKU = "Write a haiku about the sea."


def test_streaming_sends_tokens_as_they_are_generated(serve_server):
    url = f"{serve_server.base_url}/chat/completions"

    async def go():
        async with aiohttp.ClientSession() as session:
            streamed = await _timed_stream(session, url, _chat_body(HAIKU, 16, True))
            async with session.post(url, json=_chat_body(HAIKU, 16, False)) as resp:
                whole = await resp.json()
            return streamed, whole

    streamed, whole = asyncio.run(go())
    pieces = streamed["pieces"]
    assert "".join(p for _, p in pieces) == whole["choices"][0]["message"]["content"]
    assert streamed["usage"]["completion_tokens"] == whole["usage"]["completion_tokens"] == 16
    assert streamed["finish"] == "length"
    assert len(pieces) >= 10  # token-sized deltas (a few tokens only form a character together)
    # spread over the generation, not a burst at the end: a burst puts the first piece at ~total and all
    # pieces within a millisecond; streamed, the first comes after prefill and one step (~0.2 of total
    # here), the rest over 15 more steps. Bounds loose enough for a stall on a loaded machine.
    ttft = pieces[0][0]
    assert ttft < 0.85 * streamed["total"], (ttft, streamed["total"])
    assert pieces[-1][0] - ttft > 0.1 * streamed["total"], (pieces, streamed["total"])


def test_concurrent_streams_are_batched_and_both_stream(serve_server):
    url = f"{serve_server.base_url}/chat/completions"
    prompts = [HAIKU, "Name three colours and describe each one."]

    async def go():
        async with aiohttp.ClientSession() as session:
            # a request in flight makes the two streams arrive while the model is busy: they queue
            # and must then leave together, as one batch
            blocker = asyncio.create_task(session.post(url, json=_chat_body("Count to twenty.", 16, False)))
            await asyncio.sleep(0.2)
            streams = await asyncio.gather(
                *(_timed_stream(session, url, _chat_body(p, 16, True)) for p in prompts)
            )
            (await blocker).release()
            singles = []
            for p in prompts:
                async with session.post(url, json=_chat_body(p, 16, False)) as resp:
                    singles.append((await resp.json())["choices"][0]["message"]["content"])
            return streams, singles

    log_before = len(serve_server.log_text())
    streams, singles = asyncio.run(go())
    for stream, single in zip(streams, singles, strict=True):
        assert "".join(p for _, p in stream["pieces"]) == single
        assert len(stream["pieces"]) >= 8
    a, b = (s["pieces"] for s in streams)
    # interleaved arrivals: each stream's first text came before the other's last (one generate)
    assert a[0][0] < b[-1][0] and b[0][0] < a[-1][0]
    assert "generate: 2 requests, max_new_tokens=16, streamed=True" in serve_server.log_text()[log_before:]


async def _hang_up(session: aiohttp.ClientSession, url: str, body: dict) -> None:
    """Send `body` and leave early: mid-stream after three events, or after 1 s without an answer."""
    if body["stream"]:
        resp = await session.post(url, json=body)
        seen = 0
        async for line in resp.content:
            seen += line.startswith(b"data: ")
            if seen >= 3:
                break
        resp.close()
    else:
        with pytest.raises(asyncio.TimeoutError):  # the client gives up and closes the connection
            await session.post(url, json=body, timeout=aiohttp.ClientTimeout(total=1.0))


@pytest.mark.parametrize("stream", [True, False], ids=["streaming", "non-streaming"])
def test_a_client_that_hangs_up_stops_its_generation(serve_server, stream):
    """An abandoned request must not keep the model busy: the next request is answered at once."""
    url = f"{serve_server.base_url}/chat/completions"
    long_body = _chat_body("Count from 1 to 500, separated by commas.", 400, stream)

    async def go():
        loop = asyncio.get_running_loop()
        async with aiohttp.ClientSession() as session:
            await _hang_up(session, url, long_body)
            started = loop.time()
            async with session.post(url, json=_chat_body(HAIKU, 4, False)) as short:
                assert short.status == 200
                await short.json()
            return loop.time() - started

    log_before = len(serve_server.log_text())
    waited = asyncio.run(go())
    log = serve_server.log_text()[log_before:]
    assert "stopped generating 1 abandoned request(s)" in log, log[-2000:]
    assert waited < 4.0, waited  # finishing the abandoned 400 tokens takes 7+ s on this CPU
