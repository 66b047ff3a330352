"""LongBench-Write (THUDM/LongWriter): can a model write to a requested length, and write well?

Stages, as EvalScope's `third_party.longbench_write` runs them:
- `infer`: each prompt (`{"prompt", "type", "length"}`) is answered by the model under test;
- `eval_l`: length adherence S_l per answer, from the required length x and the answer's length y
  (Chinese characters plus English words): 100 * max(0, 1 - (y/x - 1)/3) when y > x, else
  100 * max(0, 1 - (x/y - 1)/2); an empty answer scores 0;
- `eval_q`: a judge model (any OpenAI-compatible URL) rates six dimensions from 1 to 5; per dimension
  (mean - 1) * 25, and S_q is the mean of the six. A verdict that does not parse is counted and left
  out of S_q (EvalScope silently scored it 3 in every dimension).

Scores are on LongWriter's 0-100 scale. The data is not bundled: the real file is
`evaluation/longbench_write.jsonl` of THUDM/LongWriter (120 prompts; EvalScope ships the same file);
give its path as `input_data_path`.
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from evalscope.backends.suites.thirdparty.generate import (
    ModelTarget,
    answer_all,
    base_url,
    build_model,
    run_async,
)
from evalscope.core.events import SampleFinished, TaskFinished, TaskStarted
from evalscope.core.report import CategoryReport, MetricReport, Report, SubsetReport, build_report
from evalscope.core.suites import SuiteRun
from evalscope.core.types import (
    ChatMessage,
    GenerationConfig,
    ModelOutput,
    ModelRequest,
    RequestKind,
    Sample,
    SampleResult,
    SampleStatus,
)

if TYPE_CHECKING:
    from evalscope.core.ports import ProgressSink
    from evalscope.core.suites import SuiteRequest

log = logging.getLogger("evalscope.thirdparty.longbench_write")

NAME = "longbench_write"
STAGES = ("infer", "eval_l", "eval_q")
DIMENSIONS = ("Relevance", "Accuracy", "Coherence", "Clarity", "Breadth and Depth", "Reading Experience")
OPENAI_CHAT_URL = "https://api.openai.com/v1/chat/completions"
REAL_DATA_HINT = (
    "LongBench-Write's data is not bundled: give input_data_path, e.g. longbench_write.jsonl from "
    "THUDM/LongWriter (evaluation/) or the copy EvalScope ships"
)

#: the judge prompt (LongWriter's criteria; $INST$ and $RESPONSE$ are replaced)
JUDGE_PROMPT = """You are an expert in evaluating text quality. Please evaluate the quality of an AI assistant's response to a user's writing request. Be as strict as possible.

You need to evaluate across the following six dimensions, with scores ranging from 1 to 5. The scoring criteria from 5 to 1 for each dimension are as follows:

1. Relevance: From content highly relevant and fully applicable to the user's request to completely irrelevant or inapplicable.

2. Accuracy: From content completely accurate with no factual errors or misleading information to content with numerous errors and highly misleading.

3. Coherence: From clear structure with smooth logical connections to disorganized structure with no coherence.

4. Clarity: From clear language, rich in detail, and easy to understand to confusing expression with minimal details.

5. Breadth and Depth: From both broad and deep content with a lot of information to seriously lacking breadth and depth with minimal information.

6. Reading Experience: From excellent reading experience, engaging and easy to understand content to very poor reading experience, boring and hard to understand content.

Please evaluate the quality of the following response to a user's request according to the above requirements.

<User Request>

$INST$

</User Request>

<Response>

$RESPONSE$

</Response>

