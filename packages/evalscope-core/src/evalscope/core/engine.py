"""The evaluation engine: an async pipeline per sample.

    build request -> call the model -> persist the prediction -> filter -> extract -> score
    -> persist the review

`concurrency` workers pull samples one at a time, so memory stays flat however large the dataset;
the `Model` wrapper turns concurrent requests into batches for local models. A prediction is stored
before the sample is scored, so a killed run loses at most the samples in flight; a resumed run
redoes only what is missing.

A sample ends in one `SampleStatus`: SCORED (counts in the score), ERROR (the model call failed or
returned an error: stored with its error, not scored, retried on resume), SKIPPED (could not be
evaluated, e.g. no usable code sandbox: stored with the reason) or INVALID (a judge's verdict did not
parse). The report counts each per subset.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence

import attrs

from evalscope.core.benchmark import SampleNotEvaluated, Task
from evalscope.core.events import NullSink, SampleFinished, TaskFinished, TaskStarted, TokensGenerated
from evalscope.core.filters import FilterError
from evalscope.core.model import Model
from evalscope.core.ports import ProgressSink, ResultStore
from evalscope.core.report import Report, TaskStats, build_report
from evalscope.core.types import ModelOutput, ModelRequest, RequestKind, Sample, SampleResult, SampleStatus

log = logging.getLogger("evalscope.engine")


class EvaluationError(RuntimeError):
    """Some samples could not be evaluated; finished ones are stored and a rerun resumes."""


@attrs.define
class TaskRun:
    """Counters of one task's run."""

    total: int = 0
    cached: int = 0
    inferred: int = 0
    errors: list[str] = attrs.field(factory=list)
    skipped: list[str] = attrs.field(factory=list)
    seconds: float = 0.0
    output_tokens: int = 0
    #: why the run stopped early (a scorer raised SampleNotEvaluated with stop_run)
    stopped: str | None = None

    def stats(self) -> TaskStats:
        return TaskStats(
            total=self.total,
            cached=self.cached,
            inferred=self.inferred,
            failed=len(self.errors),
            skipped=len(self.skipped),
            seconds=round(self.seconds, 3),
            output_tokens=self.output_tokens,
        )


