"""Dataset plug-in contract and registry."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from typing import Any, Protocol

import attrs

from evalscope.perf.apis import Prompt

# name -> "module:function"; each function takes a DatasetContext and yields Prompts.
DATASETS: dict[str, str] = {
    "openqa": "evalscope.perf.datasets.files:openqa",
    "longalpaca": "evalscope.perf.datasets.files:longalpaca",
    "line_by_line": "evalscope.perf.datasets.files:line_by_line",
    "custom": "evalscope.perf.datasets.files:custom",
    "random": "evalscope.perf.datasets.random_tokens:random_prompts",
    "speed_benchmark": "evalscope.perf.datasets.speed:speed_benchmark",
    "speed_benchmark_long": "evalscope.perf.datasets.speed:speed_benchmark_long",
}


@attrs.define
class DatasetContext:
    """What a dataset may use to produce prompts."""

    path: str | None = None
    number: int = 100
    min_prompt_length: int = 0
    max_prompt_length: int = 131072
    prefix_length: int = 0
    tokenizer: Any = None
    api_kind: str = "chat"
    seed: int = 0
    prompt: str | None = None


class DatasetFn(Protocol):
    def __call__(self, ctx: DatasetContext) -> Iterator[Prompt]: ...


def get_dataset(name: str) -> DatasetFn:
    try:
        target = DATASETS[name]
    except KeyError:
        raise ValueError(f"unknown dataset {name!r}; choose from {', '.join(sorted(DATASETS))}") from None
    module, _, fn = target.partition(":")
    return getattr(importlib.import_module(module), fn)
