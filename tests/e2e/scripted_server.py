"""An OpenAI-compatible server on 127.0.0.1 whose answer depends on the question: a test's script.

``ScriptedServer(script)`` answers each chat or completion request with ``script(text, body)``,
where ``text`` is the last user message (or the prompt) and ``body`` the request's JSON:

* a ``str``: one choice with that text (repeated ``n`` times when the request asks for n > 1);
* a ``list[str]``: the choices, one per index (its length must be the request's ``n``);
* an ``int``: an HTTP error with that status (an OpenAI-style error body);
* a ``Reply``: one choice with its own ``reasoning_content``, ``finish_reason`` and token usage
  (``completion_tokens_details.reasoning_tokens`` too);
* a ``Calls``: one choice whose message carries ``tool_calls`` (name and arguments text each, the
  text sent as given, valid JSON or not), finish_reason "tool_calls".

A body with ``"stream": true`` is answered as server-sent events in OpenAI's chunk shape (role,
reasoning_content deltas, content deltas word by word, a finish_reason chunk, the usage chunk,
``[DONE]``); a ``Calls`` streams each call's id, type and name in its first ``delta.tool_calls``
and its arguments in pieces of ``Calls.piece`` characters spread over later chunks, the calls'
deltas interleaved when there are several. Runs in a thread with its own event loop; `requests` holds every (text, body) seen.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web


@dataclass
class Reply:
    """One scripted choice with what a reasoning model's answer carries beside its text."""

    text: str
    reasoning: str | None = None
    finish_reason: str = "stop"
    completion_tokens: int = 5
    reasoning_tokens: int = 0
    prompt_tokens: int = 5


@dataclass
class Calls:
    """One scripted choice that calls tools: (name, arguments as the text sent) per call."""

    calls: list[tuple[str, str]]
    piece: int = 7

    def message(self) -> dict:
        return {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {"id": f"call_{i}", "type": "function", "function": {"name": name, "arguments": args}}
                for i, (name, args) in enumerate(self.calls)
            ],
        }

    def deltas(self) -> list[dict]:
        """`delta.tool_calls` entries: heads first, then argument pieces, calls interleaved."""
        heads = [
            {"index": i, "id": f"call_{i}", "type": "function", "function": {"name": name, "arguments": ""}}
            for i, (name, _) in enumerate(self.calls)
        ]
        pieces = [
            [args[k : k + self.piece] for k in range(0, len(args), self.piece)] for _, args in self.calls
        ]
        out = list(heads)
        for step in range(max((len(p) for p in pieces), default=0)):
            for i, parts in enumerate(pieces):
                if step < len(parts):
                    out.append({"index": i, "function": {"arguments": parts[step]}})
        return out


Script = Callable[[str, dict], "str | list[str] | int | Reply | Calls"]


