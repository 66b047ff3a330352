"""`evalscope eval --config FILE --judge-model-args ...`: the flag overrides the file's judge settings
key by key (as --model-args does the file's model_args), and the table names the metric that holds
the judge's verdicts. Real CLI (click's runner, in process), the mock model, a scripted judge on
127.0.0.1."""

from __future__ import annotations

import json

import yaml
from click.testing import CliRunner

from evalscope.cli.main import main
from evalscope.core.stores import open_reader

try:
    from .judge_server import judge_server, last_user
except ImportError:  # pytest's rootdir import mode
    from judge_server import judge_server, last_user

ROWS = [
    {"query": "What is the capital of France?", "response": "Paris"},
    {"query": "What color is the sky on a clear day?", "response": "Blue"},
]


def test_judge_model_args_flag_merges_with_the_config_file(tmp_path):
    data = tmp_path / "qa"
    data.mkdir()
    (data / "default.jsonl").write_text("\n".join(json.dumps(r) for r in ROWS) + "\n", encoding="utf-8")

    def reply(messages):  # the sky never gets a verdict: it shows how many attempts were allowed
        return "It names Paris. [[A]]" if "France" in last_user(messages) else "Hard to say."

    with judge_server(reply) as judge:
        config = tmp_path / "task.yaml"
        config.write_text(yaml.safe_dump({
            "model": "mock", "eval_type": "mock", "model_args": {"reply": "Paris"},
            "datasets": ["general_qa"], "dataset_args": {"general_qa": {"local_path": str(data)}},
            "judge_strategy": "llm",
            "judge_model_args": {"model_id": "judge", "api_url": judge.base_url, "max_attempts": 1,
                                 "generation_config": {"max_tokens": 64}},
            "work_dir": str(tmp_path / "out"),
        }))
        result = CliRunner().invoke(main, [
            "eval", "--config", str(config), "--model-args", "delay=0",
            "--judge-model-args", '{"max_attempts": 3, "generation_config": {"temperature": 0.5}}',
        ])
        assert result.exit_code == 0, result.output
        assert judge.calls == 1 + 3  # the file's api_url and model_id kept; the flag's max_attempts used
    assert "general_qa: `AverageAccuracy` holds LLM-judge verdicts (llm: every answer graded by the judge)" in result.output
    run_dir = next(p.parent for p in (tmp_path / "out").rglob("run.json"))
    reader = open_reader(str(run_dir))
    stored = list(reader.iter_results(reader.list_runs()[0].run_id))
    assert {s.prediction for s in stored} == {"Paris"}  # --model-args kept the file's reply
    calls = {str(s.sample.input): s.details["judge"]["calls"][0] for s in stored}
    sky = next(c for q, c in calls.items() if "sky" in q)
    assert sky["attempts"] == 3 and not sky["valid"]
    generation = sky["judge"]["generation"]
    assert (generation["max_tokens"], generation["temperature"]) == (64, 0.5)  # nested settings merged too
    assert sky["judge"]["model"] == "judge"

