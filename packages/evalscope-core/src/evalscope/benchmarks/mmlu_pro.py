"""MMLU-Pro: 14 subject categories, up to 10 options, 5-shot chain of thought from validation.

Generation (default, as EvalScope 0.12): `The following are multiple choice questions (with
answers) about {category}. Think step by step and then finish your answer with "the answer is (X)"
where X is the correct letter choice.` then examples `Q: …⏎Options are:⏎(A): …⏎A: <cot>` and the
target ending `A: Let's think step by step.`. Next-token letter mode drops the CoT: `Answer: X`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from evalscope.benchmarks._mcq import letter_of
from evalscope.benchmarks._mcq_formats import paren_options, shots_then
from evalscope.core.benchmark import DataSpec, PromptContext, PromptSpec, mcq_spec
from evalscope.core.types import Sample

CATEGORIES = (
    "computer science", "math", "chemistry", "engineering", "law", "biology", "health",
    "physics", "business", "philosophy", "economics", "other", "psychology", "history",
)
COT_START = "A: Let's think step by step."


def record_to_sample(record: dict, index: int, subset: str) -> Sample:
    answer = record.get("answer") or record["answer_index"]
    return Sample(
        id=str(record.get("question_id", index)),
        input=str(record["question"]).strip(),
        choices=[str(o).strip() for o in record["options"]],
        target=letter_of(answer),
        metadata={"cot": str(record.get("cot_content") or "").strip()},
    )


def by_category(records: Sequence[dict]) -> dict[str, list[dict]]:
    grouped: dict[str, list[dict]] = defaultdict(list)
    for record in records:
        grouped[record["category"]].append(record)
    return grouped


def _block(sample: Sample, *, with_answer: bool, cot: bool) -> str:
    text = f"Q: {sample.input}\nOptions are:\n{paren_options(sample.choices or [])}\n"
    if not cot:
        return f"{text}Answer: {sample.target}" if with_answer else f"{text}Answer:"
    if not with_answer:
        return text + COT_START
    reasoning = sample.metadata.get("cot") or f"{COT_START} The answer is ({sample.target})."
    return text + (reasoning if reasoning.startswith("A:") else f"A: {reasoning}")


def format_query(sample: Sample, ctx: PromptContext) -> str:
    cot = ctx.output_type == "generation"
    header = f"The following are multiple choice questions (with answers) about {sample.subset}."
    if cot:
        header += ' Think step by step and then finish your answer with "the answer is (X)" where X is the correct letter choice.'
    return shots_then(lambda s, with_answer: _block(s, with_answer=with_answer, cot=cot), sample, ctx, header + "\n\n")


SPEC = mcq_spec(
    name="mmlu_pro",
    data=DataSpec(
        dataset_id="modelscope/MMLU-Pro",
        hf_dataset_id="TIGER-Lab/MMLU-Pro",
        subsets=CATEGORIES,
        group_records=by_category,
        eval_split="test",
        fewshot_split="validation",
        local_dir="mmlu_pro",
        local_patterns=("{split}.jsonl", "data/{split}.jsonl"),
        record_to_sample=record_to_sample,
    ),
    prompt=PromptSpec(few_shot_num=5, format_query=format_query),
    pretty_name="MMLU-Pro",
    description="Harder MMLU: 10 options, 14 categories, 5-shot CoT from validation; 'the answer is (X)'.",
    tags=("knowledge", "mcq", "reasoning"),
    output_types=("generation", "multiple_choice"),
)
