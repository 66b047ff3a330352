"""The real judge: SmolLM2-135M-Instruct served by `evalscope serve` on 127.0.0.1 judges (1) a
general_qa run with judge_strategy llm, rerun with --use-cache making zero judge calls (counted in
the server's own request log), and (2) an arena between SmolLM2 at temperature 0 and 0.8 run from
the CLI. A 135M model is a poor judge: many replies do not parse; the tests check they are counted
and left out, whatever their number."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from evalscope.cli.main import main
from evalscope.core.stores import open_reader
from evalscope.core.types import SampleStatus

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "backends"))
from serve_fixture import start_serve  # noqa: E402

pytestmark = pytest.mark.slow
ANSWERED = "/v1/chat/completions answered in"


@pytest.fixture(scope="module")
def judge_serve():
    server = start_serve(batch_size=8)
    yield server
    server.stop()


def judge_calls(server) -> int:
    return server.log_text().count(ANSWERED)


def test_judged_general_qa_and_rerun_asks_only_about_judge_invalid_samples(judge_serve, tmp_path):
    qa = tmp_path / "qa"
    qa.mkdir()
    rows = [
        {"query": "What is the capital of France?", "response": "Paris"},
        {"query": "What is 2 + 2?", "response": "4"},
        {"query": "What color is grass?", "response": "Green"},
    ]
    (qa / "default.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    judge = json.dumps({"model_id": "smollm2-135m-instruct", "api_url": judge_serve.base_url,
                        "generation_config": {"max_tokens": 24}, "max_attempts": 2})
    args = ["eval", "--model", "mock", "--eval-type", "mock", "--datasets", "general_qa",
            "--dataset-args", json.dumps({"general_qa": {"local_path": str(qa)}}),
            "--judge-strategy", "llm", "--judge-model-args", judge, "--judge-worker-num", "4", "--work-dir", str(tmp_path / "out")]
    before = judge_calls(judge_serve)
    first = CliRunner().invoke(main, args)
    assert first.exit_code == 0, first.output
    asked = judge_calls(judge_serve) - before
    assert 3 <= asked <= 6  # one call per answer, a second one for each reply that did not parse
    run_dir = next((tmp_path / "out").iterdir())
    reader = open_reader(str(run_dir))
    (run,) = reader.list_runs()
    results = list(reader.iter_results(run.run_id))
    invalid = [r for r in results if r.status is SampleStatus.INVALID]
    scored = [r for r in results if r.status is SampleStatus.SCORED]
    assert len(invalid) + len(scored) == 3
    assert sum(len(r.details["judge"]["calls"][0]["replies"]) for r in results) == asked
    (report,) = reader.load_reports(run.run_id)
    assert report.counts.invalid == len(invalid) and report.metrics[0].num == len(scored)
    if invalid:
        assert f"{len(invalid)} judge invalid" in first.output
    again = CliRunner().invoke(main, [*args, "--use-cache", str(run_dir)])
    assert again.exit_code == 0, again.output
    # valid verdicts are reused; each judge-invalid sample is asked again (1 or 2 calls), its answer reused
    rerun = judge_calls(judge_serve) - before - asked
    assert len(invalid) <= rerun <= 2 * len(invalid), "the rerun with --use-cache asks only about judge-invalid samples"


def test_arena_of_two_temperatures_from_the_cli(judge_serve, tmp_path):
    questions = [{"question_id": i, "text": t, "category": "general"} for i, t in
                 enumerate(["What is the capital of France?", "Name a fruit.", "What is 3 + 4?"], 1)]
    (tmp_path / "questions.jsonl").write_text("\n".join(json.dumps(q) for q in questions) + "\n", encoding="utf-8")
    gen = {"max_tokens": 16}
    cfg = {
        "question_file": "questions.jsonl",
        "models": [
            {"name": "t0", "model": "smollm2-135m-instruct", "generation_config": {**gen, "temperature": 0, "do_sample": False}, "eval_batch_size": 4},
            {"name": "t08", "model": "smollm2-135m-instruct", "generation_config": {**gen, "temperature": 0.8, "do_sample": True}, "eval_batch_size": 4},
        ],
        "judge_model_args": {"model_id": "smollm2-135m-instruct", "api_url": judge_serve.base_url, "generation_config": {"max_tokens": 24}},
        "judge_worker_num": 4,
        "bootstrap_rounds": 50,
        "work_dir": "out",
    }
    (tmp_path / "arena.yaml").write_text(yaml.safe_dump(cfg), encoding="utf-8")
    before = judge_calls(judge_serve)
    result = CliRunner().invoke(main, ["arena", "--config", str(tmp_path / "arena.yaml")])
    assert result.exit_code == 0, result.output
    assert "BT rating (95% CI)" in result.output and "| t0 " in result.output and "| t08 " in result.output
    ratings = json.loads(next((tmp_path / "out").glob("*/ratings.json")).read_text())
    assert ratings["battles_total"] == 3
    assert ratings["battles_valid"] + ratings["battles_invalid"] == 3
    assert f"{ratings['battles_invalid']} judge invalid" in result.output
    assert sum(m["battles"] for m in ratings["models"]) == 2 * ratings["battles_valid"]
    asked = judge_calls(judge_serve) - before
    # 3 battles x 2 orders, a reminder where a reply did not parse; identical prompts (two equal answers)
    # may be answered once by the server
    assert 1 <= asked <= 12 and ratings["judge_calls"] >= asked
