"""A known-timing OpenAI-compatible streaming server, for tests and bench/ scripts.

Each streamed chat response sends a role-only chunk at once, then ``tokens`` content chunks
at ``recv + ttft + i*itl`` (absolute schedule), then a usage chunk and ``[DONE]``. The
server records, on the system-wide monotonic clock, when each request arrived (the kernel's
receive timestamp of its last packet, ``SO_TIMESTAMPNS``; ``recv_app`` is when the server's
loop got to it) and when its first content chunk was actually written; ``GET /stats``
returns them so a client's measurements can be compared with the truth.

Run: ``python -m evalscope.perf.mock_server --port 8000 --ttft-ms 50 --itl-ms 5 --tokens 16``.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import struct
import subprocess
import sys
import time
import urllib.request
from typing import Any

import attrs
import click

_perf = time.perf_counter


FAIL_BODY = '{"object": "error", "message": "mock failure"}'


@attrs.define
class MockConfig:
    ttft_ms: float = 50.0
    itl_ms: float = 5.0
    tokens: int = 16  # content chunks per response (capped by max_tokens)
    usage: bool = True  # honour stream_options.include_usage
    role_chunk: bool = True
    prompt_overhead: int = 0  # added to the counted prompt tokens (e.g. a chat template)
    model: str = "mock-model"
    fail_status: int = 0  # answer every /v1/ completion request with this status and fail_body instead
    fail_body: str = FAIL_BODY


def _count_prompt(body: dict[str, Any]) -> int:
    if "messages" in body:
        text = " ".join(str(m.get("content", "")) for m in body["messages"])
    else:
        text = str(body.get("prompt") or body.get("input") or "")
    return len(text.split())


class _Server(asyncio.Protocol):
    def __init__(self, cfg: MockConfig, stats: list) -> None:
        self.cfg = cfg
        self.stats = stats
        self.buf = b""
        self.transport: asyncio.Transport | None = None
        self.busy = False
        self.pending: list[tuple[bytes, bytes, float]] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # a TCP connection's transport is an asyncio.Transport

    def data_received(self, data: bytes, t: float | None = None) -> None:
        t_app = _perf()
        if t is None:
            t = t_app
        self.t_app = t_app
        self.buf += data
        while True:
            idx = self.buf.find(b"\r\n\r\n")
            if idx < 0:
                return
            head = self.buf[:idx]
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            end = idx + 4 + length
            if len(self.buf) < end:
                return
            body = self.buf[idx + 4 : end]
            self.buf = self.buf[end:]
            self.pending.append((head.split(b"\r\n", 1)[0], body, t))
            if not self.busy:
                self._next()

    def _next(self) -> None:
        if not self.pending or self.transport is None or self.transport.is_closing():
            self.busy = False
            return
        self.busy = True
        line, body, t = self.pending.pop(0)
        method, path = line.split(b" ")[:2]
        try:
            self._route(method, path.decode(), body, t)
        except Exception as exc:  # bad request: answer 400 and go on
            self._send_json({"error": repr(exc)}, 400)
            self._next()

    def _send_json(self, obj: Any, status: int = 200) -> None:
        data = json.dumps(obj).encode()
        reason = b"OK" if status == 200 else b"ERR"
        self.transport.write(  # type: ignore[union-attr]  # set by connection_made before any write
            b"HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
            % (status, reason, len(data), data)
        )

    def _route(self, method: bytes, path: str, raw: bytes, t: float) -> None:
        cfg = self.cfg
        if method == b"GET" and path == "/v1/models":
            self._send_json({"object": "list", "data": [{"id": cfg.model, "object": "model"}]})
            return self._next()
        if path == "/stats":
            self._send_json(self.stats)
            return self._next()
        if path == "/reset":
            self.stats.clear()
            self._send_json({"ok": True})
            return self._next()
        if cfg.fail_status and path.startswith("/v1/"):
            data = cfg.fail_body.encode()
            self.transport.write(  # type: ignore[union-attr]  # set by connection_made before any write
                b"HTTP/1.1 %d ERR\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
                % (cfg.fail_status, len(data), data)
            )
            return self._next()
        body = json.loads(raw or b"{}")
        prompt_tokens = _count_prompt(body) + cfg.prompt_overhead
        if path == "/v1/embeddings":
            self._send_json({"data": [{"embedding": [0.0] * 8, "index": 0}], "usage": {"prompt_tokens": prompt_tokens, "total_tokens": prompt_tokens}})
            self.stats.append({"recv": t, "first": _perf(), "end": _perf(), "n": 0})
            return self._next()
        chat = path == "/v1/chat/completions"
        if not chat and path != "/v1/completions":
            self._send_json({"error": f"no route {path}"}, 404)
            return self._next()
        n = min(int(body.get("max_tokens") or cfg.tokens), cfg.tokens)
        usage = {"prompt_tokens": prompt_tokens, "completion_tokens": n, "total_tokens": prompt_tokens + n}
        if not body.get("stream"):
            self._stream_or_full(t, chat, n, usage, stream=False, want_usage=True)
        else:
            want_usage = cfg.usage and bool((body.get("stream_options") or {}).get("include_usage"))
            self._stream_or_full(t, chat, n, usage, stream=True, want_usage=want_usage)

    def _stream_or_full(self, t: float, chat: bool, n: int, usage: dict, *, stream: bool, want_usage: bool) -> None:
        cfg = self.cfg
        loop = asyncio.get_running_loop()
        rec = {"recv": t, "recv_app": getattr(self, "t_app", t), "first": None, "end": None, "n": n}
        self.stats.append(rec)
        obj = "chat.completion.chunk" if chat else "text_completion"

        def chunk(i: int) -> bytes:
            piece = f" tok{i}"
            choice = {"index": 0, "delta": {"content": piece}} if chat else {"index": 0, "text": piece}
            return _sse({"id": "m", "object": obj, "choices": [choice]})

        delay = (cfg.ttft_ms + cfg.itl_ms * max(0, n - 1)) / 1000.0
        if not stream:
            text = "".join(f" tok{i}" for i in range(n))
            choice = {"index": 0, "message": {"role": "assistant", "content": text}} if chat else {"index": 0, "text": text}

            def full() -> None:
                rec["first"] = rec["end"] = _perf()
                self._send_json({"id": "m", "choices": [choice], "usage": usage})
                self._next()

            if delay <= 0:
                full()
            else:
                loop.call_at(loop.time() + delay - (_perf() - t), full)
            return
        w = self.transport.write  # type: ignore[union-attr]  # set by connection_made before any write
        head = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
        first = b""
        if chat and cfg.role_chunk:
            first = _sse({"id": "m", "object": obj, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}]})
        tail = b""
        if want_usage:
            tail += _sse({"id": "m", "object": obj, "choices": [], "usage": usage})
        tail += b"data: [DONE]\n\n"
        if cfg.ttft_ms <= 0 and cfg.itl_ms <= 0:  # zero-delay: one (cached) write
            key = (chat, n, want_usage, usage["prompt_tokens"])
            data = _ZERO_CACHE.get(key)
            if data is None:
                payload = first + b"".join(chunk(i) for i in range(n)) + tail
                data = _ZERO_CACHE[key] = head + _chunked(payload) + b"0\r\n\r\n"
            now = _perf()
            rec["first"] = rec["end"] = now
            w(data)
            return self._next()
        w(head + (_chunked(first) if first else b""))
        base = loop.time() - (_perf() - t)  # loop clock at receipt

        def send(i: int) -> None:
            if self.transport is None or self.transport.is_closing():
                return
            if i == 0:
                rec["first"] = _perf()
            data = chunk(i)
            if i == n - 1:
                w(_chunked(data + tail) + b"0\r\n\r\n")
                rec["end"] = _perf()
                self._next()
            else:
                w(_chunked(data))

        if n == 0:
            w(_chunked(tail) + b"0\r\n\r\n")
            rec["first"] = rec["end"] = _perf()
            return self._next()
        for i in range(n):
            loop.call_at(base + (cfg.ttft_ms + cfg.itl_ms * i) / 1000.0, send, i)


_ZERO_CACHE: dict[tuple, bytes] = {}


def _sse(obj: dict) -> bytes:
    return b"data: " + json.dumps(obj, separators=(",", ":")).encode() + b"\n\n"


def _chunked(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


class _RawTransport:
    """Just enough of an asyncio transport over a socket read with ``recvmsg`` (kernel stamps)."""

    def __init__(self, loop: asyncio.AbstractEventLoop, sock: socket.socket, proto: _Server, offset: float) -> None:
        self.loop = loop
        self.sock = sock
        self.fd = sock.fileno()
        self.proto = proto
        self.offset = offset
        self.out = bytearray()
        self.closing = False
        sock.setblocking(False)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            sock.setsockopt(socket.SOL_SOCKET, _SO_TIMESTAMPNS, 1)
        except OSError:
            pass
        proto.connection_made(self)  # type: ignore[arg-type]  # this socket wrapper offers the transport methods the protocol uses
        loop.add_reader(self.fd, self._read)

    def _read(self) -> None:
        try:
            data, anc, _, _ = self.sock.recvmsg(262144, 64)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            self.close()
            return
        now = _perf()
        t = now
        if anc:
            sec, nsec = struct.unpack_from("@qq", anc[0][2])
            k = sec + nsec * 1e-9 - self.offset
            if now - 60.0 < k < now:
                t = k
        if not data:
            self.close()
            return
        self.proto.data_received(data, t)

    def write(self, data: bytes) -> None:
        if self.closing:
            return
        if self.out:
            self.out += data
            return
        try:
            n = self.sock.send(data)
        except (BlockingIOError, InterruptedError):
            n = 0
        except OSError:
            self.close()
            return
        if n < len(data):
            self.out += data[n:]
            self.loop.add_writer(self.fd, self._write)

    def _write(self) -> None:
        try:
            n = self.sock.send(self.out)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            self.close()
            return
        del self.out[:n]
        if not self.out:
            self.loop.remove_writer(self.fd)

    def is_closing(self) -> bool:
        return self.closing

    def close(self) -> None:
        if self.closing:
            return
        self.closing = True
        self.loop.remove_reader(self.fd)
        if self.out:
            self.loop.remove_writer(self.fd)
        self.sock.close()


_SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)


async def serve(cfg: MockConfig, host: str, port: int) -> None:
    from evalscope.core.net.http import clock_offset

    stats: list = []
    loop = asyncio.get_running_loop()
    offset = clock_offset()
    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind((host, port))
    lsock.listen(4096)
    lsock.setblocking(False)
    conns: set[_RawTransport] = set()

    def accept() -> None:
        while True:
            try:
                sock, _ = lsock.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                return
            conns.add(_RawTransport(loop, sock, _Server(cfg, stats), offset))
            if len(conns) > 8192:
                for c in [c for c in conns if c.closing]:
                    conns.discard(c)

    loop.add_reader(lsock.fileno(), accept)
    try:
        await asyncio.Event().wait()
    finally:
        loop.remove_reader(lsock.fileno())
        lsock.close()


@click.command()
@click.option("--host", default="127.0.0.1")
@click.option("--port", type=int, required=True)
@click.option("--ttft-ms", type=float, default=50.0)
@click.option("--itl-ms", type=float, default=5.0)
@click.option("--tokens", type=int, default=16)
@click.option("--no-usage", is_flag=True)
@click.option("--no-role-chunk", is_flag=True)
@click.option("--prompt-overhead", type=int, default=0)
@click.option("--fail-status", type=int, default=0, help="Answer every /v1/ request with this status.")
@click.option("--fail-body", default=FAIL_BODY, help="The body of those failures.")
@click.option("--uvloop/--no-uvloop", default=True)
def main(host, port, ttft_ms, itl_ms, tokens, no_usage, no_role_chunk, prompt_overhead, fail_status, fail_body,
         uvloop) -> None:
    cfg = MockConfig(ttft_ms, itl_ms, tokens, not no_usage, not no_role_chunk, prompt_overhead,
                     fail_status=fail_status, fail_body=fail_body)
    if uvloop:
        try:
            import uvloop as _uv

            _uv.install()
        except ImportError:
            pass
    asyncio.run(serve(cfg, host, port))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class MockServerProcess:
    """Context manager: run the mock server in a child process on a free loopback port."""

    def __init__(self, cpus: set[int] | None = None, **options: Any) -> None:
        self.port = free_port()
        self.options = options
        self.cpus = cpus  # pin the server to these CPUs (os.sched_setaffinity)
        self.proc: subprocess.Popen | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> MockServerProcess:
        args = [sys.executable, "-m", "evalscope.perf.mock_server", "--port", str(self.port)]
        for k, v in self.options.items():
            flag = "--" + k.replace("_", "-")
            if v is True:
                args.append(flag)
            elif v is not False and v is not None:
                args += [flag, str(v)]
        self.proc = subprocess.Popen(args)
        if self.cpus:
            os.sched_setaffinity(self.proc.pid, self.cpus)
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                urllib.request.urlopen(self.base_url + "/v1/models", timeout=1).read()
                return self
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError("mock server exited") from None
                time.sleep(0.05)
        raise RuntimeError("mock server did not start")

    def stats(self) -> list[dict]:
        return json.loads(urllib.request.urlopen(self.base_url + "/stats", timeout=10).read())

    def reset(self) -> None:
        urllib.request.urlopen(urllib.request.Request(self.base_url + "/reset", method="POST"), timeout=10).read()

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


if __name__ == "__main__":
    main()
