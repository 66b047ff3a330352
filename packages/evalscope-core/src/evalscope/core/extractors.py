"""Answer extraction from model text: option letters (Chinese + English cues) and numbers."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

#: a minus sign only where it cannot be a hyphen or a subtraction: not right after a letter, digit or
#: dot ("10-15" is 10 and 15, "x-3" is 3; "=-3", " -3", "(-3" are negative)
_NUMBER = re.compile(r"(?:(?<![\w.])-)?(?:\d[\d,]*(?:\.\d+)?|\.\d+)")


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


_NEGATED = re.compile(r"(?i:\bnot|n't|isn't|rather than|instead of|except|exclude|eliminate|rule out)\W*$|(?:不是|不选|排除|而非|并非|错误的是)\s*$")
_ARTICLE_WORD = re.compile(r"\s+(?!(?:is|was|are|would|should|seems|must|can|could|might|will|only|both)\b)[a-z]")


@lru_cache(maxsize=64)
def _choice_patterns(letters: str) -> tuple[list[re.Pattern[str]], list[re.Pattern[str]]]:
    """(explicit cues, loose patterns) for option `letters`; text is NFKC-normalised first."""
    L = f"[{re.escape(letters)}]"
    opt = rf"\**\s*[\(\[]?\s*({L})\s*[\)\]]?\**"  # a letter, maybe bracketed or bold
    end = r"(?![A-Za-z0-9'])"
    cues = [
        # English: "The answer is (B)", "Final answer: C", "correct option is D", "I choose A"
        rf"(?i:answer)\s*(?i:is|should be|would be|must be|will be)?\s*(?i:option|choice)?\s*[:=]?\s*{opt}{end}",
        rf"(?i:(?:correct|right|best|final) (?:option|choice))\s*(?i:is|would be)?\s*[:=]?\s*{opt}{end}",
        rf"(?i:\b(?:i(?:'d| would| will)?\s+(?:choose|pick|select|go with)|choose|select|pick)\b)\s*(?i:option|choice|answer)?\s*[:]?\s*{opt}{end}",
        rf"{opt}\s*(?i:is|would be|seems)\s*(?i:the\s+)?(?i:correct|right|true|best|most (?:likely|plausible|appropriate))",
        rf"\\boxed\{{\s*(?:\\text\{{)?\s*\(?({L})\)?",
        # Chinese: 答案是B / 答案为：C / 故选D / 应选 A / 正确的选项是B / 选项A正确 / A选项正确 / B项正确
        rf"答案\s*(?:应该|应当|应)?\s*(?:是|为|选|选择|:)?\s*(?:选项)?\s*[:]?\s*{opt}",
        rf"(?:故|所以|因此|因而|则|本题|应|应该|我|只能)\s*(?:答案)?\s*(?:应)?\s*(?:选|选择)\s*(?:选项)?\s*[:]?\s*{opt}",
        rf"正确(?:的)?(?:答案|选项|选择)\s*(?:应该|应)?\s*(?:是|为|:)?\s*{opt}",
        rf"选项\s*{opt}\s*(?:是|为)?\s*(?:正确|对|最合适|最佳|最恰当)",
        rf"{opt}\s*(?:选项|项)\s*(?:是|为)?\s*(?:正确|对|最合适|最佳|最恰当)",
        rf"(?:选|选择)\s*[:]?\s*{opt}{end}",
    ]
    loose = [
        rf"^\s*(?:\*\*)?[\(\[]?({L})[\)\]]?(?:\*\*)?\s*(?:[\.:,、\)]|$)",  # "B. text" / "(C)" / "D" opening a line
        rf"(?i:option|choice)\s*{opt}{end}",  # "option B"
        rf"(?<![A-Za-z0-9])[\(\[]({L})[\)\]]",  # a bracketed letter anywhere
        rf"(?<![A-Za-z0-9'\-])({L})(?![A-Za-z0-9'\-])",  # a standalone letter
    ]
    return [re.compile(p, re.MULTILINE) for p in cues], [re.compile(p, re.MULTILINE) for p in loose]


#: a first line that is only an option letter ("B", "(B)", "B.", "**B**")
_BARE_FIRST_LINE = re.compile(r"\s*(?:\*\*)?[\(\[]?([A-Z])[\)\]]?(?:\*\*)?[.:)]?[ \t]*(?:\n|$)")


def extract_choice(text: str, letters: str = "ABCD") -> str:
    """The option letter a free-text answer picks, or "" when none is found.

    Explicit cues first ("The answer is (B)", "I choose C", "\\boxed{D}", "答案是B", "故选C",
    "选项A正确", "B项正确"): among all of them the LAST one in the text wins, so self-corrections
    ("答案是A。不对，应该选C", "The answer is A. Wait, the answer is C") end on the final choice;
    a cue right after a negation ("not A", "不是A") does not count. Without a cue: nothing when the
    text merely restates the option list (three or more lines opening with different letters), else
    a first line that is only a letter ("B⏎A. …⏎B. …": an answer followed by the restated options),
    a letter opening a line, then "option B", then a bracketed letter, then a standalone letter
    (first one; "A"/"I" used as English words are skipped).
    """
    if not text:
        return ""
    text = unicodedata.normalize("NFKC", text).strip()
    cues, loose = _choice_patterns(letters)
    best: tuple[int, str] | None = None
    for pattern in cues:
        for m in pattern.finditer(text):
            if _NEGATED.search(text[max(0, m.start() - 16) : m.start()]):
                continue
            if best is None or m.start(1) > best[0]:
                best = (m.start(1), m.group(1))
    if best is not None:
        return best[1]
    bare = _BARE_FIRST_LINE.match(text)
    if bare and bare.group(1) in letters:
        return bare.group(1)  # "B⏎A. …⏎B. …": the answer first, then the restated options
    if len(set(loose[0].findall(text))) >= 3:
        return ""  # the text restates the option list ("A. …⏎B. …⏎C. …") without choosing
    for pattern in loose:
        for m in pattern.finditer(text):
            letter = m.group(1)
            if letter in "AI" and _ARTICLE_WORD.match(text, m.end(1)) and text[m.end(1) : m.end(1) + 1] != ".":
                continue  # "A man walks", "I think" - English words, not options
            return letter
    return ""
