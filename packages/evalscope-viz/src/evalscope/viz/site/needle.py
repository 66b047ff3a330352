"""needle_haystack on the dataset page: the length x depth heatmap of each metric (and the grid as a
table), read from the report's cells (`L<length>_D<depth>` subsets)."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
from dash import html

from evalscope.benchmarks._lib.haystack_grid import Grid, grid_metrics, report_grid
from evalscope.core.report import Report
from evalscope.viz.site.charts import LAYOUT
from evalscope.viz.site.components import chart, fmt_score, section, table
from evalscope.viz.site.context import SiteContext

#: red (missed) through amber to green (found), as EvalScope's needle chart
COLORSCALE = [[0.0, "#F0496E"], [0.5, "#EBB839"], [1.0, "#0CD79F"]]


def heatmap(grid: Grid, title: str) -> go.Figure:
    """Depth (rows, 0% at the top) by length (columns), coloured by score in [0, 1], each cell's
    score written in it; an empty cell (no scored sample) stays blank."""
    text = [["" if v is None else f"{v:.2f}" for v in row] for row in grid.scores]
    fig = go.Figure(
        go.Heatmap(
            z=[list(row) for row in grid.scores],
            x=[str(n) for n in grid.lengths],
            y=[grid.depth_label(d) for d in grid.depths],
            zmin=0,
            zmax=1,
            colorscale=COLORSCALE,
            text=text,
            texttemplate="%{text}",
            colorbar=dict(title=grid.metric),
            hovertemplate="length %{x} tokens<br>depth %{y}<br>score %{z:.4f}<extra></extra>",
            xgap=2,
            ygap=2,
        )
    )
    fig.update_layout(**{**LAYOUT, "height": max(300, 80 + 48 * len(grid.depths))})
    fig.update_layout(title=title, xaxis_title="context length (tokens)", yaxis_title="needle depth")
    fig.update_xaxes(type="category")
    fig.update_yaxes(type="category", autorange="reversed")
    return fig


def grid_table(grid: Grid) -> html.Table:
    headers = ["depth \\ length", *[str(n) for n in grid.lengths]]
    rows = [
        [grid.depth_label(d), *["-" if v is None else fmt_score(v) for v in row]]
        for d, row in zip(grid.depths, grid.scores)
    ]
    return table(headers, rows, table_id=f"needle-grid-{grid.metric}")


def needle_parts(report: Report | None, ctx: SiteContext) -> list[Any]:
    """A section with one heatmap and grid table per metric, or nothing when the report has no grid."""
    if report is None:
        return []
    parts: list[Any] = []
    for metric in grid_metrics(report):
        grid = report_grid(report, metric)
        assert grid is not None
        title = f"Needle in a haystack · {report.model_name} · {metric}"
        parts.append(
            html.Div([chart(f"needle-heatmap-{metric}", heatmap(grid, title), ctx.t), grid_table(grid)])
        )
    return [html.Div(section("Length × depth", *parts), id="needle-section")] if parts else []
