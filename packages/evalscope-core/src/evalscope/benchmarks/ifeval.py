"""IFEval: 541 prompts with verifiable instructions (Google's instruction-following eval).

The raw `prompt` is the user message (no template). Each response is checked with the strict and
loose IFEval checkers; the prediction stored per sample is the checker verdicts
(`inst_level_strict`/`inst_level_loose`: one bool per instruction). Metrics:
prompt_level_strict_acc, inst_level_strict_acc, prompt_level_loose_acc, inst_level_loose_acc.

Per sample the instruction-level scores are fractions (followed / instructions of that prompt); the
report's instruction-level accuracy is followed / total instructions over ALL prompts (IFEval's
micro average), computed by `aggregate` from the stored verdicts.
"""

from __future__ import annotations

from collections.abc import Sequence

from evalscope.benchmarks._lib.ifeval import METRICS, aggregate_ifeval, evaluate_ifeval
from evalscope.core.benchmark import BenchmarkSpec, DataSpec, ScoringSpec
from evalscope.core.types import ModelOutput, Sample, SampleResult

INST_STRICT, INST_LOOSE = "inst_level_strict_acc", "inst_level_loose_acc"


def record_to_sample(record: dict, index: int, subset: str) -> Sample:
    row = {"instruction_id_list": list(record["instruction_id_list"]), "kwargs": list(record.get("kwargs") or [])}
    if not row["kwargs"]:
        row["kwargs"] = [{} for _ in row["instruction_id_list"]]
    # hub copies store absent kwargs as None; the checkers want them left out
    row["kwargs"] = [{k: v for k, v in (kw or {}).items() if v is not None} for kw in row["kwargs"]]
    return Sample(id=str(record.get("key", index)), input=str(record["prompt"]), target=row)


def extract(text: str, sample: Sample) -> dict:
    return evaluate_ifeval(sample.target, text)


def score(prediction: dict | None, sample: Sample, output: ModelOutput) -> dict[str, float]:
    if not prediction:
        return dict.fromkeys(METRICS, 0.0)
    strict, loose = prediction["inst_level_strict"], prediction["inst_level_loose"]
    return {
        "prompt_level_strict_acc": float(prediction["prompt_level_strict_acc"]),
        INST_STRICT: sum(strict) / len(strict) if strict else 0.0,
        "prompt_level_loose_acc": float(prediction["prompt_level_loose_acc"]),
        INST_LOOSE: sum(loose) / len(loose) if loose else 0.0,
    }


def aggregate(results: Sequence[SampleResult]) -> dict[str, float]:
    """IFEval's four metrics over `results` (instruction level: micro average over instructions).

    A sample without verdicts (its output failed a filter) counts as following none of its instructions.
    """
    verdicts = []
    for r in results:
        if isinstance(r.prediction, dict) and "inst_level_strict" in r.prediction:
            verdicts.append(r.prediction)
        else:
            failed = [False] * len((r.gold or {}).get("instruction_id_list", ()))
            verdicts.append({**dict.fromkeys(METRICS, 0.0), "inst_level_strict": failed, "inst_level_loose": failed})
    return aggregate_ifeval(verdicts) if verdicts else {}


SPEC = BenchmarkSpec(
    name="ifeval",
    data=DataSpec(
        dataset_id="opencompass/ifeval",
        hf_dataset_id="google/IFEval",
        eval_split="train",
        local_dir="ifeval",
        local_patterns=("input_data.jsonl", "{split}.jsonl"),
        record_to_sample=record_to_sample,
    ),
    scoring=ScoringSpec(extract=extract, score=score, metrics=tuple(METRICS), aggregate=aggregate),
    pretty_name="IFEval",
    description="Instruction-following eval: 541 prompts with verifiable instructions; strict and loose accuracy.",
    tags=("instruction-following",),
)
