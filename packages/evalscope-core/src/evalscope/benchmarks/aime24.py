"""AIME 2024 (I and II, 30 problems): integer answers 0-999, 0-shot, boxed answer."""

from __future__ import annotations

from evalscope.benchmarks._math_common import math_spec, problem_reader
from evalscope.core.benchmark import DataSpec

SPEC = math_spec(
    name="aime24",
    data=DataSpec(
        dataset_id="HuggingFaceH4/aime_2024",
        hf_dataset_id="HuggingFaceH4/aime_2024",
        eval_split="train",
        local_dir="aime2024",
        record_to_sample=problem_reader(("problem", "question")),
    ),
    pretty_name="AIME-2024",
    description="AIME 2024 I+II (30 problems); boxed answer compared with math_equal.",
)
