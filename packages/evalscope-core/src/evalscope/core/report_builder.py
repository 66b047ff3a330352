"""The one way to assemble a Report from scores someone else computed (evaluation suites, the arena).

`build_report` in `core/report.py` aggregates per-sample results; suites (OpenCompass, VLMEvalKit,
MTEB, RAGAS, CLIP) and the arena get finished scores per subset and only need the
metric -> category -> subset tree. Scores are rounded to 4 places; a subset's counts default to
all of its samples scored; a category's score defaults to the micro average of its subsets (the
plain mean when none has samples) and its macro score to their mean.
"""

from __future__ import annotations

from collections.abc import Sequence

from evalscope.core.report import CategoryReport, MetricReport, Report, SampleCounts, SubsetReport


def _round(x: float) -> float:
    return round(float(x), 4)


def _micro(rows: Sequence[SubsetReport | CategoryReport]) -> float:
    total = sum(r.num for r in rows)
    if total:
        return sum(r.score * r.num for r in rows) / total
    return sum(r.score for r in rows) / len(rows) if rows else 0.0


def subset_row(
    name: str, score: float, num: int, *, stderr: float = 0.0, counts: SampleCounts | None = None
) -> SubsetReport:
    """One subset's finished score over `num` samples (counts: all scored unless given)."""
    return SubsetReport(
        name=name, score=_round(score), num=num, stderr=_round(stderr),
        counts=SampleCounts(scored=num) if counts is None else counts,
    )  # fmt: skip


def category_row(
    name: tuple[str, ...],
    subsets: list[SubsetReport],
    *,
    score: float | None = None,
    macro_score: float | None = None,
    num: int | None = None,
) -> CategoryReport:
    """A category over its subsets: micro score, macro score (mean) and samples unless given."""
    macro = sum(s.score for s in subsets) / len(subsets) if subsets else 0.0
    return CategoryReport(
        name=name,
        score=_round(_micro(subsets) if score is None else score),
        macro_score=_round(macro if macro_score is None else macro_score),
        num=sum(s.num for s in subsets) if num is None else num,
        subsets=subsets,
    )


def metric_row(
    name: str,
    categories: list[CategoryReport],
    *,
    score: float | None = None,
    macro_score: float | None = None,
    num: int | None = None,
    stderr: float = 0.0,
) -> MetricReport:
    """A metric over its categories: micro score, the mean of their macro scores and samples unless given."""
    macro = sum(c.macro_score for c in categories) / len(categories) if categories else 0.0
    return MetricReport(
        name=name,
        score=_round(_micro(categories) if score is None else score),
        macro_score=_round(macro if macro_score is None else macro_score),
        num=sum(c.num for c in categories) if num is None else num,
        stderr=stderr,
        categories=categories,
    )


def single_metric(
    name: str,
    subset: SubsetReport,
    *,
    category: tuple[str, ...] = ("default",),
) -> MetricReport:
    """A metric with one category holding one subset: every level shows the subset's score."""
    row = category_row(category, [subset], score=subset.score, macro_score=subset.score)
    return metric_row(name, [row], score=subset.score, macro_score=subset.score, stderr=subset.stderr)


def suite_report(
    dataset: str,
    model: str,
    metrics: list[MetricReport],
    *,
    pretty_name: str,
    counts: SampleCounts,
    output_type: str = "",
) -> Report:
    """The Report of one dataset: its score is the first metric's (0 without metrics)."""
    return Report(
        name=f"{model}_{dataset}", dataset_name=dataset, model_name=model,
        score=metrics[0].score if metrics else 0.0, metrics=metrics,
        dataset_pretty_name=pretty_name, output_type=output_type, counts=counts,
    )  # fmt: skip
