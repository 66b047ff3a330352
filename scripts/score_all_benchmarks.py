"""Run every registered benchmark on SmolLM2-135M-Instruct at a small limit and print the scores.

Modes: `checkpoint` (the HF adapter in this process: log-likelihood multiple choice) and
`service` (a real `evalscope serve` subprocess on 127.0.0.1, evaluated over HTTP in generation
mode). Real data comes from the local dataset directory; benchmarks whose data is not there
(race, mmlu_pro, musr, gpqa, iquiz, process_bench) and the user-file formats (general_mcq,
general_qa) read the hub-schema fixtures under tests/fixtures. Large suites run a few subsets.

    EVALSCOPE_DATASET_DIR=../shared/datasets .venv/bin/python scripts/score_all_benchmarks.py --limit 3
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MCQ = ROOT / "tests" / "fixtures" / "mcq"
GEN = ROOT / "tests" / "fixtures" / "gen"
MODEL = "smollm2-135m-instruct"

#: dataset_args that keep each benchmark small or point it at a fixture
ARGS: dict[str, dict] = {
    "mmlu": {"subset_list": ["abstract_algebra", "high_school_us_history", "econometrics", "anatomy"]},
    "ceval": {"subset_list": ["logic", "physician", "college_physics", "high_school_politics"]},
    "cmmlu": {"subset_list": ["arts", "chinese_history", "college_mathematics", "nutrition"]},
    "bbh": {"subset_list": ["boolean_expressions", "date_understanding", "navigate"]},
    "race": {"local_path": str(MCQ / "race")},
    "mmlu_pro": {"local_path": str(MCQ / "mmlu_pro"), "subset_list": ["math", "biology"]},
    "musr": {"local_path": str(MCQ / "musr")},
    "gpqa": {"local_path": str(MCQ / "gpqa")},
    "iquiz": {"local_path": str(MCQ / "iquiz")},
    "general_mcq": {"local_path": str(MCQ / "general_mcq"), "subset_list": ["example"]},
    "process_bench": {"local_path": str(GEN / "process_bench"), "subset_list": ["gsm8k", "math"]},
    "general_qa": {"local_path": str(GEN / "general_qa"), "subset_list": ["default"]},
}
FIXTURE_BACKED = {"race", "mmlu_pro", "musr", "gpqa", "iquiz", "general_mcq", "process_bench", "general_qa"}
COLLECTION = {
    "name": "mix",
    "datasets": [
        {"name": "arc", "tags": ["en"], "args": {"subset_list": ["ARC-Easy"]}},
        {"name": "gsm8k", "tags": ["en", "math"], "task_type": "math"},
        {"name": "ceval", "tags": ["zh"], "args": {"subset_list": ["logic"]}},
    ],
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _collection(dataset_dir: str, out: Path, generation_only: bool) -> Path:
    from evalscope.core.collections import CollectionSchema, WeightedSampler, dump_jsonl
    from evalscope.core.types import RequestKind

    schema = CollectionSchema.from_dict(COLLECTION)
    kinds = [RequestKind.GENERATE] if generation_only else None
    rows = WeightedSampler(schema, dataset_dir=dataset_dir, seed=42, capabilities=kinds).sample(6)
    return dump_jsonl(rows, out)


def _serve(port: int) -> subprocess.Popen:
    exe = Path(sys.executable).with_name("evalscope")
    proc = subprocess.Popen([str(exe), "serve", "--model", MODEL, "--host", "127.0.0.1", "--port", str(port)])
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/models", timeout=2).read()
            return proc
        except OSError:
            if proc.poll() is not None:
                raise SystemExit("evalscope serve exited before it answered") from None
            time.sleep(1)
    proc.terminate()
    raise SystemExit("evalscope serve did not answer within 300 s")


def _run(mode: str, names: list[str], args: argparse.Namespace, work: Path, dataset_dir: str) -> list[tuple]:
    from evalscope.run import run_task

    dargs = {n: dict(ARGS.get(n, {})) for n in names}
    if "data_collection" in names:
        path = _collection(dataset_dir, work / f"mix_{mode}.jsonl", generation_only=mode == "service")
        dargs["data_collection"] = {"local_path": str(path)}
    cfg = {
        "model": MODEL,
        "datasets": names,
        "dataset_args": dargs,
        "limit": args.limit,
        "eval_batch_size": args.batch,
        "dataset_dir": dataset_dir,
        "work_dir": str(work / mode),
        "no_timestamp": True,
        "store": "workdir",
        "ignore_errors": True,
        "generation_config": {"max_tokens": args.max_tokens, "temperature": 0.0},
    }
    proc = None
    if mode == "service":
        port = _free_port()
        proc = _serve(port)
        cfg.update(eval_type="service", api_url=f"http://127.0.0.1:{port}/v1", model=MODEL)
    else:
        cfg["eval_type"] = "checkpoint"
    try:
        t0 = time.perf_counter()
        reports = run_task(cfg, print_table=True)
        print(f"[{mode}] {len(names)} benchmarks in {time.perf_counter() - t0:.0f} s", flush=True)
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(30)
    rows = []
    for name in names:
        report = reports.get(name)
        if report is None:
            rows.append((name, mode, "-", 0, None))
            continue
        for metric in report.metrics:
            rows.append((name, mode, metric.name, metric.num, metric.score))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--limit", type=int, default=3, help="samples per subset")
    parser.add_argument("--max-tokens", type=int, default=192)
    parser.add_argument("--batch", type=int, default=4, help="eval_batch_size")
    parser.add_argument(
        "--modes", nargs="+", default=["checkpoint", "service"], choices=["checkpoint", "service"]
    )
    parser.add_argument("--benchmarks", nargs="+", help="default: every registered benchmark")
    parser.add_argument("--json", type=Path, help="also write the rows here")
    args = parser.parse_args()
    dataset_dir = os.environ.get("EVALSCOPE_DATASET_DIR") or str(ROOT.parent / "shared" / "datasets")

    from evalscope.benchmarks import benchmark_names

    names = args.benchmarks or sorted(benchmark_names())
    rows: list[tuple] = []
    with tempfile.TemporaryDirectory(prefix="evalscope-all-") as tmp:
        for mode in args.modes:
            rows += _run(mode, names, args, Path(tmp), dataset_dir)
    print(f"\nSmolLM2-135M-Instruct, limit {args.limit} per subset, max_tokens {args.max_tokens}")
    print(f"{'benchmark':<18}{'mode':<12}{'metric':<28}{'num':>5}{'score':>9}  data")
    for name, mode, metric, num, score in rows:
        shown = "failed" if score is None else f"{score:.4f}"
        data = "fixture" if name in FIXTURE_BACKED else "real"
        print(f"{name:<18}{mode:<12}{metric:<28}{num:>5}{shown:>9}  {data}")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
