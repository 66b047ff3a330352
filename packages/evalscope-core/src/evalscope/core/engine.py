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

An `Executor` (e.g. Ray actors, registered under `evalscope.executors`) may do the model calls and
reviews elsewhere: it receives the samples that are not reused from the store and yields each one's
`Evaluated` outcome; the engine alone writes the stores, runs the judge and emits progress events, so
a distributed run writes the same records and report as a local one.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from typing import Any, Protocol, cast

import attrs

from evalscope.core.agent.loop import run_agent
from evalscope.core.benchmark import SampleNotEvaluated, Task
from evalscope.core.conversation import combine, conversation_key, partial_key, resumable_turns, turn_request
from evalscope.core.cpu import CpuMeter
from evalscope.core.events import NullSink, SampleFinished, TaskFinished, TaskStarted, TokensGenerated
from evalscope.core.filters import FilterError
from evalscope.core.model import Model
from evalscope.core.models.spec import ModelSpec
from evalscope.core.ports import ProgressSink, ResultStore
from evalscope.core.report import Report, ScoreTally, TaskStats, Timing
from evalscope.core.types import (
    MAX_SEED,
    Feature,
    ModelOutput,
    ModelRequest,
    RequestKind,
    Sample,
    SampleKey,
    SampleResult,
    SampleStatus,
    Usage,
)

log = logging.getLogger("evalscope.engine")


class EvaluationError(RuntimeError):
    """Some samples could not be evaluated; finished ones are stored and a rerun resumes."""


@attrs.define
class Evaluated:
    """One sample inferred (and reviewed, unless the stage is infer) by an executor's worker.

    `result.sample` may be None (workers need not send the sample back); `skipped` is the scorer's
    SampleNotEvaluated as (reason, hint, stop_run) when the sample could not be scored.
    """

    result: SampleResult
    skipped: tuple[str, str, bool] | None = None


@attrs.define
class ExecutorRequest:
    """What an executor factory receives (the `executors` registry: `factory(request)`), converted
    from the run's `TaskConfig` by the application layer (`evalscope.app.requests.executor_request`)."""

    #: the run's model, as every worker builds it (`open_model_api` + `open_model`)
    model: ModelSpec
    stage: str = "all"
    #: the executor's own settings (`executor_args`: workers, num_gpus, shard_size, ...)
    executor_args: dict[str, Any] = attrs.field(factory=dict)
    #: a cluster to join (`ray_address`), else a local one
    address: str | None = None
    debug: bool = False


class Executor(Protocol):
    """Runs model calls and reviews away from the engine (another process, other machines).

    `evaluate` receives the samples still to do (an iterator: take them as workers are free) and
    yields an `Evaluated` per sample, each exactly once, in any order; a sample it cannot finish is
    yielded with an ERROR result, or the call raises. Workers evaluate with
    `Engine.evaluate_detached`.
    """

    def evaluate(self, task: Task, samples: Iterator[Sample], engine: Engine) -> AsyncIterator[Evaluated]: ...


@attrs.define
class TaskRun:
    """Counters of one task's run."""

    total: int = 0
    cached: int = 0
    inferred: int = 0
    errors: list[str] = attrs.field(factory=list)
    skipped: list[str] = attrs.field(factory=list)
    seconds: float = 0.0
    #: process CPU seconds of the task's run (`evalscope.core.cpu`)
    cpu_seconds: float = 0.0
    output_tokens: int = 0
    #: why the run stopped early (a scorer raised SampleNotEvaluated with stop_run)
    stopped: str | None = None

    def fail(self, sample: Sample, error: str | None) -> None:
        """Count and log a sample that failed (model call, its output, or its judge)."""
        message = f"{sample.subset}/{sample.id}: {error}"
        log.error("sample failed: %s", message)
        self.errors.append(message)

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

    def timing(self) -> Timing:
        """Wall and client CPU per inferred sample (the report's `timing`)."""
        return Timing.of(self.inferred, self.seconds, self.cpu_seconds)


