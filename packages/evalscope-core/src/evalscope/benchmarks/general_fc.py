"""General function calling: the user's own tool-use tests, scored by BFCL's AST rules.

Files: `<local_path>/{subset}.jsonl` (subset_list names the files; every `*.jsonl` otherwise). A row:

- `messages`: the conversation so far (OpenAI-style `{"role", "content"}`; at least one);
- `tools`: the tools offered, OpenAI-style (`{"type": "function", "function": {name, description,
  parameters}}`, or the inner object alone); `parameters` is a JSON Schema object whose top-level
  properties each name one `type`;
- what is expected, one of:
  - `expected_calls`: `[{"name": tool, "arguments": {param: allowed}}]`, every call the answer must
    make (in any order). `allowed` is a list of allowed values (`""` among them: the parameter may be
    left out), or one value (a list value is written inside a list: `[[1, 2]]`);
  - `"should_call_tool": false`: the answer must call no tool;
  - `"should_call_tool": true` alone: the answer must call some tool;
- `steps` (optional): later steps, each `{"tool_results": [...], "expected_calls": [...]}` or
  `{"tool_results": [...], "should_call_tool": false}`. A row with steps runs in the agent loop
  (`evalscope.core.agent`): the i-th result of step k (a value, or `{"name", "content"}`) answers
  the i-th call of the model's k-th answer (a declared tool simulated by the row), and every
  answer is checked against its step (calls the provider returned as `tool_calls`; a text answer
  ends the loop); the
  row scores 1 only when all of them pass. Budgets: `extra_params` `max_turns`,
  `max_total_tokens`, `max_seconds`;
- `id` (optional).

Rows that break these rules are refused before any model call, naming the file, line and field.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import attrs

from evalscope.benchmarks._lib.fc_tools import answer_calls
from evalscope.benchmarks.bfcl_v4 import score_calls
from evalscope.core.agent import BUDGET_DEFAULTS, Agent, AgentSettings, Toolbox
from evalscope.core.benchmark import BenchmarkSpec, DataSpec, ScoringSpec, Task
from evalscope.core.datasets import DatasetFormatError
from evalscope.core.metrics import ACCURACY
from evalscope.core.types import (
    ChatMessage,
    ModelOutput,
    ModelRequest,
    Sample,
    ToolCall,
    ToolResult,
    ToolSpec,
)

JSON_TYPES = ("string", "number", "integer", "boolean", "array", "object", "null")
#: OpenAI's rule for a function name
NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
ROLES = ("system", "user", "assistant", "tool")


def _fail(field: str, problem: str) -> DatasetFormatError:
    return DatasetFormatError(f"{field}: {problem}")


def check_schema(schema: Any, field: str) -> None:
    """The structural basics of a JSON Schema: an object; `type` one known type name (or a list of
    them); `properties` an object of schemas; `items` a schema; `required` a list of names it
    declares; `enum` a non-empty list."""
    if not isinstance(schema, dict):
        raise _fail(field, f"a JSON Schema must be an object, got {type(schema).__name__}")
    kind = schema.get("type")
    if kind is not None:
        kinds = kind if isinstance(kind, list) else [kind]
        for k in kinds:
            if k not in JSON_TYPES:
                raise _fail(f"{field}.type", f"{k!r} is not a JSON Schema type ({', '.join(JSON_TYPES)})")
    properties = schema.get("properties")
    if properties is not None:
        if not isinstance(properties, dict):
            raise _fail(
                f"{field}.properties", f"must be an object of schemas, got {type(properties).__name__}"
            )
        for name, sub in properties.items():
            check_schema(sub, f"{field}.properties.{name}")
    if "items" in schema:
        check_schema(schema["items"], f"{field}.items")
    required = schema.get("required")
    if required is not None:
        if not isinstance(required, list) or not all(isinstance(r, str) for r in required):
            raise _fail(f"{field}.required", "must be a list of property names")
        unknown = [r for r in required if r not in (properties or {})]
        if unknown:
            raise _fail(f"{field}.required", f"names {unknown[0]!r}, which is not among its properties")
    if "enum" in schema and (not isinstance(schema["enum"], list) or not schema["enum"]):
        raise _fail(f"{field}.enum", "must be a non-empty list")


def parse_tool(raw: Any, field: str) -> dict[str, Any]:
    """One tool as a function doc `{name, description, parameters}` (checked)."""
    if not isinstance(raw, dict):
        raise _fail(field, f"a tool must be an object, got {type(raw).__name__}")
    function = raw.get("function", raw) if raw.get("type", "function") == "function" else None
    if function is None:
        raise _fail(f"{field}.type", f"only function tools are supported, got {raw.get('type')!r}")
    where = f"{field}.function" if "function" in raw else field
    if not isinstance(function, dict):
        raise _fail(where, "must be an object with name and parameters")
    name = function.get("name")
    if not isinstance(name, str) or not NAME.match(name):
        raise _fail(f"{where}.name", f"{name!r} is no function name (letters, digits, _ and -, at most 64)")
    description = function.get("description", "")
    if not isinstance(description, str):
        raise _fail(f"{where}.description", "must be a string")
    parameters = function.get("parameters", {"type": "object", "properties": {}})
    check_schema(parameters, f"{where}.parameters")
    if parameters.get("type", "object") != "object":
        raise _fail(
            f"{where}.parameters.type",
            f"the parameters must be an object schema, got {parameters.get('type')!r}",
        )
    for param, sub in (parameters.get("properties") or {}).items():
        if not isinstance(sub.get("type"), str):
            raise _fail(
                f"{where}.parameters.properties.{param}.type",
                "give each parameter one JSON Schema type (scored by type)",
            )
    return {"name": name, "description": description, "parameters": {"type": "object", **parameters}}


def parse_expected(raw: Any, field: str, tools: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """`expected_calls` as BFCL's possible answer `[{name: {param: [allowed]}}]` (checked against the tools)."""
    if not isinstance(raw, list) or not raw:
        raise _fail(
            field, 'must be a non-empty list of {"name", "arguments"} (or set should_call_tool: false)'
        )
    answer = []
    for index, call in enumerate(raw):
        where = f"{field}[{index}]"
        if not isinstance(call, dict) or "name" not in call:
            raise _fail(f"{where}.name", "missing; an expected call names its tool")
        name = call["name"]
        if name not in tools:
            raise _fail(
                f"{where}.name",
                f"calls {name!r}, which is not among the row's tools ({', '.join(tools) or 'none'})",
            )
        arguments = call.get("arguments", {})
        if not isinstance(arguments, dict):
            raise _fail(
                f"{where}.arguments",
                f"must be an object of parameter -> allowed values, got {type(arguments).__name__}",
            )
        schema = tools[name]["parameters"]
        properties = schema.get("properties") or {}
        for param in arguments:
            if param not in properties:
                raise _fail(
                    f"{where}.arguments.{param}",
                    f"is not a parameter of tool {name!r} ({', '.join(properties) or 'none'})",
                )
        for param in schema.get("required", []):
            if param not in arguments:
                raise _fail(f"{where}.arguments", f"lacks {param!r}, a required parameter of tool {name!r}")
        allowed = {p: (v if isinstance(v, list) else [v]) for p, v in arguments.items()}
        for param, values in allowed.items():
            if not values:
                raise _fail(
                    f"{where}.arguments.{param}", "an empty list allows nothing; list the allowed values"
                )
        answer.append({name: allowed})
    return answer


