"""Dataset details: per-subset scores with intervals, and the prediction browser."""

from __future__ import annotations

from typing import Any

from dash import Input, Output, State, dcc, html

from evalscope.core.report import Report, TokenUsage, ci_cell
from evalscope.viz.data.repeats import ItemGroup, item_page, run_repeats
from evalscope.viz.data.samples import FILTERS, SampleView, browser_filter, sample_view
from evalscope.viz.data.timing import timing_line
from evalscope.viz.site import charts
from evalscope.viz.site.components import chart, field, fmt_score, markdown, section, table
from evalscope.viz.site.context import SiteContext
from evalscope.viz.site.i18n import Translator
from evalscope.viz.site.mt_bench import mt_bench_parts
from evalscope.viz.site.needle import needle_parts
from evalscope.viz.site.pages import Page
from evalscope.viz.site.pages.model import run_picker
from evalscope.viz.site.paging import PAGE_SIZE, clamp_page, page_inputs, pager, turn_page
from evalscope.viz.site.repeats import item_card, repeats_parts
from evalscope.viz.site.trajectory import trajectory_block

DEFAULT_THRESHOLD = 1.0


def layout(ctx: SiteContext, keys: list[str]) -> Any:
    t = ctx.t
    if not keys:
        return html.P(t("select_first"), className="hint")
    datasets = ctx.catalog.datasets(keys[0])
    return html.Div(
        [
            run_picker("ds-run", ctx, keys),
            html.Div(
                [
                    html.Label(t("dataset")),
                    dcc.RadioItems(
                        id="ds-dataset",
                        options=datasets,
                        value=datasets[0] if datasets else None,
                        inline=True,
                        className="picker",
                    ),
                ]
            ),
            html.Div(
                [
                    html.Label(t("subset")),
                    dcc.RadioItems(id="ds-subset", options=[], value="", inline=True, className="picker"),
                ]
            ),
            html.Div(id="ds-scores"),
            section(
                t("predictions"),
                html.Div(
                    [
                        html.Label(t("filter")),
                        dcc.RadioItems(
                            id="ds-filter",
                            options=[{"label": t(f"f_{k}"), "value": k} for k in FILTERS],
                            value="all",
                            inline=True,
                            className="picker",
                        ),
                        html.Label(t("threshold")),
                        dcc.Input(
                            id="ds-threshold",
                            type="number",
                            value=DEFAULT_THRESHOLD,
                            step=0.01,
                            debounce=True,
                            className="num",
                        ),
                        html.Label(t("search")),
                        dcc.Input(id="ds-search", type="search", value="", debounce=True, placeholder="…"),
                    ],
                    className="controls",
                ),
                pager("ds", t),
                html.Div(id="ds-samples"),
            ),
        ]
    )


def subset_options(report: Report | None, t: Translator) -> list[dict[str, str]]:
    names = (
        []
        if report is None or not report.metrics
        else [s.name for c in report.metrics[0].categories for s in c.subsets]
    )
    return [{"label": t("all_subsets"), "value": ""}] + [
        {"label": n, "value": n} for n in dict.fromkeys(names)
    ]


