"""`arena_hard`: Arena-Hard-Auto v0.1 on the shipped questions and gpt-4-0314 answers, judged by a
scripted judge server on 127.0.0.1 with known verdicts per (question, order). The reported win rate
is checked against the closed form of the Bradley-Terry fit with one opponent (the weighted win
share, ties half), and judge-invalid questions, position disagreements, lengths, the user's
baselines (an answers file, another run) and resume are checked as the user sees them."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

from evalscope.core.judge.sample import judge_protocols
from evalscope.core.registry import _load, benchmarks
from evalscope.core.serialization import ConfigError
from evalscope.core.stores import open_reader
from evalscope.run import run_task

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "judge"))
from judge_server import judge_server, last_user  # noqa: E402

PYPROJECT = Path(__file__).resolve().parents[2] / "packages" / "evalscope-arena" / "pyproject.toml"
MODEL_REPLY = "MODEL-ANSWER: a short reply of the model under test"


@pytest.fixture(autouse=True)
def registered():
    """arena_hard as the arena package's pyproject declares it (an installed evalscope-arena older than
    this entry point has not got it until `pip install -e packages/evalscope-arena` runs again)."""
    text = PYPROJECT.read_text(encoding="utf-8")
    for registry, group in (
        (benchmarks, "evalscope.benchmarks"),
        (judge_protocols, "evalscope.judge_protocols"),
    ):
        section = text.split(f'[project.entry-points."{group}"]', 1)[1].split("\n[", 1)[0]
        target = re.search(r'^arena_hard = "([^"]+)"', section, re.MULTILINE).group(1)
        if "arena_hard" not in registry:
            registry.register("arena_hard", _load(target))


def questions(dataset_dir: Path, n: int) -> list[dict]:
    rows = (dataset_dir / "arena_hard" / "question.jsonl").read_text(encoding="utf-8").splitlines()[:n]
    return [json.loads(r) for r in rows]


def gpt4_answers(dataset_dir: Path) -> dict[str, str]:
    rows = (
        (dataset_dir / "arena_hard" / "model_answer_gpt-4-0314.jsonl")
        .read_text(encoding="utf-8")
        .splitlines()
    )
    return {r["uid"]: r["messages"][-1]["content"]["answer"] for r in map(json.loads, rows)}


def scripted(qs: list[dict], plan: dict[int, tuple[str, str]]):
    """A judge that answers plan[question index] = (verdict with the model as A, with the model as B);
    "?" means a reply without a verdict (also after the reminder)."""

    def reply(messages: list[dict]) -> str:
        assert messages[0]["role"] == "system" and messages[0]["content"].startswith(
            "Please act as an impartial judge"
        )
        text = last_user(messages)
        prompt = text.split("<|User Prompt|>\n", 1)[1]
        index = next(
            i for i, q in enumerate(qs) if prompt.startswith(q["prompt"] + "\n\n<|The Start of Assistant A")
        )
        model_first = text.split("<|The Start of Assistant A's Answer|>\n", 1)[1].startswith(MODEL_REPLY)
        verdict = plan[index][0 if model_first else 1]
        reminded = len(messages) > 2
        if verdict == "?":
            return "Both answers have merit; I cannot decide."
        if verdict.startswith("conflict:") and not reminded:
            return "[[A>B]] at first sight, but on reflection [[B>A]]"
        return f"My final verdict is: [[{verdict.removeprefix('conflict:')}]]"

    return reply


#: per question: (verdict with the model as A, verdict with the model as B); the model's battles
PLAN = {
    0: ("A>>B", "B>A"),  # model wins strongly, then slightly: 3 + 1 wins; orders agree
    1: ("A=B", "B=A"),  # 2 ties; agree
    2: ("A>B", "A>B"),  # the judge prefers whoever is first: 1 win, 1 loss; the orders DISAGREE
    3: ("?", "conflict:B>>A"),  # no verdict as A even after the reminder: question judge invalid
    4: ("B>>A", "A>>B"),  # model loses strongly twice: 6 losses; agree
}


def config(tmp_path: Path, base_url: str, limit: int = 5, **extra) -> dict:
    return {
        "model": "mock",
        "model_id": "candidate",
        "eval_type": "mock",
        "model_args": {"reply": MODEL_REPLY},
        "datasets": ["arena_hard"],
        "limit": limit,
        "work_dir": str(tmp_path / "out"),
        "judge_model_args": {"model_id": "judge", "api_url": base_url},
        **extra,
    }


def test_win_rate_invalid_counts_and_position_bias_equal_the_hand_computation(dataset_dir, tmp_path, capsys):
    qs = questions(dataset_dir, 5)
    with judge_server(scripted(qs, PLAN)) as judge:
        result = run_task(config(tmp_path, judge.base_url), print_table=True)
        # 5 questions x 2 orders, plus one reminder for question 3 in each order
        assert judge.calls == 12
        out = capsys.readouterr().out

        # hand computation: wins 3+1+1 = 5, losses 1+6 = 7, ties 2 (question 3 left out). With a single
        # opponent the Bradley-Terry MLE of P(model beats baseline) maximises
        # (W + T/2) log p + (L + T/2) log(1 - p), so p = (W + T/2) / N = 6 / 14.
        wins, losses, ties = 5, 7, 2
        expected = (wins + ties / 2) / (wins + losses + ties)
        report = result["arena_hard"]
        scores = {m.name: m for m in report.metrics}
        assert scores["winrate"].score == pytest.approx(expected, abs=1e-4) and scores["winrate"].num == 4
        assert scores["winrate_lower"].score < expected < scores["winrate_upper"].score
        assert scores["position_bias_rate"].score == pytest.approx(1 / 4)
        answers = gpt4_answers(dataset_dir)
        judged = [qs[i]["uid"] for i in (0, 1, 2, 4)]
        assert scores["mean_len_model_chars"].score == pytest.approx(len(MODEL_REPLY))
        assert scores["mean_len_baseline_chars"].score == pytest.approx(
            sum(len(answers[u]) for u in judged) / 4, abs=1e-3
        )
        assert report.counts.invalid == 1 and report.counts.scored == 4
        # the generic judge quality: 10 games asked, 1 without a verdict, 4 pairs of which 1 disagreed
        quality = report.judge_quality
        assert (quality.asked, quality.invalid, quality.pairs, quality.position_disagreements) == (10, 1, 4, 1)
        assert "arena_hard: judge: 1 of 10 judgement(s) invalid (10.0%)" in out
        assert "both orders disagreed on 1 of 4 pair(s)" in out

        # what the user reads: the table, then the judge's figures
        assert re.search(r"\| winrate\s+\|.*\| 4\s+\| 0\.4286\s+\| 1 judge invalid", out)
        assert "arena_hard: win rate vs gpt-4-0314 0.4286 [" in out
        assert "(Bradley-Terry over 14 battles: 5 won, 7 lost, 2 tied;" in out
        assert (
            "4 of 5 question(s) judged in both orders; 1 judge invalid (1 of 10 games without a verdict)"
            in out
        )
        assert "position bias: the two orders disagreed on 1 of 4 (0.2500)" in out
        assert "mean answer length in characters" in out
        summary = json.loads((Path(result.run_dir) / "arena_hard_summary_candidate.json").read_text())
        assert summary["overall"]["disagreements"] == 1 and summary["overall"]["invalid_games"] == 1

        # stored per question: both games, the replies, Arena-Hard's judge settings
        stored = {r.sample_id: r for r in open_reader(result.run_dir).iter_results(result.run_id)}
        bad = stored[qs[3]["uid"]]
        assert bad.status.value == "invalid" and "model as A: no verdict" in bad.error
        assert [g["valid"] for g in bad.details["arena_hard"]["games"]] == [False, True]
        generation = stored[qs[0]["uid"]].details["judge"]["judge"]["generation"]
        assert generation["max_tokens"] == 4096 and generation["temperature"] == 0.0
        assert stored[qs[2]["uid"]].details["arena_hard"]["games"][1]["model_view"] == "B>A"

        # resume: the answers and every valid verdict are reused; only question 3's invalid game is asked again
        again = run_task(config(tmp_path, judge.base_url, use_cache=result.run_dir), print_table=False)
        assert judge.calls == 12 + 2
        assert again["arena_hard"].metrics[0].score == report.metrics[0].score


def test_a_users_baseline_file_or_run_works_the_same_and_resume_asks_nothing(dataset_dir, tmp_path):
    qs = questions(dataset_dir, 3)
    answers = tmp_path / "ckpt1.jsonl"
    answers.write_text(
        "".join(
            json.dumps({"question_id": q["uid"], "answer": f"ckpt1 answer {i}"}) + "\n"
            for i, q in enumerate(qs)
        ),
        encoding="utf-8",
    )
    plan = {0: ("A>B", "B>A"), 1: ("A=B", "A=B"), 2: ("B>A", "A>B")}  # 2 wins, 2 ties, 2 losses
    with judge_server(scripted(qs, plan)) as judge:
        result = run_task(
            config(
                tmp_path,
                judge.base_url,
                limit=3,
                dataset_args={"arena_hard": {"extra_params": {"baseline": str(answers)}}},
            ),
            print_table=False,
        )
        assert judge.calls == 6
        sent = [last_user(m) for m in judge.requests]
        gpt4 = gpt4_answers(dataset_dir)
        assert any("ckpt1 answer 0" in s for s in sent) and not any(
            gpt4[q["uid"]][:100] in s for q in qs for s in sent
        )
        assert result["arena_hard"].metrics[0].score == pytest.approx(0.5)
        again = run_task(
            config(
                tmp_path,
                judge.base_url,
                limit=3,
                use_cache=result.run_dir,
                dataset_args={"arena_hard": {"extra_params": {"baseline": str(answers)}}},
            ),
            print_table=False,
        )
        assert judge.calls == 6, "a resumed run asks the judge nothing again"
        assert again["arena_hard"].metrics[0].score == pytest.approx(0.5)

        # another run's answers through the store: the first run of "candidate" is the baseline of a second
        run_b = {
            **config(tmp_path, judge.base_url, limit=3),
            "work_dir": str(tmp_path / "b"),
            "dataset_args": {"arena_hard": {"extra_params": {"baseline": result.run_dir}}},
        }
        before = judge.calls
        # the model and the baseline give the same text: the judge sees MODEL_REPLY on both sides, first as A
        vs_run = run_task(run_b, print_table=False)
        assert judge.calls == before + 6
        stored = next(iter(open_reader(vs_run.run_dir).iter_results(vs_run.run_id)))
        assert stored.details["arena_hard"]["baseline_answer"] == MODEL_REPLY
        names = {m.name for m in vs_run["arena_hard"].metrics}
        assert "mean_len_model_tokens" in names, "both sides counted their tokens: lengths in tokens"


def test_bad_baseline_input_is_one_error_naming_file_and_line(tmp_path):
    bad = tmp_path / "answers.jsonl"
    bad.write_text(
        '{"question_id": "q1", "answer": "x"}\n{"question_id": "q1", "answer": "y"}\n', encoding="utf-8"
    )
    cfg = {
        "model": "mock",
        "eval_type": "mock",
        "datasets": ["arena_hard"],
        "limit": 1,
        "work_dir": str(tmp_path / "o"),
        "judge_model_args": {"model_id": "judge", "api_url": "http://127.0.0.1:9/v1"},
    }
    for value, message in [
        (str(bad), f"{bad}:2: question_id 'q1' appears twice (first at {bad}:1)"),
        (str(tmp_path / "missing.jsonl"), "no such file or run dir"),
    ]:
        with pytest.raises(ConfigError, match=re.escape(message)):
            run_task(
                {**cfg, "dataset_args": {"arena_hard": {"extra_params": {"baseline": value}}}},
                print_table=False,
            )
    bad.write_text('{"question_id": "q1"}\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=re.escape(f"{bad}:1: needs question_id and answer")):
        run_task(
            {**cfg, "dataset_args": {"arena_hard": {"extra_params": {"baseline": str(bad)}}}},
            print_table=False,
        )


def test_judge_prompt_and_patterns_are_the_shipped_files(dataset_dir):
    import yaml

    from evalscope.arena import arena_hard_judge as ah

    folder = dataset_dir / "arena_hard"
    assert ah.SYSTEM_PROMPT == (folder / "judge_system_prompt_v0.1.txt").read_text(encoding="utf-8")
    settings = yaml.safe_load((folder / "arena-hard-v0.1.yaml").read_text(encoding="utf-8"))
    assert ah.PROMPT_TEMPLATE == settings["prompt_template"]
    assert list(ah.REGEX_PATTERNS) == settings["regex_patterns"]
    assert (ah.TEMPERATURE, ah.MAX_TOKENS) == (settings["temperature"], settings["max_tokens"])


@pytest.mark.parametrize(
    ("reply", "label"),
    [
        ("My final verdict is tie: [[A=B]]", "A=B"),
        ("[[B=A]]", "A=B"),
        ("Assistant B is better [B>>A]", "B>>A"),  # the yaml's second pattern
        ("[[A>B]] ... in short [A>B]", "A>B"),
        ("[[A>B]] at first, but [[B>A]]", None),  # two different verdicts: fail closed
        ("[[A]]", None),  # not a verdict
        ("<think>[[A>>B]]</think> no verdict", None),
    ],
)
def test_verdict_reading_fails_closed(reply, label):
    from evalscope.arena.arena_hard_judge import verdict_parser

    verdict = verdict_parser()(reply)
    assert verdict.label == label and verdict.valid is (label is not None)


@pytest.mark.slow
def test_real_smollm2_answers_a_prompt_judged_by_smollm2_behind_serve(tmp_path):
    """SmolLM2-135M answers one prompt and judges it (both orders) against gpt-4-0314 behind `evalscope serve`.
    A 135M judge rarely writes a verdict label: the test checks every outcome is counted, whatever the numbers."""
    from click.testing import CliRunner

    from evalscope.cli.main import main

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "backends"))
    from serve_fixture import start_serve

    server = start_serve(batch_size=8)
    try:
        judge = {
            "model_id": "smollm2-135m-instruct",
            "api_url": server.base_url,
            "generation_config": {"max_tokens": 24},
            "max_attempts": 1,  # CI time: the judge prompt is long on a CPU (more prompts: docs/arena.md)
        }
        args = [
            "eval",
            "--model",
            "smollm2-135m-instruct",
            "--eval-type",
            "service",
            "--api-url",
            server.base_url,
            "--datasets",
            "arena_hard",
            "--limit",
            "1",
            "--generation-config",
            '{"max_tokens": 32, "temperature": 0}',
            "--judge-model-args",
            json.dumps(judge),
            "--judge-worker-num",
            "4",
            "--work-dir",
            str(tmp_path / "out"),
        ]
        first = CliRunner().invoke(main, args)
        print(first.output)
        assert first.exit_code == 0, first.output
        asked = server.log_text().count("/v1/chat/completions answered in") - 1  # less the answer
        run_dir = next((tmp_path / "out").iterdir())
        (summary_file,) = run_dir.glob("arena_hard_summary_*.json")
        s = json.loads(summary_file.read_text())["overall"]
        assert s["questions"] == 1 and s["judged"] + s["judge_invalid"] + s["skipped"] + s["errored"] == 1
        assert "position bias: the two orders disagreed on" in first.output
        results = list(
            open_reader(str(run_dir)).iter_results(open_reader(str(run_dir)).list_runs()[-1].run_id)
        )
        assert (
            sum(len(c["replies"]) for r in results for c in r.details.get("judge", {}).get("calls", []))
            == asked
        )
        again = CliRunner().invoke(main, [*args, "--use-cache", str(run_dir)])
        assert again.exit_code == 0, again.output
        rerun = server.log_text().count("/v1/chat/completions answered in") - 1 - asked
        assert rerun <= 2 * s["invalid_games"], "the rerun asks only about games without a verdict"
    finally:
        server.stop()
