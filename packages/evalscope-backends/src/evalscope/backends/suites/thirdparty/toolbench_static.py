"""ToolBench-static (Shen et al., "Small LLMs Are Weak Tool Learners"): one tool-use step per item.

Each item (`in_domain.json` / `out_of_domain.json` under `data_path`, JSON lists) has `messages`
(system prompt with the tools and the ReAct format, then the dialogue so far), `tools` (each with a
`name`; ToolBench lists `Finish` among them) and `target` (the reference step: `Action: <tool>` / `Action Input: {json}`, or
`Action: Finish` with `{"return_type": "give_answer", "final_answer": ...}`). The model writes the
next step; as EvalScope's `third_party.toolbench_static` scores it:

- Plan.EM: the plan (call a tool / finish / give up) matches the reference's;
- Act.EM: on reference tool calls, the tool name matches;
- Avg.F1: on reference tool calls, F1 of the arguments (a key with the right value counts 1, with
  another value 1/2; a wrong tool scores 0; a reference whose input is not JSON is left out);
- Rouge-L: on reference answers, ROUGE-L F1 of the final answer;
- HalluRate (lower is better): share of all items whose predicted tool is not among `tools`.

Items whose reference is a hallucinated call, or names a tool missing from `tools`, are left out of
the first four (as EvalScope does) and count as not hallucinated.
"""

from __future__ import annotations

import json
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
from evalscope.core.metrics import Metric
from evalscope.core.registry import metrics as metric_registry
from evalscope.core.report import build_report
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

NAME = "toolbench_static"
DOMAINS = ("in_domain", "out_of_domain")
METRICS = ("Plan.EM", "Act.EM", "HalluRate", "Avg.F1", "Rouge-L")
HALLUCINATED_REFERENCE = "invalid_hallucination_function_name"
DEPLOY_TYPES = ("swift", "openai")

for _name, _text, _up in (
    ("Plan.EM", "ToolBench-static: the step's plan (call, finish, give up) matches", True),
    ("Act.EM", "ToolBench-static: the called tool matches", True),
    ("HalluRate", "ToolBench-static: share of steps calling a tool that does not exist", False),
    ("Avg.F1", "ToolBench-static: F1 of the tool arguments", True),
    ("Rouge-L", "ToolBench-static: ROUGE-L F1 of the final answer", True),
):
    metric_registry.register(_name, Metric(_name, _text, higher_is_better=_up))


# -- config (EvalScope's keys) ---------------------------------------------------------------------


def _deploy(_inst: Any, _attr: Any, value: str) -> None:
    if value not in DEPLOY_TYPES:
        raise ValueError(
            f"deploy_type: {value!r} is not one of {', '.join(DEPLOY_TYPES)} (swift: a local model through "
            "evalscope's transformers adapter; openai: an OpenAI-compatible URL, openai_api_base)"
        )


@attrs.define
class InferArgs:
    data_path: str
    #: the model under test: a local model dir or alias (swift), or its name on the server (openai); default: the task's
    model_name_or_path: str | None = None
    #: ms-swift's template name in EvalScope; accepted, not needed (our adapters apply the chat template)
    model_type: str | None = None
    output_dir: str | None = None
    deploy_type: str = attrs.field(default="swift", validator=_deploy)
    #: ours: the OpenAI-compatible URL when deploy_type is openai
    openai_api_base: str | None = None
    openai_api_key: str | None = attrs.field(default=None, repr=False)
    max_new_tokens: int = 2048
    num_infer_samples: int | None = None


@attrs.define
class EvalArgs:
    input_path: str | None = None
    output_path: str | None = None


@attrs.define
class ToolBenchConfig:
    tool: str
    infer_args: InferArgs
    eval_args: EvalArgs = attrs.field(factory=EvalArgs)


def parse(eval_config: dict[str, Any], where: str) -> ToolBenchConfig:
    from evalscope.core.serialization import ConfigError, structure_strict

    cfg = structure_strict(eval_config, ToolBenchConfig, where=where)
    data = Path(cfg.infer_args.data_path).expanduser()
    if data.is_dir():
        if not any((data / f"{d}.json").is_file() for d in DOMAINS):
            raise ConfigError(f"{where}: infer_args.data_path: {data} holds neither in_domain.json nor out_of_domain.json")
    elif not data.is_file():
        raise ConfigError(f"{where}: infer_args.data_path: dataset file not found: {cfg.infer_args.data_path}")
    if cfg.infer_args.num_infer_samples is not None and cfg.infer_args.num_infer_samples < 1:
        raise ConfigError(f"{where}: infer_args.num_infer_samples: expected a positive count")
    return cfg


def domain_files(data_path: str) -> dict[str, Path]:
    data = Path(data_path).expanduser()
    if data.is_file():
        return {data.stem: data}
    return {d: data / f"{d}.json" for d in DOMAINS if (data / f"{d}.json").is_file()}


# -- parsing and scoring one step ------------------------------------------------------------------


