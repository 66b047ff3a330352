"""A dataset report's `timing` block (`evalscope.core.report.Timing`) as one line for the site's
dataset page and the TUI's reports tab: `1319 inferred · 1143 samples/s · client CPU 0.85 ms/sample`."""

from __future__ import annotations

from evalscope.core.report import Report


def _rate(value: float) -> str:
    """Three significant figures at most, never an exponent: 1143, 57.3, 0.42."""
    if value >= 100:
        return f"{value:.0f}"
    return f"{value:.1f}" if value >= 10 else f"{value:.2f}"


def timing_line(report: Report | None) -> str:
    """What the dataset's run cost: samples inferred, samples per second and the client's CPU per
    sample; `from cache` when every sample came from the cache; "" for a report written before the
    block was recorded (`timing: null`)."""
    timing = None if report is None else report.timing
    if timing is None:
        return ""
    if timing.inferred <= 0:
        return "from cache"
    parts = [f"{timing.inferred} inferred"]
    if timing.samples_per_s is not None:
        parts.append(f"{_rate(timing.samples_per_s)} samples/s")
    if timing.client_cpu_ms_per_sample is not None:
        parts.append(f"client CPU {timing.client_cpu_ms_per_sample:.2f} ms/sample")
    return " · ".join(parts)
