"""Per-request timing record.

All times are seconds on the monotonic clock (``time.perf_counter``), relative to the run's
start ``t0`` (the first intended send). They are taken at the moment bytes are handed to or
received from the socket.
"""

from __future__ import annotations

import math

import attrs

NAN = math.nan


@attrs.define(slots=True)
class RequestRecord:
    """Everything measured about one request."""

    index: int
    intended_send: float  # when the schedule wanted the request to leave
    send: float = NAN  # when the request bytes were written to the socket
    first_byte: float = NAN  # first response bytes (status line) arrived
    first_token: float = NAN  # first streamed chunk carrying generated text (role-only chunks excluded)
    end: float = NAN  # last response byte arrived
    chunk_times: list[float] = attrs.field(factory=list)  # arrival of each content-carrying chunk
    status: int = 0
    success: bool = False
    error: str = ""
    stream: bool = True
    prompt_tokens: int | None = None  # counted (see tokens_source)
    completion_tokens: int | None = None
    tokens_source: str = "none"  # usage | tokenizer | chunks | none
    intended_prompt_tokens: int | None = None  # length the dataset meant to send (own tokenizer)
    server_prompt_tokens: int | None = None  # what the server's usage said, when it said
    output_text: str = ""
    tool_calls: int = 0  # calls in the response (counted only under --tools)
    conversation: int = -1
    turn: int = 0
    worker: int = 0

    @property
    def latency(self) -> float:
        return self.end - self.send

    @property
    def latency_from_intended(self) -> float:
        return self.end - self.intended_send

    @property
    def ttft(self) -> float:
        return self.first_token - self.send

    @property
    def ttft_from_intended(self) -> float:
        return self.first_token - self.intended_send

    @property
    def send_lag(self) -> float:
        return self.send - self.intended_send

    @property
    def tpot(self) -> float:
        """(latency − TTFT) / (output tokens − 1); NaN when undefined."""
        n = self.completion_tokens
        if not self.stream or n is None or n < 2 or math.isnan(self.first_token):
            return NAN
        return (self.end - self.first_token) / (n - 1)

    @property
    def itls(self) -> list[float]:
        """Gaps between consecutive content-carrying chunks."""
        t = self.chunk_times
        return [t[i] - t[i - 1] for i in range(1, len(t))]
