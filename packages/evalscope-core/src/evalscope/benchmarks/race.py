"""RACE: English reading comprehension from Chinese middle- and high-school exams (4 options).

Prompt: `The following are multiple choice reading comprehension questions (with answers).` then
3 train examples `Article:⏎…⏎Question:⏎…⏎A. …⏎Answer: X` and the target ending `Answer:` (once;
EvalScope 0.9-0.13 appended it twice).
"""

from __future__ import annotations

import hashlib

from evalscope.benchmarks._mcq import letter_of, option_block
from evalscope.benchmarks._mcq_formats import shots_then
from evalscope.core.benchmark import DataSpec, PromptContext, PromptSpec, mcq_spec
from evalscope.core.report import CLUSTER_KEY
from evalscope.core.types import Sample

HEADER = "The following are multiple choice reading comprehension questions (with answers).\n\n"


def record_to_sample(record: dict, index: int, subset: str) -> Sample:
    article = str(record["article"]).strip()
    # the questions of one article form a cluster (clustered interval): its file name, else its text's digest
    cluster = record.get("example_id") or hashlib.sha1(article.encode()).hexdigest()[:16]
    # an article's file name is shared by all of its questions: the question's position makes the id unique
    # (stored records and `compare` pair samples by (subset, id); a shared id let one answer replace another)
    example = record.get("example_id")
    return Sample(
        id=f"{example}/{index}" if example else str(index),
        input=str(record["question"]).strip(),
        choices=[str(o).strip() for o in record["options"]],
        target=letter_of(record["answer"]),
        metadata={"article": article, CLUSTER_KEY: str(cluster)},
    )


def block(sample: Sample, *, with_answer: bool) -> str:
    text = f"Article:\n{sample.metadata['article']}\nQuestion:\n{sample.input}\n{option_block(sample)}\nAnswer:"
    return f"{text} {sample.target}" if with_answer else text


def format_query(sample: Sample, ctx: PromptContext) -> str:
    return shots_then(block, sample, ctx, HEADER)


SPEC = mcq_spec(
    name="race",
    data=DataSpec(
        dataset_id="modelscope/race",
        hf_dataset_id="ehovy/race",
        subsets=("high", "middle"),
        eval_split="test",
        fewshot_split="train",
        local_dir="race",
        local_patterns=("{subset}/{split}.jsonl", "{subset}/{split}.json"),
        record_to_sample=record_to_sample,
    ),
    prompt=PromptSpec(few_shot_num=3, max_few_shot=3, format_query=format_query),
    pretty_name="RACE",
    description="Reading comprehension exams (middle and high school), 3-shot from train.",
    tags=("reasoning", "mcq", "reading"),
    output_types=("multiple_choice", "generation", "continuation"),
)
