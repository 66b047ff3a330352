"""The OpenCompass backend (`eval_backend: OpenCompass`): ms-opencompass in its managed env.

The adapter checks the eval_config here (unknown keys, dataset names, missing files: one line each),
fills what the eval_config leaves out from the task (`--model`/`--api-url`/`--api-key` as the model,
`--datasets`, `--limit`, `--eval-batch-size`, `--generation-config max_tokens=`), checks the model's
endpoint answers, then runs `opencompass.worker` inside the `opencompass` env across the process
boundary and hands back its Reports and SampleResults.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evalscope.backends.suites.boundary import user_path
from evalscope.backends.suites.opencompass.config import (
    OCCustomDataset,
    OCModel,
    OpenCompassConfig,
    ResolvedDataset,
    ResolvedPlan,
    api_base,
    oc_test_range,
    parse_config,
)
from evalscope.core.ports import ProgressSink
from evalscope.core.suites import EvalSuite, SuiteRun

if TYPE_CHECKING:
    from evalscope.core.suites import SuiteRequest

ENV_NAME = "opencompass"
WORKER = "evalscope.backends.suites.opencompass.worker"


class OpenCompassSuite(EvalSuite):
    name = "OpenCompass"
    install_command = f"evalscope backend install {ENV_NAME}"

    def check_config(self, eval_config: dict[str, Any], *, where: str) -> None:
        parse_config(eval_config, where=where)

    def model_id(self, task: SuiteRequest, eval_config: dict[str, Any]) -> str | None:
        models = parse_config(eval_config, where="eval_config").models
        return (models[0].abbr or models[0].path) if models else None

    def run(self, task: SuiteRequest, eval_config: dict[str, Any], run_dir: Path, sink: ProgressSink) -> SuiteRun:
        from evalscope.backends.suites.boundary import WorkerRequest, call_worker, default_timeout
        from evalscope.backends.suites.envs import require_env
        from evalscope.core.serialization import unstructure

        cfg = parse_config(eval_config, where="eval_config")
        plan = resolve_plan(cfg, task, run_dir)
        python = require_env(ENV_NAME, suite=self.name)
        from evalscope.core.preflight import check_endpoint

        check_endpoint(plan.model.openai_api_base, what="eval_config: models[0].openai_api_base")
        env = {"COMPASS_DATA_CACHE": plan.data_dir} if plan.data_dir else {}
        secrets = [s for s in (plan.model.key, task.api_key) if s]
        if plan.model.key not in ("", "EMPTY", "ENV"):  # OpenCompass dumps its config: the key travels in the env
            env["OPENAI_API_KEY"], plan.model.key = plan.model.key, "ENV"
        request = WorkerRequest(
            suite=self.name, task=task.worker_settings(), eval_config={}, run_dir=str(run_dir),
            model_id=report_model_name(task, plan.model), options={"plan": unstructure(plan)},
        )
        return call_worker(
            python=python, module=WORKER, request=request, log_path=run_dir / "logs" / "opencompass_worker.log",
            cwd=run_dir / "opencompass_cwd", secrets=secrets, env=env, timeout=default_timeout(),
            install_command=self.install_command,
        )


def report_model_name(task: SuiteRequest, model: OCModel) -> str:
    """The run's model name when the task names one, else the eval_config model's abbr or path."""
    if task.model_id or task.model:
        return task.resolved_model_id
    return model.abbr or model.path


def resolve_plan(cfg: OpenCompassConfig, task: SuiteRequest, run_dir: Path) -> ResolvedPlan:
    """Fill what the eval_config leaves out from the task, and resolve names and paths for the worker."""
    from evalscope.backends.suites.opencompass.config import BUILTIN_DATASETS, _parse_datasets
    from evalscope.core.serialization import ConfigError

    entries = list(cfg.datasets) or _parse_datasets(list(task.datasets), "datasets")
    if cfg.custom_dataset_path:
        entries.append(
            OCCustomDataset(
                path=cfg.custom_dataset_path, data_type=cfg.custom_dataset_data_type,
                infer_method=cfg.custom_dataset_infer_method or "gen", meta_path=cfg.custom_dataset_meta_path,
            )
        )
    if not entries:
        raise ConfigError("eval_config: datasets: name at least one OpenCompass dataset or local .jsonl/.csv file")
    datasets = []
    for entry in entries:
        if isinstance(entry, OCCustomDataset):
            datasets.append(ResolvedDataset(name=custom_name(entry), kind="custom", custom=absolute(entry)))
        elif entry in BUILTIN_DATASETS:
            module, variable = BUILTIN_DATASETS[entry]
            datasets.append(ResolvedDataset(name=entry, kind="builtin", module=module, variable=variable))
        else:  # a file path
            custom = OCCustomDataset(path=entry)
            datasets.append(ResolvedDataset(name=custom_name(custom), kind="custom", custom=absolute(custom)))
    names = [d.name for d in datasets]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ConfigError(f"eval_config: datasets: {', '.join(duplicates)} given twice (custom files are named by their stem)")
    model = cfg.models[0] if cfg.models else model_from_task(task)
    model.openai_api_base = api_base(model.openai_api_base)
    if not cfg.models and task.eval_batch_size:
        model.batch_size = task.eval_batch_size
    limit = cfg.limit if cfg.limit is not None else task.limit
    max_tokens = task.max_tokens
    data_dir = cfg.data_dir or os.environ.get("COMPASS_DATA_CACHE") or task.dataset_dir
    return ResolvedPlan(
        datasets=datasets,
        model=model,
        work_dir=str(Path(cfg.work_dir).expanduser().resolve()) if cfg.work_dir else str(run_dir / "opencompass"),
        test_range=oc_test_range(limit),
        data_dir=str(Path(data_dir).expanduser().resolve()) if data_dir else None,
        dry_run=cfg.dry_run,
        debug=cfg.debug,
        reuse=cfg.reuse,
        mode=cfg.mode,
        max_num_workers=cfg.max_num_workers,
        dump_eval_details=cfg.dump_eval_details,
        generation_kwargs=dict(cfg.generation_kwargs),
        max_out_len=max_tokens,
    )


def absolute(entry: OCCustomDataset) -> OCCustomDataset:
    """The entry with its files made absolute for the worker (`user_path`)."""
    import attrs

    return attrs.evolve(
        entry, path=user_path(entry.path), meta_path=user_path(entry.meta_path) if entry.meta_path else None
    )


def custom_name(entry: OCCustomDataset) -> str:
    """A custom file's dataset name: its abbr, else the file name without extension (OpenCompass's rule)."""
    return entry.abbr or os.path.basename(entry.path).split(".")[0]


def model_from_task(task: SuiteRequest) -> OCModel:
    from evalscope.core.serialization import ConfigError

    if not (task.model and task.api_url):
        raise ConfigError(
            "eval_config: models: give one model {path, openai_api_base} (an OpenAI-compatible API), "
            "or run with --model and --api-url"
        )
    return OCModel(path=task.model, openai_api_base=task.api_url, key=task.api_key or "EMPTY")
