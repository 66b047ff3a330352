"""What the live views compute from progress events: progress, samples/s, running score, errors, ETA;
perf req/s and percentiles."""

from __future__ import annotations

import attrs
import pytest

from evalscope.core.events import (
    RunFinished,
    RunStarted,
    SampleFinished,
    TaskFinished,
    TaskStarted,
    TokensGenerated,
)
from evalscope.viz.tui.state import EvalLiveState, PerfLiveState, percentile
from evalscope.viz.tui.widgets import bar, fmt_eta


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_eval_progress_rate_score_errors_and_eta():
    clock = Clock()
    state = EvalLiveState(clock=clock)
    state.apply(RunStarted("r1", "/tmp/r1", "m", ("gsm8k", "arc")))
    assert [d.state for d in state.datasets.values()] == ["waiting", "waiting"]
    state.apply(TaskStarted("gsm8k", total=10, cached=2, output_type="generation"))
    for i in range(2):
        state.apply(
            SampleFinished("gsm8k", "main", f"c{i}", ok=True, cached=True, status="scored", score=1.0)
        )
    clock.now += 2.0
    for i, (status, score) in enumerate(
        [("scored", 1.0), ("scored", 0.0), ("error", None), ("invalid", None)]
    ):
        state.apply(
            SampleFinished(
                "gsm8k", "main", str(i), ok=status == "scored", status=status, score=score, output_tokens=5
            )
        )
    state.apply(TokensGenerated("gsm8k", 3, 16))
    ds = state.datasets["gsm8k"]
    assert (ds.done, ds.scored, ds.errors, ds.invalid, ds.cached) == (6, 4, 1, 1, 2)
    assert ds.running_score == pytest.approx(3 / 4)  # two cached passes, one pass, one fail
    assert ds.rate(clock.now) == pytest.approx(4 / 2.0)  # cache hits are not answered samples
    assert ds.eta(clock.now) == pytest.approx(4 / 2.0)  # 4 left at 2/s
    assert ds.tokens_per_second(clock.now) == pytest.approx(20 / 2.0)
    clock.now += 1.0
    state.apply(TaskFinished("gsm8k", 10))
    assert ds.state == "done" and ds.eta(clock.now) == 0.0
    state.apply(RunFinished("r1", "/tmp/r1", ok=False, message="gsm8k: stopped"))
    assert not state.running and state.ok is False and state.message == "gsm8k: stopped"
    assert state.elapsed() == pytest.approx(3.0)


def test_no_rate_in_the_first_half_second():
    clock = Clock()
    state = EvalLiveState(clock=clock)
    state.apply(TaskStarted("arc", total=100, cached=0))
    clock.now += 0.01
    state.apply(SampleFinished("arc", "ARC-Easy", "1", ok=True, score=1.0))
    ds = state.datasets["arc"]
    assert ds.rate(clock.now) is None and ds.eta(clock.now) is None


def test_bar_and_eta_text():
    assert bar(5, 10, width=10) == "█████░░░░░ 5/10"
    assert bar(3, None) == "3/?"
    assert (
        fmt_eta(None) == "-" and fmt_eta(0) == "done" and fmt_eta(75) == "1:15" and fmt_eta(3725) == "1:02:05"
    )


@attrs.frozen
class Record:
    success: bool
    ttft: float = float("nan")
    latency: float = float("nan")
    itls: tuple[float, ...] = ()


def test_perf_rate_window_and_percentiles():
    clock = Clock()
    state = PerfLiveState(clock=clock, window=5.0)
    state.on_shape_started("parallel_2_number_10", 10)
    for i in range(10):
        clock.now += 0.5
        state.on_request(Record(True, ttft=0.010 * (i + 1), latency=0.1, itls=(0.002, 0.004)))
    state.on_request(Record(False))
    assert (state.done, state.failed) == (11, 1)
    assert state.rate() == pytest.approx(11 / 5.0)  # 11 finished in the last 5 s
    pct = state.percentiles()
    assert pct["TTFT (ms)"]["p50"] == pytest.approx(55.0)
    assert pct["ITL (ms)"]["p99"] == pytest.approx(4.0)
    clock.now += 10
    assert state.rate() == 0.0
    assert state.sample_rate() == 0.0 and state.history == [0.0]
    assert percentile([], 50) is None


def test_events_drained_in_a_batch_keep_the_times_they_happened():
    from evalscope.viz.tui.live import QueueSink

    clock = Clock()
    sink = QueueSink()
    sink.on_event(TaskStarted("gsm8k", total=4, cached=0))
    sink.on_event(SampleFinished("gsm8k", "main", "0", ok=True, score=1.0))
    stamped = sink.drain()
    assert [type(e).__name__ for _, e in stamped] == ["TaskStarted", "SampleFinished"]
    # the UI takes them much later, in one batch: the rate uses their own times, not the drain time
    state = EvalLiveState(clock=clock)
    state.apply_all([(10.0, stamped[0][1]), (12.0, stamped[1][1]), (14.0, TaskFinished("gsm8k", 4))])
    ds = state.datasets["gsm8k"]
    assert ds.elapsed(clock.now) == pytest.approx(4.0) and ds.rate(clock.now) == pytest.approx(1 / 4.0)
