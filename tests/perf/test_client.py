"""The HTTP client and request recording against real loopback servers with known timing."""

import asyncio
import json
import socket
import statistics
import sys
import threading
import time

import pytest
from aiohttp import web

from evalscope.core.net.http import Target, build_request
from evalscope.perf.apis import Prompt, RequestSpec
from evalscope.perf.metrics import summarize
from evalscope.perf.mock_server import MockServerProcess
from evalscope.perf.runner import count_tokens_after
from evalscope.perf.workers import WorkItem, WorkPlan, rebase, run_plan


def _plan(url, n=8, conc=4, stream=True, kind="chat", **kw):
    target = Target.from_url(url)
    head = target.request_head("POST", {"Content-Type": "application/json"})
    spec = RequestSpec(kind, "m", stream, {"max_tokens": 16})
    items = [WorkItem(i, build_request(head, spec.encode(Prompt("one two three")))) for i in range(n)]
    return WorkPlan(url, head, items, "closed", conc, stream=stream, spec=spec, use_uvloop=False, **kw)


# A client measurement against the server's truth: each request's TTFT is at least the server's (we stamp
# before writing the request, the kernel stamps our arrival after the server's write), and the median over
# requests is within SLACK of it. One request may sit tens of ms off on a loaded 2-core box (a process
# descheduled between its stamp and its write); the errors these tests catch are the 50 ms role-chunk
# trap and arrival times taken when a blocked loop got to the bytes.
SLACK = 0.015
EPS = 0.001  # kernel stamps arrive on the realtime clock and are converted to ours


def _run(plan, workers=1, with_t0=False):
    recs, stats, t0 = run_plan(plan, workers)
    rebase(recs, t0)
    return (recs, stats, t0) if with_t0 else (recs, stats)


def _truth(rec, stats, t0):
    """The server's record of this request (same monotonic clock): receive closest to our send."""
    return min(stats, key=lambda s: abs(s["recv"] - (rec.send + t0)))


def test_ttft_ignores_role_only_first_chunk(mock_server):
    """vLLM's trap: the role-only chunk arrives at ~0 ms; TTFT must be the first content (~50 ms)."""
    mock_server.reset()
    recs, _, t0 = _run(_plan(mock_server.base_url + "/v1/chat/completions"), with_t0=True)
    truth = mock_server.stats()
    assert all(r.success for r in recs)
    pairs = [(r, _truth(r, truth, t0)) for r in recs]
    for r, s in pairs:
        assert r.first_byte - r.send <= r.ttft  # headers + role chunk came first (one read, on a stalled client)
        # the server's own first-content write, whenever a loaded machine let it happen (>= 50 ms)
        assert 0.048 < r.ttft and r.ttft > s["first"] - s["recv"] - EPS
        assert len(r.chunk_times) == 16 and r.completion_tokens == 16
        assert r.tokens_source == "usage" and r.server_prompt_tokens == 3
        assert r.output_text.split()[0] == "tok0"
        # first to last content chunk within the server's first-to-last writes (5 ms ITL as scheduled)
        assert 0 < r.tpot < (s["end"] - s["first"]) / 15 + EPS
    assert statistics.median(abs(r.ttft - (s["first"] - s["recv"])) for r, s in pairs) < SLACK
    # tpot spreads the server's 15 gaps; with the TTFT folded in it would be ~3 ms more
    assert statistics.median(abs(r.tpot - (s["end"] - s["first"]) / 15) for r, s in pairs) < SLACK / 15


def test_client_ttft_matches_server_truth(mock_server):
    mock_server.reset()
    recs, _ = _run(_plan(mock_server.base_url + "/v1/chat/completions", n=16, conc=8))
    truth = mock_server.stats()
    true_ttft = statistics.median(s["first"] - s["recv"] for s in truth)
    ours = statistics.median(r.ttft for r in recs)
    assert abs(ours - true_ttft) < SLACK  # ~1 ms on an idle machine, a few ms on a loaded one


def test_completions_and_non_stream_and_embeddings(mock_server):
    recs, _ = _run(_plan(mock_server.base_url + "/v1/completions", kind="completions"))
    assert all(r.success and r.completion_tokens == 16 for r in recs)
    recs, _ = _run(_plan(mock_server.base_url + "/v1/chat/completions", stream=False))
    assert all(r.success and r.completion_tokens == 16 and not r.chunk_times for r in recs)
    assert all(r.latency > 0.12 for r in recs)
    recs, _ = _run(_plan(mock_server.base_url + "/v1/embeddings", stream=False, kind="embeddings"))
    assert all(r.success and r.prompt_tokens == 3 for r in recs)


def test_errors_are_recorded_not_raised(mock_server):
    recs, _ = _run(_plan(mock_server.base_url + "/v1/nothing", n=3, conc=1))
    assert all(not r.success and r.status == 404 for r in recs)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    recs, _ = _run(_plan(f"http://127.0.0.1:{port}/v1/chat/completions", n=2, conc=1))
    assert all(not r.success and "connect" in r.error for r in recs)


def test_request_timeout(mock_server):
    recs, _ = _run(_plan(mock_server.base_url + "/v1/chat/completions", n=2, conc=2, timeout=0.02))
    assert all(not r.success and "timed out" in r.error for r in recs)


