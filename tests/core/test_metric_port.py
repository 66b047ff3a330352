"""Metrics come from the registry: metric_list is checked against it, chooses among a benchmark's
metrics, and can add any metric that scores a sample by itself (plug-ins included)."""

from __future__ import annotations

from pathlib import Path

import pytest

from evalscope.config import ConfigError
from evalscope.core.metrics import Metric
from evalscope.core.registry import metrics
from evalscope.run import run_task

QA_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "gen" / "general_qa"


def _run(tmp_path, dataset_dir, name, metric_list, **extra):
    args = {"metric_list": metric_list, **extra}
    return run_task(
        {"model": "mock", "eval_type": "mock", "model_args": {"reply": "The answer is 42."}, "datasets": [name],
         "dataset_args": {name: args}, "limit": 3, "dataset_dir": str(dataset_dir), "work_dir": str(tmp_path),
         "no_timestamp": True},
        print_table=False,
    )[name]


def test_unknown_metric_is_an_error_with_a_suggestion(tmp_path, dataset_dir):
    with pytest.raises(ConfigError, match=r"unknown metric 'bleu4'.*Did you mean: bleu-4"):
        _run(tmp_path, dataset_dir, "gsm8k", ["bleu4"])


def test_metric_that_cannot_score_alone_is_refused(tmp_path, dataset_dir):
    with pytest.raises(ConfigError, match="'Pass@1' cannot score a sample by itself"):
        _run(tmp_path, dataset_dir, "gsm8k", ["Pass@1"])


def test_metric_list_chooses_and_adds(tmp_path, dataset_dir):
    report = _run(tmp_path, dataset_dir, "general_qa", ["rouge-l-f", "exact_match"], local_path=str(QA_DIR))
    assert [m.name for m in report.metrics] == ["rouge-l-f", "exact_match"]
    assert all(m.num > 0 for m in report.metrics)


def test_plugin_metric_with_its_own_aggregation_and_direction(tmp_path, dataset_dir):
    def length(prediction, reference):
        return float(len(str(prediction or "")))

    metrics.register("answer_length", Metric("answer_length", "characters in the answer", higher_is_better=False,
                                             aggregate=max, score=length))
    try:
        report = _run(tmp_path, dataset_dir, "gsm8k", ["AverageAccuracy", "answer_length"])
    finally:
        metrics._items.pop("answer_length", None)
    by_name = {m.name: m for m in report.metrics}
    assert by_name["answer_length"].score == 2.0  # "42", aggregated with max
    assert by_name["answer_length"].higher_is_better is False
    assert by_name["AverageAccuracy"].higher_is_better is True
