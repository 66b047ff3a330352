"""Per-run cost of the sandbox versus a plain subprocess, sequential and pooled.

    python bench/sandbox_latency.py [--runs N]
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time

import click

from evalscope.core.sandbox import SandboxJob, run_many, run_sandboxed


@click.command()
@click.option("--runs", type=int, default=30)
def main(runs: int) -> None:
    py = os.path.realpath(sys.executable)
    print(f"cpus={os.cpu_count()} load={os.getloadavg()[0]:.1f}")
    for label, fn in (
        ("plain python -I -S", lambda: subprocess.run([py, "-I", "-S", "-c", "pass"], check=True)),
        ("sandbox 'pass'", lambda: run_sandboxed("pass", timeout=10)),
    ):
        samples = []
        for _ in range(runs):
            t0 = time.perf_counter()
            fn()
            samples.append(time.perf_counter() - t0)
        q = statistics.quantiles(samples, n=20)
        print(f"{label:20s} median {statistics.median(samples) * 1000:6.1f} ms  p95 {q[18] * 1000:6.1f} ms")
    for workers in (1, 2, 4):
        t0 = time.perf_counter()
        run_many([SandboxJob(code="pass", timeout=10) for _ in range(runs)], workers=workers)
        wall = time.perf_counter() - t0
        print(f"run_many workers={workers}: {runs / wall:5.1f} runs/s")


if __name__ == "__main__":
    main()