class Engine:
    """Runs tasks against one model, writing every step to the result stores."""

    def __init__(
        self,
        model: Model | None,
        stores: Sequence[ResultStore],
        *,
        concurrency: int = 1,
        stage: str = "all",
        model_id: str = "model",
        sink: ProgressSink | None = None,
        identity: str = "",
        judge: Callable[[Task, Sample, SampleResult], Awaitable[None]] | None = None,
    ) -> None:
        self.model = model
        self.stores = list(stores)
        self.concurrency = max(1, concurrency)
        self.stage = stage
        self.model_id = model_id
        self.sink = sink or NullSink()
        self.identity = identity
        #: the LLM judge step (evalscope.core.judge.SampleJudge), run after the rule review
        self.judge = judge
        self.last_run = TaskRun()

    async def run(self, task: Task, samples: Sequence[Sample]) -> Report | None:
        started = time.perf_counter()
        run = self.last_run = TaskRun(total=len(samples))
        done = self.stores[0].load_results(task.name) if self.stores else {}
        # with earlier results to reuse, count the cache hits up front (keys only: memory stays small)
        hits: dict[int, SampleResult] = {}
        if done:
            for i, sample in enumerate(samples):
                hit = done.get((sample.subset, sample.id))
                if hit is not None and self._reusable(hit, task.build_request(sample)):
                    hits[i] = hit
            done.clear()
        run.cached = len(hits)
        self.sink.on_event(TaskStarted(task.name, len(samples), run.cached, task.output_type))
        kept: list[SampleResult] = []
        order = iter(range(len(samples)))

        async def worker() -> None:
            for i in order:  # workers share one iterator: each sample is taken once
                if run.stopped is not None:
                    return
                result = await self._evaluate(task, samples[i], hits.pop(i, None), run)
                if result is not None:
                    kept.append(_compact(result))

        await asyncio.gather(*(worker() for _ in range(min(self.concurrency, max(1, len(samples))))))
        run.seconds = time.perf_counter() - started
        self.sink.on_event(TaskFinished(task.name, len(samples)))
        if self.stage == "infer":
            return None
        report = build_report(
            dataset=task.name,
            model=self.model_id,
            results=kept,
            metric_names=task.metrics,
            pretty_name=task.spec.pretty_name,
            subset_order=task.spec.subsets,
            aggregate=task.spec.aggregate,
        )
        report.output_type = task.output_type
        report.stats = run.stats()
        for store in self.stores:
            store.save_report(report)
        return report

    def _key(self, request: ModelRequest) -> str:
        """Identity of a prediction: the model's identity plus everything in the request."""
        return f"{self.identity}:{request.cache_key()}" if self.identity else request.cache_key()

    def _reusable(self, hit: SampleResult, request: ModelRequest) -> bool:
        """A stored prediction is reused when it succeeded and answers this very request."""
        if hit.status is SampleStatus.ERROR or hit.output.error is not None:
            return False
        if hit.error is not None and hit.status not in (SampleStatus.SKIPPED, SampleStatus.INVALID):
            return False  # an older record of a failed call (a judge-invalid sample's answer is fine)
        if hit.request_key == self._key(request):
            return True
        # review stage of a run whose model identity was not recorded (older runs): the request must match
        return self.model is None and not self.identity and hit.request_key.rsplit(":", 1)[-1] == request.cache_key()

    async def _evaluate(self, task: Task, sample: Sample, cached: SampleResult | None, run: TaskRun) -> SampleResult | None:
        if cached is not None:
            result = cached
            result.sample = sample
            result.error, result.details = None, {}
            from_cache = True
        elif self.stage == "review" or self.model is None:
            self._finished(task, sample, SampleStatus.ERROR, ok=False)
            return None  # nothing to review for this sample
        else:
            from_cache = False
            result = await self._infer(task, sample, run)
            for store in self.stores:
                store.save_prediction(task.name, result)
            if result.status is SampleStatus.ERROR:
                self._finished(task, sample, SampleStatus.ERROR, ok=False)
                return result
        if self.stage != "infer":
            if task.spec.blocking_score:
                skipped = await asyncio.to_thread(self.review, task, sample, result)
            else:
                skipped = self.review(task, sample, result)
            if skipped is not None:
                run.skipped.append(f"{sample.subset}/{sample.id}: {skipped.reason}")
                if skipped.stop_run and run.stopped is None:
                    run.stopped = f"{skipped.reason}. {skipped.hint}".strip()
                    log.error("%s: stopping: %s", task.name, run.stopped)
            if self.judge is not None:  # -- LLM judge (core/judge): after the rule review, before it is stored
                await self.judge(task, sample, result)
            for store in self.stores:
                store.save_review(task.name, result)
        else:
            result.status = SampleStatus.PREDICTED
        score = next(iter(result.scores.values()), None) if result.status is SampleStatus.SCORED else None
        self._finished(task, sample, result.status, ok=True, cached=from_cache, score=score, tokens=result.output.usage.output_tokens)
        return result

    async def _infer(self, task: Task, sample: Sample, run: TaskRun) -> SampleResult:
        """Call the model; an exception or an output carrying an error makes an ERROR result."""
        request = task.build_request(sample)
        key = self._key(request)
        on_delta = self._token_counter(task, request)
        try:
            output = await self.model.call(request, on_delta=on_delta)  # type: ignore[union-attr]
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - recorded per sample, never silently scored
            output = ModelOutput(error=f"{type(exc).__name__}: {exc}")
        result = SampleResult(
            sample_id=sample.id,
            subset=sample.subset,
            request_key=key,
            output=output,
            sample=sample,
            gold=sample.target,
            category=task.spec.category_of(sample.subset),
            status=SampleStatus.PREDICTED,
        )
        if output.error is not None:
            result.status, result.error = SampleStatus.ERROR, output.error
            message = f"{sample.subset}/{sample.id}: {output.error}"
            log.error("sample failed: %s", message)
            run.errors.append(message)
        else:
            run.inferred += 1
            run.output_tokens += output.usage.output_tokens
        return result

    def _token_counter(self, task: Task, request: ModelRequest):  # type: ignore[no-untyped-def]
        """An `on_delta` that reports generated tokens (one delta per decoding step) for local
        models that stream; None otherwise (a callback would disable retries of streamed calls)."""
        if request.kind is not RequestKind.GENERATE or self.model is None or not self.model.api.streams:
            return None
        max_tokens = request.config.max_tokens
        sink, name = self.sink, task.name

        def count(_text: str) -> None:
            sink.on_event(TokensGenerated(name, 1, max_tokens))

        return count

    @staticmethod
    def review(task: Task, sample: Sample, result: SampleResult) -> SampleNotEvaluated | None:
        """Filter, extract and score `result` in place; the scorer's SampleNotEvaluated (the sample
        is then SKIPPED) is returned, not raised."""
        result.gold = sample.target
        result.category = task.spec.category_of(sample.subset)
        result.status = SampleStatus.SCORED
        try:
            result.filtered, result.prediction = task.predict(sample, result.output)
        except FilterError as exc:
            # the output failed a filter (e.g. an unclosed <think> block): a wrong answer, scored 0
            result.filtered, result.prediction = None, None
            result.scores = {m: 0.0 for m in task.metrics}
            result.details["filter"] = str(exc)
            return None
        try:
            scores = task.score(result.prediction, sample, result.output)
        except SampleNotEvaluated as exc:
            result.status, result.error, result.scores = SampleStatus.SKIPPED, exc.reason, {}
            return exc
        result.scores = {k: float(v) for k, v in scores.items()}
        return None

    def _finished(
        self,
        task: Task,
        sample: Sample,
        status: SampleStatus,
        *,
        ok: bool,
        cached: bool = False,
        score: float | None = None,
        tokens: int = 0,
    ) -> None:
        self.sink.on_event(
            SampleFinished(task.name, sample.subset, sample.id, ok=ok, cached=cached, status=status.value, score=score, output_tokens=tokens)
        )


def _compact(result: SampleResult) -> SampleResult:
    """What the report needs of a result (scores, status, prediction, gold), without the prompt and
    the raw output, so a long run's memory does not grow with the text it generated."""
    return attrs.evolve(result, sample=None, output=_TRUNCATED if result.output.prompt_truncated else _EMPTY)


_EMPTY = ModelOutput()
_TRUNCATED = ModelOutput(prompt_truncated=True)