Please evaluate the quality of the response. You must first provide a brief analysis of its quality, then give a comprehensive analysis with scores for each dimension. The output must strictly follow the JSON format: {"Analysis": ..., "Relevance": ..., "Accuracy": ..., "Coherence": ..., "Clarity": ..., "Breadth and Depth": ..., "Reading Experience": ...}. You do not need to consider whether the response meets the user's length requirements in your evaluation. Ensure that only one integer between 1 and 5 is output for each dimension score.
"""


# -- config (EvalScope's keys) ---------------------------------------------------------------------


@attrs.define
class GenerationKwargs:
    max_new_tokens: int | None = None
    temperature: float | None = None
    repetition_penalty: float | None = None
    top_p: float | None = None
    stop: list[str] | None = None

    def to_config(self) -> GenerationConfig:
        return GenerationConfig(
            max_tokens=self.max_new_tokens, temperature=self.temperature, top_p=self.top_p,
            repetition_penalty=self.repetition_penalty, stop=self.stop,
        )


@attrs.define
class InferConfig:
    openai_api_base: str | None = None
    openai_api_key: str | None = attrs.field(default=None, repr=False)
    is_chat: bool = True
    verbose: bool = False
    generation_kwargs: GenerationKwargs = attrs.field(
        factory=lambda: GenerationKwargs(max_new_tokens=32768, temperature=0.5, repetition_penalty=1.0)
    )
    proc_num: int = 16


@attrs.define
class JudgeConfig:
    openai_api_key: str | None = attrs.field(default=None, repr=False)
    openai_api_base: str = OPENAI_CHAT_URL
    openai_gpt_model: str = "gpt-4o-2024-05-13"
    generation_kwargs: GenerationKwargs = attrs.field(factory=lambda: GenerationKwargs(max_new_tokens=1024, temperature=0.5))
    proc_num: int = 8


def _stages(_inst: Any, _attr: Any, value: list[str]) -> None:
    unknown = [s for s in value if s not in STAGES]
    if unknown:
        from evalscope.core.registry import did_you_mean

        raise ValueError(f"stage: unknown stage {unknown[0]!r}.{did_you_mean(unknown[0], STAGES)} Stages: {', '.join(STAGES)}")


@attrs.define
class LongBenchWriteConfig:
    tool: str
    stage: list[str] = attrs.field(factory=lambda: list(STAGES), validator=_stages)
    #: the model under test (its name on the OpenAI-compatible server, or a local model); default: the task's
    model: str | None = None
    input_data_path: str | None = None
    output_dir: str | None = None
    infer_config: InferConfig = attrs.field(factory=InferConfig)
    eval_config: JudgeConfig = attrs.field(factory=JudgeConfig)
    #: ours: the first N prompts only
    limit: int | None = None


def parse(eval_config: dict[str, Any], where: str) -> LongBenchWriteConfig:
    from evalscope.core.serialization import ConfigError, structure_strict

    cfg = structure_strict(eval_config, LongBenchWriteConfig, where=where)
    if not cfg.input_data_path:
        raise ConfigError(f"{where}: input_data_path: required. {REAL_DATA_HINT}")
    if not Path(cfg.input_data_path).expanduser().is_file():
        raise ConfigError(f"{where}: input_data_path: dataset file not found: {cfg.input_data_path}")
    if cfg.limit is not None and cfg.limit < 1:
        raise ConfigError(f"{where}: limit: expected a positive count, got {cfg.limit}")
    return cfg


# -- scoring ---------------------------------------------------------------------------------------


def count_words(text: str) -> int:
    """LongWriter's length: Chinese characters plus English words."""
    return len(re.findall(r"[\u4e00-\u9fff]", text)) + len(re.findall(r"\b[a-zA-Z]+\b", text))


def length_score(required: int, produced: int) -> float:
    """S_l of one answer (0-100): longer is penalised over 3x the excess, shorter over 2x."""
    if produced <= 0 or required <= 0:
        return 0.0
    if produced > required:
        return 100.0 * max(0.0, 1.0 - (produced / required - 1.0) / 3.0)
    return 100.0 * max(0.0, 1.0 - (required / produced - 1.0) / 2.0)


