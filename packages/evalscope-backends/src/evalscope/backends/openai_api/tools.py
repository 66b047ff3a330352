"""Tool calling on the OpenAI wire: tools and conversations out, `tool_calls` back.

Out: `tools` as OpenAI function tools, `tool_choice` ("auto", "none", "required", or a tool's name
as ``{"type": "function", "function": {"name": ...}}``), `parallel_tool_calls`; assistant messages
with their `tool_calls` (arguments as the model wrote them) and role "tool" results with their
`tool_call_id`.

Back (from the parsed JSON, plain dicts): `message.tool_calls` of a whole answer; a stream's `delta.tool_calls` assembled by their
`index` (id and name arrive in the first delta of a call, the arguments in pieces that are
concatenated). Arguments that are not a JSON object are kept verbatim and flagged
(`ToolCall.parse`), never dropped or repaired.
"""

from __future__ import annotations

from typing import Any

import attrs

from evalscope.core.tools.prompt_mode import openai_tools
from evalscope.core.types import ChatMessage, ModelRequest, ToolCall

_CHOICE_WORDS = ("auto", "none", "required")


def message_json(message: ChatMessage) -> dict[str, Any]:
    """One message of the request body."""
    body: dict[str, Any] = {"role": message.role, "content": message.content}
    if message.tool_calls is not None:
        body["tool_calls"] = [
            {
                "id": call.id,
                "type": "function",
                "function": {"name": call.name, "arguments": _arguments_text(call)},
            }
            for call in message.tool_calls
        ]
        if not message.text:  # OpenAI's shape of an answer that only calls tools
            body["content"] = None
    if message.tool_call_id is not None:
        body["tool_call_id"] = message.tool_call_id
    return body


def _arguments_text(call: ToolCall) -> str:
    import json

    if call.raw_arguments is not None and call.parse_error is not None:
        return call.raw_arguments  # sent back as the model wrote it
    return json.dumps(call.arguments, ensure_ascii=False)


def tool_fields(request: ModelRequest) -> dict[str, Any]:
    """The body's `tools`, `tool_choice` and `parallel_tool_calls` (only those the request sets)."""
    fields: dict[str, Any] = {}
    if request.tools:
        fields["tools"] = openai_tools(request.tools)
    if request.tool_choice is not None:
        choice = request.tool_choice
        fields["tool_choice"] = (
            choice if choice in _CHOICE_WORDS else {"type": "function", "function": {"name": choice}}
        )
    if request.parallel_tool_calls is not None and request.tools:
        fields["parallel_tool_calls"] = bool(request.parallel_tool_calls)
    return fields


@attrs.define
class PartialCall:
    """One tool call as its stream deltas arrive."""

    id: str = ""
    name: str = ""
    arguments: list[str] = attrs.field(factory=list)

    def done(self, position: int) -> ToolCall:
        return ToolCall.parse(self.id or f"call_{position}", self.name, "".join(self.arguments))


def add_deltas(calls: dict[int, PartialCall], deltas: Any) -> None:
    """Fold a chunk's `delta.tool_calls` (parsed JSON: a list of dicts) into `calls` by index."""
    for position, delta in enumerate(deltas or []):
        index = delta.get("index")
        index = index if isinstance(index, int) else position
        call = calls.setdefault(index, PartialCall())
        if delta.get("id"):
            call.id = delta["id"]
        function = delta.get("function")
        if not function:
            continue
        if function.get("name") and not call.name:  # the name comes once, first
            call.name = function["name"]
        if function.get("arguments"):
            call.arguments.append(function["arguments"])


def finished_calls(calls: dict[int, PartialCall]) -> list[ToolCall] | None:
    """The assembled calls in index order (None when the answer made none)."""
    if not calls:
        return None
    return [calls[i].done(n) for n, i in enumerate(sorted(calls))]


def message_calls(message: dict[str, Any]) -> list[ToolCall] | None:
    """`message.tool_calls` of a whole answer (parsed JSON; None when it made none)."""
    raw = message.get("tool_calls")
    if not raw:
        return None
    calls = []
    for position, call in enumerate(raw):
        function = call.get("function") or {}
        name = function.get("name") or ""
        arguments = function.get("arguments")
        calls.append(ToolCall.parse(call.get("id") or f"call_{position}", name, arguments or ""))
    return calls
