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
