"""Boxed-answer math benchmarks: competition_math, math_500, aime24, aime25, amc23."""

from __future__ import annotations

import json

import pytest

from evalscope.benchmarks import get_benchmark
from evalscope.benchmarks._math_common import BOXED_TEMPLATE
from evalscope.core.metrics import PASS_AT_1
from tests.fixtures.gen.runner import DATASET_DIR, metric, mock_run, real_outputs, review, task_and_samples

MATH = ["competition_math", "math_500", "aime24", "aime25", "amc23"]
BOXED = "\nPlease reason step by step, and put your final answer within \\boxed{}."


def test_specs_share_one_prompt_extract_and_score() -> None:
    specs = [get_benchmark(n) for n in MATH]
    assert {s.prompt_template for s in specs} == {BOXED_TEMPLATE}
    assert len({s.extract for s in specs}) == 1 and len({s.score for s in specs}) == 1
    assert all(s.metrics == (PASS_AT_1,) and s.filters == ("strip_think",) for s in specs)


def test_competition_math_levels_from_real_rows() -> None:
    task, samples = task_and_samples("competition_math", limit=None)
    counts = {lvl: sum(s.subset == lvl for s in samples) for lvl in get_benchmark("competition_math").data.subsets}
    assert counts == {"Level 1": 437, "Level 2": 894, "Level 3": 1131, "Level 4": 1214, "Level 5": 1324}
    first = next(s for s in samples if s.subset == "Level 3")
    assert first.input.startswith("How many vertical asymptotes does the graph of $y=\\frac{2}{x^2+x-6}$ have?")
    assert first.target == "2"  # last \boxed{} of the reference solution


def test_math_500_record_and_exact_prompt() -> None:
    task, samples = task_and_samples("math_500", limit=1, subset_list=["Level 2"])
    (sample,) = samples
    rows = [json.loads(line) for line in open(f"{DATASET_DIR}/math500/test.jsonl")]
    lvl2 = next(r for r in rows if r["level"] == 2)
    assert (sample.id, sample.input, sample.target) == (lvl2["unique_id"], lvl2["problem"], lvl2["answer"])
    (message,) = task.build_request(sample).messages
    assert message.role == "user" and message.content == lvl2["problem"] + BOXED


@pytest.mark.parametrize(
    ("name", "target"),
    [("aime24", "204"), ("aime25", "70"), ("amc23", "27")],
)
def test_competition_records(name: str, target: str) -> None:
    task, (sample, *_) = task_and_samples(name, limit=1)
    assert sample.target == target
    assert task.build_request(sample).messages[-1].content == sample.input + BOXED


def test_competition_math_few_shot_blocks() -> None:
    from evalscope.core.benchmark import PromptContext

    spec = get_benchmark("competition_math")
    task, (a, b, *_) = task_and_samples("competition_math", limit=2, subset_list=["Level 1"])
    text = spec.prompt.format_query(b, PromptContext("Level 1", [a], "generation"))
    assert text == f"Problem:\n{a.input}\nSolution:\n{a.metadata['solution']}\n\nProblem:\n{b.input}\nSolution:\n"


@pytest.mark.parametrize(
    ("text", "gold", "pred", "ok"),
    [
        ("so the area is $\\boxed{\\frac{1}{2}}$.", "0.5", "\\frac{1}{2}", 1.0),
        ("x = 3, and then \\boxed{25}", "025", "25", 1.0),  # AIME zero-padded gold
        ("<think>\\boxed{1}</think>The answer is 27.", "27", "27", 1.0),  # reasoning stripped
        ("<think>still thinking \\boxed{27}", "27", None, 0.0),  # unclosed: fails
        ("no answer here", "5", "", 0.0),
    ],
)
def test_extract_and_score(text: str, gold: str, pred: str | None, ok: float) -> None:
    task, (sample, *_) = task_and_samples("aime24", limit=1)
    sample.target = gold
    result = review(task, sample, text)
    assert result.prediction == pred and result.scores == {PASS_AT_1: ok}


@pytest.mark.parametrize("name", MATH)
def test_real_smollm2_outputs(name: str) -> None:
    """Raw SmolLM2 outputs re-scored here give the stored prediction and score."""
    rows = real_outputs(name)
    assert rows
    task, samples = task_and_samples(name, limit=5)
    by_key = {(s.subset, s.id): s for s in samples}
    for row in rows:
        result = review(task, by_key[(row["subset"], row["sample_id"])], row["output"])
        assert (result.prediction, result.scores) == (row["expected_prediction"], row["expected_scores"])


@pytest.mark.parametrize("name", MATH)
def test_mock_run(tmp_path, name: str) -> None:
    task, samples = task_and_samples(name, limit=1)
    reply = f"Some reasoning. Final: \\boxed{{{samples[0].target}}}"
    report, records = mock_run(tmp_path, name, reply, limit=2)
    per_subset = len(get_benchmark(name).data.subsets)
    assert len(records) == 2 * per_subset
    assert all(r["output"]["text"] == reply for r in records)
    hits = sum(r["scores"][PASS_AT_1] for r in records)
    assert hits >= 1 and metric(report, PASS_AT_1) == pytest.approx(round(hits / len(records), 4))
