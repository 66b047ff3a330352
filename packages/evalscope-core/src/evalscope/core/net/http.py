"""A minimal HTTP/1.1 client over asyncio, built for low per-request CPU (stdlib only).

Shared by the load tester (`evalscope.perf`) and the OpenAI-compatible provider
(`evalscope.backends.openai_api`): a keep-alive connection pool per target (one request per
connection at a time; use a pool from one event loop only), ``Content-Length``/chunked/until-close
bodies, response headers, TLS for https targets, and a callback for each body piece together with
the ``perf_counter`` time its bytes arrived. It does not speak to HTTP proxies.

Timeouts: ``Pool(connect_timeout=...)`` limits connecting (:class:`ConnectTimeout`; the request
was not sent); ``request(timeout=...)`` limits waiting for the whole response and
``request(idle_timeout=...)`` the silence between body pieces (both :class:`ReadTimeout`).
A kept-alive connection that the server closed before answering (nothing of the response
arrived) is replaced by a fresh one and the request sent again, once.

Arrival times: on Linux, plain-TCP connections read with ``recvmsg`` and ``SO_TIMESTAMPNS``,
so each read carries the time the kernel received its last packet, converted to the
``perf_counter`` clock. A busy client loop then delays the *processing* of a response, not its
timestamp. Elsewhere (and for TLS) the time is taken when the read callback runs.
"""

from __future__ import annotations

import asyncio
import socket
import ssl as _ssl
import struct
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

_perf = time.perf_counter
T = TypeVar("T")

BodyCallback = Callable[[bytes, float], None]

_SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35) if sys.platform.startswith("linux") else None
_TS = struct.Struct("@qq")  # struct timespec on 64-bit Linux
_RECV_SIZE = 65536
_ANC_SIZE = 64
MAX_DELAY_SAMPLES = 100_000


def clock_offset() -> float:
    """``time.time() − perf_counter()`` from the tightest of a few paired readings."""
    best = (1.0, 0.0)
    for _ in range(25):
        a = _perf()
        w = time.time()
        b = _perf()
        if b - a < best[0]:
            best = (b - a, w - (a + b) / 2)
    return best[1]


class HttpError(Exception):
    """Transport-level failure (connect, reset, timeout, malformed response)."""


class ConnectError(HttpError):
    """Connecting failed: the request was not sent."""


class ConnectTimeout(ConnectError):
    """Connecting took longer than the pool's ``connect_timeout``: the request was not sent."""


class ReadTimeout(HttpError):
    """The request was sent but its response (or the next piece of it) did not come in time."""

    def __init__(self, message: str, *, seconds: float, idle: bool) -> None:
        super().__init__(message)
        self.seconds = seconds
        self.idle = idle


class StaleConnection(HttpError):
    """A reused connection closed before any byte of the response came (safe to send again)."""


@dataclass(frozen=True)
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
        "on_body",
        "done",
        "status",
        "first_byte",
        "end",
        "keep_alive",
        "_state",
        "_buf",
        "_remaining",
        "_head",
        "body",
        "_collect",
        "headers",
        "last",
    )

    def __init__(self, on_body: BodyCallback | None, done: asyncio.Future[Response], collect: bool) -> None:
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
        #: response headers, names lower-cased (a repeated header keeps its last value)
        self.headers: dict[str, str] = {}
        #: arrival time of the latest bytes (0 before any)
        self.last = 0.0

    # -- feeding ------------------------------------------------------------------
    def feed(self, data: bytes, t: float) -> None:
        self.last = t
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
        if self.status != 200:  # an error body is kept for the record, not parsed as a stream
            self._collect = True
            self.on_body = None
        length = None
        chunked = False
        if version == b"HTTP/1.0":
            self.keep_alive = False
        headers = self.headers
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            headers[name.decode("latin-1")] = value.strip().decode("latin-1")
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
        if self._state == 2 and not self._buf:  # common: the read is exactly one whole chunk
            idx = data.find(b"\r\n", 0, 18)
            if idx > 0 and b";" not in data[:idx]:
                size = int(data[:idx], 16)
                end = idx + 2 + size
                if size and len(data) == end + 2 and data.endswith(b"\r\n"):
                    self._emit(data[idx + 2 : end], t)
                    return
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
                line = buf[pos:idx]
                size = int(line.split(b";", 1)[0] if b";" in line else line, 16)
                pos = idx + 2
                if size == 0:
                    self._state = 5
                elif pos + size + 2 <= n and buf[pos + size : pos + size + 2] == b"\r\n":  # whole chunk here
                    out.append(buf[pos : pos + size])
                    pos += size + 2
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
            if not self.first_byte:
                self.done.set_exception(
                    StaleConnection(f"connection closed before the response ({exc or 'EOF'})")
                )
            else:
                self.done.set_exception(HttpError(f"connection closed mid-response ({exc or 'EOF'})"))


