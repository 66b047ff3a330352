"""Judging benchmark samples: the engine's judge step (after the rule review, before it is stored).

A `JudgeProtocol` says how one sample of a benchmark is judged. The default, `GradingProtocol`,
asks whether the model's answer is correct against the reference; benchmarks that need another
procedure (general_arena: pairwise battles) register theirs in `judge_protocols` (entry-point
group `evalscope.judge_protocols`, name = benchmark name, value = a factory `(JudgeModelArgs, Task)
-> JudgeProtocol`).

Outcomes, recorded in `details["judge"]` (strategy, judge identity, every call's prompt, raw
replies and verdict):
- a valid verdict: `llm` scores the sample by it (metric AverageAccuracy; the rule's scores are kept
  in `details["rule_scores"]`); `llm_recall` re-checks a sample the rule marked wrong (its first
  metric below 1). A recall verdict never overwrites one of several rule metrics: a benchmark with
  several (general_qa: BLEU, ROUGE) gets its own metric `llm_recall` (1 where the rule's first metric
  was full marks, else the judge's verdict) beside the untouched rule scores; a benchmark with one
  accuracy-like metric (gsm8k's `acc`) gets the verdict in that metric. Either way the metric that
  holds verdicts is named in `Task.judge_verdicts`, the report and under the printed table;
- no valid verdict after the bounded attempts: the sample is INVALID (excluded from the score,
  counted per subset as "judge invalid");
- the judge could not be reached: the sample is ERROR (a rerun with --use-cache asks again).
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any, Protocol

import attrs

from evalscope.core.judge.judge import JudgeCallError, LLMJudge
from evalscope.core.judge.prompts import Contract, fill, grading_contract
from evalscope.core.metrics import ACCURACY
from evalscope.core.ports import ResultFilter, ResultStore
from evalscope.core.registry import Registry
from evalscope.core.serialization import unstructure
from evalscope.core.types import ChatMessage, Sample, SampleResult, SampleStatus

if TYPE_CHECKING:
    from evalscope.core.benchmark import Task
    from evalscope.core.judge.config import JudgeModelArgs

log = logging.getLogger("evalscope.judge")

#: benchmark name -> factory (JudgeModelArgs, Task) -> JudgeProtocol, for benchmarks judged otherwise
judge_protocols: Registry[Any] = Registry("judge_protocols")
# built-in protocols, imported only when their benchmark is judged (a name, not an import: core stays below benchmarks)
judge_protocols.register_lazy("mt_bench", "evalscope.benchmarks.mt_bench:protocol")
#: a spec tag saying "this benchmark is scored by a judge" (judge_strategy auto then means llm)
JUDGE_TAG = "llm-judge"
#: the metric a judge's verdicts are reported under (strategy llm)
JUDGE_METRIC = ACCURACY
#: the metric of recall verdicts (strategy llm_recall) on a benchmark with several rule metrics
RECALL_METRIC = "llm_recall"
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


class JudgeProtocol(Protocol):
    def metrics(self, task: Task) -> tuple[str, ...]:
        """The task's metrics when every sample is judged (strategy llm)."""

    async def judge_sample(self, judge: LLMJudge, task: Task, sample: Sample, result: SampleResult, strategy: str) -> None:
        """Judge one rule-reviewed, SCORED sample in place (scores, status, error, details)."""


def question_text(sample: Sample) -> str:
    """The question as the model saw it (the last user turn), with the options of a multiple-choice item."""
    if isinstance(sample.input, str):
        text = sample.input
    else:
        users = [m.text for m in sample.input if m.role == "user"]
        text = users[-1] if users else (sample.input[-1].text if sample.input else "")
    if sample.choices:
        text += "\n" + "\n".join(f"{LETTERS[i]}. {c}" for i, c in enumerate(sample.choices))
    return text


def _as_text(value: Any, sample: Sample) -> str:
    if isinstance(value, (list, tuple)):
        return " / ".join(_as_text(v, sample) for v in value)
    text = "" if value is None else str(value)
    if sample.choices and len(text) == 1 and text in LETTERS[: len(sample.choices)]:
        return f"{text}. {sample.choices[LETTERS.index(text)]}"
    return text


def answer_text(result: SampleResult) -> str:
    """What the model answered: its extracted prediction, else its (filtered) text."""
    sample = result.sample or Sample(id=result.sample_id, input="")
    if result.prediction is not None and result.prediction != "":
        return _as_text(result.prediction, sample)
    return result.filtered if result.filtered is not None else result.output.text


