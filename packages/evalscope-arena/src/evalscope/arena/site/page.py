"""The arena page of the report site: arena runs of the outputs directory and the stores, the rating
table (Bradley-Terry with its 95% interval, Elo, battles, W/L/T, win rate with its interval, judge
invalid), the ratings as charts with error bars, and the battle browser (pair, verdict, search), each
battle with the question, both answers, every game's verdict and the judge's raw replies."""

from __future__ import annotations

import glob
import time
from pathlib import Path
from typing import Any

from dash import Input, Output, State, dcc, html

from evalscope.arena.results import ArenaResult, table_rows
from evalscope.arena.site.records import (
    DATASET,
    PAIR_VERDICTS,
    SINGLE_VERDICTS,
    Battle,
    Ratings,
    find_battles,
    mode_of,
    pair_names,
    ratings_of,
)
from evalscope.core.ports import ResultFilter
from evalscope.viz.data.catalog import RunEntry
from evalscope.viz.site import charts
from evalscope.viz.site.components import chart, field, markdown, section, stat, table
from evalscope.viz.site.context import SiteContext
from evalscope.viz.site.i18n import Translator
from evalscope.viz.site.pages import Page
from evalscope.viz.site.paging import PAGE_SIZE, clamp_page, page_inputs, pager, turn_page

STRINGS: dict[str, tuple[str, str]] = {
    "page_arena": ("Arena", "竞技场"),
    "arena_runs": ("Arena runs", "竞技场运行"),
    "arena_none": (
        "No arena runs in the outputs directory or the stores (evalscope arena --config arena.yaml).",
        "输出目录和数据库中没有竞技场运行 (evalscope arena --config arena.yaml)。",
    ),
    "arena_ratings": ("Ratings", "评分"),
    "arena_battles": ("Battles", "对战"),
    "arena_mode": ("Mode", "模式"),
    "arena_judge": ("Judge", "裁判"),
    "arena_order": ("Order", "顺序"),
    "arena_judged": ("Battles judged", "已评判对战"),
    "arena_valid": ("Valid", "有效"),
    "arena_invalid": ("Judge invalid", "裁判无效"),
    "arena_calls": ("Judge calls", "裁判调用"),
    "arena_calls_value": ("{made} made · {reused} reused", "新调用 {made} · 复用 {reused}"),
    "arena_from_file": ("Numbers of {path}.", "数据来自 {path}。"),
    "arena_recomputed": (
        "Recomputed from the {n} stored battles ({why}): battles, W/L/T, Bradley-Terry ratings and win rates "
        "are exact; Elo is the run's report's where it has one; the bootstrap intervals are redrawn with the "
        "run's seed and may differ slightly from those evalscope arena printed.",
        "由数据库中的 {n} 场对战重新计算（{why}）：对战数、胜/负/平、Bradley-Terry 评分和胜率完全一致；Elo 取自报告；"
        "bootstrap 区间按运行的种子重新抽样，可能与 evalscope arena 输出的略有不同。",
    ),
    "arena_still_running": ("the run is still judging", "运行仍在评判中"),
    "arena_no_file": (
        "its work dir holds no ratings.json of this run in the current format",
        "运行目录下没有当前格式的本运行 ratings.json",
    ),
    "arena_invalid_by_pair": ("Judge invalid by pair", "各对战组合的裁判无效数"),
    "arena_missing": ("Questions without an answer (no battle)", "无回答的问题（未对战）"),
    "arena_bt_chart": ("Bradley-Terry rating (95% CI)", "Bradley-Terry 评分 (95% CI)"),
    "arena_win_chart": ("Win rate {versus}, ties half (95% CI)", "胜率 {versus}，平局计半 (95% CI)"),
    "arena_mean_chart": ("Mean rating (95% CI)", "平均评分 (95% CI)"),
    "arena_pair": ("Pair", "组合"),
    "arena_all_pairs": ("All pairs", "全部组合"),
    "arena_all_models": ("All models", "全部模型"),
    "arena_verdict": ("Verdict", "结论"),
    "arena_v_all": ("All", "全部"),
    "arena_v_a": ("First model wins", "前者胜"),
    "arena_v_b": ("Second model wins", "后者胜"),
    "arena_v_a_named": ("{model} wins", "{model} 胜"),
    "arena_v_tie": ("Tie", "平局"),
    "arena_v_invalid": ("Judge invalid", "裁判无效"),
    "arena_v_graded": ("Graded", "已评分"),
    "arena_v_error": ("Error", "错误"),
    "arena_page_of": ("page {page} of {pages} · {total} battles", "第 {page}/{pages} 页 · 共 {total} 场对战"),
    "arena_question": ("Question", "问题"),
    "arena_reference": ("Reference", "参考答案"),
    "arena_games": ("Verdicts", "裁判结论"),
    "arena_game": ("Game", "局"),
    "arena_shown_a": ("Shown as A", "作为 A"),
    "arena_shown_b": ("Shown as B", "作为 B"),
    "arena_label": ("Verdict", "结论"),
    "arena_winner": ("Winner", "胜者"),
    "arena_read": ("Read", "解析"),
    "arena_replies": ("Judge replies ({n} calls)", "裁判原始回复（{n} 次调用）"),
    "arena_prompt": ("prompt", "提示词"),
    "arena_game_title": ("game {i}: {first} shown first", "第 {i} 局：{first} 在前"),
    "arena_attempts": ("attempts {n}", "尝试 {n} 次"),
    "arena_reused": ("reused from the cache", "来自缓存"),
    "arena_reason": ("Why invalid", "无效原因"),
}


