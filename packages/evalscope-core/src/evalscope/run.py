"""`run_task`: the public entry point of an evaluation (TaskConfig, dict, YAML/JSON path).

Safe to call from inside a training loop (ms-swift style):

- it works whether or not an event loop is already running in the calling thread (with a running
  loop, the evaluation runs on a loop of its own in a helper thread and `run_task` blocks until it
  is done; async callers can `await run_task_async(cfg)` instead);
- a model object passed in (`model=`) is never closed or unloaded: it belongs to the caller;
- no global state is touched: Python's `random` and torch's global RNG are left as they were,
  logging handlers and filters are removed again after the run.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

from evalscope.app.execute import RunResult, check_outcome, execute
from evalscope.app.open import (
    OpenRun,
    end_run,
    ended_by,
    model_identity,
    note_takeover,
    open_run,
    refuse_overwrite,
    resolve_run_dir,
)
from evalscope.app.plan import DEFAULT_GENERATION, plan_run  # noqa: F401 - DEFAULT_GENERATION: public here before
from evalscope.app.requests import executor_request, suite_request
from evalscope.config import ConfigError, TaskConfig, load_config_file
from evalscope.core.events import RunFinished, RunStarted
from evalscope.core.logs import attach_run_log, detach
from evalscope.core.models.spec import ModelSpec, open_model_api, provider_factory, provider_for
from evalscope.core.ports import ModelAPI, ProgressSink, RunInfo, new_run_id
from evalscope.core.registry import UnknownNameError, model_apis
from evalscope.core.report import format_outcome
from evalscope.core.stopping import registered
from evalscope.core.stores import build_stores as select_stores
from evalscope.core.stores.lock import RunDirLock
from evalscope.core.types import RequestKind

log = logging.getLogger("evalscope.run")

ConfigInput = TaskConfig | dict[str, Any] | str | os.PathLike[str] | list[Any]


def as_task_configs(cfg: ConfigInput) -> list[TaskConfig]:
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
    cfg: ConfigInput,
    *,
    model: ModelAPI | None = None,
    sink: ProgressSink | None = None,
    print_table: bool = True,
) -> RunResult:
    """Run one task and return its `RunResult` (a mapping dataset -> Report).

    `cfg` is a TaskConfig, a dict, or a YAML/JSON file holding one task; for several tasks use
    `run_tasks`. `model` is an already built `ModelAPI` (e.g. `HFModelAPI.from_loaded(...)` around a
    model being trained); it is used as is and left open. `sink` receives progress events.
    """
    configs = as_task_configs(cfg)
    if len(configs) != 1:
        raise ConfigError(f"run_task: the input holds {len(configs)} tasks; use run_tasks() for several")
    result: RunResult = _run_blocking(run_task_async(configs[0], model=model, sink=sink, print_table=print_table))
    return result


def run_tasks(
    cfg: ConfigInput,
    *,
    model: ModelAPI | None = None,
    sink: ProgressSink | None = None,
    print_table: bool = True,
) -> list[RunResult]:
    """Run every task of `cfg` (a list, or a file holding a list) in order; one RunResult each."""
    return [
        _run_blocking(run_task_async(c, model=model, sink=sink, print_table=print_table)) for c in as_task_configs(cfg)
    ]


def _run_blocking(coro: Any) -> Any:
    """Run `coro` to completion from synchronous code, whether or not this thread runs a loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = asyncio.run(coro)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            box["error"] = exc

    worker = threading.Thread(target=target, name="evalscope-run", daemon=True)
    worker.start()
    worker.join()
    if "error" in box:
        raise box["error"]
    return box["value"]


def provider_name(cfg: TaskConfig) -> str:
    """The model provider's registry name: `model_api`, else the one `eval_type` stands for."""
    return provider_for(cfg.eval_type, cfg.model_api)


