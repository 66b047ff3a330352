"""Building the judge of a run: which tasks are judged (strategy per benchmark), and the judge model
itself from `judge_model_args` through the same provider registry as the evaluated model."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from evalscope.core.judge.config import JudgeModelArgs
from evalscope.core.judge.judge import JudgeCache, LLMJudge
from evalscope.core.judge.sample import (
    GradingProtocol,
    SampleJudge,
    TaskPlan,
    needs_judge,
    plan_protocol,
    recall_metrics,
)
from evalscope.core.model import Model, RetryPolicy
from evalscope.core.ports import ModelAPI, ResultStore
from evalscope.core.serialization import ConfigError
from evalscope.core.types import GenerationConfig

if TYPE_CHECKING:
    from evalscope.config import TaskConfig
    from evalscope.core.benchmark import Task

#: the judge's generation defaults (greedy; enough room for a short explanation and the verdict)
JUDGE_GENERATION = GenerationConfig(max_tokens=1024, temperature=0.0, do_sample=False)

ApiFactory = Callable[["TaskConfig"], ModelAPI]


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
        raise ConfigError(f"{where}: {name} is scored by a judge; 'rule' would leave it unscored (use auto or llm)")
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


def judge_task_config(args: JudgeModelArgs, *, worker_num: int, seed: int | None) -> TaskConfig:
    """The judge model as a TaskConfig, for `build_model_api` (the key resolved, held in memory only)."""
    from evalscope.config import TaskConfig

    if not args.model_id:
        raise ConfigError(
            "judge_model_args.model_id: required when answers are judged (e.g. "
            '{"model_id": "smollm2-135m-instruct", "api_url": "http://127.0.0.1:8000/v1"})'
        )
    return TaskConfig(
        model=args.model_id,
        model_api=args.model_api,
        eval_type=args.resolved_eval_type(),
        api_url=args.api_url,
        api_key=args.resolved_api_key(),
        model_args=dict(args.model_args),
        timeout=args.timeout,
        retries=args.retries,
        eval_batch_size=worker_num,
        seed=seed,
    )


def build_llm_judge(
    args: JudgeModelArgs,
    api_factory: ApiFactory,
    *,
    worker_num: int = 1,
    seed: int | None = None,
    cache: JudgeCache | None = None,
    check_reachable: bool = True,
) -> LLMJudge:
    """An `LLMJudge` over the provider `args` name: concurrency `worker_num`, the run's retries and timeout."""
    judge_cfg = judge_task_config(args, worker_num=worker_num, seed=seed)
    if check_reachable and args.api_url and judge_cfg.eval_type == "service":
        from evalscope.core.preflight import check_endpoint

        check_endpoint(args.api_url, what="judge_model_args.api_url")
    api = api_factory(judge_cfg)
    model = Model(api, max_concurrency=worker_num, retry=RetryPolicy(retries=args.retries), timeout=args.timeout)
    generation = JUDGE_GENERATION.merged(args.generation_config)
    if generation.seed is None and seed is not None:
        generation = generation.merged(GenerationConfig(seed=seed))
    return LLMJudge(model, generation=generation, max_attempts=args.max_attempts, cache=cache)


def build_sample_judge(
    cfg: TaskConfig,
    tasks: Mapping[str, Task],
    api_factory: ApiFactory,
    *,
    store: ResultStore | None = None,
    run_id: str = "",
) -> SampleJudge | None:
    """The engine's judge step for a run, or None when no task is judged (strategy rule)."""
    plans = plan_judging(cfg, tasks)
    if not plans:
        return None
    judge = build_llm_judge(cfg.judge_model_args, api_factory, worker_num=cfg.judge_worker_num, seed=cfg.seed)
    return SampleJudge(judge, plans, store=store, run_id=run_id)


def judge_secrets(cfg: Any) -> list[str]:
    """The judge's key (configured or from the environment), for masking in logs."""
    args = getattr(cfg, "judge_model_args", None)
    key = args.resolved_api_key() if args is not None else None
    return [key] if key else []


__all__ = [
    "JUDGE_GENERATION",
    "build_llm_judge",
    "build_sample_judge",
    "judge_secrets",
    "judge_task_config",
    "plan_judging",
    "strategy_for",
]
