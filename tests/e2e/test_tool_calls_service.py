"""Issue 20, item 1 over a service: the OpenAI-compatible adapter sends `tools` and reads `tool_calls`.

A scripted OpenAI-compatible server on 127.0.0.1 answers BFCL items with tool calls: the first 10
simple_python items (6 with their ground-truth call, 3 with a wrong value, 1 with arguments that
are not valid JSON) and the first 10 parallel items (2 right, both calls in one answer; 2 with a
wrong value; 6 answered with text, no call). Streamed, each call's arguments arrive in 7-character
pieces over several chunks and the parallel calls' deltas interleave. `evalscope eval` must report
exactly 0.6 and 0.2, streamed and not, keep the bad arguments verbatim with their flag, and say under the table how the tools
reached the model.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from evalscope.benchmarks._lib import bfcl_data
from evalscope.core.datasets import DatasetUnavailableError
from tests.e2e.scripted_server import Calls, Reply, ScriptedServer

pytestmark = pytest.mark.slow
SIMPLE_RIGHT = {0, 2, 3, 5, 7, 8}
BROKEN = 9  # arguments that are not JSON: kept, flagged, scored 0
PARALLEL_RIGHT = {0, 1}
BAD_JSON = '{"base": 10, "height": 5,'


def _records(category: str, n: int) -> list[dict]:
    try:
        folder = bfcl_data.data_dir({})
    except DatasetUnavailableError as exc:
        pytest.skip(f"BFCL data unavailable ({exc}); fetch it with: {bfcl_data.fetch_command()}")
    return bfcl_data.category_records(folder, category)[:n]


def ground_truth_calls(answer: list[dict]) -> list[tuple[str, dict]]:
    """The first allowed value of each parameter that must or may be given (names underscored)."""
    calls = []
    for expected in answer:
        name, allowed = next(iter(expected.items()))
        args = {
            p: next(v for v in vals if v != "") for p, vals in allowed.items() if any(v != "" for v in vals)
        }
        calls.append((name.replace(".", "_"), args))
    return calls


def _wrong(calls: list[tuple[str, dict]]) -> list[tuple[str, dict]]:
    name, args = calls[0]
    return [(name, {**args, next(iter(args)): "wrong value zq"}), *calls[1:]]


@pytest.fixture(scope="module")
def script() -> dict[str, Calls]:
    answers: dict[str, Calls] = {}
    for category, n, right in (("simple_python", 10, SIMPLE_RIGHT), ("parallel", 4, PARALLEL_RIGHT)):
        for i, item in enumerate(_records(category, n)):
            calls = ground_truth_calls(item["ground_truth"])
            calls = calls if i in right else _wrong(calls)
            written = [(name, json.dumps(args)) for name, args in calls]
            if category == "simple_python" and i == BROKEN:
                written = [(calls[0][0], BAD_JSON)]
            answers[item["question"][0][-1]["content"]] = Calls(written)
    return answers


def _eval(url: str, run_dir: Path, *extra: str) -> subprocess.CompletedProcess:
    command = [
        sys.executable, "-m", "evalscope.cli.main", "eval", "--model", "scripted", "--eval-type", "service",
        "--api-url", url, "--datasets", "bfcl_v4", "--limit", "10", "--work-dir", str(run_dir), "--no-timestamp",
        "--dataset-args", json.dumps({"bfcl_v4": {"subset_list": ["simple_python", "parallel"]}}), *extra,
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return done


@pytest.mark.parametrize("stream", [False, True], ids=["whole", "streamed"])
def test_bfcl_ground_truth_for_a_known_subset_gives_exactly_that_fraction(script, tmp_path, stream):
    def answer(text: str, body: dict) -> Calls | Reply:
        return script.get(text) or Reply("I cannot answer that.")

    run_dir = tmp_path / "run"
    with ScriptedServer(answer) as server:
        done = _eval(server.url, run_dir, *(["--stream"] if stream else []))
    # 10 simple_python + 10 parallel asked (the 6 parallel items beyond the script answer text: no call)
    assert len(server.requests) == 20
    for _, body in server.requests:
        assert bool(body.get("stream")) is stream
        assert body["tools"] and all(t["type"] == "function" and t["function"]["name"] for t in body["tools"])

    (path,) = (run_dir / "reports").glob("*/bfcl_v4.json")
    report = json.loads(path.read_text())
    subsets = {s["name"]: s for c in report["metrics"][0]["categories"] for s in c["subsets"]}
    assert subsets["simple_python"]["score"] == 0.6
    assert subsets["parallel"]["score"] == 0.2  # 2 of 10
    assert report["tool_mode"] == "native"
    assert (
        "bfcl_v4: tools by native (tools sent to the service, tool_calls read from its answer)" in done.stdout
    )
    print(f"\nbfcl_v4 via scripted service ({'streamed' if stream else 'whole'}): simple_python "
          f"{subsets['simple_python']['score']}, parallel {subsets['parallel']['score']}")  # fmt: skip

    outputs = {}
    for line_file in (run_dir / "predictions").glob("*/bfcl_v4_*.jsonl"):
        for line in line_file.read_text().splitlines():
            record = json.loads(line)["evalscope_record"]
            outputs[record["sample_id"]] = record["output"]
    simple = _records("simple_python", 10)
    broken = outputs[simple[BROKEN]["id"]]["tool_calls"]
    assert broken[0]["raw_arguments"] == BAD_JSON and broken[0]["parse_error"].startswith("not valid JSON")
    assert broken[0]["name"] == ground_truth_calls(simple[BROKEN]["ground_truth"])[0][0]
    parallel = _records("parallel", 4)
    two = outputs[parallel[0]["id"]]["tool_calls"]
    assert [(c["name"], c["arguments"]) for c in two] == ground_truth_calls(parallel[0]["ground_truth"])
