"""mt_bench end to end: a scripted model server answers both turns (turn 2 with its own turn-1 answer in
the conversation), a scripted judge server gives known ratings per (question, turn), invalid ones
included; the report's turn-1 / turn-2 / overall / per-category means equal hand-computed values, the
invalid judgements are excluded and counted. Both servers are real OpenAI-compatible HTTP servers on
127.0.0.1 reached through the real openai adapter."""

from __future__ import annotations

import json
import re

import pytest

from evalscope.core.types import SampleStatus
from evalscope.run import run_task

try:
    from .judge_server import judge_server
except ImportError:  # pytest's rootdir import mode
    from judge_server import judge_server

#: 81, 82 are writing (single-v1 prompts); 111, 112 are math (reference-guided single-math-v1)
QUESTIONS = {
    "Compose an engaging travel blog": "81",
    "Draft a professional email": "82",
    "The vertices of a triangle": "111",
    "A tech startup invests": "112",
}


def model_reply(messages):
    """The model's answer names the question and the turn (turn = how many user messages it saw)."""
    first = next(m["content"] for m in messages if m["role"] == "user")
    qid = next(q for head, q in QUESTIONS.items() if first.startswith(head))
    turn = sum(1 for m in messages if m["role"] == "user")
    return f"ANSWER-q{qid}-t{turn}"


#: (question, turn) -> the judge's reply on the first attempt and after the reminder
RATINGS = {
    ("81", 1): ("Good. Rating: [[8]]", None),
    ("81", 2): ("Fine. Rating: [[6]]", None),
    ("82", 1): ("Rating: [[5]]", None),
    ("82", 2): ("I cannot rate this.", "Still no."),  # invalid twice
    ("111", 1): ("Let me think.", "Rating: [[9]]"),  # valid after the re-ask
    ("111", 2): ("[[3]] or maybe [[4]]", "[[3]]... no, [[4]]"),  # conflicting twice
    ("112", 1): ("Rating: [[11]]", "Rating: [[11]]"),  # out of 1..10 twice
    ("112", 2): ("Rating: [[0]]", "Rating: [[0]]"),
}


def judge_reply(messages):
    prompt = next(m["content"] for m in messages if m["role"] == "user")
    answers = re.findall(r"ANSWER-q(\d+)-t(\d)", prompt)
    qid, turn = answers[-1][0], int(answers[-1][1])  # the multi-turn prompt holds both answers
    first, again = RATINGS[(qid, turn)]
    return first if len(messages) <= 2 else (again or first)


def config(model_url, judge_url, work, dataset_dir, **extra):
    cfg = {
        "model": "scripted-model",
        "eval_type": "service",
        "api_url": model_url,
        "datasets": ["mt_bench"],
        "dataset_args": {"mt_bench": {"subset_list": ["writing", "math"]}},
        "limit": 2,
        "generation_config": {"max_tokens": 16, "temperature": 0},
        "judge_model_args": {"model_id": "judge", "api_url": judge_url, "max_attempts": 2},
        "judge_worker_num": 2,
        "dataset_dir": str(dataset_dir),
        "work_dir": str(work),
        "no_timestamp": True,
    }
    cfg.update(extra)
    return cfg


def _metric(report, name):
    return next(m for m in report.metrics if m.name == name)


def _subset(metric, name):
    return next(s for c in metric.categories for s in c.subsets if s.name == name)