def parse_verdict(text: str) -> dict[str, float] | None:
    """The six dimension scores (1-5) from a judge's reply (bare JSON or a ```json block); None when
    it does not parse or a dimension is missing or out of range."""
    block = re.search(r"```json\s*(.*?)```", text, re.DOTALL)
    raw = block.group(1) if block else text
    start, end = raw.find("{"), raw.rfind("}")
    if start < 0 or end <= start:
        return None
    try:
        data = json.loads(raw[start : end + 1].replace("\n", " "))
    except json.JSONDecodeError:
        return None
    if not isinstance(data, dict):
        return None
    scores: dict[str, float] = {}
    for dim in DIMENSIONS:
        value = data.get(dim)
        try:
            number = float(value)  # type: ignore[arg-type]  # None or a non-number falls to the except below
        except (TypeError, ValueError):
            return None
        if not 1.0 <= number <= 5.0:
            return None
        scores[dim] = number
    return scores


def quality_scores(verdict: dict[str, float]) -> dict[str, float]:
    """One answer's quality on the 0-100 scale: (score - 1) * 25 per dimension, S_q their mean."""
    dims = {f"q_{dim}": (verdict[dim] - 1.0) * 25.0 for dim in DIMENSIONS}
    return {"score_q": sum(dims.values()) / len(dims), **dims}


# -- running ---------------------------------------------------------------------------------------


def load_prompts(path: str, limit: int | None) -> list[dict[str, Any]]:
    from evalscope.core.datasets.errors import DatasetFormatError, describe_row
    from evalscope.core.datasets.local import read_records

    records = read_records(Path(path).expanduser())
    rows = []
    for i, record in enumerate(records):
        if not isinstance(record, dict) or not isinstance(record.get("prompt"), str):
            raise DatasetFormatError(f"{describe_row(records, i, record)}: expected a 'prompt' string (LongBench-Write rows: prompt, type, length)")
        length = record.get("length")
        if isinstance(length, bool) or not isinstance(length, int) or length <= 0:
            raise DatasetFormatError(f"{describe_row(records, i, record)}: 'length' must be a positive integer (the required words)")
        rows.append(record)
    return rows[:limit] if limit else rows


def model_target(cfg: LongBenchWriteConfig, task: SuiteRequest) -> ModelTarget:
    from evalscope.core.serialization import ConfigError

    name = cfg.model or task.model
    if cfg.infer_config.openai_api_base:
        if not name:
            raise ConfigError("eval_config: model: name the model served at infer_config.openai_api_base")
        return ModelTarget(model=name, eval_type="service", api_url=base_url(cfg.infer_config.openai_api_base),
                           api_key=cfg.infer_config.openai_api_key or task.api_key, concurrency=cfg.infer_config.proc_num)
    if not name:
        raise ConfigError("eval_config: model: name the model under test (or run with --model, or set infer_config.openai_api_base)")
    return ModelTarget(model=name, eval_type=task.eval_type, api_url=task.api_url, api_key=task.api_key,
                       concurrency=max(task.eval_batch_size, 1))


