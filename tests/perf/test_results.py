"""run.json and the read API (`evalscope.perf.results`) over real perf runs against the mock server."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import warnings

import pytest
from click.testing import CliRunner

from evalscope.perf import metrics, results
from evalscope.perf.cli import perf
from evalscope.perf.mock_server import MockServerProcess
from evalscope.perf.records import RequestRecord
from evalscope.perf.results import (
    PerfRunError,
    compare_runs,
    group_sweeps,
    list_perf_runs,
    load_perf_run,
    public_url,
)

KEY = "sk-results-secret-42"


@pytest.fixture(scope="module")
def outputs(tmp_path_factory, mock_server):
    """Two invocations: a `--parallel 1 2` sweep and a single run."""
    root = tmp_path_factory.mktemp("outputs")
    common = ["--model", "mock", "--api-url", mock_server.base_url + "/v1", "--api-key", KEY, "--prompt", "hi",
              "--max-tokens", "8", "--outputs-dir", str(root), "--headers", f"X-Api-Key={KEY}"]
    for extra in (["--parallel", "1", "2", "--number", "4", "--sleep-interval", "0", "--name", "sweep"],
                  ["--number", "3", "--name", "single"]):
        result = CliRunner().invoke(perf, common + extra)
        assert result.exit_code == 0, result.output
    return root


@pytest.mark.slow
def test_every_run_folder_has_a_run_json(outputs, mock_server):
    run_files = sorted(outputs.rglob("run.json"))
    assert sorted(p.parent.name for p in run_files) == ["parallel_1_number_4", "parallel_2_number_4", "single"]
    for p in run_files:
        data = json.loads(p.read_text())
        assert data["kind"] == "perf" and data["status"] == "succeeded" and data["model"] == "mock"
        assert data["api_url"] == mock_server.base_url + "/v1/chat/completions"
        assert data["started"] <= data["finished"] and len(data["run_id"]) == 32
        assert KEY not in p.read_text()
        for name in ("benchmark_args.json", "benchmark_summary.json", "benchmark_percentile.json",
                     "benchmark_data.db", "client_selfcheck.json"):
            assert (p.parent / name).is_file(), name


@pytest.mark.slow
def test_list_and_group_runs(outputs):
    runs = list_perf_runs(outputs)
    assert len(runs) == 3 and len({r.info.run_id for r in runs}) == 3
    sweeps = group_sweeps(runs)
    assert sorted(len(s.runs) for s in sweeps) == [1, 2]
    sweep = next(s for s in sweeps if len(s.runs) == 2)
    assert [r.info.concurrency for r in sweep.runs] == [1, 2]
    assert {r.info.sweep_size for r in sweep.runs} == {2} and {r.info.sweep_id for r in sweep.runs} == {sweep.sweep_id}
    for run in sweep.runs:
        assert run.summary.succeeded_requests == 4 and run.summary.concurrency == run.info.concurrency
        assert run.summary.request_throughput > 0 and run.summary.values["Token count source"] == "usage"
        assert run.summary.mean_ttft_ms > 45  # the mock's TTFT is 50 ms
        assert run.args.parallel == [1, 2] and run.args.api_key == "***" and run.args.headers["X-Api-Key"] == "***"
    # throughput vs concurrency: two closed-loop slots finish about twice as many requests per second
    one, two = (r.summary.request_throughput for r in sweep.runs)
    assert two / one > 1.3


@pytest.mark.slow
def test_distributions_and_requests(outputs):
    run = next(r for r in list_perf_runs(outputs) if r.info.label == "parallel_2_number_4")
    dist = run.distributions()
    assert len(dist.ttft_ms) == 4 and len(dist.latency_s) == 4 and len(dist.itl_ms) == 4 * 7
    # the mock answers after 50 ms; chunks that arrive in one read share its time (gap 0)
    assert all(t > 45 for t in dist.ttft_ms) and all(g >= 0 for g in dist.itl_ms)
    # the arrays are what the percentile file was computed from
    assert run.percentiles.get("TTFT (ms)", "p50") == pytest.approx(metrics.percentile(sorted(dist.ttft_ms), 50))
    assert run.percentiles.levels[0] == "p10" and run.percentiles.levels[-1] == "p99"
    rows = run.requests()
    assert [r.index for r in rows] == [0, 1, 2, 3] and all(r.success and r.status == 200 for r in rows)
    assert all(len(r.itl_ms) == 7 and r.completion_tokens == 8 for r in rows)
    assert sorted(r.ttft_ms for r in rows) == sorted(dist.ttft_ms)
    assert rows[0].latency_s == pytest.approx(rows[0].end_s - rows[0].send_s)


@pytest.mark.slow
def test_compare_two_runs(outputs):
    sweep = next(s for s in group_sweeps(list_perf_runs(outputs)) if len(s.runs) == 2)
    rows = {d.metric: d for d in compare_runs(*sweep.runs)}
    assert rows["Concurrency"].delta == 1 and rows["Concurrency"].ratio == 2
    assert rows["Token count source"].delta is None and rows["Token count source"].a == "usage"
    assert rows["Request throughput (req/s)"].ratio > 1.3


def test_summary_fields_exist_in_the_summary():
    rec = RequestRecord(0, 0.0, send=0.0, first_token=0.05, end=0.1, chunk_times=[0.05, 0.06], success=True,
                        completion_tokens=2, prompt_tokens=1)
    written = metrics.summarize([rec], slo=metrics.SLO(ttft_ms=100), concurrency=1)
    assert set(results.SUMMARY_FIELDS) <= set(written)


def test_unreadable_runs_are_named(tmp_path):
    bad = tmp_path / "a"
    bad.mkdir()
    (bad / "run.json").write_text('{"kind": "perf", "run_id": 7')
    with pytest.raises(PerfRunError, match=r"a/run.json: not valid JSON \(line 1"):
        load_perf_run(bad)
    wrong = tmp_path / "b"
    wrong.mkdir()
    (wrong / "run.json").write_text(json.dumps({"kind": "perf", "run_id": "x", "started": "yesterday"}))
    with pytest.raises(PerfRunError, match=r"b/run.json: .*sweep_id"):
        load_perf_run(wrong)
    other = tmp_path / "c"
    other.mkdir()
    (other / "run.json").write_text(json.dumps({"kind": "eval"}))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert list_perf_runs(tmp_path) == []  # the eval run is not a perf run and is not warned about
    assert sorted(str(w.message).split(":")[0] for w in caught) == ["skipping perf run", "skipping perf run"]
    with pytest.raises(PerfRunError, match="no run.json"):
        load_perf_run(tmp_path)


def test_public_url_drops_secrets():
    assert public_url("https://user:pw@api.example.com:8443/v1/chat/completions?api-key=abc&api-version=2024") == (
        "https://api.example.com:8443/v1/chat/completions?api-key=***&api-version=2024"
    )
    assert public_url("http://127.0.0.1:8000/v1/completions") == "http://127.0.0.1:8000/v1/completions"


@pytest.mark.slow
def test_interrupted_run_says_so(tmp_path):
    with MockServerProcess(ttft_ms=5000, itl_ms=1, tokens=2) as server:
        proc = subprocess.Popen(
            [sys.executable, "-m", "evalscope.cli.main", "perf", "--model", "m", "--api-url", server.base_url,
             "--prompt", "hi", "--number", "2", "--outputs-dir", str(tmp_path), "--no-timestamp", "--name", "ctrl-c"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        run_file = tmp_path / "ctrl-c" / "run.json"
        deadline = time.monotonic() + 30
        while not run_file.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert load_perf_run(run_file).info.status == "running"  # visible while it runs
        time.sleep(0.5)
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=30)
    assert proc.returncode != 0 and "Traceback" not in out and "Aborted" in out
    info = load_perf_run(tmp_path / "ctrl-c").info
    assert info.status == "interrupted" and info.finished is not None


def test_reading_runs_imports_nothing_heavy():
    mods = subprocess.run(
        [sys.executable, "-c", "import sys, evalscope.perf.results; print(' '.join(sys.modules))"],
        check=True, capture_output=True, text=True,
    ).stdout.split()
    assert not {"aiohttp", "sqlmodel", "sqlalchemy", "rich"} & set(mods)
