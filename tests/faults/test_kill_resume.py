"""kill -9 of the evaluator mid-run, locally and on Ray, then the same command with --use-cache: no
finished sample is lost (none is sent again), none is stored or counted twice, and the final report
equals an uninterrupted run's. Also: a full disk and a read-only work dir end in one clear error
and leave what was stored intact.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import attrs
import pytest

from evalscope.core.stores import open_reader
from evalscope.run import run_task

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fault_server import FaultServer  # noqa: E402

pytestmark = pytest.mark.slow
N = 48


@pytest.fixture
def server():
    srv = FaultServer(delay_s=0.15).start()
    yield srv
    srv.stop()


def write_questions(folder: Path, n: int = N) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "test.jsonl", "w") as f:
        for i in range(n):
            answer = i if i % 3 else i + 1  # every third answer is wrong: the score is not trivial
            f.write(json.dumps({"question": f"Question {i}: how many?", "answer": f"#### {answer}"}) + "\n")
    return folder


def command(server: FaultServer, data: Path, run_dir: Path, *extra: str) -> list[str]:
    return [
        sys.executable, "-m", "evalscope.cli.main", "eval", "--model", "faulty", "--eval-type", "service",
        "--api-url", server.url, "--datasets", "gsm8k", "--dataset-args",
        json.dumps({"gsm8k": {"local_path": str(data), "few_shot_num": 0}}), "--eval-batch-size", "4",
        "--work-dir", str(run_dir), "--no-timestamp", *extra,
    ]


def predicted(run_dir: Path) -> list[str]:
    ids = []
    for path in (run_dir / "predictions").rglob("gsm8k_*.jsonl"):
        for line in path.read_text().splitlines():
            try:
                ids.append(json.loads(line)["sample_id"])
            except (json.JSONDecodeError, KeyError):
                continue  # a torn last line is allowed after a kill
    return ids


def kill_part_way(cmd: list[str], run_dir: Path, at_least: int) -> list[str]:
    import psutil

    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 180
    while time.time() < deadline and len(predicted(run_dir)) < at_least and proc.poll() is None:
        time.sleep(0.05)
    children = psutil.Process(proc.pid).children(recursive=True) if proc.poll() is None else []
    os.kill(proc.pid, signal.SIGKILL)  # the evaluator alone, as `kill -9 PID` would
    proc.wait()
    for child in children:  # what it left behind (a local Ray's daemons and workers)
        try:
            child.kill()
        except psutil.NoSuchProcess:
            pass
    return predicted(run_dir)


def sent(server: FaultServer) -> dict[str, int]:
    return {text.split(":")[0]: len(t) for text, t in server.attempts.items()}


def reference_report(tmp_path: Path, server: FaultServer, data: Path):
    out = run_task({"model": "faulty", "eval_type": "service", "api_url": server.url, "datasets": ["gsm8k"],
                    "dataset_args": {"gsm8k": {"local_path": str(data), "few_shot_num": 0}}, "eval_batch_size": 8,
                    "work_dir": str(tmp_path / "reference"), "no_timestamp": True}, print_table=False)
    return attrs.evolve(out["gsm8k"], stats=None)


@pytest.mark.parametrize("executor", ["local", "ray"])
def test_kill_9_then_use_cache_loses_nothing_and_counts_nothing_twice(server, tmp_path, executor):
    if executor == "ray":
        pytest.importorskip("ray", reason="Ray is not installed (pip install evalscope-backends[ray])")
    extra = ["--executor", "ray", "--executor-args", "workers=2,shard_size=2"] if executor == "ray" else []
    data, run_dir = write_questions(tmp_path / "data"), tmp_path / "run"
    before = kill_part_way(command(server, data, run_dir, *extra), run_dir, at_least=12)
    assert 12 <= len(before) < N, "the run must be killed part-way"
    assert len(before) == len(set(before)), "no sample stored twice before the kill"
    answered_before = sent(server)

    done = subprocess.run(command(server, data, run_dir, *extra, "--use-cache", str(run_dir)),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    after = predicted(run_dir)
    assert len(after) == len(set(after)) == N, "every sample stored exactly once"
    resent = {q for q, count in sent(server).items() if count > answered_before.get(q, 0)}
    assert not resent & {f"Question {i}" for i in before}, "a sample finished before the kill is not sent again"
    with sqlite3.connect(run_dir / "evalscope.db") as db:
        assert db.execute("select count(*), count(distinct sample_id) from predictions").fetchone() == (N, N)
        assert db.execute("select count(*) from scores").fetchone() == (N,)
    reader = open_reader(run_dir / "evalscope.db")
    (run,) = reader.list_runs()
    (report,) = reader.load_reports(run.run_id)
    assert report.metrics[0].num == N
    assert attrs.evolve(report, stats=None) == reference_report(tmp_path, server, data)
    log = (run_dir / "logs" / "eval_log.log").read_text()
    assert f"{len(before)} from cache, {N - len(before)} inferred" in log


def _mount_tmpfs(path: Path, size: str) -> None:
    path.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True, text=True)
    if result.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({result.stderr.strip() or 'not root'})")


def test_a_full_disk_is_one_clear_error_and_keeps_what_was_stored(server, tmp_path):
    """The work dir is a 1 MiB tmpfs: the run fails saying the disk is full; the predictions
    stored until then are intact and a rerun elsewhere with room resumes from them."""
    disk = tmp_path / "small"
    _mount_tmpfs(disk, "1m")
    try:
        data = write_questions(tmp_path / "data", n=400)
        run_dir = disk / "run"
        cmd = command(server, data, run_dir) + ["--eval-batch-size", "32"]
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
        assert result.returncode != 0
        (error,) = [line[line.index("Error:"):] for line in result.stderr.splitlines() if "Error:" in line]
        assert "the disk is full" in error and "rerun with --use-cache" in error, error
        assert "Traceback" not in result.stderr
        kept = predicted(run_dir)
        assert kept and len(kept) == len(set(kept))
        with sqlite3.connect(run_dir / "evalscope.db") as db:
            assert db.execute("pragma integrity_check").fetchone() == ("ok",)
            stored = db.execute("select count(*) from predictions").fetchone()[0]
        assert stored > 0
        copy = tmp_path / "roomy"
        subprocess.run(["cp", "-a", str(run_dir), str(copy)], check=True)
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)
    done = subprocess.run(command(server, data, copy, "--use-cache", str(copy)), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert len(set(predicted(copy))) == 400


def test_a_read_only_work_dir_is_one_clear_error(server, tmp_path):
    """A finished run's dir mounted read-only: resuming it says so, and changes nothing."""
    data, run_dir = write_questions(tmp_path / "data", n=8), tmp_path / "run"
    assert subprocess.run(command(server, data, run_dir), capture_output=True, timeout=300).returncode == 0
    db_bytes = (run_dir / "evalscope.db").read_bytes()
    bound = subprocess.run(["mount", "--bind", "-o", "ro", str(run_dir), str(run_dir)], capture_output=True, text=True)
    if bound.returncode != 0:
        pytest.skip(f"cannot bind-mount read-only here ({bound.stderr.strip()})")
    try:
        subprocess.run(["mount", "-o", "remount,ro,bind", str(run_dir)], check=False)
        result = subprocess.run(command(server, data, run_dir, "--use-cache", str(run_dir)), capture_output=True, text=True,
                                timeout=120)
    finally:
        subprocess.run(["umount", "-l", str(run_dir)], check=False)
    assert result.returncode != 0
    (error,) = [line[line.index("Error:"):] for line in result.stderr.splitlines() if "Error:" in line]
    assert "read-only" in error.lower(), error
    assert "Traceback" not in result.stderr
    assert (run_dir / "evalscope.db").read_bytes() == db_bytes
