"""Reading a judge's reply, fail-closed: a verdict is either found unambiguously or the reply is
invalid, with the reason. Never a silent 0 or 1.

- pattern: every match of the regex's group 1 must map (through `score_mapping`) to one score;
  no match, an unknown label, or matches that disagree (`[[A]] ... [[B]]`) make the reply invalid.
- numeric: every match must be the same number, inside the allowed range.
- json: the reply holds one JSON object of the fixed schema {"verdict": <label>, "reason": <text>}.

Reasoning blocks (`<think>...</think>`) are removed first: what the judge considered is not its verdict.
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
    found, i = [], 0
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


__all__ = ["Verdict", "Parser", "pattern_parser", "numeric_parser", "json_parser", "visible_text"]
