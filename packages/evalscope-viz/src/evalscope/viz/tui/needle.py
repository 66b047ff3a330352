"""needle_haystack in the TUI: the length x depth grid of each metric as a table (Reports tab)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from evalscope.benchmarks._lib.haystack_grid import grid_metrics, report_grid
from evalscope.core.numeric import format_score


def grid_table(reports: Sequence[Any]) -> tuple[list[str], list[list[str]]] | None:
    """Headers and rows of the grids of `reports` (rows: dataset, metric, depth; one column per
    length), or None when no report is a needle_haystack grid. `-`: a cell with no scored sample."""
    grids = [(r, report_grid(r, m)) for r in reports for m in grid_metrics(r)]
    if not grids:
        return None
    lengths = sorted({n for _, g in grids if g is not None for n in g.lengths})
    rows: list[list[str]] = []
    for report, grid in grids:
        assert grid is not None
        for depth, scores in zip(grid.depths, grid.scores):
            by_length = dict(zip(grid.lengths, scores))
            cells = [by_length.get(n) for n in lengths]
            rows.append(
                [report.dataset_name, grid.metric, grid.depth_label(depth)] + [format_score(v) for v in cells]
            )
    return ["Dataset", "Metric", "Depth", *(f"{n} tok" for n in lengths)], rows
