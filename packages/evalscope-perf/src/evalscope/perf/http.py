"""A minimal HTTP/1.1 client over asyncio protocols, built for low per-request CPU.

It does only what a load tester needs: keep-alive connection pool, one request per
connection at a time, ``Content-Length``/chunked/until-close bodies, and a callback for each
body piece together with the ``perf_counter`` time its bytes arrived.
"""

from __future__ import annotations

import asyncio
import ssl as _ssl
import time
from collections.abc import Callable
from urllib.parse import urlsplit

import attrs

_perf = time.perf_counter

BodyCallback = Callable[[bytes, float], None]


class HttpError(Exception):
    """Transport-level failure (connect, reset, timeout, malformed response)."""


@attrs.frozen
class Target:
    """Where requests go."""

    host: str
    port: int
    path: str
    tls: bool

    @classmethod
    def from_url(cls, url: str) -> Target:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise ValueError(f"unsupported URL scheme in {url!r}")
        tls = parts.scheme == "https"
        port = parts.port or (443 if tls else 80)
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        return cls(parts.hostname or "127.0.0.1", port, path, tls)

    def request_head(self, method: str, headers: dict[str, str], path: str | None = None) -> bytes:
        """Request line and fixed headers, without Content-Length and the final CRLF."""
        host = self.host if self.port in (80, 443) else f"{self.host}:{self.port}"
        lines = [f"{method} {path or self.path} HTTP/1.1", f"Host: {host}"]
        for k, v in headers.items():
            lines.append(f"{k}: {v}")
        return ("\r\n".join(lines) + "\r\n").encode("latin-1")


class Response:
    """Incremental HTTP/1.1 response parser bound to one request."""

    __slots__ = (
        "on_body", "done", "status", "first_byte", "end", "keep_alive", "_state", "_buf",
        "_remaining", "_head", "body", "_collect",
    )

    def __init__(self, on_body: BodyCallback | None, done: asyncio.Future, collect: bool) -> None:
        self.on_body = on_body
        self.done = done
        self.status = 0
        self.first_byte = 0.0
        self.end = 0.0
        self.keep_alive = True
        self._state = 0  # 0 head, 1 content-length, 2 chunked size, 3 chunked data, 4 chunk CRLF, 5 trailers, 6 until close, 7 done
        self._buf = b""
        self._remaining = 0
        self.body: list[bytes] = []
        self._collect = collect

    # -- feeding ------------------------------------------------------------------
    def feed(self, data: bytes, t: float) -> None:
        if self._state == 0:
            if not self.first_byte:
                self.first_byte = t
            data = self._buf + data
            idx = data.find(b"\r\n\r\n")
            if idx < 0:
                self._buf = data
                return
            self._buf = b""
            self._parse_head(data[:idx])
            data = data[idx + 4 :]
        if self._state == 1:
            self._emit(data[: self._remaining], t)
            self._remaining -= min(len(data), self._remaining)
            if self._remaining <= 0:
                self._finish(t)
            return
        if self._state == 6:
            self._emit(data, t)
            return
        if self._state in (2, 3, 4, 5):
            self._feed_chunked(data, t)

    def _emit(self, piece: bytes, t: float) -> None:
        if not piece:
            return
        if self._collect:
            self.body.append(piece)
        if self.on_body is not None:
            self.on_body(piece, t)

    def _parse_head(self, head: bytes) -> None:
        lines = head.split(b"\r\n")
        try:
            version, code = lines[0].split(b" ", 2)[:2]
            self.status = int(code)
        except ValueError as exc:
            raise HttpError(f"malformed status line {lines[0][:80]!r}") from exc
        length = None
        chunked = False
        if version == b"HTTP/1.0":
            self.keep_alive = False
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value.strip())
            elif name == b"transfer-encoding":
                chunked = b"chunked" in value.lower()
            elif name == b"connection":
                v = value.strip().lower()
                if v == b"close":
                    self.keep_alive = False
                elif v == b"keep-alive":
                    self.keep_alive = True
        if chunked:
            self._state = 2
        elif length is not None:
            self._state = 1
            self._remaining = length
            if length == 0:
                self._finish(self.first_byte)
        else:
            self._state = 6
            self.keep_alive = False

    def _feed_chunked(self, data: bytes, t: float) -> None:
        buf = self._buf + data if self._buf else data
        self._buf = b""
        pos = 0
        n = len(buf)
        out: list[bytes] = []
        while pos < n:
            st = self._state
            if st == 3:
                take = min(self._remaining, n - pos)
                out.append(buf[pos : pos + take])
                pos += take
                self._remaining -= take
                if self._remaining == 0:
                    self._state = 4
            elif st == 4:
                if n - pos < 2:
                    break
                pos += 2
                self._state = 2
            elif st == 2:
                idx = buf.find(b"\r\n", pos)
                if idx < 0:
                    break
                size = int(buf[pos:idx].split(b";", 1)[0], 16)
                pos = idx + 2
                if size == 0:
                    self._state = 5
                else:
                    self._remaining = size
                    self._state = 3
            elif st == 5:
                idx = buf.find(b"\r\n", pos)
                if idx < 0:
                    break
                if idx == pos:  # empty line ends the trailers
                    pos += 2
                    if out:
                        self._emit(b"".join(out), t)
                        out = []
                    self._finish(t)
                    return
                pos = idx + 2
            else:
                break
        self._buf = buf[pos:]
        if out:
            self._emit(b"".join(out) if len(out) > 1 else out[0], t)

    def _finish(self, t: float) -> None:
        if self._state == 7:
            return
        self._state = 7
        self.end = t
        if not self.done.done():
            self.done.set_result(self)

    def closed(self, t: float, exc: Exception | None) -> None:
        if self._state == 6:
            self._finish(t)
        elif self._state != 7 and not self.done.done():
            self.done.set_exception(HttpError(f"connection closed mid-response ({exc or 'EOF'})"))


