"""`evalscope eval` with a generation setting out of range: one `Error:` line naming the field, exit 1,
before the model loads and before any run dir is created (it used to load the model, fail every
sample with exit 2 and advise a `--use-cache` retry that failed the same way)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

_SCRIPT = Path(sys.executable).with_name("evalscope")
EVALSCOPE = [str(_SCRIPT)] if _SCRIPT.is_file() else [sys.executable, "-m", "evalscope.cli.main"]


def run_eval(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    return subprocess.run(
        [*EVALSCOPE, "eval", "--datasets", "gsm8k", "--limit", "2", "--work-dir", str(tmp_path / "out"), *args],
        cwd=tmp_path, capture_output=True, text=True, timeout=300, env=env,
    )


def only_error_line(done: subprocess.CompletedProcess) -> str:
    lines = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: "), done.stdout + done.stderr
    return lines[0]


def test_mock_model_bad_max_tokens_is_one_error_line_and_no_run_dir(tmp_path):
    done = run_eval(tmp_path, "--eval-type", "mock", "--generation-config", "max_tokens=-5")
    assert done.returncode == 1
    assert only_error_line(done) == "Error: --generation-config: max_tokens: must be >= 1, got -5"
    assert not (tmp_path / "out").exists()


def test_a_config_file_names_the_file_and_the_field_path(tmp_path):
    config = tmp_path / "task.yaml"
    config.write_text("eval_type: mock\ngeneration_config:\n  temperature: 0.5\n  top_p: 0\n", encoding="utf-8")
    done = run_eval(tmp_path, "--config", str(config))
    assert done.returncode == 1
    assert only_error_line(done) == f"Error: {config}: generation_config.top_p: must be > 0 and <= 1, got 0.0"
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_real_model_bad_max_tokens_fails_before_the_model_loads(tmp_path):
    done = run_eval(tmp_path, "--model", "smollm2-135m-instruct", "--generation-config", "max_tokens=-5,temperature=0")
    assert done.returncode == 1
    line = only_error_line(done)  # no loading log, no per-sample failures, no --use-cache advice
    assert "max_tokens: must be >= 1, got -5" in line and "--use-cache" not in line
    assert not (tmp_path / "out").exists()
