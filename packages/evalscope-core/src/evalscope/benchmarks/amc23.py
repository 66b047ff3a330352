"""AMC 2023 (the 40-problem AMC 12 set used by Qwen2.5-Math): numeric answers, 0-shot, boxed answer.

Not in EvalScope 0.12 (added later); same prompt, extraction and AveragePass@1 as the AIME specs.
"""

from __future__ import annotations

from evalscope.benchmarks._math_common import math_spec, problem_reader
from evalscope.core.benchmark import DataSpec

SPEC = math_spec(
    name="amc23",
    data=DataSpec(
        dataset_id="math-ai/amc23",
        hf_dataset_id="math-ai/amc23",
        eval_split="test",
        local_dir="amc23",
        record_to_sample=problem_reader(("problem", "question")),
    ),
    pretty_name="AMC-2023",
    description="AMC 12 2023 (40 problems); boxed answer compared with math_equal.",
)
