"""Is the client keeping up? Event-loop lag, send lag and CPU → a saturation verdict.

A load tester whose own loop is late reports its own delays as server latency. We measure:
- loop lag: a probe asks to wake every 20 ms (backing off to 250 ms while punctual) and records
  how late it woke; it delays sends (visible as send lag) — arrival times are kernel-stamped;
- read delay: how long after the kernel received response bytes the client processed them;
- send lag: actual send − intended send per request (from the records);
- CPU: process CPU seconds / wall seconds of each client process (1.0 = one full core), and
  per completed request summed over the processes (``evalscope.core.cpu``, shared with the engine);
- start-up: how long the clients took to get ready (spawn, imports, event loop) before the
  schedule's t0 — reported apart, never counted as send lag.
"""

from __future__ import annotations

import asyncio
import math
import os
import time
from collections.abc import Sequence

import attrs

from evalscope.core.cpu import cpu_ms_per_request
from evalscope.perf.metrics import percentile
from evalscope.perf.records import RequestRecord

# Thresholds for the verdict (documented in docs/perf-metrics.md).
MAX_LOOP_LAG_P99_MS = 5.0
MAX_SEND_LAG_P99_MS = 10.0
MAX_CPU_FRACTION = 0.85


class LoopLagProbe:
    """Background task measuring how late the event loop wakes up.

    It asks to wake every ``interval``; while wake-ups are punctual (lag < ``quiet``) the
    interval doubles up to ``max_interval``, and any late wake-up resets it, so an idle client
    (long responses) wakes a few times a second instead of 50.
    """

    def __init__(self, interval: float = 0.02, max_interval: float = 0.25, quiet: float = 0.001) -> None:
        self.interval = interval
        self.max_interval = max(interval, max_interval)
        self.quiet = quiet
        self.lags: list[float] = []
        self._task: asyncio.Task | None = None

    async def _run(self) -> None:
        perf = time.perf_counter
        base, top, quiet = self.interval, self.max_interval, self.quiet
        cur = base
        lags = self.lags
        while True:
            t = perf()
            await asyncio.sleep(cur)
            lag = perf() - t - cur
            lags.append(lag if lag > 0.0 else 0.0)
            cur = base if lag >= quiet else min(cur * 2.0, top)

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass


@attrs.define
class WorkerStats:
    """Self-measurements of one client process."""

    worker: int = 0
    cpu_s: float = 0.0
    wall_s: float = 0.0
    loop_lags: list[float] = attrs.field(factory=list)
    read_delays: list[float] = attrs.field(factory=list)  # kernel arrival → processing, per read (sampled)
    kernel_stamps: bool = False  # arrival times are the kernel's receive timestamps
    startup_s: float = math.nan  # from the start of its set-up (spawn included) until it was ready

    @property
    def cpu_fraction(self) -> float:
        return self.cpu_s / self.wall_s if self.wall_s > 0 else math.nan


@attrs.define
class SelfCheck:
    """Client health over one run."""

    workers: int
    cpu_fraction_max: float
    cpu_ms_per_request: float
    loop_lag_p99_ms: float
    loop_lag_max_ms: float
    read_delay_p99_ms: float
    kernel_stamps: bool
    send_lag_p50_ms: float
    send_lag_p99_ms: float
    saturated: bool
    warnings: list[str]
    startup_s: float = math.nan  # until the last client was ready (before t0: not send lag)


def assess(
    records: Sequence[RequestRecord],
    stats: Sequence[WorkerStats],
    *,
    open_loop: bool,
    capped: bool = False,
) -> SelfCheck:
    """Decide whether the client (not the server) limited this run."""
    lags = sorted(x * 1000 for s in stats for x in s.loop_lags)
    delays = sorted(x * 1000 for s in stats for x in s.read_delays)
    kernel = bool(stats) and all(s.kernel_stamps for s in stats)
    send_lags = sorted(r.send_lag * 1000 for r in records if not math.isnan(r.send))
    cpu_fracs = [s.cpu_fraction for s in stats if not math.isnan(s.cpu_fraction)]
    cpu_max = max(cpu_fracs) if cpu_fracs else math.nan
    cpu_total = sum(s.cpu_s for s in stats)
    per_req = cpu_ms_per_request(cpu_total, sum(1 for r in records if not math.isnan(r.end)))
    startups = [s.startup_s for s in stats if not math.isnan(s.startup_s)]
    ll99 = percentile(lags, 99)
    sl50 = percentile(send_lags, 50)
    sl99 = percentile(send_lags, 99)
    warnings: list[str] = []
    if not math.isnan(cpu_max) and cpu_max > MAX_CPU_FRACTION:
        warnings.append(
            f"client CPU at {cpu_max:.0%} of a core (> {MAX_CPU_FRACTION:.0%}): the client may be the bottleneck; "
            "use --num-workers to spread the load over processes"
        )
    # loop lag matters relative to what is measured: 7 ms is noise on 8 s responses
    lat = sorted(r.latency * 1000 for r in records if r.success and not math.isnan(r.end))
    lag_limit = max(MAX_LOOP_LAG_P99_MS, 0.02 * percentile(lat, 50)) if lat else MAX_LOOP_LAG_P99_MS
    if not math.isnan(ll99) and ll99 > lag_limit:
        where = "sends may leave late (see send lag); arrival times are kernel-stamped" if kernel else (
            "timestamps are late by up to that much"
        )
        warnings.append(f"event-loop lag p99 {ll99:.1f} ms (> {lag_limit:.1f} ms): {where}")
    if (open_loop and not capped) and not math.isnan(sl99) and sl99 > MAX_SEND_LAG_P99_MS:
        warnings.append(
            f"send lag p99 {sl99:.1f} ms (> {MAX_SEND_LAG_P99_MS} ms): the client fell behind its schedule"
        )
    refill_limit = max(MAX_SEND_LAG_P99_MS, 0.02 * percentile(lat, 50)) if lat else MAX_SEND_LAG_P99_MS
    if not open_loop and not math.isnan(sl99) and sl99 > refill_limit:
        warnings.append(
            f"closed-loop slot refill lag p99 {sl99:.1f} ms (> {refill_limit:.1f} ms): the client is slow to send"
        )
    return SelfCheck(
        workers=len(stats),
        cpu_fraction_max=cpu_max,
        cpu_ms_per_request=per_req,
        loop_lag_p99_ms=ll99,
        loop_lag_max_ms=lags[-1] if lags else math.nan,
        read_delay_p99_ms=percentile(delays, 99),
        kernel_stamps=kernel,
        send_lag_p50_ms=sl50,
        send_lag_p99_ms=sl99,
        saturated=bool(warnings),
        warnings=warnings,
        startup_s=max(startups) if startups else math.nan,
    )


def cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - non-Linux
        return os.cpu_count() or 1
