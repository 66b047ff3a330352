"""Building a judge model: an `LLMJudge` over `open_model(JudgeModelArgs.model_spec(...))`, through
the same provider registry as the evaluated model. Which tasks a run judges is the application's
part (`evalscope.app.judging`, from the run's TaskConfig)."""

from __future__ import annotations

from typing import Any

from evalscope.core.judge.config import JudgeModelArgs
from evalscope.core.judge.judge import JudgeCache, LLMJudge
from evalscope.core.models.spec import open_model
from evalscope.core.types import GenerationConfig

#: the judge's generation defaults (greedy; enough room for a short explanation and the verdict)
JUDGE_GENERATION = GenerationConfig(max_tokens=1024, temperature=0.0, do_sample=False)


def build_llm_judge(
    args: JudgeModelArgs,
    *,
    worker_num: int = 1,
    seed: int | None = None,
    cache: JudgeCache | None = None,
    check_reachable: bool = True,
) -> LLMJudge:
    """An `LLMJudge` over the provider `args` name: concurrency `worker_num`, the judge's retries and timeout."""
    spec = args.model_spec(worker_num=worker_num, seed=seed)
    if check_reachable and spec.api_url and args.resolved_eval_type() == "service":
        from evalscope.core.preflight import check_endpoint

        check_endpoint(spec.api_url, what="judge_model_args.api_url")
    model = open_model(spec)
    generation = JUDGE_GENERATION.merged(spec.generation)
    if generation.seed is None and seed is not None:
        generation = generation.merged(GenerationConfig(seed=seed))
    return LLMJudge(model, generation=generation, max_attempts=args.max_attempts, cache=cache)


def judge_secrets(cfg: Any) -> list[str]:
    """The judge's key (configured or from the environment), for masking in logs."""
    args = getattr(cfg, "judge_model_args", None)
    key = args.resolved_api_key() if args is not None else None
    return [key] if key else []


__all__ = ["JUDGE_GENERATION", "build_llm_judge", "judge_secrets"]
