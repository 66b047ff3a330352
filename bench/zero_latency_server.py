"""An OpenAI-compatible server that answers instantly with a fixed short reply (bench helper).

Serves /v1/models, /v1/chat/completions and /v1/completions, streaming (SSE with a final usage
chunk when asked) and not. GET /stats returns how many requests it answered and how much time
its handlers and its process spent, so a client benchmark can subtract the server's share.

Run:  python bench/zero_latency_server.py --port 8001 [--reply "The answer is 42."]
Embed: ``ZeroServer(port).start()`` runs it in a subprocess; ``stats()`` / ``stop()``.
Binds 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

DEFAULT_REPLY = "Let me think. The answer is 42.\n#### 42"


def make_app(reply: str, model: str = "zero"):  # type: ignore[no-untyped-def]
    from aiohttp import web

    words = reply.split(" ")
    pieces = [w + (" " if i < len(words) - 1 else "") for i, w in enumerate(words)]
    completion_tokens = len(pieces)
    stats = {"requests": 0, "handler_seconds": 0.0, "bytes_in": 0}

    def usage(prompt_tokens: int) -> dict:
        return {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        }

    async def answer(request: web.Request) -> web.StreamResponse:
        start = time.perf_counter()
        raw = await request.read()
        body = json.loads(raw)
        chat = request.path.endswith("/chat/completions")
        prompt_tokens = len(raw) // 4  # a stand-in; no tokenizer on the hot path
        created = int(time.time())
        base = {"id": "zero-1", "created": created, "model": body.get("model", model)}
        try:
            if not body.get("stream"):
                if chat:
                    choice = {
                        "index": 0,
                        "message": {"role": "assistant", "content": reply},
                        "finish_reason": "stop",
                    }
                    obj = "chat.completion"
                else:
                    choice = {"index": 0, "text": reply, "finish_reason": "stop"}
                    obj = "text_completion"
                return web.json_response(
                    {**base, "object": obj, "choices": [choice], "usage": usage(prompt_tokens)}
                )
            include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
            obj = "chat.completion.chunk" if chat else "text_completion"
            resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
            await resp.prepare(request)
            events = []
            if chat:
                events.append(
                    {"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}
                )
                events += [{"index": 0, "delta": {"content": p}, "finish_reason": None} for p in pieces]
                events.append({"index": 0, "delta": {}, "finish_reason": "stop"})
            else:
                events += [{"index": 0, "text": p, "finish_reason": None} for p in pieces]
                events.append({"index": 0, "text": "", "finish_reason": "stop"})
            out = [json.dumps({**base, "object": obj, "choices": [c]}) for c in events]
            if include_usage:
                out.append(json.dumps({**base, "object": obj, "choices": [], "usage": usage(prompt_tokens)}))
            out.append("[DONE]")
            await resp.write("".join(f"data: {o}\n\n" for o in out).encode())
            await resp.write_eof()
            return resp
        finally:
            stats["requests"] += 1
            stats["bytes_in"] += len(raw)
            stats["handler_seconds"] += time.perf_counter() - start

    async def models(request: web.Request) -> web.Response:
        return web.json_response(
            {"object": "list", "data": [{"id": model, "object": "model", "owned_by": "bench"}]}
        )

    async def get_stats(request: web.Request) -> web.Response:
        cpu = os.times()
        return web.json_response({**stats, "cpu_seconds": cpu.user + cpu.system})

    async def reset(request: web.Request) -> web.Response:
        stats.update(requests=0, handler_seconds=0.0, bytes_in=0)
        return web.json_response({"ok": True})

    app = web.Application(client_max_size=64 * 1024 * 1024)
    app.router.add_get("/v1/models", models)
    app.router.add_post("/v1/chat/completions", answer)
    app.router.add_post("/v1/completions", answer)
    app.router.add_get("/stats", get_stats)
    app.router.add_post("/stats/reset", reset)
    return app


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ZeroServer:
    """The server in a subprocess on 127.0.0.1 (so its CPU is not the client's)."""

    def __init__(self, port: int | None = None, reply: str = DEFAULT_REPLY) -> None:
        self.port = port or free_port()
        self.reply = reply
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> ZeroServer:
        cmd = [sys.executable, __file__, "--port", str(self.port), "--reply", self.reply]
        self.process = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/v1/models", timeout=1):
                    return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("zero-latency server did not start")

    def stats(self) -> dict:
        with urllib.request.urlopen(f"{self.url}/stats", timeout=5) as r:
            return json.load(r)

    def reset(self) -> None:
        urllib.request.urlopen(
            urllib.request.Request(f"{self.url}/stats/reset", data=b"{}"), timeout=5
        ).close()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)

    def __enter__(self) -> ZeroServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--reply", default=DEFAULT_REPLY)
    parser.add_argument("--model", default="zero")
    args = parser.parse_args()
    from aiohttp import web

    web.run_app(
        make_app(args.reply, args.model), host="127.0.0.1", port=args.port, access_log=None, print=None
    )


if __name__ == "__main__":
    main()
