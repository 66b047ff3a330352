"""Arena-Hard-Auto v0.1's judge: its system prompt, prompt template, verdict patterns and settings
(lmarena/arena-hard-auto, Apache-2.0: `judge_system_prompt_v0.1.txt` and `arena-hard-v0.1.yaml` as
shipped in the dataset folder; tests/arena/test_arena_hard.py checks these equal the files), the
fail-closed reading of its five-level verdict, and the battles a verdict stands for.

Reading (fail closed): the yaml's patterns are tried in order on the reply (reasoning in `<think>`
removed); the first pattern that matches decides. Its matches must name one verdict: `A>>B`, `A>B`,
`A=B` (or `B=A`), `B>A`, `B>>A` (the mirrored `B<A`, `B<<A`, `A<B`, `A<<B` read as those, as
Arena-Hard's scorer does). No match, a label outside these, or two different verdicts make the
reply invalid; the judge's re-ask rule (`max_attempts`) then asks again with Arena-Hard's own
follow-up, and a game still without a verdict is judge invalid.

Weights (Arena-Hard-Auto's `show_result.py`, WEIGHT = 3): a strong verdict (`A>>B`, `B>>A`) counts
as three battles won or lost, a slight one (`A>B`, `B>A`) as one, a tie as one battle scored 0.5.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from evalscope.core.judge.verdict import Parser, Verdict, visible_text

#: Arena-Hard-Auto's judge system prompt for v0.1 (OG_ARENA_HARD_PROMPT)
SYSTEM_PROMPT = (
    "Please act as an impartial judge and evaluate the quality of the responses provided by two AI assistants to the user prompt displayed below. You will be given assistant A's answer and assistant B's answer. Your job is to evaluate which assistant's answer is better.\n"
    "\n"
    "Begin your evaluation by generating your own answer to the prompt. You must provide your answers before judging any answers.\n"
    "\n"
    "When evaluating the assistants' answers, compare both assistants' answers with your answer. You must identify and correct any mistakes or inaccurate information.\n"
    "\n"
    "Then consider if the assistant's answers are helpful, relevant, and concise. Helpful means the answer correctly responds to the prompt or follows the instructions. Note when user prompt has any ambiguity or more than one interpretation, it is more helpful and appropriate to ask for clarifications or more information from the user than providing an answer based on assumptions. Relevant means all parts of the response closely connect or are appropriate to what is being asked. Concise means the response is clear and not verbose or excessive.\n"
    "\n"
    "Then consider the creativity and novelty of the assistant's answers when needed. Finally, identify any missing important information in the assistants' answers that would be beneficial to include when responding to the user prompt.\n"
    "\n"
    "After providing your explanation, you must output only one of the following choices as your final verdict with a label:\n"
    "\n"
    "1. Assistant A is significantly better: [[A>>B]]\n"
    "2. Assistant A is slightly better: [[A>B]]\n"
    "3. Tie, relatively the same: [[A=B]]\n"
    "4. Assistant B is slightly better: [[B>A]]\n"
    "5. Assistant B is significantly better: [[B>>A]]\n"
    "\n"
    'Example output: "My final verdict is tie: [[A=B]]".'
)
#: the user message (arena-hard-v0.1.yaml `prompt_template`); filled by plain replacement
PROMPT_TEMPLATE = (
    "<|User Prompt|>\n{QUESTION}\n\n<|The Start of Assistant A's Answer|>\n{ANSWER_A}\n"
    "<|The End of Assistant A's Answer|>\n\n<|The Start of Assistant B's Answer|>\n{ANSWER_B}\n"
    "<|The End of Assistant B's Answer|>"
)
#: arena-hard-v0.1.yaml `regex_patterns`, tried in order
REGEX_PATTERNS = (r"\[\[([AB<>=]+)\]\]", r"\[([AB<>=]+)\]")
#: arena-hard-v0.1.yaml `temperature`, `max_tokens` (the judge's; judge_model_args.generation_config overrides)
TEMPERATURE = 0.0
MAX_TOKENS = 4096
#: Arena-Hard-Auto's follow-up when a judgment holds no verdict (gen_judgment.py)
REMINDER = "continue your judgment and finish by outputting a final verdict label"
#: the reading rules, part of every judge call's cache key
CONTRACT = "arena_hard:v0.1:" + "|".join(REGEX_PATTERNS)
#: a strong verdict counts as this many battles (show_result.py WEIGHT)
STRONG_WEIGHT = 3

LABELS = ("A>>B", "A>B", "A=B", "B>A", "B>>A")
_SYNONYMS = {"B=A": "A=B", "B<A": "A>B", "B<<A": "A>>B", "A<B": "B>A", "A<<B": "B>>A"}
#: the first answer's score per verdict (1 won, 0.5 tie, 0 lost)
FIRST_SCORE = {"A>>B": 1.0, "A>B": 1.0, "A=B": 0.5, "B>A": 0.0, "B>>A": 0.0}
MIRROR = {"A>>B": "B>>A", "A>B": "B>A", "A=B": "A=B", "B>A": "A>B", "B>>A": "A>>B"}


def fill_prompt(template: str, question: str, answer_a: str, answer_b: str) -> str:
    """The template with {QUESTION}, {ANSWER_A}, {ANSWER_B} replaced (braces in the texts stay as written)."""
    out = (
        template.replace("{QUESTION}", "\0Q\0").replace("{ANSWER_A}", "\0A\0").replace("{ANSWER_B}", "\0B\0")
    )
    return out.replace("\0Q\0", question).replace("\0A\0", answer_a).replace("\0B\0", answer_b)


def canonical(label: str) -> str | None:
    """'B=A' -> 'A=B', 'A<<B' -> 'B>>A'; None for a string that is not a verdict."""
    label = label.strip()
    label = _SYNONYMS.get(label, label)
    return label if label in FIRST_SCORE else None


def verdict_parser(patterns: Sequence[str] = REGEX_PATTERNS) -> Parser:
    """Reads one five-level verdict, fail-closed (see the module doc)."""
    compiled = [re.compile(p) for p in patterns]

    def parse(reply: str) -> Verdict:
        text = visible_text(reply)
        for pattern in compiled:
            found = [m for m in pattern.findall(text) if m != ""]
            if not found:
                continue
            labels = {canonical(m) for m in found}
            if None in labels:
                bad = next(m for m in found if canonical(m) is None)
                return Verdict.invalid(f"{bad!r} is not a verdict ({', '.join(LABELS)})")
            if len(labels) > 1:
                return Verdict.invalid(f"conflicting verdicts {', '.join(sorted(str(x) for x in labels))}")
            label = labels.pop()
            assert label is not None
            return Verdict(valid=True, score=FIRST_SCORE[label], label=label)
        return Verdict.invalid(f"no verdict {' / '.join('[[' + x + ']]' for x in LABELS)}")

    return parse


def battle_scores(label: str, model_first: bool) -> list[float]:
    """The evaluated model's battles from one game's verdict: its score (1, 0.5, 0) once, or three
    times for a strong verdict. `model_first`: the model's answer was shown as assistant A."""
    score = FIRST_SCORE[label] if model_first else 1.0 - FIRST_SCORE[label]
    return [score] * (STRONG_WEIGHT if ">>" in label else 1)


def model_view(label: str, model_first: bool) -> str:
    """The verdict as if the model had been assistant A (the mirrored verdict when it was B)."""
    return label if model_first else MIRROR[label]


def outcome(label: str) -> str:
    """win, tie or loss of assistant A."""
    return {1.0: "win", 0.5: "tie", 0.0: "loss"}[FIRST_SCORE[label]]


__all__ = [
    "CONTRACT",
    "LABELS",
    "MAX_TOKENS",
    "PROMPT_TEMPLATE",
    "REGEX_PATTERNS",
    "REMINDER",
    "STRONG_WEIGHT",
    "SYSTEM_PROMPT",
    "TEMPERATURE",
    "battle_scores",
    "canonical",
    "fill_prompt",
    "model_view",
    "outcome",
    "verdict_parser",
]
