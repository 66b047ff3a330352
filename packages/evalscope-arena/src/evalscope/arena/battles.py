"""Battles: who meets whom, in which order the judge sees them, and what a battle's verdict is.

Pairwise modes judge a (question, model A, model B) battle in one or two games:
- `swap_position`: twice, A first then B first; the two verdicts must agree, a disagreement is a tie;
- `randomize_order`: once, the order drawn from the seed, the question and the pair;
- `none`: once, A first.
A battle is valid only when every game's verdict parsed (fail-closed); an invalid battle is stored
with its replies, counted, and left out of every rating. Single mode grades each answer 1-10.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Sequence
from typing import Any

import attrs

from evalscope.arena.verdicts import PAIRWISE_PARSERS, rating_parser
from evalscope.core.judge.judge import JudgeCall, LLMJudge
from evalscope.core.judge.prompts import fill
from evalscope.core.serialization import unstructure
from evalscope.core.types import ChatMessage

_VERDICT_LMSYS = '"[[A]]" if assistant A is better, "[[B]]" if assistant B is better, or "[[C]]" for a tie'
_VERDICT_RANKING = (
    'one of "[[A>>B]]" (A is much better), "[[A>B]]" (A is better), "[[A=B]]" (a tie), "[[B>A]]" (B is better), '
    '"[[B>>A]]" (B is much better)'
)
#: the instructions open the user message and the verdict format closes it (small judges follow the
#: last line far more often than a system prompt); no system prompt by default
PAIR_TEMPLATE = (
    "Act as an impartial judge. Compare the answers two AI assistants gave to the user question below and decide "
    "which one follows the instructions and answers the question better, considering helpfulness, relevance, "
    "accuracy, depth and level of detail. The order of the answers, their length and the assistants' names must "
    "not influence you.\n\n"
    "[User question]\n{question}\n\n{reference}"
    "[Assistant A's answer]\n{answer_a}\n[End of assistant A's answer]\n\n"
    "[Assistant B's answer]\n{answer_b}\n[End of assistant B's answer]\n\n"
    "Which assistant answered better? Give your final verdict as {verdict}."
)
SINGLE_TEMPLATE = (
    "Act as an impartial judge. Rate the answer an AI assistant gave to the user question below, considering "
    "helpfulness, relevance, accuracy, depth and level of detail.\n\n"
    "[User question]\n{question}\n\n{reference}[Assistant's answer]\n{answer}\n[End of assistant's answer]\n\n"
    'Rate the answer from 1 to 10. Give your rating as "[[rating]]", for example "Rating: [[5]]".'
)
REFERENCE_BLOCK = "[Reference answer]\n{ref}\n[End of reference answer]\n\n"
REMINDERS = {
    "lmsys": 'Give your final verdict again, only as "[[A]]", "[[B]]" or "[[C]]".',
    "ranking": 'Give your final verdict again, only as one of "[[A>>B]]", "[[A>B]]", "[[A=B]]", "[[B>A]]", "[[B>>A]]".',
    "rating": 'Give your rating again, only as "[[rating]]" with a number from 1 to 10.',
}


@attrs.define(kw_only=True)
class JudgePrompts:
    """The arena judge's prompt and reading rules (user overrides from judge_model_args)."""

    verdict_format: str = "lmsys"
    system_prompt: str | None = None
    prompt_template: str | None = None

    def pair_messages(self, question: str, first: str, second: str, reference: str | None) -> list[ChatMessage]:
        verdict = _VERDICT_RANKING if self.verdict_format == "ranking" else _VERDICT_LMSYS
        user = fill(
            self.prompt_template or PAIR_TEMPLATE,
            question=question,
            answer_a=first,
            answer_b=second,
            reference=fill(REFERENCE_BLOCK, ref=reference) if reference else "",
            ref_answer_1=reference or "",
            verdict=verdict,
        )
        return _with_system(self.system_prompt, user)

    def single_messages(self, question: str, answer: str, reference: str | None) -> list[ChatMessage]:
        user = fill(
            self.prompt_template or SINGLE_TEMPLATE,
            question=question,
            answer=answer,
            reference=fill(REFERENCE_BLOCK, ref=reference) if reference else "",
            ref_answer_1=reference or "",
        )
        return _with_system(self.system_prompt, user)


def _with_system(system: str | None, user: str) -> list[ChatMessage]:
    return [ChatMessage("system", system), ChatMessage("user", user)] if system else [ChatMessage("user", user)]


