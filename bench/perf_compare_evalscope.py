"""Side by side: this repo's `evalscope perf` vs upstream EvalScope perf 1.14, same servers.

Both tools run as command-line processes with the same arguments against the same mock
servers (known timing: TTFT 50 ms, 16 chunks 5 ms apart; zero delay). Truth comes from the
server: its receive and first-content write times (GET /stats). Client CPU per request is
differential: (CPU of a run with N requests − CPU of a run with n) / (N − n), so start-up and
report writing cancel out.

Truth: the mock server stamps a request's arrival with the kernel's receive time
(SO_TIMESTAMPNS) and records when it wrote the first content chunk. The TTFT row also shows,
in brackets, the error against the server's application-level receive time (when its event
loop got to the request), the older and looser truth.

--pin: server on CPU 1, the tool (and its worker processes) on CPU 0, so they do not compete.

Upstream must be installed in its own venv:
    python3 -m venv /tmp/es-ref && /tmp/es-ref/bin/pip install "evalscope[perf]"
Usage: python bench/perf_compare_evalscope.py [--quick] [--pin] [--only ours|ref] [--ref /tmp/es-ref/bin/evalscope]
"""

from __future__ import annotations

import glob
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

from evalscope.perf.metrics import percentile
from evalscope.perf.mock_server import MockServerProcess

REF = "/tmp/es-ref/bin/evalscope"
PIN = False
OURS = [sys.executable, "-m", "evalscope.cli.main"]


def _summary(out_dir: str, ours: bool) -> tuple[dict, dict]:
    s = sorted(glob.glob(os.path.join(out_dir, "**", "benchmark_summary.json"), recursive=True))[-1]
    p = os.path.join(os.path.dirname(s), "benchmark_percentile.json")
    summary = json.load(open(s))
    pct = json.load(open(p))
    if not ours:  # upstream: list of rows keyed by "Percentiles"
        pct = {"TTFT (ms)": {row["Percentiles"].replace("%", "").join(["p", ""]): row["TTFT (ms)"] for row in pct}}
    return summary, pct


def run_tool(tool: str, url: str, conc: int, n: int, tokens: int, rate: float | None = None) -> tuple[dict, dict, float]:
    """Run one tool; returns (summary, percentiles, child CPU seconds)."""
    out = tempfile.mkdtemp(prefix=f"cmp-{tool}-")
    common = ["--model", "mock", "--parallel", str(conc), "--number", str(n), "--max-tokens", str(tokens),
              "--prompt", "hello world", "--stream", "--outputs-dir", out]
    if tool == "ours":
        cmd = [*OURS, "perf", "--url", url, *common, "--sleep-interval", "0"]
    else:
        cmd = [REF, "perf", "--url", url, "--api", "openai", *common, "--no-test-connection",
               "--log-every-n-query", "100000"]
    if rate is not None:
        cmd += ["--rate", str(rate)] + (["--open-loop"] if tool == "ref" else [])
        if tool == "ours":
            cmd = [c for c in cmd]  # open loop is implied by --rate
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    pin = (lambda: os.sched_setaffinity(0, {0})) if PIN else None
    subprocess.run(cmd, check=True, capture_output=True, cwd=out, preexec_fn=pin)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    s, p = _summary(out, tool == "ours")
    return s, p, cpu


def key(summary: dict, ours: str, ref: str):
    return summary[ours] if ours in summary else summary[ref]


def figures(tool: str, k: int) -> list[str]:
    rows = []
    cpus = {1} if PIN else None
    with MockServerProcess(cpus, ttft_ms=50, itl_ms=5, tokens=16) as timed:
        url = timed.base_url + "/v1/chat/completions"
        errs = []
        for conc, n in ((1, 30 * k), (8, 80 * k), (64, 256 * k)):
            timed.reset()
            s, p, _ = run_tool(tool, url, conc, n, 16)
            stats = timed.stats()
            truth = [(x["first"] - x["recv"]) * 1000 for x in stats]
            app = [(x["first"] - x["recv_app"]) * 1000 for x in stats]
            mean = key(s, "Mean TTFT (ms)", "Avg TTFT (ms)")
            errs.append(f"{mean - statistics.mean(truth):+.2f} [{mean - statistics.mean(app):+.2f}]")
            if conc == 64:
                rows.append(f"TTFT p99 conc 64: {p['TTFT (ms)']['p99']:.1f} ms (server truth {percentile(sorted(truth), 99):.1f})")
        rows.insert(0, "TTFT mean error conc 1/8/64: " + " / ".join(errs) + " ms")
        per_req = []
        for _ in range(3):  # start-up CPU varies by ~0.1 s between runs: median of three pairs
            _, _, cpu_small = run_tool(tool, url, 64, 64, 16)
            _, _, cpu_big = run_tool(tool, url, 64, 64 + 512 * k, 16)
            per_req.append((cpu_big - cpu_small) / (512 * k) * 1000)
        rows.append(
            f"client CPU/request (16 tok, conc 64, differential, median of 3): {statistics.median(per_req):.3f} ms"
            f" (runs: {', '.join(f'{x:.2f}' for x in per_req)})"
        )
        timed.reset()
        n = 1000 * k
        run_tool(tool, url, 10_000, n, 16, rate=200.0)
        recv = sorted(x["recv"] for x in timed.stats())
        rows.append(f"Poisson 200 req/s achieved (server receive times): {(len(recv) - 1) / (recv[-1] - recv[0]):.1f}")
    with MockServerProcess(cpus, ttft_ms=0, itl_ms=0, tokens=256) as zero:
        url = zero.base_url + "/v1/chat/completions"
        for tokens, n in ((16, 3000 * k), (256, 1000 * k)):
            s, _, _ = run_tool(tool, url, 64, n, tokens)
            rps = key(s, "Request throughput (req/s)", "Req Throughput (req/s)")
            rows.append(f"max req/s, {tokens}-token streams, conc 64: {rps:,.0f}")
    cmd = [*OURS, "perf", "--help"] if tool == "ours" else [REF, "perf", "--help"]
    best = 1e9
    for _ in range(3):
        t = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        best = min(best, time.perf_counter() - t)
    rows.append(f"perf --help start-up: {best:.2f} s")
    return rows


def main() -> None:
    global REF, PIN
    k = 1 if "--quick" in sys.argv else 2
    if "--ref" in sys.argv:
        REF = sys.argv[sys.argv.index("--ref") + 1]
    PIN = "--pin" in sys.argv
    only = sys.argv[sys.argv.index("--only") + 1] if "--only" in sys.argv else None
    print(f"load average {os.getloadavg()[0]:.2f}; {'pinned: server CPU 1, tool CPU 0' if PIN else 'unpinned'}")
    for tool, title in (("ours", "this repo"), ("ref", "EvalScope 1.14 (upstream)")):
        if only and tool != only:
            continue
        if tool == "ref" and not os.path.exists(REF):
            print(f"{title}: not installed at {REF}")
            continue
        print(title)
        for row in figures(tool, k):
            print("  " + row, flush=True)


if __name__ == "__main__":
    main()
