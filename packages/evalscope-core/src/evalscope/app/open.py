"""Opening a planned run: its run dir and lock, `RunInfo`, run log, stores, judge and `Engine`.

`open_run` is an async context manager: inside it the run dir is locked and the run recorded as
running; on the way out every store records how the run ended (the status `execute` set, or
stopped/failed when it raised) and is closed, the judge and the model wrapper are closed (never
the caller's adapter), the log handler is removed and `RunFinished` is emitted.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import json
import logging
import sys
import time
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import attrs

from evalscope.app.plan import RunPlan
from evalscope.config import ConfigError, TaskConfig
from evalscope.core.engine import Engine
from evalscope.core.events import RunFinished, RunStarted
from evalscope.core.logs import attach_run_log, detach
from evalscope.core.model import Model
from evalscope.core.models.spec import ModelSpec, open_model
from evalscope.core.ports import ModelAPI, ProgressSink, ResultStore, RunInfo, new_run_id
from evalscope.core.stores.lock import INTERRUPTED, RunDirLock
from evalscope.core.stores.workdir import claim_new_run_dir, is_run_dir, safe_name

log = logging.getLogger("evalscope.run")


@attrs.define
class OpenRun:
    """A run whose dir is locked and whose stores are open: what `execute` needs."""

    plan: RunPlan
    run_dir: Path
    run: RunInfo
    engine: Engine
    stores: list[ResultStore]
    sink: ProgressSink
    #: why the run stopped early (a scorer's stop_run), set by `execute`
    stopped: str | None = None


def resolve_run_dir(cfg: TaskConfig) -> Path:
    """`use_cache` names a run dir (or a work dir whose newest run is reused); else a new timestamped dir."""
    if cfg.use_cache:
        path = Path(cfg.use_cache)
        if _is_run_dir(path):
            return path
        runs = sorted(p for p in path.glob("*") if _is_run_dir(p)) if path.is_dir() else []
        if runs:
            return runs[-1]
        raise ConfigError(
            f"use_cache: {path} holds no previous run (expected a run dir with configs/ or predictions/)"
        )
    if cfg.no_timestamp:
        return Path(cfg.work_dir)
    return claim_new_run_dir(cfg.work_dir)


def _is_run_dir(path: Path) -> bool:
    return (path / "configs").is_dir() or (path / "predictions").is_dir()


def model_identity(api: ModelAPI | None) -> str:
    """A short digest of what identifies the model's answers (never secrets)."""
    if api is None:
        return ""
    raw = json.dumps(api.identity(), sort_keys=True, default=str)
    return hashlib.sha256(raw.encode()).hexdigest()[:12]


def previous_run(run_dir: Path, model_id: str, identity: str = "") -> RunInfo | None:
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
    folder = safe_name(model_id)
    mine = [r for r in runs if r.model_id == model_id or safe_name(r.model_id) == folder]
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


def refuse_overwrite(run_dir: Path, model_id: str) -> None:
    """A run without `use_cache` never writes over the same model's run in its run dir (a
    `--no-timestamp` work dir used twice): one line naming that run and the two ways out.
    Called with the run dir's lock held, so a run recorded as running there has no writer left."""
    earlier = previous_run(run_dir, model_id) if is_run_dir(run_dir) else None
    if earlier is None:
        return
    status = INTERRUPTED if earlier.status == "running" else earlier.status
    started = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(earlier.started_at or 0))
    raise ConfigError(
        f"{run_dir} already holds a run of {model_id} (run {earlier.run_id}, {status}, started {started}); "
        f"a new run never overwrites it: resume or reuse it with --use-cache {run_dir}, or start a new run "
        "in another --work-dir (or without --no-timestamp)"
    )


def note_takeover(lock: RunDirLock) -> None:
    """Say (log and console) that the run dir's lock was left by a process that is gone."""
    if lock.taken_over is not None:
        note = f"{lock.run_dir}: took over the lock left by {lock.taken_over.describe()}, which is gone"
        log.warning("%s", note)
        print(f"Note: {note}", file=sys.stderr, flush=True)


def end_run(run: RunInfo, stores: Sequence[ResultStore]) -> None:
    """Record in every store how the run ended, and close them: every store is tried and closed even
    when another fails (each failure logged); the first failure is raised after."""
    run.finished_at = time.time()
    failures: list[Exception] = []
    for store in stores:
        for step in (functools.partial(store.update_run, run), store.close):
            try:
                step()
            except Exception as exc:  # noqa: BLE001 - raised once the other stores are done
                what = "update_run" if isinstance(step, functools.partial) else "close"
                log.error("store %s: %s failed: %s", store.name, what, exc)
                failures.append(exc)
    if failures:
        raise failures[0]


