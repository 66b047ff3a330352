"""OpenAI wire format for `evalscope serve`: request bodies -> ModelRequest, outputs -> JSON.

Validation errors name the offending field (``BadRequest.param``) so the server can answer 400 in
OpenAI's error shape. Unknown body fields (``user``...) are ignored, as vLLM does.

Tools: a chat body's ``tools`` (OpenAI function tools), ``tool_choice`` ("auto", "none",
"required" or ``{"type": "function", "function": {"name": ...}}``) and ``parallel_tool_calls``
reach the request; assistant messages' ``tool_calls`` and role "tool" results (``tool_call_id``)
reach the conversation. An answer's `tool_calls` (the local model's text read back,
`evalscope.core.tools.prompt_mode`) leave as ``message.tool_calls`` (content null) with
finish_reason "tool_calls"; streamed, as ``delta.tool_calls`` (id and name first, then the
arguments) once the answer is complete (`StreamChunks.calls`).
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import attrs

from evalscope.core.types import (
    ChatMessage,
    GenerationConfig,
    ModelChoice,
    ModelOutput,
    ModelRequest,
    RequestKind,
    SettingValueError,
    ToolCall,
    ToolSpec,
)

_ROLES = {"system", "user", "assistant", "developer", "tool"}
#: most completions per request (OpenAI's own limit)
MAX_N = 128


class BadRequest(ValueError):
    """A request body we cannot serve; `param` names the field."""

    def __init__(self, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.param = param


@attrs.define
class ParsedRequest:
    """A validated body: the model request plus how to answer it."""

    request: ModelRequest
    chat: bool
    stream: bool = False
    include_usage: bool = False
    requested_model: str | None = None


def _number(
    body: dict[str, Any], name: str, lo: float | None = None, hi: float | None = None
) -> float | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise BadRequest(f"'{name}' must be a number, got {type(value).__name__}", name)
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise BadRequest(f"'{name}' must be between {lo} and {hi}, got {value}", name)
    return float(value)


def _integer(body: dict[str, Any], name: str, lo: int | None = None, hi: int | None = None) -> int | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadRequest(f"'{name}' must be an integer, got {type(value).__name__}", name)
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        bounds = f">= {lo}" if hi is None else f"between {lo} and {hi}"
        raise BadRequest(f"'{name}' must be {bounds}, got {value}", name)
    return value


def _boolean(body: dict[str, Any], name: str) -> bool | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, bool):
        raise BadRequest(f"'{name}' must be a boolean, got {type(value).__name__}", name)
    return value


def _stop(body: dict[str, Any]) -> list[str] | None:
    value = body.get("stop")
    if value is None:
        return None
    if isinstance(value, str):
        return [value] if value else None
    if isinstance(value, list) and all(isinstance(s, str) for s in value):
        return [s for s in value if s] or None
    raise BadRequest("'stop' must be a string or a list of strings", "stop")


def _config(body: dict[str, Any], *, chat: bool) -> GenerationConfig:
    max_tokens = _integer(body, "max_tokens", 1)
    if max_tokens is None:
        max_tokens = _integer(body, "max_completion_tokens", 1)
    n = _integer(body, "n", 1, MAX_N)
    if chat:
        logprobs = bool(_boolean(body, "logprobs"))
        top_logprobs = _integer(body, "top_logprobs", 0, 20)
    else:  # legacy completions: logprobs is the number of alternatives
        count = _integer(body, "logprobs", 0, 5)
        logprobs, top_logprobs = count is not None, count or None
    top_k = _integer(body, "top_k", -1)
    try:
        return _generation_config(body, max_tokens, n, logprobs, top_logprobs, top_k)
    except SettingValueError as exc:  # the ranges every adapter relies on (GenerationConfig's checks)
        raise BadRequest(f"'{exc.field}' {exc.problem}", exc.field) from None


def _generation_config(
    body: dict[str, Any], max_tokens: int | None, n: int | None, logprobs: bool, top_logprobs: int | None, top_k: int | None
) -> GenerationConfig:
    return GenerationConfig(
        max_tokens=max_tokens,
        temperature=_number(body, "temperature", 0.0, 2.0),
        top_p=_number(body, "top_p", 0.0, 1.0),
        top_k=None if top_k in (None, -1, 0) else top_k,
        seed=_integer(body, "seed"),
        stop=_stop(body),
        presence_penalty=_number(body, "presence_penalty", -2.0, 2.0),
        frequency_penalty=_number(body, "frequency_penalty", -2.0, 2.0),
        repetition_penalty=_number(body, "repetition_penalty", 0.0),
        logprobs=logprobs,
        top_logprobs=top_logprobs,
        n=n or 1,
        chat_template_kwargs=_object(body, "chat_template_kwargs"),
        reasoning_effort=_string(body, "reasoning_effort"),
    )


def _object(body: dict[str, Any], name: str) -> dict[str, Any] | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
        raise BadRequest(f"'{name}' must be an object", name)
    return value


def _string(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise BadRequest(f"'{name}' must be a string, got {type(value).__name__}", name)
    return value


def _content(value: Any, where: str) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list):  # [{"type": "text", "text": "..."}]
        parts = []
        for i, part in enumerate(value):
            if (
                not isinstance(part, dict)
                or part.get("type") != "text"
                or not isinstance(part.get("text"), str)
            ):
                raise BadRequest(
                    f"'{where}[{i}]' must be a text part; only text is supported", f"{where}[{i}]"
                )
            parts.append(part["text"])
        return "".join(parts)
    if value is None:
        return ""
    raise BadRequest(f"'{where}' must be a string or a list of text parts", where)


def _messages(body: dict[str, Any]) -> list[ChatMessage]:
    raw = body.get("messages")
    if raw is None:
        raise BadRequest("'messages' is required", "messages")
    if not isinstance(raw, list) or not raw:
        raise BadRequest("'messages' must be a non-empty list", "messages")
    out = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict):
            raise BadRequest(f"'messages[{i}]' must be an object", f"messages[{i}]")
        role = item.get("role")
        if role not in _ROLES:
            raise BadRequest(f"'messages[{i}].role' must be one of {sorted(_ROLES)}", f"messages[{i}].role")
        content = _content(item.get("content"), f"messages[{i}].content")
        calls = _message_calls(item.get("tool_calls"), f"messages[{i}].tool_calls") if role == "assistant" else None
        call_id = item.get("tool_call_id") if role == "tool" else None
        if call_id is not None and not isinstance(call_id, str):
            raise BadRequest(f"'messages[{i}].tool_call_id' must be a string", f"messages[{i}].tool_call_id")
        out.append(ChatMessage(role=role, content=content, tool_calls=calls, tool_call_id=call_id))
    return out


def _message_calls(raw: Any, where: str) -> list[ToolCall] | None:
    """An assistant message's `tool_calls` (arguments as written; bad JSON kept and flagged)."""
    if raw is None:
        return None
    if not isinstance(raw, list):
        raise BadRequest(f"'{where}' must be a list", where)
    calls = []
    for j, call in enumerate(raw):
        function = call.get("function") if isinstance(call, dict) else None
        if not isinstance(function, dict) or not isinstance(function.get("name"), str):
            raise BadRequest(f"'{where}[{j}].function.name' must be a string", f"{where}[{j}]")
        arguments = function.get("arguments") or ""
        if not isinstance(arguments, str):
            arguments = json.dumps(arguments)
        calls.append(ToolCall.parse(str(call.get("id") or f"call_{j}"), function["name"], arguments))
    return calls


