"""Widgets of the terminal dashboard: the per-dataset progress table and the perf panel."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Sparkline, Static

from evalscope.core.numeric import format_score
from evalscope.viz.tui.state import EvalLiveState, PerfLiveState

BAR_WIDTH = 20
#: below this many columns (an 80-column terminal) the progress bars are shorter
NARROW = 100
NARROW_BAR_WIDTH = 8


def bar(done: int, total: int | None, width: int = BAR_WIDTH) -> str:
    """`████████░░░░ 12/40` (no bar while the total is unknown)."""
    if not total:
        return f"{done}/?"
    filled = min(width, round(width * done / total))
    return "█" * filled + "░" * (width - filled) + f" {done}/{total}"


def fmt_rate(value: float | None, unit: str = "/s") -> str:
    return "-" if value is None else f"{value:.1f}{unit}"


def fmt_eta(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds <= 0:
        return "done"
    minutes, sec = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{sec:02d}" if hours else f"{minutes}:{sec:02d}"


fmt_score = format_score  # the one score cell (evalscope.core.numeric)


#: what a user watches first (an 80-column terminal shows up to Samples/s; the rest scrolls)
EVAL_COLUMNS = ("Dataset", "Progress", "Score", "Errors", "Cached", "ETA", "Samples/s", "Tokens/s", "Type")


class EvalProgressTable(DataTable):
    """One row per dataset: progress bar, running score, errors, cache hits, ETA, samples/s."""

    DEFAULT_CSS = "EvalProgressTable { height: auto; max-height: 60%; }"
    bar_width = BAR_WIDTH

    def on_mount(self) -> None:
        self.cursor_type = "row"
        self._add_columns()

    def _add_columns(self) -> None:
        for name in EVAL_COLUMNS:
            self.add_column(name, key=name)

    def fit(self, width: int) -> bool:
        """Pick the bar width for a terminal `width` columns wide; True when it changed (the rows
        then start again, so that no column keeps the width of a longer bar)."""
        bar_width = NARROW_BAR_WIDTH if width < NARROW else BAR_WIDTH
        if bar_width == self.bar_width:
            return False
        self.bar_width = bar_width
        self.clear(columns=True)
        self._add_columns()
        return True

    def show(self, state: EvalLiveState) -> None:
        self.fit(self.app.size.width)
        now = state.clock()
        for ds in state.datasets.values():
            not_scored = ds.errors + ds.invalid + ds.skipped
            cells = (
                ds.name,
                bar(ds.done, ds.total, self.bar_width),
                fmt_score(ds.running_score),
                str(ds.errors)
                + (f" (+{not_scored - ds.errors} not scored)" if not_scored > ds.errors else ""),
                str(ds.cached),
                fmt_eta(ds.eta(now)) if ds.state != "waiting" else "waiting",
                fmt_rate(ds.rate(now)),
                fmt_rate(ds.tokens_per_second(now)),
                ds.output_type or "-",
            )
            if ds.name in self.rows:
                for column, value in zip(EVAL_COLUMNS, cells):
                    self.update_cell(ds.name, column, value, update_width=True)
            else:
                self.add_row(*cells, key=ds.name)


class PerfPanel(Vertical):
    """Live req/s (number and sparkline), requests done/failed, TTFT/ITL/latency percentiles."""

    DEFAULT_CSS = """
    PerfPanel { height: auto; }
    PerfPanel Sparkline { height: 4; margin: 1 0; }
    PerfPanel #perf-numbers { height: auto; padding: 0 1; }
    PerfPanel DataTable { height: auto; }
    """

    def compose(self) -> ComposeResult:
        yield Static("", id="perf-numbers")
        yield Sparkline([0.0], id="perf-spark")
        yield DataTable(id="perf-pct", cursor_type="none")

    def on_mount(self) -> None:
        table = self.query_one("#perf-pct", DataTable)
        for name in ("Metric", "p50", "p90", "p99"):
            table.add_column(name, key=name)

    def show(self, state: PerfLiveState) -> None:
        rate = state.sample_rate()
        number = f"/{state.number}" if state.number else ""
        self.query_one("#perf-numbers", Static).update(
            f"run {state.label or '-'}   requests {state.done}{number}   failed {state.failed}   {rate:.1f} req/s"
        )
        self.query_one("#perf-spark", Sparkline).data = list(state.history) or [0.0]
        table = self.query_one("#perf-pct", DataTable)
        for metric, row in state.percentiles().items():
            cells = [metric, *("-" if v is None else f"{v:.2f}" for v in row.values())]
            if metric in table.rows:
                for column, value in zip(("Metric", "p50", "p90", "p99"), cells):
                    table.update_cell(metric, column, value, update_width=True)
            else:
                table.add_row(*cells, key=metric)
