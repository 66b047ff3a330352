"""Wall time of one evaluation run locally and with `--executor ray` on 1 and 2 local workers, and
whether the scores are identical.

Two models:
- `mock-latency`: the mock provider with 50 ms per call (a latency-bound replica, like a GPU model
  or a remote endpoint), ARC 2 x 100 questions, eval_batch_size 4;
- `smollm2`: the real SmolLM2-135M-Instruct through transformers (CPU, compute-bound), ARC 2 x 10
  questions, multiple choice, eval_batch_size 4.

Each run is a fresh child process. `wall` is run_task end to end (a local Ray's start, ~6 s, and
each worker's model load included); `eval` is the engine's time for the samples (TaskStats.seconds).

Usage: python bench/ray_workers.py [--models mock-latency smollm2] [--dataset-dir ../shared/datasets]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

MODELS = {
    "mock-latency": {"model": "mock", "eval_type": "mock", "model_args": {"delay": 0.05}, "limit": 100},
    "smollm2": {"model": "smollm2-135m-instruct", "limit": 10},
}


def child(name: str, executor: str, workers: int, dataset_dir: str) -> None:
    from evalscope.core.events import NullSink
    from evalscope.run import run_task

    cfg = {**MODELS[name], "datasets": ["arc"], "eval_batch_size": 4, "dataset_dir": dataset_dir}
    if executor == "ray":
        cfg.update(executor="ray", executor_args={"workers": workers, "shard_size": 4})
    with tempfile.TemporaryDirectory() as work:
        cfg["work_dir"] = work
        started = time.perf_counter()
        result = run_task(cfg, print_table=False, sink=NullSink())
        wall = time.perf_counter() - started
    report = result["arc"]
    subsets = {s.name: (s.num, round(s.score, 6)) for c in report.metrics[0].categories for s in c.subsets}
    print(json.dumps({"wall": wall, "eval": report.stats.seconds, "score": report.score, "subsets": subsets}))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS))
    parser.add_argument("--dataset-dir", default=os.environ.get("EVALSCOPE_DATASET_DIR", "../shared/datasets"))
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], args.child[1], int(args.child[2]), args.dataset_dir)
        return
    print(f"{'model':<14} {'executor':<10} {'wall s':>8} {'eval s':>8} {'score':>8}  same scores as local")
    for name in args.models:
        local = None
        for executor, workers in (("local", 1), ("ray", 1), ("ray", 2)):
            proc = subprocess.run(
                [sys.executable, __file__, "--child", name, executor, str(workers), "--dataset-dir", args.dataset_dir],
                capture_output=True, text=True, check=False,
            )
            if proc.returncode != 0:
                sys.exit(f"{name} {executor} {workers}: failed\n{proc.stderr[-3000:]}")
            row = json.loads(proc.stdout.strip().splitlines()[-1])
            local = local or row
            label = "local" if executor == "local" else f"ray x{workers}"
            same = "-" if executor == "local" else ("yes" if row["subsets"] == local["subsets"] else f"NO {row['subsets']}")
            print(f"{name:<14} {label:<10} {row['wall']:>8.1f} {row['eval']:>8.1f} {row['score']:>8.4f}  {same}", flush=True)


if __name__ == "__main__":
    main()
