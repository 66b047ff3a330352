"""Every metric definition checked against synthetic records with known timings."""

import math

import pytest

from evalscope.perf.metrics import SLO, percentile, percentiles, summarize
from evalscope.perf.records import RequestRecord


def rec(i, intended, send, ttft, gaps, n_tokens=None, success=True, prompt=10, **kw):
    """A streamed request: first token at send+ttft, then chunks ``gaps`` apart."""
    first = send + ttft
    times = [first]
    for g in gaps:
        times.append(times[-1] + g)
    return RequestRecord(
        index=i, intended_send=intended, send=send, first_byte=send + 0.001, first_token=first,
        end=times[-1], chunk_times=times, status=200, success=success,
        prompt_tokens=prompt, completion_tokens=n_tokens if n_tokens is not None else len(times),
        tokens_source="usage", **kw,
    )


def test_ttft_tpot_itl_latency_of_one_request():
    r = rec(0, 0.0, 0.0, 0.050, [0.005] * 15)
    assert r.ttft == pytest.approx(0.050)
    assert r.latency == pytest.approx(0.050 + 15 * 0.005)
    # TPOT = (latency - TTFT) / (output tokens - 1); it excludes TTFT (guidellm's trap)
    assert r.tpot == pytest.approx(0.005)
    assert r.itls == pytest.approx([0.005] * 15)


def test_tpot_uses_token_count_not_chunk_count():
    # 4 chunks carrying 8 tokens: TPOT divides decode time by 7 tokens; ITL stays per chunk
    r = rec(0, 0.0, 0.0, 0.1, [0.02, 0.02, 0.02], n_tokens=8)
    assert r.tpot == pytest.approx(0.06 / 7)
    assert r.itls == pytest.approx([0.02] * 3)


def test_tpot_undefined_for_one_token_and_non_stream():
    assert math.isnan(rec(0, 0, 0, 0.1, [], n_tokens=1).tpot)
    r = rec(0, 0, 0, 0.1, [0.01])
    r.stream = False
    assert math.isnan(r.tpot)


def test_latency_from_intended_shows_queueing():
    # scheduled at 0.0 but sent at 0.2 (client/semaphore queueing)
    r = rec(0, 0.0, 0.2, 0.05, [0.01])
    assert r.latency == pytest.approx(0.06)
    assert r.latency_from_intended == pytest.approx(0.26)
    assert r.ttft_from_intended == pytest.approx(0.25)
    assert r.send_lag == pytest.approx(0.2)


def test_summary_totals_throughputs_and_means():
    records = [
        rec(0, 0.0, 0.0, 0.050, [0.010] * 9),  # end 0.14, 10 tokens
        rec(1, 0.0, 0.5, 0.100, [0.020] * 4),  # end 0.68, 5 tokens
        RequestRecord(2, 0.0, send=0.1, end=1.0, error="HTTP 500", status=500),  # failed, ends last
    ]
    s = summarize(records)
    assert s["Total requests"] == 3
    assert s["Succeeded requests"] == 2
    assert s["Failed requests"] == 1
    # duration: first actual send (0.0) to last end (1.0)
    assert s["Test duration (s)"] == pytest.approx(1.0)
    assert s["Request throughput (req/s)"] == pytest.approx(2.0)
    assert s["Output token throughput (tok/s)"] == pytest.approx(15.0)
    assert s["Total token throughput (tok/s)"] == pytest.approx(35.0)
    assert s["Mean TTFT (ms)"] == pytest.approx(75.0)
    assert s["Mean TPOT (ms)"] == pytest.approx((10.0 + 20.0) / 2)
    # ITL mean pools every gap: 9 gaps of 10 ms, 4 of 20 ms
    assert s["Mean ITL (ms)"] == pytest.approx((9 * 10 + 4 * 20) / 13)
    assert s["Mean latency (s)"] == pytest.approx((0.14 + 0.18) / 2)
    assert s["Mean output tokens"] == pytest.approx(7.5)
    assert s["Mean input tokens"] == pytest.approx(10)


def test_percentile_linear_interpolation():
    values = [1.0, 2.0, 3.0, 4.0, 5.0]
    assert percentile(values, 50) == 3.0
    assert percentile(values, 10) == pytest.approx(1.4)
    assert percentile(values, 99) == pytest.approx(4.96)
    assert percentile([7.0], 90) == 7.0
    assert math.isnan(percentile([], 50))


def test_percentile_table_has_the_ten_levels():
    records = [rec(i, 0.0, 0.0, 0.010 * (i + 1), [0.001]) for i in range(100)]
    pct = percentiles(records)
    assert list(pct["TTFT (ms)"]) == ["p10", "p25", "p50", "p66", "p75", "p80", "p90", "p95", "p98", "p99"]
    assert pct["TTFT (ms)"]["p50"] == pytest.approx(505.0)
    assert pct["TTFT (ms)"]["p99"] == pytest.approx(990.1)
    assert pct["Output tokens"]["p50"] == 2


def test_goodput_counts_requests_meeting_every_slo():
    records = [
        rec(0, 0, 0.0, 0.050, [0.005] * 9),  # ttft 50, tpot 5, e2e 95
        rec(1, 0, 0.0, 0.300, [0.005] * 9),  # ttft too high
        rec(2, 0, 0.0, 0.050, [0.050] * 9),  # tpot too high
        RequestRecord(3, 0, send=0.0, end=1.0, error="x"),  # failed
    ]
    slo = SLO.parse("ttft:100,tpot:10,e2e:1000")
    assert slo == SLO(ttft_ms=100, tpot_ms=10, e2e_ms=1000)
    s = summarize(records, slo=slo)
    assert s["Goodput (% of requests)"] == pytest.approx(25.0)
    assert s["Goodput (req/s)"] == pytest.approx(1 / s["Test duration (s)"])
    with pytest.raises(ValueError):
        SLO.parse("p99:5")


def test_prompt_length_mismatch_is_reported():
    a = rec(0, 0, 0, 0.05, [0.01], intended_prompt_tokens=100, server_prompt_tokens=100)
    b = rec(1, 0, 0, 0.05, [0.01], intended_prompt_tokens=100, server_prompt_tokens=131)
    s = summarize([a, b])
    assert s["Prompt length mismatches (server vs intended)"] == 1
