"""`evalscope perf` as a new user meets it: failures, bad counts, output folders, narrow terminals.

The CLI runs in a subprocess where the exit status, the terminal width or the TTY matter.
"""

from __future__ import annotations

import json
import os
import pty
import re
import select
import subprocess
import sys
from datetime import datetime

import pytest
from click.testing import CliRunner

from evalscope.perf import runner
from evalscope.perf.args import PerfArgs
from evalscope.perf.cli import perf
from evalscope.perf.mock_server import MockServerProcess, free_port
from evalscope.perf.results import load_perf_run
from evalscope.perf.store import read_records

ANSI = re.compile(r"\x1b\[")
CELL = re.compile(r"^(-|-?[\d,]+(\.\d+)?)$")
LEVELS = ("p10", "p25", "p50", "p66", "p75", "p80", "p90", "p95", "p98", "p99")


def _cli(args: list[str], env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR", "COLUMNS")}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "evalscope.cli.main", "perf", *args],
        capture_output=True, text=True, env=full_env, timeout=timeout,
    )


# -- every request failed -------------------------------------------------------------------


@pytest.mark.slow
def test_connection_refused_exits_nonzero_and_prints_the_error(tmp_path):
    port = free_port()  # bound and released: nothing listens there
    proc = _cli(["--model", "m", "--api-url", f"http://127.0.0.1:{port}", "--prompt", "hi", "--number", "3",
                 "--outputs-dir", str(tmp_path), "--no-timestamp", "--name", "down"])
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "3 of 3 requests failed" in proc.stdout
    assert "connect failed" in proc.stdout and "ConnectionRefusedError" in proc.stdout
    assert f"nothing accepted a connection at http://127.0.0.1:{port}/v1/chat/completions" in proc.stdout
    assert "no request of parallel_1_number_3 succeeded" in proc.stderr
    assert "Traceback" not in proc.stderr
    info = load_perf_run(tmp_path / "down").info
    assert info.status == "failed" and info.failed_requests == 3 and info.succeeded_requests == 0
    assert info.errors[0].count == 3 and "ConnectionRefusedError" in info.errors[0].message


def test_sweep_stops_after_a_run_without_success(tmp_path):
    result = CliRunner().invoke(perf, [
        "--model", "m", "--api-url", f"http://127.0.0.1:{free_port()}", "--prompt", "hi", "--parallel", "1", "2", "4",
        "--number", "2", "--sleep-interval", "0", "--outputs-dir", str(tmp_path), "--no-timestamp", "--name", "s",
    ])
    assert result.exit_code == 1
    assert "stopping the sweep: no request of parallel_1_number_2 succeeded (2 run(s) not started)" in result.output
    assert sorted(p.name for p in (tmp_path / "s").iterdir() if p.is_dir()) == ["parallel_1_number_2"]


@pytest.mark.slow
@pytest.mark.parametrize("stream", ["--stream", "--no-stream"])
def test_http_500_prints_status_and_truncated_body(tmp_path, stream):
    body = json.dumps({"object": "error", "message": "CUDA out of memory. " * 100 + "END-OF-BODY"})
    with MockServerProcess(fail_status=500, fail_body=body) as server:
        result = CliRunner().invoke(perf, [
            "--model", "m", "--api-url", server.base_url, "--prompt", "hi", "--number", "2", stream,
            "--outputs-dir", str(tmp_path), "--no-timestamp", "--name", "oom",
        ])
    assert result.exit_code == 1, result.output
    assert "2 of 2 requests failed" in result.output
    assert 'HTTP 500: {"object": "error", "message": "CUDA out of memory.' in result.output
    assert "END-OF-BODY" not in result.output  # cut ...
    assert f"[{len(body):,} bytes in all]" in result.output  # ... and says how much there was
    [rec, _] = read_records(tmp_path / "oom" / "benchmark_data.db")
    assert rec.status == 500 and rec.error.startswith("HTTP 500: {") and len(rec.error) < 400
    assert rec.first_token != rec.first_token  # NaN: the error body is not taken for a stream


