"""general_mcq: the user's own multiple-choice files, 2 to 10 options (columns A..J).

Layout: a directory (`dataset_args.general_mcq.local_path`) with `{subset}_val.csv` or `.jsonl`
to evaluate and optional `{subset}_dev.csv` / `.jsonl` few-shot examples; columns `id` (optional),
`question`, `A`..`J`, `answer` (a letter). Only the options an item has are scored, never all ten.
Prompt: `请回答问题，并选出其中的正确答案⏎` then `问题：Q⏎A. …⏎答案：X` blocks.
"""

from __future__ import annotations

import re
from pathlib import Path

from evalscope.benchmarks._mcq import letter_of
from evalscope.benchmarks._mcq_formats import options_from_columns, shots_then, zh_block
from evalscope.core.benchmark import DataSpec, PromptContext, PromptSpec, mcq_spec
from evalscope.core.datasets import DatasetFormatError
from evalscope.core.serialization import short_repr
from evalscope.core.types import Sample

COLUMNS = "ABCDEFGHIJ"
_EVAL_FILE = re.compile(r"^(?P<subset>.+)_val\.(?:csv|jsonl)$")


def record_to_sample(record: dict, index: int, subset: str) -> Sample:
    """One row; a row the format cannot use is a DatasetFormatError saying what is wrong (the
    loader adds the file, line and row id)."""
    missing = [c for c in ("question", "answer") if c not in record]
    if missing:
        raise DatasetFormatError(
            f"missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
            f"(general_mcq needs question, A, B[, C..J], answer; the row has {', '.join(map(str, record))})"
        )
    choices = options_from_columns(record, COLUMNS)
    if len(choices) < 2:
        raise DatasetFormatError("needs at least two options, in columns A and B")
    letters = COLUMNS[: len(choices)]
    answer = str(record["answer"]).strip()
    target = answer.upper()
    if answer.isdigit() and int(answer) < len(choices):  # a 0-based index
        target = letter_of(answer)
    if target not in letters:
        raise DatasetFormatError(
            f"answer {short_repr(record['answer'], 40)} is not one of its options {', '.join(letters)}"
        )
    row_id = record.get("id")
    return Sample(id=str(row_id if row_id not in (None, "") else index), input=str(record["question"]).strip(), choices=choices, target=target)


def format_query(sample: Sample, ctx: PromptContext) -> str:
    return shots_then(zh_block, sample, ctx)


def discover_subsets(root: str | Path) -> list[str]:
    """Subset names of the `{subset}_val.csv|jsonl` files in `root`, sorted."""
    path = Path(root)
    if not path.is_dir():
        return []
    found = {m["subset"] for p in path.iterdir() if p.is_file() and (m := _EVAL_FILE.match(p.name))}
    return sorted(found)


SPEC = mcq_spec(
    name="general_mcq",
    data=DataSpec(
        subsets=("default",),
        discover_subsets=discover_subsets,
        fewshot_optional=True,
        eval_split="val",
        fewshot_split="dev",
        local_dir="general_mcq",
        local_patterns=("{subset}_{split}.csv", "{subset}_{split}.jsonl"),
        record_to_sample=record_to_sample,
    ),
    prompt=PromptSpec(
        few_shot_num=0, format_query=format_query, prompt_template="请回答问题，并选出其中的正确答案\n{query}"
    ),
    pretty_name="General-MCQ",
    description="Your own multiple-choice data: {subset}_val / {subset}_dev files (CSV or JSONL), 2-10 options.",
    tags=("custom", "mcq"),
)
