"""Arena verdicts, read fail-closed (see evalscope.core.judge.verdict): a reply gives exactly one
verdict or it is invalid, with the reason.

- `lmsys`: "[[A]]" (first answer better), "[[B]]" (second better), "[[C]]" (tie), as in MT-Bench
  (also with single brackets, "[A]").
- `ranking`: "A>>B", "A>B", "A=B", "B>A", "B>>A" (Arena-Hard style; the label keeps the strength).
- `rating` (single-answer grading): "[[7]]", an integer or decimal from 1 to 10.

The score of a pairwise verdict is the first answer's: 1 (it won), 0.5 (tie), 0 (it lost).
"""

from __future__ import annotations

import re

from evalscope.core.judge.verdict import Parser, Verdict, numeric_parser, visible_text

#: "[[A]]"; a single-bracket "[A]" is read too (small judges drop a bracket), never a bare letter in prose
LMSYS = re.compile(r"\[\[?\s*([ABC])\s*\]\]?")
RANKING = re.compile(r"\[\[\s*([AB]\s*(?:>>|>|=|<<|<)\s*[AB])\s*\]\]|(?<![\w\[])([AB]\s*(?:>>|>|=|<<|<)\s*[AB])(?![\w\]])")
RATING = r"\[\[\s*(\d+(?:\.\d+)?)\s*\]\]"

LMSYS_SCORES = {"A": 1.0, "B": 0.0, "C": 0.5}


def lmsys_parser() -> Parser:
    """`[[A]]` / `[[B]]` / `[[C]]`; several verdicts that disagree make the reply invalid."""

    def parse(reply: str) -> Verdict:
        labels = {m.group(1) for m in LMSYS.finditer(visible_text(reply))}
        if not labels:
            return Verdict.invalid('no verdict "[[A]]", "[[B]]" or "[[C]]"')
        if len(labels) > 1:
            return Verdict.invalid(f"conflicting verdicts {', '.join(sorted(labels))}")
        label = labels.pop()
        return Verdict(valid=True, score=LMSYS_SCORES[label], label=label)

    return parse


def _normalise_ranking(raw: str) -> str | None:
    """'A >> B' -> 'A>>B'; 'B<A' -> 'A>B'; 'A>A' -> None (meaningless)."""
    text = re.sub(r"\s+", "", raw)
    m = re.fullmatch(r"([AB])(>>|>|=|<<|<)([AB])", text)
    if not m or m.group(1) == m.group(3):
        return None
    left, op, right = m.groups()
    if op in ("<", "<<"):  # X<Y means Y>X
        left, right, op = right, left, ">" if op == "<" else ">>"
    if op == "=":
        return "A=B"
    return f"{left}{op}{right}"


RANKING_SCORES = {"A>>B": 1.0, "A>B": 1.0, "A=B": 0.5, "B>A": 0.0, "B>>A": 0.0}


def ranking_parser() -> Parser:
    """`A>>B` ... `B>>A` (optionally in double brackets); verdicts that disagree make it invalid."""

    def parse(reply: str) -> Verdict:
        found = []
        for m in RANKING.finditer(visible_text(reply)):
            label = _normalise_ranking(m.group(1) or m.group(2))
            if label is None:
                return Verdict.invalid(f"meaningless verdict {(m.group(1) or m.group(2))!r}")
            found.append(label)
        if not found:
            return Verdict.invalid('no verdict of the form "A>>B", "A>B", "A=B", "B>A" or "B>>A"')
        scores = {RANKING_SCORES[label] for label in found}
        if len(scores) > 1:
            return Verdict.invalid(f"conflicting verdicts {', '.join(sorted(set(found)))}")
        label = found[-1]
        return Verdict(valid=True, score=RANKING_SCORES[label], label=label)

    return parse


def rating_parser(low: float = 1.0, high: float = 10.0) -> Parser:
    """`[[rating]]` from `low` to `high` (single-answer grading)."""
    return numeric_parser(RATING, low, high)


PAIRWISE_PARSERS = {"lmsys": lmsys_parser, "ranking": ranking_parser}

__all__ = ["PAIRWISE_PARSERS", "lmsys_parser", "ranking_parser", "rating_parser"]
