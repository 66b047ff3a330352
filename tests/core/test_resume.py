"""A killed run loses nothing and a rerun with use_cache redoes only what is missing."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from evalscope.run import run_task

LIMIT = 25  # per subset: ARC-Easy + ARC-Challenge = 50 samples


def _prediction_ids(run_dir: Path) -> list[tuple[str, str]]:
    ids = []
    for path in sorted((run_dir / "predictions" / "mock").glob("arc_*.jsonl")):
        for line in path.read_text().splitlines():
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                continue  # a torn last line is allowed after a kill
            ids.append((row["subset_name"], row["sample_id"]))
    return ids


def test_killed_run_resumes_without_loss_or_duplicates(tmp_path, dataset_dir):
    run_dir = tmp_path / "run"
    cmd = [
        sys.executable, "-m", "evalscope.cli.main", "eval", "--model", "mock", "--eval-type", "mock",
        "--model-args", "delay=0.05", "--datasets", "arc", "--limit", str(LIMIT), "--eval-batch-size", "2",
        "--work-dir", str(run_dir), "--no-timestamp", "--dataset-dir", str(dataset_dir),
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while time.time() < deadline and len(_prediction_ids(run_dir)) < 10:
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    before = _prediction_ids(run_dir)
    assert 10 <= len(before) < 2 * LIMIT, "the run must be killed part-way"
    assert len(before) == len(set(before))

    reports = run_task(
        {"model": "mock", "eval_type": "mock", "model_args": {"delay": 0.0}, "datasets": ["arc"], "limit": LIMIT,
         "use_cache": str(run_dir), "dataset_dir": str(dataset_dir)},
        print_table=False,
    )
    after = _prediction_ids(run_dir)
    assert len(after) == len(set(after)) == 2 * LIMIT, "every sample predicted exactly once"
    assert set(before) <= set(after)
    assert reports["arc"].metrics[0].num == 2 * LIMIT
    log = (run_dir / "logs" / "eval_log.log").read_text()
    assert f"{len(before)} from cache, {2 * LIMIT - len(before)} inferred" in log
    with sqlite3.connect(run_dir / "evalscope.db") as db:
        (rows,) = db.execute("select count(*) from predictions").fetchone()
    assert rows == 2 * LIMIT

    # a third run recomputes nothing
    run_task({"model": "mock", "eval_type": "mock", "model_args": {"delay": 0.0}, "datasets": ["arc"], "limit": LIMIT,
              "use_cache": str(run_dir), "dataset_dir": str(dataset_dir)}, print_table=False)
    assert f"{2 * LIMIT} from cache, 0 inferred" in (run_dir / "logs" / "eval_log.log").read_text()
    assert len(_prediction_ids(run_dir)) == 2 * LIMIT


def test_changed_request_is_not_served_from_cache(tmp_path, dataset_dir):
    base = {"model": "mock", "eval_type": "mock", "datasets": ["gsm8k"], "limit": 3, "dataset_dir": str(dataset_dir),
            "work_dir": str(tmp_path), "no_timestamp": True}
    run_task(base, print_table=False)
    run_task({**base, "use_cache": str(tmp_path), "dataset_args": {"gsm8k": {"few_shot_num": 0}}}, print_table=False)
    log = (tmp_path / "logs" / "eval_log.log").read_text()
    assert "0 from cache, 3 inferred" in log.splitlines()[-1]
