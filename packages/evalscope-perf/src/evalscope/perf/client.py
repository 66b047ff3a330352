"""Send one request and fill its :class:`RequestRecord` (the hot path: keep it cheap)."""

from __future__ import annotations

import math
import time
from typing import Any

from evalscope.core.net.http import HttpError, Pool
from evalscope.core.net.sse import SSEParser, data_of
from evalscope.perf.apis import parse_event_src, parse_full_calls, tool_call_indexes
from evalscope.perf.chunks import ChunkTemplate
from evalscope.perf.records import RequestRecord

_perf = time.perf_counter


class _StreamSink:
    """Body callback for streamed responses: SSE → content chunks with arrival times.

    Content chunks shaped like an already parsed one are counted from their bytes
    (:mod:`evalscope.perf.chunks`); everything else is parsed as JSON.
    """

    __slots__ = ("rec", "parser", "texts", "usage", "tpl", "keep_text", "calls")

    def __init__(self, rec: RequestRecord, keep_text: bool = True, tools: bool = False) -> None:
        self.rec = rec
        self.parser = SSEParser()
        self.texts: list[str] = []
        self.usage: dict[str, Any] | None = None
        self.tpl: ChunkTemplate | None = None
        self.keep_text = keep_text
        self.calls: set[int] | None = set() if tools else None  # indexes of streamed tool calls

    def __call__(self, data: bytes, t: float) -> None:
        region = self.parser.take(data)
        if not region:
            return
        pos = 0
        n = len(region)
        rec = self.rec
        while pos < n:
            tpl = self.tpl
            if tpl is not None:
                m = tpl.match(region, pos)
                if m is not None:
                    pos, mids = m
                    if rec.first_token != rec.first_token:  # NaN: no text yet
                        rec.first_token = t
                    rec.chunk_times += [t] * len(mids)
                    if self.keep_text:
                        self.texts.append(b"".join(mids).decode())
                    continue
            e = region.find(b"\n\n", pos)
            if e < 0:  # only a stray newline is left
                break
            event = region[pos:e]
            pos = e + 2
            if event:
                payload = data_of(event)
                if payload is not None:
                    self._event(payload, t, event)

    def _event(self, payload: bytes, t: float, event: bytes | None = None) -> None:
        text, usage, key = parse_event_src(payload)
        if text:
            rec = self.rec
            if math.isnan(rec.first_token):
                rec.first_token = t
            rec.chunk_times.append(t)
            if self.keep_text:
                self.texts.append(text)
            if event is not None:
                tpl = ChunkTemplate.learn(event, text, key)
                if tpl is not None:
                    self.tpl = tpl
        if usage is not None:
            self.usage = usage
        if self.calls is not None and not text:
            self.calls.update(tool_call_indexes(payload))

    def finish(self, t: float) -> None:
        for payload in self.parser.flush():
            self._event(payload, t)


ERROR_BODY_CHARS = 300  # characters of an error response's body kept in the record


def http_error(status: int, body: bytes) -> str:
    """``HTTP <status>: <body>``, whitespace collapsed, cut at ERROR_BODY_CHARS with its full size noted."""
    text = " ".join(body.decode("utf-8", "replace").split())
    if len(text) > ERROR_BODY_CHARS:
        text = f"{text[:ERROR_BODY_CHARS]}... [{len(body):,} bytes in all]"
    return f"HTTP {status}: {text}" if text else f"HTTP {status} (empty body)"


async def send_one(
    pool: Pool,
    payload: bytes,
    rec: RequestRecord,
    *,
    timeout: float | None,
    keep_text: bool = True,
    tools: bool = False,
) -> RequestRecord:
    """Send ``payload`` (full HTTP request bytes) and record timings into ``rec`` (absolute times)."""

    def sent(t: float) -> None:
        rec.send = t

    sink = _StreamSink(rec, keep_text, tools) if rec.stream else None
    try:
        resp = await pool.request(payload, sink, timeout=timeout, collect=not rec.stream, on_sent=sent)
    except HttpError as exc:
        rec.end = _perf()
        if math.isnan(rec.send):
            rec.send = rec.end
        rec.error = str(exc)
        return rec
    rec.status = resp.status
    rec.first_byte = resp.first_byte
    rec.end = resp.end
    if resp.status != 200:
        rec.error = http_error(resp.status, b"".join(resp.body) if resp.body else b"")
        return rec
    if sink is not None:
        sink.finish(resp.end)
        usage = sink.usage
        text = "".join(sink.texts) if keep_text else ""
        if sink.calls:
            rec.tool_calls = len(sink.calls)
    else:
        try:
            text, usage, rec.tool_calls = parse_full_calls(b"".join(resp.body))
        except ValueError as exc:
            rec.error = f"bad JSON body: {exc}"
            return rec
        if not keep_text:
            text = ""
    rec.output_text = text
    rec.success = True
    if usage:
        if usage.get("completion_tokens") is not None:
            rec.completion_tokens = int(usage["completion_tokens"])
            rec.tokens_source = "usage"
        if usage.get("prompt_tokens") is not None:
            rec.server_prompt_tokens = int(usage["prompt_tokens"])
            rec.prompt_tokens = rec.server_prompt_tokens
    return rec
