"""EvalScope's speed benchmark: fixed prompt lengths, two requests each, sent to /v1/completions."""

from __future__ import annotations

from collections.abc import Iterator

from evalscope.perf.apis import Prompt
from evalscope.perf.datasets.base import DatasetContext
from evalscope.perf.datasets.random_tokens import exact_text

SPEED_LENGTHS = (1, 6144, 14336, 30720)
SPEED_LENGTHS_LONG = (63488, 129024)
REPEATS = 2


def _prompts(ctx: DatasetContext, lengths: tuple[int, ...]) -> Iterator[Prompt]:
    for n in lengths:
        for _ in range(REPEATS):
            if ctx.tokenizer is not None:
                text, real = exact_text(ctx.tokenizer, n, seed=ctx.seed + n)
                yield Prompt(text=text, intended_tokens=real)
            else:  # one CJK character is one token for most tokenizers; not verified
                yield Prompt(text="熵" * n)


def speed_benchmark(ctx: DatasetContext) -> Iterator[Prompt]:
    yield from _prompts(ctx, SPEED_LENGTHS)


def speed_benchmark_long(ctx: DatasetContext) -> Iterator[Prompt]:
    yield from _prompts(ctx, SPEED_LENGTHS_LONG)
