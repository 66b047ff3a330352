"""`evalscope app` (the report site) and `evalscope tui` (the terminal dashboard).

Registered through the `evalscope.commands` entry-point group; Dash and Textual are imported only
when a command runs, so `evalscope --help` stays fast.
"""

from __future__ import annotations

import re
import signal
from pathlib import Path

import click

CONTEXT = {"help_option_names": ["-h", "--help"]}


@click.command("app", context_settings=CONTEXT)
@click.option(
    "--outputs",
    default="./outputs",
    show_default=True,
    help="Outputs directory whose runs (and perf runs) to show.",
)
@click.option(
    "--store-url",
    "store_urls",
    multiple=True,
    help="Also list the runs of this result store (sqlite:///..., postgresql://...); repeatable.",
)
@click.option(
    "--host",
    "--server-name",
    "host",
    default="127.0.0.1",
    show_default=True,
    help="Address to bind (loopback unless told otherwise; beyond loopback every request needs the access token).",
)
@click.option(
    "--port",
    "--server-port",
    "port",
    type=click.IntRange(0, 65535),
    default=7861,
    show_default=True,
    help="Port (0: any free port).",
)
@click.option("--lang", type=click.Choice(["en", "zh"]), default="en", show_default=True)
@click.option(
    "--token",
    envvar="EVALSCOPE_APP_TOKEN",
    help="Access token every request must carry (default: a random one when --host is not loopback). "
    "[env: EVALSCOPE_APP_TOKEN]",
)
@click.option(
    "--require-token",
    is_flag=True,
    help="Require an access token on loopback too (other users of this machine reach loopback).",
)
@click.option(
    "--read-only",
    is_flag=True,
    help="No run page: the site only shows runs (no access token needed on loopback).",
)
def app_command(
    outputs: str,
    store_urls: tuple[str, ...],
    host: str,
    port: int,
    lang: str,
    token: str | None,
    require_token: bool,
    read_only: bool,
) -> None:
    """Open the report site: runs, datasets, predictions, model comparison and perf runs, and a
    run page that starts, stops and resumes evaluations and perf runs (its URL, with the access
    token it needs, is printed at start-up; --read-only leaves it out)."""
    outputs_dir: Path | None
    outputs_dir = Path(outputs)  # narrowed to Path until it may become None below
    if outputs_dir.exists() and not outputs_dir.is_dir():
        raise click.ClickException(f"--outputs {outputs}: is a file, not an outputs directory")
    if not outputs_dir.is_dir():
        if not store_urls:
            raise click.ClickException(
                f"--outputs {outputs}: no such directory (run `evalscope eval` first, or pass --store-url)"
            )
        outputs_dir = None
    from evalscope.viz.data.catalog import Catalog
    from evalscope.viz.site.access import TOKEN_PARAM, resolve_token
    from evalscope.viz.site.app import create_app, serve

    access_token = resolve_token(host, token or None, require=require_token)
    catalog = Catalog(outputs_dir, store_urls)
    launcher = None
    if not read_only and outputs_dir is not None:  # runs are started into the outputs directory
        import secrets

        from evalscope.viz.site.runs import RunLauncher

        launcher = RunLauncher(outputs_dir.resolve(), catalog, access_token or secrets.token_urlsafe(24))
    app = create_app(catalog, lang=lang, token=access_token, launcher=launcher)
    try:
        server = serve(app, host, port)
    except OSError as exc:
        catalog.close()
        raise click.ClickException(f"cannot listen on {host}:{port} ({exc.strerror or exc})") from None
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{server.server_port}"
    if access_token:
        click.echo(f"Running on local URL:  {url}/?{TOKEN_PARAM}={access_token}", nl=True)
        click.echo(
            "Access token required: every request without it (or the cookie it sets) gets 403; "
            "open the URL above, with its token, once per browser."
        )
    else:
        click.echo(f"Running on local URL:  {url}", nl=True)
    if launcher is not None:
        click.echo(
            f"Run page (starts evaluations; needs this token): {url}/run?{TOKEN_PARAM}={launcher.token}"
        )
    previous = signal.signal(signal.SIGTERM, _interrupt) if launcher is not None else None
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        if launcher is not None:
            launcher.close()  # runs started here are stopped as the Stop button does (recorded as stopped)
            signal.signal(signal.SIGTERM, previous)
        server.server_close()
        catalog.close()


def _interrupt(_signum: int, _frame: object) -> None:
    """SIGTERM to the site: end `serve_forever` as Ctrl-C does, so the runs it started are stopped."""
    raise KeyboardInterrupt


@click.command("tui", context_settings=CONTEXT)
@click.argument("location", required=False, default="./outputs")
@click.option(
    "--store-url", "store_urls", multiple=True, help="Also browse the runs of this result store; repeatable."
)
@click.option(
    "--follow/--no-follow",
    default=None,
    help="Follow a running run as its store grows (default: when the run is still running).",
)
@click.option(
    "--interval",
    type=click.FloatRange(0.1, 60),
    default=1.0,
    show_default=True,
    help="Seconds between reads when following.",
)
def tui_command(location: str, store_urls: tuple[str, ...], follow: bool | None, interval: float) -> None:
    """Browse finished runs, or follow a running one (LOCATION: an outputs directory or a run dir).

    A LOCATION that is a file, or where no run is found, is an error (nothing to browse).
    """
    path = Path(location)
    if "://" not in location:
        if path.is_file():
            raise click.ClickException(_not_a_run_dir(path))
        if not path.exists() and not store_urls:
            raise click.ClickException(f"{location}: no such directory")
    from evalscope.viz.data.catalog import Catalog
    from evalscope.viz.tui.app import run_tui

    if "://" in location:
        catalog = Catalog(None, (location, *store_urls))
    else:
        catalog = Catalog(path if path.exists() else None, store_urls)
    try:
        if not catalog.runs():
            given = (location, *store_urls)
            places = " or ".join(_masked(p) for p in given if "://" in p or Path(p).exists())
            why = "".join(f"; {e}" for e in catalog.errors[:3])
            raise click.ClickException(
                f"no runs in {places}{why} (run `evalscope eval --work-dir DIR` first, or pass --store-url)"
            )
        run_tui(catalog, follow=follow, interval=interval)
    finally:
        catalog.close()


def _not_a_run_dir(path: Path) -> str:
    """What to say about a file given where a run dir belongs (a SQLite file: how to open it)."""
    try:
        with path.open("rb") as handle:
            sqlite = handle.read(16) == b"SQLite format 3\x00"
    except OSError:
        sqlite = False
    hint = f"; to browse this database, pass sqlite:///{path.resolve()}" if sqlite else ""
    return f"{path}: is a file, not a run directory or an outputs directory{hint}"


def _masked(location: str) -> str:
    """A location as it may be shown: a URL's password hidden."""
    return re.sub(r"(://[^/@:\s]*:)[^@/\s]+@", r"\1***@", location)
