"""Token streaming from HFModelAPI: the batch streamer's text rules, then real SmolLM2 batches."""

from __future__ import annotations

import asyncio
import time

import pytest

from evalscope.backends.hf.streaming import BatchStreamer, RowState, held_back
from evalscope.core.types import ChatMessage, GenerationConfig, ModelRequest, RequestKind


def test_held_back_keeps_partial_characters_and_stop_prefixes():
    assert held_back("abc", ()) == 0
    assert held_back("ab\ufffd\ufffd", ()) == 2
    assert held_back("one, tw", ("two",)) == 2
    assert held_back("one, t", ("two", "t")) == 1
    assert held_back("one, x", ("two",)) == 0


def test_row_state_sends_each_character_once_and_stops_at_a_stop_string():
    row = RowState(0)
    pieces = [
        row.advance(t, ("END",)) for t in ["Hi", "Hi \ufffd", "Hi 日", "Hi 日 E", "Hi 日 EN", "Hi 日 ENDx"]
    ]
    assert pieces == ["Hi", " ", "日", " ", "", ""] and row.done
    assert row.sent == "Hi 日 "


@pytest.mark.slow  # loads SmolLM2 (shared with the tests below)
def test_batch_streamer_with_a_real_tokenizer(hf_api):
    import torch

    tok = hf_api.tokenizer
    rows = [tok("héllo 日本語 🙂 and more")["input_ids"], tok("short")["input_ids"]]
    width = max(map(len, rows))
    eos = next(iter(hf_api.eos_ids))
    got: list[tuple[int, str]] = []
    streamer = BatchStreamer(tok, hf_api.eos_ids, (), got.extend, indices=[5, 9])
    streamer.put(torch.zeros((2, 3), dtype=torch.long))  # the prompt: ignored
    for step in range(width + 2):
        column = [r[step] if step < len(r) else eos for r in rows]
        streamer.put(torch.tensor(column))
    streamer.finish([tok.decode(r) for r in rows])
    for index, ids in zip((5, 9), rows, strict=True):
        pieces = [t for i, t in got if i == index]
        assert "".join(pieces) == tok.decode(ids)
        assert all("\ufffd" not in p for p in pieces)
    assert len([t for i, t in got if i == 5]) > 5  # really piecewise


# ---- real SmolLM2 ------------------------------------------------------------------------------

PROMPTS = ["What is 2+2?", "Write a haiku about the sea.", "Say hello in Japanese."]


def chat(question: str, **config) -> ModelRequest:
    return ModelRequest(
        RequestKind.GENERATE,
        messages=[ChatMessage("user", question)],
        config=GenerationConfig(**{"max_tokens": 12, **config}),
    )


def stream(api, requests):
    """call_streaming with arrival times: ([[(t, text), ...] per request], outputs, started)."""
    arrivals: list[list[tuple[float, str]]] = [[] for _ in requests]

    async def go():
        started = time.perf_counter()
        outs = await api.call_streaming(requests, lambda i, t: arrivals[i].append((time.perf_counter(), t)))
        return outs, started, time.perf_counter()

    outs, started, finished = asyncio.run(go())
    return arrivals, outs, started, finished


@pytest.mark.slow
def test_streamed_batch_equals_plain_greedy_text_and_arrives_over_time(hf_api):
    counting = "1, 2, 3, 4, 5,"
    requests = [chat(q, max_tokens=16) for q in PROMPTS]
    requests.append(
        ModelRequest(
            RequestKind.GENERATE, prompt=counting, config=GenerationConfig(max_tokens=16, stop=["9"])
        )
    )
    arrivals, outs, started, finished = stream(hf_api, requests)
    plain = asyncio.run(hf_api.call(requests))
    assert [o.text for o in outs] == [o.text for o in plain]
    for got, out in zip(arrivals, outs, strict=True):
        assert "".join(t for _, t in got) == out.text
    assert "9" not in outs[-1].text and outs[-1].text.replace(" ", "").startswith("6,7,8,")
    long = arrivals[1]  # the haiku runs the full 16 tokens
    assert outs[1].usage.output_tokens == 16 and len(long) >= 8
    # the first token before the batch finished and the rest over the decode steps (a burst at the end puts
    # the first at ~finished and all within a millisecond); loose enough for a stall on a loaded machine
    total = finished - started
    assert long[0][0] - started < 0.85 * total and long[-1][0] - long[0][0] > 0.1 * total, (long, total)


@pytest.mark.slow
def test_choice_probs_through_call_streaming_fall_back_to_plain_answers(hf_api):
    request = ModelRequest(RequestKind.CHOICE_PROBS, prompt="Answer:", choices=["A", "B"])
    arrivals, outs, _, _ = stream(hf_api, [request])
    assert arrivals == [[]] and outs[0].scores is not None and len(outs[0].scores) == 2