@pytest.mark.slow
def test_echoed_api_key_is_scrubbed_from_errors(tmp_path):
    key = "sk-test-secret-123456"
    body = json.dumps({"error": f"Incorrect API key provided: {key}"})
    with MockServerProcess(fail_status=401, fail_body=body) as server:
        result = CliRunner().invoke(perf, [
            "--model", "m", "--api-url", server.base_url, "--api-key", key, "--prompt", "hi", "--number", "1",
            "--outputs-dir", str(tmp_path), "--no-timestamp", "--name", "auth",
        ])
    assert result.exit_code == 1 and "HTTP 401" in result.output and "Incorrect API key provided: ***" in result.output
    assert key not in result.output
    for f in (tmp_path / "auth").iterdir():
        assert key.encode() not in f.read_bytes(), f.name


def test_run_status():
    from evalscope.perf.records import RequestRecord

    ok, bad = RequestRecord(0, 0.0, success=True), RequestRecord(1, 0.0)
    assert runner.run_status([ok, ok]) == "succeeded"
    assert runner.run_status([ok, bad]) == "partial"
    assert runner.run_status([bad, bad]) == "failed" and runner.run_status([]) == "failed"


# -- bad counts -----------------------------------------------------------------------------


def test_number_zero_is_a_one_line_usage_error(tmp_path):
    proc = _cli(["--model", "m", "--api-url", "http://127.0.0.1:9", "--number", "0", "--outputs-dir", str(tmp_path)])
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines()[-1] == "Error: Invalid value for '--number' / '-n': must be at least 1 (got 0)"
    assert "Traceback" not in proc.stderr and proc.stdout == ""
    assert list(tmp_path.iterdir()) == []  # nothing was written


@pytest.mark.parametrize(("option", "value", "message"), [
    ("--number", "-3", "must be at least 1 (got -3)"),
    ("--parallel", "0", "must be at least 1 (got 0)"),
    ("--rate", "0", "must be above 0 (got 0)"),
    ("--max-concurrency", "0", "must be at least 1 (got 0)"),
    ("--warmup-num", "-1", "must be at least 0 (got -1)"),
])
def test_bad_counts_are_usage_errors(option, value, message, tmp_path):
    result = CliRunner().invoke(perf, ["--model", "m", "--api-url", "http://127.0.0.1:9", option, value,
                                       "--outputs-dir", str(tmp_path)])
    assert result.exit_code == 2 and message in result.output
    assert list(tmp_path.iterdir()) == []


def test_bad_counts_are_rejected_through_the_api_too(tmp_path):
    with pytest.raises(ValueError, match=r"--number must be at least 1 \(got 0\)"):
        runner.run_perf(PerfArgs(model="m", api_url="http://127.0.0.1:9", number=[0], outputs_dir=str(tmp_path)))


# -- output folders -------------------------------------------------------------------------


class _FrozenNow(datetime):
    """Every run starts in the same second."""

    @classmethod
    def now(cls, tz=None):
        return datetime(2025, 1, 2, 3, 4, 5, tzinfo=tz)


@pytest.mark.slow
def test_two_runs_in_the_same_second_get_two_folders(mock_server, tmp_path, monkeypatch):
    monkeypatch.setattr(runner, "datetime", _FrozenNow)
    base = ["--model", "mock", "--api-url", mock_server.base_url, "--prompt", "hi", "--max-tokens", "2",
            "--outputs-dir", str(tmp_path), "--name", "same"]
    for n in ("2", "3"):
        result = CliRunner().invoke(perf, [*base, "--number", n])
        assert result.exit_code == 0, result.output
    first, second = tmp_path / "20250102_030405" / "same", tmp_path / "20250102_030405" / "same_2"
    assert len(read_records(first / "benchmark_data.db")) == 2  # not overwritten by the second run
    assert len(read_records(second / "benchmark_data.db")) == 3
    assert load_perf_run(first).info.run_id != load_perf_run(second).info.run_id


def test_output_root_is_created_once_per_invocation(tmp_path):
    args = PerfArgs(model="org/model", outputs_dir=str(tmp_path))
    when = datetime(2025, 1, 2, 3, 4, 5)
    roots = [runner.output_root(args, when) for _ in range(3)]
    assert [r.relative_to(tmp_path).as_posix() for r in roots] == [
        "20250102_030405/org_model", "20250102_030405/org_model_2", "20250102_030405/org_model_3",
    ]


