"""HellaSwag: pick the most plausible ending of an activity description (4 endings).

Local models: log-likelihood of each ending after `activity_label: ctx`, divided by the ending's
character length (as EvalScope 0.12 did). Generation (services): the context and lettered endings
with an instruction, then the option-letter extractor — instead of 0.12's concatenated strings.
`prompt_style: evalscope-0.12` cleans text and normalises lengths exactly as 0.12 (_evalscope012.py).
"""

from __future__ import annotations

import re

from evalscope.benchmarks._mcq import letter_of, option_block, verbatim_metadata
from evalscope.core.benchmark import DataSpec, PromptContext, PromptSpec, ScoringSpec, mcq_spec
from evalscope.core.types import Sample

INSTRUCTION = "Choose the most plausible continuation of the text.\n\n"


def clean(text: str) -> str:
    """WikiHow markup out (` [title]` becomes a sentence break, other `[tags]` go), single spaces."""
    text = text.strip().replace(" [title]", ". ")
    text = re.sub(r"\[.*?\]", "", text)
    return re.sub(r"\s{2,}", " ", text).strip()


def record_to_sample(record: dict, index: int, subset: str) -> Sample:
    if "query" in record:  # preprocessed form (shared datasets): query = "label: ctx"
        source = context = str(record["query"])
    else:  # hub form: activity_label, ctx_a, ctx_b
        source = f"{record['activity_label']}: {record['ctx_a']} {str(record['ctx_b']).capitalize()}"
        context = clean(source)
    endings = [str(e) for e in record["endings"]]
    choices = [clean(e) for e in endings]
    return Sample(
        id=str(record.get("ind", record.get("index", index))),
        input=context,
        choices=choices,
        target=letter_of(record["label"]),
        metadata=verbatim_metadata(context=(source, context), endings=(endings, choices)),
    )


def format_query(sample: Sample, ctx: PromptContext) -> str:
    return f"{INSTRUCTION}{sample.input}\n{option_block(sample)}\nAnswer:"


SPEC = mcq_spec(
    name="hellaswag",
    data=DataSpec(
        dataset_id="modelscope/hellaswag",
        hf_dataset_id="Rowan/hellaswag",
        eval_split="validation",
        local_dir="hellaswag",
        local_patterns=("hellaswag_val_preprocessed.jsonl", "{split}.jsonl"),
        record_to_sample=record_to_sample,
    ),
    prompt=PromptSpec(
        few_shot_num=0,
        max_few_shot=0,
        format_query=format_query,
        format_context=lambda sample, ctx: str(sample.input),
    ),
    scoring=ScoringSpec(length_normalize=True),
    pretty_name="HellaSwag",
    description="Commonsense sentence completion; length-normalised log-likelihood of 4 endings.",
    tags=("commonsense", "mcq"),
    output_types=("continuation", "multiple_choice", "generation"),
)
