"""Progress events the engine emits through the ProgressSink port."""

from __future__ import annotations

import attrs


@attrs.frozen
class TaskStarted:
    dataset: str
    total: int
    cached: int


@attrs.frozen
class SampleFinished:
    dataset: str
    subset: str
    sample_id: str
    ok: bool
    cached: bool = False


@attrs.frozen
class TaskFinished:
    dataset: str
    num_samples: int


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
            sink.on_event(event)  # type: ignore[attr-defined]
