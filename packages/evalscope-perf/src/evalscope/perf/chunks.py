"""Byte-level fast path for streamed chunks: skip JSON parsing of content chunks that have the
shape of one already parsed.

Servers send content chunks that are byte-identical except for the generated text, e.g.
``data: {"id":"x","choices":[{"index":0,"delta":{"content":"TEXT"},"finish_reason":null}]}``.
After one such event has been fully parsed (and its text found under exactly one
``"content"`` / ``"reasoning_content"`` / ``"text"`` key), its bytes before and after the text
form a :class:`ChunkTemplate`. A later event with the same head and tail and a text part that
is a plain JSON string body (no quote, backslash or control character, valid UTF-8,
non-empty) parses to the same structure with that text, so it is counted without parsing.
Anything else (role-only chunks, usage, escapes, a different shape) takes the full JSON path;
results are identical either way.
"""

from __future__ import annotations

import re

_BAD = re.compile(rb"[\x00-\x1f\\]")  # control characters and backslash: need a real JSON parse
_PLAIN_ASCII = re.compile(rb"[\x20\x21\x23-\x5b\x5d-\x7f]+")  # printable ASCII but quote and backslash
_WS = b" \t"


def _plain(mids: list[bytes]) -> bool:
    """True when every piece is a non-empty JSON string body needing no unescaping."""
    if b"" in mids:
        return False
    joined = b'"'.join(mids)
    if joined.count(b'"') != len(mids) - 1 or _BAD.search(joined) is not None:
        return False
    if not joined.isascii():
        try:
            joined.decode()
        except UnicodeDecodeError:
            return False
    return True


class ChunkTemplate:
    """Head (``data: ...{"content":"``) and tail (``"}...}\\n\\n``) around a chunk's text."""

    __slots__ = ("head", "tail", "joint", "lh", "lt")

    def __init__(self, head: bytes, tail: bytes) -> None:
        self.head = head
        self.tail = tail
        self.joint = tail + head  # between the texts of two consecutive template events
        self.lh = len(head)
        self.lt = len(tail)

    @classmethod
    def learn(cls, event: bytes, text: str, key: str) -> ChunkTemplate | None:
        """Template from one raw single-line event whose full parse gave ``text`` under ``key``."""
        if not key or not event.startswith(b"data:") or b"\n" in event or b"\\" in event:
            return None
        k = b'"' + key.encode() + b'"'
        if event.count(k) != 1:
            return None
        i = event.index(k) + len(k)
        n = len(event)
        while i < n and event[i] in _WS:
            i += 1
        if i >= n or event[i] != 0x3A:  # ':'
            return None
        i += 1
        while i < n and event[i] in _WS:
            i += 1
        if i >= n or event[i] != 0x22:  # '"'
            return None
        start = i + 1
        end = event.find(b'"', start)
        if end < 0:
            return None
        mid = event[start:end]
        if not _plain([mid]) or mid.decode() != text:
            return None
        return cls(event[:start], event[end:] + b"\n\n")

    def match(self, region: bytes, pos: int) -> tuple[int, list[bytes]] | None:
        """Template events starting at ``pos`` of a complete-event region: (end, their texts)."""
        head, tail, lh, lt = self.head, self.tail, self.lh, self.lt
        if not region.startswith(head, pos):
            return None
        if pos == 0 and region.endswith(tail) and _PLAIN_ASCII.fullmatch(region, lh, len(region) - lt):
            return len(region), [region[lh:-lt]]  # common: the region is one template event
        j = region.rfind(tail, pos + lh)
        if j < 0:
            return None
        mids = region[pos + lh : j].split(self.joint)
        if _plain(mids):
            return j + lt, mids
        e = region.find(b"\n\n", pos) + 2  # the first event alone
        if e - pos > lh + lt and region.startswith(tail, e - lt):
            mid = region[pos + lh : e - lt]
            if _plain([mid]):
                return e, [mid]
        return None
