"""Scheduler timing: absolute open-loop schedule, closed-loop slots and intended send times."""

import asyncio
import statistics
import time

import pytest

from evalscope.perf.records import RequestRecord
from evalscope.perf.scheduler import open_loop_offsets, run_closed, run_open


def test_constant_offsets_are_exact():
    assert open_loop_offsets(5, 10.0, "constant") == pytest.approx([0, 0.1, 0.2, 0.3, 0.4])


def test_poisson_offsets_have_the_asked_mean_rate_and_exponential_gaps():
    offs = open_loop_offsets(20000, 200.0, "poisson", seed=1)
    gaps = [b - a for a, b in zip(offs, offs[1:])]
    assert statistics.mean(gaps) == pytest.approx(1 / 200, rel=0.03)
    # exponential: standard deviation equals the mean
    assert statistics.pstdev(gaps) == pytest.approx(1 / 200, rel=0.05)
    assert offs == open_loop_offsets(20000, 200.0, "poisson", seed=1)


def _fake_sender(service_s, log):
    async def send(i, intended):
        r = RequestRecord(i, intended, send=time.perf_counter())
        log.append(r)
        await asyncio.sleep(service_s(i))
        r.end = time.perf_counter()
        return r

    return send


def test_open_loop_slow_response_never_delays_later_sends():
    log = []
    # request 0 takes 300 ms; the others are due every 20 ms and must leave on time
    send = _fake_sender(lambda i: 0.3 if i == 0 else 0.001, log)

    async def main():
        t0 = time.perf_counter() + 0.01
        await run_open(send, open_loop_offsets(10, 50.0, "constant"), t0)
        return t0

    t0 = asyncio.run(main())
    lags = [r.send - r.intended_send for r in log]
    # vs >= 280 ms for request 1 if the slow response blocked; a loaded box may wake a send late by tens of ms
    assert max(lags) < 0.1, lags
    assert all(r.send < log[0].end for r in log[1:8])  # sends due while request 0 ran left while it ran
    assert [round(r.intended_send - t0, 3) for r in log] == pytest.approx(
        [i * 0.02 for i in range(10)], abs=1e-6
    )


def test_open_loop_with_concurrency_cap_shows_queueing_as_send_lag():
    log = []
    send = _fake_sender(lambda i: 0.05, log)

    async def main():
        await run_open(send, [0.0] * 4, time.perf_counter(), max_concurrency=1)

    asyncio.run(main())
    lags = sorted(r.send - r.intended_send for r in log)
    # one slot, 50 ms each: the 4th waited (at least) the three before it, ~150 ms, behind its schedule
    assert lags[-1] >= 0.14
    assert all(b.send >= a.end for a, b in zip(log, log[1:]))  # each left when the slot freed


def test_closed_loop_keeps_n_in_flight_and_intended_is_previous_end():
    log = []
    in_flight = 0
    peak = 0

    async def send(i, intended):
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        r = RequestRecord(i, intended, send=time.perf_counter())
        log.append(r)
        await asyncio.sleep(SERVICE_S)
        r.end = time.perf_counter()
        in_flight -= 1
        return r

    SERVICE_S = 0.05
    asyncio.run(run_closed(send, 20, 4, time.perf_counter()))
    assert len(log) == 20 and peak == 4
    ends = {r.end for r in log}
    later = [r for r in log if r.intended_send not in (log[0].intended_send,)]
    assert later and all(r.intended_send in ends for r in later)
    # a freed slot is refilled at once: well within one service time (a poller or a wait for the whole
    # batch would take about one), whatever a loaded box adds to a wake-up
    assert max(r.send - r.intended_send for r in log) < SERVICE_S


def test_duration_stops_issuing():
    log = []
    send = _fake_sender(lambda i: 0.02, log)
    asyncio.run(run_closed(send, 10_000, 2, time.perf_counter(), duration=0.1))
    assert 4 <= len(log) <= 16


def test_poisson_schedule_has_exactly_the_asked_mean_rate():
    for seed in range(5):
        offs = open_loop_offsets(1000, 200.0, "poisson", seed=seed)
        assert offs[0] == 0 and (len(offs) - 1) / offs[-1] == pytest.approx(200.0, rel=1e-9)
        gaps = [b - a for a, b in zip(offs, offs[1:])]
        assert statistics.pstdev(gaps) == pytest.approx(1 / 200, rel=0.15)  # still exponential-like
