"""The run page: start an evaluation or a perf run, watch it, stop it, resume it.

Present only while starting runs is on (not `evalscope app --read-only`), and only with the access
token: the page, and every callback of it (ids `runpage-*`), answer 403 without the token's cookie
(`access.install_run_guard`). The forms become argument lists in `launch.py`; the children live in
`runs.py`.
"""

from __future__ import annotations

from typing import Any

from dash import Input, Output, State, callback_context, dcc, html, no_update

from evalscope.core.numeric import format_number
from evalscope.viz.site.components import fmt_score, fmt_seconds, section, table
from evalscope.viz.site.context import SiteContext
from evalscope.viz.site.launch import (
    EVAL_TYPES,
    PERF_DATASETS,
    FieldError,
    benchmark_names,
    build_eval,
    build_perf,
)
from evalscope.viz.site.pages import Page

PATH = "/run"
PREFIX = "runpage-"
#: milliseconds between progress reads
TICK_MS = 1000
EVAL_FIELDS = (
    "model",
    "eval_type",
    "api_url",
    "api_key",
    "datasets",
    "limit",
    "eval_batch_size",
    "max_tokens",
    "temperature",
    "dataset_dir",
    "model_args",
    "use_cache",
    "config",
)
PERF_FIELDS = (
    "perf_url",
    "perf_model",
    "perf_api_key",
    "parallel",
    "number",
    "perf_max_tokens",
    "dataset",
    "dataset_path",
    "prompt",
)

STRINGS = {
    "page_run": ("Run", "运行评测"),
    "run_eval": ("Start an evaluation", "启动评测"),
    "run_perf": ("Start a perf run", "启动性能测试"),
    "run_start": ("Start", "启动"),
    "run_stop": ("Stop", "停止"),
    "run_resume": ("Resume", "继续"),
    "run_started": ("Runs started here", "本页启动的运行"),
    "run_progress": ("Progress", "进度"),
    "run_log": ("Log", "日志"),
    "run_no_token": (
        "Starting runs needs the access token: open the run page's URL that `evalscope app` printed "
        "at start-up (it ends in /run?token=...).",
        "启动评测需要访问令牌：请打开 `evalscope app` 启动时打印的运行页面链接（以 /run?token=... 结尾）。",
    ),
    "run_none": ("No run started yet.", "尚未启动运行。"),
}

LABELS = {
    "model": "Model (id, path or served name)",
    "eval_type": "Eval type",
    "api_url": "API URL (service)",
    "api_key": "API key (service; passed in the environment, never stored)",
    "datasets": "Datasets",
    "limit": "Limit (samples per dataset)",
    "eval_batch_size": "Batch size / concurrency",
    "max_tokens": "Max tokens",
    "temperature": "Temperature",
    "dataset_dir": "Dataset dir",
    "model_args": "Model args (k=v,...)",
    "use_cache": "Resume from run dir (--use-cache)",
    "config": "Or a config file (YAML/JSON)",
    "perf_url": "URL",
    "perf_model": "Model",
    "perf_api_key": "API key",
    "parallel": "Parallel",
    "number": "Requests",
    "perf_max_tokens": "Max tokens",
    "dataset": "Dataset",
    "dataset_path": "Dataset path",
    "prompt": "Or a fixed prompt",
}


def _id(name: str) -> str:
    return PREFIX + name.replace("_", "-")


def _input(name: str, **kw: Any) -> html.Label:
    kw.setdefault("type", "text")
    kw.setdefault("debounce", False)
    return html.Label(
        [
            html.Span(LABELS[name], className="field-label"),
            dcc.Input(id=_id(name), className="run-input", **kw),
        ],
        className="run-field",
    )


def _dropdown(name: str, options: list[str], value: Any, multi: bool = False) -> html.Label:
    return html.Label(
        [
            html.Span(LABELS[name], className="field-label"),
            dcc.Dropdown(id=_id(name), options=options, value=value, multi=multi, clearable=multi),
        ],
        className="run-field",
    )


