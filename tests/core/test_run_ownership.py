"""Never overwrite, never mislabel: whose run a run dir holds, and who writes it.

- another model's `--use-cache` on a finished run dir gets its own run beside the first (own run id,
  rows, files, run-info file); both are listed by every reader;
- the same model name with another identity (a checkpoint's next step) is refused;
- one writer per run dir: a second process is refused naming the holder; a lock left by a killed
  process is taken over; a run killed with -9 reads as `interrupted`;
- SIGTERM / SIGINT stop a CLI run as `stopped` (exit 143 / 130) and `--use-cache` resumes it.
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

import pytest

from evalscope.core.stores import open_reader

pytestmark = pytest.mark.slow


def evalscope(*args: str) -> list[str]:
    return [sys.executable, "-m", "evalscope.cli.main", "eval", "--eval-type", "mock", *args]


def run(dataset_dir: Path, *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "EVALSCOPE_DATASET_DIR": str(dataset_dir)}
    return subprocess.run(evalscope("--dataset-dir", str(dataset_dir), *args), capture_output=True, text=True,
                          timeout=timeout, env=env)


def start(dataset_dir: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(evalscope("--dataset-dir", str(dataset_dir), *args), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def db_rows(run_dir: Path, query: str) -> list[tuple]:
    with sqlite3.connect(run_dir / "evalscope.db") as db:
        return db.execute(query).fetchall()


def prediction_ids(run_dir: Path, model: str) -> list[str]:
    ids = []
    for path in sorted((run_dir / "predictions" / model).glob("*.jsonl")):
        for line in path.read_text().splitlines():
            try:
                ids.append(f"{path.stem}/{json.loads(line)['sample_id']}")
            except (ValueError, KeyError):
                continue  # a torn last line after a kill
    return ids


def wait_for(predicate, what: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def holds_lock(run_dir: Path) -> bool:
    path = run_dir / ".evalscope.lock"
    return path.is_file() and '"run_id": "' in path.read_text() and '"run_id": ""' not in path.read_text()


# -- 1. another model, the same dir ----------------------------------------------------------------
def test_another_model_with_use_cache_runs_beside_the_first_and_both_are_listed(tmp_path, dataset_dir):
    from evalscope.viz.data.catalog import Catalog

    d = tmp_path / "run"
    first = run(dataset_dir, "--model", "model-a", "--datasets", "arc", "gsm8k", "--limit", "2",
                "--work-dir", str(d), "--no-timestamp")
    assert first.returncode == 0, first.stderr[-2000:]
    before = {ds: report for ds, report in db_rows(d, "select dataset, report from reports")}
    a_reports = sorted(p.name for p in (d / "reports" / "model-a").glob("*.json"))
    a_predictions = prediction_ids(d, "model-a")

    second = run(dataset_dir, "--model", "model-b", "--datasets", "arc",
                 "--limit", "2", "--use-cache", str(d))
    assert second.returncode == 0, second.stderr[-2000:]

    runs = dict(db_rows(d, "select model_id, run_id from runs"))
    assert set(runs) == {"model-a", "model-b"} and runs["model-a"] != runs["model-b"]
    # model-a's rows are untouched: both reports, same content; model-b has its own arc report
    after = {(r, ds): report for r, ds, report in db_rows(d, "select run_id, dataset, report from reports")}
    assert {ds: after[(runs["model-a"], ds)] for ds in ("arc", "gsm8k")} == before
    assert set(ds for r, ds in after if r == runs["model-b"]) == {"arc"}
    counts = dict(db_rows(d, "select run_id, count(*) from predictions group by run_id"))
    assert counts == {runs["model-a"]: len(a_predictions), runs["model-b"]: 4}  # ARC-Easy + -Challenge, 2 each
    # the files: both models' folders and run-info files; model-a's untouched
    assert sorted(p.name for p in (d / "reports" / "model-a").glob("*.json")) == a_reports == ["arc.json", "gsm8k.json"]
    assert prediction_ids(d, "model-a") == a_predictions
    assert len(prediction_ids(d, "model-b")) == 4
    infos = {json.loads(p.read_text())["model_id"]: json.loads(p.read_text()) for p in (d / "run_info").glob("*.json")}
    assert {m: i["run_id"] for m, i in infos.items()} == runs
    assert infos["model-a"]["status"] == infos["model-b"]["status"] == "finished"
    # every reader lists both: the work-dir store, the database, the site's catalog
    assert {r.model_id for r in open_reader(str(d)).list_runs()} == {"model-a", "model-b"}
    assert {r.model_id for r in open_reader(str(d / "evalscope.db")).list_runs()} == {"model-a", "model-b"}
    catalog = Catalog(tmp_path)
    assert sorted(e.label for e in catalog.runs()) == ["run@model-a", "run@model-b"]
    assert {e.info.model_id: (catalog.datasets(e.key), catalog.count(e.key)) for e in catalog.runs()} == {
        "model-a": (["arc", "gsm8k"], 6), "model-b": (["arc"], 4)}


def test_the_same_model_name_with_another_identity_is_refused(tmp_path, dataset_dir):
    d = tmp_path / "run"
    base = ("--model", "ckpt", "--datasets", "gsm8k", "--limit", "2")
    first = run(dataset_dir, *base, "--model-args", "revision=step-1", "--work-dir", str(d), "--no-timestamp")
    assert first.returncode == 0, first.stderr[-2000:]
    rows = db_rows(d, "select * from predictions")

    again = run(dataset_dir, *base, "--model-args", "revision=step-2", "--use-cache", str(d))
    assert again.returncode == 1
    errors = [line for line in again.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and "Traceback" not in again.stderr
    (old_identity,) = {r[0] for r in db_rows(d, "select model_identity from runs")}
    assert old_identity in errors[0] and "another revision or weights" in errors[0]
    assert db_rows(d, "select * from predictions") == rows
    assert db_rows(d, "select count(*) from runs") == [(1,)]


# -- 2. one writer per run dir -----------------------------------------------------------------------
def test_a_second_process_on_the_same_run_dir_is_refused_naming_the_holder(tmp_path, dataset_dir):
    d = tmp_path / "run"
    slow = ("--model", "mock", "--model-args", "delay=1.2", "--datasets", "gsm8k", "--limit", "8")
    first = start(dataset_dir, *slow, "--work-dir", str(d), "--no-timestamp")
    wait_for(lambda: holds_lock(d) or first.poll() is not None, "the first run to take the lock")
    second = run(dataset_dir, *slow, "--work-dir", str(d), "--no-timestamp")
    assert first.wait(timeout=180) == 0, first.stderr.read()[-2000:]

    assert second.returncode == 1, second.stderr[-2000:]
    assert f"in use by pid {first.pid} on " in second.stderr and "Traceback" not in second.stderr
    assert db_rows(d, "select count(*) from runs") == [(1,)]
    ids = prediction_ids(d, "mock")
    assert len(ids) == len(set(ids)) == 8  # each sample once
    assert db_rows(d, "select status from runs") == [("finished",)]

    # two resumes of the finished dir at once: one is refused
    resume = ("--model", "mock", "--model-args", "delay=0.5", "--datasets", "gsm8k", "--limit", "24", "--use-cache", str(d))
    resumes = [start(dataset_dir, *resume) for _ in range(2)]
    codes = sorted(p.wait(timeout=180) for p in resumes)
    assert codes == [0, 1], [p.stderr.read()[-1000:] for p in resumes]
    ids = prediction_ids(d, "mock")
    assert len(ids) == len(set(ids)) == 24
    assert db_rows(d, "select count(*), count(distinct sample_id) from predictions") == [(24, 24)]


def test_a_run_killed_with_9_reads_as_interrupted_and_its_lock_is_taken_over(tmp_path, dataset_dir):
    from evalscope.viz.data.catalog import Catalog
    from evalscope.viz.tui.app import pick_followed
    from evalscope.viz.tui.attach import StoreFollower
    from evalscope.viz.tui.live import LiveEvalApp
    from evalscope.viz.tui.state import EvalLiveState

    d = tmp_path / "run"
    slow = ("--model", "mock", "--model-args", "delay=0.3", "--datasets", "gsm8k", "--limit", "20")
    victim = start(dataset_dir, *slow, "--work-dir", str(d), "--no-timestamp")
    wait_for(lambda: len(prediction_ids(d, "mock")) >= 2, "a few stored predictions")
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait()

    assert db_rows(d, "select status from runs") == [("running",)]  # what the dead writer left
    for location in (d, d / "evalscope.db"):
        (info,) = open_reader(str(location)).list_runs()
        assert info.status == "interrupted", location
    catalog = Catalog(tmp_path)
    (entry,) = catalog.runs()
    assert entry.info.status == "interrupted" and entry.finished
    # `evalscope tui RUN_DIR`: the follower stops the clock and says so
    state = EvalLiveState()
    StoreFollower(catalog, entry.key).poll(state)
    assert state.finished is not None and state.verdict == "interrupted"
    assert LiveEvalApp(state=state).status_line().startswith("interrupted in ")
    assert pick_followed(catalog, None) is None  # nothing to follow: it is not running

    done = run(dataset_dir, *slow, "--model-args", "delay=0", "--use-cache", str(d))
    assert done.returncode == 0, done.stderr[-2000:]
    assert f"took over the lock left by pid {victim.pid} on " in done.stderr
    assert "took over the lock" in (d / "logs" / "eval_log.log").read_text()
    (info,) = open_reader(str(d)).list_runs()
    assert info.status == "finished"


# -- 3. stopped runs -------------------------------------------------------------------------------
@pytest.mark.parametrize(("sig", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_signal_stops_the_run_as_stopped_and_use_cache_resumes_it(tmp_path, dataset_dir, sig, code):
    d = tmp_path / "run"
    slow = ("--model", "mock", "--model-args", "delay=0.3", "--datasets", "gsm8k", "--limit", "20")
    proc = start(dataset_dir, *slow, "--work-dir", str(d), "--no-timestamp")
    wait_for(lambda: len(prediction_ids(d, "mock")) >= 3, "a few stored predictions")
    proc.send_signal(sig)
    assert proc.wait(timeout=60) == code
    stderr = proc.stderr.read()
    assert "Traceback" not in stderr and f"--use-cache {d}" in stderr

    kept = prediction_ids(d, "mock")
    assert 3 <= len(kept) < 20
    assert db_rows(d, "select status from runs") == [("stopped",)]
    assert json.loads((d / "run.json").read_text())["status"] == "stopped"
    (info,) = open_reader(str(d)).list_runs()
    assert info.status == "stopped"

    done = run(dataset_dir, *slow, "--model-args", "delay=0", "--use-cache", str(d))
    assert done.returncode == 0, done.stderr[-2000:]
    assert db_rows(d, "select status from runs") == [("finished",)]
    log = (d / "logs" / "eval_log.log").read_text().splitlines()
    assert f"{len(set(kept))} from cache, {20 - len(set(kept))} inferred" in [line for line in log if "from cache" in line][-1]


def test_q_in_the_live_view_stops_the_run_on_its_thread_as_stopped(tmp_path, dataset_dir):
    """What `evalscope eval --tui` does when `q` closes the view mid-run: `stop_runs` cancels the run
    on the worker thread, which records `stopped` before the command exits 130."""
    from evalscope.core.stopping import stop_runs
    from evalscope.run import run_task
    from evalscope.viz.tui.live import Job, QueueSink

    d = tmp_path / "run"
    cfg = {"model": "mock", "eval_type": "mock", "model_args": {"delay": 0.3}, "datasets": ["gsm8k"], "limit": 20,
           "dataset_dir": str(dataset_dir), "work_dir": str(d), "no_timestamp": True}
    job = Job(lambda sink: run_task(cfg, sink=sink, print_table=False), QueueSink())
    job.start()
    wait_for(lambda: len(prediction_ids(d, "mock")) >= 2, "a few stored predictions")
    assert stop_runs(wait_s=30) == 1
    assert job.done.wait(30) and job.error is not None
    assert db_rows(d, "select status from runs") == [("stopped",)]
    (info,) = open_reader(str(d)).list_runs()
    assert info.status == "stopped" and 2 <= len(prediction_ids(d, "mock")) < 20
