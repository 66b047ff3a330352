"""The evaluation engine: an async pipeline per sample.

    build request -> call the model -> persist the prediction -> filter -> extract -> score
    -> persist the review

`eval_batch_size` bounds how many samples are in flight; the `Model` wrapper turns concurrent
requests into batches for local models. A prediction is stored before the sample is scored, so a
killed run loses at most the samples in flight; a resumed run redoes only what is missing.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence

import attrs

from evalscope.core.benchmark import Task
from evalscope.core.events import NullSink, SampleFinished, TaskFinished, TaskStarted
from evalscope.core.filters import FilterError
from evalscope.core.model import Model
from evalscope.core.ports import ProgressSink, ResultStore
from evalscope.core.report import Report, build_report
from evalscope.core.types import ModelOutput, ModelRequest, Sample, SampleResult

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
    seconds: float = 0.0


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
    ) -> None:
        self.model = model
        self.stores = list(stores)
        self.concurrency = max(1, concurrency)
        self.stage = stage
        self.model_id = model_id
        self.sink = sink or NullSink()
        self.identity = identity
        self.last_run = TaskRun()

    async def run(self, task: Task, samples: Sequence[Sample]) -> Report | None:
        started = time.perf_counter()
        run = self.last_run = TaskRun(total=len(samples))
        done = self.stores[0].load_results(task.name) if self.stores else {}
        requests = [task.build_request(s) for s in samples]
        keys = [self._key(r) for r in requests]
        cached: list[SampleResult | None] = []
        for sample, key in zip(samples, keys):
            hit = done.get((sample.subset, sample.id))
            cached.append(hit if hit is not None and hit.error is None and hit.request_key == key else None)
        run.cached = sum(1 for c in cached if c is not None)
        self.sink.on_event(TaskStarted(task.name, len(samples), run.cached))
        semaphore = asyncio.Semaphore(self.concurrency)
        results: list[SampleResult | None] = [None] * len(samples)

        async def one(i: int, sample: Sample) -> None:
            async with semaphore:
                results[i] = await self._evaluate(task, sample, requests[i], keys[i], cached[i], run)

        await asyncio.gather(*(one(i, s) for i, s in enumerate(samples)))
        run.seconds = time.perf_counter() - started
        self.sink.on_event(TaskFinished(task.name, len(samples)))
        finished = [r for r in results if r is not None and r.error is None]
        if self.stage == "infer":
            return None
        report = build_report(
            dataset=task.name,
            model=self.model_id,
            results=finished,
            metric_names=task.metrics,
            pretty_name=task.spec.pretty_name,
            subset_order=task.spec.subsets,
            aggregate=task.spec.aggregate,
        )
        for store in self.stores:
            store.save_report(report)
        return report

    def _key(self, request: ModelRequest) -> str:
        """Identity of a prediction: the model's identity plus everything in the request."""
        return f"{self.identity}:{request.cache_key()}" if self.identity else request.cache_key()

    async def _evaluate(
        self, task: Task, sample: Sample, request: ModelRequest, key: str, cached: SampleResult | None, run: TaskRun
    ) -> SampleResult | None:
        if cached is not None:
            result = cached
            result.sample = sample
            from_cache = True
        elif self.stage == "review" or self.model is None:
            self.sink.on_event(SampleFinished(task.name, sample.subset, sample.id, ok=False))
            return None  # nothing to review for this sample
        else:
            from_cache = False
            try:
                output = await self.model.call(request)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - recorded per sample, never silently scored
                message = f"{sample.subset}/{sample.id}: {type(exc).__name__}: {exc}"
                log.error("sample failed: %s", message)
                run.errors.append(message)
                self.sink.on_event(SampleFinished(task.name, sample.subset, sample.id, ok=False))
                return SampleResult(sample.id, sample.subset, key, ModelOutput(error=str(exc)), sample=sample, error=str(exc))
            run.inferred += 1
            result = SampleResult(
                sample_id=sample.id,
                subset=sample.subset,
                request_key=key,
                output=output,
                sample=sample,
                gold=sample.target,
                category=task.spec.category_of(sample.subset),
            )
            for store in self.stores:
                store.save_prediction(task.name, result)
        if self.stage != "infer":
            if task.spec.blocking_score:
                await asyncio.to_thread(self._review, task, sample, result)
            else:
                self._review(task, sample, result)
            for store in self.stores:
                store.save_review(task.name, result)
        self.sink.on_event(SampleFinished(task.name, sample.subset, sample.id, ok=True, cached=from_cache))
        return result

    @staticmethod
    def _review(task: Task, sample: Sample, result: SampleResult) -> None:
        result.gold = sample.target
        result.category = task.spec.category_of(sample.subset)
        try:
            result.filtered, result.prediction = task.predict(sample, result.output)
        except FilterError as exc:
            result.filtered, result.prediction = None, None
            result.scores = {m: 0.0 for m in task.metrics}
            log.debug("sample %s/%s scored 0: %s", sample.subset, sample.id, exc)
            return
        scores = task.score(result.prediction, sample, result.output)
        result.scores = {k: float(v) for k, v in scores.items()}
