"""Reading a judge's reply, fail-closed: a verdict is either found unambiguously or the reply is
invalid, with the reason. Never a silent 0 or 1.

- pattern: every match of the regex's group 1 must map (through `score_mapping`) to one score;
  no match, an unknown label, or matches that disagree (`[[A]] ... [[B]]`) make the reply invalid.
- numeric: every match must be the same number, inside the allowed range.
- json: the reply holds one JSON object of the fixed schema {"verdict": <label>, "reason": <text>}.

Reasoning blocks (`<think>...</think>`) are removed first: what the judge considered is not its verdict.

A verdict that its own words contradict is invalid too (`self_consistent`, used by the grading
contract): a top verdict (A, "correct", rating 1) whose text says the answer "is incorrect", "is not
correct" or "is wrong", or a bottom verdict (B, "incorrect", rating 0) whose text says the answer "is
correct". Only such claims about the answer count (the answer / prediction / response / it / this,
then is / was / seems / 's, then the word): "the correct answer is 8", "the reference answer is
correct" or "nothing is wrong" contradict nothing. A contradicting reply is asked again like any
reply that does not parse, then recorded as judge invalid: never a score.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping

import attrs

THINK_BLOCK = re.compile(r"<think>.*?</think>", re.DOTALL | re.IGNORECASE)


@attrs.frozen
class Verdict:
    """The outcome of reading one reply: `label` as written, `score` as mapped; or invalid and why."""

    valid: bool
    score: float | None = None
    label: str | None = None
    reason: str = ""

    @classmethod
    def invalid(cls, reason: str) -> Verdict:
        return cls(valid=False, reason=reason)


#: reply text -> Verdict
Parser = Callable[[str], Verdict]


def visible_text(reply: str) -> str:
    """The reply without reasoning blocks (an unclosed `<think>` hides everything after it)."""
    text = THINK_BLOCK.sub(" ", reply or "")
    opened = text.lower().find("<think>")
    return text[:opened] if opened >= 0 else text


def _lookup(label: str, mapping: Mapping[str, float]) -> float | None:
    if label in mapping:
        return float(mapping[label])
    folded = [k for k in mapping if k.strip().lower() == label.strip().lower()]
    return float(mapping[folded[0]]) if len(folded) == 1 else None


#: who a claim is about: the judged answer, never the reference ("the correct answer is ...")
_SUBJECT = (
    r"(?:\b(?:predicted|model['’]?s|candidate|given|provided|student['’]?s|final)\s+answer|\bprediction|\bresponse|\bit|\bthis"
    r"|(?<!reference )(?<!gold )(?<!expected )(?<!correct )(?<!true )(?<!right )(?<!actual )\banswer)"
)
_COPULA = r"(?:\s+(?:is|was|seems|appears|looks)(?:\s+to\s+be)?|['’]s)"
_ADVERB = r"(?:\s+(?:clearly|completely|entirely|definitely|indeed|therefore|thus|also|actually|factually|simply|totally|still))?"
#: "the answer is incorrect / wrong / not correct", "the prediction isn't correct"
NEGATIVE_CLAIM = re.compile(
    _SUBJECT + r"(?:" + _COPULA + _ADVERB + r"\s+(?:incorrect|wrong|inaccurate|not\s+(?:correct|accurate))"
    r"|\s+(?:isn['’]t|is\s+not|wasn['’]t|was\s+not)" + _ADVERB + r"\s+(?:correct|accurate))\b",
    re.IGNORECASE,
)
#: "the answer is correct", "it is accurate" (never "is not correct" nor "is incorrect")
POSITIVE_CLAIM = re.compile(_SUBJECT + _COPULA + _ADVERB + r"\s+(?:correct|accurate)\b", re.IGNORECASE)


def contradiction(text: str, score: float, low: float, high: float) -> str | None:
    """Why a verdict's own words contradict it (None when they do not): a `high` verdict whose text
    says the answer is wrong, or a `low` one whose text says it is correct."""
    if low == high:
        return None
    claim = NEGATIVE_CLAIM if score == high else POSITIVE_CLAIM if score == low else None
    found = claim.search(visible_text(text)) if claim is not None else None
    if found is None:
        return None
    return f"the verdict ({score:g}) contradicts the reply's own words {found.group(0).strip()!r}"


def self_consistent(parser: Parser, low: float, high: float) -> Parser:
    """`parser`, with a verdict its own text contradicts made invalid (see `contradiction`)."""

    def parse(reply: str) -> Verdict:
        verdict = parser(reply)
        if verdict.valid and verdict.score is not None:
            why = contradiction(reply, verdict.score, low, high)
            if why is not None:
                return Verdict.invalid(why)
        return verdict

    return parse


def pattern_parser(pattern: str, mapping: Mapping[str, float]) -> Parser:
    """Verdict labels captured by `pattern` (group 1), mapped to scores; all matches must agree."""
    regex = re.compile(pattern)

    def parse(reply: str) -> Verdict:
        labels = [m.group(1) for m in regex.finditer(visible_text(reply)) if m.group(1) is not None]
        if not labels:
            return Verdict.invalid(f"no verdict matching {pattern}")
        scores = {}
        for label in labels:
            score = _lookup(label, mapping)
            if score is None:
                return Verdict.invalid(f"verdict {label!r} is not one of {', '.join(map(repr, mapping))}")
            scores[label.strip()] = score
        if len(set(scores.values())) > 1:
            return Verdict.invalid(f"conflicting verdicts {', '.join(sorted(scores))}")
        label = labels[-1].strip()
        return Verdict(valid=True, score=scores[label], label=label)

    return parse


def numeric_parser(pattern: str, low: float = 0.0, high: float = 1.0) -> Parser:
    """A number captured by `pattern` (group 1), inside [low, high]; all matches must agree."""
    regex = re.compile(pattern)

    def parse(reply: str) -> Verdict:
        raw = [m.group(1) for m in regex.finditer(visible_text(reply)) if m.group(1) is not None]
        if not raw:
            return Verdict.invalid(f"no rating matching {pattern}")
        try:
            values = {float(x) for x in raw}
        except ValueError:
            return Verdict.invalid(f"rating {raw[-1]!r} is not a number")
        if len(values) > 1:
            return Verdict.invalid(f"conflicting ratings {', '.join(sorted(raw))}")
        value = values.pop()
        if not low <= value <= high:
            return Verdict.invalid(f"rating {value:g} outside [{low:g}, {high:g}]")
        return Verdict(valid=True, score=value, label=raw[-1])

    return parse


JSON_KEYS = frozenset({"verdict", "reason"})


def _json_objects(text: str) -> list[object]:
    """Every top-level JSON object in `text` (also inside ```json fences)."""
    decoder = json.JSONDecoder()
    found: list[object] = []
    i = 0
    while True:
        start = text.find("{", i)
        if start < 0:
            return found
        try:
            value, end = decoder.raw_decode(text, start)
        except json.JSONDecodeError:
            i = start + 1
            continue
        found.append(value)
        i = end


def json_parser(mapping: Mapping[str, float]) -> Parser:
    """Exactly one JSON object {"verdict": label, "reason": text} (reason optional, nothing else)."""

    def parse(reply: str) -> Verdict:
        objects = [o for o in _json_objects(visible_text(reply)) if isinstance(o, dict)]
        if not objects:
            return Verdict.invalid('no JSON object {"verdict": ...} in the reply')
        if len(objects) > 1:
            return Verdict.invalid(f"{len(objects)} JSON objects in the reply; expected one")
        obj = objects[0]
        extra = set(obj) - JSON_KEYS
        if "verdict" not in obj or extra:
            return Verdict.invalid(
                f"the JSON object must have the keys verdict (and optionally reason); got {', '.join(sorted(obj)) or 'none'}"
            )
        label = obj["verdict"]
        if not isinstance(label, str):
            return Verdict.invalid(f"verdict must be a string, got {type(label).__name__}")
        score = _lookup(label, mapping)
        if score is None:
            return Verdict.invalid(f"verdict {label!r} is not one of {', '.join(map(repr, mapping))}")
        return Verdict(valid=True, score=score, label=label.strip())

    return parse


__all__ = [
    "Verdict",
    "Parser",
    "contradiction",
    "json_parser",
    "numeric_parser",
    "pattern_parser",
    "self_consistent",
    "visible_text",
]
