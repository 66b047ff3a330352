"""Progress moves while a local batch generates: token events, tokens/s and an ETA in the bar."""

from __future__ import annotations

import io

from evalscope.core.events import SampleFinished, TaskStarted, TokensGenerated
from evalscope.core.progress import TqdmProgress


def test_bar_shows_tokens_rate_and_eta_before_any_sample_finishes():
    out = io.StringIO()
    bar = TqdmProgress(file=out)
    bar.on_event(TaskStarted("gsm8k", total=4, cached=0, output_type="generation"))
    bar.started -= 10.0  # ten seconds in
    for _ in range(200):
        bar.on_event(TokensGenerated("gsm8k", 1, max_tokens=100))
    status = bar.token_status(bar.started + 10.0)
    # 200 tokens in 10 s; 4 samples x 100-token budget, 200 already made: 200 to go at 20 tok/s
    assert status == "200 tok, 20.0 tok/s, ETA 0:10"
    bar.on_event(SampleFinished("gsm8k", "main", "0", ok=True, output_tokens=40))
    # now 40 tokens per finished sample: 3 left x 40 = 120 expected, 160 of the 200 are unfinished ones'
    assert bar.eta_seconds(20.0) == 0.0


def test_bar_and_live_views_fold_events_into_the_same_core_reducer():
    from evalscope.core.events import TaskFinished
    from evalscope.core.progress_state import ProgressState
    from evalscope.viz.tui.state import EvalLiveState

    events = [
        TaskStarted("gsm8k", total=3, cached=1, output_type="generation"),
        SampleFinished("gsm8k", "main", "0", ok=True, cached=True, score=1.0),
        TokensGenerated("gsm8k", 30, max_tokens=64),
        SampleFinished("gsm8k", "main", "1", ok=True, score=0.0, output_tokens=30),
        SampleFinished("gsm8k", "main", "2", ok=False, status="error"),
        TaskFinished("gsm8k", num_samples=3),
    ]
    bar = TqdmProgress(file=io.StringIO())
    live = EvalLiveState(clock=lambda: 5.0)
    for event in events:
        bar.on_event(event)
        live.apply(event)
    assert EvalLiveState is ProgressState and isinstance(bar.state, ProgressState)
    ds, seen = bar.state.datasets["gsm8k"], live.datasets["gsm8k"]
    counts = (
        "total",
        "cached",
        "done",
        "scored",
        "errors",
        "failed",
        "fresh",
        "tokens",
        "generated",
        "streamed",
    )
    assert {k: getattr(ds, k) for k in counts} == {k: getattr(seen, k) for k in counts}
    assert (seen.done, seen.errors, seen.failed, seen.running_score, seen.generated) == (3, 1, 1, 0.5, 1)
    assert bar.bar is None and ds.state == "done"