def eval_form(ctx: SiteContext) -> html.Section:
    t = ctx.t
    return section(
        t("run_eval"),
        html.Div(
            [
                _input("model", placeholder="smollm2-135m-instruct"),
                _dropdown("eval_type", list(EVAL_TYPES), "checkpoint"),
                _input("api_url", placeholder="http://127.0.0.1:8000/v1"),
                _input("api_key", type="password", autoComplete="off"),
                _dropdown("datasets", benchmark_names(), [], multi=True),
                _input("limit", type="number", min=1, placeholder="all"),
                _input("eval_batch_size", type="number", min=1),
                _input("max_tokens", type="number", min=1),
                _input("temperature", type="number", min=0, max=2, step=0.1),
                _input("dataset_dir"),
                _input("model_args", placeholder="delay=0.5"),
                _input("use_cache"),
                _input("config"),
            ],
            className="run-form",
        ),
        html.Button(t("run_start"), id=_id("start_eval"), n_clicks=0, className="primary"),
    )


def perf_form(ctx: SiteContext) -> html.Section:
    t = ctx.t
    return section(
        t("run_perf"),
        html.Div(
            [
                _input("perf_url", placeholder="http://127.0.0.1:8000/v1"),
                _input("perf_model"),
                _input("perf_api_key", type="password", autoComplete="off"),
                _input("parallel", type="number", min=1, value=1),
                _input("number", type="number", min=1, value=10),
                _input("perf_max_tokens", type="number", min=1),
                _dropdown("dataset", list(PERF_DATASETS), "openqa"),
                _input("dataset_path"),
                _input("prompt"),
            ],
            className="run-form",
        ),
        html.Button(t("run_start"), id=_id("start_perf"), n_clicks=0, className="primary"),
    )


def layout(ctx: SiteContext, keys: list[str]) -> Any:
    from evalscope.viz.site.access import request_has_token

    t = ctx.t
    launcher = ctx.launcher
    if launcher is None or not request_has_token(launcher.token):
        return html.P(t("run_no_token"), className="error", id=_id("no_token"))
    return html.Div(
        [
            html.Div([eval_form(ctx), perf_form(ctx)], className="run-forms"),
            html.Div(id=_id("message"), className="run-message"),
            section(
                t("run_started"),
                html.Div(
                    [
                        dcc.Dropdown(
                            id=_id("runs"),
                            options=run_choices(ctx),
                            value=None,
                            clearable=False,
                            className="run-picked",
                        ),
                        html.Button(t("run_stop"), id=_id("stop"), n_clicks=0),
                        html.Button(t("run_resume"), id=_id("resume"), n_clicks=0),
                    ],
                    className="buttons",
                ),
                html.Div(id=_id("status"), className="run-status"),
            ),
            section(t("run_progress"), html.Div(id=_id("progress"))),
            section(t("run_log"), html.Pre(id=_id("log"), className="run-log")),
            dcc.Interval(id=_id("tick"), interval=TICK_MS),
            dcc.Store(id=_id("generation"), data=0),
        ],
        id=_id("root"),
    )


def run_choices(ctx: SiteContext) -> list[dict[str, str]]:
    return [
        {"label": f"#{c.id} {c.launch.label} · {c.status}", "value": c.id}
        for c in reversed(ctx.launcher.list())
    ]


def progress_table(ctx: SiteContext, child: Any) -> Any:
    from evalscope.viz.site.runs import progress_rows

    if child.launch.kind != "eval":
        return html.P(f"{child.launch.kind}: {child.status}", className="hint")
    state = ctx.launcher.progress(child)
    headers = ["Dataset", "Done", "Samples/s", "Score so far", "Errors", "ETA", "State"]
    rows = [
        [
            r["dataset"],
            f"{r['done']}/{r['total'] if r['total'] is not None else '?'}",
            format_number(r["rate"]) if r["rate"] is not None else "-",
            fmt_score(r["score"]) if r["score"] is not None else "-",
            r["errors"],
            fmt_seconds(r["eta"]),
            r["state"],
        ]
        for r in progress_rows(state)
    ]
    parts: list[Any] = [table(headers, rows, table_id=_id("table"))]
    if state.message:
        parts.append(html.P(state.message, className="hint"))
    return parts


