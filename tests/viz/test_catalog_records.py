"""The front-ends read a run's per-sample records from the database in its run dir when it holds the
run (indexed filters and pages, so a large run is not parsed into memory), and from the work-dir
files otherwise; both give the same records."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from evalscope.core.ports import ResultFilter
from evalscope.core.stores import WorkDirStore
from evalscope.run import run_task
from evalscope.viz.data.catalog import Catalog


def evaluate(outputs: Path, name: str, store: str, rows: int = 30) -> Path:
    data = outputs.parent / f"qa-{name}"
    data.mkdir(parents=True, exist_ok=True)
    with open(data / "default.jsonl", "w", encoding="utf-8") as f:
        for i in range(rows):
            response = "The answer is A." if i % 3 == 0 else f"answer {i}"
            f.write(json.dumps({"query": f"Question {i}?", "response": response}) + "\n")
    run_task(
        {
            "model": "mock", "eval_type": "mock", "model_id": f"mock-{name}", "datasets": ["general_qa"],
            "dataset_args": {"general_qa": {"local_path": str(data)}}, "work_dir": str(outputs / name),
            "no_timestamp": True, "store": store,
        },
        print_table=False,
    )
    return outputs / name



def test_records_come_from_the_run_database_and_equal_the_files(tmp_path):
    outputs = tmp_path / "outputs"
    run_dir = evaluate(outputs, "with-db", "auto")
    catalog = Catalog(outputs)
    (entry,) = catalog.runs()
    files = WorkDirStore(outputs)
    for where in (
        ResultFilter(dataset="general_qa", offset=10, limit=5),
        ResultFilter(dataset="general_qa", passed=False, limit=7),
        ResultFilter(dataset="general_qa", search="Question 2"),
    ):
        shown = [(r.sample_id, r.status, r.scores) for r in catalog.results(entry.key, where)]
        expected = [(r.sample_id, r.status, r.scores) for r in files.iter_results(entry.info.run_id, where)]
        assert shown == expected and shown
        assert catalog.count(entry.key, where) == files.count_results(entry.info.run_id, where)
    # the files are gone, the database still answers: the records were read from it
    shutil.rmtree(run_dir / "reviews")
    shutil.rmtree(run_dir / "predictions")
    assert catalog.count(entry.key, ResultFilter(dataset="general_qa")) == 30
    assert len(catalog.results(entry.key, ResultFilter(dataset="general_qa", limit=10))) == 10
    catalog.close()


def test_a_run_without_a_database_is_read_from_its_files(tmp_path):
    outputs = tmp_path / "outputs"
    run_dir = evaluate(outputs, "files-only", "workdir")
    assert not (run_dir / "evalscope.db").exists()
    catalog = Catalog(outputs)
    (entry,) = catalog.runs()
    assert catalog.count(entry.key, ResultFilter(dataset="general_qa", passed=True)) == 10
    catalog.close()
