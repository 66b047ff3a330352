"""`evalscope arena` on inputs that cannot make an arena: answers for ids that are no question, ids
given twice, a config file that is empty or too large, no battle to judge, a judge that cannot be
asked. Each ends with one `Error:` line and exit 1 (never an empty rating table with exit 0); the
judge's failure leaves a failed run that `--use-cache` finishes."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from evalscope.cli.main import main
from evalscope.core.stores import open_reader
from tests.conftest import find_free_port

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "judge"))
from judge_server import judge_server, last_user  # noqa: E402


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    write_jsonl(tmp_path / "questions.jsonl", [{"question_id": i, "text": f"Question {i}?"} for i in (1, 2, 3)])
    for name in ("a", "b"):
        write_jsonl(tmp_path / f"{name}.jsonl", [{"question_id": i, "answer": f"{name} says {i}"} for i in (1, 2, 3)])
    return tmp_path


def arena(folder: Path, judge_url: str = "http://127.0.0.1:9/v1", **extra) -> tuple[int, str]:
    cfg = {
        "question_file": "questions.jsonl",
        "models": [{"name": "a", "answers_file": "a.jsonl"}, {"name": "b", "answers_file": "b.jsonl"}],
        "judge_model_args": {"model_id": "judge", "api_url": judge_url, "retries": 0},
        "bootstrap_rounds": 20,
        "work_dir": "out",
    }
    cfg.update(extra)
    (folder / "arena.yaml").write_text(yaml.safe_dump(cfg), encoding="utf-8")
    result = CliRunner().invoke(main, ["arena", "--config", str(folder / "arena.yaml")])
    return result.exit_code, result.output


def one_error(output: str) -> str:
    errors = [line for line in output.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and "Traceback" not in output, output
    assert "BT rating" not in output, output  # no rating table
    return errors[0]


def test_an_answer_to_no_question_is_an_error_naming_file_and_line(folder):
    write_jsonl(folder / "b.jsonl", [{"question_id": 1, "answer": "x"}, {"question_id": 9, "answer": "y"}])
    code, output = arena(folder)
    assert code == 1
    assert f"{folder / 'b.jsonl'}:2: question_id '9' is not a question" in one_error(output)
    assert not (folder / "out").exists()  # refused before any run dir is made


def test_a_duplicate_answer_id_is_an_error_naming_both_lines(folder):
    write_jsonl(folder / "a.jsonl", [{"question_id": 1, "answer": "x"}, {"question_id": 2, "answer": "y"}, {"question_id": 1, "answer": "z"}])
    code, output = arena(folder)
    assert code == 1
    path = folder / "a.jsonl"
    assert f"{path}:3: question_id '1' appears twice (first at {path}:1)" in one_error(output)


def test_reference_ids_are_checked_like_answers(folder):
    write_jsonl(folder / "ref.jsonl", [{"question_id": 1, "answer": "r"}, {"question_id": 7, "answer": "r"}])
    code, output = arena(folder, reference_file="ref.jsonl")
    assert code == 1 and "ref.jsonl:2: question_id '7' is not a question" in one_error(output)


def test_an_answer_beyond_limit_is_still_a_question(folder):
    """--limit keeps the first N questions; answers to the others are no error (and no battle)."""
    with judge_server(lambda messages: "[[C]]") as judge:
        code, output = arena(folder, judge.base_url, limit=1)
    assert code == 0, output
    assert "Battles: 1 judged, 1 valid" in output


def test_config_files_get_the_core_loaders_checks(folder):
    empty = folder / "empty.yaml"
    empty.write_text("  \n", encoding="utf-8")
    result = CliRunner().invoke(main, ["arena", "--config", str(empty)])
    assert result.exit_code == 1 and f"{empty}: the file is empty" in one_error(result.output)
    big = folder / "big.yaml"
    big.write_text("# padding\n" * 120_000, encoding="utf-8")  # 1.2 MB, over the 1 MiB limit for config files
    result = CliRunner().invoke(main, ["arena", "--config", str(big)])
    assert result.exit_code == 1 and "too large for a config file" in one_error(result.output)


def test_zero_battles_is_an_error_not_an_empty_table(folder):
    """Two models that answered different questions: nothing to judge."""
    write_jsonl(folder / "a.jsonl", [{"question_id": 1, "answer": "x"}])
    write_jsonl(folder / "b.jsonl", [{"question_id": 2, "answer": "y"}, {"question_id": 3, "answer": "z"}])
    with judge_server(lambda messages: "[[C]]") as judge:
        code, output = arena(folder, judge.base_url)
        assert judge.calls == 0
    assert code == 1
    line = one_error(output)
    assert "no battle to judge" in line and "a: 1, b: 2" in line
    assert not list((folder / "out").rglob("ratings.json"))


def test_single_mode_without_an_answer_to_grade_is_an_error(folder):
    """One model whose run answered none of the questions (its sample ids are other ids)."""
    from evalscope.run import run_task

    qa = folder / "qa"
    qa.mkdir()
    write_jsonl(qa / "default.jsonl", [{"query": "Something else?", "response": "x"}])

    run = run_task(
        {"model": "mock", "eval_type": "mock", "datasets": ["general_qa"], "dataset_args": {"general_qa": {"local_path": str(qa)}},
         "work_dir": str(folder / "runs")},
        print_table=False,
    )
    write_jsonl(folder / "questions.jsonl", [{"question_id": "q1", "text": "Question 1?"}])
    with judge_server(lambda messages: "[[5]]") as judge:
        code, output = arena(folder, judge.base_url, mode="single", models=[{"name": "solo", "run": run.run_dir, "dataset": "general_qa"}])
    assert code == 1 and "no battle to judge: no model answered any question" in one_error(output)


def test_a_judge_that_refuses_connections_stops_the_arena_before_it_starts(folder):
    port = find_free_port()  # nothing listens there
    code, output = arena(folder, f"http://127.0.0.1:{port}/v1")
    assert code == 1
    line = one_error(output)
    assert f"Cannot reach the API at http://127.0.0.1:{port}/v1" in line and "judge_model_args.api_url" in line
    assert not (folder / "out").exists()


def test_a_judge_answering_500_stops_the_run_and_use_cache_finishes_it(folder):
    down = {"q2": True}

    def judge(messages):
        if down["q2"] and "Question 2?" in last_user(messages):
            raise RuntimeError("judge backend down")  # the server answers 500
        return "[[C]]"

    with judge_server(judge) as server:
        code, output = arena(folder, server.base_url, judge_worker_num=1)
        assert code == 1 and "the judge could not be asked" in one_error(output)
        (run_dir,) = (folder / "out").iterdir()
        (run,) = open_reader(str(run_dir)).list_runs(kind="arena")
        assert run.status == "failed"
        down["q2"] = False
        result = CliRunner().invoke(main, ["arena", "--config", str(folder / "arena.yaml"), "--use-cache", str(run_dir)])
    assert result.exit_code == 0, result.output
    assert "Battles: 3 judged, 3 valid, 0 judge invalid" in result.output
    (run,) = open_reader(str(run_dir)).list_runs(kind="arena")
    assert run.status == "finished"
