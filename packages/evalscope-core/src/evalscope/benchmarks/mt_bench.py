"""`mt_bench`: MT-Bench (FastChat), 80 two-turn questions in 8 categories, single-answer grading.

The model answers both turns of each question (`Sample.turns`: turn 2 is asked with the model's own
turn-1 answer in the conversation). The judge rates each turn on a 1-10 scale with MT-Bench's own
prompts (`judge_prompts.jsonl` beside the questions, shipped in `_lib/mt_bench_prompts.py`):

- turn 1: `single-v1`, or `single-math-v1` with the GPT-4 reference answer for math, reasoning and
  coding (`reference_answer_gpt-4.jsonl`, read from the folder of question.jsonl);
- turn 2: `single-v1-multi-turn` / `single-math-v1-multi-turn`: the whole conversation (and both
  reference answers), the judge told to rate the answer to the second question;
- judge settings as FastChat's (temperature 0, 2048 tokens; the user's judge generation_config wins).

The rating is read from `[[n]]` fail-closed: every `[[...]]` of the reply must be the same number in
1..10; otherwise the judge is asked again (the run judge's re-ask rule), and a turn still without a
rating is judge invalid: left out of every mean and counted (`Report` judge quality, and the sample is
INVALID when neither turn got a rating). Never a number in its place.

Metrics per category (subset) and overall: `turn_1`, `turn_2` (the mean rating of each turn) and
`score`: the mean of every valid turn rating (FastChat's overall), computed by `aggregate` over the
(question, turn) ratings, so a question with one invalid turn adds only its valid one.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import attrs

from evalscope.benchmarks._lib.mt_bench_prompts import JUDGE_PROMPTS
from evalscope.core.benchmark import BenchmarkSpec, DataSpec, PromptSpec, ScoringSpec
from evalscope.core.judge.judge import LLMJudge, gather_calls
from evalscope.core.judge.prompts import fill
from evalscope.core.judge.verdict import numeric_parser
from evalscope.core.types import (
    ChatMessage,
    GenerationConfig,
    ModelOutput,
    Sample,
    SampleResult,
    SampleStatus,
)

log = logging.getLogger("evalscope.benchmarks.mt_bench")

NAME = "mt_bench"
CATEGORIES = ("writing", "roleplay", "reasoning", "math", "coding", "extraction", "stem", "humanities")
#: categories graded against the reference answer (FastChat's NEED_REF_CATS)
REFERENCE_CATEGORIES = frozenset({"math", "reasoning", "coding"})
REFERENCE_FILE = "reference_answer_gpt-4.jsonl"
OVERALL, TURN_METRICS = "score", ("turn_1", "turn_2")
#: FastChat's judge settings (gen_judgment: temperature 0, max_tokens 2048)
JUDGE_TEMPERATURE, JUDGE_MAX_TOKENS = 0.0, 2048
#: `[[8]]`, `[[ 7.5 ]]`; a single-bracket `[5]` is not a rating (the prompt asks for double brackets)
RATING_PATTERN = r"\[\[\s*(\d+(?:\.\d+)?)\s*\]\]"
LOW, HIGH = 1.0, 10.0
CONTRACT = json.dumps({"benchmark": NAME, "pattern": RATING_PATTERN, "range": [LOW, HIGH]}, sort_keys=True)
REMINDER = 'Your reply did not contain exactly one rating. Give your rating again, on a scale of 1 to 10, strictly in this format: "[[rating]]", for example: "Rating: [[5]]".'


def group_by_category(records: Sequence[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Questions bucketed by category, each with the GPT-4 reference answers (`reference_answers`)
    when the folder of question.jsonl holds reference_answer_gpt-4.jsonl and names the question."""
    references = _references(getattr(records, "path", None))
    grouped: dict[str, list[dict[str, Any]]] = {c: [] for c in CATEGORIES}
    for record in records:
        row = dict(record)
        turns = references.get(str(row.get("question_id")))
        if turns is not None:
            row["reference_answers"] = turns
        grouped.setdefault(str(row.get("category", "")), []).append(row)
    return grouped


