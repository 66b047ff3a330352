"""Judge settings: `judge_strategy`, `judge_model_args`, `judge_worker_num` (EvalScope's keys).

`JudgeModelArgs` names the judge model (any registered provider: an OpenAI-compatible service, a
local HF model, `evalscope serve`...) and the verdict contract: the prompt, and how the reply is
read (`score_type` pattern | numeric | json, `score_pattern`, `score_mapping`). The API key comes
from the environment by default (`EVALSCOPE_JUDGE_API_KEY`); it is never written anywhere.
"""

from __future__ import annotations

import os
import re
from typing import Any
from urllib.parse import urlsplit

import attrs

from evalscope.core.models.spec import ModelSpec, provider_factory, provider_for
from evalscope.core.serialization import ConfigError, short_repr
from evalscope.core.types import GenerationConfig

#: auto: the benchmark decides (rule, or llm for benchmarks that need a judge); rule: no judge;
#: llm: the judge scores every answer; llm_recall: the judge re-checks only what the rule marked wrong
JUDGE_STRATEGIES = ("auto", "rule", "llm", "llm_recall")
SCORE_TYPES = ("pattern", "numeric", "json")
JUDGE_KEY_ENV = "EVALSCOPE_JUDGE_API_KEY"
#: hosts whose usual key variable may be read when no judge key is given (never sent elsewhere)
PROVIDER_KEY_ENVS = {"api-inference.modelscope.cn": "MODELSCOPE_SDK_TOKEN", "api.openai.com": "OPENAI_API_KEY"}


def _one_of(choices: tuple[str, ...]) -> Any:
    def check(_inst: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is not None and value not in choices:
            raise ValueError(f"{attribute.name}: must be one of {', '.join(choices)}, not {short_repr(value)}")

    return check


def _regex_with_group(_inst: Any, attribute: attrs.Attribute[Any], value: str | None) -> None:
    if value is None:
        return
    try:
        compiled = re.compile(value)
    except re.error as exc:
        raise ValueError(f"{attribute.name}: not a valid regular expression ({exc})") from None
    if compiled.groups < 1:
        raise ValueError(f"{attribute.name}: needs one capturing group holding the verdict, e.g. \\[\\[([AB])\\]\\]")


def _at_least_one(_inst: Any, attribute: attrs.Attribute[Any], value: int) -> None:
    if value < 1:
        raise ValueError(f"{attribute.name}: must be at least 1, not {value}")


@attrs.define(kw_only=True)
class JudgeModelArgs:
    """The judge model and its verdict contract (`judge_model_args`)."""

    model_id: str | None = None
    api_url: str | None = None
    #: default: $EVALSCOPE_JUDGE_API_KEY (see `resolved_api_key`); redacted in every dump
    api_key: str | None = attrs.field(default=None, repr=False)
    #: provider by registry name (openai, hf, mock or a plug-in); default from eval_type
    model_api: str | None = None
    #: service (default when api_url is set) or checkpoint (a local model)
    eval_type: str | None = attrs.field(default=None, validator=_one_of(("checkpoint", "service", "mock", "custom")))
    model_args: dict[str, Any] = attrs.field(factory=dict)
    system_prompt: str | None = None
    #: placeholders {question}, {gold}, {pred}; default: the prompt of `score_type`
    prompt_template: str | None = None
    generation_config: GenerationConfig | None = None
    score_type: str = attrs.field(default="pattern", validator=_one_of(SCORE_TYPES))
    #: a regex whose group 1 is the verdict (pattern: a label of score_mapping; numeric: a number)
    score_pattern: str | None = attrs.field(default=None, validator=_regex_with_group)
    #: verdict label -> score (pattern and json)
    score_mapping: dict[str, float] | None = None
    #: judge calls per answer at most: a reply that does not parse is asked again (with a reminder
    #: of the format) until this many, then the answer is recorded as judge-invalid
    max_attempts: int = attrs.field(default=2, validator=_at_least_one)
    timeout: float | None = None
    #: retries of transient transport errors (rate limits, 5xx), as for the evaluated model
    retries: int = 3

    def model_spec(self, *, worker_num: int = 1, seed: int | None = None) -> ModelSpec:
        """The judge model as a `ModelSpec` (the key resolved, held in memory only): concurrency
        `worker_num`, its own retries and timeout, the run's seed."""
        if not self.model_id:
            raise ConfigError(
                "judge_model_args.model_id: required when answers are judged (e.g. "
                '{"model_id": "smollm2-135m-instruct", "api_url": "http://127.0.0.1:8000/v1"})'
            )
        eval_type = self.resolved_eval_type()
        provider = provider_for(eval_type, self.model_api)
        provider_factory(provider)  # an unknown provider is the first thing to hear about
        if eval_type == "service" and not self.api_url:
            raise ConfigError("judge_model_args.api_url: required when eval_type is 'service'")
        return ModelSpec(
            provider=provider, model=self.model_id, api_url=self.api_url, api_key=self.resolved_api_key(),
            model_args=dict(self.model_args), generation=self.generation_config, concurrency=worker_num,
            timeout=self.timeout, retries=self.retries, seed=seed,
        )

    def resolved_eval_type(self) -> str:
        if self.eval_type:
            return self.eval_type
        return "service" if self.api_url else "checkpoint"

    def resolved_api_key(self) -> str | None:
        """The key to send: the configured one, else $EVALSCOPE_JUDGE_API_KEY, else the usual variable of
        a known provider host (MODELSCOPE_SDK_TOKEN for ModelScope's API, OPENAI_API_KEY for OpenAI's)."""
        if self.api_key:
            return self.api_key
        if os.environ.get(JUDGE_KEY_ENV):
            return os.environ[JUDGE_KEY_ENV]
        host = (urlsplit(self.api_url).hostname or "") if self.api_url else ""
        env = PROVIDER_KEY_ENVS.get(host)
        return os.environ.get(env) or None if env else None


__all__ = ["JUDGE_STRATEGIES", "SCORE_TYPES", "JUDGE_KEY_ENV", "JudgeModelArgs"]