def _tools(body: dict[str, Any]) -> list[ToolSpec] | None:
    raw = body.get("tools")
    if raw is None:
        return None
    if not isinstance(raw, list):
        raise BadRequest("'tools' must be a list of function tools", "tools")
    tools = []
    for i, tool in enumerate(raw):
        function = tool.get("function") if isinstance(tool, dict) and tool.get("type") == "function" else None
        if not isinstance(function, dict) or not isinstance(function.get("name"), str):
            raise BadRequest(f"'tools[{i}]' must be {{\"type\": \"function\", \"function\": {{\"name\": ...}}}}", f"tools[{i}]")
        parameters = function.get("parameters")
        if parameters is not None and not isinstance(parameters, dict):
            raise BadRequest(f"'tools[{i}].function.parameters' must be an object", f"tools[{i}].function.parameters")
        tools.append(
            ToolSpec(
                function["name"],
                str(function.get("description") or ""),
                parameters if parameters is not None else {"type": "object", "properties": {}},
            )
        )
    return tools or None


def _tool_choice(body: dict[str, Any]) -> str | None:
    raw = body.get("tool_choice")
    if raw is None or isinstance(raw, str):
        return raw
    function = raw.get("function") if isinstance(raw, dict) else None
    if isinstance(function, dict) and isinstance(function.get("name"), str):
        return str(function["name"])
    raise BadRequest("'tool_choice' must be auto, none, required or a named function", "tool_choice")


def _prompt(body: dict[str, Any]) -> str:
    raw = body.get("prompt")
    if raw is None:
        raise BadRequest("'prompt' is required", "prompt")
    if isinstance(raw, list) and len(raw) == 1:
        raw = raw[0]
    if not isinstance(raw, str):
        raise BadRequest("'prompt' must be a string (batched prompts are not supported)", "prompt")
    return raw