def run_option(entry: RunEntry, t: Translator) -> dict[str, Any]:
    info = entry.info
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(info.started_at)) if info.started_at else ""
    models = len((info.config or {}).get("models") or [])
    detail = " · ".join(x for x in (mode_of(info), f"{models} models", info.status, when) if x)
    return {
        "label": html.Span([html.Span(entry.label, className="run-label"), html.Span(detail, className="run-detail")]),
        "value": entry.key,
    }


def layout(ctx: SiteContext, keys: list[str]) -> Any:
    t = ctx.t
    runs = ctx.catalog.runs(kind="arena")
    errors = [html.P(e, className="error") for e in ctx.catalog.errors_by_kind.get("arena", [])]
    if not runs:
        return html.Div([html.P(t("arena_none"), className="hint", id="arena-none"), *errors])
    chosen = runs[-1].key
    return html.Div(
        [
            section(
                t("arena_runs"),
                dcc.RadioItems(
                    id="arena-run", options=[run_option(e, t) for e in runs], value=chosen, className="picker arena-runs"
                ),
                *errors,
            ),
            html.Div(body(ctx, chosen), id="arena-body"),
        ]
    )


def _report(ctx: SiteContext, key: str) -> Any:
    return next((r for r in ctx.catalog.reports(key) if r.dataset_name == DATASET), None)


def where_it_lies(entry: RunEntry) -> list[Path]:
    """Folders that may hold the run dir now (its run.json names where it was written, which a copy
    or move leaves behind): the outputs directory itself, `<outputs>/<name>`, `<outputs>/*/<name>`."""
    if not entry.source.is_path:
        return []
    root = Path(entry.source.location)
    return [root / entry.name, *sorted(root.glob(f"*/{glob.escape(entry.name)}")), root]


def body(ctx: SiteContext, key: str) -> list[Any]:
    entry = ctx.catalog.run(key)
    report = _report(ctx, key)
    places = where_it_lies(entry)
    ratings = ratings_of(
        entry.info, lambda: ctx.catalog.results(key, ResultFilter(dataset=DATASET)), report, places
    )
    single = mode_of(entry.info) == "single"
    return [
        dcc.Store(id="arena-key", data=key),
        ratings_section(ctx, entry, ratings),
        rating_charts(ctx, ratings.result, float((entry.info.config or {}).get("elo_init", 1000.0))),
        battles_section(ctx, entry, report, single),
    ]


def ratings_section(ctx: SiteContext, entry: RunEntry, ratings: Ratings) -> Any:
    t, info, result = ctx.t, entry.info, ratings.result
    cfg = info.config or {}
    judge = (cfg.get("judge_model_args") or {}).get("model_id") or "-"
    cards = [
        stat(t("arena_mode"), result.mode + (f" (baseline {result.baseline})" if result.baseline else ""), "mode"),
        stat(t("arena_judge"), judge, "judge"),
        stat(t("arena_order"), cfg.get("position_bias_mitigation", "-"), "order"),
        stat(t("status"), info.status, "status"),
        stat(t("arena_judged"), result.battles_total, "judged"),
        stat(t("arena_valid"), result.battles_valid, "valid"),
        stat(t("arena_invalid"), result.battles_invalid, "invalid"),
    ]
    if ratings.source == "file":
        calls = t("arena_calls_value", made=result.judge_calls, reused=result.judge_cached)
        cards.append(stat(t("arena_calls"), calls, "calls"))
        note = t("arena_from_file", path=ratings.path)
    else:
        why = t("arena_still_running") if info.status == "running" else t("arena_no_file")
        note = t("arena_recomputed", n=result.battles_total, why=why)
    headers, rows = table_rows(result)
    lines = [html.P(note, className="hint", id="arena-source", **{"data-source": ratings.source})]  # type: ignore[arg-type]  # data-* attributes reach Dash through **kwargs
    if result.invalid_by_pair:
        text = ", ".join(f"{k}: {v}" for k, v in sorted(result.invalid_by_pair.items()))
        lines.append(html.P(f"{t('arena_invalid_by_pair')}: {text}", id="arena-invalid-by-pair"))
    missing = {k: v for k, v in result.missing.items() if v}
    if missing:
        lines.append(html.P(f"{t('arena_missing')}: " + ", ".join(f"{k}: {v}" for k, v in missing.items())))
    return section(
        t("arena_ratings"),
        html.Div(cards, className="stats"),
        table(headers, rows, table_id="arena-ratings"),
        *lines,
    )


