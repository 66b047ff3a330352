"""MuSR: multistep soft reasoning over long narratives (murder mysteries, object placements,
team allocation); the hub's splits are our subsets.

Prompt: `{narrative}⏎⏎{question}⏎⏎(A): …⏎Think step by step and then finish your answer with "the
answer is (X)" where X is the correct letter choice.`; next-token letter mode ends `Answer:`.
The `choices` field is a Python-literal list string, parsed with `ast.literal_eval` (never eval).
"""

from __future__ import annotations

import ast
import hashlib

from evalscope.benchmarks._mcq import letter_of
from evalscope.benchmarks._mcq_formats import paren_options
from evalscope.core.benchmark import DataSpec, PromptContext, PromptSpec, mcq_spec
from evalscope.core.report import CLUSTER_KEY
from evalscope.core.types import Sample

COT = 'Think step by step and then finish your answer with "the answer is (X)" where X is the correct letter choice.'


def parse_choices(value: object) -> list[str]:
    items = ast.literal_eval(value) if isinstance(value, str) else value
    if not isinstance(items, (list, tuple)) or not all(isinstance(x, str) for x in items):
        raise ValueError(f"musr: choices must be a list of strings, got {value!r:.80}")
    return [x.strip() for x in items]


def record_to_sample(record: dict, index: int, subset: str) -> Sample:
    narrative = str(record["narrative"]).strip()
    return Sample(
        id=str(record.get("id", index)),
        input=str(record["question"]).strip(),
        choices=parse_choices(record["choices"]),
        target=letter_of(record["answer_index"]),
        # the questions about one story form a cluster (clustered interval)
        metadata={"narrative": narrative, CLUSTER_KEY: hashlib.sha1(narrative.encode()).hexdigest()[:16]},
    )


def format_query(sample: Sample, ctx: PromptContext) -> str:
    tail = COT if ctx.output_type == "generation" else "Answer:"
    return f"{sample.metadata['narrative']}\n\n{sample.input}\n\n{paren_options(sample.choices or [])}\n{tail}"


SPEC = mcq_spec(
    name="musr",
    data=DataSpec(
        dataset_id="AI-ModelScope/MuSR",
        hf_dataset_id="TAUR-Lab/MuSR",
        subsets=("murder_mysteries", "object_placements", "team_allocation"),
        split_as_subset=True,
        eval_split="test",
        local_dir="musr",
        local_patterns=("{subset}.jsonl", "{subset}/{split}.jsonl"),
        record_to_sample=record_to_sample,
    ),
    prompt=PromptSpec(few_shot_num=0, max_few_shot=0, format_query=format_query),
    pretty_name="MuSR",
    description="Multistep soft reasoning over narratives: murder mysteries, object placements, team allocation.",
    tags=("reasoning", "mcq", "long-context"),
    output_types=("generation", "multiple_choice"),
)
