"""Provider features (tools, multi-turn, n choices, reasoning, images): what a task needs and the
one check that refuses a task its provider cannot serve, before any model call."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from evalscope.core.serialization import ConfigError
from evalscope.core.types import ChatMessage, ContentImage, Feature, ModelRequest, Sample


class UnsupportedFeatureError(ConfigError):
    """A task needs a feature its model provider does not declare (one line, exit 1 in the CLI)."""


def provider_features(provider: Any) -> frozenset[Feature]:
    """What a `ModelAPI` (instance or class) declares in `features`; nothing when it declares none."""
    return frozenset(getattr(provider, "features", None) or ())


def _messages_features(messages: Iterable[ChatMessage]) -> set[Feature]:
    needs: set[Feature] = set()
    for m in messages:
        if m.tool_calls is not None or m.role == "tool":
            needs.add(Feature.TOOLS)
        if not isinstance(m.content, str) and any(isinstance(p, ContentImage) for p in m.content):
            needs.add(Feature.IMAGES)
    return needs


def request_features(request: ModelRequest) -> frozenset[Feature]:
    """The features a request needs: tools offered, several completions, images in its messages,
    tool calls or results in its conversation."""
    needs = _messages_features(request.messages or [])
    if request.tools:
        needs.add(Feature.TOOLS)
    if request.config.n > 1:
        needs.add(Feature.N_CHOICES)
    return frozenset(needs)


def sample_features(sample: Sample) -> frozenset[Feature]:
    """The features an item needs: later turns (multi-turn), images, tool calls or results."""
    messages = [] if isinstance(sample.input, str) else list(sample.input)
    needs = _messages_features([*messages, *sample.turns])
    if sample.turns:
        needs.add(Feature.MULTI_TURN)
    return frozenset(needs)


def _provider_label(provider: Any) -> str:
    cls = provider if isinstance(provider, type) else type(provider)
    model = None if isinstance(provider, type) else getattr(provider, "model_name", None)
    return f"{cls.__name__} ({model})" if model else cls.__name__


def require_features(provider: Any, needed: Iterable[Feature], *, task: str) -> None:
    """Refuse `task` when it needs a feature `provider` does not declare, in one line naming what is
    missing and what the provider has. Called while planning, before any model call."""
    missing = sorted(set(needed) - provider_features(provider), key=lambda f: f.value)
    if not missing:
        return
    has = sorted(f.value for f in provider_features(provider))
    raise UnsupportedFeatureError(
        f"{task}: needs {', '.join(f.value for f in missing)}, which the model provider "
        f"{_provider_label(provider)} does not support (it supports: {', '.join(has) or 'none of these features'})"
    )


__all__ = [
    "UnsupportedFeatureError",
    "provider_features",
    "request_features",
    "require_features",
    "sample_features",
]
