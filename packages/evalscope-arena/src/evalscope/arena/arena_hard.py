"""`arena_hard`: Arena-Hard-Auto v0.1 -- the model answers each of the 500 prompts (one user turn),
and the judge compares its answer with a baseline's (default: the shipped gpt-4-0314 answers) in
both orders, with Arena-Hard's system prompt, template, settings and five-level verdict
(`arena_hard_judge`).

    evalscope eval --model M --datasets arena_hard \
      --judge-model-args '{"model_id": "...", "api_url": "..."}' \
      [--dataset-args '{"arena_hard": {"extra_params": {"baseline": "outputs/ckpt1_run"}}}']

Per question the two games (model as A, then as B) give the model's battles: one per slight
verdict or tie, three per strong verdict (Arena-Hard-Auto's weight). A question counts only when
both games give a verdict (as Arena-Hard-Auto drops null judgments); otherwise it is judge invalid:
excluded, counted, its replies stored. The score, per category (subset) and overall:

- `winrate`: the model's win probability against the baseline from the Bradley-Terry fit of the
  arena's `ratings` over all battles (ties half); with one opponent it equals the weighted win
  share (wins + ties / 2) / battles. `winrate_lower` / `winrate_upper`: its bootstrap 95% interval
  (core's bootstrap of the battle outcomes, `ratings.win_record`, 200 rounds, seed 42);
- `position_bias_rate`: the share of judged questions whose two orders disagreed: the model won,
  tied or lost in one order but not in the other (its verdict as A against the mirrored verdict
  as B; a strong and a slight verdict for the same side agree);
- `mean_len_model_<unit>`, `mean_len_baseline_<unit>`: mean answer lengths in output tokens when
  both sides counted them (a run baseline), else in characters (the shipped baseline has no counts).

After the report one line per figure is printed and `<run>/arena_hard_summary_<model>.json` written
(judge-invalid questions and games, disagreements, battles).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import attrs

from evalscope.arena.arena_hard_baseline import SHIPPED, Answer, load_baseline, shipped_answers
from evalscope.arena.arena_hard_judge import (
    CONTRACT,
    MAX_TOKENS,
    PROMPT_TEMPLATE,
    REMINDER,
    SYSTEM_PROMPT,
    TEMPERATURE,
    battle_scores,
    fill_prompt,
    model_view,
    outcome,
    verdict_parser,
)
from evalscope.core.benchmark import BenchmarkSpec, DataSpec, PromptSpec, ScoringSpec
from evalscope.core.judge.judge import LLMJudge, gather_calls
from evalscope.core.serialization import unstructure
from evalscope.core.types import (
    ChatMessage,
    GenerationConfig,
    ModelOutput,
    Sample,
    SampleResult,
    SampleStatus,
)

log = logging.getLogger("evalscope.arena")
NAME = "arena_hard"
METRIC = "winrate"
CATEGORY = "arena-hard-v0.1"
BOOTSTRAP_ROUNDS = 200
BOOTSTRAP_SEED = 42
_MODEL, _BASE = "model", "baseline"


# -- data ------------------------------------------------------------------------------------------
def group_records(records: Sequence[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Questions by category (the subsets); each carries the shipped baseline answer found beside the file."""
    shipped = shipped_answers(getattr(records, "path", None))
    grouped: dict[str, list[dict[str, Any]]] = {}
    for row in records:
        row = dict(row)
        answer = shipped.get(str(row.get("uid", row.get("question_id"))))
        if answer is not None:
            row["_baseline"] = answer.text
        grouped.setdefault(str(row.get("category") or CATEGORY), []).append(row)
    return grouped


def record_to_sample(record: dict[str, Any], index: int, subset: str) -> Sample:
    qid = record.get("uid", record.get("question_id"))
    prompt = record.get("prompt")
    if prompt is None and isinstance(record.get("turns"), list) and record["turns"]:
        prompt = record["turns"][0].get("content")  # Arena-Hard's older question format
    if qid is None or not isinstance(prompt, str) or not prompt.strip():
        raise ValueError("needs uid and prompt (a non-empty string)")
    meta = {"category": str(record.get("category") or CATEGORY), "cluster": record.get("cluster")}
    if record.get("_baseline") is not None:
        meta["baseline_answer"] = record["_baseline"]
    return Sample(id=str(qid), input=prompt, metadata=meta)


