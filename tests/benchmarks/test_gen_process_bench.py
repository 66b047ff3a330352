"""ProcessBench: critique prompt over tagged steps, boxed index, error/correct accuracy and their F1."""

from __future__ import annotations

import pytest

from evalscope.benchmarks.process_bench import aggregate, simple_f1
from evalscope.core.types import ModelOutput, SampleResult
from tests.fixtures.gen.runner import HERE, metric, mock_run, real_outputs, review, task_and_samples

FIXTURE = str(HERE / "process_bench")  # rows in the hub schema of Qwen/ProcessBench


def _load(limit: int | None = None, **args):
    return task_and_samples("process_bench", limit=limit, local_path=FIXTURE, subset_list=["gsm8k", "math"], **args)


def test_records_from_hub_schema() -> None:
    _, samples = _load()
    assert [(s.subset, s.id, s.target) for s in samples] == [
        ("gsm8k", "gsm8k-0", -1), ("gsm8k", "gsm8k-1", 1), ("gsm8k", "gsm8k-2", 0),
        ("math", "math-0", -1), ("math", "math-1", 1),
    ]


def test_exact_prompt() -> None:
    task, samples = _load(limit=1)
    (message,) = task.build_request(samples[0]).messages
    assert message.content == (
        "The following is a math problem and a solution (split into paragraphs, enclosed with tags and indexed from 0):\n\n"
        "[Math Problem]\n\nTom has 3 boxes with 4 apples each. He eats 2 apples. How many apples are left?\n\n"
        "[Solution]\n\n"
        "<paragraph_0>\nEach box has 4 apples and there are 3 boxes, so Tom has 3 * 4 = 12 apples.\n</paragraph_0>\n\n"
        "<paragraph_1>\nHe eats 2 apples, so 12 - 2 = 10 apples are left.\n</paragraph_1>\n\n"
        "<paragraph_2>\nThe answer is 10.\n</paragraph_2>\n\n"
        "Your task is to review and critique the solution paragraph by paragraph. Once you identify an error in a "
        "paragraph, return the index of the paragraph where the earliest error occurs. Otherwise, return the index "
        'of -1 (which typically denotes "not found").\n\n'
        "Please put your final answer (i.e., the index) in \\boxed{}."
    )


@pytest.mark.parametrize(
    ("index", "text", "pred", "scores"),
    [
        (0, "All steps are right, so \\boxed{-1}.", -1, {"correct_acc": 1.0}),
        (0, "Paragraph 1 is wrong: \\boxed{1}", 1, {"correct_acc": 0.0}),
        (1, "3 * 5 = 15, not 16. The earliest error is in \\boxed{1}.", 1, {"error_acc": 1.0}),
        (1, "<think>maybe \\boxed{0}</think>\\boxed{ 1 }", 1, {"error_acc": 1.0}),
        (2, "I cannot tell.", None, {"error_acc": 0.0}),
        (2, "\\boxed{paragraph 0}", None, {"error_acc": 0.0}),
    ],
)
def test_extract_and_score(index: int, text: str, pred: int | None, scores: dict) -> None:
    task, samples = _load()
    result = review(task, samples[index], text)
    assert result.prediction == pred and result.scores == scores


def test_real_smollm2_outputs() -> None:
    rows = real_outputs("process_bench")
    assert rows
    task, samples = _load()
    by_key = {(s.subset, s.id): s for s in samples}
    for row in rows:
        result = review(task, by_key[(row["subset"], row["sample_id"])], row["output"])
        assert (result.prediction, result.scores) == (row["expected_prediction"], row["expected_scores"])


def _r(name: str, value: float) -> SampleResult:
    return SampleResult("x", "s", "k", ModelOutput(), scores={name: value})


def test_f1_aggregate() -> None:
    assert simple_f1(0.5, 1.0) == pytest.approx(2 / 3)
    results = [_r("error_acc", 1.0), _r("error_acc", 0.0), _r("correct_acc", 1.0)]
    assert aggregate(results) == {"simple_f1_score": pytest.approx(2 / 3)}
    assert aggregate(results[:2]) == {}  # F1 needs both kinds of solution


def test_mock_run(tmp_path) -> None:
    # the mock always says -1: right on correct solutions, wrong on every erroneous one
    report, records = mock_run(tmp_path, "process_bench", "Looks fine: \\boxed{-1}", limit=3,
                               local_path=FIXTURE, subset_list=["gsm8k", "math"])
    assert len(records) == 5
    assert metric(report, "correct_acc") == 1.0 and metric(report, "error_acc") == 0.0
    assert metric(report, "simple_f1_score") == 0.0
    report2, _ = mock_run(tmp_path / "b", "process_bench", "\\boxed{1}", limit=3, local_path=FIXTURE,
                          subset_list=["gsm8k", "math"])
    # erroneous solutions (labels 1, 0, 1): 2 of 3 found; correct ones: 0 of 2
    assert metric(report2, "error_acc") == pytest.approx(round(2 / 3, 4))
    assert metric(report2, "correct_acc") == 0.0


def test_f1_in_report_is_harmonic_mean() -> None:
    """The spec's aggregate through core's report: F1 per subset and overall from the group's accuracies."""
    from evalscope.core.report import build_report

    results = [
        SampleResult("a", "gsm8k", "k", ModelOutput(), scores={"correct_acc": 1.0}),
        SampleResult("b", "gsm8k", "k", ModelOutput(), scores={"error_acc": 1.0}),
        SampleResult("c", "gsm8k", "k", ModelOutput(), scores={"error_acc": 0.0}),
        SampleResult("d", "math", "k", ModelOutput(), scores={"correct_acc": 0.0}),
        SampleResult("e", "math", "k", ModelOutput(), scores={"error_acc": 1.0}),
    ]
    report = build_report(dataset="process_bench", model="m", results=results,
                          metric_names=("error_acc", "correct_acc", "simple_f1_score"), aggregate=aggregate)
    assert metric(report, "error_acc") == pytest.approx(round(2 / 3, 4))
    assert metric(report, "correct_acc") == 0.5
    assert metric(report, "simple_f1_score") == pytest.approx(round(simple_f1(2 / 3, 0.5), 4))
    subsets = {s.name: s.score for s in next(m for m in report.metrics if m.name == "simple_f1_score").categories[0].subsets}
    assert subsets == {"gsm8k": pytest.approx(round(simple_f1(0.5, 1.0), 4)), "math": 0.0}
