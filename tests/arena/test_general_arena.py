"""`general_arena`: battles built from earlier runs' predictions (nothing regenerated), judged by the
judge step of an ordinary eval run; invalid verdicts counted per pair; ratings printed after the report."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from evalscope.core.serialization import ConfigError
from evalscope.core.stores import open_reader
from evalscope.run import run_task

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "judge"))
from judge_server import judge_server, last_user  # noqa: E402

ROWS = [{"query": f"Question {i}?", "response": f"Answer {i}"} for i in range(4)]


def answers_run(tmp_path: Path, name: str, reply: str) -> str:
    qa = tmp_path / "qa"
    qa.mkdir(exist_ok=True)
    (qa / "default.jsonl").write_text("\n".join(json.dumps(r) for r in ROWS) + "\n", encoding="utf-8")
    result = run_task(
        {"model": "mock", "model_id": name, "eval_type": "mock", "model_args": {"reply": reply}, "datasets": ["general_qa"],
         "dataset_args": {"general_qa": {"local_path": str(qa)}}, "work_dir": str(tmp_path / name)},
        print_table=False,
    )
    return result.run_dir


def judge(messages):
    text = last_user(messages)
    if "Question 3?" in text:
        return "no idea"
    first = text.split("[Assistant A's answer]\n", 1)[1]
    return "[[A]]" if first.startswith("good") else "[[B]]"


def test_general_arena_from_earlier_runs(tmp_path, capsys):
    good = answers_run(tmp_path, "good-model", "good answer")
    bad = answers_run(tmp_path, "bad-model", "bad answer")
    with judge_server(judge) as server:
        result = run_task(
            {"model": "arena", "eval_type": "mock", "datasets": ["general_arena"],
             "dataset_args": {"general_arena": {"extra_params": {
                 "models": [{"name": "bad", "run": bad}, {"name": "good", "run": good}], "baseline": "bad"}}},
             "judge_model_args": {"model_id": "judge", "api_url": server.base_url}, "work_dir": str(tmp_path / "arena")},
            print_table=True,
        )
        assert server.calls == 4 * 2 + 2  # 4 battles x 2 orders; question 3's two games reminded once each
    report = result["general_arena"]
    metric = report.metrics[0]
    assert metric.name == "winrate" and (metric.score, metric.num) == (1.0, 3)
    (subset,) = metric.categories[0].subsets
    assert subset.name == "good" and subset.counts.invalid == 1
    out = capsys.readouterr().out
    assert "BT rating (95% CI)" in out and "Battles: 4 judged, 3 valid, 1 judge invalid" in out
    ratings = json.loads((Path(result.run_dir) / "general_arena_ratings.json").read_text())
    assert ratings["models"][0]["model"] == "good" and ratings["models"][0]["wins"] == 3
    stored = list(open_reader(result.run_dir).iter_results(result.run_id))
    assert all(s.details["battle"]["model_b"] == "bad" for s in stored if s.details.get("battle"))


def test_general_arena_needs_runs_and_a_judge(tmp_path):
    with pytest.raises(ConfigError, match="extra_params.models"):
        run_task({"model": "arena", "eval_type": "mock", "datasets": ["general_arena"], "work_dir": str(tmp_path)}, print_table=False)
    good = answers_run(tmp_path, "good-model", "good answer")
    cfg = {"model": "arena", "eval_type": "mock", "datasets": ["general_arena"], "work_dir": str(tmp_path),
           "dataset_args": {"general_arena": {"extra_params": {"models": [{"name": "a", "run": good}, {"name": "b", "run": good}]}}}}
    with pytest.raises(ConfigError, match="judge_model_args.model_id"):
        run_task(cfg, print_table=False)
    with pytest.raises(ConfigError, match="rule"):
        run_task({**cfg, "judge_strategy": "rule"}, print_table=False)
