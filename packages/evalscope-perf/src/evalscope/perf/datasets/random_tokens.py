"""Random prompts of an exact token length, built and verified with the model's tokenizer.

Prompts are sequences of whole-word vocabulary tokens (`` word``) that survive a
decode→encode round trip on their own, so the joined text re-tokenises to the same ids.
Every prompt is re-tokenised and trimmed/extended until its length is exact; for the chat
API the chat template's own tokens are included, so the *server* sees the asked length.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from typing import Any

from evalscope.perf.apis import Prompt
from evalscope.perf.datasets.base import DatasetContext
from evalscope.perf.tokenizer import chat_length, chat_overhead, count_tokens

_WORD = re.compile(r"^ [a-z]{3,10}$")
_POOLS: dict[int, list[int]] = {}
DEFAULT_LENGTH = 128


def word_pool(tokenizer: Any, size: int = 2000, seed: int = 0) -> list[int]:
    """Token ids that decode to one space-prefixed lowercase word and re-encode to themselves."""
    key = id(tokenizer)
    if key in _POOLS:
        return _POOLS[key]
    vocab_size = len(tokenizer)
    ids = list(range(vocab_size))
    random.Random(seed).shuffle(ids)
    pool: list[int] = []
    for i in ids:
        piece = tokenizer.decode([i])
        if _WORD.match(piece) and list(tokenizer.encode(piece, add_special_tokens=False)) == [i]:
            pool.append(i)
            if len(pool) >= size:
                break
    if len(pool) < 50:
        raise RuntimeError("could not find enough whole-word tokens in this tokenizer's vocabulary")
    _POOLS[key] = pool
    return pool


def _fit(tokenizer: Any, ids: list[int], n: int, measure, rng: random.Random, pool: list[int]) -> tuple[str, int]:
    """Trim or extend ``ids`` until ``measure(text) == n``; returns (text, measured length)."""
    text = tokenizer.decode(ids)
    for _ in range(50):
        real = measure(text)
        if real == n:
            return text, real
        if real > n:
            ids = ids[: max(1, len(ids) - (real - n))]
        else:
            ids = ids + rng.choices(pool, k=n - real)
        text = tokenizer.decode(ids)
    return text, measure(text)


def exact_text(tokenizer: Any, n: int, *, seed: int = 0, prefix_ids: list[int] | None = None) -> tuple[str, int]:
    """Text of exactly ``n`` tokens (plain encoding); returns (text, verified length)."""
    rng = random.Random(seed)
    pool = word_pool(tokenizer)
    ids = list(prefix_ids or []) + rng.choices(pool, k=max(0, n - len(prefix_ids or [])))
    return _fit(tokenizer, ids, n, lambda t: count_tokens(tokenizer, t), rng, pool)


def random_prompts(ctx: DatasetContext) -> Iterator[Prompt]:
    """``ctx.number`` prompts, lengths uniform in [min, max] tokens plus a shared prefix."""
    tok = ctx.tokenizer
    if tok is None:
        raise ValueError("dataset 'random' needs the model's tokenizer: pass --tokenizer-path (or use --api local)")
    lo = ctx.min_prompt_length or DEFAULT_LENGTH
    hi = ctx.max_prompt_length if ctx.max_prompt_length and ctx.max_prompt_length < 131072 else lo
    hi = max(lo, hi)
    rng = random.Random(ctx.seed)
    pool = word_pool(tok)
    prefix = rng.choices(pool, k=ctx.prefix_length) if ctx.prefix_length else []
    chat = ctx.api_kind == "chat" and getattr(tok, "chat_template", None) is not None
    overhead = chat_overhead(tok) if chat else 0
    for k in range(ctx.number):
        total = ctx.prefix_length + rng.randint(lo, hi)
        body = total - (overhead or 0)
        if body < max(1, len(prefix)):
            raise ValueError(f"prompt length {total} is shorter than the chat template ({overhead}) plus prefix")
        ids = prefix + rng.choices(pool, k=body - len(prefix))
        measure = (lambda t: chat_length(tok, t)) if chat else (lambda t: count_tokens(tok, t))
        sub = random.Random(ctx.seed * 1_000_003 + k)
        text, real = _fit(tok, ids, total, measure, sub, pool)
        # re-tokenise once more to verify: the number recorded is the measured one
        real = measure(text)
        yield Prompt(text=text, intended_tokens=real)