def scores(report: Report | None, ctx: SiteContext) -> Any:
    """One bar chart and one table per metric: subset, category, num, score, stderr, the report's 95%
    interval with its method (wilson, bootstrap, clustered), not scored; under them, the run's timing
    line (`evalscope.viz.data.timing`) when the report has one."""
    t = ctx.t
    if report is None or not report.metrics:
        return html.P("-", className="hint")
    parts: list[Any] = needle_parts(report, ctx)  # needle_haystack: the length x depth heatmap first
    parts += mt_bench_parts(report, ctx)  # mt_bench: the per-category radar first
    headers = [
        t("metric"), "Category", t("subset"), t("num"), t("score"), "Stderr", "95% CI", "Not scored", "Tokens/sample"
    ]
    rows = []
    for i, metric in enumerate(report.metrics):
        parts.append(
            chart(
                f"subset-scores-{i}",
                charts.subset_bars(
                    report, i, f"{t('subset_scores')} · {report.dataset_name} · {metric.name}"
                ),
                t,
            )
        )
        for cat in metric.categories:
            for sub in cat.subsets:
                rows.append(
                    [
                        metric.name,
                        "/".join(cat.name),
                        sub.name,
                        sub.num,
                        fmt_score(sub.score) if sub.num else "n/a",
                        f"{sub.stderr:.4f}",
                        ci_cell(sub),
                        sub.counts.describe(),
                        tokens_cell(sub.usage),
                    ]
                )
        rows.append(
            [
                metric.name,
                "-",
                "OVERALL",
                metric.num,
                fmt_score(metric.score),
                f"{metric.stderr:.4f}",
                ci_cell(metric),
                report.counts.describe(),
                tokens_cell(report.usage),
            ]
        )
    if report.judge_quality is not None:  # how often the judge was invalid (and both orders disagreed)
        headers.append("Judge")
        for row, quality in zip(rows, _row_judges(report), strict=True):
            row.append("-" if quality is None else quality.describe())
    parts.append(table(headers, rows, table_id="subset-table"))
    timing = timing_line(report)  # what the run cost: samples/s and client CPU per sample
    if timing:
        parts.append(html.P(timing, id="ds-timing", className="hint"))
    return section(t("subset_scores"), *parts)


def _row_judges(report: Report) -> list[Any]:
    """Each subset-table row's judge quality (a subset's, then the OVERALL row's the run's), in row order."""
    out: list[Any] = []
    for metric in report.metrics:
        out += [sub.judge_quality for cat in metric.categories for sub in cat.subsets]
        out.append(report.judge_quality)
    return out


def tokens_cell(usage: TokenUsage | None) -> str:
    """`412 out (120 reasoning), 12 in; 2060 out in all`: a row's mean tokens per answered sample
    and its total; "-" without token counts (a report written before them, scores only)."""
    if usage is None or not usage.samples or not (usage.output_tokens or usage.input_tokens):
        return "-"
    reasoning = f" ({usage.mean_reasoning_tokens:g} reasoning)" if usage.reasoning_tokens else ""
    return (
        f"{usage.mean_output_tokens:g} out{reasoning}, {usage.mean_input_tokens:g} in; "
        f"{usage.output_tokens} out in all"
    )


def output_field(view: SampleView, t: Translator) -> html.Div:
    """The model's raw text, or, for a multiple-choice answer given by scores, each option's score."""
    if view.output or not view.option_scores:
        return field(t("output"), markdown(view.output), "output")
    return field(t("option_scores"), html.Code(view.option_scores), "option_scores")


def conversation_block(view: SampleView) -> html.Div:
    """A multi-turn item's conversation: each turn's user message, then the model's answer."""
    return html.Div(
        [
            html.Div([html.Strong(f"{role} (turn {i // 2 + 1})"), markdown(text)], className=f"turn {role}")
            for i, (role, text) in enumerate(view.conversation)
        ]
    )


def judge_block(view: SampleView) -> html.Div:
    """The judge's verdict lines, and its prompt and raw reply folded away."""
    rows = html.Table([html.Tr([html.Th(k), html.Td(v)]) for k, v in view.judge], className="judge")
    exchange = (
        html.Details([html.Summary("prompt and reply"), html.Pre(view.judge_exchange)])
        if view.judge_exchange
        else None
    )
    return html.Div([rows, exchange])


