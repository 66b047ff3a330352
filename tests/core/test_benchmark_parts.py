"""A benchmark is three small parts: `DataSpec` (where records lie, how one becomes a sample),
`PromptSpec` (how a sample is asked) and `ScoringSpec` (how a reply is scored). A plug-in written
that way runs end to end; the old flat keywords are refused; the flat names stay readable."""

from __future__ import annotations

import json

import pytest

from evalscope.benchmarks import get_benchmark
from evalscope.core.benchmark import BenchmarkSpec, DataSpec, PromptSpec, ScoringSpec
from evalscope.core.dataset_args import DatasetArgs
from evalscope.core.registry import benchmarks
from evalscope.core.tasks import build_task
from evalscope.core.types import RequestKind, Sample
from evalscope.run import run_task


def _row(record: dict, index: int, subset: str) -> Sample:
    return Sample(id=str(index), input=record["q"], target=record["a"])


def _extract(text: str, sample: Sample) -> str:
    return text.split()[-1].rstrip(".")


def test_a_plugin_benchmark_in_three_parts_runs(tmp_path):
    data_dir = tmp_path / "data" / "three_parts"
    data_dir.mkdir(parents=True)
    rows = [{"q": "6 times 7?", "a": "42"}, {"q": "40 plus 2?", "a": "42"}, {"q": "2 plus 2?", "a": "4"}]
    (data_dir / "test.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    spec = BenchmarkSpec(
        name="three_parts",
        data=DataSpec(local_dir="three_parts", local_patterns=("{split}.jsonl",), record_to_sample=_row),
        prompt=PromptSpec(prompt_template="Q: {query}", system_prompt="Answer with a number."),
        scoring=ScoringSpec(extract=_extract),
    )
    benchmarks.register("three_parts", spec)
    try:
        report = run_task(
            {
                "model": "mock",
                "eval_type": "mock",
                "model_args": {"reply": "The answer is 42."},
                "datasets": ["three_parts"],
                "dataset_dir": str(tmp_path / "data"),
                "work_dir": str(tmp_path / "out"),
                "no_timestamp": True,
            },
            print_table=False,
        )["three_parts"]
    finally:
        benchmarks._items.pop("three_parts", None)
    assert report.metrics[0].num == 3
    assert report.score == pytest.approx(2 / 3, abs=1e-4)
    task = build_task(
        spec,
        args=DatasetArgs(),
        capabilities=frozenset({RequestKind.GENERATE}),
        generation_config=None,
        seed=None,
    )
    messages = task.build_request(_row(rows[0], 0, "default")).messages or []
    assert [(m.role, m.text) for m in messages] == [
        ("system", "Answer with a number."),
        ("user", "Q: 6 times 7?"),
    ]


def test_flat_keywords_are_refused_and_flat_names_read_through():
    with pytest.raises(TypeError):
        BenchmarkSpec(name="flat", record_to_sample=_row, subsets=("a",))  # type: ignore[call-arg]
    spec = get_benchmark("gsm8k")
    assert spec.data.subsets == ("main",) and spec.prompt.few_shot_num == 4
    assert (
        spec.subsets == spec.data.subsets and spec.few_shot_num == 4 and spec.metrics == spec.scoring.metrics
    )
    with pytest.raises(AttributeError):
        spec.subsets = ("x",)