def rating_charts(ctx: SiteContext, result: ArenaResult, init: float) -> Any:
    t = ctx.t
    names = [m.model for m in result.models]

    def ci(interval: Any) -> tuple[float, float] | None:
        return None if interval is None else (interval.low, interval.high)

    if result.mode == "single":
        figures = [
            chart(
                "arena-mean-rating",
                charts.interval_chart(
                    names, [m.mean_rating for m in result.models], [ci(m.mean_rating_ci) for m in result.models],
                    t("arena_mean_chart"), "rating (1-10)", bars=True, y_range=(0, 10.5),
                ),
                t,
            )
        ]
    else:
        versus = f"vs {result.baseline}" if result.baseline else "vs all"
        rated = [m for m in result.models if not (result.baseline and m.model == result.baseline)]
        figures = [
            chart(
                "arena-bt",
                charts.interval_chart(
                    names, [m.bt for m in result.models], [ci(m.bt_ci) for m in result.models],
                    t("arena_bt_chart"), "rating (Elo scale)", reference=init,
                ),
                t,
            ),
            chart(
                "arena-win-rate",
                charts.interval_chart(
                    [m.model for m in rated], [m.win_rate for m in rated],
                    [ci(m.win_rate_ci) for m in rated], t("arena_win_chart", versus=versus), "win rate",
                    bars=True, y_range=(0, 1.05),
                ),
                t,
            ),
        ]
    return html.Div(figures, className="charts-row")


def verdict_options(t: Translator, single: bool, pair: str | None) -> list[dict[str, str]]:
    if single:
        return [{"label": t(f"arena_v_{v}"), "value": v} for v in SINGLE_VERDICTS]
    first, _, second = (pair or "").partition(" vs ")
    names = {"a": first, "b": second} if pair and second else {}
    return [
        {"label": t("arena_v_a_named", model=names[v]) if v in names else t(f"arena_v_{v}"), "value": v}
        for v in PAIR_VERDICTS
    ]


def battles_section(ctx: SiteContext, entry: RunEntry, report: Any, single: bool) -> Any:
    t = ctx.t
    pairs = pair_names(entry.info, report)
    everything = t("arena_all_models") if single else t("arena_all_pairs")
    return section(
        t("arena_battles"),
        html.Div(
            [
                html.Label(t("arena_pair")),
                dcc.RadioItems(
                    id="arena-pair",
                    options=[{"label": everything, "value": ""}] + [{"label": p, "value": p} for p in pairs],
                    value="",
                    inline=True,
                    className="picker",
                ),
            ],
            className="controls",
        ),
        html.Div(
            [
                html.Label(t("arena_verdict")),
                dcc.RadioItems(
                    id="arena-verdict", options=verdict_options(t, single, None), value="all", inline=True,
                    className="picker",
                ),
                html.Label(t("search")),
                dcc.Input(id="arena-search", type="search", value="", debounce=True, placeholder="…"),
            ],
            className="controls",
        ),
        pager("arena", t, dcc.Store(id="arena-single", data=single)),
        html.Div(id="arena-list"),
    )


def badge(b: Battle, t: Translator) -> tuple[str, str]:
    """(text, css class) of a battle's outcome."""
    if b.verdict == "a":
        return t("arena_v_a_named", model=b.model_a), "win"
    if b.verdict == "b":
        return t("arena_v_a_named", model=b.model_b), "win"
    if b.verdict == "graded":
        return f"{t('score')} {b.score:g}" if b.score is not None else t("arena_v_graded"), "win"
    return t(f"arena_v_{b.verdict}"), b.verdict


def games_table(b: Battle, t: Translator) -> Any:
    rows = []
    for i, g in enumerate(b.games, 1):
        winner = g.winner if g.winner is not None else "-"
        rows.append([i, g.first, g.second or "-", g.label or "-", winner, "yes" if g.valid else f"no: {g.reason}"])
    headers = [t("arena_game"), t("arena_shown_a"), t("arena_shown_b"), t("arena_label"), t("arena_winner"), t("arena_read")]
    return table(headers, rows, table_id=f"games-{b.sample_id}", class_name="grid games")


