"""A run's evalscope.db damaged after the run: a truncated file stops `--use-cache` with one line that
names it and the way out; an emptied (or moved-aside) one is rebuilt from the JSONL records without
asking the model again; a retried sample leaves one line in its JSONL file, never two."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from evalscope.core.models.mock import MockModelAPI
from evalscope.core.types import ModelOutput, ModelRequest
from evalscope.run import run_task

LIMIT = 5  # per subset: ARC-Easy + ARC-Challenge = 10 samples


def task(run_dir: Path, dataset_dir: Path, **extra: object) -> dict:
    return {
        "model": "mock", "eval_type": "mock", "datasets": ["arc"], "limit": LIMIT, "dataset_dir": str(dataset_dir),
        "work_dir": str(run_dir), "no_timestamp": True, **extra,
    }


def line_keys(run_dir: Path) -> dict[str, Counter]:
    """(subset, sample id) -> number of lines, per prediction file."""
    out = {}
    for path in sorted((run_dir / "predictions" / "mock").glob("*.jsonl")):
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        out[path.name] = Counter((row["subset_name"], str(row["sample_id"])) for row in rows)
    return out


def db_predictions(run_dir: Path) -> int:
    with sqlite3.connect(run_dir / "evalscope.db") as db:
        return db.execute("select count(*) from predictions").fetchone()[0]


def eval_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "evalscope.cli.main", "eval", *args], capture_output=True, text=True, timeout=120
    )


def test_truncated_db_is_one_line_naming_the_file_and_the_way_out_works(tmp_path, dataset_dir):
    run_dir = tmp_path / "run"
    run_task(task(run_dir, dataset_dir), print_table=False)
    db = run_dir / "evalscope.db"
    with open(db, "r+b") as fh:
        fh.truncate(db.stat().st_size // 2)
    args = ["--model", "mock", "--eval-type", "mock", "--datasets", "arc", "--limit", str(LIMIT),
            "--dataset-dir", str(dataset_dir), "--use-cache", str(run_dir)]

    proc = eval_cli(*args)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith(f"Error: {db} is damaged (")
    assert f"mv {db} {db}.damaged" in lines[0] and f"--use-cache {run_dir}" in lines[0]
    assert "Traceback" not in proc.stderr and "sqlalche" not in proc.stderr.lower()

    # the way out it names: move the file aside, rerun; nothing is asked again, the database is rebuilt
    db.rename(db.with_name("evalscope.db.damaged"))
    proc = eval_cli(*args)
    assert proc.returncode == 0, proc.stderr
    assert "10 from cache, 0 inferred" in (run_dir / "logs" / "eval_log.log").read_text().splitlines()[-1]
    assert db_predictions(run_dir) == 2 * LIMIT


def test_empty_db_is_rebuilt_from_the_jsonl_records_without_asking_the_model(tmp_path, dataset_dir):
    run_dir = tmp_path / "run"
    first = run_task(task(run_dir, dataset_dir), model=MockModelAPI("mock"), print_table=False)
    (run_dir / "evalscope.db").write_bytes(b"")  # zero bytes: a disk that filled, a bad copy

    model = MockModelAPI("mock")
    again = run_task(task(run_dir, dataset_dir, use_cache=str(run_dir)), model=model, print_table=False)
    assert model.calls == 0, "every answer the JSONL records hold was asked again"
    assert again["arc"].score == first["arc"].score
    files = line_keys(run_dir)
    assert sum(sum(c.values()) for c in files.values()) == 2 * LIMIT
    assert all(n == 1 for counts in files.values() for n in counts.values()), files
    assert db_predictions(run_dir) == 2 * LIMIT  # the database holds them again
    assert "lacks 10 stored predictions" in (run_dir / "logs" / "eval_log.log").read_text()


def test_db_missing_some_rows_takes_them_from_the_jsonl(tmp_path, dataset_dir):
    run_dir = tmp_path / "run"
    run_task(task(run_dir, dataset_dir), model=MockModelAPI("mock"), print_table=False)
    with sqlite3.connect(run_dir / "evalscope.db") as db:  # the last transactions lost (a power cut)
        db.execute("delete from predictions where subset = 'ARC-Challenge'")
    model = MockModelAPI("mock")
    run_task(task(run_dir, dataset_dir, use_cache=str(run_dir)), model=model, print_table=False)
    assert model.calls == 0
    assert db_predictions(run_dir) == 2 * LIMIT
    assert all(n == 1 for counts in line_keys(run_dir).values() for n in counts.values())


class FailsFirst(MockModelAPI):
    """Answers like the mock model, except that the first call of each of the first two prompts fails
    (a fault a real local model cannot be made to produce on cue)."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.failed: set[str] = set()

    def identity(self) -> dict[str, object]:
        return MockModelAPI("mock").identity()  # the same model: its answers may be reused

    async def call(self, requests: Sequence[ModelRequest]) -> list[ModelOutput]:
        outs = await super().call(requests)
        for i, request in enumerate(requests):
            key = request.cache_key()
            if len(self.failed) < 2 and key not in self.failed:
                self.failed.add(key)
                outs[i] = ModelOutput(error="backend hiccup")
        return outs


def test_retried_failure_leaves_one_line_per_sample(tmp_path, dataset_dir):
    run_dir = tmp_path / "run"
    run_task(task(run_dir, dataset_dir, ignore_errors=True), model=FailsFirst("mock"), print_table=False)
    model = MockModelAPI("mock")
    run_task(task(run_dir, dataset_dir, use_cache=str(run_dir)), model=model, print_table=False)
    assert model.calls == 2  # only the two failures are asked again
    files = line_keys(run_dir)
    assert sum(len(c) for c in files.values()) == 2 * LIMIT
    assert all(n == 1 for counts in files.values() for n in counts.values()), files
    for path in (run_dir / "predictions" / "mock").glob("*.jsonl"):  # the line kept is the newer answer
        assert all(json.loads(line)["evalscope_record"]["error"] is None for line in path.read_text().splitlines())


def test_reading_a_truncated_run_database_names_it(tmp_path, dataset_dir):
    """Read through the store port (what compare, the site and the TUI use): one error naming the file."""
    import pytest

    from evalscope.core.stores import DamagedStoreError, open_reader

    run_dir = tmp_path / "run"
    result = run_task(task(run_dir, dataset_dir), print_table=False)
    db = run_dir / "evalscope.db"
    with open(db, "r+b") as fh:
        fh.truncate(db.stat().st_size // 2)
    with pytest.raises(DamagedStoreError) as caught:
        reader = open_reader(db)
        reader.list_runs()
        list(reader.iter_results(result.run_id))
    assert str(caught.value).startswith(f"{db} is damaged (")
    assert f"--use-cache {run_dir}," in str(caught.value)
