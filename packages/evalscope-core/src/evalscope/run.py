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
import hashlib
import json
import logging
import os
import re
import sys
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from evalscope.config import ConfigError, TaskConfig, load_config_file
from evalscope.core.engine import Engine, EvaluationError
from evalscope.core.events import RunFinished, RunStarted
from evalscope.core.logs import attach_run_log, detach
from evalscope.core.models.spec import (
    ModelSpec,
    open_model,
    open_model_api,
    provider_factory,
    provider_for,
)
from evalscope.core.ports import ModelAPI, ProgressSink, ResultStore, RunInfo, new_run_id
from evalscope.core.registry import UnknownNameError, model_apis
from evalscope.core.report import Report, format_outcome
from evalscope.core.stopping import registered
from evalscope.core.stores.lock import RunDirLock
from evalscope.core.stores.workdir import safe_name
from evalscope.core.types import GenerationConfig, RequestKind

log = logging.getLogger("evalscope.run")

DEFAULT_GENERATION = {
    "checkpoint": GenerationConfig(max_tokens=512, do_sample=False),
    "service": GenerationConfig(max_tokens=2048, temperature=0.0),
    "mock": GenerationConfig(max_tokens=16),
    "custom": GenerationConfig(max_tokens=512),
}


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

    def __getitem__(self, dataset: str) -> Report:
        return self.reports[dataset]

    def __iter__(self) -> Iterator[str]:
        return iter(self.reports)

    def __len__(self) -> int:
        return len(self.reports)


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
    if cfg.no_timestamp:
        return root
    stamp = time.strftime("%Y%m%d_%H%M%S")
    candidate, n = root / stamp, 1
    while True:  # two runs started in the same second never share a folder: creating it claims it
        try:
            candidate.mkdir(parents=True)
            return candidate
        except FileExistsError:
            n += 1
            candidate = root / f"{stamp}_{n}"


def _is_run_dir(path: Path) -> bool:
    return (path / "configs").is_dir() or (path / "predictions").is_dir()


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


def build_stores(cfg: TaskConfig) -> list[ResultStore]:
    """The run's write stores by registry name (`evalscope.core.stores.select.build_stores`)."""
    from evalscope.core.stores import build_stores as select_stores

    return select_stores(cfg)


def _build_judge(cfg: TaskConfig, planned: dict[str, Any]) -> Any:
    """The engine's judge step (evalscope.core.judge), or None when no task is judged."""
    if cfg.stage == "infer":
        return None
    from evalscope.app.judging import build_sample_judge

    return build_sample_judge(cfg, {name: task for name, (task, _) in planned.items()})


def _judge_secrets(cfg: TaskConfig) -> list[str]:
    from evalscope.core.judge.setup import judge_secrets

    return judge_secrets(cfg)


def model_identity(api: ModelAPI | None) -> str:
    """A short digest of what identifies the model's answers (never secrets)."""
    if api is None:
        return ""
    raw = json.dumps(api.identity(), sort_keys=True, default=str)
    return hashlib.sha256(raw.encode()).hexdigest()[:12]


def _previous_run(run_dir: Path, model_id: str, identity: str = "") -> RunInfo | None:
    """The run of `model_id` an earlier process stored in `run_dir` (resume, review stage), if any.
    A run dir that was copied or moved still counts (its run info names the old place).

    Another model's run is never reused: this model gets a run of its own beside it. The same model
    name with another identity (revision, weights) is refused: its answers are not this model's.
    """
    from evalscope.core.stores import WorkDirStore

    try:
        runs = WorkDirStore(root=str(run_dir)).list_runs()
    except (NotImplementedError, TypeError, OSError, ValueError, LookupError):
        return None
    folder = _folder_name(model_id)
    mine = [r for r in runs if r.model_id == model_id or _folder_name(r.model_id) == folder]
    if not mine:
        return None
    previous = mine[-1]
    if identity and previous.model_identity and previous.model_identity != identity:
        raise ConfigError(
            f"use_cache: {run_dir} holds {previous.model_id} with model identity {previous.model_identity}; this model "
            f"is {model_id} with identity {identity} (another revision or weights), whose answers must not be mixed: "
            "evaluate it in another --work-dir or under another --model-id"
        )
    return previous