def _references(questions: Path | None) -> dict[str, list[str]]:
    if questions is None:
        return {}
    path = Path(questions).parent / REFERENCE_FILE
    if not path.is_file():
        return {}
    found: dict[str, list[str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            found[str(row["question_id"])] = [str(t) for t in row["choices"][0]["turns"]]
    return found


def record_to_sample(record: dict[str, Any], index: int, subset: str) -> Sample:
    turns = [str(t) for t in record["turns"]]
    if len(turns) < 2:
        raise ValueError(f"turns: MT-Bench questions have two turns, got {len(turns)}")
    category = str(record["category"])
    return Sample(
        id=str(record["question_id"]),
        input=[ChatMessage("user", turns[0])],
        turns=[ChatMessage("user", t) for t in turns[1:]],
        target=record.get("reference_answers"),
        subset=category,
        metadata={"question_id": record["question_id"], "category": category},
    )


def no_score(
    prediction: object, sample: Sample, output: ModelOutput, params: dict[str, Any] | None = None
) -> dict[str, float]:
    """The judge rates every turn (the judge step); the rule review gives nothing."""
    return {}


def aggregate(results: Sequence[SampleResult]) -> dict[str, float]:
    """`score`: the mean of every valid (question, turn) rating (a question's invalid turn left out)."""
    ratings = [r.scores[m] for r in results for m in TURN_METRICS if m in r.scores]
    return {OVERALL: sum(ratings) / len(ratings)} if ratings else {}


def prompt_name(category: str, turn: int) -> str:
    """MT-Bench's judge prompt of a category's turn (1 or 2)."""
    name = "single-math-v1" if category in REFERENCE_CATEGORIES else "single-v1"
    return name + ("-multi-turn" if turn == 2 else "")


def judge_messages(sample: Sample, answers: Sequence[str], turn: int) -> tuple[str, list[ChatMessage]]:
    """(the prompt's name, the judge's messages) rating the answer to `turn` (1 or 2)."""
    category = str(sample.metadata.get("category", sample.subset))
    questions = [m.text for m in (sample.input if isinstance(sample.input, list) else [])] + [
        m.text for m in sample.turns
    ]
    if isinstance(sample.input, str):
        questions.insert(0, sample.input)
    refs = [str(r) for r in sample.target] if isinstance(sample.target, list) else []
    name = prompt_name(category, turn)
    if name.startswith("single-math") and len(refs) < turn:  # a reference category without the answer file
        name = name.replace("single-math-v1", "single-v1")
    prompt = JUDGE_PROMPTS[name]
    values = {
        "question": questions[0],
        "answer": answers[0],
        "ref_answer_1": refs[0] if refs else "",
        "question_1": questions[0],
        "question_2": questions[1] if len(questions) > 1 else "",
        "answer_1": answers[0],
        "answer_2": answers[1] if len(answers) > 1 else "",
        "ref_answer_2": refs[1] if len(refs) > 1 else "",
    }
    user = fill(prompt["prompt_template"], **values)
    return name, [ChatMessage("system", prompt["system_prompt"]), ChatMessage("user", user)]


@attrs.define
class MTBenchProtocol:
    """The judge step of mt_bench: one rating per turn, fail-closed."""

    generation: GenerationConfig

    def metrics(self, task: Any) -> tuple[str, ...]:
        return (OVERALL, *TURN_METRICS)

    async def judge_sample(
        self, judge: LLMJudge, task: Any, sample: Sample, result: SampleResult, strategy: str
    ) -> None:
        own = judge.derived(self.generation)  # the run's judge model with MT-Bench's settings
        record: dict[str, Any] = {"strategy": strategy, "judge": own.identity}
        result.details["judge"] = record
        outputs = result.output.turns or [result.output]
        answers = [o.text for o in outputs]
        n = min(len(answers), 1 + len(sample.turns), len(TURN_METRICS))
        parser = numeric_parser(RATING_PATTERN, LOW, HIGH)
        prompts = [judge_messages(sample, answers, t) for t in range(1, n + 1)]
        asks = (own.ask(messages, parser, reminder=REMINDER, contract=CONTRACT) for _, messages in prompts)
        calls = await gather_calls(judge, asks, record, result)
        if calls is None:
            return
        record["turns"] = [
            {"turn": t, "prompt": name, "valid": c.valid, "rating": c.score, "reason": c.reason}
            for t, ((name, _), c) in enumerate(zip(prompts, calls, strict=True), start=1)
        ]
        scores = {
            TURN_METRICS[t]: float(c.score) for t, c in enumerate(calls) if c.valid and c.score is not None
        }
        bad = [f"turn {t}: {c.reason}" for t, c in enumerate(calls, start=1) if not c.valid]
        if not scores:
            result.status, result.scores = SampleStatus.INVALID, {}
            result.error = "judge rating invalid: " + "; ".join(bad)
            return
        scores[OVERALL] = sum(scores.values()) / len(scores)
        result.scores = scores
        if bad:  # the valid turn counts; the invalid one is left out and counted (judge quality)
            result.details["judge_invalid_turns"] = bad


def protocol(args: Any, task: Any) -> MTBenchProtocol:
    """Registered in `judge_protocols` under mt_bench: MT-Bench's judge settings, the user's winning."""
    generation = GenerationConfig(max_tokens=JUDGE_MAX_TOKENS, temperature=JUDGE_TEMPERATURE).merged(
        args.generation_config
    )
    return MTBenchProtocol(generation)


SPEC = BenchmarkSpec(
    name=NAME,
    data=DataSpec(
        subsets=CATEGORIES,
        group_records=group_by_category,
        local_dir="mt_bench",
        local_patterns=("question.jsonl",),
        eval_split="test",
        record_to_sample=record_to_sample,
    ),
    prompt=PromptSpec(generation_config=GenerationConfig(max_tokens=1024)),
    scoring=ScoringSpec(metrics=(OVERALL, *TURN_METRICS), score=no_score, aggregate=aggregate),
    pretty_name="MT-Bench",
    description=(
        "MT-Bench: 80 two-turn questions in 8 categories; each turn rated 1-10 by the judge with MT-Bench's "
        "prompts (reference-guided for math, reasoning, coding); means of turn 1, turn 2 and overall."
    ),
    tags=("llm-judge", "multi-turn", "chat"),
)
