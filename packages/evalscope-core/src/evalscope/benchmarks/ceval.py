"""C-Eval: 52 Chinese exam subjects in 4 categories; eval on val (test labels are withheld).

Prompt: `以下是中国关于{Chinese subject}考试的单项选择题，请选出其中的正确答案。` then dev examples
`问题：Q⏎A. …⏎答案：X` (0-shot by default, at most 5) and the target question ending `答案：`.
`prompt_style: evalscope-0.12` sends 0.12's text (`答案: `, glued few-shot; _evalscope012.py).
"""

from __future__ import annotations

from evalscope.benchmarks._ceval_subjects import SUBJECTS
from evalscope.benchmarks._mcq import letter_of, verbatim_metadata
from evalscope.benchmarks._mcq_formats import options_from_columns, shots_then, zh_block
from evalscope.core.benchmark import DataSpec, PromptContext, PromptSpec, mcq_spec
from evalscope.core.types import Sample


def record_to_sample(record: dict, index: int, subset: str) -> Sample:
    question, choices = str(record["question"]), options_from_columns(record, "ABCD")
    metadata = {"explanation": record["explanation"]} if record.get("explanation") else {}
    metadata.update(
        verbatim_metadata(question=(question, question.strip()), choices=([str(record[k]) for k in "ABCD"], choices))
    )
    return Sample(
        id=str(record.get("id", index)),
        input=question.strip(),
        choices=choices,
        target=letter_of(record["answer"]),
        metadata=metadata,
    )


def format_query(sample: Sample, ctx: PromptContext) -> str:
    name = SUBJECTS.get(sample.subset, (sample.subset.replace("_", " "), ""))[0]
    header = f"以下是中国关于{name}考试的单项选择题，请选出其中的正确答案。\n\n"
    return shots_then(zh_block, sample, ctx, header)


SPEC = mcq_spec(
    name="ceval",
    data=DataSpec(
        dataset_id="modelscope/ceval-exam",
        hf_dataset_id="ceval/ceval-exam",
        subsets=tuple(SUBJECTS),
        eval_split="val",
        fewshot_split="dev",
        local_dir="ceval",
        local_patterns=("{split}/{subset}_{split}.csv",),
        record_to_sample=record_to_sample,
    ),
    prompt=PromptSpec(few_shot_num=0, max_few_shot=5, format_query=format_query),
    pretty_name="C-Eval",
    description="Chinese exam questions, 52 subjects in STEM / Social Science / Humanities / Other; val split.",
    tags=("knowledge", "mcq", "chinese"),
    category=lambda subset: (SUBJECTS[subset][1] if subset in SUBJECTS else "Other",),
)