@attrs.define
class TaskResult:
    """What `Engine.run` returns for one task: its report (None under stage infer) and its counters."""

    report: Report | None
    run: TaskRun


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
        executor: Executor | None = None,
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
        #: where model calls and reviews run when not here (None: in this process)
        self.executor = executor
        #: stored answers of conversations cut short (a run killed in a later turn), by (task, subset, record id)
        self._resume: dict[tuple[str, str, str], list[ModelOutput]] = {}

    async def run(self, task: Task, samples: Sequence[Sample]) -> TaskResult:
        """Evaluate `samples` of `task`; the report is stored and returned with the task's counters."""
        meter = CpuMeter().start()
        k = max(1, task.repeats)  # answers per item: each (sample, repeat) is its own record
        run = TaskRun(total=len(samples) * k)
        done, restored = self._stored(task, len(samples) * k)
        # with earlier results to reuse, count the cache hits up front (keys only: memory stays small)
        hits: dict[tuple[int, int], SampleResult] = {}
        restore: set[tuple[int, int]] = set()  # hits the primary store lost: stored in it again when reused
        if done:
            for i, sample in enumerate(samples):
                request = task.build_request(sample)
                for r in range(k):
                    key = (sample.subset, SampleKey(sample.subset, sample.id, r).record_id)
                    hit = done.get(key)
                    if hit is not None and self._reusable(hit, repeat_request(request, r), sample):
                        hit.repeat = r
                        hits[(i, r)] = hit
                        if key in restored:
                            restore.add((i, r))
                    elif hit is not None and sample.turns:  # a conversation cut short: its answered turns are kept
                        self._keep_turns(task, sample, hit, r)
            done.clear()
            restored.clear()
        run.cached = len(hits)
        self.sink.on_event(TaskStarted(task.name, len(samples) * k, run.cached, task.output_type))
        kept = ScoreTally(keep_scored=task.spec.scoring.aggregate is not None, cluster_items=k > 1, repeats=k)
        elsewhere = self.executor is not None and self.model is not None and self.stage != "review"
        reused = frozenset(hits)
        ask_n = not elsewhere and self._asks_n(task, samples)
        # one pass over the samples (they may stream from disk); workers share the iterator, so each is taken once
        order = _units(samples, k, reused, fresh=not elsewhere, ask_n=ask_n)

        async def worker() -> None:
            for i, sample, repeats in order:
                if run.stopped is not None:
                    return
                if len(repeats) > 1:  # one request for the item's missing repeats (the provider's `n`)
                    for answer in await self._evaluate_choices(task, sample, repeats, run):
                        kept.add(answer)
                    continue
                r = repeats[0]
                result = await self._evaluate(task, sample, hits.pop((i, r), None), run, restore=(i, r) in restore, repeat=r)
                if result is not None:
                    kept.add(result)

        workers = [worker() for _ in range(min(self.concurrency, max(1, len(samples) * k)))]
        if elsewhere:  # reused samples are reviewed here, the rest go to the executor
            workers.append(self._run_elsewhere(task, samples, reused, run, kept))
        await asyncio.gather(*workers)
        meter.stop()
        run.seconds, run.cpu_seconds = meter.wall_s, meter.cpu_s
        self.sink.on_event(TaskFinished(task.name, len(samples)))
        if self.stage == "infer":
            return TaskResult(None, run)
        report = kept.report(
            dataset=task.name,
            model=self.model_id,
            metric_names=task.metrics,
            pretty_name=task.spec.pretty_name,
            subset_order=task.spec.data.subsets,
            aggregate=task.spec.scoring.aggregate,
        )
        report.output_type = task.output_type
        report.judge_verdicts = dict(task.judge_verdicts)
        report.tool_mode = task.tool_mode
        report.repeats, report.repeats_note = k, task.repeats_note
        report.stats = run.stats()
        report.timing = run.timing()
        for store in self.stores:
            store.save_report(report)
        return TaskResult(report, run)

    def _stored(self, task: Task, planned: int) -> tuple[dict[tuple[str, str], SampleResult], set[tuple[str, str]]]:
        """The run's stored predictions of `task`, by (subset, id), and the keys of those only a later
        store holds. The primary store (the database) answers first; when it holds fewer than the
        planned samples (a database that was emptied, replaced or moved aside), the other stores (the
        work-dir JSONL records) fill in what it lacks, so nothing they hold is asked again."""
        if not self.stores:
            return {}, set()
        primary = self.stores[0]
        done = primary.load_results(task.name)
        restored: set[tuple[str, str]] = set()
        for store in self.stores[1:]:
            if len(done) >= planned:
                break
            for key, result in store.load_results(task.name).items():
                if key not in done:
                    done[key] = result
                    restored.add(key)
            if restored:
                log.warning(
                    "%s: the %s store lacks %d stored predictions that the %s store holds; they are reused "
                    "(not asked again) and stored in it again",
                    task.name, primary.name, len(restored), store.name,
                )
        return done, restored

    def _key(self, request: ModelRequest, sample: Sample | None = None) -> str:
        """Identity of a prediction: the model's identity plus everything in the request (and a
        multi-turn item's later user turns, `conversation_key`)."""
        key = request.cache_key() if sample is None else conversation_key(request.cache_key(), sample)
        return f"{self.identity}:{key}" if self.identity else key

    def _keep_turns(self, task: Task, sample: Sample, hit: SampleResult, repeat: int = 0) -> None:
        """Remember the answered turns of a stored, unfinished conversation for `_infer` to reuse."""
        key = self._key(repeat_request(task.build_request(sample), repeat), sample)
        kept = resumable_turns(hit.request_key, hit.output, key, sample.n_turns)
        if kept:
            self._resume[(task.name, sample.subset, SampleKey(sample.subset, sample.id, repeat).record_id)] = kept

    def _reusable(self, hit: SampleResult, request: ModelRequest, sample: Sample | None = None) -> bool:
        """A stored prediction is reused when it succeeded and answers this very request."""
        if hit.status is SampleStatus.ERROR or hit.output.error is not None:
            return False
        if hit.error is not None and hit.status not in (SampleStatus.SKIPPED, SampleStatus.INVALID):
            return False  # an older record of a failed call (a judge-invalid sample's answer is fine)
        if hit.request_key == self._key(request, sample):
            return True
        # review stage of a run whose model identity was not recorded (older runs): the request must match
        bare = request.cache_key() if sample is None else conversation_key(request.cache_key(), sample)
        return self.model is None and not self.identity and hit.request_key.rsplit(":", 1)[-1] == bare

    async def _evaluate(
        self,
        task: Task,
        sample: Sample,
        cached: SampleResult | None,
        run: TaskRun,
        *,
        restore: bool = False,
        repeat: int = 0,
    ) -> SampleResult | None:
        if cached is not None:
            result = cached
            result.sample = sample
            result.error, result.details = None, {}
            from_cache = True
            if restore:  # a prediction only the JSONL records still held goes back into the database
                self.stores[0].save_prediction(task.name, result)
        elif self.stage == "review" or self.model is None:
            # nothing to review for this sample: counted as failed, never a silently shorter report
            run.fail(sample, "no stored prediction to review (run it with --stage infer or --stage all first)")
            record = SampleKey(sample.subset, sample.id, repeat).record_id
            self._finished(task, sample, SampleStatus.ERROR, ok=False, record_id=record)
            return None
        else:
            from_cache = False
            result = await self._infer(task, sample, run, repeat)
            for store in self.stores:
                store.save_prediction(task.name, result)
            if result.status is SampleStatus.ERROR:
                self._finished(task, sample, SampleStatus.ERROR, ok=False, record_id=result.sample_id)
                return result
        skipped = await self._review(task, sample, result) if self.stage != "infer" else None
        return await self._conclude(task, sample, result, _reason(skipped), run, from_cache)

    async def _review(self, task: Task, sample: Sample, result: SampleResult) -> SampleNotEvaluated | None:
        if task.spec.scoring.blocking_score:
            return await asyncio.to_thread(self.review, task, sample, result)
        return self.review(task, sample, result)

    async def _conclude(
        self,
        task: Task,
        sample: Sample,
        result: SampleResult,
        skipped: tuple[str, str, bool] | None,
        run: TaskRun,
        from_cache: bool,
    ) -> SampleResult:
        """After the rule review: the skip and stop bookkeeping, the judge, the review's store
        writes and the progress event."""
        if self.stage != "infer":
            if skipped is not None:
                reason, hint, stop_run = skipped
                run.skipped.append(f"{sample.subset}/{sample.id}: {reason}")
                if stop_run and run.stopped is None:
                    run.stopped = f"{reason}. {hint}".strip()
                    log.error("%s: stopping: %s", task.name, run.stopped)
            if self.judge is not None:  # -- LLM judge (core/judge): after the rule review, before it is stored
                await self.judge(task, sample, result)
                if result.status is SampleStatus.ERROR:  # the judge could not be reached: a failed sample
                    run.fail(sample, result.error)
            for store in self.stores:
                store.save_review(task.name, result)
        else:
            result.status = SampleStatus.PREDICTED
        score = next(iter(result.scores.values()), None) if result.status is SampleStatus.SCORED else None
        ok = result.status is not SampleStatus.ERROR
        self._finished(
            task, sample, result.status, ok=ok, cached=from_cache, score=score,
            tokens=result.output.usage.output_tokens, record_id=result.sample_id,
        )
        return result

    # -- repeats through the provider's `n`: one request, an answer per missing repeat ------------
    def _asks_n(self, task: Task, samples: Sequence[Sample]) -> bool:
        """Whether the item's repeats go out as one request with `n` choices (`Feature.N_CHOICES`)
        rather than a request per repeat with its own seed."""
        if task.repeats <= 1 or self.model is None or self.stage == "review":
            return False
        if task.spec.agent is not None:  # an agent's turns follow each answer's tool results: a loop per repeat
            return False
        if Feature.N_CHOICES not in self.model.api.features:
            return False
        first = next(iter(samples), None)
        if first is not None and first.turns:  # a conversation's later turns follow each answer: a request per repeat
            return False
        return first is not None and task.build_request(first).kind is RequestKind.GENERATE

    async def _evaluate_choices(
        self, task: Task, sample: Sample, repeats: tuple[int, ...], run: TaskRun
    ) -> list[SampleResult]:
        """Infer `repeats` of `sample` in one request (n = len(repeats)); each answer is stored,
        reviewed and counted as its own record, as a request per repeat would have been."""
        out: list[SampleResult] = []
        for result in await self._infer_choices(task, sample, repeats, run):
            for store in self.stores:
                store.save_prediction(task.name, result)
            if result.status is SampleStatus.ERROR:
                self._finished(task, sample, SampleStatus.ERROR, ok=False, record_id=result.sample_id)
                out.append(result)
                continue
            skipped = await self._review(task, sample, result) if self.stage != "infer" else None
            out.append(await self._conclude(task, sample, result, _reason(skipped), run, False))
        return out

    async def _infer_choices(
        self, task: Task, sample: Sample, repeats: tuple[int, ...], run: TaskRun
    ) -> list[SampleResult]:
        request = task.build_request(sample)
        first = repeat_request(request, repeats[0])
        asked = attrs.evolve(first, config=attrs.evolve(first.config, n=len(repeats)))
        try:
            output = await self.model.call(asked)  # type: ignore[union-attr]  # inference runs only with a model
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - recorded per answer, never silently scored
            output = ModelOutput(error=f"{type(exc).__name__}: {exc}")
        return [
            self._predicted(task, sample, r, self._key(repeat_request(request, r), sample), answer, run)
            for r, answer in zip(repeats, split_choices(output, len(repeats)))
        ]

    @staticmethod
    def _predicted(
        task: Task, sample: Sample, repeat: int, key: str, output: ModelOutput, run: TaskRun
    ) -> SampleResult:
        """The record of one answer (PREDICTED, or ERROR with its error), counted in `run`."""
        result = SampleResult(
            sample_id=SampleKey(sample.subset, sample.id, repeat).record_id,
            subset=sample.subset,
            request_key=key,
            output=output,
            sample=sample,
            gold=sample.target,
            category=task.spec.category_of(sample.subset),
            status=SampleStatus.PREDICTED,
            repeat=repeat,
        )
        if output.error is not None:
            result.status, result.error = SampleStatus.ERROR, output.error
            run.fail(sample, output.error)
        else:
            run.inferred += 1
            run.output_tokens += output.usage.output_tokens
        return result

    # -- executors: inference and review elsewhere, records here ----------------------------------
    async def _run_elsewhere(
        self, task: Task, samples: Sequence[Sample], reused: frozenset[tuple[int, int]], run: TaskRun, kept: ScoreTally
    ) -> None:
        k = max(1, task.repeats)  # each (sample, repeat) is a unit of work: repeats shard like samples
        fresh = (_as_unit(s, r) for i, s in enumerate(samples) for r in range(k) if (i, r) not in reused)
        # only called when an executor is set (`elsewhere` in evaluate)
        outcomes = cast("Executor", self.executor).evaluate(task, fresh, self)
        try:
            async for done in outcomes:
                kept.add(await self._record(task, done, run))
                if run.stopped is not None:
                    return
        finally:
            await outcomes.aclose()  # type: ignore[attr-defined]  # executors' evaluate is an async generator

    async def _record(self, task: Task, done: Evaluated, run: TaskRun) -> SampleResult:
        """Store and count an executor's outcome the way a local evaluation of it would have been."""
        result = done.result
        assert result.sample is not None, "an executor hands back each outcome with its sample"
        sample, result.repeat = _unit_of(result.sample)
        result.sample = sample
        failed = result.status is SampleStatus.ERROR
        prediction = result if failed else _predicted(result)
        for store in self.stores:  # the prediction first, as in a local run
            store.save_prediction(task.name, prediction)
        if failed:
            run.fail(sample, result.error)
            self._finished(task, sample, SampleStatus.ERROR, ok=False, record_id=result.sample_id)
            return result
        run.inferred += 1
        run.output_tokens += result.output.usage.output_tokens
        return await self._conclude(task, sample, result, done.skipped, run, False)

    async def evaluate_detached(self, task: Task, samples: Sequence[Sample]) -> list[Evaluated]:
        """Infer and review `samples` (`concurrency` at a time) without stores or events: the part of
        an evaluation an executor's worker does. Outcomes come back in the order of `samples`."""
        run = TaskRun(total=len(samples))
        out: list[Evaluated | None] = [None] * len(samples)
        order = iter(range(len(samples)))

        async def worker() -> None:
            for i in order:
                sample, repeat = _unit_of(samples[i])
                result = await self._infer(task, sample, run, repeat)
                skipped = None
                if result.status is not SampleStatus.ERROR:
                    if self.stage != "infer":
                        skipped = _reason(await self._review(task, sample, result))
                    else:
                        result.status = SampleStatus.PREDICTED
                result.sample = None  # the caller has it
                out[i] = Evaluated(result, skipped)

        await asyncio.gather(*(worker() for _ in range(min(self.concurrency, max(1, len(samples))))))
        return out  # type: ignore[return-value]  # every slot was filled by a worker above

    async def _infer(self, task: Task, sample: Sample, run: TaskRun, repeat: int = 0) -> SampleResult:
        """Call the model (for answer `repeat` of the item); an exception or an output carrying an
        error makes an ERROR result."""
        request = repeat_request(task.build_request(sample), repeat)
        key = self._key(request, sample)
        if sample.turns:
            output = await self._converse(task, sample, request, key, repeat)
        elif (agent := task.agent_for(sample)) is not None:  # model <-> tools for several turns; the steps land in `output.trajectory`
            output = await run_agent(agent, request, lambda asked: self._call(task, asked))
        else:
            output = await self._call(task, request)
        return self._predicted(task, sample, repeat, key, output, run)

    async def _call(self, task: Task, request: ModelRequest) -> ModelOutput:
        """One model call; an exception becomes an output carrying the error."""
        on_delta = self._token_counter(task, request)
        try:
            return await self.model.call(request, on_delta=on_delta)  # type: ignore[union-attr]  # inference runs only with a model
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - recorded per sample, never silently scored
            return ModelOutput(error=f"{type(exc).__name__}: {exc}")

    async def _converse(self, task: Task, sample: Sample, first: ModelRequest, key: str, repeat: int = 0) -> ModelOutput:
        """Answer a multi-turn item turn after turn, each with the conversation so far. The answers
        so far are stored after every turn but the last (a partial record, `partial_key`); the turns
        a killed run already answered are taken from its record instead of being asked again."""
        record_id = SampleKey(sample.subset, sample.id, repeat).record_id
        answers = self._resume.pop((task.name, sample.subset, record_id), [])
        while len(answers) < sample.n_turns:
            if answers:  # what is answered so far survives a kill during the next turn
                partial = SampleResult(
                    sample_id=record_id, subset=sample.subset, request_key=partial_key(key, len(answers)),
                    output=combine(answers), sample=sample, gold=sample.target,
                    category=task.spec.category_of(sample.subset), status=SampleStatus.PREDICTED, repeat=repeat,
                )
                for store in self.stores:
                    store.save_prediction(task.name, partial)
            output = await self._call(task, turn_request(first, sample, answers))
            answers.append(output)
            if output.error is not None:  # the turns answered before it are kept for the retry
                return attrs.evolve(combine(answers), error=f"turn {len(answers)} of {sample.n_turns}: {output.error}")
        return combine(answers)

    def _token_counter(self, task: Task, request: ModelRequest) -> Callable[[str], None] | None:
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
        record_id: str | None = None,
    ) -> None:
        self.sink.on_event(
            SampleFinished(
                task.name, sample.subset, record_id or sample.id, ok=ok, cached=cached, status=status.value,
                score=score, output_tokens=tokens,
            )
        )


