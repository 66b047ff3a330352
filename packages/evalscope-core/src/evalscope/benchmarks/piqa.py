"""PIQA: physical commonsense — which of two solutions achieves the goal.

Reads the hub form (`goal`, `sol1`, `sol2`, `label`) and MosaicML's (`query` "Question: goal",
`choices`, `gold`). Log-likelihood mode: ` solution` after `Question: goal⏎Answer:`; letter modes
list the two solutions as A and B.
"""

from __future__ import annotations

from evalscope.benchmarks._mcq import letter_of, option_block
from evalscope.core.benchmark import DataSpec, PromptContext, PromptSpec, mcq_spec
from evalscope.core.types import Sample


def record_to_sample(record: dict, index: int, subset: str) -> Sample:
    if "query" in record:
        goal = str(record["query"]).strip().removeprefix("Question:").strip()
        choices, gold = list(record["choices"]), record["gold"]
    else:
        goal, choices, gold = str(record["goal"]).strip(), [record["sol1"], record["sol2"]], record["label"]
    return Sample(id=str(record.get("id", index)), input=goal, choices=[str(c).strip() for c in choices], target=letter_of(gold))


def format_context(sample: Sample, ctx: PromptContext) -> str:
    return f"Question: {sample.input}\nAnswer:"


def format_query(sample: Sample, ctx: PromptContext) -> str:
    return f"Question: {sample.input}\nWhich solution is better?\n{option_block(sample)}\nAnswer:"


SPEC = mcq_spec(
    name="piqa",
    data=DataSpec(
        dataset_id="AI-ModelScope/piqa",
        hf_dataset_id="ybisk/piqa",
        eval_split="validation",
        local_dir="piqa",
        local_patterns=("piqa_validation.jsonl", "{split}.jsonl"),
        record_to_sample=record_to_sample,
    ),
    prompt=PromptSpec(
        few_shot_num=0, max_few_shot=0, format_query=format_query, format_context=format_context
    ),
    pretty_name="PIQA",
    description="Physical interaction QA: choose the solution that achieves the goal (validation split).",
    tags=("commonsense", "mcq", "reasoning"),
    output_types=("continuation", "multiple_choice", "generation"),
)