def test_without_usage_counts_come_from_chunks_or_own_tokenizer():
    with MockServerProcess(ttft_ms=5, itl_ms=1, tokens=6, no_usage=True) as s:
        recs, _ = _run(_plan(s.base_url + "/v1/chat/completions", n=2, conc=2))
    assert all(r.completion_tokens is None for r in recs)
    count_tokens_after(recs, [Prompt("x")] * 2, None)
    assert all(r.completion_tokens == 6 and r.tokens_source == "chunks" for r in recs)
    assert summarize(recs)["Token count source"] == "chunks"


def test_two_worker_processes_share_one_clock(mock_server):
    mock_server.reset()
    plan = _plan(mock_server.base_url + "/v1/chat/completions", n=16, conc=4)
    recs, stats, t0 = _run(plan, workers=2, with_t0=True)
    truth = mock_server.stats()
    assert len(stats) == 2 and sorted(r.index for r in recs) == list(range(16))
    assert {r.worker for r in recs} == {0, 1}
    assert all(0.048 < r.ttft and r.intended_send >= 0 for r in recs)
    # each worker's send times, rebased on the shared t0, meet the server's receive times
    for worker in (0, 1):
        pairs = [(r, _truth(r, truth, t0)) for r in recs if r.worker == worker]
        assert all(r.send + t0 < s["recv"] + EPS and r.ttft > s["first"] - s["recv"] - EPS for r, s in pairs)
        assert statistics.median(s["recv"] - (r.send + t0) for r, s in pairs) < SLACK
        assert statistics.median(abs(r.ttft - (s["first"] - s["recv"])) for r, s in pairs) < SLACK


# -- a server that splits and merges SSE events across TCP writes -------------------------
async def _odd_stream(request):
    resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
    await resp.prepare(request)
    events = [
        {"choices": [{"delta": {"role": "assistant"}}]},
        {"choices": [{"delta": {"content": "a"}}]},
        {"choices": [{"delta": {"content": "b"}}]},
        {"choices": [{"delta": {"content": "c"}}]},
        {"choices": [], "usage": {"prompt_tokens": 3, "completion_tokens": 3}},
    ]
    raw = b"".join(b"data: " + json.dumps(e).encode() + b"\r\n\r\n" for e in events) + b"data: [DONE]\r\n\r\n"
    # role chunk + half of "a"; rest of "a" after 30 ms; "b" and "c" merged in one write
    cut1 = raw.index(b'"a"') + 1
    cut2 = raw.index(b'"c"') + 10
    await resp.write(raw[:cut1])
    await asyncio.sleep(0.03)
    await resp.write(raw[cut1:cut2])
    await asyncio.sleep(0.01)
    await resp.write(raw[cut2:])
    return resp


@pytest.fixture(scope="module")
def odd_server():
    loop = asyncio.new_event_loop()
    app = web.Application()
    app.router.add_post("/v1/chat/completions", _odd_stream)
    runner = web.AppRunner(app)
    loop.run_until_complete(runner.setup())
    site = web.TCPSite(runner, "127.0.0.1", 0)
    loop.run_until_complete(site.start())
    port = site._server.sockets[0].getsockname()[1]
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(5)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)


def test_split_and_merged_events_over_real_tcp(odd_server):
    recs, _ = _run(_plan(odd_server + "/v1/chat/completions", n=2, conc=1))
    r = recs[0]
    assert r.success and r.output_text == "abc" and r.completion_tokens == 3
    assert r.ttft > 0.025  # "a" completed only by the second write
    assert len(r.chunk_times) == 3


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="kernel receive timestamps: Linux only")
def test_busy_client_loop_does_not_delay_arrival_times():
    """Arrival times are the kernel's: a client loop blocked for 500 ms still reports the real TTFT."""
    from evalscope.core.net.http import Pool
    from evalscope.perf.client import send_one
    from evalscope.perf.records import RequestRecord

    BLOCK = 0.5
    with MockServerProcess(ttft_ms=20, itl_ms=1, tokens=4) as s:
        plan = _plan(s.base_url + "/v1/chat/completions", n=1)

        async def main():
            pool = Pool(Target.from_url(plan.url))
            assert pool.raw
            await send_one(pool, plan.items[0].payload, RequestRecord(0, 0.0), timeout=5)  # connect
            rec = RequestRecord(1, 0.0)
            task = asyncio.ensure_future(send_one(pool, plan.items[0].payload, rec, timeout=5))
            await asyncio.sleep(0)  # the request is written
            time.sleep(BLOCK)  # the loop is blocked while the response arrives
            await task
            pool.close()
            return rec, pool.read_delays

        s.reset()
        rec, delays = asyncio.run(main())
        truth = s.stats()[-1]  # after the connecting request, on the same connection
    assert rec.success and len(rec.chunk_times) == 4
    assert max(delays) > BLOCK / 2  # the processing really was late
    # the server's own TTFT (>= 20 ms), not the time the blocked loop got to the bytes (~BLOCK)
    true_ttft = truth["first"] - truth["recv"]
    assert 0.019 < rec.ttft and true_ttft - EPS < rec.ttft < true_ttft + BLOCK / 2