def _folder_name(model_id: str) -> str:
    return safe_name(model_id)


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
    return factory(cfg)


async def _evaluate(
    cfg: TaskConfig, api: ModelAPI | None, specs: dict[str, Any], sink: ProgressSink, print_table: bool,
    executor: Any = None,
) -> RunResult:
    from evalscope.core.tasks import DatasetLoader, build_task, load_samples

    capabilities = api.capabilities if api is not None else review_capabilities(cfg)
    try:
        loader = DatasetLoader(cfg.resolved_dataset_dir, cfg.dataset_hub)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
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
        try:
            planned[name] = (task, load_samples(task, loader, args, cfg.limit))
        except ValueError as exc:
            if type(exc) is not ValueError:  # dataset format errors keep their own type
                raise
            raise ConfigError(str(exc)) from None
    judge = _build_judge(cfg, planned)  # LLM judge of the judged tasks (core/judge); None when all are rule-scored
    run_dir = resolve_run_dir(cfg)
    with RunDirLock(run_dir) as lock:  # one writer per run dir, taken before anything is written there
        return await _evaluate_in(run_dir, lock, cfg, api, planned, judge, sink, print_table, executor)


async def _evaluate_in(
    run_dir: Path, lock: RunDirLock, cfg: TaskConfig, api: ModelAPI | None, planned: dict[str, Any], judge: Any,
    sink: ProgressSink, print_table: bool, executor: Any,
) -> RunResult:
    """The run itself, in `run_dir` whose lock this process holds."""
    identity = model_identity(api) if api is not None else ""
    previous = _previous_run(run_dir, cfg.resolved_model_id, identity) if cfg.use_cache else None
    identity = identity or (previous.model_identity if previous else "")
    run = RunInfo(
        run_id=previous.run_id if previous else new_run_id(),
        work_dir=str(run_dir),
        model_id=cfg.resolved_model_id,
        config=cfg.to_dict(),
        started_at=time.time(),
        name=run_dir.name,
        model_identity=identity,
        datasets=list(planned),
        planned={name: len(samples) for name, (_, samples) in planned.items()},
    )
    lock.note(run.run_id, run.model_id)
    run_dir.mkdir(parents=True, exist_ok=True)
    handler = attach_run_log(run_dir / "logs" / "eval_log.log", [cfg.api_key or "", *_judge_secrets(cfg)], cfg.debug)
    _note_takeover(lock)
    wrapped = (
        open_model(model_spec(cfg), api=api)
        if api is not None
        else None
    )
    result_stores = build_stores(cfg)
    for store in result_stores:
        store.open(run)
    if judge is not None:  # verdicts stored by the run being resumed are reused
        judge.store, judge.run_id = result_stores[0], run.run_id
    sink.on_event(RunStarted(run.run_id, str(run_dir), run.model_id, tuple(planned)))
    engine = Engine(
        wrapped,
        result_stores,
        concurrency=cfg.eval_batch_size,
        stage=cfg.stage,
        model_id=cfg.resolved_model_id,
        sink=sink,
        identity=identity,
        judge=judge,
        executor=executor,
    )
    outcome = RunResult(run_id=run.run_id, run_dir=str(run_dir), model_id=run.model_id)
    stopped: str | None = None
    try:
        for name, (task, samples) in planned.items():
            log.info("%s: %d samples, output type %s, %d-shot", name, len(samples), task.output_type, task.few_shot_num)
            report = await engine.run(task, samples)
            stats = engine.last_run
            log.info(
                "%s: %d samples, %d from cache, %d inferred, %d failed, %d skipped, %.2fs",
                name, stats.total, stats.cached, stats.inferred, len(stats.errors), len(stats.skipped), stats.seconds,
            )
            outcome.errors.extend(f"{name}: {e}" for e in stats.errors)
            if report is not None:
                outcome.reports[name] = report
                if task.spec.on_report is not None:
                    task.spec.on_report(report, run_dir, cfg.resolved_model_id, print_table)
            if stats.stopped:
                stopped = f"{name}: {stats.stopped}"
                break
        run.status = "failed" if stopped or (outcome.errors and not cfg.ignore_errors) else "finished"
    except BaseException as exc:
        run.status = "stopped" if isinstance(exc, (KeyboardInterrupt, asyncio.CancelledError, SystemExit)) else "failed"
        if run.status == "stopped" and print_table:
            print(f"Stopped. Finished samples are stored in {run_dir}; resume with --use-cache {run_dir}.", file=sys.stderr, flush=True)
        raise
    finally:
        _end_run(run, result_stores)
        if wrapped is not None:
            await wrapped.aclose(close_api=False)  # the api is closed by whoever built it
        if judge is not None:
            log.info("%s", judge.judge.summary())
            await judge.aclose()
        detach(handler)
        sink.on_event(RunFinished(run.run_id, str(run_dir), run.status == "finished", stopped or ""))
    if print_table:
        print(format_outcome(outcome.reports.values(), run_dir), flush=True)
    if stopped:
        raise EvaluationError(f"{stopped}. Finished samples are stored in {run_dir}; rerun with --use-cache {run_dir}.")
    if outcome.errors and not cfg.ignore_errors:
        if all(map(_refused_request, outcome.errors)):  # a retry sends the same request again: no advice to retry
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


