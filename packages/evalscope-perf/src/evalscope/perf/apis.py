"""Request bodies and response parsing for each supported API."""

from __future__ import annotations

import copy
import json
from typing import Any

import attrs

try:  # optional speed-up
    import orjson as _orjson

    _loads = _orjson.loads
except ImportError:  # pragma: no cover - depends on the environment
    _loads = json.loads  # type: ignore[assignment]  # called as orjson.loads is: one str/bytes argument

API_PATHS = {
    "chat": "/v1/chat/completions",
    "completions": "/v1/completions",
    "embeddings": "/v1/embeddings",
}
API_ALIASES = {
    "openai": "chat",
    "openai_chat": "chat",
    "chat": "chat",
    "local": "chat",
    "completions": "completions",
    "openai_completions": "completions",
    "embedding": "embeddings",
    "embeddings": "embeddings",
    "openai_embedding": "embeddings",
}


@attrs.frozen
class Prompt:
    """One request's input: either chat messages or a plain text prompt."""

    text: str = ""
    messages: tuple[dict[str, Any], ...] | None = None
    intended_tokens: int | None = None  # exact length measured with the model's tokenizer
    turns: tuple[str, ...] | None = None  # multi-turn: the user turns of one conversation


@attrs.frozen
class RequestSpec:
    """What goes into every request body besides the prompt."""

    kind: str  # chat | completions | embeddings
    model: str
    stream: bool = True
    params: dict[str, Any] = attrs.field(factory=dict)  # max_tokens, temperature, ...
    template: dict[str, Any] | None = None  # --query-template

    def body(self, prompt: Prompt, messages: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        if messages is None:
            messages = list(prompt.messages) if prompt.messages else [{"role": "user", "content": prompt.text}]
        text = prompt.text or "\n".join(str(m.get("content", "")) for m in messages)
        if self.template is not None:
            return _fill_template(self.template, self.model, text, messages)
        if self.kind == "embeddings":
            return {"model": self.model, "input": text}
        body: dict[str, Any] = {"model": self.model}
        if self.kind == "chat":
            body["messages"] = messages
        else:
            body["prompt"] = text
        body.update(self.params)
        if self.stream:
            body["stream"] = True
            body["stream_options"] = {"include_usage": True}
        return body

    def encode(self, prompt: Prompt, messages: list[dict[str, Any]] | None = None) -> bytes:
        return json.dumps(self.body(prompt, messages), ensure_ascii=False, separators=(",", ":")).encode()


def _fill_template(template: dict[str, Any], model: str, text: str, messages: list[dict[str, Any]]) -> dict[str, Any]:
    """Substitute ``{prompt}``, ``{messages}`` and ``{model}`` placeholders in a JSON body template."""
    found = {"prompt": False, "messages": False}

    def fill(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: fill(v) for k, v in node.items()}
        if isinstance(node, list):
            return [fill(v) for v in node]
        if isinstance(node, str):
            if node == "{messages}":
                found["messages"] = True
                return copy.deepcopy(messages)
            if "{prompt}" in node:
                found["prompt"] = True
                node = node.replace("{prompt}", text)
            return node.replace("{model}", model)
        return node

    body = fill(template)
    if not (found["prompt"] or found["messages"]):
        if "messages" in body:
            body["messages"] = messages
        else:
            body["prompt"] = text
    body.setdefault("model", model)
    return body


def parse_event(payload: bytes) -> tuple[str, dict[str, Any] | None]:
    """Generated text and usage (if any) of one streamed chunk (chat or completions)."""
    text, usage, _ = parse_event_src(payload)
    return text, usage


def parse_event_src(payload: bytes) -> tuple[str, dict[str, Any] | None, str]:
    """Like :func:`parse_event`, plus the key the text came from (``content``,
    ``reasoning_content``, ``text``; empty when there is no text)."""
    if payload == b"[DONE]":
        return "", None, ""
    try:
        obj = _loads(payload)
    except ValueError:
        return "", None, ""
    if not isinstance(obj, dict):
        return "", None, ""
    text: str | None = ""
    key = ""
    choices = obj.get("choices")
    if choices and isinstance(choices, list) and isinstance(choices[0], dict):
        c = choices[0]
        delta = c.get("delta")
        if isinstance(delta, dict):
            for key in ("content", "reasoning_content"):
                text = delta.get(key)
                if text:
                    break
        elif delta is None:
            key = "text"
            text = c.get("text")
        if not isinstance(text, str) or not text:
            text, key = "", ""
    usage = obj.get("usage")
    return text or "", usage if isinstance(usage, dict) else None, key


def parse_full(body: bytes) -> tuple[str, dict[str, Any] | None]:
    """Generated text and usage of a non-streamed response."""
    text, usage, _ = parse_full_calls(body)
    return text, usage


def parse_full_calls(body: bytes) -> tuple[str, dict[str, Any] | None, int]:
    """Like :func:`parse_full`, plus the number of ``message.tool_calls``."""
    obj = _loads(body)
    text = ""
    calls = 0
    choices = obj.get("choices") if isinstance(obj, dict) else None
    if choices:
        c = choices[0]
        msg = c.get("message")
        text = (msg.get("content") or "") if isinstance(msg, dict) else (c.get("text") or "")
        if isinstance(msg, dict) and isinstance(msg.get("tool_calls"), list):
            calls = len(msg["tool_calls"])
    usage = obj.get("usage") if isinstance(obj, dict) else None
    return text, usage if isinstance(usage, dict) else None, calls


def tool_call_indexes(payload: bytes) -> list[int]:
    """The ``index`` of each ``delta.tool_calls`` entry in one streamed chunk (empty when it has none)."""
    if b'"tool_calls"' not in payload:
        return []
    try:
        obj = _loads(payload)
    except ValueError:
        return []
    choices = obj.get("choices") if isinstance(obj, dict) else None
    if not choices or not isinstance(choices, list) or not isinstance(choices[0], dict):
        return []
    delta = choices[0].get("delta")
    calls = delta.get("tool_calls") if isinstance(delta, dict) else None
    if not isinstance(calls, list):
        return []
    return [c.get("index", k) if isinstance(c, dict) else k for k, c in enumerate(calls)]


def tool_choice_value(choice: str) -> str | dict[str, Any]:
    """``--tool-choice``: auto, none and required as they are, any other word a tool's name."""
    if choice in ("auto", "none", "required"):
        return choice
    return {"type": "function", "function": {"name": choice}}
