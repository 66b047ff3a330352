"""Counting prompts in a model's own tokens (`ModelAPI.count_tokens`) with its Hugging Face
tokenizer: the HF and vLLM adapters' own, or for an OpenAI-compatible service the local tokenizer
its `tokenizer_path` model arg names."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from evalscope.backends.hf import prompts
from evalscope.core.types import ModelRequest


def count_prompts(tokenizer: Any, items: Sequence[str | ModelRequest]) -> list[int]:
    """Plain texts without special tokens (one batch call); requests rendered as the adapters render
    them (chat template with the generation prompt, BOS only on untemplated text)."""
    texts = [i for i in items if isinstance(i, str)]
    plain = iter(tokenizer(texts, add_special_tokens=False)["input_ids"] if texts else [])
    counts: list[int] = []
    for item in items:
        if isinstance(item, str):
            counts.append(len(next(plain)))
        else:
            text, templated = prompts.render_prompt(tokenizer, item)
            counts.append(len(prompts.encode(tokenizer, text, templated)))
    return counts


def load_tokenizer(path: str, chat_template: str | None = None) -> Any:
    """A local tokenizer folder (`tokenizer_path`), with the run's chat template when one is given."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(path)
    if chat_template:
        tokenizer.chat_template = chat_template
    return tokenizer
