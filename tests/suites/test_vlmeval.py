"""VLMEvalKit (ms-vlmeval 0.0.20) in its managed env `vlmeval` (CUDA torch 2.14.1, ~7 GB).

In CI the env is not installed (its size): tests reach the process boundary — the eval_config is
checked, the worker's JSON request is built, and the missing env is one line naming
`evalscope backend install vlmeval` — and the real run is SKIPPED with that reason, never passed.
`scripts/test_backends.sh` installs the env and runs the real test: `evalscope serve --model
smollm2-135m-instruct` as a `CustomAPIModel` (EvalScope's way) on a local text MCQ TSV cut from the
shared ARC-Easy set (the served model is text-only, so the dataset has no images), exact-matching
judge, results read back from VLMEvalKit's own files into both stores.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from evalscope.app.requests import suite_request
from evalscope.backends.suites import envs
from evalscope.backends.suites.vlmeval import config as vlmcfg
from evalscope.backends.suites.vlmeval.suite import VLMEvalKitSuite, build_request
from evalscope.cli.main import main
from evalscope.config import TaskConfig
from evalscope.core.serialization import unstructure
from evalscope.core.stores import open_reader
from evalscope.core.types import SampleStatus

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "backends"))
from serve_fixture import SERVE_MODEL, serve_server  # noqa: E402,F401 - fixture

KEY = "sk-vlmeval-test-0123456789"


def arc_tsv(dataset_dir: Path, dest: Path, name: str = "ArcEasyMini", n: int = 4) -> Path:
    """A VLMEvalKit text MCQ TSV (index, question, A-D, answer) from the first shared ARC-Easy items."""
    rows = []
    with open(dataset_dir / "arc" / "ARC-Easy" / "test.jsonl", encoding="utf-8") as f:
        for line in f:
            item = json.loads(line)
            if item["choices"]["label"] == ["A", "B", "C", "D"]:
                rows.append([len(rows), item["question"], *item["choices"]["text"], item["answerKey"]])
            if len(rows) == n:
                break
    dest.mkdir(parents=True, exist_ok=True)
    with open(dest / f"{name}.tsv", "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, delimiter="\t")
        writer.writerow(["index", "question", "A", "B", "C", "D", "answer"])
        writer.writerows(rows)
    return dest


def vlm_cfg(data_dir: Path, base_url: str = "http://127.0.0.1:9/v1", **extra: object) -> dict:
    return {
        "data": ["ArcEasyMini"], "data_dir": str(data_dir), "mode": "all", "nproc": 2, "judge": "exact_matching",
        "model": [{"name": "CustomAPIModel", "type": SERVE_MODEL, "api_base": base_url, "key": KEY,
                   "temperature": 0.0, "max_tokens": 16}],
        **extra,
    }


def write_cfg(path: Path, cfg: dict) -> Path:
    path.write_text(yaml.safe_dump(cfg), encoding="utf-8")
    return path


def run_cli(*args: str):
    return CliRunner().invoke(main, ["eval", "--eval-backend", "VLMEvalKit", *args])


# -- bad eval_config ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda c: c.update(models=c.pop("model")), "eval_config: unknown key 'models'. Did you mean: model"),
        (lambda c: c.update(nprocs=4), "eval_config: unknown key 'nprocs'. Did you mean: nproc"),
        (lambda c: c["model"][0].pop("type"), "eval_config: model[0].type: required by CustomAPIModel"),
        (lambda c: c["model"][0].update(api_bas="x"), "eval_config: model[0]: unknown key 'api_bas' for CustomAPIModel. Did you mean: api_base"),
        (lambda c: c.update(mode="eval_only"), "eval_config: mode: must be one of all, infer, not 'eval_only'"),
    ],
)
def test_bad_eval_config_names_the_key(tmp_path, dataset_dir, change, expected):
    cfg = vlm_cfg(arc_tsv(dataset_dir, tmp_path / "lmu"))
    change(cfg)
    result = run_cli("--eval-config", str(write_cfg(tmp_path / "cfg.yaml", cfg)), "--work-dir", str(tmp_path / "out"))
    assert result.exit_code == 1, result.output
    assert result.output.startswith(f"Error: {expected}"), result.output
    assert not (tmp_path / "out").exists()


def test_missing_dataset_file_is_named(tmp_path):
    cfg = vlm_cfg(tmp_path / "lmu")
    (tmp_path / "lmu").mkdir()
    result = run_cli("--eval-config", str(write_cfg(tmp_path / "cfg.yaml", cfg)))
    assert result.exit_code == 1
    assert result.output.startswith(
        f"Error: eval_config: data[0]: missing file {tmp_path / 'lmu' / 'ArcEasyMini.tsv'} "
        "(VLMEvalKit reads each dataset from <data_dir>/<name>.tsv"), result.output


# -- up to the process boundary (no env needed) ------------------------------------------------------


def test_request_is_built_and_a_missing_env_names_the_install_command(tmp_path, dataset_dir, monkeypatch):
    data = arc_tsv(dataset_dir, tmp_path / "lmu")
    cfg = vlm_cfg(data, limit=3)
    task = suite_request(TaskConfig(eval_backend="VLMEvalKit", eval_config=cfg))
    request = build_request(task, vlmcfg.parse(cfg, "eval_config"), tmp_path / "run")
    sent = json.loads(json.dumps(unstructure(request)))  # what crosses the boundary is plain JSON
    assert sent["suite"] == "VLMEvalKit" and sent["eval_config"]["data"] == ["ArcEasyMini"]
    assert sent["options"] == {"data_dir": str(data.resolve()), "work_dir": str(tmp_path / "run" / "vlmeval"),
                               "limit": 3, "models": [SERVE_MODEL]}
    assert sent["eval_config"]["model"][0]["name"] == "CustomAPIModel"
    assert VLMEvalKitSuite().model_id(task, cfg) == SERVE_MODEL

    monkeypatch.setenv("EVALSCOPE_BACKEND_HOME", str(tmp_path / "no-envs"))
    result = run_cli("--eval-config", str(write_cfg(tmp_path / "cfg.yaml", cfg)), "--work-dir", str(tmp_path / "out"))
    assert result.exit_code == 1, result.output
    assert result.output.startswith("Error: VLMEvalKit runs in its own environment, which is not installed"), result.output
    assert result.output.rstrip().endswith("install it with: evalscope backend install vlmeval")


# -- the real run (scripts/test_backends.sh) ---------------------------------------------------------


@pytest.fixture(scope="module")
def vlmeval_env() -> Path:
    state = envs.status("vlmeval")
    if state.state != "ready":
        pytest.skip(f"the vlmeval env (~7 GB, CUDA torch 2.14.1) is {state.state}: not installed in CI; "
                    "scripts/test_backends.sh installs it and runs this test for real")
    return envs.env_python("vlmeval")


@pytest.mark.slow
def test_real_run_prints_the_table_and_lands_in_both_stores(tmp_path, vlmeval_env, request, dataset_dir, monkeypatch):
    served = request.getfixturevalue("serve_server")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    data = arc_tsv(dataset_dir, tmp_path / "lmu")
    out = tmp_path / "out"
    result = run_cli("--eval-config", str(write_cfg(tmp_path / "cfg.yaml", vlm_cfg(data, served.base_url))),
                     "--work-dir", str(out), "--no-timestamp")
    assert result.exit_code == 0, result.output
    print(result.output)
    rows = [line.split("|") for line in result.output.splitlines() if line.startswith(f"| {SERVE_MODEL}")]
    assert [(r[2].strip(), r[3].strip(), r[5].strip(), r[6].strip()) for r in rows] == [("ArcEasyMini", "acc", "Overall", "4")]
    for reader in (open_reader(out / "evalscope.db"), open_reader(out)):
        (run,) = reader.list_runs()
        assert (run.model_id, run.status, run.datasets) == (SERVE_MODEL, "finished", ["ArcEasyMini"])
        (report,) = reader.load_reports(run.run_id)
        results = list(reader.iter_results(run.run_id))
        assert len(results) == 4 and all(r.status is SampleStatus.SCORED and r.output.text for r in results)
        assert {r.gold for r in results} <= set("ABCD")
        # VLMEvalKit's own accuracy is the mean of its per-sample exact-match hits
        assert report.score == pytest.approx(sum(r.scores["acc"] for r in results) / 4, abs=1e-3)
    assert list((out / "vlmeval" / SERVE_MODEL).glob("*_acc.csv")), "VLMEvalKit's own files stay in the run dir"
    for path in out.rglob("*"):
        if path.is_file() and path.suffix in {".log", ".json", ".jsonl", ".db", ".csv"}:
            assert KEY.encode() not in path.read_bytes(), path