def no_score(
    prediction: object, sample: Sample, output: ModelOutput, params: dict[str, Any] | None = None
) -> dict[str, float]:
    """The judge scores each answer (the judge step); the rule review gives nothing."""
    return {}


# -- judging ---------------------------------------------------------------------------------------
@attrs.define
class ArenaHardProtocol:
    """The judge step of arena_hard: two games per answer against the baseline, fail-closed."""

    #: the user's baseline answers; None: the shipped answers carried by each sample
    baseline: dict[str, Answer] | None
    baseline_name: str
    #: Arena-Hard's judge settings over the run judge's (the user's judge generation_config wins)
    generation: GenerationConfig
    system_prompt: str = SYSTEM_PROMPT
    template: str = PROMPT_TEMPLATE

    def metrics(self, task: Any) -> tuple[str, ...]:
        return (METRIC,)

    def _baseline_of(self, sample: Sample) -> Answer | None:
        if self.baseline is not None:
            return self.baseline.get(sample.id)
        text = sample.metadata.get("baseline_answer")
        return Answer(text) if isinstance(text, str) else None

    def _messages(self, question: str, first: str, second: str) -> list[ChatMessage]:
        return [
            ChatMessage("system", self.system_prompt),
            ChatMessage("user", fill_prompt(self.template, question, first, second)),
        ]

    async def judge_sample(
        self, judge: LLMJudge, task: Any, sample: Sample, result: SampleResult, strategy: str
    ) -> None:
        own = judge.derived(self.generation)  # the run's judge model with Arena-Hard's settings
        record: dict[str, Any] = {"strategy": strategy, "judge": own.identity}
        result.details["judge"] = record
        base = self._baseline_of(sample)
        if base is None:
            result.status, result.scores = SampleStatus.SKIPPED, {}
            result.error = f"no {self.baseline_name} answer to question {sample.id}: nothing to compare with"
            return
        answer = result.filtered if result.filtered is not None else result.output.text
        question = sample.input if isinstance(sample.input, str) else str(sample.input[-1].text)
        parser = verdict_parser()
        orders = (True, False)  # the model's answer as assistant A, then as B
        asks = (
            own.ask(
                self._messages(question, *((answer, base.text) if first else (base.text, answer))),
                parser,
                reminder=REMINDER,
                contract=CONTRACT,
            )
            for first in orders
        )
        calls = await gather_calls(judge, asks, record, result)
        if calls is None:
            return
        games = [
            {
                "model_as": "A" if first else "B",
                "valid": c.valid,
                "label": c.label,
                "reason": c.reason,
                "model_view": model_view(c.label, first) if c.valid and c.label else None,
            }
            for first, c in zip(orders, calls, strict=True)
        ]
        result.details[NAME] = {"baseline": self.baseline_name, "baseline_answer": base.text, "games": games}
        if not all(c.valid for c in calls):
            bad = [f"model as {g['model_as']}: {g['reason']}" for g in games if not g["valid"]]
            result.status, result.scores = SampleStatus.INVALID, {}
            result.error = "judge verdict invalid: " + "; ".join(bad)
            return
        labels = [str(c.label) for c in calls]
        battles = battle_scores(labels[0], True) + battle_scores(labels[1], False)
        views = [model_view(label, first) for label, first in zip(labels, orders, strict=True)]
        # judge quality (core/judge_quality.py): one pair judged in both orders, and whether they disagreed
        record["pairs"], record["position_disagreements"] = 1, int(outcome(views[0]) != outcome(views[1]))
        scores = {
            METRIC: sum(battles) / len(battles),
            "_wins": float(battles.count(1.0)),
            "_losses": float(battles.count(0.0)),
            "_ties": float(battles.count(0.5)),
            "_disagree": float(outcome(views[0]) != outcome(views[1])),
            "_len_model_chars": float(len(answer)),
            "_len_baseline_chars": float(len(base.text)),
        }
        if result.output.usage.output_tokens and base.tokens:
            scores["_len_model_tokens"] = float(result.output.usage.output_tokens)
            scores["_len_baseline_tokens"] = float(base.tokens)
        result.scores = scores


