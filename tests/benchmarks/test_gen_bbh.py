"""BIG-Bench Hard: 27 task subsets, CoT prompt files as the few-shot split, MC vs free-form extraction."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evalscope.benchmarks import get_benchmark
from evalscope.benchmarks._bbh_tasks import FREE_FORM_TASKS, MULTIPLE_CHOICE_TASKS
from evalscope.benchmarks.bbh import cot_prompt
from evalscope.core.benchmark import PromptContext
from evalscope.core.metrics import ACCURACY
from tests.fixtures.gen.runner import DATASET_DIR, metric, mock_run, real_outputs, review, task_and_samples

BBH = Path(DATASET_DIR) / "bbh"


def test_27_tasks() -> None:
    spec = get_benchmark("bbh")
    assert len(MULTIPLE_CHOICE_TASKS) == 17 and len(FREE_FORM_TASKS) == 10
    assert sorted(spec.data.subsets) == sorted(p.stem for p in (BBH / "bbh").glob("*.json"))
    assert spec.prompt.few_shot_num == 3 and spec.data.fewshot_split == "cot-prompts"


def test_records_and_zero_shot_prompt() -> None:
    task, samples = task_and_samples("bbh", limit=1, few_shot_num=0, subset_list=["date_understanding", "navigate"])
    rows = {t: json.loads((BBH / "bbh" / f"{t}.json").read_text())["examples"][0] for t in ("date_understanding", "navigate")}
    date, nav = samples
    assert date.target == rows["date_understanding"]["target"].strip("()") and len(date.target) == 1
    assert nav.target == rows["navigate"]["target"]
    assert task.build_request(nav).messages[0].content == f"Q: {rows['navigate']['input']}\nA: Let's think step by step."


def test_three_shot_prompt_from_cot_file() -> None:
    spec = get_benchmark("bbh")
    raw = (BBH / "cot-prompts" / "date_understanding.txt").read_text()
    shot = spec.data.record_to_sample({"text": raw}, 0, "date_understanding")
    assert "canary" not in shot.input and shot.input.startswith("Infer the date from context.\n\nQ: Today is Christmas Eve")
    assert shot.input.count("A: Let's think step by step.") == 3
    _, (sample,) = task_and_samples("bbh", limit=1, few_shot_num=0, subset_list=["date_understanding"])
    text = spec.prompt.format_query(sample, PromptContext("date_understanding", [shot], "generation"))
    assert text == (
        "Follow the given examples and answer the question.\n" + cot_prompt(raw)
        + f"\n\nQ: {sample.input}\nA: Let's think step by step."
    )


def test_three_shot_run_reads_cot_files(tmp_path) -> None:
    report, records = mock_run(tmp_path, "bbh", "So the answer is (A).", limit=1, subset_list=["date_understanding"])
    (rec,) = records
    prompt = rec["sample"]["input"]
    assert isinstance(prompt, str)
    task, (sample,) = task_and_samples("bbh", limit=1, subset_list=["date_understanding"])
    content = task.build_request(sample).messages[0].content
    assert content.startswith("Follow the given examples") and content.count("Let's think step by step.") == 4


@pytest.mark.parametrize(
    ("task_name", "gold", "text", "pred"),
    [
        ("date_understanding", "D", "Today is 12/24/1937, so 10 days ago is 12/14/1937. So the answer is (D).", "D"),
        ("date_understanding", "D", "So the answer is (B). Wait, no: the answer is (D).", "D"),
        ("hyperbaton", "A", "The correct order is opinion first. So the answer is A.", "A"),
        ("date_understanding", "D", "So the answer is (D).\n\nQ: another question\nA: So the answer is (A).", "D"),
        ("navigate", "No", "We end up away from the start. So the answer is No.", "No"),
        ("object_counting", "6", "That makes 6 items in total. So the answer is 6.", "6"),
        ("dyck_languages", ") ]", "So the answer is ) ].", ") ]"),
        ("boolean_expressions", "True", "not ( False ) is True", "not ( False ) is True"),
    ],
)
def test_extraction(task_name: str, gold: str, text: str, pred: str) -> None:
    task, (sample,) = task_and_samples("bbh", limit=1, few_shot_num=0, subset_list=[task_name])
    sample.target = gold
    result = review(task, sample, text)
    assert result.prediction == pred
    assert result.scores == {ACCURACY: float(pred == gold)}


def test_real_smollm2_outputs() -> None:
    rows = real_outputs("bbh")
    assert rows
    tasks = sorted({r["subset"] for r in rows})
    task, samples = task_and_samples("bbh", limit=5, few_shot_num=0, subset_list=tasks)
    by_key = {(s.subset, s.id): s for s in samples}
    for row in rows:
        result = review(task, by_key[(row["subset"], row["sample_id"])], row["output"])
        assert (result.prediction, result.scores) == (row["expected_prediction"], row["expected_scores"])


def test_mock_run_zero_shot(tmp_path) -> None:
    report, records = mock_run(tmp_path, "bbh", "So the answer is (A).", limit=2, few_shot_num=0,
                               subset_list=["date_understanding", "sports_understanding"])
    assert len(records) == 4
    assert {r["prediction"] for r in records if r["subset"] == "date_understanding"} == {"A"}
    assert {r["prediction"] for r in records if r["subset"] == "sports_understanding"} == {"(A)"}
    golds = [r["gold"] for r in records if r["subset"] == "date_understanding"]
    assert metric(report, ACCURACY) == pytest.approx(round(golds.count("A") / 4, 4))
