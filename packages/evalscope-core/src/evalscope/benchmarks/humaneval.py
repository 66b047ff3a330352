"""HumanEval: 164 Python functions to complete; scored by running the unit tests in the sandbox.

Prompt (EvalScope 0.12): ``Complete the following python code:⏎{prompt}``. The program that runs is
prompt + completion + the problem's ``check`` function + ``check(entry_point)``, in
`evalscope.core.sandbox` (never in the evaluator's process; EvalScope 0.12 ran it in-process).
With ``n`` > 1 completions per problem, Pass@k uses the unbiased estimator (Chen et al., 2021).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from evalscope.benchmarks._lib.code_check import passes
from evalscope.benchmarks._lib.code_extract import extract_code, humaneval_program
from evalscope.benchmarks._lib.passk import pass_at_k_metrics
from evalscope.core.benchmark import BenchmarkSpec, DataSpec, PromptSpec, ScoringSpec
from evalscope.core.types import ModelOutput, Sample

PASS_AT_1 = "Pass@1"
DEFAULT_TIMEOUT = 5.0


def record_to_sample(record: dict, index: int, subset: str) -> Sample:
    return Sample(
        id=str(record.get("task_id", index)),
        input=record["prompt"],
        target=record["canonical_solution"],
        metadata={"test": record["test"], "entry_point": record["entry_point"]},
    )


def program_for(sample: Sample, completion: str) -> str:
    assert isinstance(sample.input, str)
    return humaneval_program(sample.input, completion, sample.metadata["test"], sample.metadata["entry_point"])


def check(sample: Sample, completion: str, timeout: float = DEFAULT_TIMEOUT, require_isolation: bool = True) -> bool:
    """Whether ``completion`` passes the problem's tests (run in the sandbox)."""
    return passes("humaneval", program_for(sample, completion), timeout, require_isolation)


def completions(output: ModelOutput) -> list[str]:
    """Every completion the model returned for one problem (several when n > 1)."""
    texts = getattr(output, "texts", None)
    return list(texts) if texts else [output.text]


def extract(text: str, sample: Sample) -> str:
    return extract_code(text)


def score(prediction: str | None, sample: Sample, output: ModelOutput, params: Mapping[str, Any] | None = None) -> dict[str, float]:
    """Pass@1, or unbiased Pass@k for `params["k"]` when the model returned several completions."""
    params = {**SPEC.scoring.extra_params, **(params or {})}
    timeout = float(params["timeout"])
    isolated = bool(params["require_isolation"])
    texts = completions(output)
    if len(texts) <= 1:
        return {PASS_AT_1: float(prediction is not None and check(sample, prediction, timeout, isolated))}
    outcomes = [check(sample, extract_code(t), timeout, isolated) for t in texts]
    return pass_at_k_metrics(outcomes, params["k"])


SPEC = BenchmarkSpec(
    name="humaneval",
    data=DataSpec(
        dataset_id="modelscope/humaneval",
        hf_dataset_id="openai/openai_humaneval",
        hub_subset=lambda subset: "openai_humaneval",
        subsets=("openai_humaneval",),
        eval_split="test",
        local_dir="humaneval",
        local_patterns=("HumanEval.jsonl.gz", "HumanEval.jsonl", "{split}.jsonl"),
        record_to_sample=record_to_sample,
    ),
    prompt=PromptSpec(prompt_template="Complete the following python code:\n{query}"),
    scoring=ScoringSpec(
        extract=extract,
        score=score,
        blocking_score=True,
        metrics=(PASS_AT_1,),
        extra_params={"timeout": DEFAULT_TIMEOUT, "k": (1, 5, 10), "require_isolation": True},
    ),
    pretty_name="HumanEval",
    description="164 hand-written Python problems; the completion must pass the unit tests (run sandboxed).",
    tags=("coding",),
)