def review_capabilities(cfg: TaskConfig) -> frozenset[RequestKind]:
    """What the run's model can do, for a review stage that loads no model: the provider's declared
    `capabilities`, so each benchmark gets the output type (and requests) its infer stage had (a
    service model generates: arc is reviewed as generation, not as next-token probabilities)."""
    try:
        factory = model_apis.get(provider_name(cfg))
    except (ConfigError, UnknownNameError, ImportError):
        return frozenset(RequestKind)
    declared = getattr(factory, "capabilities", None)
    return frozenset(declared) if isinstance(declared, (set, frozenset)) else frozenset(RequestKind)


def model_spec(cfg: TaskConfig) -> ModelSpec:
    """The run's model as a `ModelSpec` (provider, adapter settings, `Model` policy)."""
    return ModelSpec(
        provider=provider_name(cfg), model=cfg.model, api_url=cfg.api_url, api_key=cfg.api_key,
        model_args=dict(cfg.model_args), concurrency=cfg.eval_batch_size, timeout=cfg.timeout, retries=cfg.retries,
        seed=cfg.seed, truncation=cfg.truncation, chat_template=cfg.chat_template, stream=cfg.stream,
    )


def build_model_api(cfg: TaskConfig) -> ModelAPI:
    """The run's bare adapter (`open_model_api` of `model_spec(cfg)`)."""
    spec = model_spec(cfg)
    provider_factory(spec.provider)  # an unknown provider is the first thing to hear about
    if cfg.eval_type == "service" and not cfg.api_url:
        raise ConfigError("api_url: required when eval_type is 'service'")
    return open_model_api(spec)


async def run_task_async(
    cfg: TaskConfig,
    *,
    model: ModelAPI | None = None,
    sink: ProgressSink | None = None,
    print_table: bool = True,
) -> RunResult:
    """The evaluation itself; `await` it from async code (see `run_task` for the arguments)."""
    from evalscope.app.benchmark_files import resolve_benchmarks
    from evalscope.core.progress import TqdmProgress

    if cfg.eval_backend != "Native":
        return await asyncio.to_thread(_run_suite, cfg, sink or TqdmProgress(), print_table)
    if cfg.eval_config is not None:
        raise ConfigError("eval_config: only read by third-party backends; set eval_backend (OpenCompass, VLMEvalKit, RAGEval, ThirdParty)")
    if not cfg.datasets:
        raise ConfigError("datasets: name at least one benchmark (see `evalscope benchmarks`)")
    specs = resolve_benchmarks(cfg.datasets)  # unknown names and bad YAML benchmarks fail before any work
    unknown_args = set(cfg.dataset_args) - set(specs) - set(cfg.datasets)
    if unknown_args:
        raise ConfigError(f"dataset_args: {', '.join(sorted(unknown_args))} not in datasets {cfg.datasets}")
    owns_model = model is None
    if model is None and cfg.stage != "review" and cfg.api_url and cfg.eval_type == "service":
        from evalscope.core.preflight import check_endpoint

        # one clear line now, rather than every sample failing through its retries
        check_endpoint(cfg.api_url, what="api_url (--api-url)")
    executor = build_executor(cfg, model)  # None: samples are evaluated in this process
    try:
        if executor is not None:  # the executor's workers own the model; this is its stand-in here
            api = executor.model_api()
        else:
            api = model if model is not None else (build_model_api(cfg) if cfg.stage != "review" else None)
    except BaseException:
        if executor is not None:
            await executor.aclose()
        raise
    try:
        with registered():  # `q` in the live view, SIGTERM to the CLI: stopped, recorded as such
            return await _evaluate(cfg, api, specs, sink or TqdmProgress(), print_table, executor)
    finally:
        if owns_model and api is not None:
            await api.aclose()
        if executor is not None:
            await executor.aclose()


def build_executor(cfg: TaskConfig, model: ModelAPI | None = None) -> Any:
    """The executor named by `executor` (the `evalscope.executors` registry), or None to evaluate
    here. A review-only run calls no model, so it never needs one."""
    if cfg.executor == "local" or cfg.stage == "review":
        return None
    if model is not None:
        raise ConfigError("executor: a model object passed to run_task lives in this process; use executor 'local' with it")
    from evalscope.core.registry import executors

    try:
        factory = executors.get(cfg.executor)
    except UnknownNameError as exc:
        raise ConfigError(f"executor: {exc} ('ray' comes with pip install evalscope-backends[ray])") from None
    return factory(executor_request(cfg))


