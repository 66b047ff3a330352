"""`run_task`: the public entry point of an evaluation (TaskConfig, dict, YAML/JSON path, or a list)."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import random
import time
from pathlib import Path
from typing import Any

from evalscope.config import ConfigError, TaskConfig, load_config_file
from evalscope.core.engine import Engine, EvaluationError
from evalscope.core.logs import attach_run_log, detach
from evalscope.core.model import Model, RetryPolicy
from evalscope.core.ports import ModelAPI, ProgressSink, ResultStore, RunInfo
from evalscope.core.registry import UnknownNameError, model_apis, stores
from evalscope.core.report import Report, format_table
from evalscope.core.stores import WorkDirStore
from evalscope.core.types import GenerationConfig, RequestKind

log = logging.getLogger("evalscope.run")

PROVIDER_OF_EVAL_TYPE = {"checkpoint": "hf", "service": "openai", "mock": "mock"}
DEFAULT_GENERATION = {
    "checkpoint": GenerationConfig(max_tokens=512, do_sample=False),
    "service": GenerationConfig(max_tokens=2048, temperature=0.0),
    "mock": GenerationConfig(max_tokens=16),
    "custom": GenerationConfig(max_tokens=512),
}


def as_task_configs(cfg: TaskConfig | dict[str, Any] | str | os.PathLike[str] | list[Any]) -> list[TaskConfig]:
    if isinstance(cfg, TaskConfig):
        return [cfg]
    if isinstance(cfg, dict):
        return [TaskConfig.from_dict(cfg)]
    if isinstance(cfg, (str, os.PathLike)):
        loaded = load_config_file(cfg)
        return loaded if isinstance(loaded, list) else [loaded]
    if isinstance(cfg, list):
        out: list[TaskConfig] = []
        for i, item in enumerate(cfg):
            out.extend(as_task_configs(item) if not isinstance(item, dict) else [TaskConfig.from_dict(item, where=f"config[{i}]")])
        return out
    raise ConfigError(f"run_task: expected TaskConfig, dict, a YAML/JSON path or a list, got {type(cfg).__name__}")


def run_task(
    cfg: TaskConfig | dict[str, Any] | str | os.PathLike[str] | list[Any],
    *,
    model: ModelAPI | None = None,
    sink: ProgressSink | None = None,
    print_table: bool = True,
) -> dict[str, Report] | list[dict[str, Report]]:
    """Run one task config (or several, in order). Returns {dataset: Report} per task."""
    configs = as_task_configs(cfg)
    results = [asyncio.run(run_task_async(c, model=model, sink=sink, print_table=print_table)) for c in configs]
    return results[0] if len(results) == 1 else results


def resolve_run_dir(cfg: TaskConfig) -> Path:
    """`use_cache` names a run dir (or a work dir whose newest run is reused); else a new timestamped dir."""
    if cfg.use_cache:
        path = Path(cfg.use_cache)
        if _is_run_dir(path):
            return path
        runs = sorted(p for p in path.glob("*") if _is_run_dir(p)) if path.is_dir() else []
        if runs:
            return runs[-1]
        raise ConfigError(f"use_cache: {path} holds no previous run (expected a run dir with configs/ or predictions/)")
    root = Path(cfg.work_dir)
    return root if cfg.no_timestamp else root / time.strftime("%Y%m%d_%H%M%S")


def _is_run_dir(path: Path) -> bool:
    return (path / "configs").is_dir() or (path / "predictions").is_dir()


def build_model_api(cfg: TaskConfig) -> ModelAPI:
    provider = PROVIDER_OF_EVAL_TYPE.get(cfg.eval_type)
    if provider is None:
        raise ConfigError(f"eval_type {cfg.eval_type!r}: pass the model object to run_task(cfg, model=...)")
    try:
        factory = model_apis.get(provider)
    except UnknownNameError as exc:
        raise ConfigError(f"eval_type {cfg.eval_type!r} needs the {provider!r} model provider, which is not installed "
                          f"(pip install evalscope-backends). {exc}") from None
    if cfg.eval_type == "service" and not cfg.api_url:
        raise ConfigError("api_url: required when eval_type is 'service'")
    options: dict[str, Any] = {"batch_size": cfg.eval_batch_size, "seed": cfg.seed}
    if cfg.eval_type == "service":
        options.update(api_url=cfg.api_url, api_key=cfg.api_key, timeout=cfg.timeout, stream=cfg.stream)
    if cfg.chat_template:
        options["chat_template"] = cfg.chat_template
    return factory(cfg.model, dict(cfg.model_args), **options)


def build_stores(cfg: TaskConfig) -> list[ResultStore]:
    """The primary store (SQLite when installed) first, then EvalScope's work-dir files."""
    chosen: list[ResultStore] = []
    if cfg.store in ("auto", "sqlite"):
        try:
            factory = stores.get("sqlite")
            chosen.append(factory(cfg.store_url) if cfg.store_url else factory())
        except UnknownNameError:
            if cfg.store == "sqlite":
                raise ConfigError("store: 'sqlite' needs evalscope-backends (pip install evalscope-backends)") from None
    elif cfg.store != "workdir":
        factory = stores.get(cfg.store)
        chosen.append(factory(cfg.store_url) if cfg.store_url else factory())
    chosen.append(WorkDirStore())
    return chosen


