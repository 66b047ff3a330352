"""GSM8K: grade-school math word problems, chain-of-thought, last-number match.

EvalScope 0.12 prompt: `Question: {q}⏎Let's think step by step⏎Answer:` after 4 CoT exemplars.
Exemplars come from the train split (first k, or random with few_shot_random) instead of
hard-coded text, so `few_shot_num` means what it says; `prompt_style: evalscope-0.12` uses 0.12's
four fixed exemplars (_evalscope012.py).
"""

from __future__ import annotations

import re

from evalscope.core.benchmark import BenchmarkSpec, DataSpec, PromptContext, PromptSpec, ScoringSpec
from evalscope.core.extractors import last_number, numbers_equal
from evalscope.core.metrics import ACCURACY
from evalscope.core.types import GenerationConfig, ModelOutput, Sample

_CALC = re.compile(r"<<[^>]*>>")


def gold_number(answer: str) -> str:
    return answer.split("####")[-1].strip().replace(",", "")


def chain_of_thought(answer: str) -> str:
    """Train-split solution as readable CoT: calculator marks removed, `The answer is N.` at the end."""
    reasoning, _, final = answer.partition("####")
    reasoning = _CALC.sub("", reasoning).strip().replace("\n", " ")
    return f"{reasoning} The answer is {final.strip()}."


def record_to_sample(record: dict, index: int, subset: str) -> Sample:
    return Sample(
        id=str(record.get("id", index)),
        input=record["question"],
        target=gold_number(record["answer"]),
        metadata={"solution": record["answer"]},
    )


def format_query(sample: Sample, ctx: PromptContext) -> str:
    shots = [
        f"Question: {s.input}\nLet's think step by step\nAnswer: {chain_of_thought(s.metadata['solution'])}"
        for s in ctx.few_shot
    ]
    return "\n\n".join([*shots, f"Question: {sample.input}\nLet's think step by step\nAnswer:"])


def extract(text: str, sample: Sample) -> str | None:
    # stop at a new question the model may have started writing
    return last_number(text.split("Question:")[0])


def score(prediction: str | None, sample: Sample, output: ModelOutput) -> dict[str, float]:
    return {ACCURACY: float(numbers_equal(prediction, sample.target))}


SPEC = BenchmarkSpec(
    name="gsm8k",
    data=DataSpec(
        dataset_id="modelscope/gsm8k",
        hf_dataset_id="openai/gsm8k",
        hub_subset=lambda subset: "main",
        subsets=("main",),
        eval_split="test",
        fewshot_split="train",
        local_dir="gsm8k",
        local_patterns=("{split}.jsonl",),
        record_to_sample=record_to_sample,
    ),
    prompt=PromptSpec(
        few_shot_num=4, format_query=format_query, generation_config=GenerationConfig(stop=["Question:"])
    ),
    scoring=ScoringSpec(extract=extract, score=score),
    pretty_name="GSM8K",
    description="Grade-school math word problems; 4-shot chain of thought; numeric match of the last number.",
    tags=("math", "reasoning"),
)
