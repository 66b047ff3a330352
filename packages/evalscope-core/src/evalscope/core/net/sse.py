"""Incremental Server-Sent-Events parser.

Bytes arrive in arbitrary TCP-sized pieces: one event may be split across pieces and one
piece may hold several events. ``SSEParser.feed`` returns the ``data`` payloads of every
event completed by the new bytes, in order; incomplete tails are kept for the next call.
"""

from __future__ import annotations


class SSEParser:
    """Collects ``data:`` payloads of complete events (blank-line terminated)."""

    __slots__ = ("_buf",)

    def __init__(self) -> None:
        self._buf = b""

    def take(self, data: bytes) -> bytes:
        """Append ``data``; return the complete events so far (``\n``-normalised, ending in a blank line)."""
        buf = self._buf + data if self._buf else data
        held = b""
        if b"\r" in buf:
            if buf.endswith(b"\r"):  # may be the first half of a \r\n split across pieces
                buf, held = buf[:-1], b"\r"
            buf = buf.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        k = buf.rfind(b"\n\n")
        if k < 0:
            self._buf = buf + held
            return b""
        self._buf = buf[k + 2 :] + held
        return buf[: k + 2]

    def feed(self, data: bytes) -> list[bytes]:
        """``data`` payloads of every event completed by ``data``."""
        return payloads(self.take(data))

    def flush(self) -> list[bytes]:
        """Payload of a final event not followed by a blank line (stream closed)."""
        buf, self._buf = self._buf, b""
        payload = _data_of(buf.strip(b"\n"))
        return [] if payload is None else [payload]


def payloads(region: bytes) -> list[bytes]:
    """``data`` payloads of the complete events in ``region`` (as returned by :meth:`SSEParser.take`)."""
    out: list[bytes] = []
    for event in region.split(b"\n\n"):
        if event:
            payload = _data_of(event)
            if payload is not None:
                out.append(payload)
    return out


def data_of(event: bytes) -> bytes | None:
    """Public alias of :func:`_data_of`."""
    return _data_of(event)


def _data_of(event: bytes) -> bytes | None:
    """Join the ``data`` field lines of one event; None when it has none (comments, pings)."""
    if event.startswith(b"data:") and b"\n" not in event:
        value = event[5:]
        return value[1:] if value.startswith(b" ") else value
    parts: list[bytes] = []
    for line in event.split(b"\n"):
        if line.startswith(b"data:"):
            value = line[5:]
            parts.append(value[1:] if value.startswith(b" ") else value)
        elif line == b"data":
            parts.append(b"")
    if not parts:
        return None
    return b"\n".join(parts)
