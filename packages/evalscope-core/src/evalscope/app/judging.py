"""The judge of a run from its `TaskConfig`: which tasks are judged (strategy per benchmark) and the
engine's judge step. The judge model itself comes from `judge_model_args` through
`JudgeModelArgs.model_spec` and `evalscope.core.judge.setup.build_llm_judge`."""

from __future__ import annotations

from collections.abc import Mapping

from evalscope.config import TaskConfig
from evalscope.core.benchmark import Task
from evalscope.core.judge.sample import (
    GradingProtocol,
    SampleJudge,
    TaskPlan,
    needs_judge,
    plan_protocol,
    recall_metrics,
)
from evalscope.core.judge.setup import build_llm_judge
from evalscope.core.ports import ResultStore
from evalscope.core.serialization import ConfigError


def strategy_for(cfg: TaskConfig, name: str, task: Task) -> str:
    """The effective strategy of one benchmark: dataset_args.<name>.judge_strategy, else the run's
    judge_strategy; `auto` is llm for benchmarks that need a judge, rule for the others."""
    own = cfg.args_for(name).judge_strategy
    strategy = own or cfg.judge_strategy
    needed = needs_judge(name, task)
    if strategy == "auto":
        return "llm" if needed else "rule"
    if needed and strategy == "rule":
        where = f"dataset_args.{name}.judge_strategy" if own else "judge_strategy"
        raise ConfigError(
            f"{where}: {name} is scored by a judge; 'rule' would leave it unscored (use auto or llm)"
        )
    return strategy


def plan_judging(cfg: TaskConfig, tasks: Mapping[str, Task]) -> dict[str, TaskPlan]:
    """Plans of the judged tasks. A task judged under `llm` gets the judge's metrics; under
    `llm_recall` its verdicts go to its one metric, or to `llm_recall` beside several rule metrics.
    `task.judge_verdicts` names the metrics that hold verdicts (for the report and the table)."""
    plans: dict[str, TaskPlan] = {}
    for name, task in tasks.items():
        strategy = strategy_for(cfg, name, task)
        if strategy == "rule":
            continue
        protocol = plan_protocol(name, task, cfg.judge_model_args)
        if strategy == "llm":
            task.metrics = tuple(protocol.metrics(task))
            task.judge_verdicts = dict.fromkeys(task.metrics, strategy)
        elif isinstance(protocol, GradingProtocol) and task.metrics:
            task.metrics, held_by = recall_metrics(task.metrics)
            task.judge_verdicts = {held_by: strategy}
        plans[name] = TaskPlan(strategy, protocol)
    return plans


def build_sample_judge(
    cfg: TaskConfig, tasks: Mapping[str, Task], *, store: ResultStore | None = None, run_id: str = ""
) -> SampleJudge | None:
    """The engine's judge step for a run, or None when no task is judged (strategy rule)."""
    plans = plan_judging(cfg, tasks)
    if not plans:
        return None
    judge = build_llm_judge(cfg.judge_model_args, worker_num=cfg.judge_worker_num, seed=cfg.seed)
    return SampleJudge(judge, plans, store=store, run_id=run_id)


__all__ = ["build_sample_judge", "plan_judging", "strategy_for"]
