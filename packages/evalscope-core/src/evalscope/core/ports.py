"""Ports: the interfaces adapters implement. Core depends only on these."""

from __future__ import annotations

import abc
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Protocol, TypedDict, runtime_checkable

import attrs

from evalscope.core.types import Feature, ModelOutput, ModelRequest, RequestKind, SampleResult, SampleStatus

if TYPE_CHECKING:
    from evalscope.core.report import Report

#: `on_delta(index_in_batch, text)`: new text of one request of a batch, called on the event loop.
#: It returns False once nobody waits for that request any more (the caller was cancelled, e.g. a
#: served client hung up); an adapter may then stop generating it. None or True: keep going.
DeltaCallback = Callable[[int, str], "bool | None"]


class ModelOptions(TypedDict, total=False):
    """`ModelAPI.__init__`'s keywords, for adapters that pass them on (`**options: Unpack[ModelOptions]`)."""

    batch_size: int
    seed: int | None
    truncation: str
    chat_template: str | None
    api_url: str | None
    api_key: str | None
    timeout: float | None
    stream: bool


class ModelAPI(abc.ABC):
    """A model provider (transformers, an OpenAI-compatible server, a mock...).

    Adapters implement `call` for a batch of requests of one kind. Everything every model shares
    (concurrency, retries, timeouts, caching, batching) is added by `evalscope.core.model.Model`.
    """

    #: request kinds this provider can answer
    capabilities: frozenset[RequestKind] = frozenset({RequestKind.GENERATE})
    #: features beyond a request kind (tools, multi_turn, n_choices, reasoning, images) this provider
    #: serves; a task needing one it lacks is refused (`evalscope.core.features.require_features`)
    features: frozenset[Feature] = frozenset()
    #: how many requests `call` accepts at once (1 for per-request HTTP APIs)
    max_batch_size: int = 1
    #: whether `call_streaming` reports text as it is produced (else only once it is finished)
    streams: bool = False
    #: whether `count_tokens` measures prompts in the model's own tokens (else it answers None)
    counts_tokens: bool = False

    def __init__(
        self,
        model: str | None,
        model_args: dict[str, Any] | None = None,
        *,
        batch_size: int = 1,
        seed: int | None = None,
        truncation: str = "error",
        chat_template: str | None = None,
        api_url: str | None = None,
        api_key: str | None = None,
        timeout: float | None = None,
        stream: bool = False,
    ) -> None:
        """What `open_model_api(ModelSpec)` passes every provider: the model's name and `model_args`,
        `batch_size` (requests per `call` it may take), `seed`, `truncation` (a prompt longer than the
        context: "error" or "left"), `chat_template`, and for a service `api_url`, `api_key`,
        `timeout` and `stream`. The base keeps all but the key (an adapter that sends it keeps it
        its own way); adapters add keywords of their own, typed."""
        self.model_name = model
        self.model_args = dict(model_args or {})
        self.batch_size = batch_size
        self.seed = seed
        self.truncation = truncation
        self.chat_template = chat_template
        self.api_url = api_url
        self.timeout = timeout
        self.stream = stream

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

    def count_tokens(self, prompts: Sequence[str | ModelRequest]) -> list[int] | None:
        """Each prompt's length in this model's own tokens, exact, or None when it cannot count
        (the default; adapters that can set `counts_tokens`). A string is counted as plain text (no
        special tokens); a request as the model would see it (its messages through the chat
        template with the generation prompt, or its raw prompt)."""
        return None

    def context_length(self) -> int | None:
        """The model's context window in tokens (prompt plus answer), when known."""
        return None

    def tool_mode(self) -> str | None:
        """How requests' `tools` reach this model (`evalscope.core.tools.prompt_mode`): "native"
        (sent to a service), "native chat template" or "prompt" (local models); None without
        `Feature.TOOLS`. Recorded with a run whose requests carry tools and shown under its table."""
        return "native" if Feature.TOOLS in self.features else None

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
    def load(self, ref: DatasetRef) -> Sequence[dict[str, Any]] | None:
        """Records of `ref`, or None when this source does not hold it."""


def new_run_id() -> str:
    """A run id unique across machines and processes (time-ordered, then random)."""
    import time
    import uuid

    return f"{time.strftime('%Y%m%d_%H%M%S')}_{uuid.uuid4().hex[:12]}"