def ended_by(exc: BaseException) -> str:
    """The status of a run that `exc` ended: stopped (Ctrl-C, SIGTERM, `q`) or failed."""
    return "stopped" if isinstance(exc, (KeyboardInterrupt, asyncio.CancelledError, SystemExit)) else "failed"


def _open_judge(plan: RunPlan) -> Any:
    """The engine's judge step of the judged tasks (None when all are rule-scored)."""
    if not plan.judging:
        return None
    from evalscope.core.judge.sample import SampleJudge
    from evalscope.core.judge.setup import build_llm_judge

    cfg = plan.cfg
    judge = build_llm_judge(cfg.judge_model_args, worker_num=cfg.judge_worker_num, seed=cfg.seed)
    return SampleJudge(judge, plan.judging)


def _run_info(plan: RunPlan, run_dir: Path, api: ModelAPI | None) -> RunInfo:
    """The run's record: a resumed run (`use_cache`) keeps the run id and identity of this model's run there."""
    cfg = plan.cfg
    identity = model_identity(api)
    previous = previous_run(run_dir, cfg.resolved_model_id, identity) if cfg.use_cache else None
    return RunInfo(
        run_id=previous.run_id if previous else new_run_id(),
        work_dir=str(run_dir),
        model_id=cfg.resolved_model_id,
        config=cfg.to_dict(),
        started_at=time.time(),
        name=run_dir.name,
        model_identity=identity or (previous.model_identity if previous else ""),
        datasets=list(plan.tasks),
        planned=plan.planned,
    )


def _open_stores(cfg: TaskConfig, run: RunInfo) -> list[ResultStore]:
    from evalscope.core.stores import build_stores

    stores = build_stores(cfg)
    for store in stores:
        store.open(run)
    return stores


def _secrets(cfg: TaskConfig) -> list[str]:
    from evalscope.core.judge.setup import judge_secrets

    return [cfg.api_key or "", *judge_secrets(cfg)]


@contextlib.asynccontextmanager
async def open_run(
    plan: RunPlan, *, api: ModelAPI | None, spec: ModelSpec, sink: ProgressSink, executor: Any = None
) -> AsyncIterator[OpenRun]:
    """Open `plan` for execution (see the module docstring). `api` is the run's adapter (None: a
    review stage), wrapped by `Model` with `spec`'s policy; `executor` evaluates elsewhere."""
    cfg = plan.cfg
    judge = _open_judge(plan)  # the judge's endpoint is checked before the run dir exists
    run_dir = resolve_run_dir(cfg)
    with RunDirLock(run_dir) as lock:  # one writer per run dir, taken before anything is written there
        if not cfg.use_cache:
            refuse_overwrite(run_dir, cfg.resolved_model_id)
        run = _run_info(plan, run_dir, api)
        lock.note(run.run_id, run.model_id)
        run_dir.mkdir(parents=True, exist_ok=True)
        handler = attach_run_log(run_dir / "logs" / "eval_log.log", _secrets(cfg), cfg.debug)
        note_takeover(lock)
        model: Model | None = open_model(spec, api=api) if api is not None else None
        stores = _open_stores(cfg, run)
        if judge is not None:  # verdicts stored by the run being resumed are reused
            judge.store, judge.run_id = stores[0], run.run_id
        sink.on_event(RunStarted(run.run_id, str(run_dir), run.model_id, tuple(plan.tasks)))
        engine = Engine(
            model,
            stores,
            concurrency=cfg.eval_batch_size,
            stage=cfg.stage,
            model_id=cfg.resolved_model_id,
            sink=sink,
            identity=run.model_identity,
            judge=judge,
            executor=executor,
        )
        opened = OpenRun(plan, run_dir, run, engine, stores, sink)
        try:
            yield opened
        except BaseException as exc:
            run.status = ended_by(exc)
            raise
        finally:
            try:
                end_run(run, stores)
            finally:  # a store that failed to record the end still lets the rest close
                if model is not None:
                    await model.aclose(close_api=False)  # the api is closed by whoever built it
                if judge is not None:
                    log.info("%s", judge.judge.summary())
                    await judge.aclose()
                detach(handler)
                sink.on_event(
                    RunFinished(run.run_id, str(run_dir), run.status == "finished", opened.stopped or "")
                )


__all__ = [
    "OpenRun",
    "end_run",
    "ended_by",
    "model_identity",
    "note_takeover",
    "open_run",
    "previous_run",
    "refuse_overwrite",
    "resolve_run_dir",
]
