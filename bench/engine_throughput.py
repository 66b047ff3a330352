"""Engine overhead: evaluate all 1,319 GSM8K questions against a zero-latency OpenAI server.

The server (bench/zero_latency_server.py, its own process) answers instantly, so the time is the
evaluation framework's own: building prompts, HTTP client, bookkeeping, stores, scoring. Each
run is a fresh child process; the table shows, per eval_batch_size (= concurrency):

    samples/s        samples / wall time of run_task (dataset load .. report)
    wall ms/sample   wall time / samples
    client CPU ms    CPU seconds (user+sys) of the evaluating process during run_task / samples
    server ms        CPU seconds the server process spent / requests (its whole share of the work)
    engine ms        wall ms/sample - server ms/sample (wall time not spent serving; an upper
                     bound on the server's share since on 2+ cores both can run at once)
    req B            mean request body size (both tools send 4-shot prompts)

With --compare (default when /tmp/es-ref/bin/python has evalscope) the same run is done with
upstream EvalScope (service mode, same server, same concurrency, 4-shot, local GSM8K) and
printed beside ours. Upstream's gsm8k hands a local `dataset_id` directory to
`datasets.load_dataset(path, name="main")`, which needs a config named "main": a temporary
directory (outside the repo) with symlinks to the shared test/train files and a dataset card
declaring that config is handed to it.

Usage: python bench/engine_throughput.py [--batch-sizes 1 8 64] [--limit N] [--no-compare]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from zero_latency_server import ZeroServer  # noqa: E402

DATASET_DIR = os.environ.get("EVALSCOPE_DATASET_DIR", "/work/shared/datasets")
REF_PYTHON = "/tmp/es-ref/bin/python"
#: upstream hands a local dataset_id to `datasets.load_dataset(path, name="main")`; this card
#: declares that config over the shared (symlinked) files
REF_DATASET_CARD = """---
configs:
- config_name: main
  data_files:
  - split: test
    path: test.jsonl
  - split: train
    path: train.jsonl