def pairs(models: Sequence[str], mode: str, baseline: str | None) -> list[tuple[str, ...]]:
    """(a, b) pairs to battle (a candidate first, the baseline second), or (model,) in single mode."""
    if mode == "single":
        return [(m,) for m in models]
    if mode == "pairwise_baseline":
        return [(m, baseline) for m in models if m != baseline]  # type: ignore[misc]  # the config requires a baseline in this mode
    return list(itertools.combinations(models, 2))


def game_orders(mitigation: str, question_id: str, a: str, b: str, seed: int) -> list[tuple[str, str]]:
    """Which model's answer the judge sees first, game by game."""
    if mitigation == "swap_position":
        return [(a, b), (b, a)]
    if mitigation == "randomize_order":
        flip = random.Random(f"{seed}:{question_id}:{a}:{b}").random() < 0.5
        return [(b, a) if flip else (a, b)]
    return [(a, b)]


@attrs.define
class Game:
    """One judge verdict on one ordering: `first` was shown as assistant A."""

    first: str
    second: str
    valid: bool
    #: the winning model, "tie", or None when invalid
    winner: str | None
    label: str | None = None
    reason: str = ""


def game_winner(first: str, second: str, score: float | None) -> str | None:
    if score is None:
        return None
    if score > 0.5:
        return first
    if score < 0.5:
        return second
    return "tie"


def combine(games: Sequence[Game], a: str) -> tuple[bool, str | None, float | None]:
    """(valid, winner, a's score) of a battle: invalid when any game is; games that disagree make a tie."""
    if not games or not all(g.valid for g in games):
        return False, None, None
    winners = {g.winner for g in games}
    winner = winners.pop() if len(winners) == 1 else "tie"
    score = 0.5 if winner == "tie" else (1.0 if winner == a else 0.0)
    return True, winner, score


@attrs.define
class BattleOutcome:
    """A judged battle, ready to store: games, calls (prompts, raw replies, verdicts), the result."""

    question_id: str
    model_a: str
    model_b: str | None
    valid: bool
    winner: str | None
    score: float | None
    games: list[Game]
    calls: list[JudgeCall]

    @property
    def invalid_reason(self) -> str:
        reasons = [g.reason for g in self.games if not g.valid]
        return "; ".join(reasons) or "no verdict"

    def details(self, judge: LLMJudge) -> dict[str, Any]:
        return {
            "battle": {
                "question_id": self.question_id,
                "model_a": self.model_a,
                "model_b": self.model_b,
                "winner": self.winner,
                "score_a": self.score,
                "games": [unstructure(g) for g in self.games],
            },
            "judge": {"judge": judge.identity, "calls": [unstructure(c) for c in self.calls]},
        }


async def judge_pair(
    judge: LLMJudge,
    prompts: JudgePrompts,
    *,
    question_id: str,
    question: str,
    answers: dict[str, str],
    a: str,
    b: str,
    reference: str | None,
    mitigation: str,
    seed: int,
) -> BattleOutcome:
    """Judge one pairwise battle (one or two games). Raises JudgeCallError when the judge is unreachable."""
    parser = PAIRWISE_PARSERS[prompts.verdict_format]()
    games: list[Game] = []
    calls: list[JudgeCall] = []
    for first, second in game_orders(mitigation, question_id, a, b, seed):
        messages = prompts.pair_messages(question, answers[first], answers[second], reference)
        call = await judge.ask(messages, parser, reminder=REMINDERS[prompts.verdict_format], contract=f"arena:{prompts.verdict_format}")
        calls.append(call)
        winner = game_winner(first, second, call.score) if call.valid else None
        games.append(Game(first, second, call.valid, winner, call.label, call.reason))
    valid, winner, score = combine(games, a)
    return BattleOutcome(question_id, a, b, valid, winner, score, games, calls)


async def judge_single(
    judge: LLMJudge, prompts: JudgePrompts, *, question_id: str, question: str, model: str, answer: str, reference: str | None
) -> BattleOutcome:
    """Grade one answer from 1 to 10."""
    call = await judge.ask(
        prompts.single_messages(question, answer, reference), rating_parser(), reminder=REMINDERS["rating"], contract="arena:rating"
    )
    game = Game(model, "", call.valid, model if call.valid else None, call.label, call.reason)
    return BattleOutcome(question_id, model, None, call.valid, model if call.valid else None, call.score, [game], [call])


__all__ = [
    "BattleOutcome",
    "Game",
    "JudgePrompts",
    "combine",
    "game_orders",
    "game_winner",
    "judge_pair",
    "judge_single",
    "pairs",
]
