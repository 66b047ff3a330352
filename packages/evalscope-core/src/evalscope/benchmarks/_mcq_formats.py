"""More shared multiple-choice pieces: option columns, Chinese blocks, `(A): text` lists, shuffles."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence

from evalscope.benchmarks._mcq import option_block
from evalscope.core.benchmark import LETTERS, PromptContext
from evalscope.core.types import Sample


def options_from_columns(record: dict, columns: str = "ABCD") -> list[str]:
    """Option texts from letter columns, stopping at the first absent or empty one."""
    out: list[str] = []
    for letter in columns:
        value = record.get(letter)
        if value is None or str(value).strip() == "":
            break
        out.append(str(value).strip())
    return out


def paren_options(choices: Sequence[str], style: str = "({letter}): {text}") -> str:
    """`(A): text` lines (MMLU-Pro, MuSR, IQuiz); `style` may drop the colon (GPQA)."""
    return "\n".join(style.format(letter=LETTERS[i], text=t) for i, t in enumerate(choices))


def zh_block(sample: Sample, *, with_answer: bool, question_prefix: str = "问题：", answer_prefix: str = "答案：") -> str:
    """`问题：Q⏎A. …⏎答案：X` — the Chinese layout of C-Eval and general_mcq."""
    text = f"{question_prefix}{sample.input}\n{option_block(sample)}\n{answer_prefix}"
    return f"{text}{sample.target}" if with_answer else text


def shots_then(block: Callable[..., str], sample: Sample, ctx: PromptContext, header: str = "") -> str:
    """Few-shot blocks (with answers) then the question (without), blank-line separated."""
    parts = [block(s, with_answer=True) for s in ctx.few_shot] + [block(sample, with_answer=False)]
    return header + "\n\n".join(parts)


def seeded_shuffle(options: Sequence[str], correct: int, key: str) -> tuple[list[str], str]:
    """Options in an order fixed by `key` (not by run order), and the gold letter after shuffling."""
    order = list(range(len(options)))
    random.Random(key).shuffle(order)
    return [options[i] for i in order], LETTERS[order.index(correct)]
