"""Issue 20, item 4: the agent loop, end to end against a scripted OpenAI-compatible server.

`general_fc` rows with `steps` run model <-> tools: the server calls `get_weather`, then
`to_fahrenheit` with the first result's value, then answers. The run scores each step, stores
every step (calls, results, tokens, time) in both stores, and counts a budget that runs out
(`max_turns: 1`) as "budget exhausted" under the table. At the loop level, an in-process tool that
raises becomes an error result the model reads, and `python_exec` runs in the sandbox only.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest

from evalscope.core.agent import Agent, AgentSettings, Toolbox, sandbox_tools
from evalscope.core.models.spec import ModelSpec, open_model
from evalscope.core.serialization import converter
from evalscope.core.stores import open_reader
from evalscope.core.types import ChatMessage, ModelRequest, RequestKind, ToolSpec, Trajectory
from tests.e2e.scripted_server import Calls, ScriptedServer

pytestmark = pytest.mark.slow

WEATHER = {"name": "get_weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                                                 "required": ["city"]}}  # fmt: skip
TO_F = {"name": "to_fahrenheit", "parameters": {"type": "object", "properties": {"celsius": {"type": "number"}},
                                                "required": ["celsius"]}}  # fmt: skip
ROW = {
    "id": "paris",
    "messages": [{"role": "user", "content": "How warm is Paris in Fahrenheit?"}],
    "tools": [{"type": "function", "function": WEATHER}, {"type": "function", "function": TO_F}],
    "expected_calls": [{"name": "get_weather", "arguments": {"city": ["Paris"]}}],
    "steps": [
        {"tool_results": [{"celsius": 21}], "expected_calls": [{"name": "to_fahrenheit", "arguments": {"celsius": [21]}}]},
        {"tool_results": ["69.8"], "should_call_tool": False},
    ],
}  # fmt: skip
ANSWER = "It is 69.8 F in Paris."


def weather_script(text: str, body: dict) -> str | Calls:
    """Call get_weather, then to_fahrenheit with the result's value, then answer."""
    last = body["messages"][-1]
    if last["role"] == "user":
        return Calls([("get_weather", json.dumps({"city": "Paris"}))])
    result = last["content"]
    if "celsius" in result:
        return Calls([("to_fahrenheit", json.dumps({"celsius": json.loads(result)["celsius"]}))])
    return ANSWER


def _eval(url: str, data: Path, work: Path, extra_params: dict | None = None) -> subprocess.CompletedProcess:
    args = {
        "general_fc": {"local_path": str(data), **({"extra_params": extra_params} if extra_params else {})}
    }
    command = [
        sys.executable, "-m", "evalscope.cli.main", "eval", "--model", "scripted", "--eval-type", "service",
        "--api-url", url, "--datasets", "general_fc", "--dataset-args", json.dumps(args), "--work-dir", str(work),
        "--no-timestamp",
    ]  # fmt: skip
    return subprocess.run(command, capture_output=True, text=True, timeout=180)


@pytest.fixture
def data(tmp_path: Path) -> Path:
    folder = tmp_path / "fc"
    folder.mkdir()
    (folder / "agent.jsonl").write_text(json.dumps(ROW) + "\n")
    return folder


def _trajectories(work: Path) -> tuple[Trajectory, Trajectory]:
    """The stored trajectory of the one sample: from the JSONL records and from the database."""
    lines = list(work.glob("predictions/*/general_fc_agent.jsonl"))
    assert len(lines) == 1, list(work.rglob("*"))
    record = json.loads(lines[0].read_text().splitlines()[-1])
    from_jsonl = converter.structure(record["evalscope_record"]["output"]["trajectory"], Trajectory)
    reader = open_reader(str(work))
    run = reader.list_runs()[0]
    (result,) = list(reader.iter_results(run.run_id))
    assert result.output.trajectory is not None
    return from_jsonl, result.output.trajectory


