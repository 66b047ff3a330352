"""Turn a ModelRequest into the text a causal LM sees, and that text into token ids."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import attrs

from evalscope.core.tools import prompt_mode
from evalscope.core.types import ChatMessage, ModelOutput, ModelRequest


def has_chat_template(tokenizer: Any) -> bool:
    return bool(getattr(tokenizer, "chat_template", None))


@lru_cache(maxsize=32)
def _template_reads_tools(template: str) -> bool:
    """Whether a Jinja chat template reads a `tools` variable (parsed, not grepped)."""
    import jinja2
    import jinja2.meta

    try:
        return "tools" in jinja2.meta.find_undeclared_variables(jinja2.Environment().parse(template))
    except jinja2.TemplateError:
        return False


def tool_mode(tokenizer: Any) -> str:
    """The mode "native chat template" when the tokenizer's chat template takes `tools`, else "prompt"
    (function descriptions in the system prompt; `evalscope.core.tools.prompt_mode`)."""
    template = getattr(tokenizer, "chat_template", None)
    if isinstance(template, str) and _template_reads_tools(template):
        return prompt_mode.NATIVE_TEMPLATE
    return prompt_mode.PROMPT


def offers_tools(request: ModelRequest) -> bool:
    """Whether the model is shown tools (a request with tool_choice "none" shows none)."""
    return bool(request.tools) and request.tool_choice != "none"


def _template_message(m: ChatMessage) -> dict[str, Any]:
    """A message as chat templates that take tools read it (OpenAI's shape, arguments as objects)."""
    message: dict[str, Any] = {"role": m.role, "content": m.content}
    if m.tool_calls is not None:
        message["tool_calls"] = [
            {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
            for c in m.tool_calls
        ]
    if m.tool_call_id is not None:
        message["tool_call_id"] = m.tool_call_id
    return message


def render_prompt(tokenizer: Any, request: ModelRequest) -> tuple[str, bool]:
    """(text, templated): chat messages through the chat template with the generation prompt, or
    the raw `prompt` as-is. `templated` says the text already holds the special tokens it needs.
    The request's `chat_template_kwargs` (`{enable_thinking: false}`) reach the template.
    A request's `tools` go to the template when it takes them (`tool_mode`), else into the system
    prompt, with earlier calls and tool results written as text (`prompt_mode.prompt_messages`).
    """
    if request.messages:
        kwargs = dict(request.config.chat_template_kwargs or {})
        if not offers_tools(request):
            messages = [{"role": m.role, "content": m.content} for m in request.messages]
        elif has_chat_template(tokenizer) and tool_mode(tokenizer) == prompt_mode.NATIVE_TEMPLATE:
            messages = [_template_message(m) for m in request.messages]
            kwargs["tools"] = prompt_mode.openai_tools(request.tools or [])
        else:
            shown = prompt_mode.prompt_messages(request.messages, request.tools or [], request.tool_choice)
            messages = [{"role": m.role, "content": m.content} for m in shown]
        if has_chat_template(tokenizer):
            text = tokenizer.apply_chat_template(
                messages, tokenize=False, add_generation_prompt=True, **kwargs
            )
            return text, True
        return "\n".join(m["content"] for m in messages), False  # type: ignore[misc]  # FIXME(content parts): assumes str content; ChatMessage.text is the text
    if request.prompt is None:
        raise ValueError(f"{request.kind.value} request has neither messages nor prompt")
    return request.prompt, False


def with_tool_calls(out: ModelOutput, request: ModelRequest) -> ModelOutput:
    """The calls an answer to a request with tools writes, read into `tool_calls` (its text kept);
    a completed answer that calls tools finishes with "tool_calls", as services say."""
    if not offers_tools(request) or out.error is not None:
        return out
    out.tool_calls = prompt_mode.read_tool_calls(out.text)
    if out.tool_calls and out.finish_reason == "stop":
        out.finish_reason = "tool_calls"
    if out.choices:
        for i, choice in enumerate(out.choices):
            calls = out.tool_calls if i == 0 else prompt_mode.read_tool_calls(choice.text)
            finish = "tool_calls" if calls and choice.finish_reason == "stop" else choice.finish_reason
            out.choices[i] = attrs.evolve(choice, tool_calls=calls, finish_reason=finish)
    return out


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
