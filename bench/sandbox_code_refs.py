"""Reference solutions through the sandbox: HumanEval canonical / bare prompts, MBPP test split.

    python bench/sandbox_code_refs.py [--workers N] [--dataset-dir DIR]

Prints pass counts, wall time and throughput (runs/s), and every failure with its reason.
"""

from __future__ import annotations

import os
import time

import click

from evalscope.benchmarks import humaneval, mbpp
from evalscope.core.datasets.local import read_records
from evalscope.core.sandbox import SandboxJob, default_workers, run_many


def _report(label: str, ids: list[str], jobs: list[SandboxJob], workers: int) -> None:
    t0 = time.perf_counter()
    results = run_many(jobs, workers=workers)
    wall = time.perf_counter() - t0
    passed = sum(r.passed for r in results)
    durations = sorted(r.duration_s for r in results)
    print(f"{label:28s} passed {passed:4d}/{len(results)}  wall {wall:6.1f} s  {len(results) / wall:5.1f} runs/s"
          f"  median run {durations[len(durations) // 2] * 1000:.0f} ms  max {durations[-1]:.2f} s")
    for i, r in zip(ids, results, strict=True):
        if r.passed != label.endswith("(expect pass)"):
            tail = r.stderr.strip().splitlines()[-1:] or [""]
            print(f"    {i}: {r.status} ({r.reason}) {tail[0][:120]}")


@click.command()
@click.option("--workers", type=int, default=None, help="concurrent sandboxes (default: CPU count)")
@click.option("--dataset-dir", default=lambda: os.environ.get("EVALSCOPE_DATASET_DIR", "/work/shared/datasets"))
def main(workers: int | None, dataset_dir: str) -> None:
    workers = workers or default_workers()
    print(f"workers={workers} cpus={os.cpu_count()} load={os.getloadavg()[0]:.1f}")
    he = [humaneval.record_to_sample(r, i, "x")
          for i, r in enumerate(read_records(f"{dataset_dir}/humaneval/HumanEval.jsonl.gz"))]
    ids = [s.id for s in he]
    _report("humaneval canonical (expect pass)", ids,
            [SandboxJob(code=humaneval.program_for(s, s.target), timeout=5.0) for s in he], workers)
    _report("humaneval prompt only (expect fail)", ids,
            [SandboxJob(code=humaneval.program_for(s, ""), timeout=5.0) for s in he], workers)
    recs = mbpp.group_records(read_records(f"{dataset_dir}/mbpp/mbpp.jsonl"))["full"]
    mb = [mbpp.record_to_sample(r, i, "full") for i, r in enumerate(recs)]
    _report("mbpp test reference (expect pass)", [s.id for s in mb],
            [SandboxJob(code=mbpp.program_for(s, s.target), timeout=mbpp.DEFAULT_TIMEOUT) for s in mb], workers)


if __name__ == "__main__":
    main()
