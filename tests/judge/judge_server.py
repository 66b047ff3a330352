"""A scripted judge for tests: a real OpenAI-compatible HTTP server on 127.0.0.1 (aiohttp, in a thread)
whose reply to each chat request is computed by a function of the messages. It counts the requests it
answers and records the Authorization headers it received, so tests can count judge calls at the
server and check which key was sent.

Used where the test needs a judge verdict it chooses (valid, invalid, conflicting); the real judge
(SmolLM2 behind `evalscope serve`) is exercised by the slow tests.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import attrs

from tests.conftest import find_free_port

Reply = Callable[[list[dict[str, str]]], str]


@attrs.define
class JudgeServer:
    base_url: str
    requests: list[list[dict[str, str]]] = attrs.field(factory=list)
    authorizations: list[str] = attrs.field(factory=list)

    @property
    def calls(self) -> int:
        return len(self.requests)


@contextmanager
def judge_server(reply: Reply) -> Iterator[JudgeServer]:
    """Serve `reply(messages)` at http://127.0.0.1:<free port>/v1 until the block ends."""
    from aiohttp import web

    port = find_free_port()
    server = JudgeServer(base_url=f"http://127.0.0.1:{port}/v1")
    ready = threading.Event()
    state: dict[str, Any] = {}

    async def chat(request: web.Request) -> web.Response:
        body = await request.json()
        messages = body.get("messages") or []
        server.requests.append(messages)
        server.authorizations.append(request.headers.get("Authorization", ""))
        text = reply(messages)
        return web.json_response({
            "id": f"judge-{len(server.requests)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model", "judge"),
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        })

    async def models(_request: web.Request) -> web.Response:
        return web.json_response({"object": "list", "data": [{"id": "judge", "object": "model"}]})

    async def main() -> None:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", chat)
        app.router.add_get("/v1/models", models)
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        stop = asyncio.Event()
        state["loop"], state["stop"] = asyncio.get_running_loop(), stop
        ready.set()
        await stop.wait()
        await runner.cleanup()

    thread = threading.Thread(target=lambda: asyncio.run(main()), daemon=True, name="judge-server")
    thread.start()
    if not ready.wait(10):
        raise RuntimeError("judge server did not start")
    try:
        yield server
    finally:
        state["loop"].call_soon_threadsafe(state["stop"].set)
        thread.join(10)


def last_user(messages: list[dict[str, str]]) -> str:
    users = [m["content"] for m in messages if m.get("role") == "user"]
    return users[0] if users else ""