class ScriptedServer:
    def __init__(self, script: Script, model: str = "scripted") -> None:
        self.script = script
        self.model = model
        self.requests: list[tuple[str, dict]] = []
        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    async def answer(self, request: web.Request) -> web.Response:
        body = await request.json()
        chat = request.path.endswith("/chat/completions")
        text = (body["messages"][-1]["content"] or "") if chat else body["prompt"]
        self.requests.append((text, body))
        reply = self.script(text, body)
        if isinstance(reply, int):
            return web.json_response(
                {"error": {"message": f"scripted {reply}", "type": "server_error"}}, status=reply
            )
        if isinstance(reply, Reply):
            return await self._reply(request, body, reply, chat)
        if isinstance(reply, Calls):
            return await self._calls(request, body, reply)
        n = int(body.get("n") or 1)
        texts = [reply] * n if isinstance(reply, str) else list(reply)
        if len(texts) != n:
            return web.json_response(
                {"error": {"message": f"script gave {len(texts)} choices for n={n}"}}, status=400
            )
        choices = [
            {"index": i, "message": {"role": "assistant", "content": t}, "finish_reason": "stop"}
            if chat
            else {"index": i, "text": t, "finish_reason": "stop"}
            for i, t in enumerate(texts)
        ]
        return web.json_response(
            {
                "id": f"s-{len(self.requests)}",
                "object": "chat.completion" if chat else "text_completion",
                "created": 0,
                "model": self.model,
                "choices": choices,
                "usage": {"prompt_tokens": 5, "completion_tokens": 5 * n, "total_tokens": 5 + 5 * n},
            }
        )

    def _usage(self, reply: Reply) -> dict:
        usage: dict = {
            "prompt_tokens": reply.prompt_tokens,
            "completion_tokens": reply.completion_tokens,
            "total_tokens": reply.prompt_tokens + reply.completion_tokens,
        }
        if reply.reasoning_tokens:
            usage["completion_tokens_details"] = {"reasoning_tokens": reply.reasoning_tokens}
        return usage

    async def _reply(self, request: web.Request, body: dict, reply: Reply, chat: bool) -> web.StreamResponse:
        head = {"id": f"s-{len(self.requests)}", "created": 0, "model": self.model}
        if not body.get("stream"):
            if chat:
                message = {"role": "assistant", "content": reply.text}
                if reply.reasoning is not None:
                    message["reasoning_content"] = reply.reasoning
                choice = {"index": 0, "message": message, "finish_reason": reply.finish_reason}
            else:
                choice = {"index": 0, "text": reply.text, "finish_reason": reply.finish_reason}
            kind = "chat.completion" if chat else "text_completion"
            return web.json_response({**head, "object": kind, "choices": [choice], "usage": self._usage(reply)})
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        kind = "chat.completion.chunk" if chat else "text_completion"

        async def send(choices: list, usage: dict | None = None) -> None:
            chunk = {**head, "object": kind, "choices": choices, "usage": usage}
            await response.write(b"data: " + json.dumps(chunk).encode() + b"\n\n")

        def piece(delta: dict, finish: str | None = None) -> dict:
            if chat:
                return {"index": 0, "delta": delta, "finish_reason": finish}
            return {"index": 0, "text": delta.get("content", ""), "finish_reason": finish}

        if chat:
            await send([piece({"role": "assistant", "content": ""})])
            for word in (reply.reasoning or "").split(" ") if reply.reasoning else []:
                await send([piece({"reasoning_content": word + " "})])
        for word in reply.text.split(" ") if reply.text else []:
            await send([piece({"content": word + " "})])
        await send([piece({}, reply.finish_reason)])
        if (body.get("stream_options") or {}).get("include_usage"):
            await send([], self._usage(reply))
        await response.write(b"data: [DONE]\n\n")
        await response.write_eof()
        return response

    async def _calls(self, request: web.Request, body: dict, reply: Calls) -> web.StreamResponse:
        head = {"id": f"s-{len(self.requests)}", "created": 0, "model": self.model}
        usage = {"prompt_tokens": 5, "completion_tokens": 5, "total_tokens": 10}
        if not body.get("stream"):
            choice = {"index": 0, "message": reply.message(), "finish_reason": "tool_calls"}
            return web.json_response({**head, "object": "chat.completion", "choices": [choice], "usage": usage})
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)

        async def send(choices: list, usage: dict | None = None) -> None:
            chunk = {**head, "object": "chat.completion.chunk", "choices": choices, "usage": usage}
            await response.write(b"data: " + json.dumps(chunk).encode() + b"\n\n")

        await send([{"index": 0, "delta": {"role": "assistant", "content": None}, "finish_reason": None}])
        for delta in reply.deltas():
            await send([{"index": 0, "delta": {"tool_calls": [delta]}, "finish_reason": None}])
        await send([{"index": 0, "delta": {}, "finish_reason": "tool_calls"}])
        if (body.get("stream_options") or {}).get("include_usage"):
            await send([], usage)
        await response.write(b"data: [DONE]\n\n")
        await response.write_eof()
        return response

    async def models(self, request: web.Request) -> web.Response:
        return web.json_response({"object": "list", "data": [{"id": self.model, "object": "model"}]})

    def start(self) -> ScriptedServer:
        ready = threading.Event()

        def run() -> None:
            self._loop = asyncio.new_event_loop()
            app = web.Application(client_max_size=16 * 1024 * 1024)
            app.router.add_post("/v1/chat/completions", self.answer)
            app.router.add_post("/v1/completions", self.answer)
            app.router.add_get("/v1/models", self.models)
            self._runner = web.AppRunner(app)
            self._loop.run_until_complete(self._runner.setup())
            site = web.TCPSite(self._runner, "127.0.0.1", 0)
            self._loop.run_until_complete(site.start())
            self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
            ready.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=run, daemon=True, name="scripted-server")
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("scripted server did not start")
        return self

    def stop(self) -> None:
        if self._loop is None:
            return
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)  # type: ignore[union-attr]
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)  # type: ignore[union-attr]
        self._loop = None

    def __enter__(self) -> ScriptedServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
