"""The policy every model shares: batching, concurrency bounds, retries with Retry-After, timeouts, caching.

A scripted ModelAPI stands in for a provider here: these are faults (429s, hangs) that a real
model cannot be made to produce on demand. Real providers are tested in tests/backends and tests/e2e.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from evalscope.core.model import CapabilityError, Model, ModelTimeoutError, RetryPolicy
from evalscope.core.ports import ModelAPI
from evalscope.core.types import ModelOutput, ModelRequest, RequestKind


class RateLimited(Exception):
    def __init__(self, retry_after: float | None) -> None:
        super().__init__("429 Too Many Requests")
        self.retry_after_s = retry_after


class ScriptedAPI(ModelAPI):
    capabilities = frozenset({RequestKind.GENERATE})

    def __init__(self, *, batch_size: int = 1, failures: int = 0, retry_after: float | None = None,
                 delay: float = 0.0, fatal: bool = False) -> None:
        super().__init__("scripted")
        self.max_batch_size = batch_size
        self.failures = failures
        self.retry_after_value = retry_after
        self.delay = delay
        self.fatal = fatal
        self.batches: list[int] = []
        self.call_times: list[float] = []
        self.in_flight = 0
        self.max_in_flight = 0

    async def call(self, requests):  # type: ignore[override]
        self.call_times.append(time.monotonic())
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.failures > 0:
                self.failures -= 1
                raise ValueError("bad request") if self.fatal else RateLimited(self.retry_after_value)
            await asyncio.sleep(self.delay)
            self.batches.append(len(requests))
            return [ModelOutput(text=r.messages[0].content if r.messages else "") for r in requests]
        finally:
            self.in_flight -= 1

    def is_retryable(self, error: BaseException) -> bool:
        return isinstance(error, RateLimited)

    def retry_after(self, error: BaseException) -> float | None:
        return getattr(error, "retry_after_s", None)


def _req(text: str) -> ModelRequest:
    from evalscope.core.types import ChatMessage

    return ModelRequest(kind=RequestKind.GENERATE, messages=[ChatMessage("user", text)])


def test_concurrent_requests_are_batched_up_to_the_adapter_size():
    api = ScriptedAPI(batch_size=4, delay=0.01)
    model = Model(api, max_concurrency=1)

    async def go():
        return await asyncio.gather(*(model.call(_req(f"q{i}")) for i in range(10)))

    outs = asyncio.run(go())
    assert [o.text for o in outs] == [f"q{i}" for i in range(10)]  # answers stay with their requests
    assert sum(api.batches) == 10 and max(api.batches) == 4
    assert api.batches[0] == 4


def test_concurrency_is_bounded():
    api = ScriptedAPI(delay=0.02)
    model = Model(api, max_concurrency=3, cache=False)

    async def go():
        await asyncio.gather(*(model.call(_req(f"q{i}")) for i in range(12)))

    asyncio.run(go())
    assert api.max_in_flight == 3


def test_retry_honours_retry_after():
    api = ScriptedAPI(failures=2, retry_after=0.2)
    model = Model(api, retry=RetryPolicy(retries=3, backoff_base=5.0))
    out = asyncio.run(model.call(_req("x")))
    assert out.text == "x"
    gaps = [b - a for a, b in zip(api.call_times, api.call_times[1:])]
    # waited Retry-After (0.2 s), not the backoff (2.5 to 5 s at backoff_base 5)
    assert len(gaps) == 2 and all(0.18 <= g < 2.5 for g in gaps), gaps


def test_backoff_grows_without_retry_after():
    policy = RetryPolicy(backoff_base=1.0, backoff_max=8.0)
    delays = [policy.delay(a, None) for a in range(5)]
    assert 0.5 <= delays[0] <= 1.0 and 4.0 <= delays[3] <= 8.0 and delays[4] <= 8.0


def test_gives_up_after_retries_and_never_retries_fatal_errors():
    flaky = ScriptedAPI(failures=5, retry_after=0.0)
    with pytest.raises(RateLimited):
        asyncio.run(Model(flaky, retry=RetryPolicy(retries=2)).call(_req("x")))
    assert len(flaky.call_times) == 3
    fatal = ScriptedAPI(failures=1, fatal=True)
    with pytest.raises(ValueError):
        asyncio.run(Model(fatal, retry=RetryPolicy(retries=5)).call(_req("x")))
    assert len(fatal.call_times) == 1


def test_timeout_is_not_retried_and_names_the_setting():
    """A retry after a timeout would start the same long generation again on the server."""
    api = ScriptedAPI(delay=5.0)
    model = Model(api, timeout=0.05, retry=RetryPolicy(retries=3, backoff_base=0.01))
    started = time.monotonic()
    with pytest.raises(ModelTimeoutError, match=r"0\.05 s .*--timeout"):
        asyncio.run(model.call(_req("x")))
    assert len(api.call_times) == 1 and time.monotonic() - started < 2.5  # not the 5 s the call would take


def test_identical_calls_are_cached():
    api = ScriptedAPI()
    model = Model(api)

    async def go():
        await model.call(_req("same"))
        await model.call(_req("same"))

    asyncio.run(go())
    assert len(api.call_times) == 1


def test_the_call_cache_keeps_only_the_most_recent_calls():
    """A long run's memory does not grow with its outputs: the cache holds `cache_size` calls, the
    least recently used leaving first."""
    api = ScriptedAPI()
    model = Model(api, cache_size=2)

    async def go():
        for prompt in ("a", "b", "a", "c", "a", "b"):  # c evicts b (a was used again); b is asked again
            await model.call(_req(prompt))

    asyncio.run(go())
    assert len(api.call_times) == 4 and len(model._cache) == 2


def test_unsupported_request_kind_is_a_clear_error():
    model = Model(ScriptedAPI())
    with pytest.raises(CapabilityError, match="cannot answer choice_probs"):
        asyncio.run(model.call(ModelRequest(kind=RequestKind.CHOICE_PROBS, prompt="q", choices=["A", "B"])))