def _fail(r: Response, exc: Exception) -> None:
    if not r.done.done():
        r.done.set_exception(exc if isinstance(exc, HttpError) else HttpError(repr(exc)))


def _deliver(conn: _Conn | _RawConn, data: bytes, t: float) -> None:
    """Feed a read to the connection's response; a malformed response fails that request and
    drops the socket."""
    r = conn.response
    if r is None:
        return
    try:
        r.feed(data, t)
    except Exception as exc:  # malformed response: fail this request, drop the socket
        _fail(r, exc)
        conn.close()


class _Conn(asyncio.Protocol):
    """Connection over an asyncio transport (TLS, non-Linux): arrival time = callback time."""

    __slots__ = ("transport", "response", "closed", "pool")

    def __init__(self, pool: Pool) -> None:
        self.transport: asyncio.Transport | None = None
        self.response: Response | None = None
        self.closed = False
        self.pool = pool

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # a TCP connection's transport is an asyncio.Transport

    def data_received(self, data: bytes) -> None:
        _deliver(self, data, _perf())

    def eof_received(self) -> bool | None:
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        r = self.response
        if r is not None:
            r.closed(_perf(), exc)

    def usable(self) -> bool:
        return not self.closed and self.transport is not None and not self.transport.is_closing()

    def write(self, payload: bytes) -> None:
        self.transport.write(payload)  # type: ignore[union-attr]  # set by connection_made before any send

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()


class _RawConn:
    """Plain-TCP connection read with ``recvmsg``: arrival time = the kernel's receive stamp."""

    __slots__ = ("sock", "fd", "loop", "response", "closed", "pool", "_out")

    def __init__(self, pool: Pool, sock: socket.socket, loop: asyncio.AbstractEventLoop) -> None:
        self.sock = sock
        self.fd = sock.fileno()
        self.loop = loop
        self.response: Response | None = None
        self.closed = False
        self.pool = pool
        self._out: memoryview | None = None
        loop.add_reader(self.fd, self._on_read)

    def _on_read(self) -> None:
        try:
            data, anc, _flags, _addr = self.sock.recvmsg(_RECV_SIZE, _ANC_SIZE)
        except (BlockingIOError, InterruptedError):
            return
        except OSError as exc:
            self._lost(exc)
            return
        now = _perf()
        t = now
        if anc:
            sec, nsec = _TS.unpack_from(anc[0][2])
            k = sec + nsec * 1e-9 - self.pool.clock_offset
            if now - 60.0 < k < now:
                t = k
                delays = self.pool.read_delays
                if len(delays) < MAX_DELAY_SAMPLES:
                    delays.append(now - k)
        if not data:
            self._lost(None)
            return
        _deliver(self, data, t)

    def write(self, payload: bytes) -> None:
        try:
            n = self.sock.send(payload)
        except (BlockingIOError, InterruptedError):
            n = 0
        except OSError as exc:
            self.close()
            raise HttpError(f"send failed: {exc!r}") from exc
        if n < len(payload):
            self._out = memoryview(payload)[n:]
            self.loop.add_writer(self.fd, self._on_write)

    def _on_write(self) -> None:
        out = self._out
        if out is None:
            return
        try:
            n = self.sock.send(out)
        except (BlockingIOError, InterruptedError):
            return
        except OSError as exc:
            self._lost(exc)
            return
        out = out[n:]
        if len(out):
            self._out = out
        else:
            self._out = None
            self.loop.remove_writer(self.fd)

    def usable(self) -> bool:
        return not self.closed

    def close(self) -> None:
        self.closed = True
        if self.fd >= 0:
            self.loop.remove_reader(self.fd)
            if self._out is not None:
                self.loop.remove_writer(self.fd)
                self._out = None
            self.fd = -1
            self.sock.close()

    def _lost(self, exc: Exception | None) -> None:
        self.close()
        r = self.response
        if r is not None:
            r.closed(_perf(), exc)