#: a sample error from a request the provider refused as invalid (HTTP 400/422, an adapter's ValueError)
_REFUSED = re.compile(r"\(HTTP 4(00|22)\)|(^|: )(ValueError|SettingValueError): ")


def _refused_request(error: str) -> bool:
    return _REFUSED.search(error) is not None


def _note_takeover(lock: RunDirLock) -> None:
    """Say (log and console) that the run dir's lock was left by a process that is gone."""
    if lock.taken_over is not None:
        note = f"{lock.run_dir}: took over the lock left by {lock.taken_over.describe()}, which is gone"
        log.warning("%s", note)
        print(f"Note: {note}", file=sys.stderr, flush=True)


def _end_run(run: RunInfo, stores: Sequence[ResultStore]) -> None:
    """Record in every store how the run ended, and close them."""
    run.finished_at = time.time()
    for store in stores:
        store.update_run(run)
        store.close()


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
        _note_takeover(lock)
        return _run_suite_in(run_dir, suite, eval_config, cfg, sink, print_table)


def _run_suite_in(run_dir: Path, suite: Any, eval_config: Any, cfg: TaskConfig, sink: ProgressSink, print_table: bool) -> RunResult:
    run_dir.mkdir(parents=True, exist_ok=True)
    named = cfg.model or cfg.model_id
    model_id = cfg.resolved_model_id if named else (suite.model_id(cfg, eval_config) or cfg.resolved_model_id)
    run = RunInfo(
        run_id=new_run_id(), work_dir=str(run_dir), model_id=model_id, config=cfg.to_dict(),
        started_at=time.time(), name=run_dir.name, kind="eval",
    )
    handler = attach_run_log(run_dir / "logs" / "eval_log.log", [cfg.api_key or ""], cfg.debug)
    result_stores = build_stores(cfg)
    outcome = RunResult(run_id=run.run_id, run_dir=str(run_dir), model_id=run.model_id)
    try:
        for store in result_stores:
            store.open(run)
        sink.on_event(RunStarted(run.run_id, str(run_dir), run.model_id, tuple(cfg.datasets)))
        produced = suite.run(cfg, eval_config, run_dir, sink)
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
        _end_run(run, result_stores)
        detach(handler)
        sink.on_event(RunFinished(run.run_id, str(run_dir), run.status == "finished"))
    if print_table:
        print(format_outcome(outcome.reports.values(), run_dir), flush=True)
    return outcome


__all__ = ["run_task", "run_tasks", "run_task_async", "RunResult", "build_model_api", "model_identity"]
