"""Saturation detection: the client must say when it, not the server, was the limit."""

import asyncio
import time

from evalscope.perf.records import RequestRecord
from evalscope.perf.scheduler import open_loop_offsets, run_open
from evalscope.perf.selfcheck import LoopLagProbe, WorkerStats, assess


def _ok(i, intended, send):
    return RequestRecord(i, intended, send=send, end=send + 0.01, success=True)


def test_healthy_client_is_not_flagged():
    recs = [_ok(i, i * 0.01, i * 0.01 + 0.0002) for i in range(100)]
    sc = assess(recs, [WorkerStats(0, cpu_s=0.2, wall_s=1.0, loop_lags=[0.0005] * 100)], open_loop=True)
    assert not sc.saturated and sc.warnings == []


def test_high_cpu_is_flagged():
    recs = [_ok(i, i * 0.01, i * 0.01) for i in range(100)]
    sc = assess(recs, [WorkerStats(0, cpu_s=0.97, wall_s=1.0, loop_lags=[0.0001])], open_loop=False)
    assert sc.saturated and "CPU" in sc.warnings[0]
    assert sc.cpu_ms_per_request == 9.7


def test_schedule_slip_is_flagged():
    recs = [_ok(i, i * 0.01, i * 0.01 + 0.05) for i in range(100)]
    sc = assess(recs, [WorkerStats(0, cpu_s=0.1, wall_s=1.0, loop_lags=[0.0001])], open_loop=True)
    assert sc.saturated and any("send lag" in w for w in sc.warnings)


def test_real_blocked_event_loop_is_detected():
    """A send function that burns the loop for 20 ms per request: lag must show up."""
    records = []

    async def send(i, intended):
        r = RequestRecord(i, intended, send=time.perf_counter())
        time.sleep(0.02)  # blocking work on the loop, like parsing too much on one core
        r.end = time.perf_counter()
        r.success = True
        records.append(r)
        return r

    async def main():
        probe = LoopLagProbe(0.002)
        probe.start()
        await run_open(send, open_loop_offsets(20, 200.0, "constant"), time.perf_counter())
        await probe.stop()
        return probe.lags

    lags = asyncio.run(main())
    sc = assess(records, [WorkerStats(0, cpu_s=0.1, wall_s=1.0, loop_lags=lags)], open_loop=True)
    assert sc.saturated
    assert sc.loop_lag_p99_ms > 5 and sc.send_lag_p99_ms > 10


def _intervals(lags, base=0.01, top=0.16, quiet=0.001):
    """The sleeps the back-off rule asks for, given the lags the probe saw: doubling after a punctual wake-up."""
    cur, out = base, []
    for lag in lags:
        out.append(cur)
        cur = base if lag >= quiet else min(cur * 2, top)
    return out


def test_probe_backs_off_when_idle_and_returns_when_late():
    async def main():
        probe = LoopLagProbe(0.01, max_interval=0.16)
        probe.start()
        started = time.perf_counter()
        await asyncio.sleep(0.8)  # idle: 10, 20, 40, 80, 160, 160 ... ms
        idle = len(probe.lags)
        idle_s = time.perf_counter() - started
        time.sleep(0.2)  # longer than any interval: one late wake-up, back to 10 ms
        await asyncio.sleep(0.5)
        await probe.stop()
        return idle, idle_s, probe.lags

    idle, idle_s, lags = asyncio.run(main())
    # the wake-ups fit the idle time only if the probe slept as the rule says: 80 wake-ups at a fixed 10 ms
    # would add up to ~8 s of rule-sized sleeps; a busy host's late wake-ups reset the interval (rule included)
    assert sum(_intervals(lags[:idle])) + sum(lags[:idle]) <= idle_s + 0.002
    if max(lags[:idle]) < 0.001:  # punctual throughout: the textbook sequence
        assert idle <= 8
    late = idle + max(range(len(lags) - idle), key=lambda i: lags[idle + i])
    assert lags[late] > 0.02 and len(lags) >= late + 4  # after the late wake-up, short intervals again
    assert _intervals(lags)[late + 1] == 0.01
