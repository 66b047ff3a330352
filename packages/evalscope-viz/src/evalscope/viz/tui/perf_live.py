"""The live view of `evalscope perf ... --tui`: live req/s with a sparkline, requests done and failed,
TTFT/ITL/latency percentiles of the run in progress, and each finished run's client self-check.

The load test runs on a worker thread; its client processes report every finished request through
a multiprocessing queue (`run_perf(..., progress=queue)`), which the UI drains a few times a second.
Its console output (the summary tables) is captured and printed once the view closes.
"""

from __future__ import annotations

import io
import queue
from typing import Any

import attrs
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets import Footer, Header, Static

from evalscope.viz.tui.live import Job
from evalscope.viz.tui.state import PerfLiveState
from evalscope.viz.tui.widgets import PerfPanel


@attrs.frozen
class RequestDone:
    """One finished request as the live state reads it (times in seconds)."""

    success: bool
    ttft: float
    latency: float
    itls: tuple[float, ...]


class ProgressQueue:
    """The queue the perf client processes write to; `drain()` is called on the UI thread."""

    def __init__(self) -> None:
        import multiprocessing as mp

        self.queue = mp.get_context("spawn").Queue()
        # closing the view early must not wait for this process's queue feeder to flush
        self.queue.cancel_join_thread()

    def on_event(self, event: Any) -> None:  # the Job's sink interface; perf uses the queue itself
        self.queue.put(event)

    def drain(self, limit: int = 100_000) -> list[Any]:
        out: list[Any] = []
        while len(out) < limit:
            try:
                out.append(self.queue.get_nowait())
            except queue.Empty:
                break
        return out


def apply(state: PerfLiveState, message: tuple[Any, ...], finished: list[tuple[str, bool]]) -> None:
    kind = message[0]
    if kind == "shape":
        state.on_shape_started(message[1], message[2])
    elif kind == "request":
        state.on_request(RequestDone(message[1], message[2], message[3], tuple(message[4])))
    elif kind == "shape_done":
        state.on_shape_finished(message[1])
        finished.append((message[1], bool(message[2])))


class PerfLiveApp(App[None]):
    TITLE = "evalscope perf"
    CSS = """
    #status { height: auto; padding: 0 1; }
    #verdicts { height: auto; padding: 0 1; }
    .saturated { color: $error; }
    """
    BINDINGS = [Binding("q", "quit", "Quit")]

    def __init__(
        self, job: Job | None = None, state: PerfLiveState | None = None, interval: float = 0.5
    ) -> None:
        super().__init__()
        self.job = job
        self.state = state or PerfLiveState()
        self.interval = interval
        self.finished: list[tuple[str, bool]] = []

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("starting…", id="status")
        yield PerfPanel(id="perf")
        yield Static("", id="verdicts")
        yield Footer()

    def on_mount(self) -> None:
        if self.job is not None:
            self.job.start()
        self.set_interval(self.interval, self.tick)
        self.tick()  # the state as it is now, not "starting…" for a whole interval

    def tick(self) -> None:
        if self.job is not None:
            for message in self.job.sink.drain():
                apply(self.state, message, self.finished)
        self.show()

    def show(self) -> None:
        self.query_one(PerfPanel).show(self.state)
        done = self.job is not None and self.job.done.is_set()
        if done:
            error = self.job.error if self.job is not None else None
            status = f"failed: {error}" if error is not None else "finished"
            status += " · q quits and prints the summary tables"
        else:
            status = f"running {self.state.label or '…'} · {len(self.finished)} run(s) finished"
        self.query_one("#status", Static).update(status)
        lines = [
            f"{label}: "
            + (
                "[b red]the client limited this run[/] (see the self-check)"
                if saturated
                else "client kept up with its schedule"
            )
            for label, saturated in self.finished
        ]
        self.query_one("#verdicts", Static).update("\n".join(lines))


def run_perf_live(args: Any) -> list[Any]:
    """`evalscope perf ... --tui`: run the load test under the live view; print its tables after."""
    import click
    from rich.console import Console

    from evalscope.perf.runner import run_perf

    captured = io.StringIO()
    import shutil

    console = Console(
        file=captured, width=shutil.get_terminal_size().columns, force_terminal=False, color_system=None
    )
    progress = ProgressQueue()
    job = Job(lambda sink: run_perf(args, console=console, progress=sink.queue), progress)  # type: ignore[arg-type, attr-defined]  # a ProgressQueue stands in for the QueueSink: Job only drains it
    app = PerfLiveApp(job)
    app.run()
    if not job.done.is_set():
        click.echo("Stopped before the end; finished runs are in their output folders.", err=True)
        raise click.exceptions.Exit(130)
    click.echo(captured.getvalue(), nl=False)
    if job.error is not None:
        raise job.error
    return job.result
