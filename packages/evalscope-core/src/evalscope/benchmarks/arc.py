"""AI2 Reasoning Challenge (ARC-Easy, ARC-Challenge): 4-way (sometimes 3/5) science MCQ.

Options are always lettered A, B, ... (some items label them 1-4); `prompt_style: evalscope-0.12`
sends 0.12's text as a raw prompt (_evalscope012.py).
"""

from __future__ import annotations

from evalscope.benchmarks._mcq import few_shot_then_question, letter_of
from evalscope.core.benchmark import DataSpec, PromptSpec, mcq_spec
from evalscope.core.types import Sample


def record_to_sample(record: dict, index: int, subset: str) -> Sample:
    choices = record["choices"]
    labels = [str(x) for x in choices["label"]]
    return Sample(
        id=str(record.get("id", index)),
        input=record["question"],
        choices=list(choices["text"]),
        target=letter_of(record["answerKey"], labels),
    )


SPEC = mcq_spec(
    name="arc",
    data=DataSpec(
        dataset_id="modelscope/ai2_arc",
        hf_dataset_id="allenai/ai2_arc",
        subsets=("ARC-Easy", "ARC-Challenge"),
        eval_split="test",
        fewshot_split="train",
        local_dir="arc",
        local_patterns=("{subset}/{split}.jsonl", "{subset}/{split}_subset.jsonl"),
        record_to_sample=record_to_sample,
    ),
    prompt=PromptSpec(few_shot_num=0, format_query=few_shot_then_question),
    pretty_name="ARC",
    description="Grade-school science questions (ARC-Easy and ARC-Challenge test sets).",
    tags=("reasoning", "mcq"),
    output_types=("multiple_choice", "generation", "continuation"),
)