def test_no_timestamp_refuses_a_folder_holding_an_earlier_run(tmp_path):
    args = PerfArgs(model="m", outputs_dir=str(tmp_path), no_timestamp=True, name="fixed")
    root = runner.output_root(args, datetime.now())
    assert runner.output_root(args, datetime.now()) == root  # still empty: reused
    (root / "run.json").write_text("{}")
    with pytest.raises(ValueError, match="already holds an earlier run's files; choose another --name"):
        runner.output_root(args, datetime.now())


# -- console output -------------------------------------------------------------------------


def _table_rows(out: str, first: str) -> list[list[str]]:
    """Body rows (cells stripped) of the tables whose key cell is ``first``-like."""
    rows = []
    for line in out.splitlines():
        cells = [c.strip() for c in line.strip().strip("│").split("│")]
        if line.startswith("│") and re.fullmatch(first, cells[0]):
            rows.append(cells)
    return rows


@pytest.mark.slow
def test_console_at_80_columns_stays_readable(mock_server, tmp_path):
    proc = _cli(["--model", "mock", "--api-url", mock_server.base_url, "--prompt", "hi", "--parallel", "1", "2",
                 "--number", "4", "--max-tokens", "8", "--sleep-interval", "0", "--slo", "ttft:500",
                 "--outputs-dir", str(tmp_path)], env={"COLUMNS": "80"})
    out = proc.stdout
    assert proc.returncode == 0, out + proc.stderr
    assert "…" not in out and not ANSI.search(out)
    assert max(len(line) for line in out.splitlines() if line[:1] in "┏┃┡│└") <= 80
    pct = json.loads(next(tmp_path.glob("*/mock/parallel_1_number_4/benchmark_percentile.json")).read_text())
    rows = _table_rows(out, r"p\d\d")
    tables = len(rows) // (2 * len(LEVELS))  # percentile tables per run
    assert tables >= 2 and len(rows) == 2 * tables * len(LEVELS)
    assert [r[0] for r in rows[: len(LEVELS)]] == list(LEVELS)
    # every metric of the file is shown once per run, every cell a whole number or "-"
    assert sum(len(r) - 1 for r in rows[: len(LEVELS) * tables : len(LEVELS)]) == len(pct)
    assert all(CELL.match(c) for r in rows for c in r[1:]), rows
    p50 = next(r for r in rows if r[0] == "p50")  # first run, first table: TTFT (ms) comes first
    assert float(p50[1]) == pytest.approx(pct["TTFT (ms)"]["p50"], rel=1e-3) and float(p50[1]) > 45
    sweep = _table_rows(out, r"[12]")
    assert [r[0] for r in sweep][:2] == ["1", "2"] and all(CELL.match(c) for r in sweep for c in r[1:])


def _run_on_tty(args: list[str], env: dict[str, str]) -> str:
    """Run the CLI with stdout on a pseudo-terminal (80 columns); returns what it wrote."""
    master, slave = pty.openpty()
    full_env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR", "TERM")}
    full_env.update({"COLUMNS": "80", "TERM": "xterm-256color", **env})
    proc = subprocess.Popen([sys.executable, "-m", "evalscope.cli.main", "perf", *args],
                            stdout=slave, stderr=slave, env=full_env)
    os.close(slave)
    chunks = []
    try:
        while True:
            ready, _, _ = select.select([master], [], [], 60)
            if not ready:
                break
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not data:
                break
            chunks.append(data)
    finally:
        os.close(master)
        proc.wait(30)
    return b"".join(chunks).decode("utf-8", "replace")


@pytest.mark.slow
def test_no_color_on_a_terminal_writes_no_escape_sequences(mock_server, tmp_path):
    args = ["--model", "mock", "--api-url", mock_server.base_url, "--prompt", "hi", "--number", "2",
            "--max-tokens", "4", "--outputs-dir", str(tmp_path)]
    coloured = _run_on_tty(args, {})
    assert "Percentiles" in coloured and ANSI.search(coloured)  # a terminal gets styles ...
    plain = _run_on_tty(args, {"NO_COLOR": "1"})
    assert "Percentiles" in plain and not ANSI.search(plain)  # ... unless NO_COLOR is set
