"""Each dataset's report and the run log carry the engine's own cost: wall and client CPU per
inferred sample, against a real loopback server (bench/zero_latency_server.py, its own process)."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))
from zero_latency_server import ZeroServer  # noqa: E402

pytestmark = pytest.mark.slow

EVALSCOPE = str(Path(sys.executable).with_name("evalscope"))


@pytest.fixture(scope="module")
def zero_server():
    with ZeroServer() as server:
        yield server


def _eval(server: ZeroServer, dataset_dir: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    cmd = [
        EVALSCOPE, "eval", "--model", "zero", "--eval-type", "service", "--api-url", f"{server.url}/v1",
        "--datasets", "gsm8k", "--limit", "6", "--dataset-dir", str(dataset_dir), *extra,
    ]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    return proc


def _report(run_dir: Path) -> dict:
    return json.loads((run_dir / "reports" / "zero" / "gsm8k.json").read_text())


def _log_line(run_dir: Path) -> str:
    lines = (run_dir / "logs" / "eval_log.log").read_text().splitlines()
    return [line for line in lines if "gsm8k: 6 samples," in line and "inferred" in line][-1]


def test_report_and_log_carry_client_cpu_per_sample_and_a_cached_rerun_counts_none(
    zero_server, tmp_path, dataset_dir
):
    run_dir = tmp_path / "run"
    _eval(zero_server, dataset_dir, "--work-dir", str(run_dir), "--no-timestamp")

    timing = _report(run_dir)["timing"]
    assert timing["inferred"] == 6
    assert timing["wall_s"] > 0 and timing["client_cpu_s"] > 0
    assert timing["samples_per_s"] > 0
    assert math.isfinite(timing["client_cpu_ms_per_sample"]) and timing["client_cpu_ms_per_sample"] > 0
    line = _log_line(run_dir)
    assert "6 inferred" in line and "samples/s, client CPU " in line and line.endswith(" ms/sample")

    # everything answered from the cache: nothing inferred, no per-sample figure (null, never NaN)
    _eval(zero_server, dataset_dir, "--work-dir", str(run_dir), "--no-timestamp", "--use-cache", str(run_dir))
    text = (run_dir / "reports" / "zero" / "gsm8k.json").read_text()
    assert "NaN" not in text
    timing = json.loads(text)["timing"]
    assert timing["inferred"] == 0
    assert timing["samples_per_s"] is None and timing["client_cpu_ms_per_sample"] is None
    assert timing["client_cpu_s"] >= 0
    line = _log_line(run_dir)
    assert "6 from cache, 0 inferred" in line and "client CPU" not in line