def protocol(args: Any, task: Any) -> ArenaHardProtocol:
    """Factory registered in `evalscope.judge_protocols`: reads the user's baseline now (before any model call)."""
    params = task.params
    chosen = params.get("baseline") or SHIPPED
    baseline = load_baseline(
        chosen, str(params.get("baseline_dataset") or NAME), params.get("baseline_run_id")
    )
    generation = GenerationConfig(max_tokens=MAX_TOKENS, temperature=TEMPERATURE).merged(
        args.generation_config
    )
    return ArenaHardProtocol(
        baseline,
        str(chosen),
        generation,
        system_prompt=args.system_prompt or SYSTEM_PROMPT,
        template=args.prompt_template or PROMPT_TEMPLATE,
    )


# -- scores ----------------------------------------------------------------------------------------
def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def aggregate(results: Sequence[SampleResult]) -> dict[str, float]:
    """winrate (Bradley-Terry over the battles) and its interval, position-bias rate, mean lengths."""
    from evalscope.arena.ratings import bradley_terry, win_record

    rows = [r.scores for r in results if "_wins" in r.scores]
    if not rows:
        return {}
    counts = {k: int(sum(s[k] for s in rows)) for k in ("_wins", "_losses", "_ties")}
    battles = (
        [(_MODEL, _BASE, 1.0)] * counts["_wins"]
        + [(_MODEL, _BASE, 0.0)] * counts["_losses"]
        + [(_MODEL, _BASE, 0.5)] * counts["_ties"]
    )
    rating = bradley_terry(battles, [_MODEL, _BASE], anchor=_BASE)
    out = {METRIC: 1.0 / (1.0 + 10 ** ((rating[_BASE] - rating[_MODEL]) / 400.0))}
    ci = win_record(battles, _MODEL, _BASE, rounds=BOOTSTRAP_ROUNDS, seed=BOOTSTRAP_SEED).win_rate_ci
    if ci is not None:
        out["winrate_lower"], out["winrate_upper"] = ci.low, ci.high
    out["position_bias_rate"] = _mean([s["_disagree"] for s in rows])
    unit = "tokens" if all("_len_model_tokens" in s for s in rows) else "chars"
    out[f"mean_len_model_{unit}"] = _mean([s[f"_len_model_{unit}"] for s in rows])
    out[f"mean_len_baseline_{unit}"] = _mean([s[f"_len_baseline_{unit}"] for s in rows])
    return out


# -- after the report: what the judge did, in words and in a file ----------------------------------
@attrs.define
class Summary:
    """One group's (the run's or a category's) figures."""

    questions: int = 0
    judged: int = 0
    judge_invalid: int = 0
    invalid_games: int = 0
    skipped: int = 0
    errored: int = 0
    disagreements: int = 0
    wins: int = 0
    losses: int = 0
    ties: int = 0
    scores: dict[str, float] = attrs.field(factory=dict)


def summarize(results: Sequence[SampleResult]) -> Summary:
    out = Summary(questions=len(results))
    for r in results:
        games = (r.details.get(NAME) or {}).get("games") or []
        out.invalid_games += sum(1 for g in games if not g.get("valid"))
        if r.status is SampleStatus.INVALID:
            out.judge_invalid += 1
        elif r.status is SampleStatus.SKIPPED:
            out.skipped += 1
        elif r.status is SampleStatus.ERROR:
            out.errored += 1
        elif "_wins" in r.scores:
            out.judged += 1
            out.disagreements += int(r.scores["_disagree"])
            out.wins += int(r.scores["_wins"])
            out.losses += int(r.scores["_losses"])
            out.ties += int(r.scores["_ties"])
    out.scores = {
        k: round(v, 4) for k, v in aggregate([r for r in results if r.status is SampleStatus.SCORED]).items()
    }
    return out


