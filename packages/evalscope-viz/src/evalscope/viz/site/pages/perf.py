"""Perf runs: the client self-check verdict, summary and percentiles, TTFT/ITL/latency distributions,
throughput and latency across a sweep, and two runs compared."""

from __future__ import annotations

from typing import Any

from dash import Input, Output, dcc, html

from evalscope.core.numeric import format_number as _fmt
from evalscope.viz.data import perf as perf_data
from evalscope.viz.site import charts
from evalscope.viz.site.components import chart, section, table
from evalscope.viz.site.context import SiteContext
from evalscope.viz.site.pages import Page

DISTRIBUTIONS = (("ttft_ms", "TTFT", "ms"), ("itl_ms", "ITL", "ms"), ("latency_s", "Latency", "s"))


def layout(ctx: SiteContext, keys: list[str]) -> Any:
    t = ctx.t
    runs = perf_data.list_runs(ctx.outputs)
    if not runs:
        return html.P(t("no_perf"), className="hint")
    options = [{"label": perf_data.run_label(r), "value": r.info.run_id} for r in runs]
    chosen = [runs[-1].info.run_id]
    return html.Div(
        [
            section(
                t("perf_runs"),
                dcc.Checklist(id="perf-runs", options=options, value=chosen, className="picker"),
            ),
            html.Div(body(ctx, chosen), id="perf-body"),
        ]
    )


def verdict(ctx: SiteContext, run: Any) -> html.Div:
    """The self-check verdict, prominent: whether the numbers describe the server or the client."""
    t = ctx.t
    state = perf_data.saturated(run)
    sc = run.selfcheck or {}
    if state is None:
        return html.Div(
            [html.Strong(t("selfcheck")), html.Span(" -")], className="verdict unknown", id="perf-verdict"
        )
    lines = [html.Strong(f"{t('selfcheck')}: "), html.Span(t("sc_bad") if state else t("sc_ok"))]
    details = (
        f"{sc.get('workers')} process(es), CPU max {_fmt(sc.get('cpu_fraction_max'))}, "
        f"loop lag p99 {_fmt(sc.get('loop_lag_p99_ms'))} ms, send lag p99 {_fmt(sc.get('send_lag_p99_ms'))} ms"
    )
    items = [html.Li(w) for w in sc.get("warnings") or []]
    return html.Div(
        [html.Div(lines), html.Div(details, className="verdict-details"), html.Ul(items) if items else None],
        className=f"verdict {'bad' if state else 'ok'}",
        id="perf-verdict",
        **{"data-saturated": str(state).lower()},  # type: ignore[arg-type]  # data-* attributes reach Dash through **kwargs
    )


def one_run(ctx: SiteContext, run: Any, runs: list[Any]) -> list[Any]:
    t = ctx.t
    info = run.info
    parts: list[Any] = [
        html.H3(perf_data.run_label(run)),
        verdict(ctx, run),
        html.P(
            f"{t('status')}: {info.status} · {info.api_url} · {info.api} · stream={info.stream}",
            className="perf-meta",
        ),
    ]
    dist = run.distributions()
    parts.append(
        html.Div(
            [
                chart(
                    f"perf-{field}",
                    charts.distribution({info.label: getattr(dist, field)}, f"{name} ({unit})", unit),
                    t,
                )
                for field, name, unit in DISTRIBUTIONS
            ],
            className="charts-row",
        )
    )
    sweep = perf_data.sweep_of(runs, run)
    if len(sweep) > 1:
        parts.append(sweep_section(ctx, sweep))
    if run.summary is not None:
        rows = [[k, _fmt(v)] for k, v in run.summary.values.items()]
        parts.append(section(t("summary"), table([t("metric"), "Value"], rows, table_id="perf-summary")))
    if run.percentiles is not None:
        levels = run.percentiles.levels
        rows = [[metric, *(_fmt(row.get(p)) for p in levels)] for metric, row in run.percentiles.rows.items()]
        parts.append(
            section(t("percentiles"), table([t("metric"), *levels], rows, table_id="perf-percentiles"))
        )
    return parts


