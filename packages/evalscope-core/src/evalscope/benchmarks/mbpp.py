"""MBPP (Mostly Basic Python Problems): 500 test problems (task ids 11-510), 3-shot, run sandboxed.

Prompt as in the MBPP paper (Austin et al., 2021): the task text, its three asserts, and the code
between ``[BEGIN]`` / ``[DONE]``, with tasks 2, 3 and 4 (the paper's prompt split) as exemplars; the
query ends with ``[BEGIN]`` and generation stops at ``[DONE]``. Scored by running the solution plus
``test_setup_code`` plus the ``test_list`` asserts in `evalscope.core.sandbox`.

The local file (``mbpp/mbpp.jsonl``) holds every split; records are selected by task id. The exemplars
travel in each sample's metadata, so they are the same whatever few-shot settings say.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from evalscope.benchmarks._lib.code_check import passes
from evalscope.benchmarks._lib.code_extract import mbpp_extract, mbpp_program
from evalscope.benchmarks._lib.passk import pass_at_k_metrics
from evalscope.core.benchmark import BenchmarkSpec, DataSpec, PromptContext, PromptSpec, ScoringSpec
from evalscope.core.types import GenerationConfig, ModelOutput, Sample

PASS_AT_1 = "Pass@1"
DEFAULT_TIMEOUT = 10.0  # task 123 (amicable numbers to 9999) needs ~3 s of CPU when idle
TEST_IDS = range(11, 511)
PROMPT_IDS = (2, 3, 4)


def group_records(records: Sequence[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """The test split (task ids 11-510), each record carrying the three exemplar records."""
    by_id = {int(r["task_id"]): r for r in records}
    shots = [by_id[i] for i in PROMPT_IDS if i in by_id]
    test = [{**by_id[i], "_shots": shots} for i in TEST_IDS if i in by_id]
    return {"full": test}


def record_to_sample(record: dict, index: int, subset: str) -> Sample:
    return Sample(
        id=str(record["task_id"]),
        input=record["text"],
        target=record["code"],
        metadata={
            "test_list": list(record["test_list"]),
            "test_setup_code": record.get("test_setup_code") or "",
            "shots": [
                {"text": s["text"], "code": s["code"].replace("\r\n", "\n"), "test_list": s["test_list"]}
                for s in record.get("_shots", ())
            ],
        },
    )


def _task(text: str, tests: list[str]) -> str:
    return (
        f"You are an expert Python programmer, and here is your task: {text} "
        f"Your code should pass these tests:\n\n" + "\n".join(tests) + "\n"
    )


def format_query(sample: Sample, ctx: PromptContext) -> str:
    shots = sample.metadata["shots"]
    wanted = int(ctx.params.get("num_shots", len(PROMPT_IDS)))
    if len(shots) < wanted:
        raise ValueError(
            f"mbpp: the prompt exemplars (task ids {PROMPT_IDS}) are missing; load the full mbpp.jsonl"
        )
    parts = [f"{_task(s['text'], s['test_list'])}[BEGIN]\n{s['code']}\n[DONE]\n" for s in shots[:wanted]]
    parts.append(f"{_task(str(sample.input), sample.metadata['test_list'])}[BEGIN]\n")
    return "\n".join(parts)


def program_for(sample: Sample, code: str) -> str:
    return mbpp_program(code, sample.metadata["test_list"], sample.metadata["test_setup_code"])


def check(sample: Sample, code: str, timeout: float = DEFAULT_TIMEOUT, require_isolation: bool = True) -> bool:
    """Whether ``code`` passes the task's asserts (run in the sandbox)."""
    return passes("mbpp", program_for(sample, code), timeout, require_isolation)


def extract(text: str, sample: Sample) -> str:
    return mbpp_extract(text)


def score(prediction: str | None, sample: Sample, output: ModelOutput, params: Mapping[str, Any] | None = None) -> dict[str, float]:
    """Pass@1, or unbiased Pass@k for `params["k"]` when the model returned several completions."""
    params = {**SPEC.scoring.extra_params, **(params or {})}
    timeout = float(params["timeout"])
    isolated = bool(params["require_isolation"])
    texts = getattr(output, "texts", None)
    if not texts or len(texts) <= 1:
        return {PASS_AT_1: float(bool(prediction) and check(sample, prediction or "", timeout, isolated))}
    outcomes = [check(sample, mbpp_extract(t), timeout, isolated) for t in texts]
    return pass_at_k_metrics(outcomes, params["k"])


SPEC = BenchmarkSpec(
    name="mbpp",
    data=DataSpec(
        dataset_id="google-research-datasets/mbpp",
        hf_dataset_id="google-research-datasets/mbpp",
        hub_subset=lambda subset: "full",
        subsets=("full",),
        eval_split="test",
        local_dir="mbpp",
        local_patterns=("mbpp.jsonl",),
        group_records=group_records,
        record_to_sample=record_to_sample,
    ),
    prompt=PromptSpec(format_query=format_query, generation_config=GenerationConfig(stop=["[DONE]"])),
    scoring=ScoringSpec(
        extract=extract,
        score=score,
        blocking_score=True,
        metrics=(PASS_AT_1,),
        extra_params={
            "timeout": DEFAULT_TIMEOUT,
            "k": (1, 5, 10),
            "require_isolation": True,
            "num_shots": len(PROMPT_IDS),
        },
    ),
    pretty_name="MBPP",
    description="974 crowd-sourced Python problems; 3-shot [BEGIN]/[DONE] prompt; asserts run sandboxed.",
    tags=("coding",),
)
