"""general_fc: users' own function-calling tests (JSONL), refused with file:line:field when broken,
scored by BFCL's rules over tool calls and over text answers in the prompting format."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from evalscope.cli.main import main
from evalscope.core.metrics import ACCURACY
from evalscope.core.types import ToolSpec
from evalscope.run import run_task
from tests.benchmarks.fc_models import ScriptedToolModel

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "general_fc"
WEATHER_TOOL = {"type": "function", "function": {"name": "get_weather", "parameters": {
    "type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}  # fmt: skip
GOOD = {"messages": [{"role": "user", "content": "Weather in Paris?"}], "tools": [WEATHER_TOOL],
        "expected_calls": [{"name": "get_weather", "arguments": {"city": ["Paris"]}}]}  # fmt: skip


def _eval(tmp_path: Path, data: Path, *extra: str) -> object:
    return CliRunner().invoke(
        main,
        ["eval", "--model", "mock", "--eval-type", "mock", "--datasets", "general_fc", "--dataset-args",
         json.dumps({"general_fc": {"local_path": str(data)}}), "--work-dir", str(tmp_path / "out"), *extra],
    )  # fmt: skip


def _bad(**change: object) -> dict:
    row = json.loads(json.dumps(GOOD))
    for key, value in change.items():
        if value is None:
            del row[key]
        else:
            row[key] = value
    return row


def _schema_tool(properties: dict, required: list | None = None) -> list:
    params: dict = {"type": "object", "properties": properties}
    if required is not None:
        params["required"] = required
    return [{"type": "function", "function": {"name": "get_weather", "parameters": params}}]


@pytest.mark.parametrize(
    ("row", "where"),
    [
        (
            _bad(tools=_schema_tool({"city": {"type": "dict"}})),
            "tools[0].function.parameters.properties.city.type: 'dict' is not a JSON Schema type",
        ),
        (
            _bad(tools=_schema_tool({"city": {"type": "string"}}, ["town"])),
            "tools[0].function.parameters.required: names 'town', which is not among its properties",
        ),
        (
            _bad(tools=_schema_tool({"city": "string"})),
            "tools[0].function.parameters.properties.city: a JSON Schema must be an object, got str",
        ),
        (
            _bad(expected_calls=[{"name": "get_time", "arguments": {}}]),
            "expected_calls[0].name: calls 'get_time', which is not among the row's tools (get_weather)",
        ),
        (
            _bad(expected_calls=[{"name": "get_weather", "arguments": {"town": ["Paris"]}}]),
            "expected_calls[0].arguments.town: is not a parameter of tool 'get_weather'",
        ),
        (_bad(expected_calls=None), "expected_calls: missing; give expected_calls, or should_call_tool"),
        (_bad(messages=None), "messages: missing or empty"),
        (_bad(tools=None), "tools: missing or empty"),
        (_bad(should_call_tool="no"), "should_call_tool: must be true or false, got 'no'"),
    ],
    ids=[
        "not-json-schema-type",
        "required-unknown",
        "schema-not-object",
        "undeclared-tool",
        "unknown-argument",
        "no-expectation",
        "no-messages",
        "no-tools",
        "should-call-not-bool",
    ],  # fmt: skip
)
def test_bad_row_is_one_error_line_naming_file_line_and_field(tmp_path, row, where):
    data = tmp_path / "data"
    data.mkdir()
    path = data / "mine.jsonl"
    path.write_text(json.dumps(GOOD) + "\n" + json.dumps(row) + "\n", encoding="utf-8")
    result = _eval(tmp_path, data)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    (line,) = [x for x in result.output.splitlines() if x.strip()]
    assert line.startswith("Error: ") and f"{path}:2 " in line and where in line, line


def _run(tmp_path: Path, model, **args) -> tuple[float, dict[str, float]]:
    report = run_task(
        {"model": "scripted", "datasets": ["general_fc"], "work_dir": str(tmp_path), "no_timestamp": True,
         "store": "workdir", "dataset_args": {"general_fc": {"local_path": str(FIXTURE), **args}}},
        model=model, print_table=False,
    )["general_fc"]  # fmt: skip
    records = [
        json.loads(line)["evalscope_record"]
        for path in sorted((tmp_path / "reviews").glob("*/general_fc_*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
    ]
    return report.metrics[0].score, {r["sample_id"]: r["scores"][ACCURACY] for r in records}


def _user(request) -> str:
    return [m for m in request.messages if m.role == "user"][-1].text


def test_tool_calls_scored_like_bfcl(tmp_path):
    answers = {
        # case and punctuation are normalised; the optional unit may be left out
        "What is the weather in Paris in celsius?": [
            ("get_weather", {"city": "paris, france", "unit": "Celsius"})
        ],
        # parallel calls in another order than expected
        "Weather in Oslo and in Rome, please.": [
            ("get_weather", {"city": "Rome"}),
            ("get_weather", {"city": "Oslo"}),
        ],
        # a call where none was expected
        "Tell me a joke about clouds.": [("get_weather", {"city": "Cloud City"})],
        # an int for a number; the second value is wrong
        "Add 2.5 and 4 with the calculator.": [("add", {"a": 2.5, "b": 5})],
    }
    model = ScriptedToolModel(lambda request: answers[_user(request)])
    score, per_sample = _run(tmp_path, model)
    assert per_sample == {"w1": 1.0, "w2": 1.0, "w3": 0.0, "w4": 0.0}
    assert score == 0.5
    first = model.requests[0]
    assert first.tools == [ToolSpec("get_weather", "Current weather of a city.", {
        "type": "object", "properties": {"city": {"type": "string"}, "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}},
        "required": ["city"]})]  # fmt: skip


def test_text_answers_in_the_prompting_format(tmp_path):
    answers = {
        "What is the weather in Paris in celsius?": "[get_weather(city='Paris', unit='fahrenheit')]",
        "Weather in Oslo and in Rome, please.": '```\n[get_weather(city="Oslo"), get_weather(city="Rome")]\n```',
        "Tell me a joke about clouds.": "Why did the cloud break up? It needed space.",
        "Add 2.5 and 4 with the calculator.": "add(a=2.5, b=4)",
    }
    score, per_sample = _run(tmp_path, ScriptedToolModel(lambda request: answers[_user(request)]))
    # w4 has steps: it runs in the agent loop, where a text answer ends the loop after its first
    # step, so its second step (no call after the result) is never answered and the row fails
    assert per_sample == {"w1": 0.0, "w2": 1.0, "w3": 1.0, "w4": 0.0}
    assert score == 0.5


def test_multi_step_expectations_are_kept_with_the_sample():
    from evalscope.benchmarks import get_benchmark

    spec = get_benchmark("general_fc")
    rows = [json.loads(line) for line in (FIXTURE / "weather.jsonl").read_text(encoding="utf-8").splitlines()]
    sample = spec.data.record_to_sample(rows[3], 3, "weather")
    assert sample.metadata["steps"] == [
        {"tool_results": [{"name": "add", "content": "6.5"}], "rule": "no_call", "answer": None}
    ]
    bad = {**rows[3], "steps": [{"expected_calls": [{"name": "multiply", "arguments": {}}]}]}
    with pytest.raises(ValueError, match=r"steps\[0\]\.expected_calls\[0\]\.name: calls 'multiply'"):
        spec.data.record_to_sample(bad, 3, "weather")