def _reason(skipped: SampleNotEvaluated | None) -> tuple[str, str, bool] | None:
    return None if skipped is None else (skipped.reason, skipped.hint, skipped.stop_run)


def _predicted(result: SampleResult) -> SampleResult:
    """A reviewed result as it stood before its review (what a local run stores as the prediction)."""
    return attrs.evolve(
        result, filtered=None, prediction=None, scores={}, error=None, details={}, status=SampleStatus.PREDICTED
    )


# -- repeats: k answers per item (docs/repeats.md) ------------------------------------------------
#: the metadata key of an executor's unit of work: the item's id and the repeat (`_as_unit`)
_UNIT_KEY = "_evalscope_repeat"


def repeat_request(request: ModelRequest, repeat: int) -> ModelRequest:
    """The request of answer `repeat` of an item: the item's own for repeat 0 (so runs before
    repeats resume), else its seed moved by `repeat` so a seeded sampler answers anew."""
    if repeat == 0:
        return request
    seed = request.config.seed
    moved = repeat if seed is None else (seed + repeat) % (MAX_SEED + 1)
    return attrs.evolve(request, config=attrs.evolve(request.config, seed=moved))


def split_choices(output: ModelOutput, n: int) -> list[ModelOutput]:
    """One output per completion of an `n`-choice answer. Usage is split so totals stay exact: the
    prompt's tokens on the first, the completion's spread evenly (the remainder on the first); a
    provider that returned fewer completions than asked makes the missing ones errors."""
    if output.error is not None:
        return [ModelOutput(error=output.error, latency=output.latency) for _ in range(n)]
    choices = output.completions()
    used = max(1, min(n, len(choices)))
    u = output.usage

    def share(total: int, j: int) -> int:
        return total // used + (total % used if j == 0 else 0)

    outs = []
    for j in range(n):
        if j >= len(choices):
            outs.append(ModelOutput(error=f"the provider returned {len(choices)} of the {n} choices asked (n={n})"))
            continue
        c = choices[j]
        outs.append(
            ModelOutput(
                text=c.text,
                usage=Usage(
                    input_tokens=u.input_tokens if j == 0 else 0,
                    output_tokens=share(u.output_tokens, j),
                    reasoning_tokens=share(u.reasoning_tokens, j),
                ),
                finish_reason=c.finish_reason,
                latency=output.latency,
                ttft=output.ttft,
                model=output.model,
                reasoning=c.reasoning,
                prompt_truncated=output.prompt_truncated,
                tool_calls=c.tool_calls,
            )
        )
    return outs


