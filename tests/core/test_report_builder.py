"""The one report builder that suites and the arena assemble their reports with."""

from __future__ import annotations

from evalscope.core.report import SampleCounts
from evalscope.core.report_builder import category_row, metric_row, single_metric, subset_row, suite_report


def test_micro_macro_rounding_and_counts_of_a_suite_report():
    subsets = [subset_row("a", 0.333333, 3, stderr=0.123456), subset_row("b", 0.714286, 7)]
    metric = metric_row("accuracy", [category_row(("default",), subsets)])
    report = suite_report("gsm8k", "m", [metric], pretty_name="GSM8K", counts=SampleCounts(scored=10))
    assert (subsets[0].score, subsets[0].stderr, subsets[0].counts.scored) == (0.3333, 0.1235, 3)
    # micro: (0.3333 * 3 + 0.7143 * 7) / 10; macro: the plain mean of the two subsets
    assert (metric.score, metric.macro_score, metric.num) == (0.6, 0.5238, 10)
    assert (report.name, report.score, report.dataset_pretty_name) == ("m_gsm8k", 0.6, "GSM8K")


def test_single_metric_and_empty_report():
    metric = single_metric("acc1", subset_row("zeroshot", 0.87654, 5, stderr=0.01))
    assert [metric.score, metric.macro_score, metric.categories[0].score, metric.stderr] == [
        0.8765,
        0.8765,
        0.8765,
        0.01,
    ]
    assert suite_report("d", "m", [], pretty_name="", counts=SampleCounts()).score == 0.0
    # no samples anywhere: the category shows the plain mean, never a division by zero
    assert category_row(("x",), [subset_row("a", 0.2, 0), subset_row("b", 0.4, 0)]).score == 0.3