def test_two_tool_steps_then_an_answer_are_scored_and_stored_in_both_stores(
    data: Path, tmp_path: Path
) -> None:
    with ScriptedServer(weather_script) as server:
        done = _eval(server.url, data, tmp_path / "out")
        bodies = [body for _text, body in server.requests if body.get("messages")]
    assert done.returncode == 0, done.stderr[-3000:]
    assert "| 1.0" in done.stdout or "1.0000" in done.stdout, done.stdout
    # the model saw each result as a role "tool" message answering its call, with the tools offered each turn
    assert [m["role"] for m in bodies[-1]["messages"]] == ["user", "assistant", "tool", "assistant", "tool"]
    assert bodies[-1]["messages"][2] == {
        "role": "tool",
        "content": '{"celsius": 21}',
        "tool_call_id": "call_0",
    }
    assert all(len(b["tools"]) == 2 for b in bodies)
    jsonl, db = _trajectories(tmp_path / "out")
    assert jsonl == db
    assert db.status == "answered" and db.budget is None
    steps = [([(c.name, c.arguments) for c in s.tool_calls], [(r.name, r.content, r.error) for r in s.results])
             for s in db.steps]  # fmt: skip
    assert steps == [
        ([("get_weather", {"city": "Paris"})], [("get_weather", '{"celsius": 21}', False)]),
        ([("to_fahrenheit", {"celsius": 21})], [("to_fahrenheit", "69.8", False)]),
        ([], []),
    ]
    assert db.steps[-1].text == ANSWER
    assert all(s.usage.output_tokens == 5 and s.seconds >= 0 for s in db.steps)
    report = json.loads(next((tmp_path / "out").glob("reports/*/general_fc.json")).read_text())
    assert report["score"] == 1.0


def test_one_turn_budget_is_counted_as_budget_exhausted(data: Path, tmp_path: Path) -> None:
    with ScriptedServer(weather_script) as server:
        done = _eval(server.url, data, tmp_path / "out", {"max_turns": 1})
    assert done.returncode == 0, done.stderr[-3000:]
    assert "1 budget exhausted" in done.stdout, done.stdout
    report = json.loads(next((tmp_path / "out").glob("reports/*/general_fc.json")).read_text())
    counts = report["metrics"][0]["categories"][0]["subsets"][0]["counts"]
    assert counts["budget_exhausted"] == 1 and report["score"] == 0.0
    jsonl, db = _trajectories(tmp_path / "out")
    assert jsonl == db and db.status == "budget_exhausted" and db.budget == "max_turns=1"
    assert len(db.steps) == 1 and db.steps[0].results == []  # the last turn's calls are kept, not run


def _agent_run(server: ScriptedServer, agent: Agent, question: str) -> Trajectory:
    model = open_model(ModelSpec(provider="openai", model="scripted", api_url=server.url, api_key="x"))
    request = ModelRequest(RequestKind.GENERATE, messages=[ChatMessage("user", question)])
    from evalscope.core.agent import run_agent

    output = asyncio.run(run_agent(agent, request, model.call))
    assert output.error is None and output.trajectory is not None
    return output.trajectory


def test_a_tool_that_raises_is_an_error_result_the_model_reads() -> None:
    def lookup(city: str) -> str:
        raise KeyError(f"no station in {city}")

    toolbox = Toolbox().add(ToolSpec("lookup", "Weather station data.", WEATHER["parameters"]), lookup)

    def script(text: str, body: dict) -> str | Calls:
        if body["messages"][-1]["role"] == "user":
            return Calls([("lookup", '{"city": "Atlantis"}')])
        return f"Sorry: {text}"

    with ScriptedServer(script) as server:
        trajectory = _agent_run(server, Agent(toolbox), "Weather in Atlantis?")
        seen = server.requests[-1][1]["messages"][-1]
    assert seen["role"] == "tool" and seen["content"] == "Error: KeyError: 'no station in Atlantis'"
    assert trajectory.steps[0].results[0].error is True
    assert trajectory.steps[1].text == "Sorry: Error: KeyError: 'no station in Atlantis'"


def test_python_exec_runs_in_the_sandbox() -> None:
    code = "import os, socket\nprint(os.getuid() != 0 or 'root')\ntry:\n    socket.create_connection(('1.1.1.1', 53), 2)\n    print('net')\nexcept OSError:\n    print('no network')\n"  # fmt: skip

    def script(text: str, body: dict) -> str | Calls:
        if body["messages"][-1]["role"] == "user":
            return Calls([("python_exec", json.dumps({"code": code}))])
        return "done"

    with ScriptedServer(script) as server:
        trajectory = _agent_run(
            server, Agent(Toolbox(sandbox_tools(["python_exec"])), AgentSettings(max_turns=3)), "Run it"
        )
        offered = server.requests[0][1]["tools"][0]["function"]["name"]
    assert offered == "python_exec"
    result = trajectory.steps[0].results[0]
    assert result.metadata["sandbox"]["isolation"] == "namespaces", result
    assert result.metadata["sandbox"]["status"] == "passed"
    assert "no network" in result.content and "exit status: 0" in result.content
