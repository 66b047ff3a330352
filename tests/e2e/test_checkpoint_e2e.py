"""The README's first command, scaled down: real SmolLM2 through transformers, then a cached rerun."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow


def _eval(*extra: str, dataset_dir) -> subprocess.CompletedProcess[str]:  # type: ignore[no-untyped-def]
    cmd = [sys.executable, "-m", "evalscope.cli.main", "eval", "--model", "smollm2-135m-instruct",
           "--datasets", "gsm8k", "arc", "--limit", "2", "--eval-batch-size", "2",
           "--generation-config", "max_tokens=48", "--dataset-dir", str(dataset_dir), *extra]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=900)


def test_cli_prints_table_and_rerun_recomputes_nothing(tmp_path, dataset_dir):
    first = _eval("--work-dir", str(tmp_path), dataset_dir=dataset_dir)
    assert first.returncode == 0, first.stderr[-3000:]
    out = first.stdout
    for header in ("Model Name", "Dataset Name", "Metric Name", "Category Name", "Subset Name", "Num", "Score"):
        assert header in out
    for subset in ("main", "ARC-Easy", "ARC-Challenge"):
        assert f"| {subset}" in out
    run_dir = next(p for p in tmp_path.iterdir() if p.is_dir())

    second = _eval("--use-cache", str(run_dir), dataset_dir=dataset_dir)
    assert second.returncode == 0, second.stderr[-3000:]
    log = (run_dir / "logs" / "eval_log.log").read_text()
    assert "gsm8k: 2 samples, 2 from cache, 0 inferred" in log
    assert "arc: 4 samples, 4 from cache, 0 inferred" in log
    # the same scores are printed again
    table_rows = [line for line in out.splitlines() if line.startswith("| smollm2")]
    assert table_rows and all(row in second.stdout for row in table_rows)
