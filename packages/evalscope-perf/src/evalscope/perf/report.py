"""Rich console tables for a run and for a sweep."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.table import Table

from evalscope.perf.selfcheck import SelfCheck


def _fmt(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        if math.isnan(v):
            return "-"
        return f"{v:,.4f}" if abs(v) < 10 else f"{v:,.2f}"
    return str(v)


def summary_table(title: str, summary: dict[str, Any]) -> Table:
    table = Table(title=title, show_header=True, header_style="bold")
    table.add_column("Metric")
    table.add_column("Value", justify="right")
    for k, v in summary.items():
        if isinstance(v, dict):
            v = ", ".join(f"{a}={b}" for a, b in v.items() if b is not None)
        table.add_row(k, _fmt(v))
    return table


def _short(v: float) -> str:
    if v is None or math.isnan(v):
        return "-"
    return f"{v:.4g}" if abs(v) < 1e4 else f"{v:,.0f}"


def percentile_table(title: str, pct: dict[str, dict[str, float]]) -> Table:
    """One row per metric, one column per percentile."""
    table = Table(title=title, show_header=True, header_style="bold")
    table.add_column("Metric", no_wrap=True)
    ps = list(next(iter(pct.values())).keys()) if pct else []
    for p in ps:
        table.add_column(p, justify="right")
    for metric, row in pct.items():
        table.add_row(metric, *(_short(row[p]) for p in ps))
    return table


def selfcheck_lines(sc: SelfCheck) -> list[str]:
    head = (
        f"client self-check: {sc.workers} process(es), CPU max {sc.cpu_fraction_max:.0%} of a core, "
        f"{sc.cpu_ms_per_request:.3f} ms CPU/request, loop lag p99 {sc.loop_lag_p99_ms:.2f} ms, "
        f"send lag p50/p99 {sc.send_lag_p50_ms:.2f}/{sc.send_lag_p99_ms:.2f} ms, "
        + (f"arrival times kernel-stamped (processing delay p99 {sc.read_delay_p99_ms:.2f} ms)"
           if sc.kernel_stamps else "arrival times taken in the read callback")
    )
    lines = [head]
    if sc.saturated:
        lines += [f"[bold red]WARNING[/]: {w}" for w in sc.warnings]
        lines.append("[bold red]The client limited this run: the numbers above describe the client, not only the server.[/]")
    else:
        lines.append("[green]client kept up with its schedule[/]")
    return lines


def print_run(console: Console, label: str, summary: dict[str, Any], pct: dict[str, dict[str, float]], sc: SelfCheck) -> None:
    console.print(summary_table(f"Benchmark summary — {label}", summary))
    console.print(percentile_table(f"Percentiles — {label}", pct))
    for line in selfcheck_lines(sc):
        console.print(line)


SWEEP_COLUMNS = (
    "Concurrency", "Request rate (req/s)", "Request throughput (req/s)", "Output token throughput (tok/s)",
    "Mean latency (s)", "Mean TTFT (ms)", "Mean TPOT (ms)", "Mean ITL (ms)", "Goodput (req/s)",
)


def sweep_table(summaries: Sequence[dict[str, Any]]) -> Table:
    cols = [c for c in SWEEP_COLUMNS if any(s.get(c) is not None for s in summaries)]
    table = Table(title="Sweep", header_style="bold")
    for c in cols:
        table.add_column(c, justify="right")
    for s in summaries:
        table.add_row(*(_fmt(s.get(c)) for c in cols))
    return table


def speed_table(rows: Sequence[dict[str, Any]]) -> Table:
    table = Table(title="Speed benchmark", header_style="bold")
    for c in ("Prompt Tokens", "Speed(tokens/s)", "GPU Memory(GB)"):
        table.add_column(c, justify="right")
    for r in rows:
        table.add_row(*(_fmt(r[c]) for c in ("Prompt Tokens", "Speed(tokens/s)", "GPU Memory(GB)")))
    return table
