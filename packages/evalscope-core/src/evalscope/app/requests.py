"""The run's `TaskConfig` converted into the small requests the ports take: a suite gets a
`SuiteRequest`, an executor factory an `ExecutorRequest`. Adapters never see the TaskConfig."""

from __future__ import annotations

from evalscope.config import TaskConfig
from evalscope.core.engine import ExecutorRequest
from evalscope.core.suites import SuiteRequest


def suite_request(cfg: TaskConfig) -> SuiteRequest:
    """What a third-party suite reads of the run."""
    gen = cfg.generation_config
    return SuiteRequest(
        datasets=list(cfg.datasets),
        model=cfg.model,
        model_id=cfg.model_id,
        resolved_model_id=cfg.resolved_model_id,
        eval_type=cfg.eval_type,
        api_url=cfg.api_url,
        api_key=cfg.api_key,
        model_args=dict(cfg.model_args),
        eval_batch_size=cfg.eval_batch_size,
        timeout=cfg.timeout,
        retries=cfg.retries,
        seed=cfg.seed,
        limit=cfg.limit,
        max_tokens=gen.max_tokens if gen is not None else None,
        dataset_dir=cfg.dataset_dir,
    )


def executor_request(cfg: TaskConfig) -> ExecutorRequest:
    """What an executor needs: the model every worker builds, the stage, its own settings."""
    from evalscope.run import model_spec

    return ExecutorRequest(
        model=model_spec(cfg),
        stage=cfg.stage,
        executor_args=dict(cfg.executor_args),
        address=cfg.ray_address,
        debug=bool(cfg.debug),
    )


__all__ = ["executor_request", "suite_request"]
