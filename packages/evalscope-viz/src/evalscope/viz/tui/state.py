"""What the live views show, computed from progress events (pure, no Textual): per dataset progress,
samples/s, running score, errors and ETA of an evaluation; req/s and TTFT/ITL percentiles of a perf run.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any

import attrs

from evalscope.core.events import (
    RunFinished,
    RunStarted,
    SampleFinished,
    TaskFinished,
    TaskStarted,
    TokensGenerated,
)
from evalscope.core.numeric import percentile as core_percentile

Clock = Callable[[], float]
#: rates are shown once a dataset has run this long
MIN_RATE_SECONDS = 0.5


@attrs.define
class DatasetProgress:
    """One dataset of a running evaluation."""

    name: str
    total: int | None = None
    cached: int = 0
    output_type: str = ""
    done: int = 0
    scored: int = 0
    errors: int = 0
    invalid: int = 0
    skipped: int = 0
    score_sum: float = 0.0
    score_n: int = 0
    #: output tokens of finished fresh samples
    tokens: int = 0
    #: tokens reported while generating (local models stream them step by step)
    streamed: int = 0
    started: float | None = None
    finished: float | None = None
    #: samples answered in this process (cache hits excluded): what samples/s measures
    fresh: int = 0

    def tokens_per_second(self, now: float) -> float | None:
        elapsed = self.elapsed(now)
        produced = max(self.tokens, self.streamed)
        return produced / elapsed if produced and elapsed > 0 and self._settled(elapsed) else None

    @property
    def running_score(self) -> float | None:
        return self.score_sum / self.score_n if self.score_n else None

    def elapsed(self, now: float) -> float:
        if self.started is None:
            return 0.0
        return (self.finished if self.finished is not None else now) - self.started

    def rate(self, now: float) -> float | None:
        """Fresh samples per second since the dataset started (None for the first half second,
        when two early samples would claim thousands per second)."""
        elapsed = self.elapsed(now)
        return self.fresh / elapsed if self.fresh and elapsed > 0 and self._settled(elapsed) else None

    def _settled(self, elapsed: float) -> bool:
        return self.finished is not None or elapsed >= MIN_RATE_SECONDS

    def eta(self, now: float) -> float | None:
        """Seconds left at the current rate (0 once finished, None while unknown)."""
        if self.finished is not None:
            return 0.0
        rate = self.rate(now)
        if self.total is None or rate is None:
            return None
        return max(self.total - self.done, 0) / rate

    @property
    def state(self) -> str:
        if self.finished is not None:
            return "done"
        return "running" if self.started is not None else "waiting"


@attrs.define
class EvalLiveState:
    """Folds the engine's progress events into per-dataset progress."""

    clock: Clock = time.monotonic
    run_id: str = ""
    run_dir: str = ""
    model_id: str = ""
    datasets: dict[str, DatasetProgress] = attrs.field(factory=dict)
    started: float | None = None
    finished: float | None = None
    ok: bool | None = None
    message: str = ""
    #: how a followed run ended when not finished or failed: "stopped", "interrupted" (its writer is gone)
    verdict: str = ""

    def dataset(self, name: str) -> DatasetProgress:
        if name not in self.datasets:
            self.datasets[name] = DatasetProgress(name)
        return self.datasets[name]

    def apply(self, event: Any, now: float | None = None) -> None:
        """Fold one event in; `now` is when it happened (default: the clock now), so events drained
        in a batch keep their own times."""
        now = self.clock() if now is None else now
        if isinstance(event, RunStarted):
            self.run_id, self.run_dir, self.model_id = event.run_id, event.run_dir, event.model_id
            self.started = now
            for name in event.datasets:
                self.dataset(name)
        elif isinstance(event, TaskStarted):
            ds = self.dataset(event.dataset)
            ds.total, ds.cached, ds.output_type, ds.started = (
                event.total,
                event.cached,
                event.output_type,
                now,
            )
            if self.started is None:
                self.started = now
        elif isinstance(event, TokensGenerated):
            self.dataset(event.dataset).streamed += event.tokens
        elif isinstance(event, SampleFinished):
            self._sample(self.dataset(event.dataset), event)
        elif isinstance(event, TaskFinished):
            self.dataset(event.dataset).finished = now
        elif isinstance(event, RunFinished):
            self.finished, self.ok, self.message = now, event.ok, event.message

    @staticmethod
    def _sample(ds: DatasetProgress, event: SampleFinished) -> None:
        ds.done += 1
        if not event.cached:
            ds.fresh += 1
        if event.status == "scored":
            ds.scored += 1
            if event.score is not None:
                ds.score_sum += event.score
                ds.score_n += 1
        elif event.status == "error":
            ds.errors += 1
        elif event.status == "invalid":
            ds.invalid += 1
        elif event.status == "skipped":
            ds.skipped += 1
        if not event.cached:
            ds.tokens += event.output_tokens

    def apply_all(self, events: Iterable[Any]) -> None:
        """Fold in events, or (time, event) pairs as a `QueueSink` drains them."""
        for item in events:
            if isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], float):
                self.apply(item[1], now=item[0])
            else:
                self.apply(item)

    @property
    def running(self) -> bool:
        return self.finished is None

    def elapsed(self) -> float:
        if self.started is None:
            return 0.0
        return (self.finished if self.finished is not None else self.clock()) - self.started


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