def sweep_section(ctx: SiteContext, sweep: list[Any]) -> Any:
    t = ctx.t
    open_loop = any(r.info.rate is not None for r in sweep)
    x = [r.info.rate if open_loop else r.info.concurrency for r in sweep]
    x_title = "rate (req/s)" if open_loop else "concurrency"
    summaries = [r.summary for r in sweep]

    def values(name: str) -> list[float | None]:
        return [getattr(s, name) if s is not None else None for s in summaries]

    def p99(metric: str) -> list[float | None]:
        return [r.percentiles.get(metric, "p99") if r.percentiles else None for r in sweep]

    throughput = charts.sweep_lines(
        x,
        {"requests/s": values("request_throughput")},
        t("throughput_vs_conc"),
        x_title,
        "requests/s",
        right={"output tokens/s": values("output_token_throughput")},
        right_title="tokens/s",
    )
    latency = charts.sweep_lines(
        x,
        {
            "mean latency (s)": values("mean_latency_s"),
            "p99 latency (s)": p99("Latency (s)"),
            "mean TTFT (s)": [v / 1000 if v is not None else None for v in values("mean_ttft_ms")],
        },
        t("latency_vs_conc"),
        x_title,
        "seconds",
    )
    headers = [
        x_title,
        "req/s",
        "out tok/s",
        "mean latency (s)",
        "mean TTFT (ms)",
        "mean ITL (ms)",
        "client saturated",
    ]
    rows = [
        [
            xv,
            _fmt(s.request_throughput if s else None),
            _fmt(s.output_token_throughput if s else None),
            _fmt(s.mean_latency_s if s else None),
            _fmt(s.mean_ttft_ms if s else None),
            _fmt(s.mean_itl_ms if s else None),
            _fmt(perf_data.saturated(r)),
        ]
        for xv, s, r in zip(x, summaries, sweep)
    ]
    return section(
        t("sweep"),
        html.Div(
            [chart("sweep-throughput", throughput, t), chart("sweep-latency", latency, t)],
            className="charts-row",
        ),
        table(headers, rows, table_id="sweep-table"),
    )


def two_runs(ctx: SiteContext, a: Any, b: Any) -> list[Any]:
    from evalscope.perf.results import compare_runs

    t = ctx.t
    label_a, label_b = f"A: {perf_data.run_label(a)}", f"B: {perf_data.run_label(b)}"
    rows = [
        [d.metric, _fmt(d.a), _fmt(d.b), _fmt(d.delta), f"{d.ratio:.3f}x" if d.ratio is not None else "-"]
        for d in compare_runs(a, b)
    ]
    da, db = a.distributions(), b.distributions()
    figures = [
        chart(
            f"perf-cmp-{field}",
            charts.ecdf({label_a: getattr(da, field), label_b: getattr(db, field)}, f"{name} ({unit})", unit),
            t,
        )
        for field, name, unit in DISTRIBUTIONS
    ]
    return [
        html.H3(t("perf_compare")),
        html.Div([verdict(ctx, a), verdict(ctx, b)], className="sides"),
        table([t("metric"), "A", "B", "B - A", "B / A"], rows, table_id="perf-compare"),
        html.Div(figures, className="charts-row"),
    ]


def body(ctx: SiteContext, chosen: list[str]) -> list[Any]:
    runs = perf_data.list_runs(ctx.outputs)
    by_id = {r.info.run_id: r for r in runs}
    picked = [by_id[c] for c in chosen or [] if c in by_id]
    if not picked:
        return [html.P(ctx.t("no_perf"), className="hint")]
    if len(picked) >= 2:
        return two_runs(ctx, picked[0], picked[1])
    return one_run(ctx, picked[0], runs)


def register(app: Any, ctx: SiteContext) -> None:
    @app.callback(Output("perf-body", "children"), Input("perf-runs", "value"), prevent_initial_call=True)
    def _show(chosen: list[str]) -> Any:
        return body(ctx, chosen)


PAGE = Page(path="/perf", title="page_perf", layout=layout, register=register, order=40)
