"""General QA: the user's own question/answer files, scored by BLEU-1..4 and ROUGE-1/2/L.

Files: `<local_path>/{subset}.jsonl` (subset_list names the files; `default.jsonl` otherwise). A row
has `query` or `question` plus `response` or `answer`, and optionally `system`; or OpenAI-style
`messages` whose last assistant turn is the reference. Query rows are sent through the template
`请回答问题⏎{query}` (EvalScope 0.12); rows with `system` or `messages` are sent as those chat
messages. There is no hub copy: set `dataset_args.general_qa.local_path`.

Metrics per sample (then averaged): bleu-1..4 (sentence BLEU, all weight on n) and
rouge-{1,2,l}-{f,r,p}; Chinese is segmented with jieba when installed.
"""

from __future__ import annotations

from evalscope.core.benchmark import BenchmarkSpec, DataSpec, PromptSpec, ScoringSpec
from evalscope.core.datasets import DatasetFormatError
from evalscope.core.text_overlap import BLEU_KEYS, text_overlap_scores
from evalscope.core.types import ChatMessage, ModelOutput, Sample

ROUGE_ORDER = tuple(f"rouge-{n}-{m}" for m in ("f", "r", "p") for n in ("1", "2", "l"))
METRICS = BLEU_KEYS + ROUGE_ORDER


def record_to_sample(record: dict, index: int, subset: str) -> Sample:
    """One row; a row without a question and a reference is a DatasetFormatError (the loader adds
    the file, line and row id)."""
    rid = str(record.get("id", index))
    if record.get("messages"):
        messages = record["messages"]
        if not isinstance(messages, list) or not all(isinstance(m, dict) and "role" in m and "content" in m for m in messages):
            raise DatasetFormatError("messages must be a list of {\"role\": ..., \"content\": ...} objects")
        turns = [ChatMessage(str(m["role"]), str(m["content"])) for m in messages]
        if turns[-1].role == "assistant":
            return Sample(id=rid, input=turns[:-1], target=turns[-1].content)
        return Sample(id=rid, input=turns, target=str(record.get("response") or record.get("answer") or ""))
    query = record.get("query") if record.get("query") is not None else record.get("question")
    answer = record.get("response") if record.get("response") is not None else record.get("answer")
    if query is None or answer is None:
        lacking = "query (or question)" if query is None else "response (or answer)"
        raise DatasetFormatError(
            f"missing {lacking}; a general_qa row needs query/question and response/answer, or messages "
            f"(the row has {', '.join(map(str, record)) or 'no keys'})"
        )
    if record.get("system"):
        return Sample(id=rid, input=[ChatMessage("system", str(record["system"])), ChatMessage("user", str(query))], target=str(answer))
    return Sample(id=rid, input=str(query), target=str(answer))


def score(prediction: str | None, sample: Sample, output: ModelOutput) -> dict[str, float]:
    scores = text_overlap_scores(prediction or "", str(sample.target))
    return {k: scores[k] for k in METRICS}


SPEC = BenchmarkSpec(
    name="general_qa",
    data=DataSpec(
        eval_split="test",
        local_patterns=("{subset}.jsonl", "{subset}/{split}.jsonl"),
        record_to_sample=record_to_sample,
    ),
    prompt=PromptSpec(prompt_template="请回答问题\n{query}"),
    scoring=ScoringSpec(score=score, metrics=METRICS),
    pretty_name="General-QA",
    description="Your own QA files ({subset}.jsonl); BLEU-1..4 and ROUGE-1/2/L against the reference answer.",
    tags=("qa", "custom"),
)