def exchanges(b: Battle, t: Translator) -> Any:
    parts = []
    for i, (game, ex) in enumerate(zip(b.games, b.exchanges), 1):
        notes = [t("arena_attempts", n=ex.attempts)] + ([t("arena_reused")] if ex.cached else [])
        parts.append(
            html.Div(
                [
                    html.H5(f"{t('arena_game_title', i=i, first=game.first)} · {', '.join(notes)}"),
                    html.Pre("\n--- next attempt ---\n".join(ex.replies) or "-", className="judge-reply"),
                    html.Details([html.Summary(t("arena_prompt")), html.Pre(ex.prompt)]),
                ],
                className="exchange",
            )
        )
    return html.Details(
        [html.Summary(t("arena_replies", n=len(b.exchanges))), *parts], className="judge-replies"
    )


def battle_card(b: Battle, t: Translator) -> html.Div:
    text, css = badge(b, t)
    header = html.Div(
        [
            html.Span(f"#{b.question_id}", className="sample-id"),
            html.Span(b.subset, className="sample-subset"),
            html.Span(b.category, className="sample-subset"),
            html.Span(text, className=f"badge {css}"),
        ],
        className="sample-head",
    )
    sides = [html.Div([html.Div(b.model_a, className="side-label"), markdown(b.answer_a)], className="side", **{"data-side": "a"})]  # type: ignore[arg-type]  # data-* attributes reach Dash through **kwargs
    if b.model_b is not None:
        sides.append(
            html.Div([html.Div(b.model_b, className="side-label"), markdown(b.answer_b)], className="side", **{"data-side": "b"})  # type: ignore[arg-type]  # data-* attributes reach Dash through **kwargs
        )
    fields = [field(t("arena_question"), markdown(b.question), "question")]
    if b.reference:
        fields.append(field(t("arena_reference"), markdown(b.reference), "reference"))
    fields += [
        html.Div(sides, className="sides" if len(sides) == 2 else ""),
        field(t("arena_games"), games_table(b, t), "games"),
    ]
    if b.verdict == "invalid" and b.error:
        fields.append(field(t("arena_reason"), html.Code(b.error), "reason"))
    fields.append(exchanges(b, t))
    return html.Div(
        [header, *fields],
        className=f"sample battle {css}",
        **{"data-battle-id": b.sample_id, "data-verdict": b.verdict},  # type: ignore[arg-type]  # data-* attributes reach Dash through **kwargs
    )


def battle_page(
    ctx: SiteContext, key: str, pair: str, verdict: str, search: str, page: int, single: bool
) -> tuple[Any, str, int]:
    battles, total, page = find_battles(
        lambda where: ctx.catalog.results(key, where),
        lambda where: ctx.catalog.count(key, where),
        verdict=verdict, subset=pair or None, search=search, single=single, page=page, size=PAGE_SIZE,
    )
    _, pages = clamp_page(page, total)
    cards: list[Any] = [battle_card(b, ctx.t) for b in battles] or [html.P("-", className="hint")]
    return cards, ctx.t("arena_page_of", page=page + 1, pages=pages, total=total), page


def register(app: Any, ctx: SiteContext) -> None:
    @app.callback(Output("arena-body", "children"), Input("arena-run", "value"), prevent_initial_call=True)
    def _run(key: str) -> Any:
        return body(ctx, key)

    @app.callback(
        Output("arena-verdict", "options"),
        Input("arena-pair", "value"),
        State("arena-single", "data"),
        prevent_initial_call=True,
    )
    def _verdicts(pair: str | None, single: bool | None) -> Any:
        return verdict_options(ctx.t, bool(single), pair)

    @app.callback(
        Output("arena-list", "children"),
        Output("arena-page-info", "children"),
        Output("arena-page", "data"),
        Input("arena-key", "data"),
        Input("arena-pair", "value"),
        Input("arena-verdict", "value"),
        Input("arena-search", "value"),
        *page_inputs("arena"),
        State("arena-page", "data"),
        State("arena-single", "data"),
    )
    def _battles(key, pair, verdict, search, _prev, _next, page, single):  # noqa: ANN001
        page = turn_page("arena", page)
        allowed = SINGLE_VERDICTS if single else PAIR_VERDICTS
        verdict = verdict if verdict in allowed else "all"
        return battle_page(ctx, key, pair or "", verdict, search or "", page, bool(single))


PAGE = Page(path="/arena", title="page_arena", layout=layout, register=register, order=50, strings=STRINGS)
