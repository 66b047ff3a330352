"""BIG-Bench Hard: 27 tasks (subsets), 3-shot chain of thought from the task's CoT prompt file.

Prompt (EvalScope 0.12): `Follow the given examples and answer the question.⏎` + the task's CoT prompt
(description and 3 exemplars) + `⏎⏎Q: {input}⏎A: Let's think step by step.`; 0-shot drops the header
and exemplars. The CoT prompts are data, read at run time as the few-shot split `cot-prompts`
(`<dir>/cot-prompts/<task>.txt` beside `<dir>/bbh/<task>.json`, as in suzgunmirac/BIG-Bench-Hard);
the file's canary header (up to the `-----` line) is not sent. Any few_shot_num > 0 means the file's
3 exemplars (EvalScope accepted only 0 or 3).

Extraction: text after the last `answer is`; multiple-choice tasks take `(X)` or the first capital
letter there, free-form tasks the rest of that line without a trailing period; exact match with the
gold (`(A)` -> `A`). A model that starts a new `Q:` block is cut there.
"""

from __future__ import annotations

import re

from evalscope.benchmarks._bbh_tasks import MULTIPLE_CHOICE_TASKS, TASKS
from evalscope.core.benchmark import BenchmarkSpec, DataSpec, PromptContext, PromptSpec, ScoringSpec
from evalscope.core.types import GenerationConfig, Sample

HEADER = "Follow the given examples and answer the question."
COT_SPLIT = "cot-prompts"
_PAREN_LETTER = re.compile(r"\(([A-Z])\)")
_LETTER = re.compile(r"\b([A-Z])\b")
_ANSWER_IS = re.compile(r"answer is\s*:?", re.IGNORECASE)


def cot_prompt(text: str) -> str:
    """A CoT prompt file without its canary header (everything up to the `-----` line)."""
    head, sep, body = text.partition("\n-----\n")
    return (body if sep else head).strip()


def record_to_sample(record: dict, index: int, subset: str) -> Sample:
    if "text" in record and "input" not in record:  # a cot-prompts/<task>.txt file (few-shot split)
        return Sample(id=f"cot-{subset}", input=cot_prompt(str(record["text"])), metadata={"cot_prompt": True})
    target = str(record["target"]).strip()
    gold = target[1:-1] if _PAREN_LETTER.fullmatch(target) else target
    return Sample(id=str(record.get("id", index)), input=str(record["input"]), target=gold)


def format_query(sample: Sample, ctx: PromptContext) -> str:
    question = f"Q: {sample.input}\nA: Let's think step by step."
    if ctx.few_shot:
        return f"{HEADER}\n{ctx.few_shot[0].input}\n\n{question}"
    return question


def extract(text: str, sample: Sample) -> str:
    text = re.split(r"\n\s*Q:", text, maxsplit=1)[0]
    cues = list(_ANSWER_IS.finditer(text))
    tail = text[cues[-1].end():].strip() if cues else text.strip()
    if sample.subset in MULTIPLE_CHOICE_TASKS:
        found = _PAREN_LETTER.search(tail) or _LETTER.search(tail)
        return found.group(1) if found else ""
    line = tail.split("\n", 1)[0].strip().strip("*").strip()
    return line[:-1].strip() if line.endswith(".") else line


SPEC = BenchmarkSpec(
    name="bbh",
    data=DataSpec(
        dataset_id="modelscope/bbh",
        hf_dataset_id="lukaemon/bbh",
        subsets=TASKS,
        eval_split="test",
        fewshot_split=COT_SPLIT,
        local_dir="bbh",
        local_patterns=(
            "{split}/{subset}.txt",
            "bbh/{subset}.json",
            "{subset}.json",
            "{subset}/{split}.jsonl",
        ),
        record_to_sample=record_to_sample,
    ),
    prompt=PromptSpec(
        few_shot_num=3,
        max_few_shot=3,
        format_query=format_query,
        generation_config=GenerationConfig(stop=["\n\nQ:"]),
    ),
    scoring=ScoringSpec(extract=extract),
    pretty_name="BBH",
    description="BIG-Bench Hard: 27 reasoning tasks, 3-shot chain of thought; exact match of the extracted answer.",
    tags=("reasoning",),
)
