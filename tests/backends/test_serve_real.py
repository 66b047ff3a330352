"""`evalscope serve` as a user starts it: real SmolLM2 subprocess, both entry modules, concurrent load."""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request

import aiohttp
import pytest

try:
    from .serve_fixture import SERVE_MODEL, serve_server, start_serve  # noqa: F401 - fixture
except ImportError:  # tests/backends is not a package
    from serve_fixture import SERVE_MODEL, serve_server, start_serve  # noqa: F401 - fixture

pytestmark = pytest.mark.slow


def test_module_entry_point_starts_and_validates():
    server = start_serve(module="evalscope.backends.serve", batch_size=2)
    try:
        with urllib.request.urlopen(f"{server.base_url}/models", timeout=10) as resp:
            assert json.load(resp)["data"][0]["id"] == SERVE_MODEL
        bad = urllib.request.Request(
            f"{server.base_url}/chat/completions",
            data=json.dumps({"model": SERVE_MODEL, "messages": "hello"}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(bad, timeout=10)
        assert info.value.code == 400
        assert json.loads(info.value.read())["error"]["param"] == "messages"
    finally:
        server.stop()
    assert server.process.returncode is not None


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
