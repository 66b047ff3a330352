"""Ports: the interfaces adapters implement. Core depends only on these."""

from __future__ import annotations

import abc
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import attrs

from evalscope.core.types import ModelOutput, ModelRequest, RequestKind, SampleResult

if TYPE_CHECKING:
    from evalscope.core.report import Report

#: `on_delta(index_in_batch, text)`: new text of one request of a batch, called on the event loop.
#: It returns False once nobody waits for that request any more (the caller was cancelled, e.g. a
#: served client hung up); an adapter may then stop generating it. None or True: keep going.
DeltaCallback = Callable[[int, str], "bool | None"]


class ModelAPI(abc.ABC):
    """A model provider (transformers, an OpenAI-compatible server, a mock...).

    Adapters implement `call` for a batch of requests of one kind. Everything every model shares
    (concurrency, retries, timeouts, caching, batching) is added by `evalscope.core.model.Model`.
    """

    #: request kinds this provider can answer
    capabilities: frozenset[RequestKind] = frozenset({RequestKind.GENERATE})
    #: how many requests `call` accepts at once (1 for per-request HTTP APIs)
    max_batch_size: int = 1
    #: whether `call_streaming` reports text as it is produced (else only once it is finished)
    streams: bool = False

    def __init__(self, model: str | None, model_args: dict[str, Any] | None = None, **options: Any) -> None:
        self.model_name = model
        self.model_args = dict(model_args or {})
        self.options = options

    @abc.abstractmethod
    async def call(self, requests: Sequence[ModelRequest]) -> list[ModelOutput]:
        """Answer requests of one kind, in order."""

    async def call_streaming(
        self, requests: Sequence[ModelRequest], on_delta: DeltaCallback
    ) -> list[ModelOutput]:
        """Like `call`, also reporting generated text as it appears.

        `on_delta(i, text)` is called on the event loop's thread with new text of `requests[i]`,
        in order; the deltas of a request concatenate to its output's `text`. Adapters that stream
        set `streams = True` and override this; the default answers with `call` and reports each
        finished text as one delta. A streaming adapter should stop generating a request whose
        `on_delta` returned False (its text is not wanted any more).
        """
        outputs = await self.call(requests)
        for i, output in enumerate(outputs):
            if output.text and output.error is None:
                on_delta(i, output.text)
        return outputs

    def is_retryable(self, error: BaseException) -> bool:
        """Whether `error` is transient (rate limit, timeout, 5xx)."""
        return isinstance(error, (TimeoutError, ConnectionError))

    def retry_after(self, error: BaseException) -> float | None:
        """Seconds the provider asked us to wait (Retry-After), if it said."""
        return None

    def identity(self) -> dict[str, Any]:
        """What identifies the answers of this model for caching (no secrets)."""
        return {"provider": type(self).__name__, "model": self.model_name}

    async def aclose(self) -> None:  # noqa: B027 - optional hook
        """Release connections, threads, devices."""


@attrs.frozen
class DatasetRef:
    """Which records to load: a benchmark's subset and split, and where it may lie."""

    benchmark: str
    subset: str
    split: str
    dataset_id: str | None = None
    hub_subset: str | None = None
    #: the split's name on the hub (differs from `split` when subsets are published as splits)
    hub_split: str | None = None
    #: directories that may hold the files, tried in order (user's local_path, <dataset_dir>/<bench>)
    local_roots: tuple[str, ...] = ()
    #: file names relative to a root, with {subset} and {split} placeholders
    local_patterns: tuple[str, ...] = ()


class DatasetSource(abc.ABC):
    """Where records come from: a local directory, the ModelScope hub, the HF hub."""

    name: str = "source"

    @abc.abstractmethod
    def load(self, ref: DatasetRef) -> list[dict[str, Any]] | None:
        """Records of `ref`, or None when this source does not hold it."""


@attrs.define
class RunInfo:
    """Identity of one evaluation run as the stores see it."""

    run_id: str
    work_dir: str
    model_id: str
    config: dict[str, Any] = attrs.field(factory=dict)
    started_at: float = 0.0


class ResultStore(abc.ABC):
    """Durable per-sample records and reports. Each save happens before the next step runs."""

    name: str = "store"

    @abc.abstractmethod
    def open(self, run: RunInfo) -> None: ...

    @abc.abstractmethod
    def load_results(self, dataset: str) -> dict[tuple[str, str], SampleResult]:
        """Finished predictions of `dataset` in this run, keyed by (subset, sample_id)."""

    @abc.abstractmethod
    def save_prediction(self, dataset: str, result: SampleResult) -> None: ...

    @abc.abstractmethod
    def save_review(self, dataset: str, result: SampleResult) -> None: ...

    @abc.abstractmethod
    def save_report(self, report: Report) -> None: ...

    def close(self) -> None:  # noqa: B027 - optional hook
        """Flush and release."""


@runtime_checkable
class ProgressSink(Protocol):
    """Receives progress events; the CLI bar, the TUI and the site all listen here."""

    def on_event(self, event: Any) -> None: ...
