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
