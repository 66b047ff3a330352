"""What the live views show (pure, no Textual): an evaluation's progress is core's one reducer
(`evalscope.core.progress_state`, re-exported as `EvalLiveState`); req/s and TTFT/ITL percentiles of a perf run.
"""

from __future__ import annotations

import math
import time
from collections import deque
from typing import Any

import attrs

from evalscope.core.numeric import percentile as core_percentile
from evalscope.core.progress_state import MIN_RATE_SECONDS, Clock, DatasetProgress, ProgressState

#: the live views render the one core progress reducer (the console bar folds the same events)
EvalLiveState = ProgressState

__all__ = ["MIN_RATE_SECONDS", "Clock", "DatasetProgress", "EvalLiveState", "PerfLiveState", "percentile"]


# -- perf ---------------------------------------------------------------------------------------


def percentile(sorted_values: list[float], q: float) -> float | None:
    """The `q`-th percentile (0..100) of sorted values, as perf computes it (None when empty)."""
    return core_percentile(sorted_values, q / 100) if sorted_values else None


@attrs.define
class PerfLiveState:
    """A running perf invocation: requests finished, req/s over a sliding window, TTFT/ITL percentiles.

    Fed by `on_shape_started(label, number)`, `on_request(record)` (any object with `success`,
    `ttft` and `latency` in seconds and `itls`, a list of seconds) and `on_shape_finished(label)`.
    """

    clock: Clock = time.monotonic
    window: float = 5.0
    label: str = ""
    number: int = 0
    done: int = 0
    failed: int = 0
    started: float | None = None
    finished_shapes: list[str] = attrs.field(factory=list)
    ttft_ms: list[float] = attrs.field(factory=list)
    itl_ms: list[float] = attrs.field(factory=list)
    latency_s: list[float] = attrs.field(factory=list)
    #: completion times (clock) of the last `window` seconds
    recent: deque[float] = attrs.field(factory=deque)
    #: req/s sampled once per `sample_rate()` call, for the sparkline
    history: list[float] = attrs.field(factory=list)

    def on_shape_started(self, label: str, number: int) -> None:
        self.label, self.number, self.done, self.failed = label, number, 0, 0
        self.started = self.clock()
        self.ttft_ms, self.itl_ms, self.latency_s = [], [], []
        self.recent.clear()
        self.history.clear()

    def on_request(self, record: Any) -> None:
        now = self.clock()
        self.done += 1
        self.recent.append(now)
        if not getattr(record, "success", False):
            self.failed += 1
            return
        ttft, latency = getattr(record, "ttft", None), getattr(record, "latency", None)
        if ttft is not None and not math.isnan(ttft):
            self.ttft_ms.append(ttft * 1000)
        if latency is not None and not math.isnan(latency):
            self.latency_s.append(latency)
        self.itl_ms.extend(g * 1000 for g in getattr(record, "itls", ()) or ())

    def on_shape_finished(self, label: str, *_: Any) -> None:
        self.finished_shapes.append(label)

    def rate(self) -> float:
        """Requests finished per second over the last `window` seconds."""
        now = self.clock()
        while self.recent and self.recent[0] < now - self.window:
            self.recent.popleft()
        span = min(self.window, now - self.started) if self.started is not None else self.window
        # at least a second: the first two requests of a run do not make a spike of hundreds per second
        return len(self.recent) / max(span, 1.0)

    def sample_rate(self, keep: int = 120) -> float:
        value = self.rate()
        self.history.append(value)
        del self.history[:-keep]
        return value

    def percentiles(self) -> dict[str, dict[str, float | None]]:
        out = {}
        for name, values in (
            ("TTFT (ms)", self.ttft_ms),
            ("ITL (ms)", self.itl_ms),
            ("Latency (s)", self.latency_s),
        ):
            ordered = sorted(values)
            out[name] = {f"p{q}": percentile(ordered, q) for q in (50, 90, 99)}
        return out
