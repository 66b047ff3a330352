"""Planning a native run: each benchmark bound to the run (`Task`), its samples loaded, its judging
planned. Nothing is written and no model or judge is opened: a bad name, missing data or a bad
judge strategy fails here, before the run dir exists."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

from evalscope.config import ConfigError, TaskConfig
from evalscope.core.benchmark import Task
from evalscope.core.judge.sample import TaskPlan
from evalscope.core.ports import ModelAPI
from evalscope.core.types import GenerationConfig, RequestKind, Sample

log = logging.getLogger("evalscope.run")

#: generation settings by eval_type, under the run's generation_config
DEFAULT_GENERATION = {
    "checkpoint": GenerationConfig(max_tokens=512, do_sample=False),
    "service": GenerationConfig(max_tokens=2048, temperature=0.0),
    "mock": GenerationConfig(max_tokens=2048),  # the mock cuts a reply at max_tokens words: only when asked
    "custom": GenerationConfig(max_tokens=512),
}


@attrs.define
class PlannedTask:
    """One benchmark of the run: the bound task and the samples to evaluate."""

    task: Task
    samples: Sequence[Sample]


@attrs.define
class RunPlan:
    """What a native run will do: its settings, its tasks by dataset name (in order) and the judge
    plan of each judged task (empty: every task is rule-scored, or the stage is infer)."""

    cfg: TaskConfig
    tasks: dict[str, PlannedTask] = attrs.field(factory=dict)
    judging: dict[str, TaskPlan] = attrs.field(factory=dict)

    @property
    def planned(self) -> dict[str, int]:
        """Samples per dataset (RunInfo.planned: the TUI's totals and ETA)."""
        return {name: len(p.samples) * p.task.repeats for name, p in self.tasks.items()}


def base_generation(cfg: TaskConfig) -> GenerationConfig:
    """The eval_type's defaults overridden by the run's generation_config."""
    return DEFAULT_GENERATION.get(cfg.eval_type, GenerationConfig()).merged(cfg.generation_config)


def plan_run(
    cfg: TaskConfig,
    specs: Mapping[str, Any],
    capabilities: Iterable[RequestKind],
    *,
    model: ModelAPI | None = None,
) -> RunPlan:
    """Bind every benchmark spec to the run and load its samples (all of them first: bad names and
    missing data fail before any work), then plan the judging. `capabilities` are the model's (a
    review stage without a model: the provider's declared ones); `model`, the opened adapter, is
    handed to benchmarks that build their samples with it (`BenchmarkSpec.records_use_model`)."""
    from evalscope.core.tasks import DatasetLoader, build_task, load_samples

    try:
        loader = DatasetLoader(cfg.resolved_dataset_dir, cfg.dataset_hub)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    kinds = frozenset(capabilities)
    gen = base_generation(cfg)
    plan = RunPlan(cfg)
    for name, spec in specs.items():
        args = cfg.args_for(name)
        try:
            task = build_task(
                spec,
                args=args,
                capabilities=kinds,
                generation_config=gen,
                seed=cfg.seed,
                prompt_style=cfg.prompt_style,
            )
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
        try:
            plan.tasks[name] = PlannedTask(task, load_samples(task, loader, args, cfg.limit, model=model))
        except ValueError as exc:
            if type(exc) is not ValueError:  # dataset format errors keep their own type
                raise
            raise ConfigError(str(exc)) from None
        _plan_tools(plan.tasks[name], model)
        _plan_turns(plan.tasks[name], model)
        task.repeats = plan_repeats(task, args.repeats or cfg.repeats)
    if cfg.stage != "infer":  # an infer stage judges nothing
        from evalscope.app.judging import plan_judging

        plan.judging = plan_judging(cfg, {name: p.task for name, p in plan.tasks.items()})
    return plan


def _plan_tools(planned: PlannedTask, model: ModelAPI | None) -> None:
    """A task whose requests offer tools needs a provider with `Feature.TOOLS` (refused in one line
    otherwise); the way the model takes them is recorded on the task (`Task.tool_mode`). Read from
    the first sample's request: a benchmark offers tools with every item or with none."""
    from evalscope.core.features import request_features, require_features
    from evalscope.core.types import Feature

    first = next(iter(planned.samples), None)
    if model is None or first is None:
        return
    task = planned.task
    if Feature.TOOLS not in request_features(task.build_request(first)):
        return
    require_features(model, [Feature.TOOLS], task=task.name)
    task.tool_mode = model.tool_mode() or ""


def _plan_turns(planned: PlannedTask, model: ModelAPI | None) -> None:
    """A task of multi-turn items (`Sample.turns`, e.g. mt_bench) needs a provider with
    `Feature.MULTI_TURN` (refused in one line otherwise). Read from the first sample."""
    from evalscope.core.features import require_features
    from evalscope.core.types import Feature

    first = next(iter(planned.samples), None)
    if model is not None and first is not None and first.turns:
        require_features(model, [Feature.MULTI_TURN], task=planned.task.name)


def plan_repeats(task: Task, repeats: int) -> int:
    """Answers per item for `task`: `repeats` for generation; 1 for log-likelihood output types
    (deterministic: the same answer k times), with a note on the task's report. Warns when the k
    answers would be identical (temperature 0 / no sampling): pass@k and vote@k then equal the mean."""
    if repeats <= 1:
        return 1
    if task.output_type != "generation":
        task.repeats_note = (
            f"{task.name}: repeats={repeats} ignored: {task.output_type} answers are log-likelihoods (deterministic), "
            "each item answered once"
        )
        log.warning("%s", task.repeats_note)
        return 1
    gen = task.generation_config
    if gen.temperature == 0 or (gen.temperature is None and gen.do_sample is False):
        log.warning(
            "%s: repeats=%d at temperature 0 (no sampling): the %d answers per item are likely identical; "
            "set generation_config temperature > 0 (e.g. 0.7)", task.name, repeats, repeats,
        )
    return repeats


__all__ = ["DEFAULT_GENERATION", "PlannedTask", "RunPlan", "base_generation", "plan_repeats", "plan_run"]
