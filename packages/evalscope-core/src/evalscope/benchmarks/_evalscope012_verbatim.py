"""EvalScope 0.12's prompts bugs included: `prompt_style: evalscope-0.12-verbatim`.

The `evalscope-0.12` style (_evalscope012.py) with the prompt differences it fixes put back, so a
published 0.12 number can be reproduced item for item:

- MMLU: the target question a second time right after the final `Answer:` (0.12 appended it to the
  stripped context, so `Answer:Which…` where the question has no leading space);
- ARC: options labelled as the data labels them (`1. air`), the gold answer as written (`2`), few-shot
  answers too, and always the letters A-D asked for (an item labelled 1-4 can never be right, the E
  of a 5-option item never picked, the D of a 3-option item pickable);
- GSM8K: any `few_shot_num` but 0 sends all four exemplars (0.12 reset other counts to 4);
- letter mode (arc, mmlu, ceval, cmmlu): the system prompt is dropped, as 0.12's multiple-choice
  adapter dropped it; the letters are always A-D.

Everything else is the `evalscope-0.12` style's overrides, reused. Batch-dependent padding is not a
prompt and stays fixed. docs/evalscope-0.12-compat.md lists every entry and what this style does.
"""

from __future__ import annotations

import functools
import logging
from typing import Any

import attrs

from evalscope.benchmarks import _evalscope012 as es012
from evalscope.benchmarks import arc
from evalscope.benchmarks._evalscope012_data import GSM8K_EXEMPLARS
from evalscope.benchmarks._mcq import verbatim, verbatim_metadata
from evalscope.core.benchmark import LETTERS, PromptContext, Task
from evalscope.core.extractors import extract_choice
from evalscope.core.prompt_styles import PromptStyle
from evalscope.core.types import ModelOutput, ModelRequest, Sample

STYLE = "evalscope-0.12-verbatim"
#: the letters 0.12 scored and parsed for arc, mmlu, ceval and cmmlu, whatever the number of options
LETTERS_012 = "ABCD"

log = logging.getLogger("evalscope.benchmarks")


def build_request(task: Task, sample: Sample) -> ModelRequest:
    """Letter mode as 0.12's MultiChoiceModelAdapter: the raw prompt without the system prompt, the
    bare tokens of A-D; every other mode builds the usual request (a service got the system prompt)."""
    if task.output_type != "multiple_choice":
        return task.default_build_request(sample)
    return es012.letter_request(task, sample, letters=LETTERS_012, system=False)


# -- MMLU -------------------------------------------------------------------------------------------
def mmlu_query(sample: Sample, ctx: PromptContext) -> str:
    """The 0.12 style's text, then the target question block again with nothing between."""
    return es012.mmlu_query(sample, ctx) + es012._answer_block(sample, with_answer=False)


# -- ARC --------------------------------------------------------------------------------------------
def arc_record_to_sample(record: dict[str, Any], index: int, subset: str) -> Sample:
    """0.12's reading of an ARC record: the gold answer as written (`2` where options are labelled
    1-4), and the labels kept when they are not A, B, ..."""
    sample = arc.record_to_sample(record, index, subset)
    labels = [str(x) for x in record["choices"]["label"]]
    sample.target = str(record["answerKey"])
    sample.metadata.update(verbatim_metadata(labels=(labels, list(LETTERS[: len(labels)]))))
    return sample


def _arc_block(sample: Sample, *, with_answer: bool) -> str:
    """`Q⏎1. text⏎2. text…⏎Answer:` with the data's labels; an example adds ` {answerKey}⏎⏎`."""
    texts = es012._choices(sample)
    labels = verbatim(sample, "labels", list(LETTERS[: len(texts)]))
    options = "".join(f"\n{label}. {text}" for label, text in zip(labels, texts))
    text = f"{es012._question(sample)}{options}\nAnswer:"
    return f"{text} {sample.target}\n\n" if with_answer else text


def arc_query(sample: Sample, ctx: PromptContext) -> str:
    """Examples joined by one newline, then the question; no header (as the 0.12 style)."""
    return "\n".join(_arc_block(s, with_answer=True) for s in ctx.few_shot) + _arc_block(
        sample, with_answer=False
    )


def arc_predict(task: Task, sample: Sample, output: ModelOutput) -> tuple[str | None, Any]:
    """A generated answer is read as one of A-D, as 0.12 parsed it; other modes as usual."""
    if task.output_type != "generation":
        return task.default_predict(sample, output)
    filtered = task.filter_text(output.text)
    return filtered, extract_choice(filtered, LETTERS_012)


# -- GSM8K ------------------------------------------------------------------------------------------
@functools.cache
def _warn_shots(k: int) -> None:
    log.warning(
        "gsm8k: prompt_style %s sends all %d exemplars for few_shot_num=%d, as EvalScope 0.12 did (0 or %d are exact)",
        STYLE,
        len(GSM8K_EXEMPLARS),
        k,
        len(GSM8K_EXEMPLARS),
    )


def gsm8k_query(sample: Sample, ctx: PromptContext) -> str:
    """0.12's rule: no exemplars for 0-shot, all four for any other count."""
    k = len(ctx.few_shot)
    if k not in (0, len(GSM8K_EXEMPLARS)):
        _warn_shots(k)
    return es012.gsm8k_prompt(sample, len(GSM8K_EXEMPLARS) if k else 0)


_BASE = es012.PROMPT_STYLE.overrides

#: the `evalscope-0.12` overrides, with what differs replaced (hellaswag's are the same)
PROMPT_STYLE = PromptStyle(
    name=STYLE,
    description="EvalScope 0.12's prompts with its prompt bugs (MMLU's repeated question, ARC's labels)",
    overrides={
        **_BASE,
        "arc": attrs.evolve(
            _BASE["arc"],
            record_to_sample=arc_record_to_sample,
            format_query=arc_query,
            build_request=build_request,
            predict=arc_predict,
        ),
        "mmlu": attrs.evolve(_BASE["mmlu"], format_query=mmlu_query, build_request=build_request),
        "ceval": attrs.evolve(_BASE["ceval"], build_request=build_request),
        "cmmlu": attrs.evolve(_BASE["cmmlu"], build_request=build_request),
        "gsm8k": attrs.evolve(_BASE["gsm8k"], format_query=gsm8k_query),
    },
)
