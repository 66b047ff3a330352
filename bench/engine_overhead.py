"""The engine's own cost per sample: all 1,319 gsm8k questions through run_task with a zero-cost
mock model, so what is measured is prompt building, request keys, scheduling, extraction, scoring,
reports and the stores (JSONL work dir alone, and with SQLite).

Usage: python bench/engine_overhead.py [--dataset-dir ../shared/datasets]
A first run (not counted) pays the one-off imports; bench/engine_throughput.py measures the same
pipeline against a real HTTP server and compares with EvalScope.
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time

from evalscope.core.progress import TqdmProgress
from evalscope.run import run_task


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dataset-dir", default=os.environ.get("EVALSCOPE_DATASET_DIR", "../shared/datasets"))
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="engine-overhead-")
    base = {"model": "mock", "eval_type": "mock", "datasets": ["gsm8k"], "dataset_dir": args.dataset_dir, "work_dir": work}
    quiet = TqdmProgress(disable=True)
    run_task({**base, "limit": 20}, print_table=False, sink=quiet)  # warm-up: imports, file cache
    print(f"{'batch':>5s} {'store':>8s} {'samples/s':>10s} {'wall ms/sample':>15s} {'cpu ms/sample':>14s}")
    for batch in (1, 8, 64):
        for store in ("workdir", "sqlite"):
            t0, c0 = time.perf_counter(), cpu_seconds()
            reports = run_task({**base, "eval_batch_size": batch, "store": store}, print_table=False, sink=quiet)
            wall, cpu = time.perf_counter() - t0, cpu_seconds() - c0
            n = reports["gsm8k"].metrics[0].num
            print(f"{batch:5d} {store:>8s} {n / wall:10.1f} {wall / n * 1000:15.3f} {cpu / n * 1000:14.3f}")


if __name__ == "__main__":
    main()
