"""What the client itself costs: its CPU per request in every output, and start-up kept out of send lag."""

import json

import pytest
from click.testing import CliRunner

from evalscope.perf.cli import perf
from evalscope.perf.results import load_perf_run
from evalscope.perf.workers import STARTUP_DELAY_ENV


def _run(mock_server, tmp_path, *extra):
    args = [
        "--model", "mock", "--url", mock_server.base_url, "--prompt", "hello there", "--max-tokens", "8",
        "--outputs-dir", str(tmp_path), "--no-timestamp", "--name", "c", *extra,
    ]
    result = CliRunner().invoke(perf, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    root = tmp_path / "c"
    return result.output, json.loads((root / "benchmark_summary.json").read_text()), root


@pytest.mark.slow
@pytest.mark.parametrize("workers", [1, 2])
def test_client_cpu_per_request_is_in_every_output(mock_server, tmp_path, workers):
    out, summary, root = _run(mock_server, tmp_path, "--parallel", "4", "--number", "40", "--num-workers", str(workers))
    cpu = summary["Client CPU per request (ms)"]
    # ~0.1-0.3 ms of CPU per 8-chunk stream here (bench/perf_overhead.py: 0.12 ms on an idle box); tens of ms
    # would mean it counted start-up or imports rather than requests
    assert 0 < cpu < 20
    assert "Client CPU per request (ms)" in out
    selfcheck = json.loads((root / "client_selfcheck.json").read_text())
    assert selfcheck["cpu_ms_per_request"] == cpu and selfcheck["workers"] == workers
    info = json.loads((root / "run.json").read_text())
    assert info["client_cpu_ms_per_request"] == cpu
    assert info["client_saturated"] is summary["Client saturated"]
    assert load_perf_run(root).summary.client_cpu_ms_per_request == cpu


@pytest.mark.slow
@pytest.mark.parametrize("workers", [1, 2])
def test_slow_client_start_up_is_not_send_lag(mock_server, tmp_path, monkeypatch, workers):
    """Each client takes 1 s to get ready (a sleep in its set-up, as a cold import on a busy box would):
    the open-loop schedule starts once all are ready, so sends are on time and start-up is reported apart."""
    monkeypatch.setenv(STARTUP_DELAY_ENV, "1.0")  # spawned client processes inherit it
    out, summary, root = _run(mock_server, tmp_path, "--rate", "50", "--number", "10", "--arrival", "constant",
                              "--num-workers", str(workers))
    assert summary["Succeeded requests"] == 10
    # counted from a t0 fixed before the clients were ready, the 1 s set-up made every send ~0.8-1 s late
    assert summary["Mean send lag (ms)"] < 300
    assert summary["Client start-up (s)"] >= 1.0
    assert "Client start-up (s)" in out
    assert json.loads((root / "run.json").read_text())["client_startup_s"] == summary["Client start-up (s)"]
