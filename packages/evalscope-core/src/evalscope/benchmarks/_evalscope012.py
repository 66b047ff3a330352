"""EvalScope 0.12's prompts, byte for byte: `prompt_style: evalscope-0.12`.

What 0.12.0's adapters wrote for arc, ceval, cmmlu, mmlu, gsm8k and hellaswag, and how its local
multiple-choice mode read the answer: the prompt as raw text (no chat template) and the next-token
probability of the bare letter token only. Three 0.12 bugs are not reproduced: MMLU's target
question written twice, ARC's numeric option labels (options are always lettered A, B, ...), and
scores that depend on the batch (0.12 padded without an attention mask). Every difference is listed
in docs/evalscope-0.12-compat.md.

This module is the `evalscope-0.12` prompt style (`PROMPT_STYLE`, registered lazily by
core/prompt_styles.py): it names the benchmarks it restyles and their overrides; the benchmark specs
know nothing of it. `evalscope-0.12-verbatim` (_evalscope012_verbatim.py) reuses these overrides and
puts the first two bugs back.
"""

from __future__ import annotations

import re

from evalscope.benchmarks._ceval_subjects import SUBJECTS
from evalscope.benchmarks._evalscope012_data import GSM8K_EXEMPLARS
from evalscope.benchmarks._mcq import verbatim
from evalscope.core.benchmark import LETTERS, PromptContext, Task
from evalscope.core.prompt_styles import PromptStyle, StyleOverride
from evalscope.core.serialization import ConfigError
from evalscope.core.types import ModelOutput, ModelRequest, RequestKind, Sample

STYLE = "evalscope-0.12"
#: how 0.12's MultiChoiceModelAdapter read a letter: its bare token only (see ModelRequest.letter_rule)
LETTER_RULE = "bare"


def build_request(task: Task, sample: Sample) -> ModelRequest:
    """Option letters are scored after the raw prompt (no chat template) from the bare letter token;
    every other mode builds the usual request."""
    if task.output_type != "multiple_choice":
        return task.default_build_request(sample)
    # a system prompt has no chat turn to go in: it goes before the text, as the HF adapter joins
    # messages for a model without a chat template (0.12 dropped it silently)
    return letter_request(task, sample, letters=LETTERS[: len(_choices(sample))], system=True)


def letter_request(task: Task, sample: Sample, *, letters: str, system: bool) -> ModelRequest:
    """The raw-prompt, bare-letter request over `letters`; `system`: keep the system prompt (before the
    text, one newline) or drop it."""
    messages = task.messages(sample, task.context(sample))
    prompt = "\n".join(m.text for m in messages if system or m.role != "system")
    return ModelRequest(
        kind=RequestKind.CHOICE_PROBS,
        prompt=prompt,
        choices=list(letters),
        config=task.generation_config,
        letter_rule=LETTER_RULE,
    )


# -- shared pieces -------------------------------------------------------------------------------
def _choices(sample: Sample) -> list[str]:
    """Option texts as the source wrote them (before our whitespace clean-up)."""
    return [str(c) for c in verbatim(sample, "choices", sample.choices or [])]


def _question(sample: Sample) -> str:
    return str(verbatim(sample, "question", sample.input))


def _lettered(sample: Sample) -> str:
    """`⏎A. text⏎B. text...` — every option on its own line after a newline."""
    return "".join(f"\n{LETTERS[i]}. {text}" for i, text in enumerate(_choices(sample)))


def _answer_block(sample: Sample, *, with_answer: bool) -> str:
    """`Q⏎A. …⏎Answer:` and, for a few-shot example, ` X⏎⏎` (ARC, MMLU and CMMLU alike)."""
    text = f"{_question(sample)}{_lettered(sample)}\nAnswer:"
    return f"{text} {sample.target}\n\n" if with_answer else text


def _spaced_subject(subset: str) -> str:
    """0.12's subject words for MMLU and CMMLU: a space before each word, so `about  x y`."""
    return "".join(" " + word for word in subset.split("_"))


# -- per benchmark ---------------------------------------------------------------------------------
def arc_query(sample: Sample, ctx: PromptContext) -> str:
    """Examples joined by one newline (each already ends in a blank line), then the question; no header."""
    shots = "\n".join(_answer_block(s, with_answer=True) for s in ctx.few_shot)
    return shots + _answer_block(sample, with_answer=False)


def mmlu_query(sample: Sample, ctx: PromptContext) -> str:
    """Header `… about  {subject}. ⏎`, then examples and question, stripped; the question once."""
    blocks = [_answer_block(s, with_answer=True) for s in ctx.few_shot]
    body = ("\n".join(blocks) + "\n" + _answer_block(sample, with_answer=False)).strip()
    return f"The following are multiple choice questions (with answers) about {_spaced_subject(sample.subset)}. \n{body}"


