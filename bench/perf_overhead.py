"""Measure `evalscope perf`'s own accuracy and overhead against reference servers.

Starts the known-timing mock server (TTFT 50 ms, 16 chunks 5 ms apart) and a zero-delay
server in separate processes, then prints each figure of the issue's table for our tool:

  TTFT mean error vs the server's real send time (conc 1 / 8 / 64)
  TTFT p99 at concurrency 64 (and the server's own p99)
  max req/s with 16-token and 256-token streams, one client process
  client CPU per request (16 tokens, conc 64)
  Poisson 200 req/s achieved, and its send lag (tests/perf/test_cli.py no longer bounds it)
  the same load through the `evalscope perf` CLI, right after: send lag, client start-up, CPU per request
  `evalscope perf --help` start-up

Usage: python bench/perf_overhead.py [--quick]
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from evalscope.core.net.http import Target, build_request
from evalscope.perf.apis import Prompt, RequestSpec
from evalscope.perf.metrics import percentile
from evalscope.perf.mock_server import MockServerProcess
from evalscope.perf.scheduler import open_loop_offsets
from evalscope.perf.selfcheck import assess
from evalscope.perf.workers import WorkItem, WorkPlan, rebase, run_plan


def plan(url: str, n: int, conc: int, tokens: int = 16, mode: str = "closed", offsets=None) -> WorkPlan:
    target = Target.from_url(url)
    head = target.request_head("POST", {"Content-Type": "application/json"})
    spec = RequestSpec("chat", "mock", True, {"max_tokens": tokens})
    body = build_request(head, spec.encode(Prompt("hello world")))
    items = [WorkItem(i, body) for i in range(n)]
    return WorkPlan(url, head, items, mode, conc, offsets, stream=True, spec=spec, keep_text=False)


def run(p: WorkPlan):
    recs, stats, t0 = run_plan(p)
    rebase(recs, t0)
    return recs, stats


def ttft_error(server: MockServerProcess, conc: int, n: int) -> tuple[float, float, float, float]:
    """(mean client TTFT − mean server TTFT, client p99, server p99, failures) in ms."""
    url = server.base_url + "/v1/chat/completions"
    run(plan(url, conc, conc))  # warm connections / server
    server.reset()
    recs, _ = run(plan(url, n, conc))
    truth = [(s["first"] - s["recv"]) * 1000 for s in server.stats()]
    ours = [r.ttft * 1000 for r in recs if r.success]
    return (
        statistics.mean(ours) - statistics.mean(truth),
        percentile(sorted(ours), 99),
        percentile(sorted(truth), 99),
        len(recs) - len(ours),
    )


def max_rps(server: MockServerProcess, n: int, conc: int, tokens: int) -> tuple[float, float]:
    recs, stats = run(plan(server.base_url + "/v1/chat/completions", n, conc, tokens))
    ok = [r for r in recs if r.success]
    dur = max(r.end for r in recs) - min(r.send for r in recs)
    return len(ok) / dur, assess(recs, stats, open_loop=False).cpu_ms_per_request


def poisson(server: MockServerProcess, rate: float, n: int) -> tuple[float, float, float, float]:
    """(achieved send rate, the schedule's own rate, mean send lag ms, p99 send lag ms)."""
    offs = open_loop_offsets(n, rate, "poisson", seed=7)
    recs, stats = run(plan(server.base_url + "/v1/chat/completions", n, 0, mode="open", offsets=offs))
    sends = sorted(r.send for r in recs)
    achieved = (len(sends) - 1) / (sends[-1] - sends[0])
    scheduled = (n - 1) / offs[-1]
    lags = sorted((r.send - r.intended_send) * 1000 for r in recs)
    return achieved, scheduled, statistics.mean(lags), percentile(lags, 99)


def cli_poisson(server: MockServerProcess, rate: float, n: int) -> dict:
    """The same open loop through `evalscope perf` (its own processes, imports and tokenizer-free set-up)."""
    with tempfile.TemporaryDirectory() as out:
        subprocess.run(
            [sys.executable, "-m", "evalscope.cli.main", "perf", "--model", "mock", "--url", server.base_url,
             "--prompt", "hello world", "--max-tokens", "16", "--rate", str(rate), "--number", str(n),
             "--seed", "7", "--outputs-dir", out, "--no-timestamp", "--name", "cli"],
            check=True, capture_output=True,
        )
        summary = json.loads((Path(out) / "cli" / "benchmark_summary.json").read_text())
        pct = json.loads((Path(out) / "cli" / "benchmark_percentile.json").read_text())
    summary["send lag p99"] = pct["Send lag (ms)"]["p99"]
    return summary


def help_startup(repeat: int = 5) -> float:
    best = 1e9
    for _ in range(repeat):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "evalscope.cli.main", "perf", "--help"], check=True, capture_output=True)
        best = min(best, time.perf_counter() - t)
    return best


def main() -> None:
    quick = "--quick" in sys.argv
    k = 1 if quick else 3
    rows: list[tuple[str, str]] = []
    with MockServerProcess(ttft_ms=50, itl_ms=5, tokens=16) as timed:
        errs = []
        for conc, n in ((1, 30 * k), (8, 80 * k), (64, 256 * k)):
            err, p99, true99, fail = ttft_error(timed, conc, n)
            errs.append(f"{err:+.2f}")
            if conc == 64:
                rows.append(("TTFT p99 at concurrency 64 (server truth p99)", f"{p99:.1f} ms ({true99:.1f} ms)"))
        rows.insert(0, ("TTFT mean error vs server, conc 1 / 8 / 64", " / ".join(errs) + " ms"))
        _, cpu = max_rps(timed, 512 * k, 64, 16)
        rows.append(("client CPU per request (16 tokens 5 ms apart, conc 64)", f"{cpu:.3f} ms"))
        achieved, scheduled, lag, lag99 = poisson(timed, 200.0, 1000 * k)
        rows.append(("Poisson 200 req/s: achieved send rate (schedule's own)", f"{achieved:.1f} ({scheduled:.1f})"))
        rows.append(("Poisson 200 req/s: send lag mean / p99", f"{lag:.2f} / {lag99:.2f} ms"))
        cli = cli_poisson(timed, 200.0, 1000 * k)
        rows.append((
            "same through the CLI: send lag mean / p99 (processes)",
            f"{cli['Mean send lag (ms)']:.2f} / {cli['send lag p99']:.2f} ms ({cli['Client processes']})",
        ))
        rows.append((
            "same through the CLI: client start-up, CPU per request",
            f"{cli['Client start-up (s)']:.3f} s, {cli['Client CPU per request (ms)']:.3f} ms",
        ))
    with MockServerProcess(ttft_ms=0, itl_ms=0, tokens=256) as zero:
        rps16, cpu16 = max_rps(zero, 3000 * k, 64, 16)
        rows.append(("max req/s, 16-token streams, one client (conc 64)", f"{rps16:,.0f}  (client CPU {cpu16:.3f} ms/req)"))
        rps256, cpu256 = max_rps(zero, 1500 * k, 64, 256)
        rows.append(("max req/s, 256-token streams, one client (conc 64)", f"{rps256:,.0f}  (client CPU {cpu256:.3f} ms/req)"))
    rows.append(("`evalscope perf --help` start-up (best of 5)", f"{help_startup():.3f} s"))
    width = max(len(a) for a, _ in rows)
    print("evalscope perf (this repo)")
    for a, b in rows:
        print(f"  {a:<{width}}  {b}")


if __name__ == "__main__":
    main()
