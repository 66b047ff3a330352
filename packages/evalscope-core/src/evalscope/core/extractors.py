"""Answer extraction from model text: option letters (Chinese + English cues) and numbers."""

from __future__ import annotations

import re
from functools import lru_cache

_NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?|-?\.\d+")


def last_number(text: str) -> str | None:
    """The last number in `text`, thousands separators removed ("1,000.50" -> "1000.50")."""
    matches = _NUMBER.findall(text or "")
    if not matches:
        return None
    value = matches[-1].replace(",", "").rstrip(".")
    return value or None


def numbers_equal(pred: str | None, gold: str | None, abs_tol: float = 1e-4) -> bool:
    """Numeric equality without eval(): both sides parsed as floats."""
    if pred is None or gold is None:
        return False
    try:
        return abs(float(pred.replace(",", "")) - float(gold.replace(",", ""))) <= abs_tol
    except ValueError:
        return pred.strip() == gold.strip()


@lru_cache(maxsize=64)
def _choice_patterns(letters: str) -> list[re.Pattern[str]]:
    L = f"[{re.escape(letters)}]"
    # Ordered from the most explicit cue to the loosest; the first that matches wins.
    raw = [
        rf"(?i:final answer|the answer|correct answer|the correct option|answer)\s*(?:is|:|：|should be|would be)?\s*[:：]?\s*\**\s*[\(\[（]?({L})[\)\]）]?(?![A-Za-z])",
        rf"答案\s*(?:是|为|应该是|应为|：|:)\s*[\(\[（]?\s*({L})",
        rf"(?:故|所以|因此)\s*(?:答案)?\s*(?:选|选择|是|为)\s*[\(\[（]?\s*({L})",
        rf"(?:选|选择)\s*(?:项)?\s*[\(\[（]?\s*({L})\s*[\)\]）]?\s*(?:项|选项)?(?:正确|是对的)?",
        rf"(?:只有|仅)?选项\s*[\(\[（]?({L})[\)\]）]?\s*(?:是)?(?:正确|对)",
        rf"[\(\[（]({L})[\)\]）]\s*(?:is|are)?\s*(?:correct|right|the answer)",
        rf"(?i:option|choice)\s*[\(\[（]?({L})[\)\]）]?",
        rf"^\s*\**[\(\[（]?({L})[\)\]）]?\**\s*(?:[\.。:：,，、\)]|$)",
        rf"(?<![A-Za-z])[\(\[（]({L})[\)\]）]",
        rf"(?<![A-Za-z'])({L})(?![A-Za-z'])",
    ]
    return [re.compile(p, re.MULTILINE) for p in raw]


def extract_choice(text: str, letters: str = "ABCD") -> str:
    """The option letter a free-text answer picks, or "" when none is found.

    Looks for explicit cues first ("The answer is (B)", "答案是B", "故选C", "Option D"), then a
    letter opening a line, then a parenthesised letter, then a standalone letter. Where the text
    names an answer several times (self-correction), the last explicit cue wins.
    """
    if not text:
        return ""
    text = text.strip()
    for i, pattern in enumerate(_choice_patterns(letters)):
        found = pattern.findall(text)
        if found:
            # explicit cues: the last statement is the final one; loose patterns: the first letter
            return found[-1] if i < 5 else found[0]
    return ""
