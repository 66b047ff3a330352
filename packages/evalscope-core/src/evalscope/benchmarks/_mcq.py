"""Shared pieces of multiple-choice specs: option blocks and answer letters."""

from __future__ import annotations

from typing import Any

from evalscope.core.benchmark import LETTERS, PromptContext
from evalscope.core.types import Sample


def option_block(sample: Sample, style: str = "{letter}. {text}") -> str:
    return "\n".join(style.format(letter=LETTERS[i], text=t) for i, t in enumerate(sample.choices or []))


def question_block(sample: Sample, *, with_answer: bool, answer_prefix: str = "Answer:") -> str:
    """`Q⏎A. …⏎B. …⏎Answer: X` (EvalScope's MCQ layout); the target ends at `Answer:`."""
    text = f"{sample.input}\n{option_block(sample)}\n{answer_prefix}"
    return f"{text} {sample.target}" if with_answer else text


def few_shot_then_question(sample: Sample, ctx: PromptContext, header: str = "") -> str:
    shots = [question_block(s, with_answer=True) for s in ctx.few_shot]
    body = "\n\n".join([*shots, question_block(sample, with_answer=False)])
    return f"{header}{body}" if header else body


def letter_of(value: object, labels: list[str] | None = None) -> str:
    """Gold answer as a letter, from a letter, a 0-based index, or one of `labels` ("1".."4")."""
    text = str(value).strip()
    if labels and text in labels:
        return LETTERS[labels.index(text)]
    if text.isdigit():
        return LETTERS[int(text)]
    return text.upper()


def verbatim_metadata(**pairs: tuple[object, object]) -> dict:
    """{"verbatim": {key: source}} for each (source, cleaned) pair that our clean-up changed, else {}.

    Samples keep cleaned text; a prompt style that must show the source as it was
    (`prompt_style: evalscope-0.12`) reads it back with `verbatim`.
    """
    changed = {key: source for key, (source, cleaned) in pairs.items() if source != cleaned}
    return {"verbatim": changed} if changed else {}


def verbatim(sample: Sample, key: str, cleaned: object) -> Any:
    """The source text of `key` if cleaning changed it, else `cleaned`."""
    return sample.metadata.get("verbatim", {}).get(key, cleaned)
