"""IQuiz: Chinese IQ and EQ multiple-choice questions (A-E), answered with an explanation.

System prompt (EvalScope 0.12) asks for `答案是(选项)`; user message `问题: Q⏎选项:⏎(A): …`.
"""

from __future__ import annotations

from evalscope.benchmarks._mcq import letter_of
from evalscope.benchmarks._mcq_formats import paren_options
from evalscope.core.benchmark import DataSpec, PromptContext, PromptSpec, mcq_spec
from evalscope.core.types import Sample

SYSTEM = "你是一个高智商和高情商的专家，你被要求回答一个选择题，并选出一个正确的选项，解释原因，最终输出格式为：`答案是(选项)`。"


def record_to_sample(record: dict, index: int, subset: str) -> Sample:
    return Sample(
        id=str(record.get("id", index)),
        input=str(record["question"]).strip(),
        choices=[str(c).strip() for c in record["choices"]],
        target=letter_of(record["answer"]),
    )


def format_query(sample: Sample, ctx: PromptContext) -> str:
    text = f"问题: {sample.input}\n选项:\n{paren_options(sample.choices or [])}"
    return text if ctx.output_type == "generation" else f"{text}\n答案是"


SPEC = mcq_spec(
    name="iquiz",
    data=DataSpec(
        dataset_id="AI-ModelScope/IQuiz",
        subsets=("IQ", "EQ"),
        eval_split="test",
        local_dir="iquiz",
        local_patterns=("{subset}/{split}.jsonl", "{subset}_{split}.jsonl"),
        record_to_sample=record_to_sample,
    ),
    prompt=PromptSpec(few_shot_num=0, max_few_shot=0, format_query=format_query, system_prompt=SYSTEM),
    pretty_name="IQuiz",
    description="Chinese IQ (logic, numbers) and EQ (social situations) multiple-choice questions.",
    tags=("knowledge", "mcq", "chinese"),
    output_types=("generation", "multiple_choice"),
)
