"""The report site: a Dash app over a run catalog.

Every script, stylesheet and font comes from the installed packages (`serve_locally`, no external
scripts, MathJax from dash's own bundle), so the pages render offline. The server answers only its
pages, Dash's own routes and `/files/...` below the outputs directory; anything else (a `..` path,
a symlink out of the outputs directory, an unknown route or component script) is a 404. With an
access token (`viz/site/access.py`) every request without it is a 403.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import dash
import flask
import plotly.graph_objects as go
from dash import MATCH, Input, Output, State, callback_context, dcc, html
from dash.exceptions import DependencyException

from evalscope.viz.data.catalog import Catalog
from evalscope.viz.site.access import install_run_guard, install_token_guard
from evalscope.viz.site.context import SiteContext
from evalscope.viz.site.i18n import Translator
from evalscope.viz.site.pages import Page, all_pages

ASSETS = Path(__file__).parent / "assets"
#: Dash's own routes (scripts of the installed components, layout, callbacks)
DASH_PREFIXES = ("/_dash-", "/_reload-hash", "/_favicon.ico", "/assets/")
#: Dash's catch-all route (every path renders the index): only the site's pages may use it
CATCHALL = "/<path:path>"


def run_options(catalog: Catalog, refresh: bool = False) -> list[dict[str, Any]]:
    options = []
    for entry in catalog.runs(refresh=refresh):
        info = entry.info
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(info.started_at)) if info.started_at else ""
        detail = f"{', '.join(info.datasets)} · {info.status}" + (f" · {when}" if when else "")
        options.append(
            {
                "label": html.Span(
                    [html.Span(entry.label, className="run-label"), html.Span(detail, className="run-detail")]
                ),
                "value": entry.key,
            }
        )
    return options


def shell(ctx: SiteContext, pages: list[Page]) -> html.Div:
    t = ctx.t
    sources = [html.Div([html.Span(f"{t('outputs')}: "), html.Code(str(ctx.outputs))])] if ctx.outputs else []
    stores = [s.location for s in ctx.catalog.sources if not s.is_path]
    if stores:
        sources.append(html.Div([html.Span(f"{t('stores')}: "), *(html.Code(s) for s in stores)]))
    options = run_options(ctx.catalog)
    return html.Div(
        [
            dcc.Location(id="url", refresh="callback-nav"),
            dcc.Store(id="selection", storage_type="session", data=[]),
            html.Header(
                [
                    html.H1(t("title")),
                    html.Nav(
                        [
                            dcc.Link(t(p.title), href=p.path, id=f"nav-{p.path.strip('/')}", className="nav")
                            for p in pages
                        ]
                    ),
                ],
                className="top",
            ),
            html.Div(
                [
                    html.Aside(
                        [
                            html.H2(t("settings")),
                            *sources,
                            html.H4(t("reports")),
                            dcc.Checklist(id="run-picker", options=options, value=[], className="run-picker"),
                            html.P(t("no_runs"), className="hint", id="no-runs", hidden=bool(options)),
                            html.Div(
                                [
                                    html.Button(t("refresh"), id="refresh", n_clicks=0),
                                    html.Button(t("load"), id="load", n_clicks=0, className="primary"),
                                ],
                                className="buttons",
                            ),
                            html.Div(id="loaded"),
                            html.Div(
                                [html.P(e, className="error") for e in ctx.catalog.errors], id="source-errors"
                            ),
                        ],
                        className="settings",
                    ),
                    html.Main(id="page", className="page"),
                ],
                className="body",
            ),
        ]
    )


def register_shell(app: dash.Dash, ctx: SiteContext, pages: list[Page]) -> None:
    by_path = {p.path: p for p in pages}

    @app.callback(
        Output("run-picker", "options"),
        Output("no-runs", "hidden"),
        Output("source-errors", "children"),
        Input("refresh", "n_clicks"),
        prevent_initial_call=True,
    )
    def _refresh(_clicks: int) -> Any:
        options = run_options(ctx.catalog, refresh=True)
        return options, bool(options), [html.P(e, className="error") for e in ctx.catalog.errors]

    @app.callback(
        Output("selection", "data"),
        Output("url", "pathname"),
        Input("load", "n_clicks"),
        State("run-picker", "value"),
        State("url", "pathname"),
        prevent_initial_call=True,
    )
    def _load(_clicks: int, chosen: list[str] | None, path: str | None) -> Any:
        chosen = list(chosen or [])
        if path in (None, "/", "", "/run") or (len(chosen) < 2 and path == "/compare"):  # reports, not the run page
            path = pages[0].path
        return chosen, path

    @app.callback(
        Output("page", "children"),
        Output("loaded", "children"),
        Input("url", "pathname"),
        Input("selection", "data"),
    )
    def _route(path: str | None, selection: list[str] | None) -> Any:
        known = {e.key for e in ctx.catalog.runs()}
        keys = [k for k in selection or [] if k in known]
        loaded = (
            [html.H4(ctx.t("loaded")), html.Ul([html.Li(ctx.catalog.run(k).label) for k in keys])]
            if keys
            else []
        )
        page = by_path.get(path or "/") or (pages[0] if path in (None, "", "/") else None)
        if page is None:
            return html.P(ctx.t("not_found"), className="hint"), loaded
        return html.Div(page.layout(ctx, keys), id=f"page-{page.path.strip('/')}"), loaded


def register_exports(app: dash.Dash) -> None:
    """Every chart's PNG (kaleido with the system's Chromium) and HTML (plotly.js inlined) buttons."""

    @app.callback(
        Output({"type": "download", "name": MATCH}, "data"),
        Input({"type": "export-png", "name": MATCH}, "n_clicks"),
        Input({"type": "export-html", "name": MATCH}, "n_clicks"),
        State({"type": "chart", "name": MATCH}, "figure"),
        prevent_initial_call=True,
    )
    def _export(_png: int | None, _html: int | None, figure: dict[str, Any]) -> Any:
        trigger = callback_context.triggered_id or {}
        name = trigger.get("name", "chart")
        fig = go.Figure(figure)
        if trigger.get("type") == "export-png":
            return dcc.send_bytes(fig.to_image(format="png", width=1000, height=600, scale=2), f"{name}.png")
        return dict(
            content=fig.to_html(include_plotlyjs=True, full_html=True),
            filename=f"{name}.html",
            type="text/html",
        )


def guard(server: flask.Flask, pages: list[Page], outputs: Path | None) -> None:
    """404 for anything but the site's pages, Dash's routes and files below the outputs directory."""
    page_paths = {"/", *(p.path for p in pages)}

    @server.before_request
    def _only_known() -> None:
        raw = request_path()
        if ".." in raw.split("/") or "\\" in raw or "\x00" in raw:
            flask.abort(404)
        path = flask.request.path
        if path in page_paths or flask.request.endpoint == "outputs_file":
            return None
        if path.startswith(DASH_PREFIXES) and flask.request.endpoint != CATCHALL:
            return None
        flask.abort(404)

    @server.errorhandler(DependencyException)
    def _unknown_script(_exc: DependencyException) -> Any:
        """A component script that no installed package registered: not found, not a server error."""
        return "404 Not Found: no such component script\n", 404, {"Content-Type": "text/plain"}

    @server.route("/files/<path:rel>", endpoint="outputs_file")
    def _file(rel: str) -> Any:
        if outputs is None:
            flask.abort(404)
        target = (outputs / rel).resolve()
        if not target.is_relative_to(outputs) or not target.is_file():
            flask.abort(404)
        return flask.send_file(target)


def request_path() -> str:
    """The path as sent (percent-decoded twice, so `%2e%2e` and `%252e%252e` count as `..`)."""
    raw = (
        flask.request.environ.get("RAW_URI") or flask.request.environ.get("REQUEST_URI") or flask.request.path
    )
    return unquote(unquote(raw.split("?", 1)[0]))


def create_app(
    catalog: Catalog, lang: str = "en", token: str | None = None, launcher: Any = None
) -> dash.Dash:
    """The site over `catalog`; with `token`, every request must carry it (see `access.py`). With a
    `launcher` (`viz/site/runs.py`), the run page starts runs; it and its callbacks need the
    launcher's token even where the rest of the site does not."""
    pages = all_pages()
    if launcher is not None:
        from evalscope.viz.site.pages import run as run_page

        pages = sorted([*pages, run_page.PAGE], key=lambda p: p.order)
    strings = {key: pair for page in pages for key, pair in page.strings.items()}
    ctx = SiteContext(catalog=catalog, t=Translator(lang, extra=strings), launcher=launcher)
    server = flask.Flask(__name__, static_folder=None, root_path=str(Path(__file__).parent))
    if token:
        install_token_guard(server, token)  # first of the request hooks: nothing answers without it
    if launcher is not None:
        install_run_guard(server, launcher.token, run_page.is_run_request)
    app = dash.Dash(
        __name__,
        server=server,  # type: ignore[arg-type]  # Dash takes a Flask app here (its annotation says bool)
        title=ctx.t("title"),
        assets_folder=str(ASSETS),
        serve_locally=True,
        external_scripts=[],
        external_stylesheets=[],
        suppress_callback_exceptions=True,
        update_title=None,  # type: ignore[arg-type]  # None turns the title update off (documented; typed str)
        compress=False,
    )
    # no version check against plotly's server, no per-request log lines; every other dev tool off
    app.enable_dev_tools(
        debug=False, dev_tools_disable_version_check=True, dev_tools_silence_routes_logging=True
    )
    app.layout = lambda: shell(ctx, pages)
    register_shell(app, ctx, pages)
    register_exports(app)
    for page in pages:
        page.register(app, ctx)
    guard(server, pages, catalog.outputs)
    return app


def serve(app: dash.Dash, host: str = "127.0.0.1", port: int = 7861) -> Any:
    """A threaded WSGI server for the app (call `serve_forever()`, stop with `shutdown()`)."""
    from werkzeug.serving import make_server

    return make_server(host, port, app.server, threaded=True)