class Pool:
    """Keep-alive connections to one target; a connection serves one request at a time."""

    def __init__(
        self, target: Target, connect_timeout: float | None = 30.0, kernel_stamps: bool = True
    ) -> None:
        self.target = target
        self.connect_timeout = connect_timeout
        self._idle: list[_Conn | _RawConn] = []
        self._ssl = _ssl.create_default_context() if target.tls else None
        self._all: set[_Conn | _RawConn] = set()
        self.raw = kernel_stamps and not target.tls and _SO_TIMESTAMPNS is not None
        self.clock_offset = clock_offset() if self.raw else 0.0
        self.read_delays: list[float] = []  # processing delay after kernel arrival, per read (sampled)
        self._addr: tuple[Any, ...] | None = None

    async def _connect(self) -> _Conn | _RawConn:
        loop = asyncio.get_running_loop()
        try:
            conn: _Conn | _RawConn
            if self.raw:
                conn = await self._wait(self._connect_raw(loop))
            else:
                coro = loop.create_connection(
                    lambda: _Conn(self), self.target.host, self.target.port, ssl=self._ssl
                )
                _, conn = await self._wait(coro)
        except (asyncio.TimeoutError, TimeoutError) as exc:
            raise ConnectTimeout(f"connect timed out after {self.connect_timeout:g} s") from exc
        except OSError as exc:
            raise ConnectError(f"connect failed: {exc!r}") from exc
        self._all.add(conn)
        return conn

    async def _wait(self, coro: Awaitable[T]) -> T:
        if self.connect_timeout:
            return await asyncio.wait_for(coro, self.connect_timeout)
        return await coro

    async def _connect_raw(self, loop: asyncio.AbstractEventLoop) -> _RawConn:
        if self._addr is None:
            infos = await loop.getaddrinfo(self.target.host, self.target.port, type=socket.SOCK_STREAM)
            self._addr = infos[0]
        family, type_, proto, _, addr = self._addr
        sock = socket.socket(family, type_, proto)
        try:
            sock.setblocking(False)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.setsockopt(socket.SOL_SOCKET, _SO_TIMESTAMPNS, 1)  # type: ignore[arg-type]  # only reached on Linux, where the option is an int
            await loop.sock_connect(sock, addr)
        except BaseException:
            sock.close()
            raise
        return _RawConn(self, sock, loop)

    async def request(
        self,
        payload: bytes,
        on_body: BodyCallback | None = None,
        *,
        timeout: float | None = None,
        collect: bool = False,
        on_sent: Callable[[float], None] | None = None,
        idle_timeout: float | None = None,
    ) -> Response:
        """Send ``payload`` (complete request bytes) and wait for the full response.

        ``timeout``: limit on the whole response; ``idle_timeout``: on the silence between its
        pieces (from sending to the first byte, then between reads). Either raises ReadTimeout.
        """
        conn = None
        while self._idle:
            c = self._idle.pop()
            if c.usable():
                conn = c
                break
            self._all.discard(c)
        if conn is None:
            return await self._send(
                await self._connect(), payload, on_body, timeout, collect, on_sent, idle_timeout
            )
        try:
            return await self._send(conn, payload, on_body, timeout, collect, on_sent, idle_timeout)
        except StaleConnection:  # the server closed the kept-alive connection: a fresh one, once
            return await self._send(
                await self._connect(), payload, on_body, timeout, collect, on_sent, idle_timeout
            )

    async def _send(
        self,
        conn: _Conn | _RawConn,
        payload: bytes,
        on_body: BodyCallback | None,
        timeout: float | None,
        collect: bool,
        on_sent: Callable[[float], None] | None,
        idle_timeout: float | None,
    ) -> Response:
        loop = asyncio.get_running_loop()
        done = loop.create_future()
        resp = Response(on_body, done, collect)
        conn.response = resp
        t_sent = _perf()
        try:
            conn.write(payload)
        except HttpError as exc:
            conn.response = None
            self._all.discard(conn)
            raise StaleConnection(str(exc)) from exc
        if on_sent is not None:
            on_sent(t_sent)
        handle = idle = None
        if timeout:
            handle = loop.call_later(timeout, _expire, done, timeout)
        if idle_timeout:
            idle = _Idle(loop, resp, idle_timeout, t_sent)
        try:
            await done
        except BaseException:
            conn.response = None
            conn.close()
            self._all.discard(conn)
            raise
        finally:
            if handle is not None:
                handle.cancel()
            if idle is not None:
                idle.cancel()
        conn.response = None
        if resp.keep_alive and conn.usable():
            self._idle.append(conn)
        else:
            self._all.discard(conn)
            conn.close()
        return resp

    def close(self) -> None:
        for c in list(self._all):
            c.close()
        self._all.clear()
        self._idle.clear()


def _expire(done: asyncio.Future[Response], timeout: float) -> None:
    if not done.done():
        done.set_exception(ReadTimeout(f"request timed out after {timeout:g} s", seconds=timeout, idle=False))


class _Idle:
    """Fails a response when no bytes of it arrive for ``seconds`` (one timer, re-armed lazily)."""

    __slots__ = ("loop", "resp", "seconds", "since", "handle")

    def __init__(self, loop: asyncio.AbstractEventLoop, resp: Response, seconds: float, since: float) -> None:
        self.loop, self.resp, self.seconds, self.since = loop, resp, seconds, since
        self.handle = loop.call_later(seconds, self._check)

    def _check(self) -> None:
        resp = self.resp
        if resp.done.done():
            return
        silent = _perf() - max(resp.last, self.since)
        if silent >= self.seconds * 0.999:
            resp.done.set_exception(
                ReadTimeout(f"no data for {self.seconds:g} s", seconds=self.seconds, idle=True)
            )
        else:
            self.handle = self.loop.call_later(self.seconds - silent, self._check)

    def cancel(self) -> None:
        self.handle.cancel()


def build_request(head: bytes, body: bytes) -> bytes:
    """Complete request bytes from a :meth:`Target.request_head` and a body."""
    return head + b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
