"""Executing an opened run: every planned task through the engine, in order, into a `RunResult`;
then `check_outcome` turns a stopped run or failed samples into an `EvaluationError`. Nothing here
prints: the front-ends do (`evalscope.core.report.format_outcome`)."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Mapping

import attrs

from evalscope.app.open import OpenRun
from evalscope.core.engine import EvaluationError
from evalscope.core.report import Report

log = logging.getLogger("evalscope.run")


@attrs.define
class RunResult(Mapping[str, Report]):
    """What one evaluation run produced: its reports by dataset, plus where and how it ran.

    It is a read-only mapping dataset -> Report, so `run_task(cfg)["arc"].score` works.
    """

    run_id: str
    run_dir: str
    model_id: str
    reports: dict[str, Report] = attrs.field(factory=dict)
    #: "dataset: subset/id: error" of every sample that failed
    errors: list[str] = attrs.field(factory=list)
    #: "dataset: reason" when a scorer stopped the run early (None: it ran to the end)
    stopped: str | None = None

    def __getitem__(self, dataset: str) -> Report:
        return self.reports[dataset]

    def __iter__(self) -> Iterator[str]:
        return iter(self.reports)

    def __len__(self) -> int:
        return len(self.reports)


async def execute(opened: OpenRun, *, print_tables: bool = True) -> RunResult:
    """Run each planned task of `opened` and set the run's status (failed when it stopped early or a
    sample failed without `ignore_errors`). `print_tables` is handed to a spec's `on_report` hook."""
    cfg, run = opened.plan.cfg, opened.run
    outcome = RunResult(run_id=run.run_id, run_dir=str(opened.run_dir), model_id=run.model_id)
    for name, planned in opened.plan.tasks.items():
        task, samples = planned.task, planned.samples
        log.info(
            "%s: %d samples, output type %s, %d-shot", name, len(samples), task.output_type, task.few_shot_num
        )
        done = await opened.engine.run(task, samples)
        stats = done.run
        rates = ", ".join(stats.timing().rates())
        log.info(
            "%s: %d samples, %d from cache, %d inferred, %d failed, %d skipped, %.2fs%s",
            name,
            stats.total,
            stats.cached,
            stats.inferred,
            len(stats.errors),
            len(stats.skipped),
            stats.seconds,
            f", {rates}" if rates else "",
        )
        outcome.errors.extend(f"{name}: {e}" for e in stats.errors)
        if done.report is not None:
            outcome.reports[name] = done.report
            if task.spec.on_report is not None:
                task.spec.on_report(done.report, opened.run_dir, cfg.resolved_model_id, print_tables)
        if stats.stopped:
            outcome.stopped = opened.stopped = f"{name}: {stats.stopped}"
            break
    run.status = "failed" if outcome.stopped or (outcome.errors and not cfg.ignore_errors) else "finished"
    return outcome


#: a sample error from a request the provider refused as invalid (HTTP 400/422, an adapter's ValueError)
_REFUSED = re.compile(r"\(HTTP 4(00|22)\)|(^|: )(ValueError|SettingValueError): ")


def refused_request(error: str) -> bool:
    return _REFUSED.search(error) is not None


def check_outcome(outcome: RunResult, *, ignore_errors: bool = False) -> RunResult:
    """`outcome` itself, or an `EvaluationError` when the run stopped early or samples failed (unless
    `ignore_errors`); its message says where the finished samples are and how to resume."""
    run_dir = outcome.run_dir
    if outcome.stopped:
        raise EvaluationError(
            f"{outcome.stopped}. Finished samples are stored in {run_dir}; rerun with --use-cache {run_dir}."
        )
    if outcome.errors and not ignore_errors:
        if all(
            map(refused_request, outcome.errors)
        ):  # a retry sends the same request again: no advice to retry
            raise EvaluationError(
                f"{len(outcome.errors)} sample(s) failed (first: {outcome.errors[0]}). The model refused the request "
                "as invalid, so a retry would fail the same way: change the setting it names and run again. "
                f"Finished samples are stored in {run_dir}."
            )
        raise EvaluationError(
            f"{len(outcome.errors)} sample(s) failed (first: {outcome.errors[0]}). Finished samples are stored in {run_dir}; "
            f"rerun with --use-cache {run_dir} to retry only the failed ones, or pass --ignore-errors."
        )
    return outcome


__all__ = ["RunResult", "check_outcome", "execute", "refused_request"]
