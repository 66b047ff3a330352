"""`--api local`: starts `evalscope serve` with the real SmolLM2, runs, stops it (slow)."""

import json

import pytest
from click.testing import CliRunner

from evalscope.perf.cli import perf


@pytest.mark.slow
def test_api_local_end_to_end(tmp_path):
    result = CliRunner().invoke(perf, [
        "--api", "local", "--model", "smollm2-135m-instruct", "--parallel", "1", "2", "--number", "2",
        "--stream", "--max-tokens", "4", "--prompt", "Name a colour.", "--sleep-interval", "0",
        "--outputs-dir", str(tmp_path), "--no-timestamp", "--name", "local",
    ], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "Percentiles" in result.output and "Sweep" in result.output
    for label in ("parallel_1_number_2", "parallel_2_number_2"):
        s = json.loads((tmp_path / "local" / label / "benchmark_summary.json").read_text())
        assert s["Succeeded requests"] == 2
        assert 1 <= s["Mean output tokens"] <= 4
        assert s["Mean TTFT (ms)"] > 0
