"""Tools for local models: the two ways a request's `tools` reach a model, and its answer read back.

* ``native chat template`` (`NATIVE_TEMPLATE`): the model's chat template takes `tools` (its
  Jinja source reads a `tools` variable); the tools go to `apply_chat_template(..., tools=...)` as
  OpenAI function tools, and the answer is read by `read_tool_calls`.
* ``prompt`` (`PROMPT`): the template takes none, so the function descriptions are written into
  the system prompt (`tools_system_prompt`) and the model is asked to answer with calls written as
  ``[func(arg=value), ...]``, as BFCL's prompting mode does; earlier assistant calls and tool
  results in the conversation are written as text too (`prompt_messages`).

`read_tool_calls` reads an answer in either mode: Hermes/Qwen ``<tool_call>{"name": ...,
"arguments": {...}}</tool_call>`` blocks, a bare JSON call object or list of them, or the
``[func(a=1)]`` format (`text_calls`); arguments that are not a JSON object are kept verbatim and
flagged (`ToolCall.parse`). Text that holds no calls gives None: the answer stays text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from evalscope.core.tools.text_calls import CallTextError, parse_call_text
from evalscope.core.types import ChatMessage, ToolCall, ToolSpec

#: the mode names recorded with a run (report `tool_mode`) and shown under the table
NATIVE = "native"
NATIVE_TEMPLATE = "native chat template"
PROMPT = "prompt"

#: what each mode means, for the note under the score table
MODE_NOTES = {
    NATIVE: "tools sent to the service, tool_calls read from its answer",
    NATIVE_TEMPLATE: "tools passed to the model's chat template, calls read from its answer",
    PROMPT: "function descriptions in the system prompt, calls read from `[func(arg=value)]` text",
    "text": "tools not shown to the model (mock); its reply read as text",
}

_INSTRUCTIONS = (
    "You are an expert in composing function calls. You are given a question and a set of possible "
    "functions. Based on the question, make one or more function calls to achieve the purpose. If none "
    "of the functions can be used, say so and call none; if the question lacks parameters a function "
    "requires, say so too.\n"
    "To call functions, answer with nothing but the calls, in the format "
    "[func_name1(param1=value1, param2=value2), func_name2(param=value)]\n"
    "Write no other text in a response that calls functions."
)


def openai_tools(tools: Sequence[ToolSpec]) -> list[dict[str, Any]]:
    """Tools in OpenAI's function-tool JSON (what services and chat templates take)."""
    return [
        {
            "type": "function",
            "function": {"name": t.name, "description": t.description, "parameters": t.parameters},
        }
        for t in tools
    ]


def tools_system_prompt(tools: Sequence[ToolSpec], tool_choice: str | None = None) -> str:
    """The prompt-mode system text: how to write calls, then the functions as JSON."""
    functions = [{"name": t.name, "description": t.description, "parameters": t.parameters} for t in tools]
    choice = ""
    if tool_choice == "required":
        choice = "\nYou must call at least one function."
    elif tool_choice not in (None, "auto", "none"):
        choice = f"\nYou must call the function {tool_choice}."
    return (
        f"{_INSTRUCTIONS}{choice}\n\nHere is the list of functions you can call, in JSON format:\n"
        f"{json.dumps(functions, ensure_ascii=False)}"
    )


def call_text(calls: Sequence[ToolCall]) -> str:
    """Calls written back as `[f(a=1), g(b='x')]` (an earlier assistant turn in prompt mode)."""
    written = []
    for call in calls:
        if call.parse_error is not None:
            written.append(f"{call.name}({call.raw_arguments or ''})")
            continue
        args = ", ".join(f"{k}={v!r}" for k, v in call.arguments.items())
        written.append(f"{call.name}({args})")
    return "[" + ", ".join(written) + "]"


def prompt_messages(
    messages: Sequence[ChatMessage], tools: Sequence[ToolSpec], tool_choice: str | None = None
) -> list[ChatMessage]:
    """The conversation as a template without tools sees it in prompt mode: the tools' system text
    first (after the conversation's own system text), assistant calls as `[f(a=1)]` text, tool
    results as user turns naming the call they answer."""
    system = tools_system_prompt(tools, tool_choice)
    out: list[ChatMessage] = []
    rest = list(messages)
    if rest and rest[0].role == "system":
        system = f"{rest.pop(0).text}\n\n{system}"
    out.append(ChatMessage("system", system))
    names = {c.id: c.name for m in messages for c in m.tool_calls or []}
    for m in rest:
        if m.role == "assistant" and m.tool_calls:
            text = call_text(m.tool_calls)
            out.append(ChatMessage("assistant", f"{m.text}\n{text}" if m.text else text))
        elif m.role == "tool":
            name = names.get(m.tool_call_id or "", m.tool_call_id or "a function")
            out.append(ChatMessage("user", f"Result of {name}: {m.text}"))
        else:
            out.append(ChatMessage(m.role, m.text))
    return out


_TAGGED = re.compile(r"<tool_call>\s*(.*?)\s*(?:</tool_call>|$)", re.DOTALL)


def read_tool_calls(text: str) -> list[ToolCall] | None:
    """The calls an answer writes (see the module docstring), or None when it writes none."""
    stripped = text.strip()
    if not stripped:
        return None
    if "<tool_call>" in stripped:
        calls = [_json_call(block, i) for i, block in enumerate(_TAGGED.findall(stripped))]
        return [c for c in calls if c is not None] or None
    if stripped[0] in "[{":
        json_calls = _json_calls(stripped)
        if json_calls is not None:
            return json_calls
    try:
        return parse_call_text(stripped) or None
    except CallTextError:
        return None


def _json_calls(text: str) -> list[ToolCall] | None:
    try:
        value = json.loads(text)
    except ValueError:
        return None
    items = value if isinstance(value, list) else [value]
    if not items or not all(isinstance(v, dict) and isinstance(v.get("name"), str) for v in items):
        return None
    return [_from_object(v, i) for i, v in enumerate(items)]


def _json_call(block: str, index: int) -> ToolCall | None:
    """One `<tool_call>` block: a JSON object with a name; its arguments kept raw when they are
    not valid JSON (then the name is read with a pattern, and the call flagged)."""
    try:
        value = json.loads(block)
    except ValueError:
        name = re.search(r'"name"\s*:\s*"([^"]+)"', block)
        if name is None:
            return None
        raw = re.search(r'"(?:arguments|parameters)"\s*:\s*(.*?)\s*}?\s*$', block, re.DOTALL)
        return ToolCall.parse(f"call_{index}", name.group(1), raw.group(1) if raw else block)
    if not isinstance(value, dict) or not isinstance(value.get("name"), str):
        return None
    return _from_object(value, index)


def _from_object(value: dict[str, Any], index: int) -> ToolCall:
    arguments = value.get("arguments", value.get("parameters", {}))
    raw = arguments if isinstance(arguments, str) else json.dumps(arguments, ensure_ascii=False)
    return ToolCall.parse(f"call_{index}", value["name"], raw)


__all__ = [
    "MODE_NOTES",
    "NATIVE",
    "NATIVE_TEMPLATE",
    "PROMPT",
    "call_text",
    "openai_tools",
    "prompt_messages",
    "read_tool_calls",
    "tools_system_prompt",
]