def _expectation(
    row: dict[str, Any], field: str, tools: dict[str, dict[str, Any]]
) -> tuple[str, list[dict[str, Any]] | None]:
    should = row.get("should_call_tool")
    if should is not None and not isinstance(should, bool):
        raise _fail(f"{field}should_call_tool", f"must be true or false, got {should!r}")
    if "expected_calls" in row:
        if should is False:
            raise _fail(f"{field}expected_calls", "given while should_call_tool is false")
        return "ast", parse_expected(row["expected_calls"], f"{field}expected_calls", tools)
    if should is None:
        raise _fail(
            f"{field}expected_calls",
            "missing; give expected_calls, or should_call_tool (false: no call, true: any call)",
        )
    return ("any_call" if should else "no_call"), None


def record_to_sample(record: dict[str, Any], index: int, subset: str) -> Sample:
    rid = str(record.get("id", index))
    messages = record.get("messages")
    if not isinstance(messages, list) or not messages:
        raise _fail("messages", 'missing or empty; a row needs messages: [{"role": "user", "content": ...}]')
    turns = []
    for i, m in enumerate(messages):
        if not isinstance(m, dict) or m.get("role") not in ROLES or not isinstance(m.get("content", ""), str):
            raise _fail(f"messages[{i}]", f'must be {{"role": {"|".join(ROLES)}, "content": text}}')
        turns.append(ChatMessage(m["role"], m.get("content") or "", tool_call_id=m.get("tool_call_id")))
    raw_tools = record.get("tools")
    if not isinstance(raw_tools, list) or not raw_tools:
        raise _fail("tools", "missing or empty; a row offers at least one tool")
    functions = [parse_tool(t, f"tools[{i}]") for i, t in enumerate(raw_tools)]
    by_name = {f["name"]: f for f in functions}
    if len(by_name) != len(functions):
        raise _fail("tools", "two tools share a name")
    rule, answer = _expectation(record, "", by_name)
    steps = record.get("steps", [])
    if not isinstance(steps, list):
        raise _fail("steps", "must be a list of {tool_results, expected_calls | should_call_tool}")
    later = []
    for i, step in enumerate(steps):
        if not isinstance(step, dict):
            raise _fail(f"steps[{i}]", "must be an object")
        results = step.get("tool_results", [])
        if not isinstance(results, list):
            raise _fail(f"steps[{i}].tool_results", "must be a list")
        step_rule, step_answer = _expectation(step, f"steps[{i}].", by_name)
        later.append({"tool_results": results, "rule": step_rule, "answer": step_answer})
    return Sample(
        id=rid,
        input=turns,
        target=answer,
        subset=subset,
        metadata={"functions": functions, "rule": rule, "steps": later},
    )