def _units(
    samples: Sequence[Sample], k: int, reused: frozenset[tuple[int, int]], *, fresh: bool, ask_n: bool
) -> Iterator[tuple[int, Sample, tuple[int, ...]]]:
    """(index, sample, repeats) to evaluate here: each stored repeat alone; then, unless `fresh` is
    False (an executor takes them), the missing repeats: together when they go out as one `n`-choice
    request (`ask_n`, single-turn items), else one by one."""
    for i, sample in enumerate(samples):
        missing = []
        for r in range(k):
            if (i, r) in reused:
                yield i, sample, (r,)
            else:
                missing.append(r)
        if not fresh or not missing:
            continue
        if ask_n and len(missing) > 1 and not sample.turns:
            yield i, sample, tuple(missing)
        else:
            for r in missing:
                yield i, sample, (r,)


def _as_unit(sample: Sample, repeat: int) -> Sample:
    """`sample` as an executor's unit of work for `repeat`: its id the record's id, the item's id and
    the repeat in its metadata (`_unit_of` gives them back); repeat 0 is the sample itself."""
    if repeat == 0:
        return sample
    return attrs.evolve(
        sample,
        id=SampleKey(sample.subset, sample.id, repeat).record_id,
        metadata={**sample.metadata, _UNIT_KEY: [sample.id, repeat]},
    )


def _unit_of(sample: Sample) -> tuple[Sample, int]:
    """The item and the repeat of an executor's unit of work (`_as_unit`)."""
    mark = sample.metadata.get(_UNIT_KEY)
    if mark is None:
        return sample, 0
    metadata = {key: value for key, value in sample.metadata.items() if key != _UNIT_KEY}
    return attrs.evolve(sample, id=mark[0], metadata=metadata), int(mark[1])