def run(cfg: LongBenchWriteConfig, task: SuiteRequest, run_dir: Path, sink: ProgressSink, model_name: str) -> SuiteRun:
    from evalscope.core.serialization import ConfigError

    rows = load_prompts(cfg.input_data_path or "", cfg.limit)
    work = Path(cfg.output_dir).expanduser().resolve() if cfg.output_dir else run_dir / NAME
    work.mkdir(parents=True, exist_ok=True)
    gen = cfg.infer_config.generation_kwargs.to_config()
    requests = [
        ModelRequest(RequestKind.GENERATE, messages=[ChatMessage("user", row["prompt"])], config=gen)
        if cfg.infer_config.is_chat else ModelRequest(RequestKind.GENERATE, prompt=row["prompt"], config=gen)
        for row in rows
    ]
    if "infer" not in cfg.stage:  # EvalScope's eval-only run: the answers of an earlier run in output_dir
        from evalscope.backends.suites.thirdparty.generate import load_answers

        known = load_answers(work / "answers.jsonl")
        missing = sum(1 for r in requests if r.cache_key() not in known)
        if missing:
            raise ConfigError(
                f"eval_config: stage: without 'infer' the answers come from {work / 'answers.jsonl'}, "
                f"which lacks {missing} of {len(requests)} (set output_dir to the folder of an earlier run)"
            )
    sink.on_event(TaskStarted(NAME, len(rows), 0, "generation"))
    outputs = run_async(_answers(model_target(cfg, task), task, requests, work / "answers.jsonl"))
    verdicts: list[tuple[str, dict[str, float] | None, str | None]] = [("", None, None)] * len(rows)
    if "eval_q" in cfg.stage:
        verdicts = run_async(_judge(cfg.eval_config, task, rows, outputs, work / "judge_answers.jsonl"))
    results = []
    for i, (row, output) in enumerate(zip(rows, outputs)):
        result = _result(i, row, output, verdicts[i], cfg.stage)
        results.append(result)
        primary = result.scores.get("score_l", result.scores.get("score_q"))
        sink.on_event(SampleFinished(NAME, result.subset, result.sample_id, result.status is SampleStatus.SCORED,
                                     status=result.status.value, score=primary))
    sink.on_event(TaskFinished(NAME, len(results)))
    unparsed = sum(1 for r in results if r.details.get("judge_error"))
    if unparsed:
        log.warning("longbench_write: %d of %d judge verdicts are unusable (kept with their reason, left out of score_q)",
                    unparsed, len(results))
    _write_eval_files(work, results)
    metrics = [m for m, stage in (("score_l", "eval_l"), ("score_q", "eval_q")) if stage in cfg.stage]
    report = build_report(dataset=NAME, model=model_name, results=results, metric_names=metrics, pretty_name="LongBench-Write")
    report.output_type = "generation"
    if "score_q" in metrics:
        _count_unusable_verdicts(report, results)
    _order_metrics(report, metrics)
    return SuiteRun(reports=[report], results={NAME: results}, artefacts=[str(work)])


async def _answers(target: ModelTarget, task: SuiteRequest, requests: list[ModelRequest], path: Path) -> list[ModelOutput]:
    model = build_model(target, task)
    try:
        return await answer_all(model, requests, path)
    finally:
        await model.api.aclose()


async def _judge(
    judge: JudgeConfig, task: SuiteRequest, rows: list[dict[str, Any]], outputs: list[ModelOutput], path: Path
) -> list[tuple[str, dict[str, float] | None, str | None]]:
    import os

    from evalscope.core.preflight import check_endpoint

    check_endpoint(judge.openai_api_base, what="eval_config: eval_config.openai_api_base (the judge)")
    target = ModelTarget(model=judge.openai_gpt_model, eval_type="service", api_url=base_url(judge.openai_api_base),
                         api_key=judge.openai_api_key or os.environ.get("OPENAI_API_KEY"), concurrency=judge.proc_num)
    gen = judge.generation_kwargs.to_config()
    asked = [i for i, o in enumerate(outputs) if o.error is None and o.text.strip()]
    requests = [
        ModelRequest(RequestKind.GENERATE, config=gen, messages=[ChatMessage(
            "user", JUDGE_PROMPT.replace("$INST$", rows[i]["prompt"]).replace("$RESPONSE$", outputs[i].text))])
        for i in asked
    ]
    replies = await _answers(target, task, requests, path)
    verdicts: list[tuple[str, dict[str, float] | None, str | None]] = [("", None, "no answer to judge")] * len(rows)
    for i, reply in zip(asked, replies):
        if reply.error:
            verdicts[i] = ("", None, f"judge call failed: {reply.error}")
        else:
            parsed = parse_verdict(reply.text)
            verdicts[i] = (reply.text, parsed, None if parsed else "the judge's reply did not parse as six 1-5 scores")
    return verdicts


