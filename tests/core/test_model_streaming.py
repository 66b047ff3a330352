"""`Model`'s streaming path: deltas reach each caller while its request is still batched.

A stand-in ModelAPI plays the adapter: it emits scripted word deltas over (short) time, so the
order of deltas, batching and the no-retry-after-text rule can be checked without a model.
The real adapter (HF, token by token) is tested in tests/backends/test_hf_streaming.py.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from evalscope.core.model import Model, RetryPolicy
from evalscope.core.ports import ModelAPI
from evalscope.core.types import ChatMessage, ModelOutput, ModelRequest, RequestKind


class Transient(Exception):
    pass


class WordStreamer(ModelAPI):
    """Answers each request with its text reversed word by word, one word per `step` seconds."""

    streams = True

    def __init__(self, *, batch_size: int = 4, step: float = 0.01, fail_after: int | None = None) -> None:
        super().__init__("words")
        self.max_batch_size = batch_size
        self.step = step
        self.fail_after = fail_after  # raise after this many steps (once)
        self.batches: list[int] = []
        self.streamed_calls = 0
        self.step_times: list[float] = []  # when each step's words were handed out

    def answer(self, request: ModelRequest) -> list[str]:
        words = request.messages[0].content.split() if request.messages else []
        return [w + " " for w in reversed(words)]

    async def call(self, requests):  # type: ignore[override]
        self.batches.append(len(requests))
        await asyncio.sleep(self.step)
        return [ModelOutput(text="".join(self.answer(r)), finish_reason="stop") for r in requests]

    async def call_streaming(self, requests, on_delta):  # type: ignore[override]
        self.batches.append(len(requests))
        self.streamed_calls += 1
        answers = [self.answer(r) for r in requests]
        for step in range(max(map(len, answers), default=0)):
            await asyncio.sleep(self.step)
            if self.fail_after is not None and step == self.fail_after:
                self.fail_after = None
                raise Transient("lost the device")
            self.step_times.append(time.monotonic())
            for i, words in enumerate(answers):
                if step < len(words):
                    on_delta(i, words[step])
        return [ModelOutput(text="".join(a), finish_reason="stop") for a in answers]

    def is_retryable(self, error: BaseException) -> bool:
        return isinstance(error, Transient)


class WholeText(WordStreamer):
    """An adapter that does not stream: the port's default `call_streaming` applies."""

    streams = False
    call_streaming = ModelAPI.call_streaming


def ask(text: str) -> ModelRequest:
    return ModelRequest(RequestKind.GENERATE, messages=[ChatMessage("user", text)])


class Recorder:
    """Collects (arrival time, text) of one caller's deltas."""

    def __init__(self) -> None:
        self.pieces: list[tuple[float, str]] = []

    def __call__(self, text: str) -> None:
        self.pieces.append((time.monotonic(), text))

    @property
    def text(self) -> str:
        return "".join(t for _, t in self.pieces)


def test_concurrent_streaming_requests_share_one_batch_and_stream_while_it_runs():
    api = WordStreamer(batch_size=4, step=0.02)
    recorders = [Recorder() for _ in range(3)]
    texts = ["a b c d e", "one two", "x y z"]

    async def go():
        model = Model(api, cache=False)
        started = time.monotonic()
        outs = await asyncio.gather(
            *(model.call(ask(t), on_delta=r) for t, r in zip(texts, recorders, strict=True))
        )
        return started, time.monotonic(), outs

    started, finished, outs = asyncio.run(go())
    assert api.batches == [3] and api.streamed_calls == 1
    for rec, out in zip(recorders, outs, strict=True):
        assert rec.text == out.text and len(rec.pieces) == len(out.text.split())
    long = recorders[0].pieces
    assert long[0][1] == "e " and long[-1][1] == "a "
    # the first word reached the caller before the adapter handed out the last one (5 steps of 20 ms),
    # not when the batch finished, however late a loaded machine wakes each step
    assert len(api.step_times) == 5 and long[0][0] < api.step_times[-1] <= long[-1][0] <= finished
    assert [p[0] for p in long] == sorted(p[0] for p in long)


def test_a_plain_request_batched_with_a_streaming_one_gets_no_callbacks():
    api = WordStreamer(batch_size=4)
    rec = Recorder()

    async def go():
        model = Model(api, cache=False)
        return await asyncio.gather(model.call(ask("p q r"), on_delta=rec), model.call(ask("s t")))

    streamed, plain = asyncio.run(go())
    assert api.batches == [2]
    assert rec.text == streamed.text == "r q p " and plain.text == "t s "


def test_without_batching_or_streaming_support_the_text_still_arrives_as_a_delta():
    for api in (WordStreamer(batch_size=1), WholeText(batch_size=4), WholeText(batch_size=1)):
        rec = Recorder()
        out = asyncio.run(Model(api, cache=False).call(ask("u v w"), on_delta=rec))
        assert out.text == "w v u " and rec.text == out.text
        expected = 3 if api.streams else 1
        assert len(rec.pieces) == expected, type(api).__name__


def test_no_callback_means_the_plain_call_path():
    api = WordStreamer(batch_size=4)

    async def go():
        model = Model(api, cache=False)
        return await asyncio.gather(model.call(ask("a b")), model.call(ask("c")))

    outs = asyncio.run(go())
    assert [o.text for o in outs] == ["b a ", "c "] and api.streamed_calls == 0


def test_failure_before_any_text_is_retried_but_not_after_text_was_sent():
    retry = RetryPolicy(retries=3, backoff_base=0.001)
    early = WordStreamer(batch_size=2, fail_after=0)
    rec = Recorder()
    out = asyncio.run(Model(early, retry=retry, cache=False).call(ask("a b c"), on_delta=rec))
    assert early.streamed_calls == 2 and rec.text == out.text == "c b a "

    late = WordStreamer(batch_size=2, fail_after=2)
    rec = Recorder()
    with pytest.raises(Transient):
        asyncio.run(Model(late, retry=retry, cache=False).call(ask("a b c"), on_delta=rec))
    assert late.streamed_calls == 1 and rec.text == "c b "  # never repeated by a retry


def test_cached_answers_are_delivered_to_the_callback():
    api = WordStreamer(batch_size=4)
    first, second = Recorder(), Recorder()

    async def go():
        model = Model(api, cache=True)
        a = await model.call(ask("m n"), on_delta=first)
        b = await model.call(ask("m n"), on_delta=second)
        return a, b

    a, b = asyncio.run(go())
    assert api.batches == [1] and first.text == second.text == a.text == b.text == "n m "
    assert len(second.pieces) == 1


def test_a_failing_callback_does_not_break_its_batch():
    api = WordStreamer(batch_size=4)
    rec = Recorder()

    def broken(text: str) -> None:
        raise RuntimeError("client handler bug")

    async def go():
        model = Model(api, cache=False)
        return await asyncio.gather(
            model.call(ask("g h"), on_delta=broken), model.call(ask("i j"), on_delta=rec)
        )

    outs = asyncio.run(go())
    assert [o.text for o in outs] == ["h g ", "j i "] and rec.text == "j i "
