"""A dataset report's `timing` block (`evalscope.core.report.Timing`) as one line for the site's
dataset page and the TUI's reports tab: `1319 inferred · 1143 samples/s · client CPU 0.85 ms/sample`."""

from __future__ import annotations

from evalscope.core.report import Report


def timing_line(report: Report | None) -> str:
    """What the dataset's run cost: samples inferred, samples per second and the client's CPU per
    sample; `from cache` when every sample came from the cache; "" for a report written before the
    block was recorded (`timing: null`)."""
    timing = None if report is None else report.timing
    if timing is None:
        return ""
    if timing.inferred <= 0:
        return "from cache"
    return " · ".join([f"{timing.inferred} inferred", *timing.rates()])
