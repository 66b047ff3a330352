"""Plotly figures of reports, comparisons and perf runs (pure: data in, figure out)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import plotly.graph_objects as go

from evalscope.core.report import Report

LAYOUT = dict(margin=dict(l=40, r=20, t=50, b=40), template="plotly_white", height=380)


def _fig(title: str, **extra: object) -> go.Figure:
    fig = go.Figure()
    fig.update_layout(title=title, **{**LAYOUT, **extra})
    return fig


def sunburst(reports: Sequence[Report], title: str) -> go.Figure:
    """Dataset -> category -> subset, sized by scored samples, coloured by score (first metric)."""
    ids, labels, parents, values, colors = [], [], [], [], []
    for rep in reports:
        if not rep.metrics:
            continue
        metric = rep.metrics[0]
        ds_id = rep.dataset_name
        ids.append(ds_id)
        labels.append(rep.dataset_name)
        parents.append("")
        values.append(max(metric.num, 0))
        colors.append(metric.score)
        for cat in metric.categories:
            cat_id = f"{ds_id}/{'/'.join(cat.name)}"
            ids.append(cat_id)
            labels.append("/".join(cat.name))
            parents.append(ds_id)
            values.append(cat.num)
            colors.append(cat.score)
            for sub in cat.subsets:
                ids.append(f"{cat_id}/{sub.name}")
                labels.append(sub.name)
                parents.append(cat_id)
                values.append(sub.num)
                colors.append(sub.score)
    fig = _fig(title)
    fig.add_trace(
        go.Sunburst(
            ids=ids,
            labels=labels,
            parents=parents,
            values=values,
            branchvalues="total",
            marker=dict(colors=colors, colorscale="RdYlGn", cmin=0, cmax=1, showscale=True),
            hovertemplate="%{label}<br>samples %{value}<br>score %{color:.4f}<extra></extra>",
        )
    )
    return fig


def dataset_bars(reports: Sequence[Report], title: str) -> go.Figure:
    names = [r.dataset_name for r in reports]
    scores = [r.score for r in reports]
    fig = _fig(title, yaxis=dict(range=[0, 1], title="score"))
    fig.add_trace(go.Bar(x=names, y=scores, text=[f"{s:.4f}" for s in scores], textposition="auto"))
    return fig


def subset_bars(report: Report, metric_index: int, title: str) -> go.Figure:
    """Per-subset scores with the report's 95% interval of each subset (wilson, bootstrap or
    clustered); a report written before intervals: the normal interval from the standard error."""
    metric = report.metrics[metric_index]
    names, scores, above, below = [], [], [], []
    for cat in metric.categories:
        for sub in cat.subsets:
            names.append(sub.name)
            scores.append(sub.score)
            if sub.ci_low is not None and sub.ci_high is not None:
                high, low = max(sub.ci_high, sub.score), min(sub.ci_low, sub.score)
            else:
                high, low = min(1.0, sub.score + 1.96 * sub.stderr), max(0.0, sub.score - 1.96 * sub.stderr)
            above.append(high - sub.score)
            below.append(sub.score - low)
    fig = _fig(title, yaxis=dict(range=[0, 1.05], title=metric.name))
    fig.add_trace(
        go.Bar(
            x=names,
            y=scores,
            error_y=dict(type="data", array=above, arrayminus=below, visible=True),
            text=[f"{s:.4f}" for s in scores],
            textposition="auto",
            name=metric.name,
        )
    )
    if metric.ci_low is not None and metric.ci_high is not None:
        fig.add_hrect(y0=metric.ci_low, y1=metric.ci_high, fillcolor="rgba(31,119,180,0.12)", line_width=0)
        fig.add_hline(y=metric.score, line_dash="dot", annotation_text=f"overall {metric.score:.4f}")
    return fig


def radar(scores: Mapping[str, Mapping[str, float]], title: str) -> go.Figure:
    """`scores[model_label][dataset]`: one closed trace per model over every dataset."""
    datasets = list(dict.fromkeys(d for per in scores.values() for d in per))
    fig = _fig(title, polar=dict(radialaxis=dict(range=[0, 1], visible=True)), height=440)
    for label, per in scores.items():
        values = [per.get(d) for d in datasets]  # a dataset a model did not run is a gap, not a 0
        fig.add_trace(
            go.Scatterpolar(r=[*values, values[0]], theta=[*datasets, datasets[0]], name=label, fill="toself")
        )
    return fig


def grouped_bars(scores: Mapping[str, Mapping[str, float]], title: str) -> go.Figure:
    """Datasets on x, one bar per model (the radar's fallback when there are fewer than 3 datasets)."""
    datasets = list(dict.fromkeys(d for per in scores.values() for d in per))
    fig = _fig(title, barmode="group", yaxis=dict(range=[0, 1], title="score"))
    for label, per in scores.items():
        fig.add_trace(go.Bar(x=datasets, y=[per.get(d) for d in datasets], name=label))
    return fig


def distribution(values: Mapping[str, Sequence[float]], title: str, unit: str) -> go.Figure:
    """Overlaid histograms of one metric (TTFT, ITL, latency), one per run."""
    fig = _fig(title, barmode="overlay", xaxis=dict(title=unit), yaxis=dict(title="requests"))
    for label, series in values.items():
        fig.add_trace(go.Histogram(x=list(series), name=label, opacity=0.6 if len(values) > 1 else 1.0))
    return fig


def ecdf(values: Mapping[str, Sequence[float]], title: str, unit: str) -> go.Figure:
    """Empirical CDFs, one per run: where two perf runs differ along the whole distribution."""
    fig = _fig(title, xaxis=dict(title=unit), yaxis=dict(title="fraction of requests", range=[0, 1]))
    for label, series in values.items():
        xs = sorted(series)
        n = len(xs)
        fig.add_trace(
            go.Scatter(x=xs, y=[(i + 1) / n for i in range(n)], mode="lines", line_shape="hv", name=label)
        )
    return fig


def sweep_lines(
    x: Sequence[float],
    series: Mapping[str, Sequence[float | None]],
    title: str,
    x_title: str,
    y_title: str,
    right: Mapping[str, Sequence[float | None]] | None = None,
    right_title: str = "",
) -> go.Figure:
    """Metrics across the runs of a sweep; `right` series use a second y axis (other units)."""
    fig = _fig(title, xaxis=dict(title=x_title), yaxis=dict(title=y_title))
    for label, ys in series.items():
        fig.add_trace(go.Scatter(x=list(x), y=list(ys), mode="lines+markers", name=label))
    if right:
        fig.update_layout(yaxis2=dict(title=right_title, overlaying="y", side="right", showgrid=False))
        for label, ys in right.items():
            fig.add_trace(
                go.Scatter(
                    x=list(x),
                    y=list(ys),
                    mode="lines+markers",
                    name=label,
                    yaxis="y2",
                    line=dict(dash="dash"),
                )
            )
    return fig


def interval_chart(
    names: Sequence[str],
    values: Sequence[float | None],
    intervals: Sequence[tuple[float, float] | None],
    title: str,
    y_title: str,
    *,
    bars: bool = False,
    y_range: tuple[float, float] | None = None,
    reference: float | None = None,
) -> go.Figure:
    """One value per name with its interval as error bars (points, or bars with `bars`); a name
    without a value is left out, one without an interval has no bar. `reference` draws a dotted line
    (e.g. the initial rating)."""
    shown = [(n, v, ci) for n, v, ci in zip(names, values, intervals) if v is not None]
    xs = [n for n, _, _ in shown]
    ys = [float(v) for _, v, _ in shown]
    above = [(ci[1] - v) if ci is not None else 0.0 for _, v, ci in shown]
    below = [(v - ci[0]) if ci is not None else 0.0 for _, v, ci in shown]
    yaxis: dict[str, object] = {"title": y_title}
    if y_range is not None:
        yaxis["range"] = list(y_range)
    fig = _fig(title, yaxis=yaxis, showlegend=False)
    error = dict(type="data", array=above, arrayminus=below, visible=True, thickness=1.5, width=8)
    text = [
        f"{v:.3f} [{v - lo:.3f}, {v + hi:.3f}]" if abs(v) < 10 else f"{v:.1f} [{v - lo:.1f}, {v + hi:.1f}]"
        for v, lo, hi in zip(ys, below, above)
    ]
    if bars:
        fig.add_trace(go.Bar(x=xs, y=ys, error_y=error, hovertext=text, hoverinfo="x+text", name=y_title))
    else:
        fig.add_trace(
            go.Scatter(
                x=xs, y=ys, mode="markers", marker=dict(size=11), error_y=error, hovertext=text,
                hoverinfo="x+text", name=y_title,
            )
        )
    if reference is not None:
        fig.add_hline(y=reference, line_dash="dot", line_color="#999")
    return fig
