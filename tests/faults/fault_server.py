"""An OpenAI-compatible server on 127.0.0.1 that injects faults on request.

A request's last user message names its fault: ``[[fault:KIND:TIMES]]`` makes the first TIMES
attempts of that message fail with KIND (``inf``: every attempt), after which the server answers
normally. Attempts are counted per message text, so retries of one sample are counted together.

KIND: 429 (with ``Retry-After: 1``), 500, 502, 503 (with ``retry-after-ms: 200``), reset (the
connection is dropped with a TCP reset before any answer), timeout (the answer is withheld for
`slow_s`), cut (a streamed answer stops mid-way: the connection is reset), cutclean (a streamed
answer whose body ends cleanly mid-way, with no finish and no [DONE]), badjson (200 with a body that is
not JSON), empty (200 with an empty ``choices`` list).

The normal answer to "Question N: ..." is ``The answer is N.\\n#### N`` (so gsm8k-style scoring marks
it right). Runs in a thread with its own event loop; `attempts[text]` holds each attempt's time.
"""

from __future__ import annotations

import asyncio
import json
import re
import socket
import struct
import threading
import time
from collections import defaultdict

from aiohttp import web

FAULT = re.compile(r"\[\[fault:(?P<kind>\w+):(?P<times>\d+|inf)\]\]")
NUMBER = re.compile(r"Question (\d+)")


def _reset(request: web.Request) -> None:
    """Drop the connection with a TCP RST (SO_LINGER 0), as a crashed proxy would."""
    sock = request.transport.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    request.transport.close()


class FaultServer:
    def __init__(self, slow_s: float = 3.0, delay_s: float = 0.0) -> None:
        self.slow_s = slow_s
        #: every answer waits this long (a run long enough to be killed part-way)
        self.delay_s = delay_s
        self.attempts: dict[str, list[float]] = defaultdict(list)
        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    # -- handlers ------------------------------------------------------------------------------
    async def answer(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        chat = request.path.endswith("/chat/completions")
        text = body["messages"][-1]["content"] if chat else body["prompt"]
        self.attempts[text].append(time.monotonic())
        attempt = len(self.attempts[text])
        fault = FAULT.search(text)
        if fault and (fault["times"] == "inf" or attempt <= int(fault["times"])):
            injected = await self.inject(request, fault["kind"], body, chat)
            if injected is not None:
                return injected
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        number = NUMBER.search(text)
        reply = f"The answer is {number.group(1)}.\n#### {number.group(1)}" if number else "The answer is 0."
        if body.get("stream"):
            return await self.stream(request, reply, chat, cut=False)
        return web.json_response(self.completion(reply, chat))

    async def inject(self, request: web.Request, kind: str, body: dict, chat: bool) -> web.StreamResponse | None:
        if kind == "429":
            return web.json_response({"error": {"message": "rate limited", "type": "rate_limit"}}, status=429,
                                     headers={"Retry-After": "1"})
        if kind in ("500", "502"):
            return web.json_response({"error": {"message": f"upstream {kind}", "type": "server_error"}}, status=int(kind))
        if kind == "503":
            return web.json_response({"error": {"message": "overloaded", "type": "server_error"}}, status=503,
                                     headers={"retry-after-ms": "200"})
        if kind == "reset":
            _reset(request)
            await asyncio.sleep(60)  # cancelled at once: the connection is gone
            return None
        if kind == "timeout":
            await asyncio.sleep(self.slow_s)
            return None
        if kind in ("cut", "cutclean"):
            return await self.stream(request, "The answer is being wri", chat, cut=kind)
        if kind == "badjson":
            return web.Response(text='{"id": "x", "choices": [{"message": ', content_type="application/json")
        if kind == "empty":
            return web.json_response({**self.completion("", chat), "choices": []})
        raise ValueError(f"unknown fault {kind}")

    def completion(self, reply: str, chat: bool) -> dict:
        choice = ({"index": 0, "message": {"role": "assistant", "content": reply}, "finish_reason": "stop"}
                  if chat else {"index": 0, "text": reply, "finish_reason": "stop"})
        return {"id": "f-1", "object": "chat.completion" if chat else "text_completion", "created": 0, "model": "faulty",
                "choices": [choice], "usage": {"prompt_tokens": 5, "completion_tokens": 5, "total_tokens": 10}}

    async def stream(self, request: web.Request, reply: str, chat: bool, *, cut: str | bool) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        for word in reply.split(" "):
            piece = word + " "
            choice = {"index": 0, "delta": {"content": piece}} if chat else {"index": 0, "text": piece}
            chunk = {"id": "f-1", "object": "chat.completion.chunk", "created": 0, "model": "faulty", "choices": [choice]}
            await response.write(f"data: {json.dumps(chunk)}\n\n".encode())
        if cut == "cutclean":  # the body ends properly, but before the answer did
            await response.write_eof()
            return response
        if cut:
            await asyncio.sleep(0.05)
            _reset(request)
            return response
        last = {"index": 0, "delta": {}, "finish_reason": "stop"} if chat else {"index": 0, "text": "", "finish_reason": "stop"}
        done = {"id": "f-1", "object": "chat.completion.chunk", "created": 0, "model": "faulty", "choices": [last],
                "usage": {"prompt_tokens": 5, "completion_tokens": 5, "total_tokens": 10}}
        await response.write(f"data: {json.dumps(done)}\n\ndata: [DONE]\n\n".encode())
        await response.write_eof()
        return response

    async def models(self, request: web.Request) -> web.Response:
        return web.json_response({"object": "list", "data": [{"id": "faulty", "object": "model"}]})

    # -- lifecycle -----------------------------------------------------------------------------
    def start(self) -> FaultServer:
        ready = threading.Event()

        def run() -> None:
            self._loop = asyncio.new_event_loop()
            app = web.Application()
            app.router.add_post("/v1/chat/completions", self.answer)
            app.router.add_post("/v1/completions", self.answer)
            app.router.add_get("/v1/models", self.models)
            self._runner = web.AppRunner(app, handler_cancellation=True)
            self._loop.run_until_complete(self._runner.setup())
            site = web.TCPSite(self._runner, "127.0.0.1", 0)
            self._loop.run_until_complete(site.start())
            self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
            ready.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=run, daemon=True, name="fault-server")
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("fault server did not start")
        return self

    def stop(self) -> None:
        if self._loop is None:
            return

        async def shutdown() -> None:
            await self._runner.cleanup()  # type: ignore[union-attr]

        asyncio.run_coroutine_threadsafe(shutdown(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)  # type: ignore[union-attr]
