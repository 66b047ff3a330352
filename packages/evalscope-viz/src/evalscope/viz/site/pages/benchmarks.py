"""Benchmarks: the catalogue `evalscope benchmarks` prints, and a detail view per benchmark with the
same fields as `evalscope benchmarks NAME` (one prompt rendered from the local data included).

Both come from `evalscope.app.catalogue.describe_benchmark`; the local data is looked for under
`$EVALSCOPE_DATASET_DIR`. A benchmark is chosen from the list (`/benchmarks?name=gsm8k`) or the picker.
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import parse_qs

from dash import Input, Output, dcc, html

from evalscope.viz.site.components import field, section
from evalscope.viz.site.context import SiteContext
from evalscope.viz.site.pages import Page

STRINGS = {
    "page_benchmarks": ("Benchmarks", "基准测试"),
    "bench_pick": ("Benchmark", "基准"),
    "bench_choose": ("Choose a benchmark for its details.", "选择一个基准查看详情。"),
    "bench_data": ("Data", "数据"),
    "bench_subsets": ("Subsets", "子集"),
    "bench_settings": ("Settings", "设置"),
    "bench_prompt": ("Prompt", "提示词"),
    "bench_extraction": ("Extraction and scoring", "答案提取与评分"),
    "bench_run": ("Run it", "运行"),
    "bench_dataset_dir": ("Local data under", "本地数据目录"),
}


def dataset_dir() -> str | None:
    """Where the local data is looked for (as `evalscope benchmarks`: $EVALSCOPE_DATASET_DIR)."""
    return os.environ.get("EVALSCOPE_DATASET_DIR") or None


def catalogue_rows() -> list[list[Any]]:
    from evalscope.app.catalogue import describe_benchmark, summary
    from evalscope.benchmarks import benchmark_names

    rows: list[list[Any]] = []
    for name in benchmark_names():
        info = summary(describe_benchmark(name, dataset_dir(), example=False))
        link = dcc.Link(name, href=f"/benchmarks?name={name}", className="bench-link")
        if "error" in info:
            rows.append([link, f"not available: {info['error']}", "", "", "", "", ""])
            continue
        local = (
            "-"
            if not info["local_dir"]
            else "?"
            if info["local_path"] is None
            else "found"
            if info["local_found"]
            else "no"
        )
        rows.append(
            [
                link,
                info["description"],
                str(info["num_subsets"]),
                ", ".join(info["metrics"]),
                ", ".join(info["output_types"]),
                str(info["few_shot_num"]),
                local,
            ]
        )
    return rows


def layout(ctx: SiteContext, keys: list[str]) -> Any:
    from evalscope.benchmarks import benchmark_names

    t = ctx.t
    where = dataset_dir()
    headers = ["Name", "Description", t("bench_subsets"), "Metrics", "Output types", "Shots", "Local"]
    grid = html.Table(
        [
            html.Thead(html.Tr([html.Th(h) for h in headers])),
            html.Tbody([html.Tr([html.Td(c) for c in row]) for row in catalogue_rows()]),
        ],
        id="benchmarks-table",
        className="grid",
    )
    return html.Div(
        [
            dcc.Location(id="benchmarks-url", refresh=False),
            html.P(f"{t('bench_dataset_dir')}: {where or '-'} (EVALSCOPE_DATASET_DIR)", className="hint"),
            section(
                t("bench_pick"),
                dcc.Dropdown(
                    id="benchmark-pick",
                    options=[{"label": n, "value": n} for n in benchmark_names()],
                    placeholder=t("bench_choose"),
                ),
            ),
            html.Div(html.P(t("bench_choose"), className="hint"), id="benchmark-detail"),
            section(t("page_benchmarks"), grid),
        ]
    )


def detail(ctx: SiteContext, name: str) -> list[Any]:
    """One benchmark's card, the fields of `evalscope benchmarks NAME`."""
    from evalscope.app.catalogue import describe_benchmark
    from evalscope.cli.benchmarks_text import data_lines, example_lines

    t = ctx.t
    card = describe_benchmark(name, dataset_dir())
    if card.error is not None:
        return [html.H3(name), html.P(f"not available: {card.error}", className="error")]
    title = card.name if card.pretty_name in ("", card.name) else f"{card.name} ({card.pretty_name})"
    example = example_lines(card)
    return [
        html.H3(title, id="benchmark-title"),
        html.P(card.description),
        section(t("bench_data"), html.Pre("\n".join(data_lines(card)), id="benchmark-data")),
        section(
            f"{t('bench_subsets')} ({len(card.subsets)})",
            html.P(", ".join(card.subsets), id="benchmark-subsets"),
        ),
        section(
            t("bench_settings"),
            field("Output types", ", ".join(card.output_types), "output_types"),
            field(
                "Local model / service",
                f"{card.local_model_output_type or '-'} / {card.service_output_type or '-'}",
                "output_type_by_model",
            ),
            field("Few-shot default", str(card.few_shot_num), "few_shot"),
            field("Metrics", ", ".join(card.metrics), "metrics"),
        ),
        section(
            t("bench_prompt"),
            html.P(example[0] if example else ""),
            html.Pre("\n".join(example[1:]), id="benchmark-example"),
        ),
        section(
            t("bench_extraction"),
            html.Ul([html.Li(line) for line in card.extraction], id="benchmark-extraction"),
        ),
        section(t("bench_run"), html.Pre(card.command, id="benchmark-command")),
    ]


def register(app: Any, ctx: SiteContext) -> None:
    @app.callback(Output("benchmark-pick", "value"), Input("benchmarks-url", "search"))
    def _from_url(search: str | None) -> Any:
        names = parse_qs((search or "").lstrip("?")).get("name")
        return names[0] if names else None

    @app.callback(Output("benchmark-detail", "children"), Input("benchmark-pick", "value"))
    def _show(name: str | None) -> Any:
        if not name:
            return html.P(ctx.t("bench_choose"), className="hint")
        return detail(ctx, name)


PAGE = Page(
    path="/benchmarks", title="page_benchmarks", layout=layout, register=register, order=45, strings=STRINGS
)
