"""Issue 17: the OpenAI provider's lean transport (core's stdlib HTTP client) and its fallback.

Real servers on 127.0.0.1: a raw-socket server for what aiohttp will not do on purpose (close a
kept-alive connection without answering), aiohttp apps for slow streams and bodies. What the
lean client adds: a kept-alive connection the server closed is reopened and the request not
lost; a whole answer must come within the timeout (a stream: no silence longer than it); a
proxy in the environment sends the provider through the OpenAI SDK, which speaks to proxies.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading

import pytest
from aiohttp import web

from evalscope.backends.openai_api.errors import ServiceError, ServiceTimeout
from evalscope.backends.openai_api.model import OpenAIModelAPI
from evalscope.core.model import Model, RetryPolicy
from evalscope.core.net.http import Pool, Target, build_request
from evalscope.core.types import ChatMessage, GenerationConfig, ModelRequest, RequestKind

try:
    from .serve_fixture import free_port, local_app
except ImportError:  # tests/backends is not a package
    from serve_fixture import free_port, local_app


def chat(**config) -> ModelRequest:
    return ModelRequest(
        RequestKind.GENERATE, messages=[ChatMessage("user", "hi")], config=GenerationConfig(**config)
    )


def answer(text: str) -> bytes:
    body = json.dumps({
        "model": "m",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
    }).encode()  # fmt: skip
    return (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body) + body
    )


class ClosingServer:
    """Keep-alive HTTP server that answers the first request of each connection and closes the
    connection, unanswered, when a second request arrives on it (a server's keep-alive expiry)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.answered = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._one, args=(conn,), daemon=True).start()

    def _read_request(self, conn: socket.socket) -> bool:
        data = b""
        while b"\r\n\r\n" not in data:
            piece = conn.recv(65536)
            if not piece:
                return False
            data += piece
        head, _, body = data.partition(b"\r\n\r\n")
        length = int(
            next(
                line.split(b":")[1]
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length")
            )
        )
        while len(body) < length:
            body += conn.recv(65536)
        return True

    def _one(self, conn: socket.socket) -> None:
        with conn:
            if not self._read_request(conn):
                return
            self.answered += 1
            conn.sendall(answer(f"answer {self.answered}"))
            self._read_request(conn)  # the second request on this connection: closed unanswered

    def close(self) -> None:
        self.sock.close()


def test_a_kept_alive_connection_the_server_closed_is_reopened_and_the_request_not_lost():
    server = ClosingServer()

    async def go():
        api = OpenAIModelAPI("m", api_url=f"http://127.0.0.1:{server.port}/v1")
        try:
            texts = [(await api.call([chat()]))[0].text for _ in range(3)]
            return texts, api.http_client
        finally:
            await api.aclose()

    try:
        texts, client = asyncio.run(go())
    finally:
        server.close()
    assert client == "lean"
    assert texts == ["answer 1", "answer 2", "answer 3"]  # each request answered, none lost or failed
    assert server.connections == 3


def test_core_pool_resends_on_a_stale_connection():
    server = ClosingServer()

    async def go():
        target = Target.from_url(f"http://127.0.0.1:{server.port}/v1/chat/completions")
        pool = Pool(target, kernel_stamps=False)
        head = target.request_head("POST", {"Content-Type": "application/json"})
        try:
            return [(await pool.request(build_request(head, b"{}"), collect=True)).status for _ in range(2)]
        finally:
            pool.close()

    try:
        assert asyncio.run(go()) == [200, 200]
    finally:
        server.close()


class SlowServer:
    """A whole answer trickled out in pieces (`gap` s apart), or a stream that stalls mid-way."""

    def __init__(self, gap: float, pieces: int) -> None:
        self.gap, self.pieces, self.requests = gap, pieces, 0

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self.handle)
        return app

    async def handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.requests += 1
        stream = bool(body.get("stream"))
        resp = web.StreamResponse(
            headers={"Content-Type": "text/event-stream" if stream else "application/json"}
        )
        await resp.prepare(request)
        if stream:
            base = {"model": "m", "object": "chat.completion.chunk"}
            for i in range(self.pieces):
                chunk = {
                    **base,
                    "choices": [{"index": 0, "delta": {"content": f"{i}"}, "finish_reason": None}],
                }
                await resp.write(f"data: {json.dumps(chunk)}\n\n".encode())
                await asyncio.sleep(self.gap)
            done = {**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
            await resp.write(f"data: {json.dumps(done)}\n\ndata: [DONE]\n\n".encode())
            return resp
        text = json.dumps(
            {"model": "m", "choices": [{"index": 0, "message": {"content": "ok"}, "finish_reason": "stop"}]}
        )
        for i in range(self.pieces):  # the JSON in `pieces` parts, a gap between them
            size = -(-len(text) // self.pieces)
            await resp.write(text[i * size : (i + 1) * size].encode())
            await asyncio.sleep(self.gap)
        return resp


async def _through_model(server: SlowServer, *, stream: bool, timeout: float):
    async with local_app(server.app()) as base:
        api = OpenAIModelAPI("m", api_url=base, timeout=timeout, stream=stream)
        model = Model(api, retry=RetryPolicy(retries=3, backoff_base=0.01), cache=False)
        try:
            return await model.call(chat())
        finally:
            await model.aclose()


def test_a_whole_answer_trickling_past_the_timeout_times_out_and_is_not_retried():
    server = SlowServer(gap=0.3, pieces=6)  # never 0.8 s of silence, but 1.8 s in all
    with pytest.raises(ServiceTimeout) as info:
        asyncio.run(_through_model(server, stream=False, timeout=0.8))
    assert not info.value.retryable and server.requests == 1
    assert "did not answer within 0.8 s" in str(info.value)


def test_a_stream_is_limited_by_silence_not_by_its_length():
    steady = SlowServer(gap=0.3, pieces=6)  # 1.8 s in all, never 0.8 s of silence: fine
    out = asyncio.run(_through_model(steady, stream=True, timeout=0.8))
    assert out.text == "012345" and out.finish_reason == "stop" and out.latency > 0.8
    stalled = SlowServer(gap=3.0, pieces=2)  # silent for 3 s after the first piece
    with pytest.raises(ServiceTimeout) as info:
        asyncio.run(_through_model(stalled, stream=True, timeout=0.8))
    assert not info.value.retryable and stalled.requests == 1
    assert "sent nothing more in the stream for 0.8 s" in str(info.value)


class GarbledServer:
    """First answer: 200 with a body that is not JSON; then 503 with retry-after-ms; then the answer."""

    def __init__(self) -> None:
        self.requests = 0

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self.handle)
        return app

    async def handle(self, request: web.Request) -> web.Response:
        await request.read()
        self.requests += 1
        if self.requests == 1:
            return web.Response(text="<html>bad gateway</html>", content_type="application/json")
        if self.requests == 2:
            return web.json_response({"error": {"message": "overloaded"}}, status=503,
                                     headers={"retry-after-ms": "200"})  # fmt: skip
        return web.json_response(
            {"model": "m", "choices": [{"index": 0, "message": {"content": "fine"}, "finish_reason": "stop"}]}
        )


@pytest.mark.usefixtures("http_client")
def test_garbled_json_and_503_are_retried_with_the_servers_message():
    server = GarbledServer()

    async def go():
        async with local_app(server.app()) as base:
            api = OpenAIModelAPI("m", api_url=base)
            errors = []
            for _ in range(2):
                with pytest.raises(ServiceError) as info:
                    await api.call([chat()])
                errors.append(info.value)
            out = (await api.call([chat()]))[0]
            await api.aclose()
            return errors, out

    (garbled, busy), out = asyncio.run(go())
    assert garbled.retryable and "not valid JSON" in str(garbled)
    assert busy.retryable and busy.status == 503 and "overloaded" in str(busy) and busy.retry_after == 0.2
    assert out.text == "fine"


def test_a_proxy_in_the_environment_sends_the_provider_through_the_sdk(monkeypatch):
    server = ClosingServer()  # stands in for the proxy: it answers what it is sent
    dead = free_port()  # the URL itself: nothing listens there, only the proxy can answer
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{server.port}")
    for name in ("NO_PROXY", "no_proxy", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)

    async def go():
        api = OpenAIModelAPI("m", api_url=f"http://127.0.0.1:{dead}/v1")
        try:
            return api.http_client, (await api.call([chat()]))[0].text
        finally:
            await api.aclose()

    try:
        client, text = asyncio.run(go())
    finally:
        server.close()
    assert client == "openai" and text == "answer 1"
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    assert OpenAIModelAPI("m", api_url=f"http://127.0.0.1:{dead}/v1").http_client == "lean"
    assert (
        OpenAIModelAPI("m", {"http_client": "openai"}, api_url="http://127.0.0.1:9/v1").http_client
        == "openai"
    )


@pytest.mark.usefixtures("http_client")
def test_a_connect_timeout_is_retryable_and_named_as_such():
    listener = socket.socket()  # a listener whose accept queue is full: new connections hang
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    for _ in range(3):
        s = socket.socket()
        s.setblocking(False)
        s.connect_ex(("127.0.0.1", port))
        fillers.append(s)

    async def go():
        api = OpenAIModelAPI("m", api_url=f"http://127.0.0.1:{port}/v1", timeout=0.5)
        try:
            with pytest.raises(ServiceTimeout) as info:
                await api.call([chat()])
            return info.value
        finally:
            await api.aclose()

    try:
        error = asyncio.run(go())
    finally:
        for s in [*fillers, listener]:
            s.close()
    assert error.retryable and "could not connect" in str(error) and "0.5 s" in str(error)
