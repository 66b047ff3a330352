"""Reports: metric -> category -> subset, with micro and macro averages and standard errors.

Subset score = mean of its samples. A category's `score` is the micro average (weighted by sample
count) and `macro_score` the plain mean of its subsets. A metric's `score` is the micro average over
every sample and `macro_score` the mean of its categories' macro scores, as EvalScope reports them.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence

import attrs

from evalscope.core.types import SampleResult


def mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def standard_error(values: Sequence[float]) -> float:
    """Standard error of the mean (sample std / sqrt(n)); 0 for fewer than two values."""
    n = len(values)
    if n < 2:
        return 0.0
    mu = mean(values)
    var = sum((v - mu) ** 2 for v in values) / (n - 1)
    return math.sqrt(var / n)


@attrs.define
class SubsetReport:
    name: str
    score: float
    num: int
    stderr: float = 0.0


@attrs.define
class CategoryReport:
    name: tuple[str, ...]
    score: float
    macro_score: float
    num: int
    subsets: list[SubsetReport] = attrs.field(factory=list)


@attrs.define
class MetricReport:
    name: str
    score: float
    macro_score: float
    num: int
    stderr: float = 0.0
    categories: list[CategoryReport] = attrs.field(factory=list)
    #: bootstrap 95% interval, when asked for (evalscope.core.stats.add_bootstrap_ci)
    ci_low: float | None = None
    ci_high: float | None = None


@attrs.define
class Report:
    name: str
    dataset_name: str
    model_name: str
    score: float
    metrics: list[MetricReport] = attrs.field(factory=list)
    dataset_pretty_name: str = ""


#: a benchmark's own aggregation: results -> {metric: value} for metrics that are not plain means
Aggregator = Callable[[Sequence[SampleResult]], dict[str, float]]


def build_report(
    *,
    dataset: str,
    model: str,
    results: Iterable[SampleResult],
    metric_names: Sequence[str] | None = None,
    pretty_name: str = "",
    subset_order: Sequence[str] = (),
    aggregate: Aggregator | None = None,
) -> Report:
    """Aggregate per-sample scores into a Report. Samples missing a metric are left out of it.

    Scores are means of the per-sample values, except the metrics `aggregate` returns: those are
    computed by it over each group of results (subset, category, whole), e.g. IFEval's
    instruction-level accuracy (followed / total instructions) or an F1 over samples.
    """
    results = list(results)
    by_metric: dict[str, dict[tuple[str, ...], dict[str, list[float]]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(list))
    )
    groups: dict[tuple[tuple[str, ...], str], list[SampleResult]] = defaultdict(list)
    seen_metrics: list[str] = []
    for r in results:
        groups[(r.category or ("default",), r.subset)].append(r)
        for name, value in r.scores.items():
            if name.startswith("_"):  # helper values for an aggregator, not metrics
                continue
            if name not in seen_metrics:
                seen_metrics.append(name)
            by_metric[name][r.category or ("default",)][r.subset].append(float(value))
    custom: dict[object, dict[str, float]] = {}
    if aggregate is not None:
        custom["all"] = aggregate(results)
        for (cat, subset), members in groups.items():
            custom[(cat, subset)] = aggregate(members)
            custom.setdefault(cat, aggregate([r for r in results if (r.category or ("default",)) == cat]))
        for name in custom["all"]:
            if name not in seen_metrics:
                seen_metrics.append(name)
                for (cat, subset), members in groups.items():
                    by_metric[name][cat][subset] = [0.0] * len(members)

    def score(name: str, key: object, values: Sequence[float]) -> float:
        own = custom.get(key, {})
        return own[name] if name in own else mean(values)

    ordered = [m for m in (metric_names or []) if m in by_metric] + [
        m for m in seen_metrics if m not in (metric_names or [])
    ]
    order = {name: i for i, name in enumerate(subset_order)}
    metrics: list[MetricReport] = []
    for name in ordered:
        categories: list[CategoryReport] = []
        all_values: list[float] = []
        for cat, subsets in by_metric[name].items():
            subset_reports = [
                SubsetReport(name=s, score=_round(score(name, (cat, s), v)), num=len(v), stderr=_round(standard_error(v)))
                for s, v in sorted(subsets.items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0]))
            ]
            values = [x for v in subsets.values() for x in v]
            all_values.extend(values)
            categories.append(
                CategoryReport(
                    name=cat,
                    score=_round(score(name, cat, values)),
                    macro_score=_round(mean([sub.score for sub in subset_reports])),
                    num=len(values),
                    subsets=subset_reports,
                )
            )
        metrics.append(
            MetricReport(
                name=name,
                score=_round(score(name, "all", all_values)),
                macro_score=_round(mean([c.macro_score for c in categories])),
                num=len(all_values),
                stderr=_round(standard_error(all_values)),
                categories=categories,
            )
        )
    return Report(
        name=f"{model}_{dataset}",
        dataset_name=dataset,
        model_name=model,
        score=metrics[0].score if metrics else 0.0,
        metrics=metrics,
        dataset_pretty_name=pretty_name,
    )


def _round(x: float) -> float:
    return round(x, 4)


TABLE_HEADERS = ["Model Name", "Dataset Name", "Metric Name", "Category Name", "Subset Name", "Num", "Score"]


def table_rows(reports: Iterable[Report]) -> list[list[object]]:
    """One row per (metric, category, subset), plus an OVERALL row where a metric has several subsets."""
    rows: list[list[object]] = []
    for rep in reports:
        for metric in rep.metrics:
            subsets = 0
            for cat in metric.categories:
                for sub in cat.subsets:
                    subsets += 1
                    rows.append(
                        [rep.model_name, rep.dataset_name, metric.name, "/".join(cat.name), sub.name, sub.num, f"{sub.score:.4f}"]
                    )
            if subsets > 1:
                rows.append([rep.model_name, rep.dataset_name, metric.name, "-", "OVERALL", metric.num, f"{metric.score:.4f}"])
    return rows


def format_table(reports: Iterable[Report]) -> str:
    """EvalScope's score table as a grid."""
    from tabulate import tabulate

    return tabulate(table_rows(reports), headers=TABLE_HEADERS, tablefmt="grid", disable_numparse=True)