def parse_body(body: Any, *, chat: bool) -> ParsedRequest:
    """Validate a chat-completions (`chat`) or completions body."""
    if not isinstance(body, dict):
        raise BadRequest("request body must be a JSON object")
    model = body.get("model")
    if model is not None and not isinstance(model, str):
        raise BadRequest("'model' must be a string", "model")
    stream = bool(_boolean(body, "stream"))
    options = body.get("stream_options")
    if options is not None and not isinstance(options, dict):
        raise BadRequest("'stream_options' must be an object", "stream_options")
    include_usage = bool(options and options.get("include_usage"))
    config = _config(body, chat=chat)
    if chat:
        try:
            request = ModelRequest(
                RequestKind.GENERATE,
                messages=_messages(body),
                config=config,
                tools=_tools(body),
                tool_choice=_tool_choice(body),
                parallel_tool_calls=_boolean(body, "parallel_tool_calls"),
            )
        except ValueError as exc:
            if isinstance(exc, BadRequest):
                raise
            raise BadRequest(str(exc), "tool_choice") from None
    else:
        request = ModelRequest(RequestKind.GENERATE, prompt=_prompt(body), config=config)
    return ParsedRequest(
        request, chat=chat, stream=stream, include_usage=include_usage, requested_model=model
    )


# ---- responses --------------------------------------------------------------------------------


def new_id(chat: bool) -> str:
    return ("chatcmpl-" if chat else "cmpl-") + uuid.uuid4().hex[:24]


def error_body(
    message: str, *, kind: str = "invalid_request_error", param: str | None = None, code: Any = None
) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}


def usage_body(output: ModelOutput) -> dict[str, Any]:
    body: dict[str, Any] = {
        "prompt_tokens": output.usage.input_tokens,
        "completion_tokens": output.usage.output_tokens,
        "total_tokens": output.usage.total_tokens,
    }
    if output.usage.reasoning_tokens:
        body["completion_tokens_details"] = {"reasoning_tokens": output.usage.reasoning_tokens}
    return body


def _chat_logprobs(output: ModelOutput) -> dict[str, Any] | None:
    if not output.logprobs:
        return None
    return {
        "content": [
            {"token": t.token, "logprob": t.logprob, "bytes": None, "top_logprobs": []}
            for t in output.logprobs
        ]
    }


def _completion_logprobs(output: ModelOutput) -> dict[str, Any] | None:
    if not output.logprobs:
        return None
    offsets, pos = [], 0
    for t in output.logprobs:
        offsets.append(pos)
        pos += len(t.token)
    return {
        "tokens": [t.token for t in output.logprobs],
        "token_logprobs": [t.logprob for t in output.logprobs],
        "top_logprobs": None,
        "text_offset": offsets,
    }


def texts_of(output: ModelOutput) -> list[str]:
    """Every completion of an output, in choice order (one unless n > 1)."""
    return list(output.texts) if output.texts else [output.text]


def completion_body(parsed: ParsedRequest, output: ModelOutput, model: str) -> dict[str, Any]:
    """A whole (non-streaming) chat.completion or text_completion object, one choice per completion.

    Each choice carries its own finish reason ("length" when it stopped at max_tokens) and, in
    chat, its reasoning (`reasoning_content`, the model's `<think>` text); logprobs belong to choice 0.
    """
    completions = output.completions()
    choices: list[dict[str, Any]] = []
    for index, text in enumerate(texts_of(output)):
        first = index == 0
        done = completions[index] if index < len(completions) else None
        finish = (done.finish_reason if done is not None else None) or output.finish_reason or "stop"
        if parsed.chat:
            message: dict[str, Any] = {"role": "assistant", "content": text}
            thought = done.reasoning if done is not None else None
            if thought:
                message["reasoning_content"] = thought
            if done is not None and done.tool_calls:
                message["content"] = None  # OpenAI's shape of an answer that calls tools
                message["tool_calls"] = [_call_json(call) for call in done.tool_calls]
            logprobs = _chat_logprobs(output) if first else None
            choices.append(
                {"index": index, "message": message, "logprobs": logprobs, "finish_reason": finish}
            )
        else:
            logprobs = _completion_logprobs(output) if first else None
            choices.append({"index": index, "text": text, "logprobs": logprobs, "finish_reason": finish})
    return {
        "id": new_id(parsed.chat),
        "object": "chat.completion" if parsed.chat else "text_completion",
        "created": int(time.time()),
        "model": model,
        "choices": choices,
        "usage": usage_body(output),
    }


def _call_json(call: ToolCall) -> dict[str, Any]:
    """A call as OpenAI sends it: a fresh id, the arguments as a JSON string (as written when they
    were not a JSON object)."""
    if call.parse_error is not None:
        arguments = call.raw_arguments or ""
    else:
        arguments = json.dumps(call.arguments, ensure_ascii=False)
    return {
        "id": "call_" + uuid.uuid4().hex[:24],
        "type": "function",
        "function": {"name": call.name, "arguments": arguments},
    }


