"""`general_arena`: an arena as a benchmark, built from earlier runs' predictions (nothing regenerated).

    evalscope eval --model arena --eval-type mock --datasets general_arena \
      --dataset-args '{"general_arena": {"extra_params": {"models": [
          {"name": "a", "run": "outputs/run_a"}, {"name": "b", "run": "outputs/run_b"}], "baseline": "a"}}}' \
      --judge-model-args '{"model_id": "...", "api_url": "..."}'

Each sample is one battle (a question both runs answered, a pair of models); the judge step
(core/judge, protocol registered under `evalscope.judge_protocols`) judges it in one or two games
like `evalscope arena` does. The report gives per pair (or per model against the baseline) the win
rate of the first model with ties as half (`winrate`) and the judge-invalid counts; after the report
the rating table (Bradley-Terry with bootstrap intervals, Elo, win rates) is printed and written to
`<run>/general_arena_ratings.json`. The evaluated model's own answers are not used (use eval type mock).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import attrs

from evalscope.arena.battles import JudgePrompts, judge_pair, pairs
from evalscope.arena.data import pick_run
from evalscope.core.benchmark import BenchmarkSpec, DataSpec, ScoringSpec
from evalscope.core.judge.judge import JudgeCallError, LLMJudge
from evalscope.core.serialization import ConfigError
from evalscope.core.types import ModelOutput, Sample, SampleResult, SampleStatus

log = logging.getLogger("evalscope.arena")
METRIC = "winrate"
NAME = "general_arena"


def _question_of(result: SampleResult) -> str:
    sample = result.sample
    if sample is None:
        return ""
    if isinstance(sample.input, str):
        return sample.input
    users = [m.text for m in sample.input if m.role == "user"]
    return users[-1] if users else ""


def build_records(params: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Battle records from the runs named in extra_params.models ({name, run, run_id?, dataset?})."""
    from evalscope.core.ports import ResultFilter
    from evalscope.core.stores import open_reader

    models = params.get("models") or []
    if len(models) < 2 or not all(isinstance(m, dict) and m.get("name") and m.get("run") for m in models):
        raise ConfigError(f"dataset_args.{NAME}.extra_params.models: give at least two {{name, run}} entries (run: a run dir or database URL)")
    names = [str(m["name"]) for m in models]
    baseline = params.get("baseline")
    if baseline is not None and baseline not in names:
        raise ConfigError(f"dataset_args.{NAME}.extra_params.baseline: {baseline!r} is not one of {names}")
    answers: dict[str, dict[str, str]] = {}
    questions: dict[str, tuple[str, Any]] = {}
    for entry in models:
        location = str(entry["run"])
        reader = open_reader(location)
        dataset = entry.get("dataset") or params.get("dataset")
        run = pick_run(reader, location, entry.get("run_id"), dataset) if dataset else _only_run(reader, location, entry.get("run_id"))
        datasets = [dataset] if dataset else list(run.datasets)
        own: dict[str, str] = {}
        for name in datasets:
            for result in reader.iter_results(run.run_id, ResultFilter(dataset=name)):
                if result.status is SampleStatus.ERROR or result.output.error is not None:
                    continue
                qid = f"{name}/{result.subset}/{result.sample_id}"
                own[qid] = result.output.text
                questions.setdefault(qid, (_question_of(result), result.gold))
        answers[str(entry["name"])] = own
    mode = "pairwise_baseline" if baseline else "pairwise"
    records: dict[str, list[dict[str, Any]]] = {}
    for qid, (question, gold) in questions.items():
        for a, b in pairs(names, mode, baseline):
            if qid not in answers[a] or qid not in answers[b]:
                continue
            subset = a if baseline else f"{a} vs {b}"
            records.setdefault(subset, []).append(
                {"question_id": qid, "question": question, "reference": None if gold is None else str(gold),
                 "model_a": a, "model_b": b, "answer_a": answers[a][qid], "answer_b": answers[b][qid]}
            )
    if not records:
        raise ConfigError(f"{NAME}: the runs share no answered question (same dataset, subset and sample id)")
    return records


def _only_run(reader: Any, location: str, run_id: str | None) -> Any:
    if run_id:
        run = reader.find_run(run_id)
        if run is None:
            raise ConfigError(f"{location}: no run {run_id!r}")
        return run
    runs = [r for r in reader.list_runs() if r.kind == "eval"]
    if not runs:
        raise ConfigError(f"{location}: no eval run")
    return runs[-1]