def sample_card(view: SampleView, t: Translator) -> html.Div:
    verdict = "pass" if view.passed else ("fail" if view.passed is False else view.status)
    header = html.Div(
        [
            html.Span(f"#{view.sample_id}", className="sample-id"),
            html.Span(view.subset, className="sample-subset"),
            html.Span(verdict, className=f"badge {verdict}"),
            html.Span(f"{t('score')}: {fmt_score(view.score)}", className="sample-score"),
        ],
        className="sample-head",
    )
    fields = [
        field(t("prompt"), markdown(view.prompt), "prompt"),
        field(t("gold"), html.Code(view.gold), "gold"),
        output_field(view, t),
        field(t("extracted"), html.Code(view.extracted), "extracted"),
        field(
            t("score"), html.Code(", ".join(f"{k}={v:g}" for k, v in view.scores.items()) or "-"), "scores"
        ),
    ]
    if view.reasoning:
        fields.insert(2, field("Reasoning", markdown(view.reasoning), "reasoning"))
    if view.conversation:  # a multi-turn item: every user turn and the model's answer to it, in order
        fields[0] = field("Conversation", conversation_block(view), "conversation")
    if view.trajectory:  # an agent loop: every answer, tool call and result after the prompt
        steps = trajectory_block(view.trajectory, view.trajectory_summary)
        fields.insert(1, field("Trajectory", steps, "trajectory"))
    if view.judge:
        fields.append(field(t("judge"), judge_block(view), "judge"))
    if view.error:
        fields.append(field(t("error"), html.Pre(view.error), "error"))
    return html.Div(
        [header, *fields],
        className=f"sample {verdict}",
        **{"data-sample-id": view.sample_id, "data-verdict": verdict},  # type: ignore[arg-type]  # data-* attributes reach Dash through **kwargs
    )


def predictions(
    ctx: SiteContext, key: str, dataset: str, subset: str, kind: str, threshold: float, search: str, page: int
) -> tuple[Any, str, int]:
    k = run_repeats(ctx.catalog.report(key, dataset))
    if k > 1:  # a repeated run: one card per item (j/k), folding out its k answers

        def items(n: int) -> tuple[list[ItemGroup], int]:
            return item_page(
                ctx.catalog, key, dataset=dataset, k=k, subset=subset, kind=kind, threshold=threshold,
                search=search, page=n, size=PAGE_SIZE,
            )  # fmt: skip

        groups, total = items(max(page, 0))
        page, pages = clamp_page(page, total)
        if not groups and total:  # past the last page (the filter shrank): the last one
            groups, total = items(page)
        item_cards: list[Any] = [item_card(g, ctx.t) for g in groups] or [html.P("-", className="hint")]
        return item_cards, ctx.t("page_of_items", page=page + 1, pages=pages, total=total), page
    where = browser_filter(dataset=dataset, subset=subset, kind=kind, threshold=threshold, search=search)
    total = ctx.catalog.count(key, where)
    page, pages = clamp_page(page, total)
    where.offset, where.limit = page * PAGE_SIZE, PAGE_SIZE
    views = [sample_view(r, threshold=threshold) for r in ctx.catalog.results(key, where)]
    cards: list[Any] = [sample_card(v, ctx.t) for v in views] or [html.P("-", className="hint")]
    return cards, ctx.t("page_of", page=page + 1, pages=pages, total=total), page


def register(app: Any, ctx: SiteContext) -> None:
    @app.callback(
        Output("ds-dataset", "options"),
        Output("ds-dataset", "value"),
        Input("ds-run", "value"),
        prevent_initial_call=True,
    )
    def _datasets(key: str) -> Any:
        names = ctx.catalog.datasets(key)
        return names, names[0] if names else None

    @app.callback(
        Output("ds-subset", "options"),
        Output("ds-subset", "value"),
        Output("ds-scores", "children"),
        Input("ds-run", "value"),
        Input("ds-dataset", "value"),
    )
    def _scores(key: str, dataset: str | None) -> Any:
        report = ctx.catalog.report(key, dataset) if dataset else None
        return subset_options(report, ctx.t), "", [*repeats_parts(report, ctx, key), scores(report, ctx)]

    @app.callback(
        Output("ds-samples", "children"),
        Output("ds-page-info", "children"),
        Output("ds-page", "data"),
        Input("ds-run", "value"),
        Input("ds-dataset", "value"),
        Input("ds-subset", "value"),
        Input("ds-filter", "value"),
        Input("ds-threshold", "value"),
        Input("ds-search", "value"),
        *page_inputs("ds"),
        State("ds-page", "data"),
    )
    def _samples(key, dataset, subset, kind, threshold, search, _prev, _next, page):  # noqa: ANN001
        if not dataset:
            return [], "", 0
        page = turn_page("ds", page)
        value = DEFAULT_THRESHOLD if threshold is None else float(threshold)
        return predictions(ctx, key, dataset, subset or "", kind or "all", value, search or "", page)


PAGE = Page(path="/dataset", title="page_dataset", layout=layout, register=register, order=20)
