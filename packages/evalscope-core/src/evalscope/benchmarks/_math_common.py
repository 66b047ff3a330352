"""What the boxed-answer math benchmarks share: prompt, record reading, extraction, scoring.

competition_math, math_500, aime24, aime25 and amc23 are `math_spec(...)` calls that differ only in
their data (hub id, fields, subsets). The user message is EvalScope's boxed template
`{query}⏎Please reason step by step, and put your final answer within \\boxed{}.`; the answer is the
last `\\boxed{}` (else Minerva / "the answer is" cues, else the last number), compared with
`math_equal` (string, numeric, structural, then sympy). Reasoning blocks (`<think>…</think>`) are
stripped before extraction by default; an unclosed block scores 0.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import attrs

from evalscope.benchmarks._lib.math_answer import extract_math_answer, last_boxed, math_equal
from evalscope.core.benchmark import BenchmarkSpec, DataSpec, PromptSpec, ScoringSpec
from evalscope.core.metrics import PASS_AT_1
from evalscope.core.types import ModelOutput, Sample

BOXED_TEMPLATE = "{query}\nPlease reason step by step, and put your final answer within \\boxed{}."
LEVELS: tuple[str, ...] = tuple(f"Level {i}" for i in range(1, 6))


def answer_text(value: Any) -> str:
    """Gold answer as text: integral floats lose their `.0` (AMC's 27.0 -> "27")."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def gold_from_solution(solution: str) -> str:
    """MATH gold: the last `\\boxed{}` of the reference solution."""
    boxed = last_boxed(solution)
    if boxed is None:
        raise ValueError("reference solution has no \\boxed{} answer")
    return boxed


def problem_reader(question_keys: tuple[str, ...] = ("problem",), id_keys: tuple[str, ...] = ("id", "unique_id", "idx")
                   ) -> Callable[[dict, int, str], Sample]:
    """record_to_sample for rows with a problem field and an `answer` (or a MATH `solution`)."""

    def record_to_sample(record: dict, index: int, subset: str) -> Sample:
        question = next(record[k] for k in question_keys if record.get(k))
        gold = answer_text(record["answer"]) if record.get("answer") not in (None, "") else gold_from_solution(record["solution"])
        rid = next((record[k] for k in id_keys if record.get(k) not in (None, "")), index)
        meta = {k: record[k] for k in ("solution", "level", "type", "subject") if k in record}
        return Sample(id=str(rid), input=str(question), target=gold, metadata=meta)

    return record_to_sample


def group_by_level(records: Sequence[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """MATH rows bucketed by `level` ("Level 3" or 3 -> "Level 3"; MATH's few "Level ?" rows are dropped)."""
    grouped: dict[str, list[dict[str, Any]]] = {level: [] for level in LEVELS}
    for record in records:
        level = str(record.get("level", "")).strip()
        level = f"Level {level}" if level.isdigit() else level
        if level in grouped:
            grouped[level].append(record)
    return grouped


def extract(text: str, sample: Sample) -> str:
    return extract_math_answer(text)


def score(prediction: str | None, sample: Sample, output: ModelOutput) -> dict[str, float]:
    return {PASS_AT_1: float(bool(prediction) and math_equal(str(prediction), sample.target))}


MATH_PATTERNS = ("{split}.jsonl", "test.jsonl")


def math_spec(*, data: DataSpec, prompt: PromptSpec | None = None, **kwargs: Any) -> BenchmarkSpec:
    """A boxed-answer math benchmark: the boxed template (when `prompt` is None), the shared scoring,
    and the local file names `MATH_PATTERNS` when `data` names none; keyword arguments set the rest."""
    if not data.local_patterns:
        data = attrs.evolve(data, local_patterns=MATH_PATTERNS)
    scoring = ScoringSpec(
        extract=extract,
        score=score,
        metrics=(PASS_AT_1,),
        blocking_score=True,  # sympy may take a while
        filters=("strip_think",),
    )
    prompt = prompt or PromptSpec(prompt_template=BOXED_TEMPLATE)
    return BenchmarkSpec(data=data, prompt=prompt, scoring=scoring, **{"tags": ("math", "reasoning"), **kwargs})