def parse_action(text: str) -> tuple[str, str]:
    """(tool name, its input) of the last `Action:` / `Action Input:` in a step; ('none', '{}') without."""
    action_input = text[text.rindex("Action Input:") + len("Action Input:"):].strip() if "Action Input:" in text else "{}"
    if "Action:" not in text:
        return "none", action_input
    action = text[text.rindex("Action:") + len("Action:"):].strip()
    if "Action Input:" in action:
        action = action[: action.index("Action Input:")].strip()
    return action, action_input


@attrs.frozen
class Step:
    #: call | finish | give up
    plan: str
    action: str | None
    action_input: str | None
    answer: str | None


def parse_step(text: str) -> Step:
    action, action_input = parse_action(text)
    if action != "Finish":
        return Step("call", action, action_input, None)
    try:
        data = json.loads(action_input)
        if data["return_type"] != "give_answer":
            return Step("give up", None, None, None)
    except (json.JSONDecodeError, KeyError, TypeError):
        return Step("give up", None, None, None)
    answer = str(data["final_answer"]) if "final_answer" in data else "None"
    return Step("finish", action, action_input, "None" if answer.strip() in ("", ".", ",") else answer)


def argument_f1(pred_input: str, ref_input: str) -> float | None:
    """F1 of the predicted arguments against the reference's; None when the reference is not JSON."""
    try:
        ref = json.loads(ref_input)
    except json.JSONDecodeError:
        return None
    try:
        pred = json.loads(pred_input)
    except json.JSONDecodeError:
        return 0.0
    if not isinstance(ref, dict) or not isinstance(pred, dict):
        return float(ref == pred)
    if not ref:
        return float(not pred)
    full = sum(1 for k, v in ref.items() if k in pred and pred[k] == v)
    half = sum(1 for k, v in ref.items() if k in pred and pred[k] != v)
    matched = 0.5 * half + full
    recall, precision = matched / len(ref), (matched / len(pred) if pred else 0.0)
    return 2 * recall * precision / (recall + precision) if recall + precision else 0.0


def score_step(prediction: str, target: str, tools: list[str]) -> tuple[dict[str, float], dict[str, Any]]:
    """The step's metrics (only those that apply to it) and what was parsed."""
    from evalscope.core.text_overlap import rouge_scores

    ref, pred = parse_step(target), parse_step(prediction)
    details: dict[str, Any] = {"reference": attrs.asdict(ref), "predicted": attrs.asdict(pred)}
    left_out = ref.action == HALLUCINATED_REFERENCE or (
        pred.action is not None and ref.action != "none" and ref.action not in tools
    )
    hallucinated = not left_out and pred.action is not None and pred.action != "none" and pred.action not in tools
    scores = {"HalluRate": float(hallucinated)}
    details.update(left_out=left_out, hallucinated=hallucinated)
    if left_out:
        return scores, details
    scores["Plan.EM"] = float(pred.plan == ref.plan)
    if ref.plan == "finish":
        scores["Rouge-L"] = rouge_scores(pred.answer or "none", ref.answer or "none")["rouge-l-f"]
    elif ref.plan == "call":
        action = pred.action if pred.action is not None else "none"
        scores["Act.EM"] = float(action == ref.action)
        f1 = 0.0 if action != ref.action else argument_f1(pred.action_input or "{}", ref.action_input or "{}")
        if f1 is not None:
            scores["Avg.F1"] = f1
    return scores, details


# -- running ---------------------------------------------------------------------------------------


def load_items(path: Path, limit: int | None) -> list[dict[str, Any]]:
    from evalscope.core.datasets.errors import DatasetFormatError
    from evalscope.core.datasets.local import read_records

    records = read_records(path)
    items = []
    for i, item in enumerate(records):
        where = f"{path} (item {i + 1})"
        if not isinstance(item, dict):
            raise DatasetFormatError(f"{where}: expected an object with messages, tools and target")
        messages, tools, target = item.get("messages"), item.get("tools"), item.get("target")
        if not isinstance(messages, list) or len(messages) < 2 or not all(isinstance(m, dict) and "content" in m for m in messages):
            raise DatasetFormatError(f"{where}: 'messages' must list the system prompt and at least one turn")
        if not isinstance(tools, list) or not all(isinstance(t, dict) and "name" in t for t in tools):
            raise DatasetFormatError(f"{where}: 'tools' must be a list of objects with a 'name'")
        if not isinstance(target, str):
            raise DatasetFormatError(f"{where}: 'target' must be the reference step (a string)")
        items.append(item)
    return items[:limit] if limit else items


def to_request(item: dict[str, Any], max_tokens: int) -> ModelRequest:
    """System prompt, then the dialogue; tool observations (role function) are sent as user turns."""
    roles = {"user": "user", "assistant": "assistant", "function": "user", "tool": "user", "system": "system"}
    messages = [ChatMessage("system", str(item["messages"][0]["content"]))]
    messages += [ChatMessage(roles.get(str(m.get("role")), "user"), str(m["content"])) for m in item["messages"][1:]]
    return ModelRequest(RequestKind.GENERATE, messages=messages, config=GenerationConfig(max_tokens=max_tokens, temperature=0.0))


