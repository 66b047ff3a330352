"""Turn a ModelRequest into the text a causal LM sees, and that text into token ids."""

from __future__ import annotations

from typing import Any

from evalscope.core.types import ModelRequest


def has_chat_template(tokenizer: Any) -> bool:
    return bool(getattr(tokenizer, "chat_template", None))


def render_prompt(tokenizer: Any, request: ModelRequest) -> tuple[str, bool]:
    """(text, templated): chat messages through the chat template with the generation prompt, or
    the raw `prompt` as-is. `templated` says the text already holds the special tokens it needs.
    The request's `chat_template_kwargs` (`{enable_thinking: false}`) reach the template.
    """
    if request.messages:
        messages = [{"role": m.role, "content": m.content} for m in request.messages]
        if has_chat_template(tokenizer):
            kwargs = dict(request.config.chat_template_kwargs or {})
            text = tokenizer.apply_chat_template(
                messages, tokenize=False, add_generation_prompt=True, **kwargs
            )
            return text, True
        return "\n".join(m["content"] for m in messages), False  # type: ignore[misc]  # FIXME(content parts): assumes str content; ChatMessage.text is the text
    if request.prompt is None:
        raise ValueError(f"{request.kind.value} request has neither messages nor prompt")
    return request.prompt, False


def encode(tokenizer: Any, text: str, templated: bool) -> list[int]:
    """Token ids of `text`; special tokens (BOS) are added only to text without a chat template."""
    return list(tokenizer(text, add_special_tokens=not templated)["input_ids"])


def eos_token_ids(model: Any, tokenizer: Any) -> set[int]:
    """Every id that ends a generation (the generation config may list several)."""
    ids: set[int] = set()
    configured = getattr(getattr(model, "generation_config", None), "eos_token_id", None)
    if isinstance(configured, int):
        ids.add(configured)
    elif configured:
        ids.update(int(i) for i in configured)
    if tokenizer.eos_token_id is not None:
        ids.add(int(tokenizer.eos_token_id))
    return ids


def pad_token_id(tokenizer: Any) -> int:
    if tokenizer.pad_token_id is not None:
        return int(tokenizer.pad_token_id)
    if tokenizer.eos_token_id is not None:
        return int(tokenizer.eos_token_id)
    return 0