def status_line(child: Any) -> Any:
    where = str(child.launch.run_dir)
    return html.Div(
        [html.Strong(child.status), html.Span(f" · {child.launch.label} · {where}")],
        **{"data-status": child.status.split(" ")[0], "data-run-dir": where},
    )


def register(app: Any, ctx: SiteContext) -> None:
    launcher = ctx.launcher
    if launcher is None:
        return
    fields = [State(_id(n), "value") for n in EVAL_FIELDS + PERF_FIELDS]

    @app.callback(
        Output(_id("message"), "children"),
        Output(_id("runs"), "options"),
        Output(_id("runs"), "value"),
        Output(_id("api_key"), "value"),
        Output(_id("perf_api_key"), "value"),
        Input(_id("start_eval"), "n_clicks"),
        Input(_id("start_perf"), "n_clicks"),
        Input(_id("stop"), "n_clicks"),
        Input(_id("resume"), "n_clicks"),
        State(_id("runs"), "value"),
        *fields,
        prevent_initial_call=True,
    )
    def _act(_e: int, _p: int, _s: int, _r: int, picked: str | None, *values: Any) -> Any:
        form = dict(zip(EVAL_FIELDS + PERF_FIELDS, values))
        trigger = callback_context.triggered_id
        chosen = picked
        try:
            if trigger == _id("start_eval"):
                chosen = launcher.start(build_eval(form, launcher.outputs)).id
            elif trigger == _id("start_perf"):
                chosen = launcher.start(build_perf(form, launcher.outputs)).id
            elif trigger == _id("stop") and picked:
                launcher.stop(picked)
            elif trigger == _id("resume") and picked:
                resumed = launcher.resume(picked)
                if resumed is None:
                    raise FieldError("run", "still running, or unknown: stop it first")
                chosen = resumed.id
        except FieldError as exc:
            error = html.P(str(exc), className="error", **{"data-field": exc.field})  # type: ignore[arg-type]  # data-* attribute
            return error, no_update, no_update, no_update, no_update
        except OSError as exc:
            return (
                html.P(f"cannot start: {exc}", className="error"),
                no_update,
                no_update,
                no_update,
                no_update,
            )
        # a key typed in leaves the page once its run has it (the launcher keeps it for Resume)
        return "", run_choices(ctx), chosen, "", ""

    @app.callback(
        Output(_id("status"), "children"),
        Output(_id("progress"), "children"),
        Output(_id("log"), "children"),
        Output(_id("generation"), "data"),
        Output("run-picker", "options", allow_duplicate=True),
        Output("no-runs", "hidden", allow_duplicate=True),
        Input(_id("tick"), "n_intervals"),
        Input(_id("runs"), "value"),
        State(_id("generation"), "data"),
        prevent_initial_call=True,
    )
    def _tick(_n: int | None, picked: str | None, seen: int | None) -> Any:
        from evalscope.viz.site.app import run_options

        options: Any = no_update
        hidden: Any = no_update
        generation = launcher.generation
        if generation != (seen or 0):  # a child ended: the run list shows what it wrote
            options = run_options(ctx.catalog)
            hidden = bool(options)
        child = launcher.get(picked) if picked else None
        if child is None:
            return html.P(ctx.t("run_none"), className="hint"), [], "", generation, options, hidden
        log = "\n".join(list(child.lines)[-200:])
        return status_line(child), progress_table(ctx, child), log, generation, options, hidden


PAGE = Page(path=PATH, title="page_run", layout=layout, register=register, order=95, strings=STRINGS)


def is_run_request() -> bool:
    """Whether the current request is the run page or one of its callbacks (they need the token)."""
    import flask

    request = flask.request
    if request.path == PATH:
        return True
    if request.path != "/_dash-update-component" or request.method != "POST":
        return False
    # any body naming the page's components, whatever its content type says (the router rendering
    # this page is not refused: its layout itself shows nothing but a hint without the token)
    body = request.get_json(force=True, silent=True, cache=True)
    outputs = str(body.get("output", "")) if isinstance(body, dict) else request.get_data(as_text=True)
    return PREFIX in outputs
