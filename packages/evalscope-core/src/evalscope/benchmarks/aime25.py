"""AIME 2025 (I and II, 30 problems): integer answers, 0-shot, boxed answer (hub field `question`)."""

from __future__ import annotations

from evalscope.benchmarks._math_common import math_spec, problem_reader
from evalscope.core.benchmark import DataSpec

SPEC = math_spec(
    name="aime25",
    data=DataSpec(
        dataset_id="TIGER-Lab/AIME25",
        hf_dataset_id="TIGER-Lab/AIME25",
        eval_split="train",
        local_dir="aime2025",
        record_to_sample=problem_reader(("question", "problem")),
    ),
    pretty_name="AIME-2025",
    description="AIME 2025 I+II (30 problems); boxed answer compared with math_equal.",
)
