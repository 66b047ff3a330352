"""The OpenCompass backend: ms-opencompass in its managed env, against a real served SmolLM2.

- A bad eval_config is one line naming the key (did you mean) or the missing file, before any work.
- The real run (slow): `evalscope eval --eval-backend OpenCompass --eval-config cfg.yaml` runs a
  built-in OpenCompass dataset (ARC_c, its data written under a tmp COMPASS_DATA_CACHE from the
  shared ARC-Challenge rows) and a custom MCQ file against `evalscope serve --model
  smollm2-135m-instruct` on 127.0.0.1; the score table prints, and the run, its reports and its
  per-sample records are read back from both stores with `open_reader`.
- A built-in dataset whose data is not on disk is one line naming the file OpenCompass would need.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from evalscope.backends.suites import envs
from evalscope.cli.main import main
from evalscope.core.stores import open_reader

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "backends"))
from serve_fixture import SERVE_MODEL, serve_server  # noqa: E402,F401 - fixture

KEY = "sk-evalscope-test-0123456789"
MCQ = [
    {"question": "What is 2 + 2?", "A": "3", "B": "4", "C": "5", "D": "6", "answer": "B"},
    {"question": "Which planet is known as the Red Planet?", "A": "Venus", "B": "Jupiter", "C": "Mars", "D": "Saturn", "answer": "C"},
    {"question": "What color is the sky on a clear day?", "A": "Blue", "B": "Green", "C": "Red", "D": "Yellow", "answer": "A"},
]


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def arc_data_dir(dest: Path, dataset_dir: Path, n: int = 3) -> Path:
    """OpenCompass's ARC-c file (AI2 schema) from the first `n` rows of the shared ARC-Challenge test
    set (HF schema): `<dest>/data/ARC/ARC-c/ARC-Challenge-Dev.jsonl`."""
    rows = []
    with open(dataset_dir / "arc" / "ARC-Challenge" / "test.jsonl", encoding="utf-8") as f:
        for line in f:
            item = json.loads(line)
            if len(item["choices"]["label"]) != 4:
                continue
            choices = [{"text": t, "label": lab} for t, lab in zip(item["choices"]["text"], item["choices"]["label"])]
            rows.append({"id": item["id"], "question": {"stem": item["question"], "choices": choices},
                         "answerKey": item["answerKey"]})
            if len(rows) == n:
                break
    write_jsonl(dest / "data" / "ARC" / "ARC-c" / "ARC-Challenge-Dev.jsonl", rows)
    return dest


def write_cfg(path: Path, cfg: dict) -> Path:
    path.write_text(yaml.safe_dump(cfg), encoding="utf-8")
    return path


def run_cli(*args: str):
    return CliRunner().invoke(main, ["eval", "--eval-backend", "OpenCompass", *args])


# -- bad eval_config: one line, before anything runs (no env needed) -------------------------------


@pytest.mark.parametrize(
    ("cfg", "expected"),
    [
        ({"datsets": ["ARC_c"]}, "eval_config: unknown key 'datsets'. Did you mean: datasets?"),
        ({"datasets": ["ARC-c"]}, "eval_config: datasets[0]: unknown OpenCompass dataset 'ARC-c'. Did you mean: ARC_c"),
        ({"datasets": ["gsm8k"], "models": [{"path": "m", "openai_api_base": "http://127.0.0.1:9/v1", "batchsize": 4}]},
         "eval_config: models[0]: unknown key 'batchsize'. Did you mean: batch_size?"),
        ({"datasets": ["gsm8k"], "models": [{"path": "m"}]}, "eval_config: models[0].openai_api_base: required field missing"),
        ({"datasets": ["gsm8k"], "limit": "0:5"}, "eval_config: limit: expected a slice like '[0:100]', got '0:5'"),
        ({"datasets": ["humaneval"]}, "'humaneval' is not run through OpenCompass: it would execute model-written code"),
        ({"datasets": ["gsm8k"], "mode": "eval"}, "eval_config: mode: 'eval' scores an earlier run's answers: set reuse"),
        ({"datasets": ["gsm8k"], "mode": "score"}, "mode: 'score' is not one of all, infer, eval"),
    ],
)
def test_bad_eval_config_names_the_key(tmp_path, cfg, expected):
    result = run_cli("--eval-config", str(write_cfg(tmp_path / "cfg.yaml", cfg)), "--work-dir", str(tmp_path / "out"))
    assert result.exit_code == 1, result.output
    assert result.output.count("\n") == 1 and result.output.startswith("Error: "), result.output
    assert expected in result.output


def test_missing_dataset_file_is_named(tmp_path):
    missing = tmp_path / "data" / "my_mcq.jsonl"
    for datasets in ([str(missing)], [{"path": str(missing), "data_type": "mcq"}]):
        result = run_cli("--eval-config", str(write_cfg(tmp_path / "cfg.yaml", {"datasets": datasets})))
        assert result.exit_code == 1
        assert "eval_config: datasets[0]" in result.output and f"dataset file not found: {missing}" in result.output
    result = run_cli("--eval-config", str(tmp_path / "nope.yaml"))
    assert result.exit_code == 1 and "nope.yaml" in result.output


def test_eval_config_given_inline_as_json(tmp_path):
    result = run_cli("--eval-config", json.dumps({"datasets": ["gsm8k"], "modells": []}))
    assert result.exit_code == 1 and "unknown key 'modells'. Did you mean: models" in result.output


# -- against the real env and a real served model --------------------------------------------------


@pytest.fixture(scope="module")
def opencompass_env() -> Path:
    state = envs.status("opencompass")
    if state.state != "ready":  # scripts/install_dev.sh creates it; in CI its absence is a failure
        pytest.fail(f"the opencompass env is {state.state}; run: evalscope backend install opencompass")
    return envs.env_python("opencompass")


@pytest.fixture
def served(request):
    """The session's real `evalscope serve --model smollm2-135m-instruct` (tests/backends/serve_fixture.py)."""
    return request.getfixturevalue("serve_server")