async def _evaluate(
    cfg: TaskConfig, api: ModelAPI | None, specs: dict[str, Any], sink: ProgressSink, print_table: bool,
    executor: Any = None,
) -> RunResult:
    """plan -> open -> execute; the table printed (print_table) whether or not samples failed."""
    plan = plan_run(cfg, specs, api.capabilities if api is not None else review_capabilities(cfg), model=api)
    opened: OpenRun | None = None
    try:
        async with open_run(plan, api=api, spec=model_spec(cfg), sink=sink, executor=executor) as opened:
            outcome = await execute(opened, print_tables=print_table)
    except BaseException as exc:
        if print_table and opened is not None and ended_by(exc) == "stopped":
            run_dir = opened.run_dir
            print(f"Stopped. Finished samples are stored in {run_dir}; resume with --use-cache {run_dir}.", file=sys.stderr, flush=True)
        raise
    if print_table:
        print(format_outcome(outcome.reports.values(), outcome.run_dir), flush=True)
    return check_outcome(outcome, ignore_errors=cfg.ignore_errors)


def _run_suite(cfg: TaskConfig, sink: ProgressSink, print_table: bool) -> RunResult:
    """Run a third-party suite (`eval_backend`) and store its records like a native run's."""
    from evalscope.app.suites import load_eval_config
    from evalscope.core.registry import eval_backends

    try:
        factory = eval_backends.get(cfg.eval_backend)
    except UnknownNameError as exc:
        raise ConfigError(f"eval_backend: {exc}") from None
    suite = factory()
    eval_config = load_eval_config(cfg.eval_config)
    suite.check_config(eval_config, where="eval_config")
    run_dir = resolve_run_dir(cfg)
    with RunDirLock(run_dir) as lock:  # one writer per run dir
        note_takeover(lock)
        return _run_suite_in(run_dir, suite, eval_config, cfg, sink, print_table)


def _run_suite_in(run_dir: Path, suite: Any, eval_config: Any, cfg: TaskConfig, sink: ProgressSink, print_table: bool) -> RunResult:
    run_dir.mkdir(parents=True, exist_ok=True)
    request = suite_request(cfg)
    model_id = cfg.resolved_model_id if request.named else (suite.model_id(request, eval_config) or cfg.resolved_model_id)
    if not cfg.use_cache:
        refuse_overwrite(run_dir, model_id)
    run = RunInfo(
        run_id=new_run_id(), work_dir=str(run_dir), model_id=model_id, config=cfg.to_dict(),
        started_at=time.time(), name=run_dir.name, kind="eval",
    )
    handler = attach_run_log(run_dir / "logs" / "eval_log.log", [cfg.api_key or ""], cfg.debug)
    result_stores = select_stores(cfg)
    outcome = RunResult(run_id=run.run_id, run_dir=str(run_dir), model_id=run.model_id)
    try:
        for store in result_stores:
            store.open(run)
        sink.on_event(RunStarted(run.run_id, str(run_dir), run.model_id, tuple(cfg.datasets)))
        produced = suite.run(request, eval_config, run_dir, sink)
        for dataset, results in produced.results.items():
            for result in results:
                for store in result_stores:
                    store.save_prediction(dataset, result)
                    store.save_review(dataset, result)
        for report in produced.reports:
            for store in result_stores:
                store.save_report(report)
            outcome.reports[report.dataset_name] = report
        run.datasets = list(outcome.reports)
        run.status = "finished"
    except BaseException as exc:
        run.status = "stopped" if isinstance(exc, (KeyboardInterrupt, SystemExit)) else "failed"
        raise
    finally:
        try:
            end_run(run, result_stores)
        finally:
            detach(handler)
            sink.on_event(RunFinished(run.run_id, str(run_dir), run.status == "finished"))
    if print_table:
        print(format_outcome(outcome.reports.values(), run_dir), flush=True)
    return outcome


__all__ = ["run_task", "run_tasks", "run_task_async", "RunResult", "build_model_api", "model_identity"]
