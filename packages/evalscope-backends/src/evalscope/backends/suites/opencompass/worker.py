"""The OpenCompass worker: runs inside the `opencompass` managed env (ms-opencompass).

`python -m evalscope.backends.suites.opencompass.worker request.json response.json`

It builds OpenCompass's config from the resolved plan (built-in dataset configs shipped with
ms-opencompass, or custom JSONL/CSV files; one OpenAI-compatible API model), runs OpenCompass
in-process (its `debug` mode: no subprocess per task), and imports its summary CSV (the scores) and
its per-sample predictions and eval details into our `Report`s and `SampleResult`s.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import os.path as osp
import re
import time
from pathlib import Path
from typing import Any

from evalscope.backends.suites.boundary import WorkerConfigError, WorkerRequest, worker_main
from evalscope.backends.suites.opencompass.config import OCModel, ResolvedDataset, ResolvedPlan
from evalscope.core.report import Report, SampleCounts, SubsetReport, standard_error
from evalscope.core.report_builder import category_row, metric_row, subset_row, suite_report
from evalscope.core.suites import SuiteRun
from evalscope.core.types import ChatMessage, ModelOutput, Sample, SampleResult, SampleStatus

#: OpenCompass's prompt roles -> chat roles
ROLES = {"HUMAN": "user", "BOT": "assistant", "SYSTEM": "system"}
#: OpenCompass's inference modes -> our output types
OUTPUT_TYPES = {"gen": "generation", "ppl": "continuation", "ll": "continuation"}


def handle(request: WorkerRequest) -> SuiteRun:
    from evalscope.core.serialization import structure

    plan = structure(request.options["plan"], ResolvedPlan)
    model = model_config(plan.model)
    datasets, owner = build_datasets(plan)
    work_dir = Path(plan.work_dir)
    work_dir.mkdir(parents=True, exist_ok=True)
    time_str = reused_dir(work_dir, plan.reuse) or time.strftime("%Y%m%d_%H%M%S")
    config_path = work_dir / f"evalscope_config_{time_str}.py"
    from mmengine.config import Config

    Config(dict(models=[model], datasets=datasets)).dump(str(config_path))
    print(f"evalscope: OpenCompass config written to {config_path}", flush=True)
    from opencompass.cli.arguments import Arguments
    from opencompass.cli.main import run_task

    args = Arguments(
        config=str(config_path), work_dir=str(work_dir), debug=True, dry_run=plan.dry_run,
        reuse=plan.reuse, mode=plan.mode, max_num_workers=plan.max_num_workers,
        dump_eval_details=plan.dump_eval_details, time_str=time_str,
        generation_kwargs=plan.generation_kwargs,
    )
    args.reuse = time_str if plan.reuse else None
    run_task(args)
    exp_dir = work_dir / time_str
    if plan.dry_run:
        return SuiteRun(artefacts=[str(exp_dir)])
    if plan.mode == "infer":  # answers only: OpenCompass has not scored them
        return import_predictions(exp_dir, model, datasets, owner, request.model_id or model["abbr"])
    return import_results(exp_dir, time_str, model, datasets, owner, request.model_id or model["abbr"])


def reused_dir(work_dir: Path, reuse: str | None) -> str | None:
    """The experiment folder `reuse` names ('latest': the newest under work_dir); None for a new one."""
    if not reuse:
        return None
    if reuse != "latest":
        if not (work_dir / reuse).is_dir():
            raise WorkerConfigError(f"eval_config: reuse: no earlier OpenCompass run {reuse!r} under {work_dir}")
        return reuse
    stamp = re.compile(r"\d{8}_\d{6}")  # OpenCompass's experiment folders; not tmp/ and the like
    earlier = sorted(p.name for p in work_dir.iterdir() if p.is_dir() and stamp.fullmatch(p.name)) if work_dir.is_dir() else []
    if not earlier:
        raise WorkerConfigError(f"eval_config: reuse: latest: no earlier OpenCompass run under {work_dir} (set work_dir)")
    return earlier[-1]


# -- building OpenCompass's config -----------------------------------------------------------------


def model_config(model: OCModel) -> dict[str, Any]:
    """The model entry OpenCompass expects (ApiModelConfig's fields; abbr defaults to path)."""
    out = {
        "type": model.type, "abbr": model.abbr or model.path, "path": model.path, "key": model.key,
        "openai_api_base": model.openai_api_base, "is_chat": model.is_chat, "batch_size": model.batch_size,
        "temperature": model.temperature, "max_out_len": model.max_out_len, "max_seq_len": model.max_seq_len,
        "query_per_second": model.query_per_second, "run_cfg": dict(model.run_cfg),
    }
    if model.meta_template is not None:
        out["meta_template"] = model.meta_template if isinstance(model.meta_template, dict) else default_meta_template()
    return out


def default_meta_template() -> dict[str, Any]:
    """EvalScope's 'default-api-meta-template-oc': human/bot rounds, a system role."""
    return {
        "round": [{"role": "HUMAN", "api_role": "HUMAN"}, {"role": "BOT", "api_role": "BOT", "generate": True}],
        "reserved_roles": [{"role": "SYSTEM", "api_role": "SYSTEM"}],
    }


def build_datasets(plan: ResolvedPlan) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """OpenCompass dataset configs for the plan, and dataset abbr -> the name the user asked for."""
    import opencompass
    from mmengine.config import Config

    root = Path(opencompass.__file__).parent / "configs" / "datasets"
    out: list[dict[str, Any]] = []
    owner: dict[str, str] = {}
    for entry in plan.datasets:
        if entry.kind == "custom":
            configs = [custom_config(entry, plan)]
        else:
            path = root / f"{entry.module}.py"
            if not path.is_file():
                raise WorkerConfigError(f"eval_config: datasets: {entry.name}: ms-opencompass has no config {path}")
            configs = list(Config.fromfile(str(path))[entry.variable])  # ConfigDicts: their class types dump as names
            for cfg in configs:
                check_data(cfg, entry.name, plan.data_dir)
                if plan.test_range is not None:
                    cfg["reader_cfg"]["test_range"] = plan.test_range
                if plan.max_out_len is not None:
                    cfg["infer_cfg"]["inferencer"]["max_out_len"] = plan.max_out_len
        for cfg in configs:
            owner[cfg["abbr"]] = entry.name
        out.extend(configs)
    return out, owner


def custom_config(entry: ResolvedDataset, plan: ResolvedPlan) -> dict[str, Any]:
    from opencompass.datasets.custom import make_custom_dataset_config

    assert entry.custom is not None
    meta: dict[str, Any] = {"path": str(Path(entry.custom.path).expanduser().resolve())}
    for key in ("data_type", "infer_method", "meta_path", "abbr"):
        value = getattr(entry.custom, key)
        if value:
            meta[key] = value
    if plan.test_range is not None:
        meta["test_range"] = plan.test_range
    try:
        cfg = make_custom_dataset_config(meta)
    except (ValueError, KeyError, json.JSONDecodeError, StopIteration) as exc:
        raise WorkerConfigError(f"eval_config: datasets: {entry.custom.path}: not a usable custom dataset ({exc})") from None
    if plan.max_out_len is not None:
        cfg["infer_cfg"]["inferencer"]["max_out_len"] = plan.max_out_len
    return cfg


def check_data(cfg: dict[str, Any], name: str, data_dir: str | None) -> None:
    """A built-in dataset's files must be on disk: offline, OpenCompass's download attempt fails late."""
    if os.environ.get("DATASET_SOURCE"):  # the user chose a hub on purpose
        return
    from opencompass.utils.datasets_info import DATASETS_MAPPING

    key = cfg.get("path")
    if not isinstance(key, str) or key.startswith("/") or key not in DATASETS_MAPPING:
        return
    local = DATASETS_MAPPING[key].get("local")
    if not local:
        return
    cache = os.environ.get("COMPASS_DATA_CACHE", "")
    where = osp.normpath(osp.join(cache, local)) if cache else osp.abspath(local)
    if not osp.exists(where):
        raise WorkerConfigError(
            f"eval_config: datasets: {name}: OpenCompass's data file is missing: {where} "
            f"(set eval_config data_dir or COMPASS_DATA_CACHE to the folder holding data/...; "
            f"offline, OpenCompass cannot download it)"
        )


# -- importing OpenCompass's results ---------------------------------------------------------------


def read_summary(exp_dir: Path, time_str: str) -> list[dict[str, str]]:
    path = exp_dir / "summary" / f"summary_{time_str}.csv"
    if not path.is_file():
        found = sorted((exp_dir / "summary").glob("summary_*.csv"))
        if not found:
            raise RuntimeError(f"OpenCompass wrote no summary under {exp_dir / 'summary'}")
        path = found[-1]
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _load_json_parts(path: Path) -> dict[str, Any]:
    """A predictions/results file, or its numbered parts (`<abbr>_0.json`, ...) merged in order."""
    if path.is_file():
        return json.loads(path.read_text(encoding="utf-8"))
    merged: dict[str, Any] = {}
    parts = sorted(path.parent.glob(f"{path.stem}_*.json"), key=lambda p: int(p.stem.rsplit("_", 1)[1]) if p.stem.rsplit("_", 1)[1].isdigit() else 0)
    offset = 0
    for part in parts:
        data = json.loads(part.read_text(encoding="utf-8"))
        for key in sorted(data, key=lambda k: int(k) if str(k).isdigit() else 0):
            merged[str(offset)] = data[key]
            offset += 1
    return merged


def _prompt(raw: Any) -> str | list[ChatMessage]:
    if isinstance(raw, list):
        return [ChatMessage(ROLES.get(str(m.get("role")), str(m.get("role", "user")).lower()), str(m.get("prompt", "")))
                for m in raw if isinstance(m, dict)]
    return "" if raw is None else str(raw)


def _details(results: dict[str, Any]) -> dict[str, dict[str, Any]]:
    details = results.get("details")
    if isinstance(details, list):
        return {str(i): d for i, d in enumerate(details) if isinstance(d, dict)}
    if isinstance(details, dict):
        return {str(k): v for k, v in details.items() if isinstance(v, dict)}
    return {}


def sample_results(
    abbr: str, predictions: dict[str, Any], details: dict[str, dict[str, Any]], metric: str, model_name: str
) -> list[SampleResult]:
    """One SampleResult per prediction; its score is the eval detail's `correct` where OpenCompass gives one."""
    out = []
    for key in sorted(predictions, key=lambda k: int(k) if str(k).isdigit() else str(k)):
        pred = predictions[key]
        detail = details.get(str(key), {})
        prompt = _prompt(pred.get("origin_prompt"))
        text = pred.get("prediction")
        text = text if isinstance(text, str) else json.dumps(text, ensure_ascii=False)
        gold = pred.get("gold", detail.get("refr", detail.get("references")))
        digest = hashlib.sha256(json.dumps([abbr, str(key), pred.get("origin_prompt")], default=str).encode()).hexdigest()[:16]
        scores: dict[str, float] = {}
        correct = verdict(detail)
        if correct is not None:
            scores[metric] = 1.0 if correct else 0.0
        out.append(
            SampleResult(
                sample_id=f"{abbr}/{key}",
                subset=abbr,
                request_key=digest,
                output=ModelOutput(text=text, model=model_name),
                sample=Sample(id=f"{abbr}/{key}", input=prompt, target=gold, subset=abbr),
                prediction=detail.get("parsed", detail.get("predictions", detail.get("pred", text))),
                gold=gold,
                scores=scores,
                status=SampleStatus.SCORED if scores else SampleStatus.PREDICTED,
                details={k: v for k, v in detail.items() if k not in {"prompt", "origin_prediction"}},
            )
        )
    return out


def verdict(detail: dict[str, Any]) -> bool | None:
    """Was the sample right, per OpenCompass's eval details: its `correct` flag, or (AccEvaluator,
    which records none) the post-processed prediction equal to the reference; None when unknown."""
    correct = detail.get("correct")
    if isinstance(correct, bool):
        return correct
    if isinstance(correct, list) and correct and all(isinstance(c, bool) for c in correct):
        return correct[0]
    pred, ref = detail.get("predictions"), detail.get("references")
    if isinstance(pred, (str, int, float)) and isinstance(ref, (str, int, float)) and not isinstance(pred, bool):
        return str(pred) == str(ref)
    return None


def consistent(samples: list[SampleResult], metric: str, summary_score: float | None) -> list[SampleResult]:
    """Per-sample verdicts are kept only when their mean is OpenCompass's own score for the subset
    (else an evaluator's details mean something else): otherwise the samples stay unscored."""
    values = [s.scores[metric] for s in samples if metric in s.scores]
    if summary_score is None or len(values) != len(samples) or not samples:
        agree = False
    else:
        agree = abs(100.0 * sum(values) / len(values) - summary_score) < 0.01
    if agree:
        return samples
    for s in samples:
        s.scores = {}
        s.status = SampleStatus.PREDICTED
        s.details["note"] = "OpenCompass scores this dataset as a whole; see the report"
    return samples


def import_predictions(
    exp_dir: Path, model: dict[str, Any], datasets: list[dict[str, Any]], owner: dict[str, str], model_name: str
) -> SuiteRun:
    """mode: infer -- the answers as unscored records, no reports."""
    results: dict[str, list[SampleResult]] = {}
    for cfg in datasets:
        predictions = _load_json_parts(exp_dir / "predictions" / model["abbr"] / f"{cfg['abbr']}.json")
        results.setdefault(owner[cfg["abbr"]], []).extend(
            sample_results(cfg["abbr"], predictions, {}, "accuracy", model_name)
        )
    return SuiteRun(results=results, artefacts=[str(exp_dir)])


def _score(raw: str) -> float | None:
    try:
        return float(raw)
    except (TypeError, ValueError):
        return None  # '-': OpenCompass had no score for it


def import_results(
    exp_dir: Path, time_str: str, model: dict[str, Any], datasets: list[dict[str, Any]], owner: dict[str, str],
    model_name: str,
) -> SuiteRun:
    """Reports from the summary CSV (OpenCompass's own numbers, percentages as fractions); samples
    from predictions/ and results/ (eval details) for browsing."""
    rows = read_summary(exp_dir, time_str)
    model_abbr = model["abbr"]
    by_abbr: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        by_abbr.setdefault(row["dataset"], []).append(row)
    results: dict[str, list[SampleResult]] = {}
    subsets: dict[str, list[tuple[str, dict[str, str], list[SampleResult]]]] = {}
    for cfg in datasets:
        abbr = cfg["abbr"]
        name = owner[abbr]
        abbr_rows = [r for r in by_abbr.get(abbr, []) if _score(r.get(model_abbr, "")) is not None]
        metric = next((r["metric"] for r in abbr_rows if r["metric"] == "accuracy"), abbr_rows[0]["metric"] if abbr_rows else "accuracy")
        predictions = _load_json_parts(exp_dir / "predictions" / model_abbr / f"{abbr}.json")
        result_file = _load_json_parts(exp_dir / "results" / model_abbr / f"{abbr}.json")
        samples = sample_results(abbr, predictions, _details(result_file), metric, model_name)
        own = next((_score(r.get(model_abbr, "")) for r in abbr_rows if r["metric"] == metric), None)
        samples = consistent(samples, metric, own)
        results.setdefault(name, []).extend(samples)
        for row in abbr_rows:
            subsets.setdefault(name, []).append((abbr, row, samples))
    reports = [build_report(name, model_name, entries) for name, entries in subsets.items()]
    missing = sorted({owner[c["abbr"]] for c in datasets} - set(subsets))
    if missing:
        raise RuntimeError(f"OpenCompass produced no score for {', '.join(missing)}; see its logs under {exp_dir}")
    return SuiteRun(reports=reports, results=results, artefacts=[str(exp_dir)])


def build_report(name: str, model_name: str, entries: list[tuple[str, dict[str, str], list[SampleResult]]]) -> Report:
    """One Report per requested dataset; each OpenCompass dataset abbr is a subset."""
    metrics: dict[str, list[SubsetReport]] = {}
    modes: set[str] = set()
    for abbr, row, samples in entries:
        value = _score(row[next(k for k in row if k not in {"dataset", "version", "metric", "mode"})])
        assert value is not None
        metric = row["metric"]
        per_sample = [s.scores[metric] for s in samples if metric in s.scores]
        num = len(samples)
        metrics.setdefault(metric, []).append(subset_row(abbr, value / 100.0, num, stderr=standard_error(per_sample)))
        modes.add(row.get("mode", ""))
    metric_reports = [metric_row(metric, [category_row(("default",), subs)]) for metric, subs in metrics.items()]
    counts = SampleCounts(scored=sum(s.num for s in next(iter(metrics.values()))))
    mode = OUTPUT_TYPES.get(next(iter(modes)), "") if len(modes) == 1 else ""
    return suite_report(name, model_name, metric_reports, pretty_name=name, counts=counts, output_type=mode)


if __name__ == "__main__":
    raise SystemExit(worker_main(handle))