---
"""


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def child_ours(url: str, batch: int, limit: int | None, work_dir: str) -> dict:
    from evalscope.run import run_task

    cfg = {
        "model": "zero",
        "eval_type": "service",
        "api_url": f"{url}/v1",
        "datasets": ["gsm8k"],
        "dataset_dir": DATASET_DIR,
        "eval_batch_size": batch,
        "work_dir": work_dir,
    }
    if limit:
        cfg["limit"] = limit
    cpu0, t0 = _cpu(), time.perf_counter()
    reports = run_task(cfg, print_table=False)
    wall, cpu = time.perf_counter() - t0, _cpu() - cpu0
    report = reports["gsm8k"]
    return {"wall": wall, "cpu": cpu, "score": _score_of(report)}


def _score_of(report: object) -> float | None:
    for name in ("score", "overall_score", "main_score"):
        value = getattr(report, name, None)
        if isinstance(value, (int, float)):
            return float(value)
    return None


def child_ref(url: str, batch: int, limit: int | None, work_dir: str) -> dict:
    from evalscope import TaskConfig, run_task

    data = Path(tempfile.mkdtemp(prefix="es-ref-gsm8k-"))
    for split in ("test", "train"):
        (data / f"{split}.jsonl").symlink_to(Path(DATASET_DIR) / "gsm8k" / f"{split}.jsonl")
    (data / "README.md").write_text(REF_DATASET_CARD)
    cfg = TaskConfig(
        model="zero",
        api_url=f"{url}/v1",
        api_key="EMPTY",
        eval_type="openai_api",
        datasets=["gsm8k"],
        dataset_args={"gsm8k": {"dataset_id": str(data), "few_shot_num": 4}},
        eval_batch_size=batch,
        work_dir=work_dir,
        generation_config={"max_tokens": 2048, "temperature": 0.0},
        limit=limit,
    )
    cpu0, t0 = _cpu(), time.perf_counter()
    result = run_task(cfg)
    wall, cpu = time.perf_counter() - t0, _cpu() - cpu0
    shutil.rmtree(data, ignore_errors=True)
    score = None
    try:
        score = float(result["gsm8k"].score)  # type: ignore[index]
    except Exception:  # noqa: BLE001 - the score is informational only
        pass
    return {"wall": wall, "cpu": cpu, "score": score}


def run_child(python: str, tool: str, server: ZeroServer, batch: int, limit: int | None) -> dict:
    work_dir = tempfile.mkdtemp(prefix=f"engine-bench-{tool}-")
    server.reset()
    before = server.stats()
    cmd = [python, __file__, "--child", tool, "--url", server.url, "--batch", str(batch)]
    if limit:
        cmd += ["--limit", str(limit)]
    # progress bars stay on for both (upstream 1.14 crashes with TQDM_DISABLE=1); stderr is a pipe
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=1800)
    shutil.rmtree(work_dir, ignore_errors=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{tool} (batch {batch}) failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    line = [x for x in proc.stdout.splitlines() if x.startswith("RESULT ")][-1]
    result = json.loads(line[len("RESULT ") :])
    after = server.stats()
    result["requests"] = after["requests"] - before["requests"]
    result["server_handler"] = after["handler_seconds"] - before["handler_seconds"]
    result["server_cpu"] = after["cpu_seconds"] - before["cpu_seconds"]
    result["bytes_in"] = after["bytes_in"] - before["bytes_in"]
    return result


def row(tool: str, batch: int, r: dict) -> str:
    n = max(r["requests"], 1)
    wall_ms = 1000 * r["wall"] / n
    server_ms = 1000 * r["server_cpu"] / n
    engine_ms = wall_ms - server_ms
    score = "-" if r.get("score") is None else f"{r['score']:.3f}"
    return (
        f"{tool:<10} {batch:>5} {r['requests']:>8} {r['requests'] / r['wall']:>10.1f} {wall_ms:>10.2f} "
        f"{1000 * r['cpu'] / n:>12.2f} {server_ms:>10.3f} {engine_ms:>10.2f} {r['bytes_in'] / n:>8.0f} {score:>7}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description="evalscope engine throughput against a zero-latency server")
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[1, 8, 64])
    parser.add_argument("--limit", type=int, default=None, help="questions per run (default: all 1,319)")
    parser.add_argument("--no-compare", action="store_true", help="skip upstream EvalScope")
    parser.add_argument("--ref-python", default=REF_PYTHON)
    parser.add_argument("--child", choices=["ours", "ref"], help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--batch", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        fn = child_ours if args.child == "ours" else child_ref
        work_dir = tempfile.mkdtemp(prefix=f"engine-bench-{args.child}-")
        try:
            result = fn(args.url, args.batch, args.limit, work_dir)
        finally:
            shutil.rmtree(work_dir, ignore_errors=True)
        print("RESULT " + json.dumps(result), flush=True)
        return

    compare = not args.no_compare and Path(args.ref_python).exists()
    if compare:
        probe = subprocess.run([args.ref_python, "-c", "import evalscope"], capture_output=True)
        compare = probe.returncode == 0
    header = (
        f"{'tool':<10} {'batch':>5} {'samples':>8} {'samples/s':>10} {'wall ms':>10} "
        f"{'client CPU ms':>12} {'server CPU':>10} {'engine ms':>10} {'req B':>8} {'score':>7}"
    )
    print(
        f"GSM8K test, zero-latency server, {os.cpu_count()} CPUs; per-sample numbers are per request served"
    )
    print(header)
    print("-" * len(header))
    with ZeroServer() as server:
        for batch in args.batch_sizes:
            ours = run_child(sys.executable, "ours", server, batch, args.limit)
            print(row("evalscope", batch, ours), flush=True)
            if compare:
                try:
                    ref = run_child(args.ref_python, "ref", server, batch, args.limit)
                    print(row("upstream", batch, ref), flush=True)
                except RuntimeError as exc:
                    print(f"upstream   {batch:>5} FAILED: {str(exc).splitlines()[-1][:200]}", flush=True)
    if not compare:
        print(f"(upstream EvalScope not compared: no evalscope in {args.ref_python})")


if __name__ == "__main__":
    main()