def _seed_everything(seed: int | None) -> None:
    if seed is None:
        return
    random.seed(seed)


async def run_task_async(
    cfg: TaskConfig,
    *,
    model: ModelAPI | None = None,
    sink: ProgressSink | None = None,
    print_table: bool = True,
) -> dict[str, Report]:
    from evalscope.benchmarks import get_benchmark
    from evalscope.core.progress import TqdmProgress
    from evalscope.core.tasks import DatasetLoader, build_task, load_samples

    if cfg.eval_backend != "Native":
        raise ConfigError(f"eval_backend {cfg.eval_backend!r}: third-party backends arrive in a later release; use 'Native'")
    if not cfg.datasets:
        raise ConfigError("datasets: name at least one benchmark (see `evalscope benchmarks`)")
    specs = {name: get_benchmark(name) for name in cfg.datasets}  # unknown names fail before any work
    unknown_args = set(cfg.dataset_args) - set(cfg.datasets)
    if unknown_args:
        raise ConfigError(f"dataset_args: {', '.join(sorted(unknown_args))} not in datasets {cfg.datasets}")
    _seed_everything(cfg.seed)
    api = model or (build_model_api(cfg) if cfg.stage != "review" else None)
    capabilities = api.capabilities if api is not None else frozenset(RequestKind)
    loader = DatasetLoader(cfg.resolved_dataset_dir, cfg.dataset_hub)
    base_gen = DEFAULT_GENERATION.get(cfg.eval_type, GenerationConfig()).merged(cfg.generation_config)
    planned = {}
    for name, spec in specs.items():  # load every dataset first: bad names and missing data fail before any work
        args = cfg.args_for(name)
        try:
            task = build_task(
                spec, args=args, capabilities=capabilities, generation_config=base_gen, seed=cfg.seed, prompt_style=cfg.prompt_style
            )
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
        planned[name] = (task, load_samples(task, loader, args, cfg.limit))
    run_dir = resolve_run_dir(cfg)
    run_dir.mkdir(parents=True, exist_ok=True)
    handler = attach_run_log(run_dir / "logs" / "eval_log.log", [cfg.api_key or ""], cfg.debug)
    wrapped = (
        Model(api, max_concurrency=cfg.eval_batch_size, retry=RetryPolicy(retries=cfg.retries), timeout=cfg.timeout)
        if api is not None
        else None
    )
    identity = _identity(api)
    result_stores = build_stores(cfg)
    run = RunInfo(run_id=run_dir.name, work_dir=str(run_dir), model_id=cfg.resolved_model_id, config=cfg.to_dict(), started_at=time.time())
    for store in result_stores:
        store.open(run)
    engine = Engine(
        wrapped,
        result_stores,
        concurrency=cfg.eval_batch_size,
        stage=cfg.stage,
        model_id=cfg.resolved_model_id,
        sink=sink or TqdmProgress(),
        identity=identity,
    )
    reports: dict[str, Report] = {}
    errors: list[str] = []
    try:
        for name, (task, samples) in planned.items():
            log.info("%s: %d samples, output type %s, %d-shot", name, len(samples), task.output_type, task.few_shot_num)
            report = await engine.run(task, samples)
            stats = engine.last_run
            log.info("%s: %d samples, %d from cache, %d inferred, %d failed, %.2fs", name, stats.total, stats.cached, stats.inferred, len(stats.errors), stats.seconds)
            errors.extend(f"{name}: {e}" for e in stats.errors)
            if report is not None:
                reports[name] = report
                if task.spec.on_report is not None:
                    task.spec.on_report(report, run_dir, cfg.resolved_model_id, print_table)
    finally:
        for store in result_stores:
            store.close()
        if wrapped is not None:
            await wrapped.aclose()
        detach(handler)
    if print_table:
        if reports:
            print(format_table(reports.values()), flush=True)
        print(f"Outputs: {run_dir}", flush=True)
    if errors and not cfg.ignore_errors:
        raise EvaluationError(
            f"{len(errors)} sample(s) failed (first: {errors[0]}). Finished samples are stored in {run_dir}; "
            f"rerun with --use-cache {run_dir} to retry only the failed ones, or pass --ignore-errors."
        )
    return reports


def _identity(api: ModelAPI | None) -> str:
    if api is None:
        return ""
    raw = json.dumps(api.identity(), sort_keys=True, default=str)
    return hashlib.sha256(raw.encode()).hexdigest()[:12]
