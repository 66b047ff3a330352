"""TriviaQA (closed book): 5-shot `Question: …⏎Answer: …`, correct when any alias appears in the output.

System prompt `Follow the given examples and answer the question.`; shots come from the dev split
(answered with the canonical answer, or the first alias), the target ends with `Answer:`. Rows in
EvalScope's hub form (`input` chat messages + `ideal` aliases) and in llm-foundry's form (`context`
`Question: …⏎Answer:`, `answer`, `aliases`) are both read. The offline llm-foundry subsample has no
dev split: shots then come from the same file, never the question itself.

Matching: an alias is found in the output before any next `Question:`, after lower-casing and
collapsing whitespace on both sides (EvalScope 0.12 matched case-sensitively).
"""

from __future__ import annotations

import re

from evalscope.core.benchmark import BenchmarkSpec, DataSpec, PromptContext, PromptSpec, ScoringSpec
from evalscope.core.metrics import ACCURACY
from evalscope.core.types import GenerationConfig, ModelOutput, Sample

SYSTEM = "Follow the given examples and answer the question."
_QUESTION = re.compile(r"^\s*Question:\s*(.*?)\s*(?:\n\s*Answer:\s*)?$", re.DOTALL)


def _question(record: dict) -> str:
    if "context" in record:
        text = str(record["context"])
    else:
        messages = record["input"]
        text = str(messages if isinstance(messages, str) else [m for m in messages if m.get("role") == "user"][-1]["content"])
    m = _QUESTION.match(text)
    return m.group(1) if m else text.strip()


def record_to_sample(record: dict, index: int, subset: str) -> Sample:
    aliases = [str(a) for a in (record.get("ideal") or record.get("aliases") or [])]
    answer = str(record.get("answer") or (aliases[0] if aliases else ""))
    target = list(dict.fromkeys([answer, *aliases])) if answer else aliases
    return Sample(id=str(record.get("id", index)), input=_question(record), target=target, metadata={"answer": answer})


def format_query(sample: Sample, ctx: PromptContext) -> str:
    shots = [f"Question: {s.input}\nAnswer: {s.metadata['answer']}" for s in ctx.few_shot if s.input != sample.input]
    return "\n\n".join([*shots, f"Question: {sample.input}\nAnswer:"])


def normalize(text: str) -> str:
    return " ".join(text.lower().split())


def extract(text: str, sample: Sample) -> str:
    return text.split("Question:")[0].strip()


def score(prediction: str | None, sample: Sample, output: ModelOutput) -> dict[str, float]:
    found = normalize(prediction or "")
    return {ACCURACY: float(bool(found) and any(normalize(a) and normalize(a) in found for a in sample.target))}


SPEC = BenchmarkSpec(
    name="trivia_qa",
    data=DataSpec(
        dataset_id="modelscope/trivia_qa",
        hf_dataset_id="mandarjoshi/trivia_qa",
        eval_split="test",
        fewshot_split="dev",
        local_dir="triviaqa",
        local_patterns=(
            "{subset}/trivia-{split}.jsonl",
            "trivia-{split}.jsonl",
            "{split}.jsonl",
            "triviaqa_sm_sub.jsonl",
        ),
        record_to_sample=record_to_sample,
    ),
    prompt=PromptSpec(
        few_shot_num=5,
        format_query=format_query,
        system_prompt=SYSTEM,
        generation_config=GenerationConfig(stop=["\nQuestion:"]),
    ),
    scoring=ScoringSpec(extract=extract, score=score),
    pretty_name="TriviaQA",
    description="TriviaQA closed-book questions, 5-shot; correct when any answer alias appears in the output.",
    tags=("knowledge", "qa"),
)
