"""`evalscope perf --tools FILE --tool-choice ...`: every chat request carries the tools, and the
summary counts the responses that called tools (streamed `delta.tool_calls` and `message.tool_calls`).

The server is a real loopback OpenAI-compatible server (tests/e2e/scripted_server.py) that answers
every request with two tool calls, their arguments split over several streamed chunks.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from evalscope.perf.cli import perf
from tests.e2e.scripted_server import Calls, ScriptedServer

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Current weather of a city.",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
            },
        },
    }
]


def _calls(text: str, body: dict) -> Calls:
    return Calls([("get_weather", '{"city": "Paris"}'), ("get_weather", '{"city": "Rome"}')], piece=5)


def _perf(tmp_path, server: ScriptedServer, *extra: str):
    tools = tmp_path / "tools.json"
    tools.write_text(json.dumps(TOOLS))
    args = [
        "--model", "scripted", "--api-url", server.url, "--prompt", "weather?", "--number", "4",
        "--parallel", "2", "--outputs-dir", str(tmp_path / "out"), "--name", "run", "--no-timestamp",
        "--tools", str(tools), *extra,
    ]  # fmt: skip
    return CliRunner().invoke(perf, args, catch_exceptions=False)


@pytest.mark.parametrize("stream", ["--stream", "--no-stream"])
def test_tool_calls_are_counted_and_tools_sent(tmp_path, stream):
    with ScriptedServer(_calls, model="scripted") as server:
        result = _perf(tmp_path, server, stream, "--tool-choice", "get_weather")
    assert result.exit_code == 0, result.output
    [summary_path] = (tmp_path / "out").glob("**/benchmark_summary.json")
    summary = json.loads(summary_path.read_text())
    assert summary["Succeeded requests"] == 4
    assert summary["Tool-call responses"] == 4
    assert summary["Tool calls"] == 8
    assert summary["Tool-call rate (%)"] == 100.0
    assert "Tool-call responses" in result.output  # the printed table
    bodies = [body for _, body in server.requests]
    assert len(bodies) == 4
    for body in bodies:
        assert body["tools"] == TOOLS
        assert body["tool_choice"] == {"type": "function", "function": {"name": "get_weather"}}


def test_text_answers_count_zero_and_choice_words_pass_through(tmp_path):
    with ScriptedServer(lambda text, body: "no tools needed", model="scripted") as server:
        result = _perf(tmp_path, server, "--tool-choice", "none")
    assert result.exit_code == 0, result.output
    [summary_path] = (tmp_path / "out").glob("**/benchmark_summary.json")
    summary = json.loads(summary_path.read_text())
    assert (summary["Tool-call responses"], summary["Tool-call rate (%)"]) == (0, 0.0)
    assert all(body["tool_choice"] == "none" for _, body in server.requests)


def test_bad_tools_file_and_unknown_tool_name_are_usage_errors(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"name": "x"}')
    runner = CliRunner()
    result = runner.invoke(perf, ["--model", "m", "--api-url", "http://127.0.0.1:9/v1", "--tools", str(bad)])
    assert result.exit_code == 2 and "--tools" in result.output and "list" in result.output
    good = tmp_path / "tools.json"
    good.write_text(json.dumps(TOOLS))
    result = runner.invoke(
        perf,
        ["--model", "m", "--api-url", "http://127.0.0.1:9/v1", "--tools", str(good), "--tool-choice", "nope"],
    )
    assert result.exit_code == 2 and "nope" in result.output and "get_weather" in result.output
    result = runner.invoke(
        perf, ["--model", "m", "--api-url", "http://127.0.0.1:9/v1", "--tool-choice", "auto"]
    )
    assert result.exit_code == 2 and "--tools" in result.output


def test_without_tools_no_tool_keys(tmp_path):
    with ScriptedServer(lambda text, body: "plain", model="scripted") as server:
        result = CliRunner().invoke(perf, [
            "--model", "scripted", "--api-url", server.url, "--prompt", "hi", "--number", "2",
            "--outputs-dir", str(tmp_path / "out"), "--name", "run", "--no-timestamp",
        ], catch_exceptions=False)  # fmt: skip
    assert result.exit_code == 0, result.output
    [summary_path] = (tmp_path / "out").glob("**/benchmark_summary.json")
    assert "Tool-call responses" not in json.loads(summary_path.read_text())
    assert all("tools" not in body for _, body in server.requests)
