"""Suites and executors are ports with their own small requests: a plug-in suite receives a
`SuiteRequest`, an executor factory an `ExecutorRequest` (never the whole TaskConfig)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from evalscope.core.engine import Engine, Evaluated, ExecutorRequest
from evalscope.core.models.spec import open_model, open_model_api
from evalscope.core.registry import eval_backends, executors
from evalscope.core.report import Report
from evalscope.core.suites import EvalSuite, SuiteRequest, SuiteRun
from evalscope.run import run_task


@pytest.fixture
def registered():
    added: list[tuple[Any, str]] = []

    def add(registry: Any, name: str, obj: Any) -> None:
        registry.register(name, obj)
        added.append((registry, name))

    yield add
    for registry, name in added:
        registry._items.pop(name, None)


class ProbeSuite(EvalSuite):
    """A plug-in suite that reports what it was asked."""

    name = "Probe"
    seen: list[Any] = []

    def check_config(self, eval_config: dict[str, Any], *, where: str) -> None:
        pass

    def run(self, task: Any, eval_config: dict[str, Any], run_dir: Any, sink: Any) -> SuiteRun:
        ProbeSuite.seen.append(task)
        return SuiteRun(reports=[Report(name=task.resolved_model_id, dataset_name="probe", model_name=task.resolved_model_id, score=1.0)])


def test_a_suite_receives_a_suite_request_with_the_settings_it_reads(tmp_path, registered):
    registered(eval_backends, "Probe", ProbeSuite)
    ProbeSuite.seen.clear()
    result = run_task(
        {"eval_backend": "Probe", "eval_config": {}, "model": "m", "model_id": "probe-model", "api_url": "http://h:1/v1",
         "api_key": "sk-secret", "limit": 5, "generation_config": {"max_tokens": 7}, "eval_batch_size": 3,
         "work_dir": str(tmp_path), "no_timestamp": True},
        print_table=False,
    )
    assert list(result.reports) == ["probe"]
    (request,) = ProbeSuite.seen
    assert isinstance(request, SuiteRequest)
    assert (request.resolved_model_id, request.limit, request.max_tokens, request.eval_batch_size) == ("probe-model", 5, 7, 3)
    assert request.api_url == "http://h:1/v1" and request.api_key == "sk-secret" and request.named
    assert "sk-secret" not in repr(request) and "sk-secret" not in str(request.worker_settings())


class InProcessExecutor:
    """An executor plug-in that evaluates in this process with its own model, built from the request."""

    requests: list[ExecutorRequest] = []

    def __init__(self, request: ExecutorRequest) -> None:
        InProcessExecutor.requests.append(request)
        self.api = open_model_api(request.model)
        self.model = open_model(request.model, api=self.api)
        self.worker = Engine(self.model, [], concurrency=request.model.concurrency, stage=request.stage)

    def model_api(self) -> Any:
        return self.api

    async def evaluate(self, task: Any, samples: Iterator[Any], engine: Engine) -> AsyncIterator[Evaluated]:
        self.worker.identity = engine.identity
        todo = list(samples)
        for sample, outcome in zip(todo, await self.worker.evaluate_detached(task, todo)):
            outcome.result.sample = sample
            yield outcome

    async def aclose(self) -> None:
        await self.model.aclose()


def test_an_executor_factory_receives_an_executor_request_and_scores_like_a_local_run(tmp_path, dataset_dir, registered):
    registered(executors, "inprocess", InProcessExecutor)
    InProcessExecutor.requests.clear()
    base = {"model": "mock", "eval_type": "mock", "datasets": ["gsm8k"], "limit": 4, "dataset_dir": str(dataset_dir),
            "eval_batch_size": 2, "no_timestamp": True}
    elsewhere = run_task({**base, "executor": "inprocess", "executor_args": {"workers": 2},
                          "work_dir": str(tmp_path / "x")}, print_table=False)
    local = run_task({**base, "work_dir": str(tmp_path / "l")}, print_table=False)
    (request,) = InProcessExecutor.requests
    assert isinstance(request, ExecutorRequest)
    assert (request.model.provider, request.model.model, request.model.concurrency) == ("mock", "mock", 2)
    assert (request.stage, request.executor_args) == ("all", {"workers": 2})
    assert elsewhere["gsm8k"].score == local["gsm8k"].score and elsewhere["gsm8k"].stats.total == 4
