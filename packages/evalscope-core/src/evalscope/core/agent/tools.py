"""Tools an agent loop executes: a registry of callables, each with its `ToolSpec`.

A benchmark's simulated APIs are plain Python functions run in-process (`Toolbox.add`); code the
model writes runs only in `evalscope.core.sandbox` (`sandbox_tools`: `python_exec`, `bash`). A call
is checked against its tool's JSON Schema before it runs; an unknown tool, bad arguments or an
exception raised by the tool become an error result the model reads, never a crash of the run.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Iterable
from typing import Any

import attrs

from evalscope.core.types import ToolCall, ToolResult, ToolSpec

#: longest tool output shown to the model (and stored); longer output is cut with its length noted
MAX_RESULT_CHARS = 16_000

_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "array": (list,),
    "object": (dict,),
    "null": (type(None),),
}


class ToolError(Exception):
    """A tool's own refusal: its message is what the model reads (no exception type prefixed)."""


@attrs.frozen
class Tool:
    """One tool: its spec (what the model is offered) and the callable that runs it with the
    call's arguments as keywords. `blocking` callables run off the event loop (a sandbox run)."""

    spec: ToolSpec
    fn: Callable[..., Any]
    blocking: bool = False


def check_arguments(spec: ToolSpec, arguments: dict[str, Any]) -> str | None:
    """Why `arguments` do not fit `spec.parameters` (required ones, unknown ones, each top-level
    value's JSON Schema `type` and `enum`), or None when they do."""
    schema = spec.parameters or {}
    properties: dict[str, Any] = schema.get("properties") or {}
    for name in schema.get("required", []):
        if name not in arguments:
            return f"missing required argument {name!r}"
    for name, value in arguments.items():
        if name not in properties:
            if schema.get("additionalProperties", False) is False:
                return f"unknown argument {name!r} (known: {', '.join(properties) or 'none'})"
            continue
        problem = _check_value(properties[name], value)
        if problem:
            return f"argument {name!r}: {problem}"
    return None


def _check_value(schema: dict[str, Any], value: Any) -> str | None:
    kind = schema.get("type")
    kinds = kind if isinstance(kind, list) else [kind] if kind else []
    if kinds:
        ok = any(
            isinstance(value, _JSON_TYPES.get(k, (object,)))
            and not (k in ("integer", "number") and isinstance(value, bool))
            for k in kinds
        )
        if not ok:
            return f"expected {' or '.join(kinds)}, got {type(value).__name__} {json.dumps(value)[:60]}"
    if "enum" in schema and value not in schema["enum"]:
        return f"{json.dumps(value)[:60]} is not one of {json.dumps(schema['enum'])[:120]}"
    return None


def _text(value: Any) -> str:
    """A tool's return value as the text the model reads (JSON for anything but a string)."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    if len(text) > MAX_RESULT_CHARS:
        text = text[:MAX_RESULT_CHARS] + f"\n... [cut: {len(text)} characters in all]"
    return text


class Toolbox:
    """The tools of one agent run, by name."""

    def __init__(self, tools: Iterable[Tool] = ()) -> None:
        self.tools: dict[str, Tool] = {}
        for tool in tools:
            self.tools[tool.spec.name] = tool

    def add(self, spec: ToolSpec, fn: Callable[..., Any], *, blocking: bool = False) -> Toolbox:
        """Register `fn` as the tool `spec` (a later one of the same name replaces it)."""
        self.tools[spec.name] = Tool(spec, fn, blocking)
        return self

    @property
    def specs(self) -> list[ToolSpec]:
        """The tools as offered to the model, in the order added."""
        return [t.spec for t in self.tools.values()]

    async def run_step(self, calls: list[ToolCall]) -> list[ToolResult]:
        """Run one answer's calls in order (a toolbox that answers per step overrides this)."""
        return [await self.execute(call) for call in calls]

    async def execute(self, call: ToolCall) -> ToolResult:
        """Run one call: its result, or an error result naming what went wrong."""
        started = time.perf_counter()
        tool = self.tools.get(call.name)
        problem: str | None = None
        if tool is None:
            problem = f"unknown tool {call.name!r} (tools: {', '.join(self.tools) or 'none'})"
        elif call.parse_error is not None:
            problem = f"arguments are {call.parse_error}"
        else:
            problem = check_arguments(tool.spec, call.arguments)
        if problem is not None or tool is None:
            return ToolResult(
                call.id, call.name, f"Error: {problem}", error=True, seconds=time.perf_counter() - started
            )
        metadata: dict[str, Any] = {}
        try:
            if tool.blocking:
                value = await asyncio.to_thread(tool.fn, **call.arguments)
            else:
                value = tool.fn(**call.arguments)
                if asyncio.iscoroutine(value):
                    value = await value
        except asyncio.CancelledError:
            raise
        except ToolError as exc:
            return ToolResult(
                call.id, call.name, f"Error: {exc}", error=True, seconds=time.perf_counter() - started
            )
        except Exception as exc:  # noqa: BLE001 - the model reads the tool's failure; the run goes on
            content = f"Error: {type(exc).__name__}: {exc}"
            return ToolResult(call.id, call.name, content, error=True, seconds=time.perf_counter() - started)
        if isinstance(value, ToolOutput):
            metadata, error, value = value.metadata, value.error, value.content
        else:
            error = False
        return ToolResult(
            call.id,
            call.name,
            _text(value),
            error=error,
            seconds=time.perf_counter() - started,
            metadata=metadata,
        )


@attrs.frozen
class ToolOutput:
    """A tool's return value with what it reports beside it (`ToolResult.metadata`, `error`)."""

    content: Any
    error: bool = False
    metadata: dict[str, Any] = attrs.field(factory=dict)
