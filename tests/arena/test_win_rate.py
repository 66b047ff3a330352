"""One win rate everywhere: (wins + ties / 2) / battles. general_arena's report, its rating table and
its ratings file, and `evalscope arena`'s table, ratings.json and ratings.csv show the same number for
the same battles (both read the same two earlier eval runs; one scripted judge on 127.0.0.1)."""

from __future__ import annotations

import csv
import json
import math
import re
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from evalscope.arena.ratings import win_rate, win_record
from evalscope.cli.main import main
from evalscope.run import run_task

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "judge"))
from judge_server import judge_server, last_user  # noqa: E402

#: question number -> the model the judge prefers on it (None: a tie), whatever the order shown
ALL_TIES = {0: None, 1: None, 2: None}
MIXED = {0: "good", 1: "bad", 2: None, 3: "good"}  # good vs bad: 2 wins, 1 loss, 1 tie -> 2.5 / 4


def scripted(preferences: dict[int, str | None]):
    def reply(messages):
        text = last_user(messages)
        number = int(re.search(r"Question (\d+)\?", text).group(1))
        first = text.split("[Assistant A's answer]\n", 1)[1]
        wanted = preferences[number]
        if wanted is None:
            return "[[C]]"
        return "[[A]]" if first.startswith(f"{wanted} answer") else "[[B]]"

    return reply


