"""`executor: ray`: a run's samples sharded across Ray actors, each owning a model replica.

The driver (the `evalscope eval` process) keeps everything that must happen once: it reads the
datasets, decides which samples the store already holds, writes every store, runs the judge, builds
the report and emits progress events. Actors (`ray_worker.EvalWorker`) infer and review shards and
hand back `Evaluated` outcomes. Each actor keeps up to two shards queued so it never idles between
them.

Faults: when an actor dies (its process killed, its node lost), the shards it held go back to the
queue and other actors take them; a dead actor is replaced while `replacements` last. An outcome is
accepted only for a sample still outstanding, so nothing is recorded twice. When every actor is gone
the run stops with an error; finished samples are stored and `--use-cache` resumes.

Settings: `ray_address` joins a cluster (else a local Ray is started for the run, its daemons on
127.0.0.1 only, no dashboard, no usage stats or auth token written); `executor_args` are
`RayOptions`. Ray is an optional extra (`pip install evalscope-backends[ray]`); nothing imports it
unless this executor is chosen.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import math
import os
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from evalscope.core.ports import ModelAPI
from evalscope.core.serialization import ConfigError, structure_strict, unstructure
from evalscope.core.types import ModelOutput, ModelRequest, RequestKind, Sample

if TYPE_CHECKING:
    from evalscope.core.benchmark import Task
    from evalscope.core.engine import Engine, Evaluated, ExecutorRequest

log = logging.getLogger("evalscope.ray")

#: shards queued per actor: one running, one waiting, so an actor never idles between shards
SHARDS_PER_WORKER = 2


@attrs.define(kw_only=True)
class RayOptions:
    """`executor_args` of the Ray executor."""

    #: actors (model replicas)
    workers: int = attrs.field(default=1, validator=attrs.validators.ge(1))
    #: CPUs and GPUs Ray reserves per actor (num_gpus=1: one GPU per vLLM or HF replica)
    num_cpus: float = attrs.field(default=1.0, validator=attrs.validators.ge(0))
    num_gpus: float = attrs.field(default=0.0, validator=attrs.validators.ge(0))
    #: samples per shard (default: eval_batch_size, one full batch of the actor's model)
    shard_size: int | None = attrs.field(default=None, validator=attrs.validators.optional(attrs.validators.ge(1)))
    #: service runs: one endpoint per actor (round robin) instead of every actor using api_url
    api_urls: list[str] | None = None
    #: actors started to replace dead ones (default: as many as `workers`)
    replacements: int | None = attrs.field(default=None, validator=attrs.validators.optional(attrs.validators.ge(0)))
    #: Ray runtime_env of the actors (env_vars, pip, working_dir...)
    runtime_env: dict[str, Any] | None = None


class AllWorkersLostError(RuntimeError):
    """Every Ray actor died and no replacement was left; finished samples are stored."""


def _import_ray() -> Any:
    # a local Ray writes no auth token into $HOME and sends no usage statistics
    os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    try:
        import ray
    except ImportError:
        raise ConfigError("executor: 'ray' needs Ray (pip install evalscope-backends[ray])") from None
    return ray


class RayModelAPI(ModelAPI):
    """The driver's stand-in for the actors' model: their capabilities and identity (so request keys,
    and so `--use-cache`, match a local run of the same model); calls are forwarded to an actor."""

    def __init__(self, model: str | None, info: dict[str, Any], worker: Any) -> None:
        super().__init__(model)
        self.capabilities = frozenset(RequestKind(k) for k in info["capabilities"])
        self.max_batch_size = int(info["max_batch_size"])
        self._identity = dict(info["identity"])
        self._worker = worker

    def identity(self) -> dict[str, Any]:
        return dict(self._identity)

    async def call(self, requests: Sequence[ModelRequest]) -> list[ModelOutput]:
        return await self._worker.call.remote(list(requests))


@attrs.define
class _Actor:
    handle: Any
    index: int
    pid: int = 0
    host: str = ""
    #: shards in flight
    busy: int = 0
    alive: bool = True


class RayExecutor:
    """Shards samples across `workers` Ray actors; see the module docstring."""

    def __init__(self, request: ExecutorRequest) -> None:
        self.request = request
        self.options = structure_strict(dict(request.executor_args), RayOptions, where="executor_args")
        if self.options.api_urls is not None and not self.options.api_urls:
            raise ConfigError("executor_args.api_urls: name at least one endpoint, or leave it out")
        self.ray = _import_ray()
        self.started_ray = False
        self.actors: list[_Actor] = []
        self.replacements_left = self.options.workers if self.options.replacements is None else self.options.replacements
        self.identity = ""
        self._api: RayModelAPI | None = None
        self._tasks_sent: dict[str, Any] = {}
        self._spawned = 0
        #: outcomes dropped because their sample was already recorded (never expected; counted)
        self.duplicates = 0

    # -- lifecycle -------------------------------------------------------------------------------
    def _init_ray(self) -> None:
        ray = self.ray
        if ray.is_initialized():
            return
        common = {"include_dashboard": False, "log_to_driver": bool(self.request.debug), "logging_level": logging.WARNING}
        if self.request.address:
            ray.init(address=self.request.address, **common)
        else:
            needed = math.ceil(self.options.workers * self.options.num_cpus)
            ray.init(num_cpus=max(needed, os.cpu_count() or 1), _node_ip_address="127.0.0.1", **common)
        self.started_ray = True

    def _spawn(self) -> _Actor:
        from evalscope.backends.executors.ray_worker import EvalWorker

        index = self._spawned
        self._spawned += 1
        urls = self.options.api_urls
        api_url = urls[index % len(urls)] if urls else None
        remote = self.ray.remote(EvalWorker).options(
            num_cpus=self.options.num_cpus,
            num_gpus=self.options.num_gpus,
            max_restarts=0,
            runtime_env=self.options.runtime_env,
        )
        spec = unstructure(self.request.model)  # the key included: the worker calls the model
        handle = remote.remote(spec, self.identity, self.request.stage, api_url, debug=self.request.debug)
        return _Actor(handle, index)

    def model_api(self) -> RayModelAPI:
        """Start the actors (each loads its model) and return the driver's stand-in model."""
        if self._api is not None:
            return self._api
        self._init_ray()
        from evalscope.app.open import model_identity

        spawned = [self._spawn() for _ in range(self.options.workers)]
        infos = self.ray.get([a.handle.info.remote() for a in spawned])
        for actor, info in zip(spawned, infos):
            actor.pid, actor.host = info["pid"], info["host"]
        self.actors = spawned
        self._api = RayModelAPI(self.request.model.model, infos[0], spawned[0].handle)
        self.identity = model_identity(self._api)  # request keys carry the same identity as a local run's
        log.info("ray: %d workers (%s)", len(spawned), ", ".join(f"pid {a.pid} on {a.host}" for a in spawned))
        return self._api

    @property
    def worker_pids(self) -> list[int]:
        return [a.pid for a in self.actors if a.alive]

    async def aclose(self) -> None:
        for actor in self.actors:
            if actor.alive:
                try:
                    self.ray.kill(actor.handle)
                except Exception:  # noqa: BLE001 - already gone
                    pass
        self.actors = []
        if self.started_ray and self.ray.is_initialized():
            self.ray.shutdown()
        self.started_ray = False

    # -- evaluation ------------------------------------------------------------------------------
    async def _send_task(self, actor: _Actor, task: Task, engine: Engine) -> None:
        ref = self._tasks_sent.get(task.name)
        if ref is None:
            ref = self._tasks_sent[task.name] = self.ray.put(task)
        await actor.handle.set_task.remote(task.name, ref)
        await actor.handle.set_identity.remote(engine.identity, engine.stage)

    async def evaluate(self, task: Task, samples: Iterator[Sample], engine: Engine) -> AsyncIterator[Evaluated]:
        """Shards of `samples` to the actors, outcomes back as they finish (see the module docstring)."""
        ray_errors = (self.ray.exceptions.RayActorError,)
        shard_size = self.options.shard_size or max(1, self.request.model.concurrency)
        for actor in self.actors:
            await self._send_task(actor, task, engine)
        requeued: collections.deque[list[Sample]] = collections.deque()
        outstanding: dict[tuple[str, str], Sample] = {}
        running: dict[asyncio.Future[Any], tuple[_Actor, list[Sample]]] = {}
        source_done = False

        def next_shard() -> list[Sample] | None:
            nonlocal source_done
            if requeued:
                return requeued.popleft()
            if source_done:
                return None
            shard = []
            for sample in samples:
                shard.append(sample)
                outstanding[(sample.subset, sample.id)] = sample
                if len(shard) >= shard_size:
                    break
            else:
                source_done = True
            return shard or None

        def submit() -> None:
            for actor in self.actors:
                while actor.alive and actor.busy < SHARDS_PER_WORKER:
                    shard = next_shard()
                    if shard is None:
                        return
                    future = asyncio.ensure_future(actor.handle.evaluate.remote(task.name, shard))
                    running[future] = (actor, shard)
                    actor.busy += 1

        try:
            while True:
                submit()
                if not running:
                    if not any(a.alive for a in self.actors):  # is any work left for the dead?
                        left = next_shard()
                        if left is not None:
                            requeued.append(left)
                    if requeued:  # work left but no actor to run it
                        raise AllWorkersLostError(
                            f"every Ray worker died ({len(outstanding)} samples of {task.name} unfinished); finished "
                            "samples are stored, rerun with --use-cache"
                        )
                    return
                finished, _ = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
                for future in finished:
                    actor, shard = running.pop(future)
                    actor.busy -= 1
                    try:
                        outcomes = future.result()
                    except ray_errors as exc:
                        await self._lost(actor, exc, task, engine)
                        requeued.append(shard)
                        continue
                    except self.ray.exceptions.RayTaskError as exc:  # the worker's code raised: not a fault of the worker
                        raise exc.as_instanceof_cause() from None
                    for outcome in outcomes:
                        key = (outcome.result.subset, outcome.result.sample_id)
                        sample = outstanding.pop(key, None)
                        if sample is None:
                            self.duplicates += 1
                            continue
                        outcome.result.sample = sample
                        yield outcome
        finally:
            for future in running:
                future.cancel()
            for actor, _shard in running.values():
                actor.busy = 0

    async def _lost(self, actor: _Actor, exc: BaseException, task: Task, engine: Engine) -> None:
        """A dead actor: forget it, start a replacement while any are left."""
        if not actor.alive:
            return
        actor.alive = False
        log.warning("ray: worker %d (pid %d on %s) died: %s", actor.index, actor.pid, actor.host, _first_line(exc))
        if self.replacements_left <= 0:
            return
        self.replacements_left -= 1
        fresh = self._spawn()
        try:
            info = await fresh.handle.info.remote()
            fresh.pid, fresh.host = info["pid"], info["host"]
            await self._send_task(fresh, task, engine)
        except self.ray.exceptions.RayActorError as err:
            log.warning("ray: replacement worker failed to start: %s", _first_line(err))
            return
        self.actors.append(fresh)
        log.warning("ray: started worker %d (pid %d) in its place", fresh.index, fresh.pid)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
