"""A caller that goes away (cancelled, e.g. a served client hung up) tells a streaming adapter to
stop: its `on_delta` answers False from then on, in the direct and the batched path alike.

The stand-in adapter keeps working after the caller is cancelled, as the HF adapter's worker
thread does; the real adapter behind `evalscope serve` is tested in tests/backends/test_serve_real.py.
"""

from __future__ import annotations

import asyncio

import pytest

from evalscope.core.model import Model
from evalscope.core.ports import ModelAPI
from evalscope.core.types import ChatMessage, ModelOutput, ModelRequest, RequestKind

STEPS = 60


class OutlivingStreamer(ModelAPI):
    """One delta per request every 5 ms for STEPS steps; work survives the caller's cancellation
    and drops a request as soon as its `on_delta` answers False."""

    streams = True

    def __init__(self, batch_size: int) -> None:
        super().__init__("outliving")
        self.max_batch_size = batch_size
        self.steps_run: dict[str, int] = {}

    async def call(self, requests):  # type: ignore[override]
        raise AssertionError("the streaming path is expected")

    async def call_streaming(self, requests, on_delta):  # type: ignore[override]
        async def work() -> list[ModelOutput]:
            live = set(range(len(requests)))
            for step in range(1, STEPS + 1):
                await asyncio.sleep(0.005)
                for i in sorted(live):
                    self.steps_run[requests[i].messages[0].content] = step
                    if on_delta(i, "x") is False:
                        live.discard(i)
                if not live:
                    break
            return [ModelOutput(text="x" * STEPS) for _ in requests]

        return await asyncio.shield(asyncio.ensure_future(work()))


def _request(name: str) -> ModelRequest:
    return ModelRequest(RequestKind.GENERATE, messages=[ChatMessage("user", name)])


@pytest.mark.parametrize("batch_size", [1, 2])
def test_cancelled_caller_stops_its_request_and_not_the_others(batch_size):
    async def main() -> tuple[OutlivingStreamer, list[str], list[str]]:
        api = OutlivingStreamer(batch_size)
        model = Model(api, max_concurrency=2, cache=False)
        gone, kept = [], []
        leaving = asyncio.create_task(model.call(_request("leaving"), on_delta=gone.append))
        staying = asyncio.create_task(model.call(_request("staying"), on_delta=kept.append))
        await asyncio.sleep(0.06)
        leaving.cancel()
        await staying
        await asyncio.sleep(0.05)
        await model.aclose()
        return api, gone, kept

    api, gone, kept = asyncio.run(main())
    assert len(kept) == STEPS and api.steps_run["staying"] == STEPS
    # stopped within a step or two of the cancel (~12 steps in), not run to the end
    assert 3 <= api.steps_run["leaving"] < STEPS // 2
    assert len(gone) < api.steps_run["leaving"]  # nothing delivered after the caller left
