"""ProcessBench: find the earliest wrong step of a math solution (-1 when every step is right).

Subsets are the hub's splits: gsm8k, math, olympiadbench, omnimath. The critique prompt numbers the
steps as `<paragraph_i>` blocks and asks for the index of the earliest error, or -1, in `\\boxed{}`.
The prediction is the last boxed integer. Per sample: `error_acc` (samples with an error, label >= 0)
or `correct_acc` (label -1); `simple_f1_score` is the harmonic mean of the two accuracies over a
group of samples, computed by `aggregate` (the report calls it per subset and overall).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from evalscope.benchmarks._lib.math_answer import last_boxed
from evalscope.core.benchmark import BenchmarkSpec, DataSpec, PromptContext, PromptSpec, ScoringSpec
from evalscope.core.types import ModelOutput, Sample, SampleResult

ERROR_ACC, CORRECT_ACC, F1 = "error_acc", "correct_acc", "simple_f1_score"
SUBSETS = ("gsm8k", "math", "olympiadbench", "omnimath")
CRITIQUE = (
    "The following is a math problem and a solution (split into paragraphs, enclosed with tags and indexed from 0):\n\n"
    "[Math Problem]\n\n{problem}\n\n[Solution]\n\n{solution}\n\n"
    "Your task is to review and critique the solution paragraph by paragraph. Once you identify an error in a "
    "paragraph, return the index of the paragraph where the earliest error occurs. Otherwise, return the index "
    'of -1 (which typically denotes "not found").\n\n'
    "Please put your final answer (i.e., the index) in \\boxed{{}}."
)
_INT = re.compile(r"^\s*(?:\\text\{)?\s*(-?\d+)\s*\}?\s*$")


def record_to_sample(record: dict, index: int, subset: str) -> Sample:
    steps = [str(s) for s in record["steps"]]
    return Sample(id=str(record.get("id", index)), input=str(record["problem"]), target=int(record["label"]),
                  metadata={"steps": steps})


def format_query(sample: Sample, ctx: PromptContext) -> str:
    tagged = "\n\n".join(f"<paragraph_{i}>\n{step}\n</paragraph_{i}>" for i, step in enumerate(sample.metadata["steps"]))
    return CRITIQUE.format(problem=sample.input, solution=tagged)


def extract(text: str, sample: Sample) -> int | None:
    boxed = last_boxed(text)
    m = _INT.match(boxed) if boxed is not None else None
    return int(m.group(1)) if m else None


def score(prediction: int | None, sample: Sample, output: ModelOutput) -> dict[str, float]:
    name = CORRECT_ACC if sample.target == -1 else ERROR_ACC
    return {name: float(prediction is not None and prediction == sample.target)}


def simple_f1(error_acc: float, correct_acc: float) -> float:
    total = error_acc + correct_acc
    return 2 * error_acc * correct_acc / total if total else 0.0


def aggregate(results: Sequence[SampleResult]) -> dict[str, float]:
    """simple_f1_score of a group; absent when the group lacks erroneous or correct solutions."""
    err = [r.scores[ERROR_ACC] for r in results if ERROR_ACC in r.scores]
    ok = [r.scores[CORRECT_ACC] for r in results if CORRECT_ACC in r.scores]
    if not err or not ok:
        return {}
    return {F1: simple_f1(sum(err) / len(err), sum(ok) / len(ok))}


SPEC = BenchmarkSpec(
    name="process_bench",
    data=DataSpec(
        dataset_id="Qwen/ProcessBench",
        hf_dataset_id="Qwen/ProcessBench",
        split_as_subset=True,
        subsets=SUBSETS,
        eval_split="test",
        local_dir="process_bench",
        local_patterns=("{subset}.jsonl", "{subset}.json", "{subset}/{split}.jsonl"),
        record_to_sample=record_to_sample,
    ),
    prompt=PromptSpec(format_query=format_query),
    scoring=ScoringSpec(
        extract=extract,
        score=score,
        metrics=(ERROR_ACC, CORRECT_ACC, F1),
        filters=("strip_think",),
        aggregate=aggregate,
    ),
    pretty_name="ProcessBench",
    description="Identify the earliest erroneous step of math solutions (GSM8K, MATH, OlympiadBench, Omni-MATH).",
    tags=("math", "reasoning", "judge"),
)
