"""Battles: position swapping, verdict parsers of both styles, fail-closed combination."""

from __future__ import annotations

import asyncio

import pytest

from evalscope.arena.battles import Game, JudgePrompts, combine, game_orders, judge_pair, pairs
from evalscope.arena.verdicts import lmsys_parser, ranking_parser, rating_parser
from evalscope.core.judge.judge import LLMJudge
from evalscope.core.model import Model
from evalscope.core.models.mock import MockModelAPI
from evalscope.core.types import GenerationConfig


def test_pairs_by_mode():
    assert pairs(["a", "b", "c"], "pairwise", None) == [("a", "b"), ("a", "c"), ("b", "c")]
    assert pairs(["a", "b", "c"], "pairwise_baseline", "b") == [("a", "b"), ("c", "b")]
    assert pairs(["a", "b"], "single", None) == [("a",), ("b",)]


def test_game_orders():
    assert game_orders("swap_position", "q1", "a", "b", 0) == [("a", "b"), ("b", "a")]
    assert game_orders("none", "q1", "a", "b", 0) == [("a", "b")]
    drawn = {game_orders("randomize_order", f"q{i}", "a", "b", 42)[0] for i in range(40)}
    assert drawn == {("a", "b"), ("b", "a")}  # both orders occur, each battle judged once
    assert game_orders("randomize_order", "q7", "a", "b", 42) == game_orders("randomize_order", "q7", "a", "b", 42)


@pytest.mark.parametrize(
    ("games", "expected"),
    [
        ([Game("a", "b", True, "a"), Game("b", "a", True, "a")], (True, "a", 1.0)),  # consistent: a wins
        ([Game("a", "b", True, "b"), Game("b", "a", True, "b")], (True, "b", 0.0)),
        ([Game("a", "b", True, "a"), Game("b", "a", True, "b")], (True, "tie", 0.5)),  # each order favours its first: a tie
        ([Game("a", "b", True, "tie"), Game("b", "a", True, "a")], (True, "tie", 0.5)),
        ([Game("a", "b", True, "a"), Game("b", "a", False, None, reason="no verdict")], (False, None, None)),
        ([Game("a", "b", False, None)], (False, None, None)),
    ],
)
def test_swap_combination(games, expected):
    assert combine(games, "a") == expected


def test_verdict_styles():
    lmsys, ranking = lmsys_parser(), ranking_parser()
    assert lmsys("A is more helpful. [[A]]").score == 1.0 and lmsys("[[C]]").score == 0.5
    assert lmsys("[A]\n\nThe first answer is right.").label == "A"  # a dropped bracket is still one verdict
    assert not lmsys("[[A]] ... actually [[B]]").valid and not lmsys("Assistant A").valid
    assert not lmsys("[A] Red, yellow and blue.\n[B] Green.\n[C] Red").valid  # a list of options is no verdict
    assert not lmsys("[Assistant C's answer]").valid
    assert ranking("[[A>>B]]").label == "A>>B" and ranking("B >> A").score == 0.0 and ranking("[[A=B]]").score == 0.5
    assert ranking("A<B").label == "B>A"
    assert not ranking("A>B, no wait, B>A").valid and not ranking("A>A").valid
    assert rating_parser()("Rating: [[8]]").score == 8.0 and not rating_parser()("[[0]]").valid


def judge_replying(reply: str) -> LLMJudge:
    return LLMJudge(Model(MockModelAPI("judge", {"reply": reply})), generation=GenerationConfig(max_tokens=8), max_attempts=2)


def run_pair(judge: LLMJudge, mitigation: str):
    return asyncio.run(
        judge_pair(judge, JudgePrompts(), question_id="q", question="Q?", answers={"a": "alpha text", "b": "beta text"},
                   a="a", b="b", reference=None, mitigation=mitigation, seed=0)
    )


def test_a_judge_that_always_prefers_the_first_answer_gives_ties_under_swap():
    judge = judge_replying("[[A]]")
    swapped = run_pair(judge, "swap_position")
    assert (swapped.valid, swapped.winner, swapped.score) == (True, "tie", 0.5)
    assert [c.messages[-1]["content"].index("alpha text") < c.messages[-1]["content"].index("beta text") for c in swapped.calls] == [True, False]
    assert run_pair(judge, "none").winner == "a"  # without mitigation the position bias wins


def test_unparseable_games_make_the_battle_invalid_with_every_reply_kept():
    judge = judge_replying("Both answers are fine.")
    outcome = run_pair(judge, "swap_position")
    assert not outcome.valid and outcome.score is None
    assert [c.attempts for c in outcome.calls] == [2, 2]  # each game asked twice (reminded of the format)
    assert judge.calls == 4 and judge.invalid == 2
    assert "no verdict" in outcome.invalid_reason
