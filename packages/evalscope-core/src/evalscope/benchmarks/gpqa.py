"""GPQA: graduate-level science questions (extended, main, diamond), 4 options.

The correct answer and three incorrect ones are shuffled with a per-question seed (fixed across runs
and independent of order), shown as `(A) …` under `Choices:`. Generation asks for a boxed letter:
`What is the correct answer to this question: Q⏎Choices:⏎(A) …⏎Please reason step by step, and put
your final answer within \\boxed{}.`; the last boxed letter counts, else the option extractor.
No hard-coded chain-of-thought exemplars (0-shot only).
"""

from __future__ import annotations

import re

from evalscope.benchmarks._mcq_formats import paren_options, seeded_shuffle
from evalscope.core.benchmark import DataSpec, PromptContext, PromptSpec, ScoringSpec, mcq_spec
from evalscope.core.extractors import extract_choice
from evalscope.core.metrics import PASS_AT_1
from evalscope.core.types import ModelOutput, Sample

BOXED = "Please reason step by step, and put your final answer within \\boxed{}."
_BOXED_LETTER = re.compile(r"\\boxed\{\s*(?:\\text\{)?\s*\(?([A-D])\)?\s*\}?\s*\}")


def record_to_sample(record: dict, index: int, subset: str) -> Sample:
    question = str(record["Question"]).strip()
    options = [str(record["Correct Answer"]).strip()] + [str(record[f"Incorrect Answer {i}"]).strip() for i in (1, 2, 3)]
    rid = str(record.get("Record ID") or index)
    choices, target = seeded_shuffle(options, 0, f"gpqa:{rid}:{question}")
    return Sample(id=rid, input=question, choices=choices, target=target)


def format_query(sample: Sample, ctx: PromptContext) -> str:
    text = f"What is the correct answer to this question: {sample.input}\nChoices:\n{paren_options(sample.choices or [], '({letter}) {text}')}"
    return f"{text}\n{BOXED}" if ctx.output_type == "generation" else f"{text}\nAnswer:"


def extract(text: str, sample: Sample) -> str:
    boxed = _BOXED_LETTER.findall(text)
    return boxed[-1] if boxed else extract_choice(text, "ABCD")


def score(prediction: object, sample: Sample, output: ModelOutput) -> dict[str, float]:
    return {PASS_AT_1: float(prediction == sample.target)}


SPEC = mcq_spec(
    name="gpqa",
    data=DataSpec(
        dataset_id="modelscope/gpqa",
        hf_dataset_id="Idavidrein/gpqa",
        subsets=("gpqa_extended", "gpqa_main", "gpqa_diamond"),
        eval_split="train",
        local_dir="gpqa",
        local_patterns=("{subset}.csv", "{subset}/{split}.csv", "{subset}/{split}.jsonl"),
        record_to_sample=record_to_sample,
    ),
    prompt=PromptSpec(few_shot_num=0, max_few_shot=0, format_query=format_query),
    scoring=ScoringSpec(extract=extract, score=score, metrics=(PASS_AT_1,)),
    pretty_name="GPQA",
    description="Graduate-level Google-proof science QA (extended, main, diamond), options shuffled per question.",
    tags=("knowledge", "mcq", "reasoning"),
    output_types=("generation", "multiple_choice"),
)