@attrs.define
class GradingProtocol:
    """Correctness of the model's answer against the reference, by the configured contract."""

    contract: Contract

    def metrics(self, task: Task) -> tuple[str, ...]:
        return (JUDGE_METRIC,)

    def messages(self, sample: Sample, result: SampleResult) -> list[ChatMessage]:
        user = fill(
            self.contract.template,
            question=question_text(sample),
            gold=_as_text(sample.target, sample),
            pred=answer_text(result),
        )
        system = [ChatMessage("system", self.contract.system_prompt)] if self.contract.system_prompt else []
        return [*system, ChatMessage("user", user)]

    async def judge_sample(self, judge: LLMJudge, task: Task, sample: Sample, result: SampleResult, strategy: str) -> None:
        primary = task.metrics[0] if task.metrics else next(iter(result.scores), JUDGE_METRIC)
        verdict_metric = RECALL_METRIC if RECALL_METRIC in task.metrics else primary
        record: dict[str, Any] = {"strategy": strategy, "judge": judge.identity}
        result.details["judge"] = record
        if strategy == "llm_recall" and result.scores.get(primary, 0.0) >= 1.0:
            record["skipped"] = f"the rule scored {primary} {result.scores[primary]:g}; only answers it marked wrong are re-checked"
            result.scores[verdict_metric] = 1.0 if verdict_metric == RECALL_METRIC else result.scores[primary]
            return
        try:
            call = await judge.ask(
                self.messages(sample, result), self.contract.parser, reminder=self.contract.reminder, contract=self.contract.description
            )
        except JudgeCallError as exc:
            record["error"] = str(exc)
            result.status, result.error = SampleStatus.ERROR, f"judge call failed: {exc}"
            result.details["rule_scores"], result.scores = dict(result.scores), {}
            return
        record["calls"] = [unstructure(call)]
        result.details["rule_scores"] = dict(result.scores)
        if not call.valid:
            result.status = SampleStatus.INVALID
            result.error = f"judge verdict invalid after {call.attempts} attempt(s): {call.reason}"
            result.scores = {}
            return
        assert call.score is not None
        if strategy == "llm":
            result.scores = {JUDGE_METRIC: call.score}
        else:  # llm_recall: its own metric beside the rule's, or the one accuracy-like metric
            result.scores[verdict_metric] = call.score


@attrs.define
class TaskPlan:
    """How one task is judged."""

    strategy: str
    protocol: Any


class SampleJudge:
    """The engine's judge step: `await judge(task, sample, result)` after the rule review.

    Before the first sample of a task it loads the judge records already stored for that task in
    the run being resumed (`store.iter_results`), so those verdicts are reused without a call. Only
    valid verdicts are: a judge-invalid sample (fail closed) is judged again on `--use-cache`.
    """

    def __init__(self, judge: LLMJudge, plans: dict[str, TaskPlan], *, store: ResultStore | None = None, run_id: str = "") -> None:
        self.judge = judge
        self.plans = plans
        self.store = store
        self.run_id = run_id
        self._loaded: set[str] = set()
        self._lock = asyncio.Lock()

    def strategy_of(self, task_name: str) -> str:
        plan = self.plans.get(task_name)
        return plan.strategy if plan is not None else "rule"

    async def __call__(self, task: Task, sample: Sample, result: SampleResult) -> None:
        plan = self.plans.get(task.name)
        if plan is None:
            return
        if task.name not in self._loaded:  # before this run stores (and a work dir rewrites) any review
            async with self._lock:
                if task.name not in self._loaded:
                    self._load_stored(task.name)
                    self._loaded.add(task.name)
        if result.status is not SampleStatus.SCORED:
            return
        await plan.protocol.judge_sample(self.judge, task, sample, result, plan.strategy)

    def _load_stored(self, dataset: str) -> None:
        if self.store is None or not self.run_id:
            return
        added = 0
        try:
            for stored in self.store.iter_results(self.run_id, ResultFilter(dataset=dataset)):
                added += self.judge.cache.load_details(stored.details, valid_only=True)
        except (LookupError, FileNotFoundError, NotImplementedError):
            return  # a new run: nothing stored yet
        if added:
            log.info("%s: %d judge verdict(s) of the earlier run will be reused", dataset, added)

    async def aclose(self) -> None:
        await self.judge.aclose()


def recall_metrics(metrics: tuple[str, ...]) -> tuple[tuple[str, ...], str]:
    """(the task's metrics under llm_recall, the one holding verdicts): a single metric holds them
    itself; several rule metrics keep their scores and `llm_recall` is added after them."""
    if len(metrics) == 1:
        return metrics, metrics[0]
    return (*metrics, RECALL_METRIC), RECALL_METRIC


def plan_protocol(name: str, task: Task, args: JudgeModelArgs) -> Any:
    """The registered protocol of benchmark `name`, else correctness grading by `args`' contract."""
    if name in judge_protocols:
        return judge_protocols.get(name)(args, task)
    return GradingProtocol(grading_contract(args))


def needs_judge(name: str, task: Task) -> bool:
    """Whether a benchmark is scored by a judge (`auto` means llm for it)."""
    return JUDGE_TAG in task.spec.tags or name in judge_protocols


__all__ = [
    "JUDGE_METRIC",
    "JUDGE_TAG",
    "RECALL_METRIC",
    "GradingProtocol",
    "JudgeProtocol",
    "SampleJudge",
    "TaskPlan",
    "answer_text",
    "judge_protocols",
    "needs_judge",
    "plan_protocol",
    "question_text",
    "recall_metrics",
]
