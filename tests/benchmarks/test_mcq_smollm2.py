"""Slow: multiple-choice benchmarks on the real SmolLM2-135M in log-likelihood modes."""

from __future__ import annotations

import json
import math

import pytest

from evalscope.run import run_task

pytest.importorskip("evalscope.backends.hf.model")

CASES = [
    ("hellaswag", {}, 4),  # continuation, length-normalised
    ("winogrande", {}, 4),  # continuation over the two sentence completions
    ("ceval", {"subset_list": ["logic"]}, 4),  # next-token letter probabilities
]


@pytest.mark.slow
def test_smollm2_loglikelihood_modes(dataset_dir, tmp_path):
    cfg = {
        "model": "smollm2-135m-instruct", "eval_type": "checkpoint", "limit": 4, "eval_batch_size": 4,
        "dataset_dir": str(dataset_dir), "work_dir": str(tmp_path), "no_timestamp": True, "store": "workdir",
        "datasets": [c[0] for c in CASES], "dataset_args": {name: args for name, args, _ in CASES},
    }
    reports = run_task(cfg, print_table=False)
    for name, _, n in CASES:
        assert reports[name].metrics[0].num == n
        assert 0.0 <= reports[name].score <= 1.0
    for path in (tmp_path / "reviews").rglob("*.jsonl"):
        for line in path.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)["evalscope_record"]
            scores, choices = record["output"]["scores"], record["sample"]["choices"]
            assert len(scores) == len(choices) and all(math.isfinite(s) for s in scores)
            if path.name.startswith("ceval"):  # probabilities of the letters, at most 1 together
                assert all(0.0 <= s <= 1.0 for s in scores) and sum(scores) <= 1.0 + 1e-6
            else:  # summed log-probabilities of real continuations
                assert all(s < 0.0 for s in scores) and len(set(scores)) == len(scores)
            assert record["prediction"] in "ABCD"
