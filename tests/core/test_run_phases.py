"""A native run in three steps an embedder can call one by one: `plan_run` (nothing written),
`open_run` (run dir, lock, RunInfo, stores, engine) and `execute`; `Engine.run` returns its result."""

from __future__ import annotations

import asyncio

from evalscope.app.execute import check_outcome, execute
from evalscope.app.open import open_run
from evalscope.app.plan import plan_run
from evalscope.benchmarks import get_benchmark
from evalscope.config import TaskConfig
from evalscope.core.engine import Engine
from evalscope.core.stores import open_reader
from evalscope.run import build_model_api, model_spec, run_task


def _cfg(tmp_path, dataset_dir, name: str) -> TaskConfig:
    return TaskConfig.from_dict(
        {"model": "mock", "eval_type": "mock", "datasets": ["gsm8k", "arc"], "limit": 3,
         "dataset_dir": str(dataset_dir), "work_dir": str(tmp_path / name), "no_timestamp": True}
    )


def test_plan_writes_nothing_then_open_and_execute_store_the_same_run_as_run_task(tmp_path, dataset_dir):
    cfg = _cfg(tmp_path, dataset_dir, "steps")
    api = build_model_api(cfg)
    plan = plan_run(cfg, {n: get_benchmark(n) for n in cfg.datasets}, api.capabilities)
    assert plan.planned == {"gsm8k": 3, "arc": 6}
    assert not (tmp_path / "steps").exists()  # planning loads data, writes nothing

    async def open_and_execute():
        async with open_run(plan, api=api, spec=model_spec(cfg), sink=_Quiet()) as opened:
            assert opened.run.status == "running"
            return await execute(opened, print_tables=False)

    outcome = check_outcome(asyncio.run(open_and_execute()))
    whole = run_task(_cfg(tmp_path, dataset_dir, "whole"), print_table=False)
    assert {n: r.score for n, r in outcome.reports.items()} == {n: r.score for n, r in whole.reports.items()}
    stored = open_reader(str(tmp_path / "steps")).find_run(outcome.run_id)
    assert stored is not None and stored.status == "finished" and stored.planned == {"gsm8k": 3, "arc": 6}
    assert sorted(r.dataset_name for r in open_reader(str(tmp_path / "steps")).load_reports(outcome.run_id)) == ["arc", "gsm8k"]


def test_engine_run_returns_the_report_with_the_tasks_counters(tmp_path, dataset_dir):
    from evalscope.core.models.spec import open_model

    cfg = _cfg(tmp_path, dataset_dir, "engine")
    api = build_model_api(cfg)
    plan = plan_run(cfg, {"gsm8k": get_benchmark("gsm8k")}, api.capabilities)
    planned = plan.tasks["gsm8k"]

    async def run():
        model = open_model(model_spec(cfg), api=api)
        try:
            return await Engine(model, [], concurrency=2).run(planned.task, planned.samples)
        finally:
            await model.aclose()

    done = asyncio.run(run())
    assert done.report is not None and done.report.dataset_name == "gsm8k"
    assert (done.run.total, done.run.inferred, done.run.cached, done.run.errors) == (3, 3, 0, [])
    assert done.report.stats.total == 3


class _Quiet:
    def on_event(self, event: object) -> None:
        pass
