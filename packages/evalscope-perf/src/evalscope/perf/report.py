"""Console output of a run and of a sweep: tables that fit the terminal, plain without colour.

Wide tables (percentiles, sweeps) are laid out with one row per percentile level / per run and
one column per metric; the metric columns are split over as many tables as it takes to fit the
console width, so no cell is ever cut to ``…`` (an 80-column terminal included).
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from typing import IO, Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from evalscope.core.numeric import format_number as _fmt
from evalscope.perf.records import RequestRecord
from evalscope.perf.selfcheck import SelfCheck

MAX_SHOWN_ERRORS = 3  # distinct error messages printed after a run with failures
MAX_ERROR_CHARS = 400  # one printed error message at most (HTTP bodies are cut at 300 already)


def make_console(file: IO[str] | None = None) -> Console:
    """A console that writes no escape sequence at all when ``NO_COLOR`` is set or the output
    is not a terminal (rich's own NO_COLOR handling keeps bold/underline)."""
    plain = bool(os.environ.get("NO_COLOR"))
    return Console(file=file, color_system=None if plain else "auto", highlight=not plain)


def _num(v: float | None) -> str:
    """A percentile cell: about four significant digits, no exponent, at most ~9 characters."""
    if v is None or math.isnan(v):
        return "-"
    if v == int(v) and abs(v) < 1e15:
        return f"{int(v):,}"
    a = abs(v)
    if a >= 1e4:
        return f"{v:,.0f}"
    if a >= 100:
        return f"{v:.1f}"
    if a >= 10:
        return f"{v:.2f}"
    if a >= 1:
        return f"{v:.3f}"
    return f"{v:.4f}"


def _ms(v: float) -> str:
    return "n/a" if v is None or math.isnan(v) else f"{v:.2f} ms"


def _need(header: str, cells: Sequence[str]) -> int:
    """Narrowest width at which a column shows every cell whole (headers wrap at spaces)."""
    return max([len(w) for w in header.split()] + [len(c) for c in cells] + [1])


def fitted_tables(
    title: str, key: tuple[str, Sequence[str]], columns: Sequence[tuple[str, Sequence[str]]], width: int
) -> list[Table]:
    """The key column plus as many value columns as fit ``width``; further tables hold the rest.

    A table with bordered cells takes ``1 + Σ(column width + 3)`` characters.
    """
    key_need = _need(*key) + 3
    groups: list[list[tuple[str, Sequence[str]]]] = [[]]
    used = 1 + key_need
    for col in columns:
        need = _need(*col) + 3
        if groups[-1] and used + need > width:
            groups.append([])
            used = 1 + key_need
        groups[-1].append(col)
        used += need
    tables = []
    for i, group in enumerate(groups):
        part = f" ({i + 1}/{len(groups)})" if len(groups) > 1 else ""
        table = Table(title=title + part, header_style="bold")
        widths = _spread([key, *group], width)
        table.add_column(key[0], width=widths[0], overflow="fold")
        for (header, _), w in zip(group, widths[1:]):
            table.add_column(header, justify="right", width=w, overflow="fold")
        for r, k in enumerate(key[1]):
            table.add_row(k, *(cells[r] for _, cells in group))
        tables.append(table)
    return tables


def _spread(columns: Sequence[tuple[str, Sequence[str]]], width: int) -> list[int]:
    """Fixed column widths: each column's need, plus the spare width given one character at a time
    to the column whose header is cut most, so headers wrap into as few lines as fit."""
    widths = [_need(*c) for c in columns]
    spare = width - 1 - sum(w + 3 for w in widths)
    while spare > 0:
        short = [(len(h) - w, i) for i, ((h, _), w) in enumerate(zip(columns, widths)) if len(h) > w]
        if not short:
            break
        widths[max(short)[1]] += 1
        spare -= 1
    return widths


def summary_table(title: str, summary: dict[str, Any]) -> Table:
    table = Table(title=title, show_header=True, header_style="bold")
    table.add_column("Metric", overflow="fold")
    table.add_column("Value", justify="right", overflow="fold")
    for k, v in summary.items():
        table.add_row(k, _fmt(v))
    return table


def percentile_tables(title: str, pct: dict[str, dict[str, float]], width: int) -> list[Table]:
    """One row per percentile level, one column per metric that has values; split to fit ``width``."""
    shown = {m: row for m, row in pct.items() if any(not math.isnan(v) for v in row.values())}
    if not shown:
        return []
    levels = list(next(iter(shown.values())).keys())
    columns = [(metric, [_num(row[p]) for p in levels]) for metric, row in shown.items()]
    return fitted_tables(title, ("Percentile", levels), columns, width)


def selfcheck_lines(sc: SelfCheck) -> list[str]:
    head = (
        f"client self-check: {sc.workers} process(es), CPU max {sc.cpu_fraction_max:.0%} of a core, "
        f"{_ms(sc.cpu_ms_per_request)} CPU/request, loop lag p99 {_ms(sc.loop_lag_p99_ms)}, "
        f"send lag p50 {_ms(sc.send_lag_p50_ms)} / p99 {_ms(sc.send_lag_p99_ms)}, "
        + (f"arrival times kernel-stamped (processing delay p99 {_ms(sc.read_delay_p99_ms)})"
           if sc.kernel_stamps else "arrival times taken in the read callback")
    )
    lines = [head]
    if sc.saturated:
        lines += [f"[bold red]WARNING[/]: {w}" for w in sc.warnings]
        lines.append("[bold red]The client limited this run: the numbers above describe the client, not only the server.[/]")
    else:
        lines.append("[green]client kept up with its schedule[/]")
    return lines


def error_counts(records: Sequence[RequestRecord], limit: int | None = None) -> list[tuple[str, int]]:
    """Distinct error messages of failed requests with their counts, first seen first."""
    counts: dict[str, int] = {}
    for r in sorted(records, key=lambda r: (r.send if not math.isnan(r.send) else math.inf, r.index)):
        if not r.success:
            msg = r.error or (f"HTTP {r.status}" if r.status else "failed (no error recorded)")
            counts[msg] = counts.get(msg, 0) + 1
    items = list(counts.items())
    return items[:limit] if limit is not None else items


def _clip(text: str, limit: int = MAX_ERROR_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def failure_lines(records: Sequence[RequestRecord], url: str) -> list[Text]:
    """What went wrong, for a run with failed requests: counts, the first distinct errors, a hint."""
    failed = [r for r in records if not r.success]
    if not failed:
        return []
    distinct = error_counts(records)
    lines = [Text(f"{len(failed)} of {len(records)} requests failed; first errors:", style="bold red")]
    for msg, n in distinct[:MAX_SHOWN_ERRORS]:
        lines.append(Text(f"  {n} x {_clip(msg)}"))
    if len(distinct) > MAX_SHOWN_ERRORS:
        lines.append(Text(f"  ... and {len(distinct) - MAX_SHOWN_ERRORS} other distinct error(s) "
                          "(column `error` of benchmark_data.db)"))
    if all("connect failed" in (r.error or "") for r in failed):
        lines.append(Text(f"hint: nothing accepted a connection at {url}; is the server running there?"))
    return lines


def print_run(
    console: Console, label: str, summary: dict[str, Any], pct: dict[str, dict[str, float]], sc: SelfCheck,
    records: Sequence[RequestRecord] = (), url: str = "",
) -> None:
    console.print(summary_table(f"Benchmark summary — {label}", summary))
    for table in percentile_tables(f"Percentiles — {label}", pct, console.width):
        console.print(table)
    for line in selfcheck_lines(sc):
        console.print(line)
    for text in failure_lines(records, url):
        console.print(text, soft_wrap=True)  # whole lines: an error or URL stays copyable


SWEEP_COLUMNS = (
    "Concurrency", "Request rate (req/s)", "Request throughput (req/s)", "Output token throughput (tok/s)",
    "Mean latency (s)", "Mean TTFT (ms)", "Mean TPOT (ms)", "Mean ITL (ms)", "Goodput (req/s)",
)


def sweep_tables(summaries: Sequence[dict[str, Any]], width: int) -> list[Table]:
    """One row per run keyed by its rate (open loop) or concurrency; split to fit ``width``."""
    cols = [c for c in SWEEP_COLUMNS if any(s.get(c) is not None for s in summaries)]
    key_name = "Request rate (req/s)" if "Request rate (req/s)" in cols else "Concurrency"
    cols = [c for c in cols if c != key_name]
    key = (key_name, [_fmt(s.get(key_name)) for s in summaries])
    return fitted_tables("Sweep", key, [(c, [_fmt(s.get(c)) for s in summaries]) for c in cols], width)


def speed_table(rows: Sequence[dict[str, Any]]) -> Table:
    table = Table(title="Speed benchmark", header_style="bold")
    for c in ("Prompt Tokens", "Speed(tokens/s)", "GPU Memory(GB)"):
        table.add_column(c, justify="right")
    for r in rows:
        table.add_row(*(_fmt(r[c]) for c in ("Prompt Tokens", "Speed(tokens/s)", "GPU Memory(GB)")))
    return table
