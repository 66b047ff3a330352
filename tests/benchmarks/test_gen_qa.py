"""trivia_qa (alias containment, 5-shot) and general_qa (user files, BLEU/ROUGE)."""

from __future__ import annotations

import json

import pytest

from evalscope.benchmarks import get_benchmark
from evalscope.core.metrics import ACCURACY
from evalscope.core.types import ChatMessage
from tests.fixtures.gen.runner import (
    DATASET_DIR,
    HERE,
    metric,
    mock_run,
    real_outputs,
    review,
    task_and_samples,
)

ROWS = [json.loads(line) for line in open(f"{DATASET_DIR}/triviaqa/triviaqa_sm_sub.jsonl", encoding="utf-8")][:8]
QA_DIR = str(HERE / "general_qa")


def test_trivia_record_from_llm_foundry_row() -> None:
    _, samples = task_and_samples("trivia_qa", limit=1)
    (sample,) = samples
    row = ROWS[0]
    assert sample.input == "Brunswick, Lancastrian and Pearl Pickler are types of which vegetable?"
    assert sample.target[0] == row["answer"] and set(sample.target) == {row["answer"], *row["aliases"]}


def test_trivia_record_from_hub_row() -> None:
    spec = get_benchmark("trivia_qa")
    row = {"input": [{"role": "system", "content": "Follow the given examples and answer the question."},
                     {"role": "user", "content": "Which planet is known as the Red Planet?"}],
           "ideal": ["Mars", "mars", "The Red Planet"]}
    sample = spec.data.record_to_sample(row, 3, "default")
    assert (sample.id, sample.input, sample.target[0]) == ("3", "Which planet is known as the Red Planet?", "Mars")


def test_trivia_five_shot_prompt() -> None:
    task, samples = task_and_samples("trivia_qa", limit=7)
    target = samples[6]
    messages = task.build_request(target).messages
    assert [m.role for m in messages] == ["system", "user"]
    assert messages[0].content == "Follow the given examples and answer the question."
    shots = "\n\n".join(
        f"Question: {r['context'].removeprefix('Question: ').removesuffix(chr(10) + 'Answer:')}\nAnswer: {r['answer']}"
        for r in ROWS[:5]
    )
    assert messages[1].content == f"{shots}\n\nQuestion: {target.input}\nAnswer:"
    # the local file is both dev and test: a question is never its own example
    own = task.build_request(samples[0]).messages[1].content
    assert own.count(samples[0].input) == 1 and own.count("Question:") == 5


@pytest.mark.parametrize(
    ("text", "ok"),
    [(" Onion", 1.0), ("I think it is the bulb ONION.", 1.0), ("Potato\nQuestion: x\nAnswer: Onion", 0.0), ("", 0.0)],
)
def test_trivia_alias_match(text: str, ok: float) -> None:
    task, (sample,) = task_and_samples("trivia_qa", limit=1)
    assert review(task, sample, text).scores == {ACCURACY: ok}


def test_trivia_real_smollm2_outputs() -> None:
    rows = real_outputs("trivia_qa")
    assert rows
    task, samples = task_and_samples("trivia_qa", limit=5)
    by_id = {s.id: s for s in samples}
    for row in rows:
        result = review(task, by_id[row["sample_id"]], row["output"])
        assert (result.prediction, result.scores) == (row["expected_prediction"], row["expected_scores"])


def test_trivia_mock_run(tmp_path) -> None:
    report, records = mock_run(tmp_path, "trivia_qa", "Onion", limit=2)
    assert [r["scores"][ACCURACY] for r in records] == [1.0, 0.0]
    assert report.score == 0.5


def test_general_qa_records() -> None:
    task, samples = task_and_samples("general_qa", limit=None, local_path=QA_DIR, subset_list=["default", "chat"])
    by = {(s.subset, s.id): s for s in samples}
    assert by[("default", "0")].input == "What is the capital of France?"
    assert by[("default", "1")].target == "中国的首都是北京。"
    assert task.build_request(by[("default", "0")]).messages == [ChatMessage("user", "请回答问题\nWhat is the capital of France?")]
    assert task.build_request(by[("default", "2")]).messages == [
        ChatMessage("system", "Answer in one sentence."), ChatMessage("user", "Name a primary colour.")]
    chat = by[("chat", "0")]
    assert chat.target == "2 + 2 is 4." and task.build_request(chat).messages == [
        ChatMessage("system", "You are concise."), ChatMessage("user", "What is 2 + 2?")]


def test_general_qa_needs_local_path() -> None:
    from evalscope.core.datasets import DatasetUnavailableError

    with pytest.raises(DatasetUnavailableError, match="local_path"):
        task_and_samples("general_qa", limit=1)


def test_general_qa_scores() -> None:
    task, (sample, *_) = task_and_samples("general_qa", limit=1, local_path=QA_DIR)
    exact = review(task, sample, "The capital of France is Paris.").scores
    assert exact["bleu-1"] == pytest.approx(1.0) and exact["rouge-l-f"] == pytest.approx(1.0)
    partial = review(task, sample, "The capital is Paris.").scores
    assert 0 < partial["rouge-1-f"] < 1 and partial["rouge-1-p"] == pytest.approx(1.0)  # every word is in the reference
    assert list(exact) == list(get_benchmark("general_qa").scoring.metrics)


def test_general_qa_real_smollm2_outputs() -> None:
    rows = real_outputs("general_qa")
    assert rows
    task, samples = task_and_samples("general_qa", limit=None, local_path=QA_DIR)
    by_id = {s.id: s for s in samples}
    for row in rows:
        result = review(task, by_id[row["sample_id"]], row["output"])
        assert result.prediction == row["expected_prediction"]
        assert result.scores == pytest.approx(row["expected_scores"])


def test_general_qa_mock_run(tmp_path) -> None:
    report, records = mock_run(tmp_path, "general_qa", "The capital of France is Paris.", limit=2, local_path=QA_DIR)
    assert len(records) == 2 and records[0]["scores"]["bleu-4"] == pytest.approx(1.0)
    assert {m.name for m in report.metrics} >= {"bleu-1", "bleu-4", "rouge-1-f", "rouge-2-f", "rouge-l-f", "rouge-l-r"}
    assert metric(report, "rouge-l-f") == pytest.approx(round(sum(r["scores"]["rouge-l-f"] for r in records) / 2, 4))
