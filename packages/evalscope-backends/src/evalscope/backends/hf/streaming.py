"""Token streaming out of a batched `model.generate`: new text of every row as each step ends.

transformers' TextStreamer classes take batch size 1; `BatchStreamer` takes the whole left-padded
batch. Per row it decodes the tokens generated so far and reports the text beyond what it has
already sent, so tokens that only form characters together (multi-byte UTF-8 split over byte
tokens) are held back until they decode, and the pieces always concatenate to the final text.
Text that may be the start of a stop string is held back too; a row stops reporting at EOS or at
a stop string.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

import attrs

from evalscope.backends.hf.generation import cut_at_stop

log = logging.getLogger(__name__)

#: receives [(request index, new text), ...] of one decoding step (called on the generating thread)
Emit = Callable[[list[tuple[int, str]]], None]

_REPLACEMENT = "\ufffd"  # what an incomplete UTF-8 sequence decodes to


def held_back(text: str, stops: Sequence[str]) -> int:
    """How many trailing characters of `text` may not be sent yet: an undecoded byte sequence,
    or the longest tail that a stop string starts with."""
    hold = len(text) - len(text.rstrip(_REPLACEMENT))
    for stop in stops:
        for size in range(min(len(stop) - 1, len(text)), 0, -1):
            if text.endswith(stop[:size]):
                hold = max(hold, size)
                break
    return hold


@attrs.define
class RowState:
    """One streamed row: the request it answers, its tokens so far, and the text sent."""

    index: int
    ids: list[int] = attrs.field(factory=list)
    sent: str = ""
    done: bool = False

    def advance(self, text: str, stops: Sequence[str]) -> str:
        """The new text to send, given the row's decoded text so far."""
        text, stopped = cut_at_stop(text, tuple(stops))
        if stopped:
            self.done = True
        else:
            text = text[: len(text) - held_back(text, stops)]
        if len(text) > len(self.sent) and text.startswith(self.sent):
            piece, self.sent = text[len(self.sent) :], text
            return piece
        return ""


class BatchStreamer:
    """A `generate(streamer=...)` for a batch: reports each row's new text after every step.

    `indices[k]` is the request index reported for the k-th request of the batch; with
    `per_request` rows per request (sampling n > 1) only each request's first row is streamed,
    matching the output's `text`.
    """

    def __init__(
        self,
        tokenizer: Any,
        eos_ids: set[int],
        stops: Sequence[str],
        emit: Emit,
        indices: Sequence[int],
        per_request: int = 1,
    ) -> None:
        self.tokenizer = tokenizer
        self.eos_ids = eos_ids
        self.stops = tuple(stops)
        self.emit = emit
        self.rows: list[RowState | None] = []
        for index in indices:
            self.rows.append(RowState(index))
            self.rows.extend([None] * (per_request - 1))
        self.steps = 0

    def put(self, value: Any) -> None:
        """Called by generate: first with the prompt ids (2-D), then with each step's new tokens."""
        if value.dim() > 1:  # the prompt
            return
        self.steps += 1
        deltas: list[tuple[int, str]] = []
        for row, token in zip(self.rows, value.tolist()):
            if row is None or row.done:
                continue
            if token in self.eos_ids:
                row.done = True
                continue
            row.ids.append(token)
            piece = row.advance(self.tokenizer.decode(row.ids, skip_special_tokens=True), self.stops)
            if piece:
                deltas.append((row.index, piece))
        if deltas:
            self.emit(deltas)

    def end(self) -> None:
        """Called by generate when it is done; the rest is sent by `finish`."""

    def finish(self, texts: Sequence[str]) -> None:
        """Send what each row held back, given the rows' final texts (cut at EOS and stops)."""
        deltas: list[tuple[int, str]] = []
        for row, text in zip(self.rows, texts):
            if row is None:
                continue
            if text.startswith(row.sent):
                if len(text) > len(row.sent):
                    deltas.append((row.index, text[len(row.sent) :]))
                    row.sent = text
            else:  # cannot happen with a prefix-stable decode; say so rather than send garbage
                log.warning("streamed text of request %d diverged from its final text", row.index)
            row.done = True
        if deltas:
            self.emit(deltas)


def abandoned_rows_stop(abandoned: set[int], indices: Sequence[int], per_request: int = 1) -> Any:
    """`stopping_criteria` for generate: stops the rows of requests in `abandoned` (request
    indices, filled from the event loop's thread while generation runs), so a request whose
    caller went away stops costing decoding steps; generate ends once every row is done."""
    import torch
    from transformers import StoppingCriteria, StoppingCriteriaList

    row_requests = [index for index in indices for _ in range(per_request)]
    reported: set[int] = set()

    class AbandonedRows(StoppingCriteria):
        def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor, **kwargs: Any) -> torch.BoolTensor:
            gone = [index in abandoned for index in row_requests] if abandoned else [False] * len(row_requests)
            if abandoned - reported:
                reported.update(abandoned)
                log.info("stopped generating %d abandoned request(s) at sequence length %d", len(reported), input_ids.shape[1])
            return torch.tensor(gone, dtype=torch.bool, device=input_ids.device)  # type: ignore[return-value]  # a bool tensor; torch types it as Tensor

    return StoppingCriteriaList([AbandonedRows()])