def offers_tools(parsed: ParsedRequest) -> bool:
    """A chat request whose model is shown tools (its answer may be calls, read once it is complete)."""
    return parsed.chat and bool(parsed.request.tools) and parsed.request.tool_choice != "none"


@attrs.define
class StreamChunks:
    """The SSE chunk objects of one streamed answer, in OpenAI's order.

    Chat: `first` (role, empty content), `delta`s, `finish`, then with include_usage a `usage`
    chunk with empty choices. Completions: `delta`s (text), `finish`, `usage`. Every choice chunk
    names its `index`; with n > 1 choice 0 streams as it is generated and the others follow
    (`rest`) once the request is done, then a finish chunk per choice.
    """

    parsed: ParsedRequest
    model: str
    id: str = ""
    created: int = 0

    def __attrs_post_init__(self) -> None:
        self.id = self.id or new_id(self.parsed.chat)
        self.created = self.created or int(time.time())

    def _chunk(self, choice: dict[str, Any] | None, usage: dict[str, int] | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": self.id,
            "object": "chat.completion.chunk" if self.parsed.chat else "text_completion",
            "created": self.created,
            "model": self.model,
            "choices": [choice] if choice is not None else [],
        }
        if self.parsed.include_usage:
            body["usage"] = usage
        return body

    def _choice(self, delta: dict[str, Any], text: str, finish: str | None, index: int = 0) -> dict[str, Any]:
        if self.parsed.chat:
            return {"index": index, "delta": delta, "logprobs": None, "finish_reason": finish}
        return {"index": index, "text": text, "logprobs": None, "finish_reason": finish}

    def first(self, index: int = 0) -> list[dict[str, Any]]:
        """What precedes a choice's first text: the assistant role chunk (chat only)."""
        if not self.parsed.chat:
            return []
        return [self._chunk(self._choice({"role": "assistant", "content": ""}, "", None, index))]

    def delta(self, text: str, index: int = 0) -> dict[str, Any]:
        return self._chunk(self._choice({"content": text}, text, None, index))

    def reasoning(self, text: str) -> list[dict[str, Any]]:
        """A reasoning_content chunk (chat only; completions have no place for it)."""
        if not self.parsed.chat or not text:
            return []
        return [self._chunk(self._choice({"reasoning_content": text}, "", None))]

    def pieces(self, parts: list[tuple[bool, str]]) -> list[dict[str, Any]]:
        """Chunks of choice 0's text as `ThinkSplitter` split it: reasoning as `reasoning_content`
        deltas (chat; completions have no place for it), the answer as `content`."""
        if not self.parsed.chat:  # as the whole answer: the text without the reasoning
            return [self.delta(text) for thinking, text in parts if not thinking]
        return [self.reasoning(text)[0] if thinking else self.delta(text) for thinking, text in parts]

    def rest(self, output: ModelOutput) -> list[dict[str, Any]]:
        """Choices 1..n-1 of a finished output (n > 1): role and whole text of each."""
        chunks: list[dict[str, Any]] = []
        for index, text in enumerate(texts_of(output)[1:], start=1):
            chunks.extend(self.first(index))
            if text:
                chunks.append(self.delta(text, index))
        return chunks

    def calls(self, choice: ModelChoice) -> list[dict[str, Any]]:
        """A finished choice's tool calls as `delta.tool_calls` chunks: each call's id, type and
        name with empty arguments, then its arguments."""
        chunks = []
        for position, call in enumerate(choice.tool_calls or []):
            whole = _call_json(call)
            head = {**whole, "index": position, "function": {"name": call.name, "arguments": ""}}
            chunks.append(self._chunk(self._choice({"tool_calls": [head]}, "", None)))
            arguments = whole["function"]["arguments"]
            delta = {"tool_calls": [{"index": position, "function": {"arguments": arguments}}]}
            chunks.append(self._chunk(self._choice(delta, "", None)))
        return chunks

    def finish(self, output: ModelOutput) -> list[dict[str, Any]]:
        """A finish_reason chunk per choice, then the usage chunk when include_usage."""
        completions = output.completions()
        chunks = [
            self._chunk(self._choice({}, "", (c.finish_reason or output.finish_reason or "stop"), i))
            for i, c in enumerate(completions[: len(texts_of(output))])
        ]
        if self.parsed.include_usage:
            chunks.append(self._chunk(None, usage_body(output)))
        return chunks

    def error(self, message: str) -> dict[str, Any]:
        """An error event for a stream that already started (its HTTP status is already sent)."""
        return error_body(message, kind="server_error", code=500)


def sse(payload: dict[str, Any] | str) -> bytes:
    """One server-sent event: ``data: <json>\n\n`` (a str payload is sent as-is, e.g. [DONE])."""
    data = payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False)
    return b"data: " + data.encode("utf-8") + b"\n\n"