def describe(label: str, s: Summary, baseline: str) -> list[str]:
    """The printed lines of one group."""
    lines = []
    battles = s.wins + s.losses + s.ties
    if METRIC in s.scores:
        ci = (
            f" [{s.scores['winrate_lower']:.4f}, {s.scores['winrate_upper']:.4f}]"
            if "winrate_lower" in s.scores
            else ""
        )
        lines.append(
            f"{label}: win rate vs {baseline} {s.scores[METRIC]:.4f}{ci} (Bradley-Terry over {battles} battles: "
            f"{s.wins} won, {s.losses} lost, {s.ties} tied; ties half, strong verdicts x3; bootstrap 95%, {BOOTSTRAP_ROUNDS} rounds)"
        )
    else:
        lines.append(f"{label}: win rate vs {baseline} n/a (no question judged in both orders)")
    rate = f" ({s.disagreements / s.judged:.4f})" if s.judged else ""
    lines.append(
        f"{label}: {s.judged} of {s.questions} question(s) judged in both orders; {s.judge_invalid} judge invalid "
        f"({s.invalid_games} of {2 * (s.questions - s.skipped - s.errored)} games without a verdict), {s.skipped} skipped, "
        f"{s.errored} errored; position bias: the two orders disagreed on {s.disagreements} of {s.judged}{rate}"
    )
    lengths = {k: v for k, v in s.scores.items() if k.startswith("mean_len_")}
    if lengths:
        unit = (
            "output tokens"
            if any(k.endswith("_tokens") for k in lengths)
            else "characters (no token counts for both sides)"
        )
        model = next(v for k, v in lengths.items() if k.startswith("mean_len_model"))
        base = next(v for k, v in lengths.items() if k.startswith("mean_len_baseline"))
        lines.append(f"{label}: mean answer length in {unit}: model {model:.1f}, {baseline} {base:.1f}")
    return lines


def on_report(report: Any, run_dir: Path, model_id: str, print_tables: bool) -> None:
    """Judge figures per run and per category, read back through the store: printed and written."""
    from evalscope.core.ports import ResultFilter
    from evalscope.core.stores import open_reader
    from evalscope.core.stores.workdir import read_run_infos, safe_name

    runs = [r for r in read_run_infos(run_dir) if r.model_id == model_id] or read_run_infos(run_dir)
    if not runs:
        return
    info = runs[-1]
    results = list(open_reader(str(run_dir)).iter_results(info.run_id, ResultFilter(dataset=NAME)))
    params = (info.config.get("dataset_args") or {}).get(NAME, {}).get("extra_params") or {}
    baseline = str(params.get("baseline") or SHIPPED)
    overall = summarize(results)
    by_category: dict[str, Summary] = {}
    subsets = sorted({r.subset for r in results})
    if len(subsets) > 1:
        by_category = {s: summarize([r for r in results if r.subset == s]) for s in subsets}
    data = {
        "model": model_id,
        "baseline": baseline,
        "run_id": info.run_id,
        "overall": unstructure(overall),
        "categories": {k: unstructure(v) for k, v in by_category.items()},
        "method": {
            "verdict_weights": {"A>>B": 3, "A>B": 1, "A=B": 1},
            "win_rate": "Bradley-Terry, ties half",
            "bootstrap_rounds": BOOTSTRAP_ROUNDS,
            "bootstrap_seed": BOOTSTRAP_SEED,
            "valid_question": "both orders gave a verdict",
        },
    }
    path = Path(run_dir) / f"arena_hard_summary_{safe_name(model_id)}.json"
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    if print_tables:
        lines = describe(NAME, overall, baseline)
        for name, summary in by_category.items():
            lines += describe(f"{NAME} [{name}]", summary, baseline)
        print("\n".join(lines), flush=True)


SPEC = BenchmarkSpec(
    name=NAME,
    data=DataSpec(
        local_dir="arena_hard",
        local_patterns=("question.jsonl",),
        subsets=(CATEGORY,),
        group_records=group_records,
        record_to_sample=record_to_sample,
    ),
    prompt=PromptSpec(generation_config=GenerationConfig(max_tokens=4096, temperature=0.0)),
    scoring=ScoringSpec(
        score=no_score,
        metrics=(METRIC,),
        aggregate=aggregate,
        extra_params={"baseline": SHIPPED, "baseline_dataset": NAME, "baseline_run_id": None},
    ),
    pretty_name="Arena-Hard-Auto v0.1",
    description=(
        "500 hard prompts; the judge compares the model's answer with gpt-4-0314's (or a baseline of yours) in both "
        "orders with Arena-Hard's prompt and five-level verdict; win rate from a Bradley-Terry fit, bootstrap 95% interval."
    ),
    tags=("arena", "llm-judge", "chat"),
    on_report=on_report,
)
