"""`run_arena` / `evalscope arena` end to end on answer files, judged by a scripted OpenAI-compatible
server on 127.0.0.1: ratings from valid battles only, invalid ones counted, records in both stores
(run kind "arena"), JSON/CSV files, no judge call on a rerun with use_cache, the key in no file."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from evalscope.arena import run_arena
from evalscope.arena.config import arena_config
from evalscope.cli.main import main
from evalscope.core.ports import ResultFilter
from evalscope.core.serialization import ConfigError
from evalscope.core.stores import open_reader
from evalscope.core.types import SampleStatus

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "judge"))
from judge_server import judge_server, last_user  # noqa: E402

QUESTIONS = [{"question_id": i, "text": f"Question number {i}?", "category": "odd" if i % 2 else "even"} for i in range(1, 7)]


def quality(text: str, name: str) -> int:
    return {"strong": 3, "medium": 2, "weak": 1}[text.split(f"[{name}]\n", 1)[1].split(" ", 1)[0]]


def fair_judge(messages):
    """Prefers the better answer (strong > medium > weak) whatever the order; never gives a verdict on
    question 5 (even when reminded)."""
    text = last_user(messages)
    if "Question number 5?" in text:
        return "Hard to say."
    a = quality(text, "Assistant A's answer")
    b = quality(text, "Assistant B's answer")
    return "[[A]]" if a > b else "[[B]]" if b > a else "[[C]]"


@pytest.fixture
def arena_files(tmp_path: Path) -> Path:
    (tmp_path / "questions.jsonl").write_text("\n".join(json.dumps(q) for q in QUESTIONS) + "\n", encoding="utf-8")
    for name in ("strong", "medium", "weak"):
        rows = [{"question_id": q["question_id"], "answer": f"{name} answer to {q['question_id']}"} for q in QUESTIONS]
        (tmp_path / f"{name}.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return tmp_path


def config(folder: Path, judge_url: str, **extra) -> dict:
    cfg = {
        "question_file": str(folder / "questions.jsonl"),
        "models": [{"name": n, "answers_file": str(folder / f"{n}.jsonl")} for n in ("weak", "strong", "medium")],
        "judge_model_args": {"model_id": "judge", "api_url": judge_url},
        "judge_worker_num": 4,
        "bootstrap_rounds": 50,
        "work_dir": str(folder / "out"),
    }
    cfg.update(extra)
    return cfg


def test_pairwise_arena_ratings_from_valid_battles_only(arena_files):
    with judge_server(fair_judge) as judge:
        result = run_arena(config(arena_files, judge.base_url), print_table=False)
        # 3 pairs x 6 questions x 2 orders; question 5's 6 games asked twice each
        assert judge.calls == 3 * 6 * 2 + 6
    assert (result.battles_total, result.battles_valid, result.battles_invalid) == (18, 15, 3)
    assert result.invalid_by_pair == {"weak vs strong": 1, "weak vs medium": 1, "strong vs medium": 1}
    assert [m.model for m in result.models] == ["strong", "medium", "weak"]
    strong, medium, weak = result.models
    assert (strong.wins, strong.losses, strong.ties, strong.battles, strong.judge_invalid) == (10, 0, 0, 10, 2)
    assert (weak.wins, weak.losses) == (0, 10)
    assert strong.bt > medium.bt > weak.bt and strong.elo > medium.elo > weak.elo
    assert strong.bt_ci.low <= strong.bt <= strong.bt_ci.high
    run_dir = Path(result.run_dir)
    saved = json.loads((run_dir / "ratings.json").read_text())
    assert saved["battles_invalid"] == 3 and saved["models"][0]["model"] == "strong"
    rows = list(csv.DictReader(open(run_dir / "ratings.csv")))
    assert [r["model"] for r in rows] == ["strong", "medium", "weak"] and rows[0]["judge_invalid"] == "2"


def test_arena_runs_are_stored_next_to_eval_runs_in_both_stores(arena_files):
    with judge_server(fair_judge) as judge:
        result = run_arena(config(arena_files, judge.base_url), print_table=False)
    run_dir = Path(result.run_dir)
    for location in (str(run_dir.parent), f"sqlite:///{run_dir / 'evalscope.db'}"):
        reader = open_reader(location)
        (run,) = reader.list_runs(kind="arena")
        assert run.run_id == result.run_id and run.status == "finished" and run.datasets == ["arena"]
        (report,) = reader.load_reports(run.run_id)
        assert [m.name for m in report.metrics] == ["score", "bt_rating", "elo", "win_rate"]
        assert report.counts.invalid == 3
        invalid = list(reader.iter_results(run.run_id, ResultFilter(status=SampleStatus.INVALID)))
        assert {r.sample.metadata["question_id"] for r in invalid} == {"5"}
        battle = next(r for r in reader.iter_results(run.run_id, ResultFilter(subset="weak vs strong")) if r.status is SampleStatus.SCORED)
        assert battle.scores == {"score": 0.0} and battle.prediction == "strong"
        games = battle.details["battle"]["games"]
        assert [(g["first"], g["winner"]) for g in games] == [("weak", "strong"), ("strong", "strong")]
        calls = battle.details["judge"]["calls"]
        assert [c["replies"] for c in calls] == [["[[B]]"], ["[[A]]"]] and "strong answer" in calls[0]["messages"][-1]["content"]


def test_rerun_with_use_cache_makes_no_judge_call_and_the_key_is_in_no_file(arena_files, monkeypatch):
    secret = "sk-arena-judge-0a1b2c3d4e5f6a7b"
    monkeypatch.setenv("EVALSCOPE_JUDGE_API_KEY", secret)
    with judge_server(fair_judge) as judge:
        first = run_arena(config(arena_files, judge.base_url, debug=True), print_table=False)
        asked = judge.calls
        again = run_arena(config(arena_files, judge.base_url, use_cache=first.run_dir), print_table=False)
        assert judge.calls == asked
        assert set(judge.authorizations) == {f"Bearer {secret}"}
    assert again.run_dir == first.run_dir and again.judge_calls == 0 and again.judge_cached == asked - 6 + 3 * 0
    assert [(m.model, round(m.bt, 6)) for m in again.models] == [(m.model, round(m.bt, 6)) for m in first.models]
    files = [p for p in Path(first.run_dir).rglob("*") if p.is_file()]
    assert any(p.name == "evalscope.db" for p in files) and any(p.suffix == ".log" for p in files)
    assert not [str(p) for p in files if secret.encode() in p.read_bytes()]


def test_baseline_and_single_modes(arena_files):
    with judge_server(fair_judge) as judge:
        vs = run_arena(config(arena_files, judge.base_url, mode="pairwise_baseline", baseline="medium", position_bias_mitigation="none"), print_table=False)
        assert judge.calls == 2 * 6 + 2  # one game per battle; question 5 reminded once per battle
    assert vs.battles_total == 12 and vs.rating("medium").bt == pytest.approx(1000.0)
    strong = vs.rating("strong")
    assert (strong.versus, strong.wins, strong.battles, strong.win_rate) == ("medium", 5, 5, 1.0)
    assert vs.rating("weak").win_rate == 0.0

    def grader(messages):
        text = last_user(messages)
        return "Rating: [[9]]" if "strong answer" in text else "Rating: [[12]]" if "weak answer" in text else "Rating: [[5]]"

    with judge_server(grader) as judge:
        single = run_arena(config(arena_files, judge.base_url, mode="single"), print_table=False)
    ratings = {m.model: m for m in single.models}
    assert ratings["strong"].mean_rating == 9.0 and ratings["medium"].mean_rating == 5.0
    assert ratings["weak"].mean_rating is None and ratings["weak"].judge_invalid == 6  # 12 is out of range: invalid, never clipped


def test_cli_prints_the_rating_table(arena_files):
    with judge_server(fair_judge) as judge:
        path = arena_files / "arena.yaml"
        import yaml

        cfg = config(arena_files, judge.base_url)
        cfg["question_file"] = "questions.jsonl"  # relative to the config file
        for m in cfg["models"]:
            m["answers_file"] = Path(m["answers_file"]).name
        path.write_text(yaml.safe_dump(cfg), encoding="utf-8")
        result = CliRunner().invoke(main, ["arena", "--config", str(path), "--limit", "4"])
    assert result.exit_code == 0, result.output
    assert "BT rating (95% CI)" in result.output and "| strong" in result.output
    assert "Battles: 12 judged, 12 valid, 0 judge invalid" in result.output


def test_bad_arena_configs_name_the_field(arena_files):
    with pytest.raises(ConfigError, match="baseline"):
        arena_config(config(arena_files, "http://127.0.0.1:9/v1", mode="pairwise_baseline"))
    with pytest.raises(ConfigError, match="exactly one of model"):
        arena_config({**config(arena_files, "x"), "models": [{"name": "a"}, {"name": "b", "answers_file": "f"}]})
    with pytest.raises(ConfigError, match="position_bias_mitigation"):
        arena_config(config(arena_files, "x", position_bias_mitigation="swap"))
    result = CliRunner().invoke(main, ["arena", "--config", str(arena_files / "missing.yaml")])
    assert result.exit_code != 0 and "no such config file" in result.output and "Traceback" not in result.output


@pytest.mark.slow
def test_a_second_arena_on_a_running_arenas_dir_is_refused_naming_the_holder(arena_files):
    """Two `evalscope arena` processes on one run dir: the second (`--use-cache` of the dir the first
    is judging in) exits 1 naming the first, and the first finishes untouched."""
    import subprocess
    import threading
    import time

    import yaml

    release = threading.Event()

    def held_judge(messages):  # the first verdict waits until the second arena has been refused
        release.wait(30)
        return fair_judge(messages)

    with judge_server(held_judge) as judge:
        path = arena_files / "arena.yaml"
        path.write_text(yaml.safe_dump(config(arena_files, judge.base_url, limit=2)), encoding="utf-8")
        cmd = [sys.executable, "-m", "evalscope.cli.main", "arena", "--config", str(path)]
        first = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            for _ in range(600):  # the first is judging: its run dir exists and is written
                if judge.calls or first.poll() is not None:
                    break
                time.sleep(0.1)
            assert judge.calls, first.stderr.read() if first.poll() is not None else "the first arena never asked the judge"
            (run_dir,) = (arena_files / "out").iterdir()
            second = subprocess.run([*cmd, "--use-cache", str(run_dir)], capture_output=True, text=True, timeout=60)
        finally:
            release.set()
        assert first.wait(timeout=120) == 0, first.stderr.read()[-2000:]
    assert second.returncode == 1, second.stderr[-2000:]
    (error,) = [line for line in second.stderr.splitlines() if line.startswith("Error:")]
    assert f"{run_dir}: in use by pid {first.pid} on " in error and "Traceback" not in second.stderr
    (run,) = open_reader(str(arena_files / "out")).list_runs(kind="arena")
    assert run.status == "finished" and run.work_dir == str(run_dir)
