"""Judged evaluation runs end to end: strategies, fail-closed accounting per subset and per sample,
verdicts stored in both stores, reuse on --use-cache (counted at the judge server), the key never
written anywhere.

The evaluated model is the mock provider (it answers "The answer is A."); the judge is a scripted
OpenAI-compatible server on 127.0.0.1 (judge_server.py), reached through the real openai adapter.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evalscope.config import TaskConfig
from evalscope.core.ports import ResultFilter
from evalscope.core.serialization import ConfigError
from evalscope.core.stores import open_reader
from evalscope.core.types import SampleStatus
from evalscope.run import run_task

try:
    from .judge_server import judge_server, last_user
except ImportError:  # pytest's rootdir import mode
    from judge_server import judge_server, last_user

QA_ROWS = [
    {"query": "What is the capital of France?", "response": "Paris"},
    {"query": "How many legs does a spider have?", "response": "Eight"},
    {"query": "What color is the sky on a clear day?", "response": "Blue"},
    {"query": "What is the largest planet?", "response": "Jupiter"},
]


def scripted(messages):
    """[[A]] for France, [[B]] for the spider, never a verdict for the sky (even when reminded),
    a conflicting reply for the planet."""
    text = last_user(messages)
    if "France" in text:
        return "The prediction names the capital. [[A]]"
    if "spider" in text:
        return "Wrong count. [[B]]"
    if "planet" in text:
        return "Could be [[A]] or [[B]]."
    return "I am not sure what to say."


@pytest.fixture
def qa_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "qa"
    folder.mkdir()
    (folder / "default.jsonl").write_text("\n".join(json.dumps(r) for r in QA_ROWS) + "\n", encoding="utf-8")
    return folder


def qa_config(qa_dir: Path, work: Path, judge_url: str, **extra) -> dict:
    cfg = {
        "model": "mock",
        "eval_type": "mock",
        "datasets": ["general_qa"],
        "dataset_args": {"general_qa": {"local_path": str(qa_dir)}},
        "judge_strategy": "llm",
        "judge_model_args": {"model_id": "judge", "api_url": judge_url, "max_attempts": 2},
        "judge_worker_num": 2,
        "work_dir": str(work),
    }
    cfg.update(extra)
    return cfg


def test_invalid_verdicts_are_excluded_counted_and_visible(qa_dir, tmp_path):
    with judge_server(scripted) as judge:
        result = run_task(qa_config(qa_dir, tmp_path / "out", judge.base_url), print_table=False)
        # 2 parse at once; the sky and the planet are asked twice (a reminder), then given up
        assert judge.calls == 2 + 2 * 2
    report = result["general_qa"]
    metric = report.metrics[0]
    assert metric.name == "AverageAccuracy"
    assert (metric.score, metric.num) == (0.5, 2)  # France right, spider wrong; the rest excluded, never 0
    subset = metric.categories[0].subsets[0]
    assert subset.counts.invalid == 2 and subset.counts.scored == 2
    assert "2 judge invalid" in subset.counts.describe()
    reader = open_reader(result.run_dir)
    invalid = list(reader.iter_results(result.run_id, ResultFilter(status=SampleStatus.INVALID)))
    assert len(invalid) == 2
    for sample in invalid:
        record = sample.details["judge"]
        (call,) = record["calls"]
        assert call["valid"] is False and call["attempts"] == 2 and len(call["replies"]) == 2
        assert "judge verdict invalid after 2 attempt(s)" in sample.error
        assert call["messages"][-1]["content"].count("[Predicted answer]") == 1  # the prompt is kept
    conflicting = next(s for s in invalid if "planet" in str(s.sample.input))
    assert "conflicting verdicts" in conflicting.details["judge"]["calls"][0]["reason"]


@pytest.mark.parametrize("store", ["workdir", "sqlite"])
def test_rerun_with_use_cache_reuses_valid_verdicts_and_asks_again_for_invalid_ones(qa_dir, tmp_path, store):
    with judge_server(scripted) as judge:
        first = run_task(qa_config(qa_dir, tmp_path / "out", judge.base_url, store=store), print_table=False)
        asked = judge.calls
        again = run_task(qa_config(qa_dir, tmp_path / "out", judge.base_url, store=store, use_cache=first.run_dir), print_table=False)
        # France and the spider are reused; the sky and the planet (invalid) are asked again, twice each
        assert judge.calls == asked + 2 * 2, "a rerun with use_cache calls the judge only for judge-invalid samples"
    assert again.run_dir == first.run_dir
    assert again["general_qa"].stats.cached == 4 and again["general_qa"].stats.inferred == 0  # every answer reused
    assert again["general_qa"].metrics[0].score == first["general_qa"].metrics[0].score
    assert again["general_qa"].counts.invalid == first["general_qa"].counts.invalid == 2
    stored = list(open_reader(first.run_dir).iter_results(first.run_id))
    cached = {s.sample_id: s.details["judge"]["calls"][0]["cached"] for s in stored}
    assert sorted(cached.values()) == [False, False, True, True]


def test_judge_invalid_samples_are_judged_again_on_use_cache(qa_dir, tmp_path):
    """README: a judge-invalid sample is asked again on --use-cache. Its model answer is reused, but
    an invalid verdict is never served from the cache: the judge, valid this time, scores it."""
    state = {"run": 1}

    def unsure_then_sure(messages):
        text = last_user(messages)
        if "France" in text:
            return "[[A]]"
        if state["run"] == 1 and "sky" in text:
            return "I am not sure what to say."
        return "[[B]]"

    with judge_server(unsure_then_sure) as judge:
        first = run_task(qa_config(qa_dir, tmp_path / "out", judge.base_url), print_table=False)
        assert judge.calls == 3 + 2  # the sky asked twice (reminded), then judge invalid
        assert first["general_qa"].counts.invalid == 1
        state["run"], asked = 2, judge.calls
        again = run_task(qa_config(qa_dir, tmp_path / "out", judge.base_url, use_cache=first.run_dir), print_table=False)
        assert judge.calls == asked + 1, "only the judge-invalid sample is judged again"
    report = again["general_qa"]
    assert report.stats.cached == 4 and report.stats.inferred == 0  # no model answer asked again
    assert report.counts.invalid == 0 and (report.metrics[0].score, report.metrics[0].num) == (0.25, 4)
    (sky,) = [s for s in open_reader(again.run_dir).iter_results(again.run_id) if "sky" in str(s.sample.input)]
    assert sky.status is SampleStatus.SCORED and sky.details["judge"]["calls"][0]["cached"] is False


def test_a_judge_that_fails_makes_the_run_fail_and_a_rerun_asks_again(qa_dir, tmp_path):
    """The judge answering 500 for one sample: that sample is errored (not scored, not invalid), the
    run ends failed with the usual resume hint, and --use-cache against a working judge finishes it."""
    from evalscope.core.engine import EvaluationError

    down = {"spider": True}

    def broken_for_the_spider(messages):
        if down["spider"] and "spider" in last_user(messages):
            raise RuntimeError("judge backend down")
        return "[[A]]"

    with judge_server(broken_for_the_spider) as judge:
        cfg = qa_config(qa_dir, tmp_path / "out", judge.base_url)
        cfg["judge_model_args"]["retries"] = 0
        with pytest.raises(EvaluationError, match=r"1 sample\(s\) failed .*judge call failed") as raised:
            run_task(cfg, print_table=False)
        run_dir = next((tmp_path / "out").iterdir())
        assert "--use-cache" in str(raised.value)
        run = open_reader(str(run_dir)).list_runs()[0]
        assert run.status == "failed"
        (errored,) = list(open_reader(str(run_dir)).iter_results(run.run_id, ResultFilter(status=SampleStatus.ERROR)))
        assert "spider" in str(errored.sample.input) and errored.scores == {}
        report = json.loads(next(run_dir.rglob("general_qa.json")).read_text())
        assert report["metrics"][0]["num"] == 3  # the three judged samples; the spider is counted errored, not 0

        down["spider"], asked = False, judge.calls
        again = run_task({**cfg, "use_cache": str(run_dir)}, print_table=False)
        assert judge.calls == asked + 1, "only the errored sample is judged again"
    assert again["general_qa"].metrics[0].num == 4 and again["general_qa"].counts.errored == 0


def test_both_stores_keep_prompt_replies_and_verdict(qa_dir, tmp_path):
    with judge_server(scripted) as judge:
        result = run_task(qa_config(qa_dir, tmp_path / "out", judge.base_url), print_table=False)
    run_dir = Path(result.run_dir)
    for location in (str(run_dir), f"sqlite:///{run_dir / 'evalscope.db'}"):
        reader = open_reader(location)
        france = next(s for s in reader.iter_results(result.run_id) if "France" in str(s.sample.input))
        call = france.details["judge"]["calls"][0]
        assert call["label"] == "A" and call["score"] == 1.0 and call["replies"] == ["The prediction names the capital. [[A]]"]
        assert "What is the capital of France?" in call["messages"][-1]["content"]
        assert call["judge"]["model"] == "judge" and france.details["judge"]["strategy"] == "llm"
        # the rule's own verdict on the judged metric (exact match: "The answer is A." is not "Paris") is kept beside
        assert france.details["rule_scores"] == {"AverageAccuracy": 0.0}


def test_auto_leaves_a_reference_benchmark_to_its_rule_and_dataset_args_opt_in(qa_dir, tmp_path):
    with judge_server(scripted) as judge:
        auto = run_task(qa_config(qa_dir, tmp_path / "a", judge.base_url, judge_strategy="auto"), print_table=False)
        assert judge.calls == 0 and auto["general_qa"].metrics[0].name == "bleu-1"
        opted = qa_config(qa_dir, tmp_path / "b", judge.base_url, judge_strategy="auto")
        opted["dataset_args"]["general_qa"]["judge_strategy"] = "llm"
        result = run_task(opted, print_table=False)
        assert judge.calls > 0 and result["general_qa"].metrics[0].name == "AverageAccuracy"


def test_llm_recall_rechecks_only_what_the_rule_marked_wrong(tmp_path):
    folder = tmp_path / "mcq"
    folder.mkdir()
    rows = ["id,question,A,B,answer"] + [f"{i},Question {i}?,yes,no,{'A' if i < 3 else 'B'}" for i in range(5)]
    (folder / "demo_val.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    with judge_server(lambda m: "[[A]]") as judge:
        cfg = {
            "model": "mock", "eval_type": "mock", "datasets": ["general_mcq"],
            "dataset_args": {"general_mcq": {"local_path": str(folder), "subset_list": ["demo"], "output_type": "generation"}},
            "judge_strategy": "llm_recall", "judge_model_args": {"model_id": "judge", "api_url": judge.base_url},
            "work_dir": str(tmp_path / "out"),
        }
        result = run_task(cfg, print_table=False)
        assert judge.calls == 2  # the mock always answers A: rows 3 and 4 were marked wrong and re-checked
    assert result["general_mcq"].metrics[0].score == 1.0  # the judge accepted both
    # one accuracy-like metric: the recall verdicts are in it, and the report says so
    assert [m.name for m in result["general_mcq"].metrics] == ["AverageAccuracy"]
    assert result["general_mcq"].judge_verdicts == {"AverageAccuracy": "llm_recall"}
    stored = list(open_reader(result.run_dir).iter_results(result.run_id))
    skipped = [s for s in stored if "skipped" in s.details["judge"]]
    assert len(skipped) == 3


def test_llm_recall_on_a_multi_metric_benchmark_never_overwrites_a_rule_metric(qa_dir, tmp_path, capsys):
    """general_qa has 13 rule metrics (BLEU-1..4, ROUGE): the recall verdicts are their own metric
    `llm_recall`, every rule metric keeps the rule's score, and the report and the table say which
    metric holds the judge's verdicts."""
    rows = [*QA_ROWS, {"query": "What does the mock model say?", "response": "The answer is A."}]
    (qa_dir / "default.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    with judge_server(lambda m: "It names the capital. [[A]]" if "France" in last_user(m) else "Wrong. [[B]]") as judge:
        rule = run_task(qa_config(qa_dir, tmp_path / "rule", judge.base_url, judge_strategy="rule"), print_table=False)
        assert judge.calls == 0
        capsys.readouterr()
        recall = run_task(qa_config(qa_dir, tmp_path / "recall", judge.base_url, judge_strategy="llm_recall"))
        # the mock's "The answer is A." matches the last reference (bleu-1 = 1): not re-checked
        assert judge.calls == 4
    printed = capsys.readouterr().out
    rule_scores = {m.name: m.score for m in rule["general_qa"].metrics}
    recall_report = recall["general_qa"]
    recall_scores = {m.name: m.score for m in recall_report.metrics}
    assert len(rule_scores) == 13 and rule_scores["bleu-1"] == 0.2
    assert recall_scores == {**rule_scores, "llm_recall": 0.4}  # France re-checked right, the skipped one right
    assert list(recall_scores)[-1] == "llm_recall" and recall_report.judge_verdicts == {"llm_recall": "llm_recall"}
    saved = json.loads(next(Path(recall.run_dir).rglob("general_qa.json")).read_text())
    assert saved["judge_verdicts"] == {"llm_recall": "llm_recall"}
    assert "general_qa: `llm_recall` holds LLM-judge verdicts (llm_recall: answers the rule marked wrong" in printed
    stored = list(open_reader(recall.run_dir).iter_results(recall.run_id))
    france = next(s for s in stored if "France" in str(s.sample.input))
    assert france.scores["llm_recall"] == 1.0 and france.scores["bleu-1"] == france.details["rule_scores"]["bleu-1"] == 0.0


def test_judge_key_from_the_environment_reaches_the_judge_and_no_file(qa_dir, tmp_path, monkeypatch):
    secret = "sk-judge-4c1d2e3f5a6b7c8d9e0f"
    monkeypatch.setenv("EVALSCOPE_JUDGE_API_KEY", secret)
    with judge_server(scripted) as judge:
        env_run = run_task(qa_config(qa_dir, tmp_path / "env", judge.base_url), print_table=False)
        assert judge.authorizations and all(a == f"Bearer {secret}" for a in judge.authorizations)
    monkeypatch.delenv("EVALSCOPE_JUDGE_API_KEY")
    other = "judge-key-in-config-77aa88bb99cc"
    with judge_server(scripted) as judge:
        cfg = qa_config(qa_dir, tmp_path / "cfg", judge.base_url, debug=True)
        cfg["judge_model_args"]["api_key"] = other
        cfg_run = run_task(cfg, print_table=False)
        assert all(a == f"Bearer {other}" for a in judge.authorizations)
    for run_dir, key in ((env_run.run_dir, secret), (cfg_run.run_dir, other)):
        files = [p for p in Path(run_dir).rglob("*") if p.is_file()]
        assert any(p.suffix == ".db" for p in files) and any(p.name.endswith(".log") for p in files)
        leaked = [str(p) for p in files if key.encode() in p.read_bytes()]
        assert not leaked, f"the judge key was written to {leaked}"
    assert TaskConfig.from_dict(cfg).to_dict()["judge_model_args"]["api_key"] == "***"


def test_a_judged_run_needs_a_judge_model(qa_dir, tmp_path):
    cfg = qa_config(qa_dir, tmp_path / "out", "http://127.0.0.1:9/v1")
    cfg["judge_model_args"] = {}
    with pytest.raises(ConfigError, match="judge_model_args.model_id"):
        run_task(cfg, print_table=False)
    cfg["judge_model_args"] = {"model_id": "judge", "api_url": "http://127.0.0.1:9/v1"}
    with pytest.raises(ConnectionError, match="judge_model_args.api_url"):
        run_task(cfg, print_table=False)


def test_a_reply_that_contradicts_its_verdict_is_asked_again_then_judge_invalid(qa_dir, tmp_path):
    """"[A]\n\nThe answer is incorrect..." (SmolLM2 as judge) is never read as correct: it is asked
    again with the format reminder, and a judge that keeps contradicting itself leaves the sample judge invalid."""

    def self_contradicting(messages):
        text = last_user(messages)
        reminded = len(messages) > 1
        if "France" in text:
            return "[[B]]" if reminded else "[A]\n\nThe answer is incorrect because it does not name Paris."
        if "spider" in text:
            return "[A]\n\nThe answer is incorrect."
        return "The answer is correct. [[A]]"

    with judge_server(self_contradicting) as judge:
        result = run_task(qa_config(qa_dir, tmp_path / "out", judge.base_url), print_table=False)
        assert judge.calls == 2 + 2 + 1 + 1
    report = result["general_qa"]
    assert report.counts.invalid == 1 and (report.metrics[0].score, report.metrics[0].num) == (0.6667, 3)
    stored = {str(s.sample.input): s for s in open_reader(result.run_dir).iter_results(result.run_id)}
    france = next(s for q, s in stored.items() if "France" in q)
    (call,) = france.details["judge"]["calls"]
    assert (france.scores["AverageAccuracy"], call["attempts"], call["label"]) == (0.0, 2, "B")
    spider = next(s for q, s in stored.items() if "spider" in q)
    assert spider.status is SampleStatus.INVALID and "contradicts the reply's own words" in spider.error
