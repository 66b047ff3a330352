"""Progress events the engine emits through the ProgressSink port.

Every front-end (the tqdm bar, the TUI, a training loop's logger) listens to the same events:

    RunStarted -> (TaskStarted -> TokensGenerated* / SampleFinished* -> TaskFinished)* -> RunFinished
"""

from __future__ import annotations

import attrs


@attrs.frozen
class RunStarted:
    run_id: str
    run_dir: str
    model_id: str
    datasets: tuple[str, ...]


@attrs.frozen
class TaskStarted:
    dataset: str
    total: int
    cached: int
    #: how answers are obtained: generation, multiple_choice (letter probabilities) or continuation
    output_type: str = ""


@attrs.frozen
class TokensGenerated:
    """New tokens of in-flight generations (local models stream them step by step).

    `tokens` is the count since the previous event of this dataset; `max_tokens` the per-sample
    budget, so a front-end can estimate the remaining work of unfinished samples.
    """

    dataset: str
    tokens: int
    max_tokens: int | None = None


@attrs.frozen
class SampleFinished:
    dataset: str
    subset: str
    sample_id: str
    ok: bool
    cached: bool = False
    #: scored | error | invalid | skipped | predicted (see SampleStatus)
    status: str = "scored"
    #: the sample's primary score when scored (for running averages)
    score: float | None = None
    output_tokens: int = 0


@attrs.frozen
class TaskFinished:
    dataset: str
    num_samples: int


@attrs.frozen
class RunFinished:
    run_id: str
    run_dir: str
    ok: bool
    message: str = ""


class NullSink:
    """Swallows events."""

    def on_event(self, event: object) -> None:
        return None


class FanOutSink:
    """Sends every event to several sinks."""

    def __init__(self, *sinks: object) -> None:
        self.sinks = [s for s in sinks if s is not None]

    def on_event(self, event: object) -> None:
        for sink in self.sinks:
            sink.on_event(event)  # type: ignore[attr-defined]  # sinks are ProgressSinks (duck-typed)