def record_to_sample(record: dict[str, Any], index: int, subset: str) -> Sample:
    sample_id = f"{record['question_id']}/{record['model_a']}/{record['model_b']}"
    return Sample(id=sample_id, input=str(record["question"]), target=record.get("reference"), metadata=dict(record))


def no_score(prediction: object, sample: Sample, output: ModelOutput, params: dict[str, Any] | None = None) -> dict[str, float]:
    """The judge scores each battle (the judge step); the rule review gives nothing."""
    return {}


@attrs.define
class ArenaProtocol:
    """The judge step of general_arena: a pairwise battle per sample, fail-closed."""

    prompts: JudgePrompts
    mitigation: str = "swap_position"
    seed: int = 42

    def metrics(self, task: Any) -> tuple[str, ...]:
        return (METRIC,)

    async def judge_sample(self, judge: LLMJudge, task: Any, sample: Sample, result: SampleResult, strategy: str) -> None:
        m = sample.metadata
        a, b = m["model_a"], m["model_b"]
        try:
            outcome = await judge_pair(
                judge, self.prompts, question_id=m["question_id"], question=str(sample.input), answers={a: m["answer_a"], b: m["answer_b"]},
                a=a, b=b, reference=m.get("reference"), mitigation=self.mitigation, seed=self.seed,
            )
        except JudgeCallError as exc:
            result.status, result.error, result.scores = SampleStatus.ERROR, f"judge call failed: {exc}", {}
            return
        result.details.update(outcome.details(judge))
        result.prediction = outcome.winner
        if outcome.valid:
            result.scores = {METRIC: float(outcome.score or 0.0)}
        else:
            result.status, result.scores = SampleStatus.INVALID, {}
            result.error = f"judge verdict invalid: {outcome.invalid_reason}"


def protocol(args: Any, task: Any) -> ArenaProtocol:
    """Factory registered in `evalscope.judge_protocols` (judge_model_args, task -> protocol)."""
    params = task.params
    return ArenaProtocol(
        JudgePrompts(verdict_format=params.get("verdict_format") or "lmsys", system_prompt=args.system_prompt, prompt_template=args.prompt_template),
        mitigation=params.get("position_bias_mitigation") or "swap_position",
        seed=int(params.get("seed") or task.seed),
    )


def on_report(report: Any, run_dir: Path, model_id: str, print_tables: bool) -> None:
    """The rating table of the battles just judged (read back through the store), printed and written."""
    from evalscope.arena.results import RatingSettings, compute_ratings, format_table
    from evalscope.core.ports import ResultFilter
    from evalscope.core.serialization import unstructure
    from evalscope.core.stores import open_reader
    from evalscope.core.stores.workdir import read_run_info

    info = read_run_info(run_dir)
    if info is None:
        return
    reader = open_reader(str(run_dir))
    results = list(reader.iter_results(info.run_id, ResultFilter(dataset=NAME)))
    params = (info.config.get("dataset_args") or {}).get(NAME, {}).get("extra_params") or {}
    names = [str(m.get("name")) for m in params.get("models", [])]
    baseline = params.get("baseline")
    settings = RatingSettings(mode="pairwise_baseline" if baseline else "pairwise", baseline=baseline, metric=METRIC)
    outcome = compute_ratings(settings, results, names)
    outcome.run_id, outcome.run_dir = info.run_id, str(run_dir)
    outcome.judge_calls = sum(1 for r in results for c in r.details.get("judge", {}).get("calls", []) if not c.get("cached"))
    outcome.judge_cached = sum(1 for r in results for c in r.details.get("judge", {}).get("calls", []) if c.get("cached"))
    (Path(run_dir) / "general_arena_ratings.json").write_text(json.dumps(unstructure(outcome), indent=2), encoding="utf-8")
    if print_tables:
        print(format_table(outcome), flush=True)


SPEC = BenchmarkSpec(
    name=NAME,
    data=DataSpec(record_to_sample=record_to_sample, build_records=build_records),
    scoring=ScoringSpec(
        score=no_score,
        metrics=(METRIC,),
        extra_params={
            "models": [],
            "baseline": None,
            "dataset": None,
            "position_bias_mitigation": "swap_position",
            "verdict_format": "lmsys",
            "seed": None,
        },
    ),
    pretty_name="General Arena",
    description="Pairwise battles between earlier runs' answers, judged by a model (judge_model_args); win rates, Bradley-Terry and Elo ratings.",
    tags=("arena", "llm-judge"),
    on_report=on_report,
)
