"""Execute a planned run in this process or fanned out over several worker processes.

A :class:`WorkPlan` is plain data (picklable). Each process runs its own event loop,
connection pool and scheduler on its share of the plan; all share one start time ``t0`` on
the system-wide monotonic clock (``perf_counter`` is CLOCK_MONOTONIC on Linux), so their
records merge without adjustment.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import multiprocessing as mp
import time
from collections.abc import Sequence
from typing import Any

import attrs

from evalscope.perf.apis import Prompt, RequestSpec
from evalscope.perf.client import send_one
from evalscope.perf.http import Pool, Target, build_request
from evalscope.perf.records import RequestRecord
from evalscope.perf.scheduler import run_closed, run_open
from evalscope.perf.selfcheck import CpuTimer, LoopLagProbe, WorkerStats

_perf = time.perf_counter


@attrs.define
class WorkItem:
    """One scheduled unit: a prebuilt request, or a multi-turn conversation."""

    index: int
    payload: bytes | None = None
    intended_tokens: int | None = None
    turns: tuple[str, ...] | None = None


@attrs.define
class WorkPlan:
    """Everything one process needs to run its share of a load test."""

    url: str
    head: bytes
    items: list[WorkItem]
    mode: str = "closed"  # closed | open
    concurrency: int = 1
    offsets: list[float] | None = None
    duration: float | None = None
    timeout: float | None = None
    connect_timeout: float | None = 30.0
    stream: bool = True
    spec: RequestSpec | None = None  # needed for multi-turn bodies
    keep_text: bool = True
    worker: int = 0
    use_uvloop: bool = True
    #: a queue (multiprocessing, spawn context) told ("request", success, ttft, latency, itls) as each
    #: request ends, for live displays (`evalscope perf --tui`); None: nothing is sent
    progress: Any = None


async def _execute_async(plan: WorkPlan, t0: float) -> tuple[list[RequestRecord], WorkerStats]:
    pool = Pool(Target.from_url(plan.url), connect_timeout=plan.connect_timeout)
    records: list[RequestRecord] = []
    items = plan.items
    probe = LoopLagProbe()
    timeout = plan.timeout
    stream = plan.stream
    keep_text = plan.keep_text
    worker = plan.worker

    progress = plan.progress

    async def send(k: int, intended: float) -> RequestRecord:
        item = items[k]
        if item.turns is not None:
            rec = await _conversation(item, intended)
        else:
            rec = RequestRecord(item.index, intended, stream=stream, intended_prompt_tokens=item.intended_tokens, worker=worker)
            records.append(rec)
            rec = await send_one(pool, item.payload, rec, timeout=timeout, keep_text=keep_text)  # type: ignore[arg-type]  # the payload of a single-turn item is set
        if progress is not None:
            progress.put(("request", rec.success, rec.ttft, rec.latency, rec.itls))
        return rec

    async def _conversation(item: WorkItem, intended: float) -> RequestRecord:
        assert plan.spec is not None and item.turns is not None
        messages: list[dict[str, str]] = []
        rec = None
        for turn, text in enumerate(item.turns):
            messages.append({"role": "user", "content": text})
            body = plan.spec.encode(Prompt(text=text), list(messages))
            rec = RequestRecord(
                item.index, intended, stream=stream, conversation=item.index, turn=turn, worker=worker
            )
            records.append(rec)
            await send_one(pool, build_request(plan.head, body), rec, timeout=timeout, keep_text=True)
            if not rec.success:
                break
            messages.append({"role": "assistant", "content": rec.output_text})
            intended = rec.end
        assert rec is not None
        return rec

    probe.start()
    try:
        with CpuTimer() as cpu:
            if plan.mode == "open":
                assert plan.offsets is not None
                await run_open(
                    send,
                    plan.offsets,
                    t0,
                    indices=list(range(len(items))),
                    max_concurrency=plan.concurrency or None,
                    duration=plan.duration,
                )
            else:
                await run_closed(send, len(items), plan.concurrency, t0, plan.duration)
    finally:
        await probe.stop()
        pool.close()
    stats = WorkerStats(
        worker=worker, cpu_s=cpu.cpu, wall_s=cpu.wall, loop_lags=probe.lags,
        read_delays=pool.read_delays, kernel_stamps=pool.raw,
    )
    return records, stats


def _new_loop(use_uvloop: bool) -> asyncio.AbstractEventLoop:
    if use_uvloop:
        try:
            import uvloop

            return uvloop.new_event_loop()
        except ImportError:
            pass
    return asyncio.new_event_loop()


def execute(plan: WorkPlan, t0: float | None = None) -> tuple[list[RequestRecord], WorkerStats]:
    """Run ``plan`` in this process (blocking). Times in records are absolute perf_counter."""
    loop = _new_loop(plan.use_uvloop)
    try:
        start = _perf() + 0.02 if t0 is None else t0
        return loop.run_until_complete(_execute_async(plan, start))
    except BaseException:  # Ctrl-C: cancel what is in flight so that connections close quietly
        _cancel_all(loop)
        raise
    finally:
        loop.close()


def _cancel_all(loop: asyncio.AbstractEventLoop) -> None:
    tasks = [t for t in asyncio.all_tasks(loop) if not t.done()]
    for t in tasks:
        t.cancel()
    if tasks:
        with contextlib.suppress(BaseException):
            loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))


def split_plan(plan: WorkPlan, k: int) -> list[WorkPlan]:
    """Share a plan between ``k`` processes (round-robin items; concurrency divided)."""
    if k <= 1:
        return [plan]
    parts = []
    for w in range(k):
        items = plan.items[w::k]
        if not items:
            continue
        conc = plan.concurrency // k + (1 if w < plan.concurrency % k else 0) if plan.concurrency else 0
        if plan.mode == "closed":
            conc = max(1, conc)
        offsets = plan.offsets[w::k] if plan.offsets is not None else None
        duration = plan.duration
        parts.append(attrs.evolve(plan, items=items, concurrency=conc, offsets=offsets, duration=duration, worker=w))
    return parts


def _child(plan: WorkPlan, conn) -> None:  # runs in a worker process
    conn.send("ready")
    t0 = conn.recv()
    try:
        result = execute(plan, t0)
        conn.send(("ok", result))
    except BaseException as exc:  # report instead of dying silently
        conn.send(("error", repr(exc)))
    finally:
        conn.close()


def run_plan(plan: WorkPlan, workers: int = 1) -> tuple[list[RequestRecord], list[WorkerStats], float]:
    """Run ``plan`` over ``workers`` processes; returns records, per-process stats and t0."""
    parts = split_plan(plan, workers)
    if len(parts) == 1:
        t0 = _perf() + 0.02
        recs, one = execute(parts[0], t0)
        return recs, [one], t0
    ctx = mp.get_context("spawn")
    procs = []
    pipes = []
    for part in parts:
        parent, child = ctx.Pipe()
        p = ctx.Process(target=_child, args=(part, child), daemon=True)
        p.start()
        procs.append(p)
        pipes.append(parent)
    for pipe in pipes:
        if pipe.recv() != "ready":
            raise RuntimeError("worker failed to start")
    t0 = _perf() + 0.05
    for pipe in pipes:
        pipe.send(t0)
    records: list[RequestRecord] = []
    stats: list[WorkerStats] = []
    errors = []
    for pipe in pipes:
        status, payload = pipe.recv()
        if status == "ok":
            records.extend(payload[0])
            stats.append(payload[1])
        else:
            errors.append(payload)
    for p in procs:
        p.join(timeout=10)
    if errors:
        raise RuntimeError(f"worker process failed: {errors[0]}")
    records.sort(key=lambda r: (r.index, r.turn))
    return records, stats, t0


def rebase(records: Sequence[RequestRecord], t0: float) -> None:
    """Make record times relative to ``t0`` (in place)."""
    for r in records:
        r.intended_send -= t0
        r.send -= t0
        if not math.isnan(r.first_byte) and r.first_byte:
            r.first_byte -= t0
        else:
            r.first_byte = math.nan
        r.first_token -= t0
        r.end -= t0
        r.chunk_times = [t - t0 for t in r.chunk_times]
