"""Score SmolLM2 (or another local model) on the same samples in both prompt styles and print the
accuracy of each, how many picks changed, and which letters each style picked.

    .venv/bin/python scripts/compare_prompt_styles.py --limit 20 --datasets mmlu:world_religions arc:ARC-Easy

A dataset is `name` or `name:subset`. Runs in process (checkpoint mode) into a temporary work dir.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from collections import Counter
from pathlib import Path

from evalscope.run import run_task

STYLES = ("default", "evalscope-0.12")


def predictions(work: Path, name: str) -> dict[tuple[str, str], str | None]:
    out = {}
    for path in (work / "reviews").rglob(f"{name}_*.jsonl"):
        for line in path.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)["evalscope_record"]
            out[(record["subset"], record["sample_id"])] = record["prediction"]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="smollm2-135m-instruct")
    parser.add_argument("--datasets", nargs="+", default=["mmlu:world_religions"])
    parser.add_argument("--limit", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--dataset-dir", default=os.environ.get("EVALSCOPE_DATASET_DIR", "../shared/datasets"))
    opts = parser.parse_args()
    dataset_args = {}
    for item in opts.datasets:
        name, _, subset = item.partition(":")
        dataset_args[name] = {"subset_list": [subset]} if subset else {}
    picks: dict[tuple[str, str], dict] = {}
    for style in STYLES:
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            reports = run_task(
                {
                    "model": opts.model, "eval_type": "checkpoint", "limit": opts.limit,
                    "eval_batch_size": opts.batch_size, "datasets": list(dataset_args), "dataset_args": dataset_args,
                    "prompt_style": style, "dataset_dir": opts.dataset_dir, "work_dir": str(work),
                    "no_timestamp": True, "store": "workdir",
                },
                print_table=False,
            )
            for name in dataset_args:
                picks[(style, name)] = predictions(work, name)
                report = reports[name]
                print(f"{style:15s} {name:10s} n={report.metrics[0].num:3d} score={report.score:.3f} ({report.output_type})")
    for name in dataset_args:
        ours, theirs = picks[("default", name)], picks[("evalscope-0.12", name)]
        changed = sum(ours[k] != theirs.get(k) for k in ours)
        print(
            f"{name}: {changed} of {len(ours)} picks differ; default picked {dict(sorted(Counter(ours.values()).items()))},"
            f" evalscope-0.12 picked {dict(sorted(Counter(theirs.values()).items()))}"
        )


if __name__ == "__main__":
    main()
