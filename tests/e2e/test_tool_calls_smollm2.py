"""Issue 20, item 1 with the real model: SmolLM2-135M on BFCL simple_python, multiple, parallel and
irrelevance (one item each here; docs/function-calling.md has 3-item runs), locally in prompt mode (its chat template takes no tools) and through
`evalscope serve` (the tools in the request, calls read back from its text by the server).

The scores are printed, not asserted (a 135M model calls functions badly; they are honest numbers);
what is asserted is what a user sees: the run finishes, every item is scored, and the note under
the table names the mode.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.backends.serve_fixture import SERVE_MODEL, serve_server  # noqa: F401 - fixture

pytestmark = pytest.mark.slow
SUBSETS = ["simple_python", "multiple", "parallel", "irrelevance"]
LIMIT = 1  # CI time; the 3-item runs are in docs/function-calling.md


def _eval(run_dir: Path, *model: str) -> tuple[subprocess.CompletedProcess, dict]:
    command = [
        sys.executable, "-m", "evalscope.cli.main", "eval", *model, "--datasets", "bfcl_v4",
        "--limit", str(LIMIT), "--work-dir", str(run_dir), "--no-timestamp",
        "--dataset-args", json.dumps({"bfcl_v4": {"subset_list": SUBSETS}}),
        "--generation-config", json.dumps({"max_tokens": 48, "temperature": 0.0}),
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    (path,) = (run_dir / "reports").glob("*/bfcl_v4.json")
    return done, json.loads(path.read_text())


def _scores(report: dict) -> dict[str, tuple[float, int]]:
    return {s["name"]: (s["score"], s["num"]) for c in report["metrics"][0]["categories"] for s in c["subsets"]}


def _answers(run_dir: Path) -> list[dict]:
    return [
        json.loads(line)["evalscope_record"]["output"]
        for path in (run_dir / "predictions").glob("*/bfcl_v4_*.jsonl")
        for line in path.read_text().splitlines()
    ]


def test_smollm2_locally_in_prompt_mode(tmp_path):
    run_dir = tmp_path / "run"
    done, report = _eval(run_dir, "--model", "smollm2-135m-instruct")
    scores = _scores(report)
    print(f"\nSmolLM2-135M, local prompt mode, bfcl_v4 (limit {LIMIT}): {scores}\n{done.stdout}")
    assert {name: num for name, (_, num) in scores.items()} == dict.fromkeys(SUBSETS, LIMIT)
    assert report["tool_mode"] == "prompt"
    assert "bfcl_v4: tools by prompt (function descriptions in the system prompt" in done.stdout
    assert len(_answers(run_dir)) == LIMIT * len(SUBSETS)


def test_smollm2_through_serve_with_tools(tmp_path, serve_server):  # noqa: F811 - fixture
    run_dir = tmp_path / "run"
    done, report = _eval(
        run_dir, "--model", SERVE_MODEL, "--eval-type", "service", "--api-url", serve_server.base_url
    )
    scores = _scores(report)
    print(f"\nSmolLM2-135M through evalscope serve (tools), bfcl_v4 (limit {LIMIT}): {scores}\n{done.stdout}")
    assert {name: num for name, (_, num) in scores.items()} == dict.fromkeys(SUBSETS, LIMIT)
    assert report["tool_mode"] == "native"
    assert "bfcl_v4: tools by native (tools sent to the service" in done.stdout
    # the server read calls out of the model's text: they came back as tool_calls, never as content
    answers = _answers(run_dir)
    assert len(answers) == LIMIT * len(SUBSETS)
    for out in answers:
        if out.get("tool_calls"):
            assert out["finish_reason"] == "tool_calls"