def _result(
    i: int, row: dict[str, Any], output: ModelOutput, verdict: tuple[str, dict[str, float] | None, str | None],
    stages: list[str],
) -> SampleResult:
    sample_id = str(row.get("id", i))
    subset = str(row.get("type") or "default")
    produced = count_words(output.text) if output.error is None else 0
    details: dict[str, Any] = {"required_length": row["length"], "response_length": produced}
    sample = Sample(id=sample_id, input=row["prompt"], target=row["length"], subset=subset)
    base = {"sample_id": sample_id, "subset": subset, "request_key": f"{NAME}/{sample_id}", "output": output,
            "sample": sample, "prediction": produced, "gold": row["length"], "details": details}
    if output.error is not None:
        return SampleResult(**base, status=SampleStatus.ERROR, error=output.error)
    scores: dict[str, float] = {}
    if "eval_l" in stages:
        scores["score_l"] = round(length_score(row["length"], produced), 4)
    if "eval_q" in stages:
        reply, parsed, problem = verdict
        details["judge_reply"] = reply
        if parsed is not None:
            details["judge_scores"] = parsed
            scores.update({k: round(v, 4) for k, v in quality_scores(parsed).items()})
        else:
            details["judge_error"] = problem
            if not scores:  # judged only, and the verdict is unusable: counted apart, never scored
                return SampleResult(**base, status=SampleStatus.INVALID, error=problem)
    return SampleResult(**base, scores=scores)


def _count_unusable_verdicts(report: Report, results: list[SampleResult]) -> None:
    """S_q beside each subset says how many verdicts could not be used ("judge invalid"), and an S_q
    row is shown (n/a over 0) even when none could: a sample scored for S_l alone never hides that
    its quality went unjudged."""
    unusable: dict[str, int] = {}
    for r in results:
        if r.status is SampleStatus.SCORED and r.details.get("judge_error"):
            unusable[r.subset] = unusable.get(r.subset, 0) + 1
    if not unusable:
        return
    quality = next((m for m in report.metrics if m.name == "score_q"), None)
    if quality is None:
        quality = MetricReport(name="score_q", score=0.0, macro_score=0.0, num=0)
        report.metrics.append(quality)
    for subset, count in unusable.items():
        category = next((c for c in quality.categories if any(s.name == subset for s in c.subsets)), None)
        if category is None:
            category = next(iter(quality.categories), None)
            if category is None:
                category = CategoryReport(name=("default",), score=0.0, macro_score=0.0, num=0)
                quality.categories.append(category)
            category.subsets.append(SubsetReport(name=subset, score=0.0, num=0))
        row = next(s for s in category.subsets if s.name == subset)
        row.counts = attrs.evolve(row.counts, invalid=row.counts.invalid + count)  # its own copy: shared per subset


def _order_metrics(report: Report, metrics: list[str]) -> None:
    """S_l, S_q, then the six quality dimensions."""
    order = {name: i for i, name in enumerate([*metrics, *(f"q_{d}" for d in DIMENSIONS)])}
    report.metrics.sort(key=lambda m: order.get(m.name, len(order)))


def _write_eval_files(work: Path, results: list[SampleResult]) -> None:
    """EvalScope's output files beside ours: eval_length.jsonl and eval_quality.jsonl."""
    lengths = [r.scores["score_l"] for r in results if "score_l" in r.scores]
    if lengths:
        (work / "eval_length.jsonl").write_text(
            json.dumps({"score_l": sum(lengths) / len(lengths), "scores": lengths}) + "\n", encoding="utf-8")
    judged = [r for r in results if "score_q" in r.scores]
    if judged:
        total = {dim: sum(r.scores[f"q_{dim}"] for r in judged) / len(judged) for dim in DIMENSIONS}
        total["total"] = sum(total.values()) / len(DIMENSIONS)
        total["judged"] = len(judged)
        total["not_parsed"] = sum(1 for r in results if r.details.get("judge_error"))
        (work / "eval_quality.jsonl").write_text(json.dumps(total, ensure_ascii=False) + "\n", encoding="utf-8")
