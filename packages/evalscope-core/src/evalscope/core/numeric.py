"""Numbers every package shows the same way: the one percentile, and how scores, p-values and
measurements are written in tables (CLI, TUI, report site, perf).

Light on purpose (math only): perf, the arena, the TUI and the site import it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

__all__ = ["format_number", "format_p_value", "format_score", "percentile"]


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """The `q` quantile (0 <= q <= 1) of already sorted values, interpolated linearly between the
    closest ranks (numpy's default 'linear' method): position q * (n - 1)."""
    if not sorted_values:
        raise ValueError("percentile of no values")
    pos = q * (len(sorted_values) - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, len(sorted_values) - 1)
    return float(sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo))


def format_score(value: float | None) -> str:
    """A score cell: four decimals, "-" when there is none."""
    return "-" if value is None else f"{value:.4f}"


def format_p_value(p: float) -> str:
    """A p-value: four decimals, scientific below 1e-4."""
    return f"{p:.2e}" if p < 1e-4 else f"{p:.4f}"


def format_number(value: Any) -> str:
    """A measurement cell: "-" for none or NaN, four decimals below 10, two (with thousands
    separators) above; a dict as `key=value` pairs; anything else as text."""
    if value is None:
        return "-"
    if isinstance(value, float):
        if math.isnan(value):
            return "-"
        return f"{value:,.4f}" if abs(value) < 10 else f"{value:,.2f}"
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items() if v is not None)
    return str(value)