def answer_runs(tmp_path: Path, questions: int) -> dict[str, str]:
    """Two eval runs of general_qa (mock models answering "good answer" / "bad answer")."""
    qa = tmp_path / "qa"
    qa.mkdir()
    rows = [{"query": f"Question {i}?", "response": f"Answer {i}"} for i in range(questions)]
    (qa / "default.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    runs = {}
    for name in ("good", "bad"):
        result = run_task(
            {"model": "mock", "model_id": f"{name}-model", "eval_type": "mock", "model_args": {"reply": f"{name} answer"},
             "datasets": ["general_qa"], "dataset_args": {"general_qa": {"local_path": str(qa)}}, "work_dir": str(tmp_path / name)},
            print_table=False,
        )
        runs[name] = result.run_dir
    return runs


def general_arena(tmp_path: Path, runs: dict[str, str], judge_url: str) -> tuple[str, dict]:
    """`evalscope eval --datasets general_arena` (baseline bad): its output and its ratings file."""
    extra = {"models": [{"name": "bad", "run": runs["bad"]}, {"name": "good", "run": runs["good"]}], "baseline": "bad"}
    args = [
        "eval", "--model", "arena", "--eval-type", "mock", "--datasets", "general_arena",
        "--dataset-args", json.dumps({"general_arena": {"extra_params": extra}}),
        "--judge-model-args", json.dumps({"model_id": "judge", "api_url": judge_url}),
        "--work-dir", str(tmp_path / "general_arena"),
    ]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    (path,) = (tmp_path / "general_arena").rglob("general_arena_ratings.json")
    return result.output, json.loads(path.read_text())


def cli_arena(tmp_path: Path, runs: dict[str, str], judge_url: str, questions: int) -> tuple[str, dict, list[dict]]:
    """`evalscope arena` on the same runs' answers (sample ids are the question ids), baseline bad."""
    folder = tmp_path / "arena"
    folder.mkdir()
    # general_qa numbers its samples from 0; the question text is the run's query
    lines = [json.dumps({"question_id": i, "text": f"Question {i}?"}) for i in range(questions)]
    (folder / "questions.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    cfg = {
        "question_file": "questions.jsonl",
        "models": [{"name": "bad", "run": runs["bad"], "dataset": "general_qa"}, {"name": "good", "run": runs["good"], "dataset": "general_qa"}],
        "mode": "pairwise_baseline",
        "baseline": "bad",
        "judge_model_args": {"model_id": "judge", "api_url": judge_url},
        "bootstrap_rounds": 50,
        "work_dir": "out",
    }
    (folder / "arena.yaml").write_text(yaml.safe_dump(cfg), encoding="utf-8")
    result = CliRunner().invoke(main, ["arena", "--config", str(folder / "arena.yaml")])
    assert result.exit_code == 0, result.output
    (run_dir,) = (folder / "out").iterdir()
    ratings = json.loads((run_dir / "ratings.json").read_text())
    rows = list(csv.DictReader(open(run_dir / "ratings.csv", encoding="utf-8")))
    return result.output, ratings, rows


def table_cell(output: str, model: str, column: str) -> str:
    """A cell of the rating table printed after `| Model | BT rating ... |`."""
    lines = [line for line in output.splitlines() if line.startswith("|")]
    header = next(i for i, line in enumerate(lines) if "BT rating (95% CI)" in line)
    names = [c.strip() for c in lines[header].strip("|").split("|")]
    index = next(i for i, n in enumerate(names) if n.startswith(column))
    row = next(line for line in lines[header + 1 :] if line.startswith(f"| {model} "))
    return [c.strip() for c in row.strip("|").split("|")][index]


def report_score(output: str) -> str:
    """general_arena's report row: the winrate of good against the baseline."""
    row = next(line for line in output.splitlines() if "| winrate " in line and "| good " in line)
    return [c.strip() for c in row.strip("|").split("|")][6]


@pytest.mark.parametrize(("preferences", "expected"), [(ALL_TIES, 0.5), (MIXED, 0.625)], ids=["all-ties", "mixed"])
def test_general_arena_and_the_arena_cli_show_one_win_rate(tmp_path, preferences, expected):
    runs = answer_runs(tmp_path, len(preferences))
    with judge_server(scripted(preferences)) as judge:
        ga_output, ga_ratings = general_arena(tmp_path, runs, judge.base_url)
        cli_output, ratings, csv_rows = cli_arena(tmp_path, runs, judge.base_url, len(preferences))
    # general_arena: the report and its own rating table
    assert report_score(ga_output) == f"{expected:.4f}"
    assert table_cell(ga_output, "good", "Win rate vs bad").startswith(f"{expected:.3f} [")
    ga_good = next(m for m in ga_ratings["models"] if m["model"] == "good")
    assert ga_good["win_rate"] == pytest.approx(expected)
    # evalscope arena: the printed table, ratings.json, ratings.csv
    assert table_cell(cli_output, "good", "Win rate vs bad").startswith(f"{expected:.3f} [")
    good = next(m for m in ratings["models"] if m["model"] == "good")
    assert good["win_rate"] == pytest.approx(expected)
    assert float(next(r for r in csv_rows if r["model"] == "good")["win_rate"]) == pytest.approx(expected)
    # the same battles give the same counts and ratings in both
    for key in ("wins", "losses", "ties", "battles"):
        assert good[key] == ga_good[key], key
    assert good["bt"] == pytest.approx(ga_good["bt"])
    if preferences is ALL_TIES:
        assert (good["wins"], good["losses"], good["ties"]) == (0, 0, 3)
        # every model of an all-tie field: win rate 0.5 and equal Bradley-Terry ratings
        assert [m["win_rate"] for m in ratings["models"]] == [0.5, 0.5]
        assert {r["win_rate"] for r in csv_rows} == {"0.5"}
        assert good["bt"] == pytest.approx(1000.0)
    else:
        assert (good["wins"], good["losses"], good["ties"]) == (2, 1, 1)
        # Bradley-Terry against the baseline: 2.5 of 4 -> 1000 + 400 log10(2.5 / 1.5)
        assert good["bt"] == pytest.approx(1000 + 400 * math.log10(2.5 / 1.5), abs=0.05)


def test_win_rate_counts_ties_half():
    assert win_rate(0, 0, 3) == 0.5
    assert win_rate(2, 1, 1) == 2.5 / 4
    assert win_rate(0, 0, 0) is None
    # the record of "m" against "base": 6 wins, 2 losses, 2 ties -> (6 + 1) / 10; other opponents ignored
    battles = [("m", "base", 1.0)] * 6 + [("m", "base", 0.5)] * 2 + [("base", "m", 1.0)] * 2 + [("m", "other", 0.0)] * 5
    record = win_record(battles, "m", "base", rounds=100)
    assert (record.wins, record.losses, record.ties, record.battles) == (6, 2, 2, 10)
    assert record.win_rate == pytest.approx(0.7)
    assert record.win_rate_ci.low <= 0.7 <= record.win_rate_ci.high


def test_the_site_recomputes_a_ratings_file_of_the_older_definition(tmp_path):
    """A ratings.json written when the win rate counted wins only (no `win_rate_rule`) is not shown:
    the site recomputes the ratings from the stored battles (0.5 for three ties, not the file's 0.0)."""
    from evalscope.arena.site.records import ratings_of
    from evalscope.core.ports import ResultFilter
    from evalscope.core.stores import open_reader

    runs = answer_runs(tmp_path, len(ALL_TIES))
    with judge_server(scripted(ALL_TIES)) as judge:
        cli_arena(tmp_path, runs, judge.base_url, len(ALL_TIES))
    (run_dir,) = (tmp_path / "arena" / "out").iterdir()
    reader = open_reader(str(run_dir))
    (info,) = reader.list_runs(kind="arena")

    def read():
        return list(reader.iter_results(info.run_id, ResultFilter(dataset="arena")))

    assert ratings_of(info, read, None).source == "file"
    path = run_dir / "ratings.json"
    old = json.loads(path.read_text())
    del old["win_rate_rule"]
    for model in old["models"]:
        model["win_rate"], model["score"] = 0.0, 0.5  # what the older code wrote for three ties
    path.write_text(json.dumps(old))
    shown = ratings_of(info, read, None)
    assert shown.source == "records"
    assert [m.win_rate for m in shown.result.models] == [0.5, 0.5]
