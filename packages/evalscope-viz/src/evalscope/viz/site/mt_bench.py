"""mt_bench on the dataset page: the per-category radar (plotly Scatterpolar) of the mean rating of
turn 1, turn 2 and overall, and a table of the same with the judge's invalid judgements per category."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
from dash import html

from evalscope.core.report import Report
from evalscope.viz.site.charts import LAYOUT
from evalscope.viz.site.components import chart, fmt_score, section, table
from evalscope.viz.site.context import SiteContext

DATASET = "mt_bench"
#: metric -> trace name, in drawing order
TRACES = {"score": "overall", "turn_1": "turn 1", "turn_2": "turn 2"}


def category_scores(report: Report) -> tuple[list[str], dict[str, dict[str, float]]]:
    """(categories in report order, metric -> category -> mean rating); a category without a valid
    rating of a metric is missing from that metric (drawn as a gap, never as 0)."""
    categories: list[str] = []
    values: dict[str, dict[str, float]] = {}
    for metric in report.metrics:
        if metric.name not in TRACES:
            continue
        for cat in metric.categories:
            for sub in cat.subsets:
                if sub.name not in categories:
                    categories.append(sub.name)
                if sub.num:
                    values.setdefault(metric.name, {})[sub.name] = sub.score
    return categories, values


def radar(report: Report, title: str) -> go.Figure:
    categories, values = category_scores(report)
    fig = go.Figure()
    closed = [*categories, categories[0]] if categories else []
    for metric, name in TRACES.items():
        by_cat = values.get(metric, {})
        r = [by_cat.get(c) for c in closed]
        fig.add_trace(go.Scatterpolar(r=r, theta=closed, name=name, connectgaps=False, mode="lines+markers"))
    fig.update_layout(**{**LAYOUT, "height": 460})
    fig.update_layout(title=title, polar=dict(radialaxis=dict(range=[0, 10])))
    return fig


def mt_bench_parts(report: Report | None, ctx: SiteContext) -> list[Any]:
    """The radar and its table, or nothing for any other dataset."""
    if report is None or report.dataset_name != DATASET:
        return []
    categories, values = category_scores(report)
    if not categories:
        return []
    title = f"MT-Bench · {report.model_name} · mean rating per category"
    quality = {
        sub.name: sub.judge_quality
        for metric in report.metrics[:1]
        for cat in metric.categories
        for sub in cat.subsets
        if sub.judge_quality is not None
    }
    rows = []
    for c in categories:
        q = quality.get(c)
        rows.append(
            [
                c,
                *[fmt_score(values[m][c]) if c in values.get(m, {}) else "-" for m in TRACES],
                "-" if q is None else f"{q.invalid}/{q.asked}",
            ]
        )
    headers = ["category", *TRACES.values(), "judge invalid"]
    body = html.Div(
        [
            chart("mt-bench-radar", radar(report, title), ctx.t),
            table(headers, rows, table_id="mt-bench-categories"),
        ]
    )
    return [html.Div(section("Per category", body), id="mt-bench-section")]