@attrs.define
class RunInfo:
    """Identity of one run as the stores see it.

    `run_id` is unique (see `new_run_id`), never just the directory name, so several runs can share
    one database. `name` is the human label (the run directory's name). `model_identity` is the
    digest that prefixes every request key of the run: it is stored so that `--stage review` (no
    model loaded) finds the run's predictions. `kind` is eval, perf or arena.
    """

    run_id: str
    work_dir: str
    model_id: str
    config: dict[str, Any] = attrs.field(factory=dict)
    started_at: float = 0.0
    name: str = ""
    model_identity: str = ""
    kind: str = "eval"
    status: str = "running"  # running | finished | failed
    finished_at: float | None = None
    datasets: list[str] = attrs.field(factory=list)
    #: dataset -> samples the run will evaluate (known once its data is loaded, before any model
    #: call), so a viewer following a run can show progress and an ETA
    planned: dict[str, int] = attrs.field(factory=dict)


@attrs.define(kw_only=True)
class ResultFilter:
    """Which per-sample results to read. Every field narrows; None means any.

    `passed`: True keeps samples whose primary score (the first metric, or `metric`) is at least
    `threshold`, False those below it (only scored samples have a score). `search` is a
    case-insensitive substring of the prompt, the output, the prediction or the gold answer.
    """

    dataset: str | None = None
    subset: str | None = None
    status: SampleStatus | None = None
    passed: bool | None = None
    metric: str | None = None
    threshold: float = 1.0
    search: str | None = None
    sample_ids: Sequence[str] | None = None
    offset: int = 0
    limit: int | None = None


class ResultStore(abc.ABC):
    """Durable runs, per-sample records and reports.

    Write side: each save happens before the next step runs. Read side (for `compare`, collections,
    the report site, the TUI and the arena): list runs, load a run's reports, read its per-sample
    results with filters and paging. A store opened for writing reads its own run too.
    """

    name: str = "store"

    # -- write side ---------------------------------------------------------------------------
    @abc.abstractmethod
    def open(self, run: RunInfo) -> None: ...

    @abc.abstractmethod
    def load_results(self, dataset: str) -> dict[tuple[str, str], SampleResult]:
        """Finished predictions of `dataset` in the open run, keyed by (subset, sample_id)."""

    @abc.abstractmethod
    def save_prediction(self, dataset: str, result: SampleResult) -> None: ...

    @abc.abstractmethod
    def save_review(self, dataset: str, result: SampleResult) -> None: ...

    @abc.abstractmethod
    def save_report(self, report: Report) -> None: ...

    def update_run(self, run: RunInfo) -> None:  # noqa: B027 - optional hook
        """Record the run's new state (status, finish time, datasets)."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Flush and release."""

    # -- read side ----------------------------------------------------------------------------
    @abc.abstractmethod
    def list_runs(self, *, kind: str | None = None) -> list[RunInfo]:
        """Every run this store holds, oldest first."""

    def find_run(self, run_id_or_name: str) -> RunInfo | None:
        """A run by its id, or by its name when that is unambiguous."""
        runs = self.list_runs()
        for run in runs:
            if run.run_id == run_id_or_name:
                return run
        named = [r for r in runs if r.name == run_id_or_name]
        return named[0] if len(named) == 1 else None

    @abc.abstractmethod
    def load_reports(self, run_id: str) -> list[Report]:
        """The reports of a run, one per dataset. An unknown run id raises LookupError."""

    def report_location(self, run_id: str, dataset: str) -> str | None:
        """Where the run's report of `dataset` lies as a file of its own (a path), or None when the
        store keeps none (a database). An unknown run id raises LookupError."""
        return None

    @abc.abstractmethod
    def iter_results(self, run_id: str, where: ResultFilter | None = None) -> Iterator[SampleResult]:
        """Per-sample results of a run (reviewed where a review exists), filtered and paged.

        Ordered by dataset, subset, then sample id as text; filter semantics are those of
        `evalscope.core.stores.query.matches`. An unknown run id raises LookupError.
        """

    def count_results(self, run_id: str, where: ResultFilter | None = None) -> int:
        """How many results `iter_results` would give without paging."""
        unpaged = attrs.evolve(where or ResultFilter(), offset=0, limit=None)
        return sum(1 for _ in self.iter_results(run_id, unpaged))


@runtime_checkable
class ProgressSink(Protocol):
    """Receives progress events; the CLI bar, the TUI and the site all listen here."""

    def on_event(self, event: Any) -> None: ...