def test_ratings_per_turn_give_hand_computed_means_with_invalid_ones_counted(tmp_path, dataset_dir):
    with judge_server(model_reply) as model, judge_server(judge_reply) as judge:
        result = run_task(
            config(model.base_url, judge.base_url, tmp_path / "out", dataset_dir), print_table=False
        )
    report = result["mt_bench"]

    # the model: two turns per question, turn 2 with its own turn-1 answer in the conversation
    assert model.calls == 8
    second = [m for m in model.requests if len(m) == 3]
    assert len(second) == 4
    for messages in second:
        assert [m["role"] for m in messages] == ["user", "assistant", "user"]
        qid = model_reply(messages[:1]).split("-")[1]
        assert messages[1]["content"] == f"ANSWER-{qid}-t1"

    # hand-computed: writing t1 (8, 5), t2 (6; 82's invalid); math t1 (9; 112's invalid), t2 none
    overall, turn1, turn2 = _metric(report, "score"), _metric(report, "turn_1"), _metric(report, "turn_2")
    assert turn1.score == pytest.approx((8 + 5 + 9) / 3, abs=1e-4)
    assert turn2.score == pytest.approx(6.0)
    assert overall.score == pytest.approx((8 + 5 + 6 + 9) / 4)
    assert _subset(turn1, "writing").score == pytest.approx(6.5)
    assert _subset(turn2, "writing").score == pytest.approx(6.0)
    assert _subset(overall, "writing").score == pytest.approx((8 + 5 + 6) / 3, abs=1e-4)
    assert _subset(turn1, "math").score == pytest.approx(9.0)
    assert _subset(overall, "math").score == pytest.approx(9.0)
    assert all(s.name != "math" for c in turn2.categories for s in c.subsets)  # no valid turn-2 rating

    # judge invalid: excluded, counted per judgement (4 of 8) and per sample (112: neither turn rated)
    quality = report.judge_quality
    assert (quality.asked, quality.invalid, quality.reasked) == (8, 4, 5)
    assert (
        _subset(overall, "writing").judge_quality.invalid,
        _subset(overall, "math").judge_quality.invalid,
    ) == (1, 3)
    assert report.counts.invalid == 1 and report.counts.scored == 3
    # 8 judgements, 5 of them asked twice
    assert judge.calls == 13

    # the reference-guided prompts for math (with GPT-4's answers), the whole conversation for turn 2
    prompts = {
        (re.findall(r"ANSWER-q(\d+)-t(\d)", u)[-1]): (s, u)
        for s, u in ((m[0]["content"], m[1]["content"]) for m in judge.requests if len(m) == 2)
    }
    system, user = prompts[("111", "1")]
    reference = next(
        json.loads(x)
        for x in (dataset_dir / "mt_bench" / "reference_answer_gpt-4.jsonl").open()
        if '"question_id": 111' in x
    )
    assert "[The Start of Reference Answer]" in user and reference["choices"][0]["turns"][0] in user
    system, user = prompts[("81", "2")]
    assert "second user question" in system
    assert "ANSWER-q81-t1" in user and "ANSWER-q81-t2" in user and "Rewrite your previous response" in user
    system, user = prompts[("111", "2")]
    assert "<|The Start of Reference Answer|>" in user and "ANSWER-q111-t1" in user

    # stored: each turn's answer in the prediction, each turn's rating in the review, both stores
    from evalscope.core.stores import open_reader

    reader = open_reader(str(result.run_dir))
    stored = {r.sample_id: r for r in reader.iter_results(result.run_id)}
    assert [t.text for t in stored["81"].output.turns] == ["ANSWER-q81-t1", "ANSWER-q81-t2"]
    assert stored["112"].status is SampleStatus.INVALID
    assert [t["rating"] for t in stored["82"].details["judge"]["turns"]] == [5.0, None]
    assert stored["82"].scores == {"turn_1": 5.0, "score": 5.0}

    # the printed table's notes say how often the judge was invalid
    from evalscope.core.report import format_table

    table = format_table([report])
    assert "4 of 8 judgement(s) invalid" in table


def test_a_provider_without_multi_turn_is_refused_before_any_call(tmp_path, dataset_dir):
    from evalscope.core.models.mock import MockModelAPI
    from evalscope.core.serialization import ConfigError

    class SingleTurn(MockModelAPI):
        features = frozenset()

    api = SingleTurn("single")
    cfg = config("http://127.0.0.1:9/v1", "http://127.0.0.1:9/v1", tmp_path / "out", dataset_dir)
    cfg = {k: v for k, v in cfg.items() if k not in ("eval_type", "api_url")}
    with pytest.raises(ConfigError, match=r"mt_bench: needs multi_turn"):
        run_task(cfg, model=api, print_table=False)
    assert api.calls == 0
