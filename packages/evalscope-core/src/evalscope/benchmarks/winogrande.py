"""WinoGrande: pick which of two names/things fills the blank of a sentence.

Reads the hub form (`sentence` with `_`, `option1`, `option2`, `answer` "1"/"2") and MosaicML's
partial-evaluation form (`context_options`, `continuation`, `gold` 0/1), whose shared words before
the blank become the prefix. Log-likelihood mode uses partial scoring (Sakaguchi et al.; as
lm-evaluation-harness does): the context is the sentence up to the blank with the option filled
in, and what is scored is the rest of the sentence after the blank, the same words for both
options, so the option that makes them likelier wins. Letter modes:
`Fill in the blank: …⏎A. …⏎B. …⏎Answer:`.
"""

from __future__ import annotations

from evalscope.benchmarks._mcq import letter_of, option_block
from evalscope.core.benchmark import DataSpec, PromptContext, PromptSpec, mcq_spec
from evalscope.core.types import Sample

_NO_SPACE_BEFORE = tuple(".,;:!?'\")")


def _join(left: str, right: str) -> str:
    if not left or not right:
        return left + right
    return left + right if right.startswith(_NO_SPACE_BEFORE) else f"{left} {right}"


def _split_foundry(record: dict) -> tuple[str, list[str], str]:
    words = [c.split(" ") for c in record["context_options"]]
    n = 0
    while all(n < len(w) - 1 for w in words) and len({w[n] for w in words}) == 1:
        n += 1
    return " ".join(words[0][:n]), [" ".join(w[n:]) for w in words], str(record["continuation"]).strip()


def record_to_sample(record: dict, index: int, subset: str) -> Sample:
    if "context_options" in record:
        prefix, options, suffix = _split_foundry(record)
        gold = letter_of(record["gold"])
    else:
        before, _, after = str(record["sentence"]).partition("_")
        prefix, suffix = before.rstrip(), after.strip()
        options = [str(record["option1"]).strip(), str(record["option2"]).strip()]
        gold = letter_of(record["answer"], ["1", "2"])
    return Sample(
        id=str(record.get("qID", index)),
        input=_join(_join(prefix, "_"), suffix),
        choices=options,
        target=gold,
        metadata={"prefix": prefix, "suffix": suffix},
    )


def format_query(sample: Sample, ctx: PromptContext) -> str:
    return f"Fill in the blank: {sample.input}\n{option_block(sample)}\nAnswer:"


def choice_contexts(sample: Sample) -> list[str]:
    """What each option adds to the shared prefix: the prefix with the blank filled."""
    lead = " " if sample.metadata["prefix"] else ""
    return [lead + option for option in sample.choices or []]


def continuations(sample: Sample) -> list[str]:
    """The rest of the sentence after the blank, scored after each filled-in context."""
    suffix = sample.metadata["suffix"]
    return [_join(option, suffix)[len(option) :] for option in sample.choices or []]


SPEC = mcq_spec(
    name="winogrande",
    data=DataSpec(
        dataset_id="AI-ModelScope/winogrande_val",
        hf_dataset_id="allenai/winogrande",
        hub_subset=lambda subset: "winogrande_xl",
        eval_split="validation",
        local_dir="winogrande",
        local_patterns=("winogrande_dev.jsonl", "{split}.jsonl"),
        record_to_sample=record_to_sample,
    ),
    prompt=PromptSpec(
        few_shot_num=0,
        max_few_shot=0,
        format_query=format_query,
        format_context=lambda sample, ctx: sample.metadata["prefix"],
        continuations=continuations,
        choice_contexts=choice_contexts,
    ),
    pretty_name="WinoGrande",
    description="Commonsense pronoun/blank resolution with two options (dev/validation split).",
    tags=("commonsense", "mcq", "reasoning"),
    output_types=("continuation", "multiple_choice", "generation"),
)
