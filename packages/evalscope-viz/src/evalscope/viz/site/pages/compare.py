"""Multi-model comparison: radar over datasets, score table, paired significance, answers side by side."""

from __future__ import annotations

from typing import Any

from dash import Input, Output, State, dcc, html

from evalscope.core.stats import comparison_cells
from evalscope.viz.data.pairs import PAIR_FILTERS, Pair, filter_pairs, pair_results, significance
from evalscope.viz.data.samples import sample_view
from evalscope.viz.site import charts
from evalscope.viz.site.components import chart, field, fmt_score, markdown, section, table
from evalscope.viz.site.context import SiteContext
from evalscope.viz.site.i18n import Translator
from evalscope.viz.site.pages import Page
from evalscope.viz.site.pages.dataset import judge_block, output_field
from evalscope.viz.site.paging import PAGE_SIZE, clamp_page, page_inputs, pager, turn_page


def score_matrix(ctx: SiteContext, keys: list[str]) -> dict[str, dict[str, float]]:
    """`{run@model: {dataset: score}}` of the loaded runs (labels made unique)."""
    out: dict[str, dict[str, float]] = {}
    for key in keys:
        label = ctx.catalog.run(key).label
        while label in out:
            label += "'"
        out[label] = {r.dataset_name: r.score for r in ctx.catalog.reports(key)}
    return out


def layout(ctx: SiteContext, keys: list[str]) -> Any:
    t = ctx.t
    if len(keys) < 2:
        return html.P(t("need_two"), className="hint")
    matrix = score_matrix(ctx, keys)
    datasets = list(dict.fromkeys(d for per in matrix.values() for d in per))
    figure = (
        charts.radar(matrix, t("radar")) if len(datasets) >= 3 else charts.grouped_bars(matrix, t("radar"))
    )
    rows = [[d, *(fmt_score(per.get(d)) for per in matrix.values())] for d in datasets]
    options = [{"label": ctx.catalog.run(k).label, "value": k} for k in keys]
    return html.Div(
        [
            chart("radar", figure, t),
            section(t("score_table"), table([t("dataset"), *matrix], rows, table_id="compare-table")),
            html.Div(
                [
                    html.Label(t("model_a")),
                    dcc.RadioItems(
                        id="cmp-a", options=options, value=keys[0], inline=True, className="picker"
                    ),
                ],
                className="controls",
            ),
            html.Div(
                [
                    html.Label(t("model_b")),
                    dcc.RadioItems(
                        id="cmp-b", options=options, value=keys[1], inline=True, className="picker"
                    ),
                ],
                className="controls",
            ),
            section(t("significance"), html.Div(id="cmp-sig")),
            section(
                t("side_by_side"),
                html.Div(
                    [
                        html.Label(t("dataset")),
                        dcc.RadioItems(
                            id="cmp-dataset", options=[], value=None, inline=True, className="picker"
                        ),
                        html.Label(t("filter")),
                        dcc.RadioItems(
                            id="cmp-filter",
                            options=[{"label": t(f"p_{k}"), "value": k} for k in PAIR_FILTERS],
                            value="all",
                            inline=True,
                            className="picker",
                        ),
                    ],
                    className="controls",
                ),
                pager("cmp", t),
                html.Div(id="cmp-pairs"),
            ),
        ]
    )


def common_datasets(ctx: SiteContext, key_a: str, key_b: str) -> list[str]:
    b = set(ctx.catalog.datasets(key_b))
    return [d for d in ctx.catalog.datasets(key_a) if d in b]


