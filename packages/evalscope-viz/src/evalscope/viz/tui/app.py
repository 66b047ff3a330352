"""Entry points of the terminal dashboard: browse or follow runs (`evalscope tui`) and watch an
evaluation run in this process (`evalscope eval ... --tui`)."""

from __future__ import annotations

from typing import Any

from evalscope.viz.data.catalog import Catalog, RunEntry
from evalscope.viz.tui.attach import StoreFollower
from evalscope.viz.tui.browse import BrowseApp, BrowseScreen
from evalscope.viz.tui.live import Job, LiveEvalApp, QueueSink


def pick_followed(catalog: Catalog, follow: bool | None) -> RunEntry | None:
    """The run to follow: the only run of a run dir while it runs, or the newest run with --follow."""
    runs = catalog.runs()
    if not runs:
        return None
    if follow is None:
        return runs[0] if len(runs) == 1 and runs[0].info.status == "running" else None
    return runs[-1] if follow else None


def follow_app(catalog: Catalog, entry: RunEntry, interval: float = 1.0) -> LiveEvalApp:
    return LiveEvalApp(
        follower=StoreFollower(catalog, entry.key),
        interval=interval,
        browse=lambda: BrowseScreen(catalog, entry.key, closable=True),
    )


def run_tui(catalog: Catalog, *, follow: bool | None = None, interval: float = 1.0) -> None:
    entry = pick_followed(catalog, follow)
    app = follow_app(catalog, entry, interval) if entry is not None else BrowseApp(catalog)
    app.run()


def eval_app(work: Any) -> tuple[LiveEvalApp, Job]:
    """The live view of `work(sink)` (an evaluation reporting to `sink`), run on a worker thread."""
    sink = QueueSink()
    job = Job(work, sink)
    app = LiveEvalApp(job=job)
    app.browse_factory = lambda: BrowseScreen(Catalog(app.state.run_dir), closable=True)
    return app, job


def run_eval_live(cfg: Any) -> Any:
    """Run one task config with the live view (`evalscope eval ... --tui`); once the view is closed,
    print the score table as the plain CLI does and return the RunResult.

    The evaluation's own errors are raised after the view closes. Closing the view while the run is
    still going stops the command with exit status 130: finished samples are stored already, and
    `--use-cache RUN_DIR` resumes.
    """
    import click

    from evalscope.core.report import format_outcome
    from evalscope.run import run_task

    app, job = eval_app(lambda sink: run_task(cfg, sink=sink, print_table=False))
    app.run()
    if not job.done.is_set():
        from evalscope.core.stopping import stop_runs

        stop_runs(wait_s=30.0)  # the run records itself as stopped before the command exits
        where = app.state.run_dir or "the run dir"
        click.echo(
            f"Stopped before the end. Finished samples are stored in {where}; resume with --use-cache {where}.",
            err=True,
        )
        raise click.exceptions.Exit(130)
    if job.error is not None:
        raise job.error
    result = job.result
    click.echo(format_outcome(getattr(result, "reports", {}).values(), getattr(result, "run_dir", app.state.run_dir)))
    return result