def cmmlu_query(sample: Sample, ctx: PromptContext) -> str:
    """Chinese header with the English subject words (as 0.12 filled it), English `Answer:` blocks."""
    blocks = [_answer_block(s, with_answer=True) for s in ctx.few_shot]
    body = ("\n".join(blocks) + "\n" + _answer_block(sample, with_answer=False)).strip()
    return f"以下是关于{_spaced_subject(sample.subset)}的单项选择题，请直接给出正确答案的选项。\n{body}"


def _ceval_block(sample: Sample, *, with_answer: bool) -> str:
    text = f"问题：{_question(sample)}{_lettered(sample)}\n答案: "
    return f"{text}{sample.target}\n\n" if with_answer else text


def ceval_query(sample: Sample, ctx: PromptContext) -> str:
    """Chinese header with the Chinese subject name; `问题：…⏎答案: ` blocks. Few-shot examples are
    stripped together and the question follows the last answer with no separator, as in 0.12."""
    shots = [_ceval_block(s, with_answer=True) for s in ctx.few_shot]
    context = ("\n".join(shots) + "\n").strip() if shots else ""
    subject = SUBJECTS[sample.subset][0] if sample.subset in SUBJECTS else sample.subset
    return f"以下是中国关于{subject}考试的单项选择题，请选出其中的正确答案。\n{context}{_ceval_block(sample, with_answer=False)}"


def gsm8k_query(sample: Sample, ctx: PromptContext) -> str:
    """0.12's fixed chain-of-thought exemplars (not the train split), then the question."""
    return gsm8k_prompt(sample, len(ctx.few_shot))


def gsm8k_prompt(sample: Sample, k: int) -> str:
    """The first `k` of 0.12's exemplars, then the question."""
    if k > len(GSM8K_EXEMPLARS):
        raise ConfigError(
            f"dataset_args.gsm8k.few_shot_num: prompt_style {STYLE} has {len(GSM8K_EXEMPLARS)} fixed "
            f"exemplars; use 0 to {len(GSM8K_EXEMPLARS)} (got {k})"
        )
    shots = "".join(
        f"Question: {q}\nLet's think step by step\n" + "\n".join(steps) + f"\nThe answer is {answer}\n\n"
        for q, steps, answer in GSM8K_EXEMPLARS[:k]
    )
    return f"{shots}Question: {sample.input}\nLet's think step by step\nAnswer:"


# -- HellaSwag: continuation log-likelihood --------------------------------------------------------
def hellaswag_clean(text: str) -> str:
    """0.12's clean-up: strip, ` [title]` -> `. `, `[tags]` out, one pass of double spaces -> one."""
    text = text.strip().replace(" [title]", ". ")
    text = re.sub(r"\[.*?\]", "", text)
    return text.replace("  ", " ")


def _hellaswag_endings(sample: Sample) -> list[str]:
    return [hellaswag_clean(str(e)) for e in verbatim(sample, "endings", sample.choices or [])]


def hellaswag_request(task: Task, sample: Sample) -> ModelRequest:
    """Continuation mode under the 0.12 style: the cleaned `label: context`, stripped, and each
    cleaned ending after one space; every other mode builds the usual request."""
    if task.output_type != "continuation":
        return task.default_build_request(sample)
    context = hellaswag_clean(str(verbatim(sample, "context", sample.input))).strip()
    return ModelRequest(
        kind=RequestKind.LOGLIKELIHOOD,
        prompt=context,
        choices=[" " + e.strip() for e in _hellaswag_endings(sample)],
        config=task.generation_config,
    )


def hellaswag_predict(task: Task, sample: Sample, output: ModelOutput) -> tuple[str | None, object]:
    """0.12's pick: the highest log-likelihood per character of the cleaned ending."""
    if task.output_type != "continuation":
        return task.default_predict(sample, output)
    scores = list(output.scores or [])
    if not scores:
        return None, None
    lengths = [max(1, len(e)) for e in _hellaswag_endings(sample)]
    per_char = [s / n for s, n in zip(scores, lengths)]
    return None, LETTERS[max(range(len(per_char)), key=per_char.__getitem__)]


#: the style: 0.12's query text everywhere it differs, its raw-prompt letter scoring for the MCQs,
#: its cleaned, per-character HellaSwag continuations
PROMPT_STYLE = PromptStyle(
    name=STYLE,
    description="EvalScope 0.12's prompts, byte for byte (docs/evalscope-0.12-compat.md)",
    overrides={
        "arc": StyleOverride(format_query=arc_query, build_request=build_request),
        "mmlu": StyleOverride(format_query=mmlu_query, build_request=build_request),
        "ceval": StyleOverride(format_query=ceval_query, build_request=build_request),
        "cmmlu": StyleOverride(format_query=cmmlu_query, build_request=build_request),
        "gsm8k": StyleOverride(format_query=gsm8k_query),
        "hellaswag": StyleOverride(build_request=hellaswag_request, predict=hellaswag_predict),
    },
)
