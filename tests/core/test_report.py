"""Report aggregation: micro/macro averages, standard errors, custom aggregators, the table."""

from __future__ import annotations

import math

import pytest

from evalscope.core.report import build_report, format_table, standard_error
from evalscope.core.types import ModelOutput, SampleResult


def _r(subset: str, cat: str, value: float, **scores: float) -> SampleResult:
    return SampleResult(sample_id=f"{subset}{value}{len(scores)}{id(scores)}", subset=subset, request_key="k",
                        output=ModelOutput(), category=(cat,), scores={"acc": value, **scores})


def test_micro_and_macro_averages():
    results = [_r("a", "X", 1.0), _r("a", "X", 1.0), _r("a", "X", 0.0), _r("b", "X", 0.0), _r("c", "Y", 1.0)]
    report = build_report(dataset="d", model="m", results=results)
    metric = report.metrics[0]
    assert metric.num == 5
    assert metric.score == pytest.approx(3 / 5)  # micro: over samples
    x = next(c for c in metric.categories if c.name == ("X",))
    assert x.score == pytest.approx(2 / 4)  # micro over the category's samples
    assert x.macro_score == pytest.approx((2 / 3 + 0) / 2, abs=1e-4)  # mean of subset scores
    assert metric.macro_score == pytest.approx((x.macro_score + 1.0) / 2, abs=1e-4)
    assert metric.stderr == pytest.approx(round(standard_error([1, 1, 0, 0, 1]), 4))


def test_standard_error():
    assert standard_error([1.0]) == 0.0
    assert standard_error([0, 1, 0, 1]) == pytest.approx(math.sqrt((1 / 3) / 4))


def test_custom_aggregate_overrides_mean_per_group():
    # e.g. instruction-level accuracy: followed / total instructions, not a mean of fractions
    results = [_r("s", "X", 1.0, _followed=1, _total=1), _r("s", "X", 0.0, _followed=1, _total=3)]

    def aggregate(rs):  # noqa: ANN001
        return {"inst": sum(r.scores["_followed"] for r in rs) / sum(r.scores["_total"] for r in rs)}

    report = build_report(dataset="d", model="m", results=results, aggregate=aggregate, metric_names=["acc", "inst"])
    inst = next(m for m in report.metrics if m.name == "inst")
    assert inst.score == pytest.approx(2 / 4)
    assert inst.categories[0].subsets[0].score == pytest.approx(0.5)


def test_table_has_evalscope_columns_and_overall_row():
    results = [_r("a", "X", 1.0), _r("b", "X", 0.0)]
    text = format_table([build_report(dataset="d", model="m", results=results)])
    header = text.splitlines()[1]
    for col in ("Model Name", "Dataset Name", "Metric Name", "Category Name", "Subset Name", "Num", "Score"):
        assert col in header
    assert "OVERALL" in text and "0.5000" in text


def test_timing_block_round_trips_and_older_reports_without_it_load():
    import json

    from evalscope.core.report import Report, Timing
    from evalscope.core.serialization import structure, unstructure

    report = build_report(dataset="d", model="m", results=[_r("a", "X", 1.0)])
    report.timing = Timing.of(inferred=4, wall_s=0.5, cpu_s=0.01)
    data = json.loads(json.dumps(unstructure(report), allow_nan=False))
    assert data["timing"] == {
        "inferred": 4, "wall_s": 0.5, "samples_per_s": 8.0, "client_cpu_s": 0.01, "client_cpu_ms_per_sample": 2.5,
    }  # fmt: skip
    back = structure(data, Report)
    assert back == report and back.timing == report.timing
    none = Timing.of(inferred=0, wall_s=0.2, cpu_s=0.01)  # all from the cache: no per-sample figures
    assert none.samples_per_s is None and none.client_cpu_ms_per_sample is None
    del data["timing"]  # a report written before the block existed
    assert structure(data, Report).timing is None
