"""Memory and speed by size: a generated gsm8k-format benchmark of 1k, 10k and 100k questions against
the zero-latency OpenAI server (bench/zero_latency_server.py), each size in a fresh child process.

Per size it prints the child's peak RSS (ru_maxrss), its RSS right after the datasets are loaded
(JSONL datasets stream: only their line numbers stay), samples/s of run_task (dataset load .. report), and the memory per sample beyond
the 1k run's. Samples are zero-shot questions of ~200 characters with distinct numbers; the server's
reply carries "#### 42", so every 42nd-ish sample is right. Stores: SQLite + the JSONL work dir
(the default), or --store workdir.

Usage: python bench/scale_memory.py [--sizes 1000 10000 100000] [--batch 32] [--store auto|workdir]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from zero_latency_server import ZeroServer  # noqa: E402


def write_dataset(root: Path, size: int) -> Path:
    folder = root / f"gsm8k-{size}"
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "test.jsonl", "w") as f:
        for i in range(size):
            question = (f"Question {i}: a farmer has {i % 97 + 3} rows of {i % 13 + 2} apple trees and sells "
                        f"{i % 7 + 1} baskets a day at {i % 11 + 2} dollars each. How many dollars a week?")
            f.write(json.dumps({"question": question, "answer": f"Work it out.\n#### {(i * 7) % 100}"}) + "\n")
    return folder


def rss_mib() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def child(url: str, folder: str, batch: int, store: str) -> None:
    from evalscope.core import tasks
    from evalscope.core.events import NullSink
    from evalscope.run import run_task

    seen: dict[str, float] = {}
    load = tasks.load_samples

    def measured_load(*args, **kwargs):  # RSS once the samples are in memory
        out = load(*args, **kwargs)
        seen["after_load"] = rss_mib()
        return out

    tasks.load_samples = measured_load
    before = rss_mib()
    with tempfile.TemporaryDirectory() as work:
        started = time.perf_counter()
        result = run_task({
            "model": "zero", "eval_type": "service", "api_url": url, "datasets": ["gsm8k"], "eval_batch_size": batch,
            "dataset_args": {"gsm8k": {"local_path": folder, "few_shot_num": 0}}, "work_dir": work,
            "store": store, "retries": 0,
        }, print_table=False, sink=NullSink())
        wall = time.perf_counter() - started
    report = result["gsm8k"]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"n": report.metrics[0].num, "wall": wall, "peak": peak, "start": before,
                      "after_load": seen.get("after_load", 0.0), "errors": len(result.errors)}))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--store", default="auto", choices=["auto", "workdir"])
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], args.child[1], args.batch, args.store)
        return
    server = ZeroServer().start()
    rows = []
    try:
        with tempfile.TemporaryDirectory() as root:
            for size in args.sizes:
                folder = write_dataset(Path(root), size)
                proc = subprocess.run(
                    [sys.executable, __file__, "--child", f"{server.url}/v1", str(folder), "--batch", str(args.batch),
                     "--store", args.store],
                    capture_output=True, text=True, check=False,
                )
                if proc.returncode != 0:
                    sys.exit(f"size {size} failed:\n{proc.stderr[-3000:]}")
                rows.append(json.loads(proc.stdout.strip().splitlines()[-1]))
                print(f"  {size}: done in {rows[-1]['wall']:.1f}s", file=sys.stderr, flush=True)
    finally:
        server.stop()
    base = rows[0]
    print(f"store={args.store} eval_batch_size={args.batch}")
    print(f"{'samples':>8} {'scored':>8} {'start MiB':>10} {'loaded MiB':>11} {'peak MiB':>9} {'KiB/sample':>11} {'samples/s':>10}")
    for row in rows:
        extra = (row["peak"] - base["peak"]) * 1024 / max(1, row["n"] - base["n"]) if row is not base else 0.0
        print(f"{row['n']:>8} {row['n'] - row['errors']:>8} {row['start']:>10.0f} {row['after_load']:>11.0f} "
              f"{row['peak']:>9.0f} {extra:>11.2f} {row['n'] / row['wall']:>10.0f}")
    print(f"(child ru_maxrss; KiB/sample = peak growth beyond the {base['n']}-sample run per extra sample)")


if __name__ == "__main__":
    main()
