"""`ModelSpec`: everything needed to build a model, and the one door that builds it.

A spec names the provider by its `model_apis` registry name (hf, openai, vllm, mock or a plug-in)
and carries the adapter's settings and `Model`'s policy (concurrency, retries, timeout, cache).
`open_model_api(spec)` looks the provider up and constructs the adapter; `open_model(spec)` wraps it
in `Model`. The evaluated model (`run.model_spec(cfg)`), the judge (`JudgeModelArgs.model_spec`),
the Ray workers, the ThirdParty suites and `evalscope serve` all come through here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs

from evalscope.core.model import Model, RetryPolicy
from evalscope.core.ports import ModelAPI
from evalscope.core.registry import UnknownNameError, model_apis
from evalscope.core.serialization import ConfigError
from evalscope.core.types import GenerationConfig

#: EvalScope's eval_type names -> our provider names (the registry is the source of truth)
PROVIDER_OF_EVAL_TYPE = {"checkpoint": "hf", "service": "openai", "mock": "mock"}
#: providers that come with evalscope-backends (named in the "not installed" hint)
BACKENDS_PROVIDERS = ("hf", "openai", "vllm")
REDACTED = "***"


def _redacted(value: str | None) -> str:
    return repr(REDACTED) if value else "None"


def provider_for(eval_type: str, model_api: str | None = None) -> str:
    """The provider's registry name: `model_api`, else the one `eval_type` stands for."""
    if model_api:
        return model_api
    provider = PROVIDER_OF_EVAL_TYPE.get(eval_type)
    if provider is None:
        raise ConfigError(
            f"eval_type {eval_type!r}: name a provider with model_api (one of {', '.join(model_apis.names())}) "
            "or pass the model object to run_task(cfg, model=...)"
        )
    return provider


@attrs.frozen(kw_only=True)
class ModelSpec:
    """Which model, through which provider, with which call policy (a value: frozen, no secrets in repr)."""

    #: provider by `model_apis` registry name
    provider: str
    model: str | None = None
    api_url: str | None = None
    api_key: str | None = attrs.field(default=None, repr=_redacted)
    model_args: dict[str, Any] = attrs.field(factory=dict)
    #: generation defaults of the caller (e.g. the judge's); the adapter never sees them
    generation: GenerationConfig | None = None
    #: concurrent calls through `Model` (and the adapter's batch size unless `batch_size` is set)
    concurrency: int = 1
    batch_size: int | None = None
    timeout: float | None = None
    retries: int = 5
    seed: int | None = None
    #: the weights' revision (a hub revision, a checkpoint step); passed as model_args["revision"]
    revision: str | None = None
    truncation: str = "error"
    chat_template: str | None = None
    stream: bool = False
    #: whether `Model` answers identical calls from memory
    cache: bool = True

    def to_dict(self) -> dict[str, Any]:
        """The spec as plain data, the key redacted (for logs and run records)."""
        data = attrs.asdict(self, recurse=True)
        if data["api_key"]:
            data["api_key"] = REDACTED
        return data

    def adapter_options(self) -> dict[str, Any]:
        """The keyword arguments of the provider's constructor (see `ModelAPI.__init__`)."""
        options: dict[str, Any] = {
            "batch_size": self.batch_size or self.concurrency,
            "seed": self.seed,
            "truncation": self.truncation,
        }
        if self.api_url:
            options.update(
                api_url=self.api_url, api_key=self.api_key, timeout=self.timeout, stream=self.stream
            )
        if self.chat_template:
            options["chat_template"] = self.chat_template
        return options


def provider_factory(provider: str) -> Callable[..., ModelAPI]:
    """The registered constructor of `provider`; an unknown name is a ConfigError saying what is known."""
    try:
        return model_apis.get(provider)
    except UnknownNameError as exc:
        hint = " (pip install evalscope-backends)" if provider in BACKENDS_PROVIDERS else ""
        raise ConfigError(f"model_api: {exc}{hint}") from None


def open_model_api(spec: ModelSpec) -> ModelAPI:
    """The bare adapter of `spec.provider`, constructed from the spec (loads weights, for local models)."""
    factory = provider_factory(spec.provider)
    model_args = dict(spec.model_args)
    if spec.revision is not None:
        model_args.setdefault("revision", spec.revision)
    api: ModelAPI = factory(spec.model, model_args, **spec.adapter_options())
    return api


def open_model(spec: ModelSpec, *, api: ModelAPI | None = None) -> Model:
    """`Model` (concurrency, retries, timeout, cache) over `api`, else over `open_model_api(spec)`."""
    api = api if api is not None else open_model_api(spec)
    return Model(
        api,
        max_concurrency=spec.concurrency,
        retry=RetryPolicy(retries=spec.retries),
        timeout=spec.timeout,
        cache=spec.cache,
    )


__all__ = [
    "PROVIDER_OF_EVAL_TYPE",
    "ModelSpec",
    "open_model",
    "open_model_api",
    "provider_factory",
    "provider_for",
]
