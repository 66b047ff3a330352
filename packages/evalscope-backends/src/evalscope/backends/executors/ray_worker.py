"""The Ray actor of `executor: ray`: one model replica that infers and reviews shards of samples.

It builds its model exactly as a local run would (`open_model` of the run's `ModelSpec`: the same
adapter and the same `Model` policy of retries, timeout and concurrency) and evaluates shards with
`Engine.evaluate_detached`; it never writes a store. Imported only inside Ray workers and by the
executor, never by core.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Sequence
from typing import Any

import attrs

from evalscope.core.benchmark import Task
from evalscope.core.engine import Engine, Evaluated
from evalscope.core.models.spec import ModelSpec, open_model, open_model_api
from evalscope.core.types import ModelOutput, ModelRequest, Sample


class EvalWorker:
    """One model replica; the driver sends it tasks once and shards of samples many times."""

    def __init__(
        self, spec: dict[str, Any], identity: str, stage: str, api_url: str | None = None, *, debug: bool = False
    ) -> None:
        """`spec`: the run's `ModelSpec` as data (`ExecutorRequest.model`); `api_url` replaces its
        endpoint (executor_args.api_urls: one per replica)."""
        from evalscope.core.serialization import structure

        logging.basicConfig(level=logging.DEBUG if debug else logging.WARNING)
        model_spec = structure(spec, ModelSpec)
        if api_url:
            model_spec = attrs.evolve(model_spec, api_url=api_url)
        self.api = open_model_api(model_spec)
        self.model = open_model(model_spec, api=self.api)
        self.engine = Engine(self.model, [], concurrency=model_spec.concurrency, stage=stage, identity=identity)
        self.tasks: dict[str, Task] = {}

    def info(self) -> dict[str, Any]:
        """What the driver needs of the model (capabilities, identity) and where this replica runs."""
        return {
            "capabilities": sorted(k.value for k in self.api.capabilities),
            "max_batch_size": getattr(self.api, "max_batch_size", 1),
            "identity": self.api.identity(),
            "pid": os.getpid(),
            "host": socket.gethostname(),
        }

    def set_task(self, name: str, task: Task) -> None:
        self.tasks[name] = task

    def set_identity(self, identity: str, stage: str) -> None:
        """The run's model identity (prefix of every request key) and stage, known once replicas are up."""
        self.engine.identity, self.engine.stage = identity, stage

    async def evaluate(self, name: str, samples: Sequence[Sample]) -> list[Evaluated]:
        return await self.engine.evaluate_detached(self.tasks[name], samples)

    async def call(self, requests: Sequence[ModelRequest]) -> list[ModelOutput]:
        """A plain model call (the driver's stand-in model forwards here)."""
        return await self.model.api.call(requests)

    async def close(self) -> None:
        await self.model.aclose()