def discover_subsets(root: str | Path) -> list[str]:
    return sorted(p.stem for p in Path(root).glob("*.jsonl"))


class ScriptedTools(Toolbox):
    """A row's declared tools, answered from its `steps`: the i-th result of step k answers the i-th
    call of the model's k-th answer (arguments checked against the tool's schema first)."""

    def __init__(self, tools: list[ToolSpec], steps: list[dict[str, Any]]) -> None:
        super().__init__()
        for spec in tools:
            self.add(spec, lambda **_arguments: None)
        self.steps = steps
        self.turn = 0

    async def run_step(self, calls: list[ToolCall]) -> list[ToolResult]:
        scripted = self.steps[self.turn]["tool_results"] if self.turn < len(self.steps) else []
        self.turn += 1
        out = []
        for i, call in enumerate(calls):
            result = await self.execute(call)
            if not result.error:
                if i < len(scripted):
                    value = scripted[i]
                    if isinstance(value, dict) and "content" in value:  # {"name": tool, "content": result}
                        value = value["content"]
                    result.content = (
                        value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
                    )
                else:
                    result.content, result.error = f"Error: no result for call {i + 1} of this step", True
            out.append(result)
        return out


def _tools(sample: Sample) -> list[ToolSpec]:
    return [ToolSpec(f["name"], f["description"], f["parameters"]) for f in sample.metadata["functions"]]


def agent(task: Task, sample: Sample) -> Agent | None:
    """A row with `steps` runs in the agent loop with its simulated tools; others are one call."""
    steps = sample.metadata.get("steps") or []
    if not steps:
        return None
    return Agent(ScriptedTools(_tools(sample), steps), AgentSettings.from_params(task.params))


def build_request(task: Task, sample: Sample) -> ModelRequest:
    return attrs.evolve(task.default_build_request(sample), tools=_tools(sample))


def predict(task: Task, sample: Sample, output: ModelOutput) -> tuple[str | None, Any]:
    text = task.filter_text(output.text)
    if sample.metadata.get("steps") and output.trajectory is not None:  # the calls of every answer, in order
        answers = [ModelOutput(text=s.text, tool_calls=s.tool_calls or None) for s in output.trajectory.steps]
        return text, [answer_calls(a, task.filter_text(a.text))[0] for a in answers]
    calls, _how = answer_calls(output, text)
    return text, calls


_CATEGORY = {"ast": "parallel", "no_call": "irrelevance", "any_call": "relevance"}


def score(
    prediction: Any, sample: Sample, output: ModelOutput, params: dict[str, Any] | None = None
) -> dict[str, float]:
    meta = sample.metadata
    functions = meta["functions"]
    if meta.get("steps") and output.trajectory is not None:  # every step must pass; a missing answer fails
        expected = [(meta["rule"], sample.target)] + [(s["rule"], s["answer"]) for s in meta["steps"]]
        answers = list(prediction or [])
        passed = [
            i < len(answers)
            and score_calls(answers[i], functions, answer, _CATEGORY[rule], "python", underscore=False) == 1.0
            for i, (rule, answer) in enumerate(expected)
        ]
        return {ACCURACY: float(all(passed))}
    category = _CATEGORY[meta["rule"]]
    return {ACCURACY: score_calls(prediction, functions, sample.target, category, "python", underscore=False)}


SPEC = BenchmarkSpec(
    name="general_fc",
    data=DataSpec(
        eval_split="test",
        local_patterns=("{subset}.jsonl",),
        discover_subsets=discover_subsets,
        record_to_sample=record_to_sample,
    ),
    scoring=ScoringSpec(score=score, metrics=(ACCURACY,), extra_params=dict(BUDGET_DEFAULTS)),
    pretty_name="General-FC",
    description="Your own function-calling tests ({subset}.jsonl: messages, tools, expected calls or should_call_tool), scored by BFCL's AST rules.",
    tags=("function_calling", "tools", "custom"),
    build_request=build_request,
    predict=predict,
    agent=agent,
)
