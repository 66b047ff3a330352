"""Local generation reports its tokens as they are generated (the bar and the TUI move mid-batch)."""

from __future__ import annotations

import pytest

from evalscope.core.events import SampleFinished, TokensGenerated


@pytest.mark.slow
def test_local_generation_reports_tokens_as_they_are_generated(tmp_path, dataset_dir, hf_api):
    from evalscope.run import run_task

    events: list[object] = []

    class Recorder:
        def on_event(self, event: object) -> None:
            events.append(event)

    run_task(
        {"datasets": ["gsm8k"], "limit": 2, "dataset_dir": str(dataset_dir), "work_dir": str(tmp_path),
         "generation_config": {"max_tokens": 12}, "dataset_args": {"gsm8k": {"few_shot_num": 0}}},
        model=hf_api, sink=Recorder(), print_table=False,
    )
    first_done = next(i for i, e in enumerate(events) if isinstance(e, SampleFinished))
    tokens = [e for e in events[:first_done] if isinstance(e, TokensGenerated)]
    assert len(tokens) >= 10, "decoding steps are reported before the batch finishes"
    assert all(t.max_tokens == 12 for t in tokens)
