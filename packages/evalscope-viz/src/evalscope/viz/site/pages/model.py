"""Single model: composition sunburst, dataset scores, the score table, the task config, run metadata."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import yaml
from dash import Input, Output, dcc, html

from evalscope.core.report import NOT_SCORED_HEADER, TABLE_HEADERS, Report, SampleCounts, table_rows
from evalscope.viz.data.catalog import RunEntry
from evalscope.viz.site import charts
from evalscope.viz.site.components import chart, fmt_seconds, section, stat, table
from evalscope.viz.site.context import SiteContext
from evalscope.viz.site.pages import Page


def run_picker(
    component_id: str, ctx: SiteContext, keys: list[str], value: str | None = None
) -> dcc.RadioItems:
    options = [{"label": ctx.catalog.run(k).label, "value": k} for k in keys]
    return dcc.RadioItems(
        id=component_id, options=options, value=value or keys[0], className="picker", inline=True
    )


def layout(ctx: SiteContext, keys: list[str]) -> Any:
    if not keys:
        return html.P(ctx.t("select_first"), className="hint")
    return html.Div([run_picker("model-run", ctx, keys), html.Div(body(ctx, keys[0]), id="model-body")])


def _totals(reports: list[Report]) -> tuple[SampleCounts, dict[str, float]]:
    counts = SampleCounts()
    stats = {"total": 0, "cached": 0, "seconds": 0.0, "output_tokens": 0}
    for rep in reports:
        counts.add(rep.counts)
        for name in stats:
            stats[name] += getattr(rep.stats, name)
    return counts, stats


def metadata(ctx: SiteContext, entry: RunEntry, reports: list[Report]) -> html.Div:
    t, info = ctx.t, entry.info
    counts, stats = _totals(reports)
    duration = (
        (info.finished_at - info.started_at) if info.finished_at and info.started_at else stats["seconds"]
    )
    started = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(info.started_at)) if info.started_at else "-"
    cards = [
        stat(t("model"), info.model_id, "model"),
        stat(t("run"), entry.name, "run"),
        stat(t("status"), info.status, "status"),
        stat(t("started"), started, "started"),
        stat(t("duration"), fmt_seconds(duration), "duration"),
        stat(t("samples"), stats["total"] or counts.scored + counts.not_scored, "samples"),
        stat(t("scored"), counts.scored, "scored"),
        stat(t("errors"), counts.errored, "errors"),
        stat(t("invalid"), counts.invalid, "invalid"),
        stat(t("skipped"), counts.skipped, "skipped"),
        stat(t("cache_hits"), stats["cached"], "cache_hits"),
        stat(t("output_tokens"), stats["output_tokens"], "output_tokens"),
    ]
    headers = [
        t("dataset"),
        "output type",
        t("samples"),
        t("scored"),
        t("errors"),
        t("cache_hits"),
        t("duration"),
    ]
    rows = [
        [
            r.dataset_name,
            r.output_type or "-",
            r.stats.total,
            r.counts.scored,
            r.counts.errored,
            r.stats.cached,
            fmt_seconds(r.stats.seconds),
        ]
        for r in reports
    ]
    return html.Div([html.Div(cards, className="stats"), table(headers, rows, table_id="run-datasets")])


def report_links(ctx: SiteContext, entry: RunEntry, reports: list[Report]) -> html.Div | None:
    """Links to the report JSON files, when the run lies under the outputs directory."""
    if ctx.outputs is None:
        return None
    links = []
    for rep in reports:
        location = ctx.catalog.report_location(entry.key, rep.dataset_name)
        if location is None:
            continue
        try:
            rel = Path(location).resolve().relative_to(ctx.outputs)
        except ValueError:
            continue
        links.append(
            html.A(
                f"{rep.dataset_name} {ctx.t('download_report')}",
                href=f"/files/{quote(rel.as_posix())}",
                className="file-link",
            )
        )
    return html.Div(links, className="file-links") if links else None


def body(ctx: SiteContext, key: str) -> Any:
    t = ctx.t
    entry = ctx.catalog.run(key)
    reports = ctx.catalog.reports(key)
    rows = table_rows(reports)
    headers = TABLE_HEADERS + ([NOT_SCORED_HEADER] if rows and len(rows[0]) > len(TABLE_HEADERS) else [])
    config_text = (
        yaml.safe_dump(entry.info.config, sort_keys=False, allow_unicode=True) if entry.info.config else "-"
    )
    warning = ctx.catalog.warning(key)  # a damaged evalscope.db: the JSONL records are shown
    parts = [
        *([html.P(f"⚠ {warning}", className="error", id="run-warning")] if warning else []),
        section(t("run_metadata"), metadata(ctx, entry, reports), report_links(ctx, entry, reports)),
        html.Div(
            [
                chart("sunburst", charts.sunburst(reports, t("composition")), t),
                chart("dataset-scores", charts.dataset_bars(reports, t("dataset_scores")), t),
            ],
            className="charts-row",
        ),
        section(t("score_table"), table(headers, rows, table_id="score-table")),
        section(
            t("task_config"),
            html.Details(
                [html.Summary(entry.info.model_id), html.Pre(config_text, id="task-config")], open=False
            ),
        ),
    ]
    return [p for p in parts if p is not None]


def register(app: Any, ctx: SiteContext) -> None:
    @app.callback(Output("model-body", "children"), Input("model-run", "value"), prevent_initial_call=True)
    def _show(key: str) -> Any:
        return body(ctx, key)


PAGE = Page(path="/model", title="page_model", layout=layout, register=register, order=10)