@pytest.fixture
def quiet_home(tmp_path, monkeypatch):
    """OpenCompass's evaluators and mmengine write caches under $HOME; keep them in the test's tmp."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.delenv("COMPASS_DATA_CACHE", raising=False)
    monkeypatch.delenv("DATASET_SOURCE", raising=False)


@pytest.mark.slow
def test_builtin_dataset_without_its_data_names_the_file(tmp_path, opencompass_env, quiet_home, served):
    cfg = {"datasets": ["gsm8k"], "data_dir": str(tmp_path),
           "models": [{"path": SERVE_MODEL, "openai_api_base": served.base_url}]}
    result = run_cli("--eval-config", str(write_cfg(tmp_path / "cfg.yaml", cfg)), "--work-dir", str(tmp_path / "out"))
    assert result.exit_code == 1, result.output
    assert result.output.startswith("Error: eval_config: datasets: gsm8k: OpenCompass's data file is missing: "
                                    f"{tmp_path}/data/gsm8k"), result.output


@pytest.mark.slow
def test_real_run_prints_the_table_and_lands_in_both_stores(tmp_path, opencompass_env, quiet_home, served, dataset_dir):
    data_dir = arc_data_dir(tmp_path / "compass", dataset_dir)
    mcq = write_jsonl(tmp_path / "my_mcq.jsonl", MCQ)
    cfg = {
        "datasets": ["ARC_c", str(mcq)],
        "models": [{"path": SERVE_MODEL, "openai_api_base": served.base_url, "key": KEY,
                    "batch_size": 4, "max_out_len": 16}],
        "limit": 3,
        "data_dir": str(data_dir),
        "work_dir": str(tmp_path / "ocwork"),
    }
    out = tmp_path / "out"
    result = run_cli("--eval-config", str(write_cfg(tmp_path / "cfg.yaml", cfg)), "--work-dir", str(out), "--no-timestamp")
    assert result.exit_code == 0, result.output
    print(result.output)
    table = result.output
    assert "| Model Name" in table and "| Dataset Name" in table and "| Score" in table
    rows = [line for line in table.splitlines() if line.startswith("| smollm2-135m-instruct")]
    assert {row.split("|")[2].strip() for row in rows} == {"ARC_c", "my_mcq"}, table

    for reader in (open_reader(out / "evalscope.db"), open_reader(out)):
        (run,) = reader.list_runs()
        assert (run.model_id, run.status, sorted(run.datasets)) == (SERVE_MODEL, "finished", ["ARC_c", "my_mcq"])
        reports = {r.dataset_name: r for r in reader.load_reports(run.run_id)}
        assert set(reports) == {"ARC_c", "my_mcq"}
        for name, subset in (("ARC_c", "ARC-c"), ("my_mcq", "my_mcq")):
            report = reports[name]
            assert report.model_name == SERVE_MODEL and report.metrics[0].name == "accuracy"
            assert [s.name for s in report.metrics[0].categories[0].subsets] == [subset]
            assert report.metrics[0].num == 3 and report.counts.scored == 3
            results = [r for r in reader.iter_results(run.run_id) if r.subset == subset]
            assert len(results) == 3
            assert all(r.output.text and r.sample is not None and r.sample.input for r in results)
            # OpenCompass's own number (its summary) is the mean of its per-sample verdicts
            assert report.score == pytest.approx(sum(r.scores["accuracy"] for r in results) / 3, abs=1e-3)
        arc = [r for r in reader.iter_results(run.run_id) if r.subset == "ARC-c"]
        assert {r.gold for r in arc} <= set("ABCD") and "Question:" in str(arc[0].sample.input)

    worker_log = out / "logs" / "opencompass_worker.log"
    assert "worker exit 0" in worker_log.read_text(encoding="utf-8")
    assert list((tmp_path / "ocwork").glob("*/summary/summary_*.csv")), "OpenCompass's own outputs are in work_dir"

    # EvalScope's `reuse: latest`: OpenCompass's finished predictions are reused, the model is not asked again
    asked = served.log_text().count("/v1/chat/completions answered in")
    again = run_cli("--eval-config", str(write_cfg(tmp_path / "cfg2.yaml", {**cfg, "reuse": "latest"})),
                    "--work-dir", str(tmp_path / "out2"), "--no-timestamp")
    assert again.exit_code == 0, again.output
    assert served.log_text().count("/v1/chat/completions answered in") == asked
    (rerun,) = open_reader(tmp_path / "out2").list_runs()
    scores = {r.dataset_name: r.score for r in open_reader(tmp_path / "out2").load_reports(rerun.run_id)}
    assert scores == {name: r.score for name, r in reports.items()}
    for path in tmp_path.rglob("*"):  # the API key reaches no log, report, config dump or database
        if path.is_file() and path.suffix in {".log", ".json", ".jsonl", ".db", ".py", ".csv", ".txt", ".md"}:
            assert KEY.encode() not in path.read_bytes(), path
