"""No silent wrong scores: failed, skipped and truncated samples are counted apart, never scored 0."""

from __future__ import annotations

import json
from collections.abc import Sequence

import pytest

from evalscope.core.engine import EvaluationError
from evalscope.core.models.mock import MockModelAPI
from evalscope.core.report import format_table
from evalscope.core.types import ModelOutput, ModelRequest, RequestKind
from evalscope.run import run_task


class FailingSomeAPI(MockModelAPI):
    """The mock model, except that prompts containing one of `fail_on` come back with an error
    output (as an adapter reports a per-request failure), until `healed`."""

    def __init__(self, fail_on: Sequence[str], reply: str = "The answer is A.", **options: object) -> None:
        super().__init__("mock", {"reply": reply}, **options)
        self.fail_on = list(fail_on)
        self.healed = False
        self.prompts: list[str] = []

    async def call(self, requests: Sequence[ModelRequest]) -> list[ModelOutput]:
        outputs = await super().call(requests)
        for i, request in enumerate(requests):
            text = request.messages[-1].content if request.messages else request.prompt or ""
            self.prompts.append(text)
            if not self.healed and any(marker in text for marker in self.fail_on):
                outputs[i] = ModelOutput(error="prompt too long for the context (test)")
        return outputs


def _config(tmp_path, dataset_dir, **extra):
    return {
        "model": "mock",
        "eval_type": "mock",
        "datasets": ["arc"],
        "dataset_args": {"arc": {"subset_list": ["ARC-Easy"], "output_type": "generation"}},
        "limit": 6,
        "dataset_dir": str(dataset_dir),
        "work_dir": str(tmp_path / "run"),
        "no_timestamp": True,
        **extra,
    }


def _first_questions(dataset_dir, n=2):
    path = dataset_dir / "arc" / "ARC-Easy" / "test.jsonl"
    if not path.exists():
        path = next((dataset_dir / "arc").rglob("*Easy*test*"))
    rows = [json.loads(line) for line in path.read_text().splitlines()[:n]]
    return [r["question"] if isinstance(r.get("question"), str) else r["question"]["stem"] for r in rows]


def test_error_output_is_not_scored_counted_and_retried_on_resume(tmp_path, dataset_dir):
    markers = _first_questions(dataset_dir, 2)
    api = FailingSomeAPI(markers)
    with pytest.raises(EvaluationError, match="2 sample\\(s\\) failed"):
        run_task(_config(tmp_path, dataset_dir), model=api, print_table=False)
    run_dir = tmp_path / "run"
    report = json.loads(next((run_dir / "reports").rglob("arc.json")).read_text())
    subset = report["metrics"][0]["categories"][0]["subsets"][0]
    assert subset["num"] == 4, "the two failed samples are not in the score"
    assert subset["counts"]["errored"] == 2 and subset["counts"]["scored"] == 4
    assert report["stats"]["failed"] == 2

    # --ignore-errors keeps its meaning: the run ends normally, the failures still counted
    result = run_task(_config(tmp_path, dataset_dir, use_cache=str(run_dir), ignore_errors=True), model=api, print_table=False)
    assert result["arc"].counts.errored == 2
    table = format_table(result.reports.values())
    assert "Not scored" in table and "2 errored" in table

    # resume: only the two failed samples are asked again, and now they count
    api.healed, api.prompts = True, []
    result = run_task(_config(tmp_path, dataset_dir, use_cache=str(run_dir)), model=api, print_table=False)
    assert len(api.prompts) == 2 and all(any(m in p for m in markers) for p in api.prompts)
    assert result["arc"].metrics[0].num == 6 and result["arc"].counts.errored == 0
    assert "Not scored" not in format_table(result.reports.values())


# The sandbox that cannot isolate is reached for real (namespaces denied) in tests/sandbox/test_sandbox_denied.py.


