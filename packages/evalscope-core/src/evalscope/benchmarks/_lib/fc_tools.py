"""BFCL function docs as the tools a request offers, and a model's answer as BFCL's call list.

`bfcl_tools` converts the docs as BFCL does for OpenAI-style function calling: the language hint
appended to each description; Java and JavaScript parameters offered as strings (their type named
in the description); BFCL's type names mapped to JSON Schema's ("dict" -> "object", "float" ->
"number" with a note, "tuple" -> "array", "any" -> "string", ...), nested item types too; dots in
names written as underscores (OpenAI names allow none).

`answer_calls` reads the calls of an answer: the provider's `tool_calls` when it returned any
(a call whose arguments did not parse makes the answer undecodable, as in BFCL), else the text
in BFCL's prompting format `[func(a=1)]` (`fc_text`); None when there is no call list at all.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping, Sequence
from typing import Any

from evalscope.benchmarks._lib.fc_check import tool_name
from evalscope.benchmarks._lib.fc_text import CallTextError, parse_call_text
from evalscope.core.types import ModelOutput, ToolSpec

#: BFCL's type names -> JSON Schema's (its GORILLA_TO_OPENAPI table)
JSON_TYPES: dict[str, str] = {
    "integer": "integer", "number": "number", "float": "number", "string": "string", "boolean": "boolean",
    "bool": "boolean", "array": "array", "list": "array", "dict": "object", "object": "object",
    "tuple": "array", "any": "string", "byte": "integer", "short": "integer", "long": "integer",
    "double": "number", "char": "string", "ArrayList": "array", "Array": "array", "HashMap": "object",
    "Hashtable": "object", "Queue": "array", "Stack": "array", "Any": "string", "String": "string",
    "Bigint": "integer",
}  # fmt: skip
_HINTS = {
    "java": " Note that the provided function is in Java 8 SDK syntax.",
    "javascript": " Note that the provided function is in JavaScript syntax.",
    "python": " Note that the provided function is in Python 3 syntax.",
}
_LANGUAGE_NAMES = {"java": "Java", "javascript": "JavaScript"}


def bfcl_tools(functions: Sequence[Mapping[str, Any]], language: str = "python") -> list[ToolSpec]:
    """The tools of one BFCL item, as BFCL offers them to an OpenAI-style model."""
    tools = []
    for original in functions:
        function = copy.deepcopy(dict(original))
        function["description"] = function.get("description", "") + _HINTS.get(language, _HINTS["python"])
        parameters = function.setdefault("parameters", {})
        properties = parameters.setdefault("properties", {})
        if language in _LANGUAGE_NAMES:
            _as_strings(properties, language)
        parameters["type"] = "object"
        parameters["properties"] = _json_types(properties)
        tools.append(ToolSpec(tool_name(function["name"], True), function["description"], parameters))
    return tools


def _as_strings(properties: dict[str, Any], language: str) -> None:
    """Java/JavaScript parameters are written as code in a string; the type goes to the description."""
    lang = _LANGUAGE_NAMES[language]
    for value in properties.values():
        value.setdefault("description", "")
        if value["type"] == "any":
            value["description"] += (
                f" This parameter can be of any type of {lang} object in string representation."
            )
        else:
            value["description"] += (
                f" This is {lang} {value['type']} type parameter in string representation."
            )
        if (
            value["type"] in (("ArrayList", "Array") if language == "java" else ("array",))
            and "items" in value
        ):
            value["description"] += (
                f" The list elements are of type {value['items']['type']}; they are not in string representation."
            )
            del value["items"]
        if language == "javascript" and value["type"] == "dict" and "properties" in value:
            value["description"] += (
                " The dictionary entries have the following schema; they are not in string representation. "
                + json.dumps(value["properties"])
            )
            del value["properties"]
        value["type"] = "string"


def _json_types(properties: dict[str, Any]) -> dict[str, Any]:
    for value in properties.values():
        declared = value.get("type")
        if declared is None:
            value["type"] = "string"
            continue
        if declared == "float":
            value["format"] = "float"
            value["description"] = value.get("description", "") + " This is a float type value."
        value["type"] = JSON_TYPES.get(declared, "string")
        if value["type"] in ("array", "object"):
            if "properties" in value:
                value["properties"] = _json_types(value["properties"])
            elif isinstance(value.get("items"), dict) and "type" in value["items"]:
                items = value["items"]
                items["type"] = JSON_TYPES.get(items["type"], "string")
                if (
                    items["type"] == "array"
                    and isinstance(items.get("items"), dict)
                    and "type" in items["items"]
                ):
                    items["items"]["type"] = JSON_TYPES.get(items["items"]["type"], "string")
                elif items["type"] == "object" and "properties" in items:
                    items["properties"] = _json_types(items["properties"])
    return properties


def answer_calls(output: ModelOutput, text: str | None = None) -> tuple[list[dict[str, Any]] | None, str]:
    """(BFCL's call list or None, how it was read: "tool_calls", "text", or why there is none)."""
    if output.tool_calls:
        broken = [c for c in output.tool_calls if c.parse_error]
        if broken:
            return None, f"tool call {broken[0].name}: {broken[0].parse_error}"
        return [{c.name: dict(c.arguments)} for c in output.tool_calls], "tool_calls"
    raw = output.text if text is None else text
    if not raw.strip():
        return None, "no call"
    try:
        calls = parse_call_text(raw)
    except CallTextError as exc:
        return None, f"no call: {exc}"
    return [{c.name: dict(c.arguments)} for c in calls], "text"