def model_target(cfg: ToolBenchConfig, task: SuiteRequest) -> ModelTarget:
    from evalscope.core.serialization import ConfigError

    args = cfg.infer_args
    if args.model_name_or_path is None:
        if not task.model:
            raise ConfigError("eval_config: infer_args.model_name_or_path: name the model under test (or run with --model)")
        return ModelTarget(model=task.model, eval_type=task.eval_type, api_url=task.api_url, api_key=task.api_key,
                           concurrency=max(task.eval_batch_size, 1))
    if args.deploy_type == "openai":
        url = args.openai_api_base or task.api_url
        if not url:
            raise ConfigError("eval_config: infer_args.openai_api_base: required with deploy_type openai")
        return ModelTarget(model=args.model_name_or_path, eval_type="service", api_url=base_url(url),
                           api_key=args.openai_api_key or task.api_key, concurrency=max(task.eval_batch_size, 1))
    return ModelTarget(model=args.model_name_or_path, eval_type="checkpoint", concurrency=max(task.eval_batch_size, 1))


def run(cfg: ToolBenchConfig, task: SuiteRequest, run_dir: Path, sink: ProgressSink, model_name: str) -> SuiteRun:
    work = Path(cfg.infer_args.output_dir).expanduser().resolve() if cfg.infer_args.output_dir else run_dir / NAME
    files = domain_files(cfg.infer_args.data_path)
    domains = {d: load_items(p, cfg.infer_args.num_infer_samples) for d, p in files.items()}
    target = model_target(cfg, task)
    results: list[SampleResult] = []
    for domain, items in domains.items():
        sink.on_event(TaskStarted(NAME, len(items), 0, "generation"))
        requests = [to_request(item, cfg.infer_args.max_new_tokens) for item in items]
        outputs = run_async(_answers(target, task, requests, work / domain / "answers.jsonl"))
        domain_results = [_result(domain, i, item, out) for i, (item, out) in enumerate(zip(items, outputs))]
        for r in domain_results:
            sink.on_event(SampleFinished(NAME, domain, r.sample_id, r.status is SampleStatus.SCORED,
                                         status=r.status.value, score=r.scores.get("Plan.EM")))
        _write_domain_files(work / domain, items, domain_results)
        results.extend(domain_results)
    sink.on_event(TaskFinished(NAME, len(results)))
    report = build_report(dataset=NAME, model=model_name, results=results, metric_names=list(METRICS),
                          pretty_name="ToolBench-Static", subset_order=DOMAINS)
    report.output_type = "generation"
    return SuiteRun(reports=[report], results={NAME: results}, artefacts=[str(work)])


async def _answers(target: ModelTarget, task: SuiteRequest, requests: list[ModelRequest], path: Path) -> list[ModelOutput]:
    model = build_model(target, task)
    try:
        return await answer_all(model, requests, path)
    finally:
        await model.api.aclose()


def _result(domain: str, i: int, item: dict[str, Any], output: ModelOutput) -> SampleResult:
    sample_id = f"{domain}/{item.get('id', i)}"
    sample = Sample(id=sample_id, input=to_request(item, 1).messages or [], target=item["target"], subset=domain)
    base = {"sample_id": sample_id, "subset": domain, "request_key": sample_id, "output": output, "sample": sample,
            "gold": item["target"]}
    if output.error is not None:
        return SampleResult(**base, status=SampleStatus.ERROR, error=output.error)
    text = output.text[2:] if output.text.startswith(": ") else output.text
    prediction = "none" if text.strip() in ("", ".", ",") else text
    scores, details = score_step(prediction, item["target"], [str(t["name"]) for t in item["tools"]])
    return SampleResult(**base, prediction=prediction, scores={k: round(v, 4) for k, v in scores.items()}, details=details)


def _write_domain_files(folder: Path, items: list[dict[str, Any]], results: list[SampleResult]) -> None:
    """EvalScope's files beside ours: predictions.json (items with their predictions) and metrics.json."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = [dict(item, predictions=r.prediction) for item, r in zip(items, results) if r.status is SampleStatus.SCORED]
    (folder / "predictions.json").write_text(json.dumps(rows, ensure_ascii=False, indent=2), encoding="utf-8")
    metrics = {}
    for name, key in (("Rouge-L", "rouge"), ("Plan.EM", "plan_em"), ("Act.EM", "action_em"), ("Avg.F1", "f1"), ("HalluRate", "hallu_rate")):
        values = [r.scores[name] for r in results if name in r.scores]
        metrics[key] = sum(values) / len(values) if values else 0.0
    (folder / "metrics.json").write_text(json.dumps(metrics, indent=2), encoding="utf-8")
