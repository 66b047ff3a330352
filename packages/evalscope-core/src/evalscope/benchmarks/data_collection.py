"""data_collection: evaluate a mixed JSONL made by `evalscope collection create`.

    datasets: [data_collection]
    dataset_args: {data_collection: {local_path: mixed.jsonl}}     # or dataset_id: mixed.jsonl

Each row carries the request its own benchmark rendered and the benchmark's sample; the answer is
extracted and scored by that benchmark's spec (`dataset_name` -> its SPEC). Samples are grouped as
subset `<dataset>/<subset>` under category `<dataset>`; per-task-type, per-tag and per-category
views go to `reports/<model>/collection/collection_report.json`.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import attrs

from evalscope.core.benchmark import BenchmarkSpec, DataSpec, PromptSpec, ScoringSpec, Task
from evalscope.core.collections.report import (
    COLLECTION_KEY,
    build_collection_report,
    entries_from_run,
    format_collection_tables,
    write_collection_report,
)
from evalscope.core.collections.sampler import CollectionRow, request_from_prompt
from evalscope.core.metrics import ACCURACY
from evalscope.core.report import CLUSTER_KEY
from evalscope.core.serialization import structure
from evalscope.core.types import ChatMessage, GenerationConfig, ModelOutput, ModelRequest, Sample

NAME = "data_collection"


def record_to_sample(record: dict, index: int, subset: str) -> Sample:
    from evalscope.benchmarks import get_benchmark

    row = CollectionRow.from_dict(record, where=f"{NAME} row {index}")
    get_benchmark(row.dataset_name)  # unknown names fail at load; specs load here, not in scoring threads
    inner = structure(row.sample, Sample)
    messages = row.prompt.get("messages")
    # the rendered conversation is the input: a run without per-row requests still asks the same text
    query: str | list[ChatMessage] = (
        [ChatMessage(m["role"], m["content"]) for m in messages] if messages else (row.prompt.get("prompt") or inner.input)
    )
    return Sample(
        id=str(row.index),
        input=query,
        target=inner.target,
        choices=inner.choices,
        subset=f"{row.dataset_name}/{row.subset_name}",
        # items of one source benchmark form a cluster (the report's clustered interval)
        metadata={COLLECTION_KEY: row.to_dict(), CLUSTER_KEY: row.dataset_name},
    )


# -- dispatch to the row's own benchmark -------------------------------------------------------------
def _meta(sample: Sample) -> dict[str, Any]:
    return sample.metadata[COLLECTION_KEY]


def inner_sample(sample: Sample) -> Sample:
    """The row's sample as its own benchmark made it."""
    return structure(_meta(sample)["sample"], Sample)


@lru_cache(maxsize=256)
def _sub_task(dataset: str, output_type: str, filters_json: str) -> Task:
    from evalscope.benchmarks import get_benchmark

    spec = get_benchmark(dataset)
    return Task(
        spec=spec,
        output_type=output_type,
        few_shot_num=0,
        generation_config=spec.prompt.generation_config,
        prompt_template=spec.prompt.prompt_template,
        system_prompt=spec.prompt.system_prompt,
        filters=json.loads(filters_json),
        metrics=spec.scoring.metrics,
    )


def sub_task(sample: Sample, output_type: str | None = None) -> Task:
    meta = _meta(sample)
    prompt = meta["prompt"]
    return _sub_task(meta["dataset_name"], output_type or prompt["output_type"], json.dumps(prompt.get("filters")))


def build_request(task: Task, sample: Sample) -> ModelRequest:
    """The stored request; the run's generation settings win over the stored ones."""
    return request_from_prompt(_meta(sample)["prompt"], task.generation_config)


def predict(task: Task, sample: Sample, output: ModelOutput) -> tuple[str | None, Any]:
    return sub_task(sample).predict(inner_sample(sample), output)


def extract(text: str, sample: Sample) -> Any:
    """Generation-mode extraction by the row's benchmark (used where rows are answered as text)."""
    return sub_task(sample, "generation").predict(inner_sample(sample), ModelOutput(text=text))[1]


def score(prediction: Any, sample: Sample, output: ModelOutput) -> dict[str, float]:
    return sub_task(sample).score(prediction, inner_sample(sample), output)


def category(subset: str) -> tuple[str, ...]:
    return (subset.split("/", 1)[0],)


def on_report(report: Any, run_dir: str | Path, model_id: str, print_tables: bool = False) -> Path | None:
    """Write (and print) the multi-level collection report from the run's review files."""
    entries = entries_from_run(run_dir, model_id, NAME)
    if not entries:
        return None
    collection = build_collection_report(entries, model_name=model_id)
    path = write_collection_report(collection, run_dir, model_id)
    if print_tables:
        print(format_collection_tables(collection), flush=True)
    return path


#: per-row hooks, set where this core's BenchmarkSpec offers them
_HOOKS: dict[str, Any] = {"build_request": build_request, "predict": predict, "on_report": on_report}

SPEC = BenchmarkSpec(
    name=NAME,
    pretty_name="Data Collection",
    description="A mixed dataset sampled from several benchmarks by `evalscope collection create`; "
    "each row is asked and scored as its own benchmark would.",
    tags=("custom", "mixture"),
    data=DataSpec(
        subsets=("default",), eval_split="test", local_patterns=("", "{split}.jsonl"), record_to_sample=record_to_sample
    ),
    prompt=PromptSpec(generation_config=GenerationConfig()),
    scoring=ScoringSpec(metrics=(ACCURACY,), extract=extract, score=score, blocking_score=True),
    output_types=("generation",),
    category=category,
    **{k: v for k, v in _HOOKS.items() if k in attrs.fields_dict(BenchmarkSpec)},
)
