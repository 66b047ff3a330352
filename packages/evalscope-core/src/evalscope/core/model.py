"""`Model`: the policy every provider shares, wrapped around a `ModelAPI` adapter.

- bounded concurrency (`max_concurrency` calls in flight),
- micro-batching: concurrent requests of one kind are grouped into batches of up to
  `api.max_batch_size` (so a local model sees full batches while the engine stays per-sample),
- retries with exponential backoff and jitter that honour the provider's Retry-After,
- a per-call timeout,
- an in-memory cache of identical calls (the most recent `cache_size`, so a long run's memory
  does not grow with its outputs),
- streaming: a caller may pass `on_delta` to receive the text as the adapter produces it; its
  request is still batched with concurrent ones (the batch goes through `ModelAPI.call_streaming`).
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any

import attrs

from evalscope.core.ports import DeltaCallback, ModelAPI
from evalscope.core.types import ModelOutput, ModelRequest, RequestKind

log = logging.getLogger("evalscope.model")
#: our own generator: backoff jitter never draws from (or reseeds) the caller's global `random`
_jitter = random.Random()

#: receives new text of one request, on the event loop's thread
TextCallback = Callable[[str], None]


class CapabilityError(RuntimeError):
    """The model cannot answer this kind of request."""


class ModelTimeoutError(TimeoutError):
    """A model call did not finish within the configured timeout (never retried)."""


@attrs.define
class RetryPolicy:
    retries: int = 5
    backoff_base: float = 1.0
    backoff_max: float = 60.0

    def delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.backoff_max)
        base: float = min(self.backoff_max, self.backoff_base * (2**attempt))
        return base * (0.5 + _jitter.random() / 2)


@attrs.define
class _Pending:
    request: ModelRequest
    future: asyncio.Future[ModelOutput]
    on_delta: TextCallback | None = None


class Model:
    """Wraps a `ModelAPI` with concurrency, batching, retries, timeouts and caching."""

    def __init__(
        self,
        api: ModelAPI,
        *,
        max_concurrency: int = 1,
        retry: RetryPolicy | None = None,
        timeout: float | None = None,
        cache: bool = True,
        cache_size: int = 1024,
        batch_linger: float = 0.005,
    ) -> None:
        self.api = api
        self.retry = retry or RetryPolicy()
        self.timeout = timeout
        self.max_concurrency = max(1, max_concurrency)
        self.batch_size = max(1, getattr(api, "max_batch_size", 1))
        self.batch_linger = batch_linger
        self._cache: OrderedDict[str, ModelOutput] | None = OrderedDict() if cache else None
        self.cache_size = max(1, cache_size)
        self._semaphore: asyncio.Semaphore | None = None
        self._queues: dict[RequestKind, list[_Pending]] = {}
        self._dispatchers: dict[RequestKind, asyncio.Task[None]] = {}
        self._wakeups: dict[RequestKind, asyncio.Event] = {}
        self.calls = 0
        self.retries_done = 0

    @property
    def capabilities(self) -> frozenset[RequestKind]:
        return self.api.capabilities

    def supports(self, kind: RequestKind) -> bool:
        return kind in self.api.capabilities

    async def call(self, request: ModelRequest, *, on_delta: TextCallback | None = None) -> ModelOutput:
        """Answer one request (batched with concurrent ones where the adapter batches).

        With `on_delta`, new text is passed to it as it is generated (token by token where the
        adapter streams, else the whole text once); the pieces concatenate to the output's `text`.
        """
        if request.kind not in self.api.capabilities:
            raise CapabilityError(
                f"{type(self.api).__name__} cannot answer {request.kind.value} requests; "
                f"it supports {sorted(k.value for k in self.api.capabilities)}"
            )
        key = request.cache_key() if self._cache is not None else None
        if key is not None and key in self._cache:  # type: ignore[operator]  # the cache exists whenever key is set
            cached = self._cache[key]  # type: ignore[index]  # the cache exists whenever key is set
            self._cache.move_to_end(key)  # type: ignore[union-attr]  # the cache exists whenever key is set
            if on_delta is not None and cached.text:
                _deliver(on_delta, cached.text)
            return cached
        if self.batch_size > 1:
            output = await self._enqueue(request, on_delta)
        else:
            waiting = [True]
            route = _router([on_delta], lambda _: waiting[0]) if on_delta is not None else None
            try:
                output = (await self._call_with_policy([request], route))[0]
            except asyncio.CancelledError:
                waiting[0] = False  # a streaming adapter still running in a thread may stop now
                raise
        if key is not None and output.error is None:
            self._cache[key] = output  # type: ignore[index]  # the cache exists whenever key is set
            if len(self._cache) > self.cache_size:  # type: ignore[arg-type]  # the cache exists whenever key is set
                self._cache.popitem(last=False)  # type: ignore[union-attr]  # the cache exists whenever key is set
        return output

    async def generate(self, request: ModelRequest, *, on_delta: TextCallback | None = None) -> ModelOutput:
        return await self.call(request, on_delta=on_delta)

    # -- batching -------------------------------------------------------------------------------
    async def _enqueue(self, request: ModelRequest, on_delta: TextCallback | None) -> ModelOutput:
        loop = asyncio.get_running_loop()
        pending = _Pending(request, loop.create_future(), on_delta)
        kind = request.kind
        self._queues.setdefault(kind, []).append(pending)
        event = self._wakeups.setdefault(kind, asyncio.Event())
        event.set()
        task = self._dispatchers.get(kind)
        if task is None or task.done():
            self._dispatchers[kind] = asyncio.create_task(self._dispatch(kind))
        return await pending.future

    async def _dispatch(self, kind: RequestKind) -> None:
        queue = self._queues[kind]
        event = self._wakeups[kind]
        while queue:
            if len(queue) < self.batch_size:
                # let concurrent producers join the batch, but never wait long
                event.clear()
                try:
                    await asyncio.wait_for(event.wait(), self.batch_linger)
                except asyncio.TimeoutError:
                    pass
                if len(queue) < self.batch_size:
                    await asyncio.sleep(0)
            batch, queue[: self.batch_size] = queue[: self.batch_size], []
            callbacks = [p.on_delta for p in batch]
            route = _router(callbacks, _waiting(batch)) if any(callbacks) else None
            try:
                outputs = await self._call_with_policy([p.request for p in batch], route)
            except BaseException as exc:  # noqa: BLE001 - delivered to every waiter
                for p in batch:
                    if not p.future.done():
                        p.future.set_exception(exc)
                if isinstance(exc, asyncio.CancelledError):
                    raise
                continue
            for p, out in zip(batch, outputs):
                if not p.future.done():
                    p.future.set_result(out)

    # -- retries, timeout, concurrency ------------------------------------------------------------
    async def _call_with_policy(
        self, requests: Sequence[ModelRequest], on_delta: DeltaCallback | None = None
    ) -> list[ModelOutput]:
        if self._semaphore is None:
            self._semaphore = asyncio.Semaphore(self.max_concurrency)
        attempt = 0
        emitted = False

        def tracked(index: int, text: str) -> bool | None:
            nonlocal emitted
            emitted = True
            return on_delta(index, text)  # type: ignore[misc]  # on_delta is set when tracked is used

        while True:
            try:
                async with self._semaphore:
                    self.calls += 1
                    if on_delta is None:
                        coro = self.api.call(requests)
                    else:
                        coro = self.api.call_streaming(requests, tracked)
                    outputs = await (self._within_timeout(coro) if self.timeout else coro)
                if len(outputs) != len(requests):
                    raise RuntimeError(f"{type(self.api).__name__} returned {len(outputs)} outputs for {len(requests)} requests")
                return outputs
            except (asyncio.CancelledError, ModelTimeoutError):
                raise
            except Exception as exc:  # noqa: BLE001
                transient = self.api.is_retryable(exc)
                # text already handed to a streaming caller cannot be taken back: no retry then
                if not transient or emitted or attempt >= self.retry.retries:
                    raise
                delay = self.retry.delay(attempt, self.api.retry_after(exc))
                log.warning("model call failed (%s); retry %d/%d in %.1fs", type(exc).__name__, attempt + 1, self.retry.retries, delay)
                self.retries_done += 1
                attempt += 1
                await asyncio.sleep(delay)

    async def _within_timeout(self, coro: Any) -> list[ModelOutput]:
        """Await `coro` for at most `timeout` seconds. A timeout is not retried: the provider may
        still be working on the request, and a retry would start the same long generation again."""
        try:
            return await asyncio.wait_for(coro, self.timeout)
        except asyncio.TimeoutError:
            raise ModelTimeoutError(
                f"no answer within {self.timeout:g} s (the `timeout` setting, --timeout); "
                "raise it for long generations or lower max_tokens"
            ) from None

    async def aclose(self, *, close_api: bool = True) -> None:
        """Stop the batch dispatchers; close the adapter too unless it belongs to someone else."""
        for task in self._dispatchers.values():
            task.cancel()
        if close_api:
            await self.api.aclose()


def _deliver(callback: TextCallback, text: str) -> None:
    """Pass text to a caller's callback; a failing callback is logged, never breaks the batch."""
    try:
        callback(text)
    except Exception:  # noqa: BLE001
        log.exception("on_delta callback failed")


def _waiting(batch: list[_Pending]) -> Callable[[int], bool]:
    """Whether someone still waits for the i-th request of `batch`."""
    return lambda i: not batch[i].future.cancelled()


def _router(callbacks: Sequence[TextCallback | None], waiting: Callable[[int], bool]) -> DeltaCallback:
    """An adapter-facing `on_delta(i, text)` that forwards to the i-th request's callback and
    answers False once nobody `waiting` for request i any more."""

    def route(index: int, text: str) -> bool:
        if not waiting(index):
            return False
        callback = callbacks[index] if 0 <= index < len(callbacks) else None
        if callback is not None and text:
            _deliver(callback, text)
        return True

    return route
