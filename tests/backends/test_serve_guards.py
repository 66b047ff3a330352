"""`evalscope serve` guards: a bearer key, a bounded queue answering 503 with Retry-After, and 500s
that never echo internals. The app runs on 127.0.0.1 over the mock provider (a slow one for the
queue); a provider that raises stands for a crash we cannot cause otherwise. The real server's
`--api-key` is checked once as a subprocess. (max_tokens beyond the context: a 400 that says why,
tests/backends/test_serve_limits.py.)
"""

from __future__ import annotations

import asyncio
import json
import logging
import urllib.error
import urllib.request

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from evalscope.backends.serve.app import create_app
from evalscope.core.models.mock import MockModelAPI
from evalscope.core.types import ModelOutput

KEY = "sk-serve-test-0123456789"
BODY = {"model": "mock", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 4}


class CrashingAPI(MockModelAPI):
    """Raises with text a client must never see (a path and a key-like string)."""

    async def call(self, requests):
        raise RuntimeError("/srv/models/secret-weights.bin: device error, token sk-internal-abcdef123456")


class FailingAPI(MockModelAPI):
    async def call(self, requests):
        return [ModelOutput(error="CUDA error at /opt/kernels/attn.cu:77") for _ in requests]


async def _serve(app):
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    return server


def test_bearer_key_is_required():
    async def go():
        server = await _serve(create_app(MockModelAPI(), api_key=KEY))
        url = str(server.make_url("/v1/chat/completions"))
        try:
            async with aiohttp.ClientSession() as session:
                statuses = {}
                for label, headers in {"none": {}, "wrong": {"Authorization": "Bearer nope"},
                                       "scheme": {"Authorization": KEY}, "right": {"Authorization": f"Bearer {KEY}"}}.items():
                    async with session.post(url, json=BODY, headers=headers) as r:
                        statuses[label] = (r.status, await r.json())
                async with session.get(server.make_url("/health")) as r:
                    health = r.status
                async with session.get(server.make_url("/v1/models")) as r:
                    models = r.status
        finally:
            await server.close()
        return statuses, health, models

    statuses, health, models = asyncio.run(go())
    for label in ("none", "wrong", "scheme"):
        status, body = statuses[label]
        assert status == 401 and body["error"]["code"] == "invalid_api_key", label
        assert KEY not in json.dumps(body)
    status, body = statuses["right"]
    assert status == 200 and body["choices"][0]["message"]["content"] == "The answer is A."
    assert health == 200 and models == 401


def test_bounded_queue_answers_503_with_retry_after():
    async def go():
        app = create_app(MockModelAPI(model_args={"delay": 1.0}), max_queue=3)
        server = await _serve(app)
        url = str(server.make_url("/v1/chat/completions"))
        try:
            async with aiohttp.ClientSession() as session:
                async def one():
                    async with session.post(url, json=BODY) as r:
                        return r.status, r.headers.get("Retry-After"), await r.json()

                first = await asyncio.gather(*(one() for _ in range(8)))
                later = await one()  # the queue has drained
        finally:
            await server.close()
        return first, later

    first, later = asyncio.run(go())
    ok = [r for r in first if r[0] == 200]
    busy = [r for r in first if r[0] == 503]
    assert len(ok) == 3 and len(busy) == 5
    for _status, retry_after, body in busy:
        assert retry_after == "1" and body["error"]["code"] == "overloaded" and "limit 3" in body["error"]["message"]
    assert later[0] == 200


@pytest.mark.parametrize("api", [CrashingAPI, FailingAPI], ids=["raises", "error-output"])
@pytest.mark.parametrize("stream", [False, True])
def test_a_500_never_echoes_internals(api, stream, caplog):
    caplog.set_level(logging.ERROR, logger="evalscope.serve")

    async def go():
        server = await _serve(create_app(api()))
        try:
            async with aiohttp.ClientSession() as session:
                async with session.post(server.make_url("/v1/chat/completions"), json={**BODY, "stream": stream}) as r:
                    return r.status, await r.text()
        finally:
            await server.close()

    status, text = asyncio.run(go())
    assert status == 500
    for secret in ("/srv/models", "secret-weights", "sk-internal", "/opt/kernels", "CUDA", "RuntimeError"):
        assert secret not in text
    message = json.loads(text)["error"]["message"]
    ref = message.split("reference ")[1].split(";")[0]
    assert len(ref) == 12 and ref in caplog.text, "the log holds the details under the same reference"
    assert "secret-weights" in caplog.text or "CUDA" in caplog.text


@pytest.mark.slow
def test_serve_command_takes_api_key(tmp_path):
    """The real command (SmolLM2): /health stays open for probes, /v1 needs the key, the key is never logged."""
    import socket
    import subprocess
    import sys
    import time

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log = open(tmp_path / "serve.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "evalscope.cli.main", "serve", "--model", "smollm2-135m-instruct", "--port", str(port),
         "--batch-size", "2", "--max-queue", "4", "--log-level", "debug"],
        stdout=log, stderr=subprocess.STDOUT, env={**__import__("os").environ, "EVALSCOPE_SERVE_API_KEY": KEY},
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 240
        while True:
            try:
                with urllib.request.urlopen(f"{base}/health", timeout=2):
                    break
            except OSError:
                assert proc.poll() is None and time.time() < deadline, (tmp_path / "serve.log").read_text()[-3000:]
                time.sleep(0.5)
        request = urllib.request.Request(f"{base}/v1/chat/completions", data=json.dumps(
            {"model": "smollm2-135m-instruct", "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 2}).encode(),
            headers={"Content-Type": "application/json"})
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=60)
        assert refused.value.code == 401
        request.add_header("Authorization", f"Bearer {KEY}")
        with urllib.request.urlopen(request, timeout=120) as answered:
            assert answered.status == 200
    finally:
        proc.terminate()
        proc.wait(30)
        log.close()
    assert KEY not in (tmp_path / "serve.log").read_text()