def significance_table(ctx: SiteContext, key_a: str, key_b: str, datasets: list[str]) -> Any:
    t = ctx.t
    rows = []
    for dataset in datasets:
        for c in significance(ctx.catalog, key_a, key_b, dataset):
            discordant = f"{c.b_only_a_right} / {c.c_only_b_right}" if c.b_only_a_right is not None else "-"
            rows.append(
                [
                    c.dataset,
                    c.metric,
                    c.n,
                    *comparison_cells(c),
                    c.test,
                    discordant,
                ]
            )
    if not rows:
        return html.P(t("no_shared"), className="hint")
    headers = [
        t("dataset"),
        t("metric"),
        "N",
        "A",
        "B",
        "B-A",
        "95% CI",
        "p",
        "Test",
        t("p_a_right_b_wrong") + " / " + t("p_a_wrong_b_right"),
    ]
    return table(headers, rows, table_id="significance-table")


def _side(label: str, result: Any, t: Translator, side: str) -> html.Div:
    view = sample_view(result)
    verdict = "pass" if view.passed else ("fail" if view.passed is False else view.status)
    return html.Div(
        [
            html.Div(
                [
                    html.Span(label, className="side-label"),
                    html.Span(verdict, className=f"badge {verdict}"),
                    html.Span(f"{t('score')}: {fmt_score(view.score)}", className="sample-score"),
                ],
                className="sample-head",
            ),
            output_field(view, t),
            field(t("extracted"), html.Code(view.extracted), "extracted"),
            *([field(t("judge"), judge_block(view), "judge")] if view.judge else []),
        ],
        className=f"side side-{side} {verdict}",
        **{"data-verdict": verdict},  # type: ignore[arg-type]  # data-* attributes reach Dash through **kwargs
    )


def pair_card(pair: Pair, label_a: str, label_b: str, t: Translator) -> html.Div:
    shared = sample_view(pair.a)
    return html.Div(
        [
            html.Div(
                [
                    html.Span(f"#{pair.sample_id}", className="sample-id"),
                    html.Span(pair.subset, className="sample-subset"),
                ],
                className="sample-head",
            ),
            field(t("prompt"), markdown(shared.prompt), "prompt"),
            field(t("gold"), html.Code(shared.gold), "gold"),
            html.Div([_side(label_a, pair.a, t, "a"), _side(label_b, pair.b, t, "b")], className="sides"),
        ],
        className="pair",
        **{"data-sample-id": pair.sample_id},  # type: ignore[arg-type]  # data-* attributes reach Dash through **kwargs
    )


def register(app: Any, ctx: SiteContext) -> None:
    @app.callback(
        Output("cmp-dataset", "options"),
        Output("cmp-dataset", "value"),
        Output("cmp-sig", "children"),
        Input("cmp-a", "value"),
        Input("cmp-b", "value"),
    )
    def _pick(key_a: str, key_b: str) -> Any:
        datasets = common_datasets(ctx, key_a, key_b)
        return datasets, datasets[0] if datasets else None, significance_table(ctx, key_a, key_b, datasets)

    @app.callback(
        Output("cmp-pairs", "children"),
        Output("cmp-page-info", "children"),
        Output("cmp-page", "data"),
        Input("cmp-a", "value"),
        Input("cmp-b", "value"),
        Input("cmp-dataset", "value"),
        Input("cmp-filter", "value"),
        *page_inputs("cmp"),
        State("cmp-page", "data"),
    )
    def _pairs(key_a, key_b, dataset, kind, _prev, _next, page):  # noqa: ANN001
        if not dataset:
            return html.P(ctx.t("no_shared"), className="hint"), "", 0
        page = turn_page("cmp", page)
        chosen = filter_pairs(pair_results(ctx.catalog, key_a, key_b, dataset), kind or "all")
        page, pages = clamp_page(page, len(chosen))
        label_a, label_b = ctx.catalog.run(key_a).label, ctx.catalog.run(key_b).label
        if key_a == key_b or label_a == label_b:
            label_a, label_b = f"A: {label_a}", f"B: {label_b}"
        cards = [
            pair_card(p, label_a, label_b, ctx.t) for p in chosen[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
        ]
        info = ctx.t("page_of", page=page + 1, pages=pages, total=len(chosen))
        return cards or [html.P("-", className="hint")], info, page


PAGE = Page(path="/compare", title="page_compare", layout=layout, register=register, order=30)
