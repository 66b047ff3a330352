"""A service evaluation against a server that injects faults (tests/faults/fault_server.py, 127.0.0.1).

Each sample carries one fault: rate limits with Retry-After, 500/502/503, a connection reset, a
stream cut mid-way (reset, or a body that just ends), malformed JSON, an empty choices list. Faults
that clear within the retry budget are retried with backoff (honouring Retry-After) and the sample is
scored; a fault that never clears, and a timeout (never retried: the server may still be working),
leave the sample stored with its error, the run goes on, and the report counts the errors per subset.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from evalscope.core.ports import ResultFilter
from evalscope.core.stores import open_reader
from evalscope.core.types import SampleStatus
from evalscope.run import run_task

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fault_server import FaultServer  # noqa: E402

pytestmark = pytest.mark.slow

#: fault directive per sample; the run allows 2 retries
CLEARING = ["429:1", "500:2", "502:1", "503:2", "reset:1", "badjson:1", "empty:2"]
STREAM_CLEARING = ["cut:1", "cutclean:2", "reset:1", "429:1"]
FATAL = ["500:inf", "timeout:inf"]


@pytest.fixture
def server():
    srv = FaultServer(slow_s=3.0).start()
    yield srv
    srv.stop()


def write_questions(folder: Path, faults: list[str], clean: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    rows = [f"Question {i}: [[fault:{f}]] how many?" for i, f in enumerate(faults)]
    rows += [f"Question {len(faults) + i}: no fault, how many?" for i in range(clean)]
    with open(folder / "test.jsonl", "w") as f:
        for i, question in enumerate(rows):
            f.write(json.dumps({"question": question, "answer": f"#### {i}"}) + "\n")
    return folder


def evaluate(server: FaultServer, tmp_path: Path, faults: list[str], *, stream: bool, clean: int = 3):
    data = write_questions(tmp_path / "data", faults, clean)
    return run_task({
        "model": "faulty", "eval_type": "service", "api_url": server.url, "datasets": ["gsm8k"],
        "dataset_args": {"gsm8k": {"local_path": str(data), "few_shot_num": 0}},
        "work_dir": str(tmp_path / "out"), "no_timestamp": True, "eval_batch_size": 16, "retries": 2,
        "timeout": 1.0, "stream": stream, "ignore_errors": True,
    }, print_table=False)


def stored(tmp_path: Path) -> dict:
    reader = open_reader(tmp_path / "out" / "evalscope.db")
    (run,) = reader.list_runs()
    return {r.sample_id: r for r in reader.iter_results(run.run_id)}, reader, run


def attempts_of(server: FaultServer, fault: str) -> list[float]:
    (times,) = [t for text, t in server.attempts.items() if f"[[fault:{fault}]]" in text]
    return times


def test_faults_that_clear_are_retried_and_scored(server, tmp_path):
    result = evaluate(server, tmp_path, CLEARING + FATAL, stream=False)
    report = result["gsm8k"]
    (subset,) = report.metrics[0].categories[0].subsets
    total = len(CLEARING) + len(FATAL) + 3
    assert subset.num == len(CLEARING) + 3 and subset.score == 1.0, "every recovered sample answered right"
    assert (subset.counts.scored, subset.counts.errored) == (len(CLEARING) + 3, len(FATAL))
    assert len(result.errors) == len(FATAL)
    for fault in CLEARING:
        failures = int(fault.split(":")[1])
        assert len(attempts_of(server, fault)) == failures + 1, fault
    first, second = attempts_of(server, "429:1")
    assert second - first >= 0.95, "Retry-After: 1 was honoured"
    first, second, third = attempts_of(server, "503:2")
    assert second - first >= 0.19 and third - second >= 0.19, "retry-after-ms was honoured"
    assert len(attempts_of(server, "500:inf")) == 3, "retries stop at the budget"
    assert len(attempts_of(server, "timeout:inf")) == 1, "a timeout is not retried"
    rows, reader, run = stored(tmp_path)
    assert len(rows) == total, "every sample stored, the failed ones too"
    errors = {sid: r.error for sid, r in rows.items() if r.status is SampleStatus.ERROR}
    assert len(errors) == len(FATAL)
    assert any("HTTP 500" in e for e in errors.values()) and any("timeout" in e for e in errors.values())
    assert reader.count_results(run.run_id, ResultFilter(status=SampleStatus.SCORED, passed=True)) == len(CLEARING) + 3


def test_streamed_faults_are_retried(server, tmp_path):
    result = evaluate(server, tmp_path, STREAM_CLEARING, stream=True)
    (subset,) = result["gsm8k"].metrics[0].categories[0].subsets
    assert (subset.num, subset.score, subset.counts.errored) == (len(STREAM_CLEARING) + 3, 1.0, 0)
    for fault in STREAM_CLEARING:
        assert len(attempts_of(server, fault)) == int(fault.split(":")[1]) + 1, fault
    rows, _, _ = stored(tmp_path)
    assert all(r.output.text.startswith("The answer is") and r.output.finish_reason == "stop" for r in rows.values())


def test_errored_samples_are_retried_on_resume(server, tmp_path):
    """A rerun with --use-cache retries only the failed samples; the fault is gone by then."""
    evaluate(server, tmp_path, ["500:3"], stream=False, clean=2)  # 3 failures > 2 retries: an error
    assert len(attempts_of(server, "500:3")) == 3
    rerun = run_task({
        "model": "faulty", "eval_type": "service", "api_url": server.url, "datasets": ["gsm8k"],
        "dataset_args": {"gsm8k": {"local_path": str(tmp_path / "data"), "few_shot_num": 0}},
        "use_cache": str(tmp_path / "out"), "eval_batch_size": 4, "retries": 2, "timeout": 1.0,
    }, print_table=False)
    assert len(attempts_of(server, "500:3")) == 4 and rerun["gsm8k"].score == 1.0
    assert sum(len(t) for text, t in server.attempts.items() if "no fault" in text) == 2, "finished samples not resent"
    rows, _, _ = stored(tmp_path)
    assert len(rows) == 3 and all(r.status is SampleStatus.SCORED for r in rows.values())
