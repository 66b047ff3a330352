"""How reliable a run's judge was: per subset (and summed per category and run), how many judgements
were asked, how many stayed invalid after the re-ask, how many needed a re-ask, and where a
protocol judges both orders of a pair, how many pairs were judged and how often the orders disagreed.

Read from each judged sample's `details["judge"]` record (any protocol): every call in `calls`
(also nested, e.g. arena games) is one judgement (`valid`, `attempts`); a protocol that judges a pair
in both orders adds `pairs` and `position_disagreements` to its record (counts, usually 1 and 0/1).
A sample without a judge record adds nothing, so unjudged runs carry no judge quality at all.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import attrs


@attrs.define
class JudgeQuality:
    """Judgements of a subset, a category or a run."""

    #: judgements asked (one per rated turn, per game, per graded answer), cached ones included
    asked: int = 0
    #: judgements without a valid verdict after every attempt (excluded from the scores)
    invalid: int = 0
    #: judgements whose first reply did not parse and were asked again
    reasked: int = 0
    #: pairs judged in both orders, and of those the ones whose two verdicts disagreed
    pairs: int = 0
    position_disagreements: int = 0

    def add(self, other: JudgeQuality) -> None:
        for field in attrs.fields(JudgeQuality):
            setattr(self, field.name, getattr(self, field.name) + getattr(other, field.name))

    @property
    def invalid_rate(self) -> float:
        return self.invalid / self.asked if self.asked else 0.0

    def describe(self) -> str:
        """'3 of 20 judgements invalid (15.0%), 5 re-asked; orders disagreed on 2 of 9 pairs'."""
        text = f"{self.invalid} of {self.asked} judgement(s) invalid ({100 * self.invalid_rate:.1f}%), {self.reasked} re-asked"
        if self.pairs:
            text += f"; both orders disagreed on {self.position_disagreements} of {self.pairs} pair(s)"
        return text


def _calls(value: Any) -> Iterable[dict[str, Any]]:
    if isinstance(value, dict):
        if "replies" in value and "valid" in value:
            yield value
            return
        for item in value.values():
            yield from _calls(item)
    elif isinstance(value, list):
        for item in value:
            yield from _calls(item)


def of_details(details: dict[str, Any] | None) -> JudgeQuality | None:
    """The judge quality of one sample's review (None when it was not judged)."""
    record = (details or {}).get("judge")
    if not isinstance(record, dict):
        return None
    quality = JudgeQuality()
    for call in _calls(record.get("calls", [])):
        quality.asked += 1
        quality.invalid += int(call.get("valid") is not True)
        quality.reasked += int(int(call.get("attempts") or 0) > 1)
    quality.pairs += int(record.get("pairs") or 0)
    quality.position_disagreements += int(record.get("position_disagreements") or 0)
    return quality


__all__ = ["JudgeQuality", "of_details"]
