"""The one progress reducer: an evaluation's progress events folded into per-dataset state.

Every front-end renders from it: the console bar (`core/progress.py`), the TUI and the site's Run
page (`viz/tui`, `viz/site/runs.py`). Per dataset: done/total, cached, errors, score so far,
samples/s, tokens/s, ETA; per run: started, finished, ok. Pure (no I/O); times come from `clock`
or from the event's own time when events are drained in a batch.
"""

from __future__ import annotations

import time
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
    #: samples whose outcome was not ok (errored, judged invalid, ...)
    failed: int = 0
    score_sum: float = 0.0
    score_n: int = 0
    #: output tokens of finished fresh samples
    tokens: int = 0
    #: finished fresh samples that produced tokens (the mean tokens per sample divides by it)
    generated: int = 0
    #: tokens reported while generating (local models stream them step by step)
    streamed: int = 0
    #: the per-sample token budget the generation reported (None until known)
    max_tokens: int | None = None
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
        """Seconds left at the current sample rate (0 once finished, None while unknown)."""
        if self.finished is not None:
            return 0.0
        rate = self.rate(now)
        if self.total is None or rate is None:
            return None
        return max(self.total - self.done, 0) / rate

    def token_eta(self, token_rate: float) -> float | None:
        """Seconds of generation left: tokens still expected over `token_rate` (tokens/s).

        Expected = unfinished samples x the mean tokens of finished ones (or the `max_tokens`
        budget before any finished), less what unfinished samples have already streamed."""
        if token_rate <= 0:
            return None
        remaining = max(0, (self.total or 0) - self.done)
        per_sample = self.tokens / self.generated if self.generated else self.max_tokens
        if per_sample is None:
            return None
        still_expected = remaining * per_sample - max(0, self.streamed - self.tokens)
        return max(0.0, still_expected) / token_rate

    @property
    def state(self) -> str:
        if self.finished is not None:
            return "done"
        return "running" if self.started is not None else "waiting"


@attrs.define
class ProgressState:
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
            ds = self.dataset(event.dataset)
            ds.streamed += event.tokens
            ds.max_tokens = event.max_tokens or ds.max_tokens
        elif isinstance(event, SampleFinished):
            self._sample(self.dataset(event.dataset), event)
        elif isinstance(event, TaskFinished):
            self.dataset(event.dataset).finished = now
        elif isinstance(event, RunFinished):
            self.finished, self.ok, self.message = now, event.ok, event.message

    @staticmethod
    def _sample(ds: DatasetProgress, event: SampleFinished) -> None:
        ds.done += 1
        ds.failed += int(not event.ok)
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
            ds.fresh += 1
            ds.tokens += event.output_tokens
            ds.generated += int(event.output_tokens > 0)

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
