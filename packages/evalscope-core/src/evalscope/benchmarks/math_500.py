"""MATH-500: OpenAI's 500-problem subset of the MATH test set, Level 1..5, 0-shot, boxed answer."""

from __future__ import annotations

from evalscope.benchmarks._math_common import LEVELS, group_by_level, math_spec, problem_reader
from evalscope.core.benchmark import DataSpec

SPEC = math_spec(
    name="math_500",
    data=DataSpec(
        dataset_id="AI-ModelScope/MATH-500",
        hf_dataset_id="HuggingFaceH4/MATH-500",
        subsets=LEVELS,
        group_records=group_by_level,
        eval_split="test",
        local_dir="math500",
        record_to_sample=problem_reader(("problem",)),
    ),
    pretty_name="MATH-500",
    description="MATH-500 (PRM800K test subset of MATH) in five difficulty levels; boxed answer, math_equal.",
)
