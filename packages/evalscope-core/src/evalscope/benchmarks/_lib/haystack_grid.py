"""needle_haystack's grid: a cell's subset name (`L<length>_D<depth>`) and the length x depth table
of a report's scores, for the report site's heatmap and the TUI's table."""

from __future__ import annotations

import re
from typing import Any

import attrs

_CELL = re.compile(r"^L(\d+)_D(\d+(?:\.\d+)?)$")


def _num(value: float) -> str:
    return f"{value:g}"


def cell_name(length: float, depth: float) -> str:
    """The subset of one cell: `L1000_D50`."""
    return f"L{int(length)}_D{_num(depth)}"


def parse_cell(subset: str) -> tuple[int, float] | None:
    """(length, depth) of a cell's subset name, or None for another name."""
    match = _CELL.match(subset)
    return (int(match.group(1)), float(match.group(2))) if match else None


@attrs.frozen
class Grid:
    """Scores of one metric by depth (rows) and length (columns); None where a cell has no score."""

    metric: str
    lengths: tuple[int, ...]
    depths: tuple[float, ...]
    #: scores[i][j]: depth i, length j
    scores: tuple[tuple[float | None, ...], ...]

    def depth_label(self, depth: float) -> str:
        return f"{_num(depth)}%"


def report_grid(report: Any, metric: str | None = None) -> Grid | None:
    """The grid of `report` (a `Report`) for `metric` (default: the first), or None when its subsets
    are not needle_haystack cells. A cell whose samples were all excluded (errors, judge invalid) is None."""
    metrics = list(getattr(report, "metrics", None) or [])
    chosen = next((m for m in metrics if metric is None or m.name == metric), None)
    if chosen is None:
        return None
    cells: dict[tuple[int, float], float | None] = {}
    for cat in chosen.categories:
        for sub in cat.subsets:
            cell = parse_cell(sub.name)
            if cell is not None:
                cells[cell] = sub.score if sub.num else None
    if not cells:
        return None
    lengths = tuple(sorted({c[0] for c in cells}))
    depths = tuple(sorted({c[1] for c in cells}))
    scores = tuple(tuple(cells.get((n, d)) for n in lengths) for d in depths)
    return Grid(chosen.name, lengths, depths, scores)


def grid_metrics(report: Any) -> list[str]:
    """The metrics of a report that has a grid."""
    return [m.name for m in getattr(report, "metrics", None) or [] if report_grid(report, m.name) is not None]
