"""MATH (Hendrycks competition math): 5000 test problems bucketed into Level 1..5, boxed answers.

Gold = the last `\\boxed{}` of the reference solution. With few_shot_num > 0 the exemplars come from
the train split (first k, or random with few_shot_random) as `Problem:⏎…⏎Solution:⏎…` blocks, and
the target ends with `Problem:⏎…⏎Solution:⏎`. EvalScope 0.12 used 4 hard-coded Minerva exemplars
(few_shot_num 0 or 4 only); the default here is 0-shot because the offline data holds only the test
split (set few_shot_num to use the hub's train split).
"""

from __future__ import annotations

from evalscope.benchmarks._math_common import (
    BOXED_TEMPLATE,
    LEVELS,
    group_by_level,
    math_spec,
    problem_reader,
)
from evalscope.core.benchmark import DataSpec, PromptContext, PromptSpec
from evalscope.core.types import Sample


def format_query(sample: Sample, ctx: PromptContext) -> str:
    if not ctx.few_shot:
        return str(sample.input)
    shots = [f"Problem:\n{s.input}\nSolution:\n{s.metadata.get('solution', s.target)}" for s in ctx.few_shot]
    return "\n\n".join([*shots, f"Problem:\n{sample.input}\nSolution:\n"])


SPEC = math_spec(
    name="competition_math",
    data=DataSpec(
        dataset_id="modelscope/competition_math",
        hf_dataset_id="EleutherAI/hendrycks_math",
        subsets=LEVELS,
        group_records=group_by_level,
        eval_split="test",
        fewshot_split="train",
        local_dir="competition_math",
        record_to_sample=problem_reader(("problem",)),
    ),
    prompt=PromptSpec(prompt_template=BOXED_TEMPLATE, few_shot_num=0, format_query=format_query),
    pretty_name="MATH",
    description="Competition math (MATH test set, 5000 problems) in five difficulty levels; boxed answer, math_equal.",
)
