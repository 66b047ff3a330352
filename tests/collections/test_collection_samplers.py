"""Samplers on the real shared datasets: per-leaf counts, stratification by sample count, capping,
seeded draws without replacement, and prompts rendered exactly as each benchmark renders them."""

from __future__ import annotations

from collections import Counter

import pytest

from evalscope.benchmarks import get_benchmark
from evalscope.config import DatasetArgs
from evalscope.core.collections import (
    CollectionSchema,
    StratifiedSampler,
    UniformSampler,
    WeightedSampler,
    dump_jsonl,
    load_jsonl,
)
from evalscope.core.collections.sampler import request_from_prompt
from evalscope.core.serialization import structure
from evalscope.core.tasks import DatasetLoader, build_task, load_samples
from evalscope.core.types import RequestKind, Sample

# ARC-Easy test 2376 + ARC-Challenge test 1172; gsm8k test 1319; mmlu anatomy 135 + virology 166
SIZES = {"arc": 2376 + 1172, "gsm8k": 1319, "mmlu": 135 + 166}

SCHEMA = {
    "name": "mix",
    "datasets": [
        {"name": "reasoning", "weight": 3, "datasets": [
            {"name": "arc", "tags": ["mcq"]},
            {"name": "gsm8k", "tags": ["math"], "task_type": "math"},
        ]},
        {"name": "mmlu", "args": {"subset_list": ["anatomy", "virology"], "few_shot_num": 0}},
    ],
}


@pytest.fixture(scope="module")
def schema() -> CollectionSchema:
    return CollectionSchema.from_dict(SCHEMA)


def _per_dataset(rows):
    return Counter(r.dataset_name for r in rows)


def test_weighted_counts(schema, dataset_dir):
    sampler = WeightedSampler(schema, resolve=get_benchmark, dataset_dir=str(dataset_dir))
    # arc 3/4 * 1/2 = 0.375, gsm8k 0.375, mmlu 0.25 -> floors 37, 37 and the remainder 26
    assert sampler.allocate(100) == [37, 37, 26]
    rows = sampler.sample(100)
    assert _per_dataset(rows) == {"arc": 37, "gsm8k": 37, "mmlu": 26}
    assert sampler.notes == []


def test_uniform_counts_remainder_to_last(schema, dataset_dir):
    rows = UniformSampler(schema, resolve=get_benchmark, dataset_dir=str(dataset_dir)).sample(100)
    assert _per_dataset(rows) == {"arc": 33, "gsm8k": 33, "mmlu": 34}


def test_stratified_uses_sample_counts_not_subset_counts(schema, dataset_dir):
    sampler = StratifiedSampler(schema, resolve=get_benchmark, dataset_dir=str(dataset_dir))
    total = sum(SIZES.values())
    expected_arc = int(200 * SIZES["arc"] / total)
    expected_gsm8k = int(200 * SIZES["gsm8k"] / total)
    assert sampler.allocate(200) == [expected_arc, expected_gsm8k, 200 - expected_arc - expected_gsm8k]
    assert (expected_arc, expected_gsm8k) == (137, 51)  # subset counts (2:1:2) would give 80/40/80
    rows = sampler.sample(200)
    assert _per_dataset(rows) == {"arc": 137, "gsm8k": 51, "mmlu": 12}
    assert {r.subset_name for r in rows if r.dataset_name == "arc"} == {"ARC-Easy", "ARC-Challenge"}


def test_capped_at_dataset_size_and_said(dataset_dir):
    schema = CollectionSchema.from_dict(
        {"name": "small", "datasets": [{"name": "mmlu", "args": {"subset_list": ["anatomy"], "few_shot_num": 0}}, {"name": "gsm8k", "weight": 0.01}]}
    )
    sampler = WeightedSampler(schema, resolve=get_benchmark, dataset_dir=str(dataset_dir))
    rows = sampler.sample(300)  # mmlu asked for 297, anatomy has 135
    assert _per_dataset(rows) == {"mmlu": 135, "gsm8k": 3}
    assert any("asked for 297" in n and "only 135" in n for n in sampler.notes)
    assert len({r.sample["id"] for r in rows if r.dataset_name == "mmlu"}) == 135


def test_seeded_without_replacement(schema, dataset_dir):
    a = WeightedSampler(schema, resolve=get_benchmark, dataset_dir=str(dataset_dir), seed=7).sample(60)
    b = WeightedSampler(schema, resolve=get_benchmark, dataset_dir=str(dataset_dir), seed=7).sample(60)
    c = WeightedSampler(schema, resolve=get_benchmark, dataset_dir=str(dataset_dir), seed=8).sample(60)
    key = [(r.dataset_name, r.subset_name, r.sample["id"]) for r in a]
    assert key == [(r.dataset_name, r.subset_name, r.sample["id"]) for r in b]
    assert key != [(r.dataset_name, r.subset_name, r.sample["id"]) for r in c]
    assert len(set(key)) == len(key)
    assert [r.index for r in a] == list(range(60))


def test_rows_carry_the_benchmarks_own_request(schema, dataset_dir, tmp_path):
    rows = WeightedSampler(schema, resolve=get_benchmark, dataset_dir=str(dataset_dir)).sample(30)
    path = dump_jsonl(rows, tmp_path / "mixed.jsonl")
    loaded = load_jsonl(path)
    assert [r.to_dict() for r in loaded] == [r.to_dict() for r in rows]
    row = next(r for r in loaded if r.dataset_name == "gsm8k")
    assert row.categories == ["mix", "reasoning"] and row.tags == ["math"] and row.task_type == "math"
    assert row.weight == pytest.approx(0.375)
    # the stored request is what gsm8k's own task asks: 4-shot CoT from train, its stop sequence
    spec = get_benchmark("gsm8k")
    task = build_task(spec, args=DatasetArgs(), capabilities=frozenset(RequestKind), generation_config=None, seed=42)
    load_samples(task, DatasetLoader(str(dataset_dir), "local"), DatasetArgs(), 1)
    sample = structure(row.sample, Sample)
    expected = task.build_request(sample)
    assert request_from_prompt(row.prompt).cache_key() == expected.cache_key()
    assert row.prompt["messages"][0]["content"].count("Question:") == 5
    assert row.prompt["config"]["stop"] == ["Question:"]
    mcq = next(r for r in loaded if r.dataset_name == "arc")
    assert mcq.prompt["kind"] == "choice_probs" and mcq.prompt["choices"] == ["A", "B", "C", "D"][: len(mcq.sample["choices"])]


def test_generation_only_renders_text_requests(schema, dataset_dir):
    rows = WeightedSampler(schema, resolve=get_benchmark, dataset_dir=str(dataset_dir), capabilities={RequestKind.GENERATE}).sample(20)
    assert {r.prompt["kind"] for r in rows} == {"generate"}
    assert {r.prompt["output_type"] for r in rows} == {"generation"}


def test_unknown_benchmark_is_reported(dataset_dir):
    from evalscope.core.registry import UnknownNameError

    schema = CollectionSchema.from_dict({"name": "x", "datasets": [{"name": "gsm8kk"}]})
    with pytest.raises(UnknownNameError, match="Did you mean: gsm8k"):
        WeightedSampler(schema, resolve=get_benchmark, dataset_dir=str(dataset_dir)).sample(5)