class _Conn(asyncio.Protocol):
    __slots__ = ("transport", "response", "closed", "pool")

    def __init__(self, pool: Pool) -> None:
        self.transport: asyncio.Transport | None = None
        self.response: Response | None = None
        self.closed = False
        self.pool = pool

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        t = _perf()
        r = self.response
        if r is None:
            return
        try:
            r.feed(data, t)
        except Exception as exc:  # malformed response: fail this request, drop the socket
            if not r.done.done():
                r.done.set_exception(exc if isinstance(exc, HttpError) else HttpError(repr(exc)))
            self.closed = True
            if self.transport is not None:
                self.transport.close()

    def eof_received(self) -> bool | None:
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        r = self.response
        if r is not None:
            r.closed(_perf(), exc)


class Pool:
    """Keep-alive connections to one target; a connection serves one request at a time."""

    def __init__(self, target: Target, connect_timeout: float | None = 30.0) -> None:
        self.target = target
        self.connect_timeout = connect_timeout
        self._idle: list[_Conn] = []
        self._ssl = _ssl.create_default_context() if target.tls else None
        self._all: set[_Conn] = set()

    async def _connect(self) -> _Conn:
        loop = asyncio.get_running_loop()
        coro = loop.create_connection(
            lambda: _Conn(self), self.target.host, self.target.port, ssl=self._ssl
        )
        try:
            if self.connect_timeout:
                _, conn = await asyncio.wait_for(coro, self.connect_timeout)
            else:
                _, conn = await coro
        except (OSError, asyncio.TimeoutError) as exc:
            raise HttpError(f"connect failed: {exc!r}") from exc
        self._all.add(conn)
        return conn  # type: ignore[return-value]

    async def request(
        self,
        payload: bytes,
        on_body: BodyCallback | None = None,
        *,
        timeout: float | None = None,
        collect: bool = False,
        on_sent: Callable[[float], None] | None = None,
    ) -> Response:
        """Send ``payload`` (complete request bytes) and wait for the full response."""
        conn = None
        while self._idle:
            c = self._idle.pop()
            if not c.closed and c.transport is not None and not c.transport.is_closing():
                conn = c
                break
        if conn is None:
            conn = await self._connect()
        loop = asyncio.get_running_loop()
        done = loop.create_future()
        resp = Response(on_body, done, collect)
        conn.response = resp
        t_sent = _perf()
        conn.transport.write(payload)  # type: ignore[union-attr]
        if on_sent is not None:
            on_sent(t_sent)
        handle = None
        if timeout:
            handle = loop.call_later(timeout, _expire, done, timeout)
        try:
            await done
        except BaseException:
            conn.response = None
            conn.closed = True
            if conn.transport is not None:
                conn.transport.close()
            self._all.discard(conn)
            raise
        finally:
            if handle is not None:
                handle.cancel()
        conn.response = None
        if resp.keep_alive and not conn.closed:
            self._idle.append(conn)
        else:
            self._all.discard(conn)
            if conn.transport is not None:
                conn.transport.close()
        return resp

    def close(self) -> None:
        for c in list(self._all):
            if c.transport is not None:
                c.transport.close()
        self._all.clear()
        self._idle.clear()


def _expire(done: asyncio.Future, timeout: float) -> None:
    if not done.done():
        done.set_exception(HttpError(f"request timed out after {timeout:g} s"))


def build_request(head: bytes, body: bytes) -> bytes:
    """Complete request bytes from a :meth:`Target.request_head` and a body."""
    return head + b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
