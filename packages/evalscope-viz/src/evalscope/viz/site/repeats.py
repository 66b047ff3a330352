"""A repeated run (`repeats: k`) on the dataset page: the "solved j of k" histogram (plotly bars:
how many items were solved j times, j = 0..k) and the prediction browser's item cards (one per
item with its j/k, folding out each repeat's answer, extracted answer and score)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import plotly.graph_objects as go
from dash import html

from evalscope.core.report import Report
from evalscope.viz.data.repeats import ItemGroup, dataset_histogram, run_repeats
from evalscope.viz.site.charts import LAYOUT
from evalscope.viz.site.components import chart, field, fmt_score, markdown
from evalscope.viz.site.context import SiteContext
from evalscope.viz.site.i18n import Translator


def solved_bars(counts: Sequence[int], title: str) -> go.Figure:
    """Bars of items by how many of their k answers solved them (x: j = 0..k, y: items)."""
    k = len(counts) - 1
    fig = go.Figure(
        go.Bar(
            x=[f"{j}/{k}" for j in range(k + 1)],
            y=list(counts),
            text=[str(c) for c in counts],
            textposition="outside",
            marker_color=["#c0392b" if j == 0 else "#27ae60" if j == k else "#5b8def" for j in range(k + 1)],
            hovertemplate="solved %{x}: %{y} items<extra></extra>",
        )
    )
    fig.update_layout(**LAYOUT)
    fig.update_layout(
        title=title,
        xaxis=dict(title="answers that solved the item (j of k)", type="category"),
        yaxis=dict(title="items", rangemode="tozero", range=[0, max([1, *counts]) * 1.2]),
    )
    return fig


def repeats_parts(report: Report | None, ctx: SiteContext, key: str) -> list[Any]:
    """The histogram of a run with k > 1 answers per item, or nothing."""
    k = run_repeats(report)
    if report is None or k <= 1:
        return []
    counts = dataset_histogram(ctx.catalog, key, report.dataset_name, k)
    title = f"{ctx.t('solved_hist', k=k)} · {report.dataset_name} · {sum(counts)} items"
    return [html.Div(chart("solved-hist", solved_bars(counts, title), ctx.t), id="solved-hist")]


def _verdict(passed: bool | None, status: str) -> str:
    return "pass" if passed else ("fail" if passed is False else status)


def item_card(group: ItemGroup, t: Translator) -> html.Details:
    """One item: its id, subset, j/k and a badge per repeat; unfolded, the prompt and gold once,
    then a row per repeat (answer, extracted answer, score)."""
    first = group.first
    badges = [
        html.Span(str(r), className=f"badge {_verdict(v.passed, v.status)}", title=f"repeat {r}")
        for r, v in group.answers
    ]
    mean = group.mean_score
    summary = html.Summary(
        html.Span(
            [
                html.Span(f"#{group.item_id}", className="sample-id"),
                html.Span(group.subset, className="sample-subset"),
                html.Span(f"solved {group.label}", className="solved"),
                html.Span(f"{t('score')}: {'-' if mean is None else fmt_score(mean)} (mean)", className="sample-score"),
                *badges,
            ],
            className="sample-head",
        )
    )
    rows = [
        html.Tr(
            [
                html.Td(str(r)),
                html.Td(html.Span(_verdict(v.passed, v.status), className=f"badge {_verdict(v.passed, v.status)}")),
                html.Td(fmt_score(v.score) if v.score is not None else "-"),
                html.Td(html.Code(v.extracted)),
                html.Td(html.Pre(v.output or v.error or "", className="answer")),
            ],
            **{"data-repeat": str(r)},  # type: ignore[arg-type]  # data-* attributes reach Dash through **kwargs
        )
        for r, v in group.answers
    ]
    answers = html.Table(
        [
            html.Thead(html.Tr([html.Th(h) for h in (t("repeat"), "Result", t("score"), t("extracted"), t("output"))])),
            html.Tbody(rows),
        ],
        className="grid repeats",
    )
    return html.Details(
        [
            summary,
            field(t("prompt"), markdown(first.prompt), "prompt"),
            field(t("gold"), html.Code(first.gold), "gold"),
            answers,
        ],
        className="sample item",
        **{"data-item-id": group.item_id, "data-solved": group.label},  # type: ignore[arg-type]  # data-* attributes reach Dash through **kwargs
    )
