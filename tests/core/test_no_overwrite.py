"""Never overwrite: a second run of the same model into the same run dir is refused, and a store that
fails to record how a run ended does not keep the others from recording it and closing.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import attrs
import pytest

from evalscope.core.registry import stores
from evalscope.core.stores import WorkDirStore, open_reader
from evalscope.run import run_task


def cli(dataset_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "EVALSCOPE_DATASET_DIR": str(dataset_dir)}
    cmd = [sys.executable, "-m", "evalscope.cli.main", "eval", "--eval-type", "mock", "--dataset-dir", str(dataset_dir),
           "--datasets", "gsm8k", "--limit", "2", *args]  # fmt: skip
    return subprocess.run(cmd, capture_output=True, text=True, timeout=180, env=env)


def snapshot(run_dir: Path) -> dict[str, bytes]:
    """Every file of the run dir but the lock file (a refused writer may take and release it)."""
    return {str(p.relative_to(run_dir)): p.read_bytes() for p in sorted(run_dir.rglob("*"))
            if p.is_file() and p.name != ".evalscope.lock"}  # fmt: skip


def db_rows(run_dir: Path) -> dict[str, list[tuple]]:
    with contextlib.closing(sqlite3.connect(run_dir / "evalscope.db")) as db:
        return {t: db.execute(f"select * from {t}").fetchall() for t in ("runs", "predictions")}  # noqa: S608


@pytest.mark.slow
def test_a_second_run_of_the_same_model_into_a_no_timestamp_dir_is_refused(tmp_path, dataset_dir):
    d = tmp_path / "run"
    first = cli(dataset_dir, "--model", "mock", "--work-dir", str(d), "--no-timestamp")
    assert first.returncode == 0, first.stderr[-2000:]
    files, rows = snapshot(d), db_rows(d)
    (run,) = open_reader(str(d)).list_runs()

    again = cli(dataset_dir, "--model", "mock", "--work-dir", str(d), "--no-timestamp")
    assert again.returncode == 1, again.stderr[-2000:]
    assert "Traceback" not in again.stderr
    (error,) = [line for line in again.stderr.splitlines() if line.startswith("Error:")]
    assert f"{d} already holds a run of mock (run {run.run_id}, finished, started 20" in error
    assert f"--use-cache {d}" in error and "another --work-dir" in error and "--no-timestamp" in error
    assert snapshot(d) == files, "the refused run wrote into the first run's files"
    assert db_rows(d) == rows

    # another model still runs beside it (its own run, files and rows)
    other = cli(dataset_dir, "--model", "mock-b", "--work-dir", str(d), "--no-timestamp")
    assert other.returncode == 0, other.stderr[-2000:]
    assert sorted(r.model_id for r in open_reader(str(d)).list_runs()) == ["mock", "mock-b"]


def test_an_interrupted_run_is_named_as_such_and_use_cache_still_resumes(tmp_path, dataset_dir):
    d = tmp_path / "run"
    base = {
        "model": "mock",
        "eval_type": "mock",
        "datasets": ["gsm8k"],
        "limit": 2,
        "dataset_dir": str(dataset_dir),
    }
    first = run_task({**base, "work_dir": str(d), "no_timestamp": True}, print_table=False)
    info = json.loads((d / "run.json").read_text())
    (d / "run.json").write_text(json.dumps({**info, "status": "running"}))  # what a killed writer leaves
    (d / "run_info" / "mock.json").write_text(json.dumps({**info, "status": "running"}))
    with pytest.raises(Exception, match=rf"run {first.run_id}, interrupted, started") as err:
        run_task({**base, "work_dir": str(d), "no_timestamp": True}, print_table=False)
    assert type(err.value).__name__ == "ConfigError"
    again = run_task({**base, "use_cache": str(d)}, print_table=False)
    assert again.run_id == first.run_id


class EndFails(WorkDirStore):
    """A plug-in store whose `update_run` fails at the end of a run (a disk that filled up, say)."""

    name = "end-fails"
    closed: list[str] = []

    def __init__(self) -> None:
        super().__init__()
        self.ends = 0

    def open(self, run):  # its files in a folder of their own, beside the run dir
        super().open(attrs.evolve(run, work_dir=run.work_dir + "-plugin"))

    def update_run(self, run):
        if run.status != "running":
            raise OSError("no space left on device")
        super().update_run(attrs.evolve(run, work_dir=run.work_dir + "-plugin"))

    def close(self) -> None:
        EndFails.closed.append("plugin")
        super().close()


@pytest.fixture
def end_fails():
    stores.register("end-fails", EndFails)
    EndFails.closed.clear()
    yield
    stores._items.pop("end-fails", None)


def test_a_store_failing_to_record_the_end_leaves_the_others_recorded_and_closed(
    tmp_path, dataset_dir, end_fails, monkeypatch
):
    closed: list[Path] = []
    real_close = WorkDirStore.close

    def close(self):
        if type(self) is WorkDirStore:
            closed.append(self.root)
        real_close(self)

    monkeypatch.setattr(WorkDirStore, "close", close)
    d = tmp_path / "run"
    cfg = {"model": "mock", "eval_type": "mock", "datasets": ["gsm8k"], "limit": 2, "dataset_dir": str(dataset_dir),
           "work_dir": str(d), "no_timestamp": True, "store": "end-fails"}  # fmt: skip
    with pytest.raises(OSError, match="no space left on device"):
        run_task(cfg, print_table=False)
    (run,) = open_reader(str(d)).list_runs()
    assert run.status == "finished" and run.finished_at, "the work-dir store never recorded the end"
    assert EndFails.closed == ["plugin"] and closed == [d], "a store was left open"
    log = (d / "logs" / "eval_log.log").read_text()
    assert "store end-fails: update_run failed: no space left on device" in log
