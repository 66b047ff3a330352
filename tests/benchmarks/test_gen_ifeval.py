"""IFEval: raw prompts, checker verdicts stored per sample, instruction-level micro average."""

from __future__ import annotations

import json

import pytest

from evalscope.benchmarks.ifeval import aggregate
from evalscope.core.types import ModelOutput, SampleResult
from tests.fixtures.gen.runner import DATASET_DIR, metric, mock_run, real_outputs, review, task_and_samples

FIRST = json.loads(open(f"{DATASET_DIR}/ifeval/input_data.jsonl").readline())


def test_record_and_raw_prompt() -> None:
    task, (sample, *_) = task_and_samples("ifeval", limit=1)
    assert sample.id == "1000"
    assert sample.target == {"instruction_id_list": FIRST["instruction_id_list"], "kwargs": FIRST["kwargs"]}
    (message,) = task.build_request(sample).messages
    assert message.role == "user" and message.content == FIRST["prompt"]


def test_hub_style_none_kwargs_are_dropped() -> None:
    from evalscope.benchmarks.ifeval import record_to_sample

    row = {"key": 1, "prompt": "p", "instruction_id_list": ["punctuation:no_comma"], "kwargs": [{"num_words": None}]}
    assert record_to_sample(row, 0, "default").target["kwargs"] == [{}]


def test_scores_of_one_response() -> None:
    task, (sample, *_) = task_and_samples("ifeval", limit=1)
    # no commas, 3 highlighted sections, but far fewer than 300 words: 2 of 3 instructions followed
    text = "*Section one* text\n*Section two* text\n*Section three* text"
    result = review(task, sample, text)
    assert result.prediction["inst_level_strict"] == [True, True, False]
    assert result.scores == pytest.approx({
        "prompt_level_strict_acc": 0.0, "inst_level_strict_acc": 2 / 3,
        "prompt_level_loose_acc": 0.0, "inst_level_loose_acc": 2 / 3,
    })


def _result(strict: list[bool]) -> SampleResult:
    pred = {"prompt_level_strict_acc": float(all(strict)), "prompt_level_loose_acc": float(all(strict)),
            "inst_level_strict": strict, "inst_level_loose": strict}
    return SampleResult("i", "default", "k", ModelOutput(), prediction=pred)


def test_aggregate_is_micro_over_instructions() -> None:
    got = aggregate([_result([True]), _result([False, False, False])])
    assert got["inst_level_strict_acc"] == pytest.approx(1 / 4)  # per-prompt mean would say 0.5
    assert got["prompt_level_strict_acc"] == pytest.approx(0.5)
    assert aggregate([]) == {}
    failed = SampleResult("f", "default", "k", ModelOutput(), gold={"instruction_id_list": ["a", "b"], "kwargs": [{}, {}]})
    assert aggregate([_result([True]), failed])["inst_level_loose_acc"] == pytest.approx(1 / 3)


def test_real_smollm2_outputs() -> None:
    rows = real_outputs("ifeval")
    assert rows
    task, samples = task_and_samples("ifeval", limit=5)
    by_id = {s.id: s for s in samples}
    for row in rows:
        result = review(task, by_id[row["sample_id"]], row["output"])
        assert result.prediction == row["expected_prediction"]
        assert result.scores == pytest.approx(row["expected_scores"])


def test_mock_run(tmp_path) -> None:
    report, records = mock_run(tmp_path, "ifeval", "hello world", limit=2)
    assert len(records) == 2
    assert {m.name for m in report.metrics} == {
        "prompt_level_strict_acc", "inst_level_strict_acc", "prompt_level_loose_acc", "inst_level_loose_acc"}
    followed = sum(sum(r["prediction"]["inst_level_strict"]) for r in records)
    total = sum(len(r["prediction"]["inst_level_strict"]) for r in records)
    assert metric(report, "prompt_level_strict_acc") == pytest.approx(
        sum(r["scores"]["prompt_level_strict_acc"] for r in records) / 2)
    assert metric(report, "inst_level_strict_acc") == pytest.approx(round(followed / total, 4))


def test_report_uses_micro_average(tmp_path) -> None:
    # prompts 1000 (3 instructions) and 1001 (1 instruction): a reply without commas follows
    # at most the no-comma checks, so the two averages differ
    report, records = mock_run(tmp_path, "ifeval", "hello world", limit=2)
    followed = sum(sum(r["prediction"]["inst_level_strict"]) for r in records)
    total = sum(len(r["prediction"]["inst_level_strict"]) for r in records)
    per_prompt = sum(r["scores"]["inst_level_strict_acc"] for r in records) / 2
    assert round(followed / total, 4) != round(per_prompt, 4)
    assert metric(report, "inst_level_strict_acc") == pytest.approx(round(followed / total, 4))