def test_weaker_sandbox_is_used_when_allowed(tmp_path, dataset_dir, monkeypatch):
    from evalscope.benchmarks._lib import code_check

    seen = []
    real = code_check.run_limited
    monkeypatch.setattr(code_check, "run_limited", lambda job: seen.append(job.require_isolation) or real(job))
    cfg = {
        "model": "mock", "eval_type": "mock", "model_args": {"reply": "    return 1\n"},
        "datasets": ["humaneval"], "limit": 1, "dataset_dir": str(dataset_dir),
        "dataset_args": {"humaneval": {"extra_params": {"require_isolation": False}}},
        "work_dir": str(tmp_path / "run"), "no_timestamp": True,
    }
    run_task(cfg, print_table=False)
    assert seen == [False]


@pytest.mark.parametrize(
    ("limit", "expected"),
    [(1.0, 1), (1, 1), (3, 3), (3.0, 3), (0.5, 11)],  # of a 22-sample subset
)
def test_limit_one_rule_int_count_float_fraction(limit, expected):
    from evalscope.config import TaskConfig
    from evalscope.core.tasks import _limit_count

    cfg = TaskConfig.from_dict({"limit": limit})
    assert _limit_count(cfg.limit, 22) == expected


def test_infer_then_review_equals_all(tmp_path, dataset_dir):
    base = {
        "model": "mock", "eval_type": "mock", "model_args": {"reply": "The answer is B."},
        "datasets": ["arc", "gsm8k"], "limit": 3, "dataset_dir": str(dataset_dir), "no_timestamp": True,
    }
    whole = run_task({**base, "work_dir": str(tmp_path / "all")}, print_table=False)
    run_task({**base, "work_dir": str(tmp_path / "split"), "stage": "infer"}, print_table=False)
    reviewed = run_task(
        {"datasets": ["arc", "gsm8k"], "limit": 3, "dataset_dir": str(dataset_dir), "eval_type": "mock",
         "stage": "review", "use_cache": str(tmp_path / "split"), "model_id": "mock"},
        print_table=False,
    )
    for name in ("arc", "gsm8k"):
        assert reviewed[name].metrics[0].num == whole[name].metrics[0].num > 0
        assert reviewed[name].score == whole[name].score


def test_review_of_samples_never_inferred_fails_them_instead_of_a_shorter_report(tmp_path, dataset_dir):
    """`--stage review` over more samples than were inferred: the missing ones are failed and counted,
    the run fails naming them; it used to end 'finished' with a report over fewer samples."""
    base = {"model": "mock", "eval_type": "mock", "datasets": ["gsm8k"], "dataset_dir": str(dataset_dir)}
    run_task({**base, "limit": 2, "work_dir": str(tmp_path), "no_timestamp": True, "stage": "infer"}, print_table=False)
    with pytest.raises(EvaluationError, match=r"2 sample\(s\) failed .*no stored prediction to review"):
        run_task({**base, "limit": 4, "stage": "review", "use_cache": str(tmp_path)}, print_table=False)
    reviewed = run_task(
        {**base, "limit": 4, "stage": "review", "use_cache": str(tmp_path), "ignore_errors": True}, print_table=False
    )
    assert reviewed["gsm8k"].metrics[0].num == 2 and reviewed["gsm8k"].stats.failed == 2


def test_table_says_how_each_benchmark_was_answered(tmp_path, dataset_dir):
    result = run_task(
        {"model": "mock", "eval_type": "mock", "datasets": ["arc", "gsm8k"], "limit": 2, "dataset_dir": str(dataset_dir),
         "work_dir": str(tmp_path), "no_timestamp": True},
        print_table=False,
    )
    table = format_table(result.reports.values())
    assert "arc: multiple_choice (next-token probability of each option letter)" in table
    assert "gsm8k: generation" in table


def test_choice_requests_with_an_error_are_failed_too(tmp_path, dataset_dir):
    """An error output of a log-probability request is a failed sample as well (not a 0)."""

    class NoScores(MockModelAPI):
        async def call(self, requests):
            return [ModelOutput(error="no logprobs") if r.kind is RequestKind.CHOICE_PROBS else ModelOutput(text="A") for r in requests]

    result = run_task(
        {"model": "mock", "eval_type": "mock", "datasets": ["arc"], "limit": 2, "dataset_dir": str(dataset_dir),
         "work_dir": str(tmp_path), "no_timestamp": True, "ignore_errors": True},
        model=NoScores("mock"), print_table=False,
    )
    assert result["arc"].counts.errored == 4 and result["arc"].counts.scored == 0
