"""A run records what it plans to evaluate and who evaluated it, readable while it runs and after."""

from __future__ import annotations

import json

from evalscope.core.stores import open_reader
from evalscope.run import run_task


def test_planned_samples_and_identity_are_stored_in_both_stores(tmp_path, dataset_dir):
    result = run_task(
        {"model": "mock", "eval_type": "mock", "datasets": ["arc", "gsm8k"], "limit": 3, "dataset_dir": str(dataset_dir),
         "work_dir": str(tmp_path / "run"), "no_timestamp": True},
        print_table=False,
    )
    for location in (tmp_path / "run", f"sqlite:///{tmp_path / 'run' / 'evalscope.db'}"):
        run = open_reader(str(location)).find_run(result.run_id)
        assert run is not None and run.status == "finished"
        assert run.planned == {"arc": 6, "gsm8k": 3}  # ARC-Easy + ARC-Challenge, 3 each
        assert run.model_identity and run.finished_at


def test_a_perf_run_folder_is_not_listed_as_an_evaluation(tmp_path, dataset_dir):
    outputs = tmp_path / "outputs"
    run_task(
        {"model": "mock", "eval_type": "mock", "datasets": ["gsm8k"], "limit": 1, "dataset_dir": str(dataset_dir),
         "work_dir": str(outputs)},
        print_table=False,
    )
    perf = outputs / "perf_run"
    perf.mkdir()
    (perf / "run.json").write_text(json.dumps({"kind": "perf", "run_id": "p1", "model": "m"}))
    runs = open_reader(str(outputs)).list_runs()
    assert len(runs) == 1 and runs[0].kind == "eval"


def test_a_copied_run_dir_resumes_from_its_records(tmp_path, dataset_dir):
    import shutil

    base = {"model": "mock", "eval_type": "mock", "datasets": ["gsm8k"], "limit": 4, "dataset_dir": str(dataset_dir)}
    first = run_task({**base, "work_dir": str(tmp_path / "a"), "no_timestamp": True}, print_table=False)
    shutil.copytree(tmp_path / "a", tmp_path / "b")
    again = run_task({**base, "use_cache": str(tmp_path / "b")}, print_table=False)
    assert again.run_id == first.run_id
    log = (tmp_path / "b" / "logs" / "eval_log.log").read_text()
    assert "4 from cache, 0 inferred" in log.splitlines()[-1]
