"""Load shapes: closed loop at fixed concurrency, open loop on an absolute-time schedule.

Open loop: the send time of request *i* is ``t0 + offsets[i]``, computed up-front, so a
slow response or a late wake-up never shifts later sends (no drift). Closed loop: each of
``concurrency`` slots sends its next request as soon as its previous one ends; the
*intended* send of that next request is the moment the slot became free (the previous
response's last byte), so any client delay between the two shows up as send lag.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable, Coroutine
from typing import Any

from evalscope.perf.records import RequestRecord

_perf = time.perf_counter

SendFn = Callable[[int, float], Coroutine[Any, Any, RequestRecord]]


def open_loop_offsets(n: int, rate: float, distribution: str = "poisson", seed: int | None = 0) -> list[float]:
    """Intended send offsets (seconds from t0) of ``n`` requests at ``rate`` req/s.

    ``poisson``: exponential inter-arrival gaps (seeded), scaled so that their mean is exactly
    1/rate — a Poisson process conditioned on its ``n`` arrivals spanning (n−1)/rate seconds,
    so the run's mean rate is the asked one rather than a sample's (±1/√n). ``constant``:
    exactly 1/rate apart. The first request leaves at 0.
    """
    if rate <= 0:
        raise ValueError("rate must be > 0")
    if distribution == "constant":
        return [i / rate for i in range(n)]
    if distribution != "poisson":
        raise ValueError(f"unknown arrival distribution {distribution!r}")
    rng = random.Random(seed)
    gaps = [rng.expovariate(rate) for _ in range(max(0, n - 1))]
    scale = (len(gaps) / rate) / sum(gaps) if gaps else 1.0
    t = 0.0
    out = [0.0] if n else []
    for g in gaps:
        t += g * scale
        out.append(t)
    return out


async def run_closed(
    send: SendFn, n: int, concurrency: int, t0: float, duration: float | None = None
) -> None:
    """Issue requests ``0..n-1`` keeping ``concurrency`` in flight."""
    next_index = 0
    deadline = t0 + duration if duration else None

    async def slot() -> None:
        nonlocal next_index
        intended = t0
        while True:
            i = next_index
            if i >= n or (deadline is not None and _perf() >= deadline):
                return
            next_index += 1
            rec = await send(i, intended)
            intended = rec.end if rec.end == rec.end else _perf()

    wait = t0 - _perf()
    if wait > 0:
        await asyncio.sleep(wait)
    await asyncio.gather(*(slot() for _ in range(max(1, min(concurrency, n)))))


async def run_open(
    send: SendFn,
    offsets: list[float],
    t0: float,
    *,
    indices: list[int] | None = None,
    max_concurrency: int | None = None,
    duration: float | None = None,
) -> None:
    """Fire request ``indices[k]`` at ``t0 + offsets[k]`` regardless of earlier responses.

    With ``max_concurrency`` a send waits for a free slot (a semaphore-capped open loop);
    its intended time stays the scheduled one, so the wait shows as send lag.
    """
    if indices is None:
        indices = list(range(len(offsets)))
    sem = asyncio.Semaphore(max_concurrency) if max_concurrency else None
    tasks: set[asyncio.Task] = set()
    loop = asyncio.get_running_loop()

    async def capped(i: int, intended: float) -> None:
        assert sem is not None
        try:
            await send(i, intended)
        finally:
            sem.release()

    for i, off in zip(indices, offsets):
        target = t0 + off
        if duration is not None and off >= duration:
            break
        delay = target - _perf()
        if delay > 0.0002:
            await asyncio.sleep(delay)
        if sem is not None:
            await sem.acquire()
            task: asyncio.Task[Any] = loop.create_task(capped(i, target))
        else:
            task = loop.create_task(send(i, target))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    if tasks:
        await asyncio.gather(*tasks)
