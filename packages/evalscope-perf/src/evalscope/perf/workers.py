"""Execute a planned run in this process or fanned out over several worker processes.

A :class:`WorkPlan` is plain data (picklable). Each process runs its own event loop,
connection pool and scheduler on its share of the plan; all share one start time ``t0`` on
the system-wide monotonic clock (``perf_counter`` is CLOCK_MONOTONIC on Linux), so their
records merge without adjustment.

``t0`` is chosen only once every client is ready (a barrier after :func:`prepare`: process
spawn, imports, the event loop and its uvloop import, the connection pool), so start-up is
never counted as send lag; it is reported apart as ``WorkerStats.startup_s``.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import multiprocessing as mp
import os
import time
from collections.abc import Sequence
from typing import Any

import attrs

from evalscope.core.cpu import CpuMeter
from evalscope.core.net.http import Pool, Target, build_request
from evalscope.perf.apis import Prompt, RequestSpec
from evalscope.perf.client import send_one
from evalscope.perf.records import RequestRecord
from evalscope.perf.scheduler import run_closed, run_open
from evalscope.perf.selfcheck import LoopLagProbe, WorkerStats

_perf = time.perf_counter

#: test hook: seconds of extra client set-up (a slow start on a busy machine), inherited by client processes
STARTUP_DELAY_ENV = "EVALSCOPE_PERF_TEST_STARTUP_DELAY"
#: t0 this long after the clients are ready: time to hand it to them and enter the loop
START_MARGIN_S = 0.02
START_MARGIN_PROCESSES_S = 0.05


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
    tools: bool = False  # --tools given: count the responses' tool calls
    worker: int = 0
    use_uvloop: bool = True
    #: a queue (multiprocessing, spawn context) told ("request", success, ttft, latency, itls) as each
    #: request ends, for live displays (`evalscope perf --tui`); None: nothing is sent
    progress: Any = None


async def _execute_async(plan: WorkPlan, pool: Pool, t0: float) -> tuple[list[RequestRecord], WorkerStats]:
    records: list[RequestRecord] = []
    items = plan.items
    probe = LoopLagProbe()
    timeout = plan.timeout
    stream = plan.stream
    keep_text = plan.keep_text
    tools = plan.tools
    worker = plan.worker

    progress = plan.progress

    async def send(k: int, intended: float) -> RequestRecord:
        item = items[k]
        if item.turns is not None:
            rec = await _conversation(item, intended)
        else:
            rec = RequestRecord(item.index, intended, stream=stream, intended_prompt_tokens=item.intended_tokens, worker=worker)
            records.append(rec)
            rec = await send_one(pool, item.payload, rec, timeout=timeout, keep_text=keep_text, tools=tools)  # type: ignore[arg-type]  # the payload of a single-turn item is set
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
            await send_one(pool, build_request(plan.head, body), rec, timeout=timeout, keep_text=True, tools=tools)
            if not rec.success:
                break
            messages.append({"role": "assistant", "content": rec.output_text})
            intended = rec.end
        assert rec is not None
        return rec

    probe.start()
    try:
        with CpuMeter() as cpu:
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
        worker=worker, cpu_s=cpu.cpu_s, wall_s=cpu.wall_s, loop_lags=probe.lags,
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


@attrs.define
class Client:
    """A client made ready for its first send: event loop and connection pool."""

    loop: asyncio.AbstractEventLoop
    pool: Pool


def prepare(plan: WorkPlan) -> Client:
    """Everything a client does before the schedule may start (uvloop's import alone takes 10-150 ms)."""
    delay = float(os.environ.get(STARTUP_DELAY_ENV) or 0)
    if delay > 0:
        time.sleep(delay)
    loop = _new_loop(plan.use_uvloop)
    return Client(loop, Pool(Target.from_url(plan.url), connect_timeout=plan.connect_timeout))


def execute(
    plan: WorkPlan, t0: float | None = None, client: Client | None = None
) -> tuple[list[RequestRecord], WorkerStats]:
    """Run ``plan`` in this process (blocking). Times in records are absolute perf_counter.

    ``client``: made by :func:`prepare` before ``t0`` was chosen (else made here, before t0).
    """
    client = client or prepare(plan)
    loop = client.loop
    try:
        start = _perf() + START_MARGIN_S if t0 is None else t0
        return loop.run_until_complete(_execute_async(plan, client.pool, start))
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
    try:
        client = prepare(plan)
    except BaseException as exc:
        conn.send(("error", repr(exc)))
        conn.close()
        return
    conn.send(("ready", _perf()))
    t0 = conn.recv()
    try:
        result = execute(plan, t0, client)
        conn.send(("ok", result))
    except BaseException as exc:  # report instead of dying silently
        conn.send(("error", repr(exc)))
    finally:
        conn.close()


def run_plan(plan: WorkPlan, workers: int = 1) -> tuple[list[RequestRecord], list[WorkerStats], float]:
    """Run ``plan`` over ``workers`` processes; returns records, per-process stats and t0.

    ``t0`` is set once every client is ready (:func:`prepare`); each one's ``startup_s`` counts from
    the start of this call.
    """
    parts = split_plan(plan, workers)
    started = _perf()
    if len(parts) == 1:
        client = prepare(parts[0])
        ready = _perf()
        t0 = ready + START_MARGIN_S
        recs, one = execute(parts[0], t0, client)
        one.startup_s = ready - started
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
    try:
        ready_at = [_wait_ready(pipe, p) for pipe, p in zip(pipes, procs)]
    except BaseException:
        for p in procs:
            p.terminate()
        raise
    t0 = _perf() + START_MARGIN_PROCESSES_S
    for pipe in pipes:
        pipe.send(t0)
    records: list[RequestRecord] = []
    stats: list[WorkerStats] = []
    errors = []
    for pipe, ready in zip(pipes, ready_at):
        status, payload = pipe.recv()
        if status == "ok":
            records.extend(payload[0])
            payload[1].startup_s = ready - started
            stats.append(payload[1])
        else:
            errors.append(payload)
    for p in procs:
        p.join(timeout=10)
    if errors:
        raise RuntimeError(f"worker process failed: {errors[0]}")
    records.sort(key=lambda r: (r.index, r.turn))
    return records, stats, t0


def _wait_ready(pipe, proc) -> float:
    """The time a client process said it was ready; an error naming why it was not."""
    try:
        status, payload = pipe.recv()
    except EOFError:
        proc.join(timeout=5)
        raise RuntimeError(f"worker process exited before it was ready (exit code {proc.exitcode})") from None
    if status != "ready":
        raise RuntimeError(f"worker process failed to start: {payload}")
    return float(payload)


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
