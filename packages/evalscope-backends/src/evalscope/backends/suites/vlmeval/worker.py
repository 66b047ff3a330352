"""The VLMEvalKit worker (runs in the managed env `vlmeval`; imports vlmeval).

EvalScope's way: every `CustomAPIModel` entry becomes a `supported_VLM` partial pointing at its
OpenAI-compatible URL; datasets are `$LMUData/<name>.tsv` (unregistered names are typed by their
columns: MCQ with A/B..., VQA otherwise; VLMEvalKit's custom VQA has no scorer, so an exact-match
one is set, as EvalScope does). `run_task` does inference and judging; we read back its summary
(`status.json`) and per-sample files (`<model>_<data>*.xlsx`).
"""

from __future__ import annotations

import json
import os
import sys
import time
from functools import partial
from pathlib import Path
from typing import Any

from evalscope.backends.suites.boundary import WorkerConfigError, WorkerRequest, worker_main
from evalscope.backends.suites.vlmeval.config import CUSTOM_API_MODEL, VLMEvalConfig
from evalscope.core.report import Report, SampleCounts, SubsetReport
from evalscope.core.report_builder import category_row, metric_row, subset_row, suite_report
from evalscope.core.serialization import structure
from evalscope.core.suites import SuiteRun
from evalscope.core.types import ModelOutput, Sample, SampleResult, SampleStatus

FAILED_PREFIX = "Failed to obtain answer"


def _chat_url(api_base: str) -> str:
    base = api_base.rstrip("/")
    return base + "/chat/completions" if base.endswith("/v1") else base


def _register_models(cfg: VLMEvalConfig) -> list[str]:
    from vlmeval.config import supported_VLM

    names = []
    for entry in cfg.model:
        if isinstance(entry, str):
            if entry not in supported_VLM:
                raise WorkerConfigError(f"model: {entry!r} is not a VLMEvalKit model")
            names.append(entry)
            continue
        entry = dict(entry)
        name = entry.pop("name")
        if name not in supported_VLM:
            raise WorkerConfigError(f"model.name: {name!r} is not a VLMEvalKit model (use CustomAPIModel for an API)")
        if name == CUSTOM_API_MODEL:
            served = entry.pop("type")
            entry["api_base"] = _chat_url(entry["api_base"])
            entry.setdefault("key", "EMPTY")
            supported_VLM[served] = partial(supported_VLM[CUSTOM_API_MODEL], model=served, **entry)
            names.append(served)
        else:
            supported_VLM[name] = partial(supported_VLM[name], **entry)
            names.append(name)
    return names


def _exact_match_vqa() -> None:
    """VLMEvalKit's CustomVQADataset.evaluate raises NotImplementedError: score by exact match
    (case and surrounding space ignored) and write a per-sample result file with `hit`."""
    import numpy as np
    from vlmeval.dataset.image_vqa import CustomVQADataset
    from vlmeval.smp import d2df, dump, load

    def evaluate(self: Any, eval_file: str, **_judge: Any) -> Any:
        data = load(eval_file)
        data["hit"] = [int(str(p).strip().lower() == str(a).strip().lower()) for p, a in zip(data["prediction"], data["answer"])]
        stem = eval_file.rsplit(".", 1)[0]
        dump(data, f"{stem}_exact_matching_result.xlsx")
        result = d2df({"Overall": float(np.mean(data["hit"])) if len(data) else 0.0})
        dump(result, f"{stem}_acc.csv")
        return result

    CustomVQADataset.evaluate = evaluate


def _limit_datasets(names: list[str], limit: int | None, root: Path, work: Path) -> list[str]:
    """VLMEvalKit has no limit: write the first `limit` rows of each TSV to a private LMUData copy."""
    if limit is None:
        return names
    import pandas as pd

    for name in names:
        data = pd.read_csv(root / f"{name}.tsv", sep="\t")
        data.head(limit).to_csv(work / f"{name}.tsv", sep="\t", index=False)
    return names


def run(request: WorkerRequest) -> SuiteRun:
    cfg = structure(request.eval_config, VLMEvalConfig)
    opts = request.options
    work = Path(opts["work_dir"])
    work.mkdir(parents=True, exist_ok=True)
    root = Path(opts["data_dir"])
    if opts.get("limit") is not None:  # a private LMUData with the cut TSVs
        private = work / "LMUData"
        private.mkdir(exist_ok=True)
        _limit_datasets(cfg.data, opts["limit"], root, private)
        os.environ["LMUData"] = str(private)
    else:
        os.environ["LMUData"] = str(root)
    from vlmeval.dataset import image_mcq
    from vlmeval.run import run_task
    from vlmeval.utils.arguments import Arguments

    for name in cfg.data:  # a local TSV under a built-in name fails its MD5 check and would re-download
        getattr(image_mcq.ImageMCQDataset, "DATASET_MD5", {}).pop(name, None)
    _exact_match_vqa()
    names = _register_models(cfg)
    args = Arguments(
        data=list(cfg.data), model=names, work_dir=str(work), mode=cfg.mode, api_nproc=cfg.api_nproc or cfg.nproc,
        reuse=bool(cfg.reuse), verbose=cfg.verbose, ignore=cfg.ignore, judge=cfg.judge, judge_args=cfg.judge_args,
        judge_base_url=cfg.judge_base_url, judge_key=cfg.judge_key or "sk-admin", nframe=cfg.nframe, fps=cfg.fps,
        use_subtitle=cfg.use_subtitle,
        **({"retry": cfg.retry} if cfg.retry is not None else {}),
        **({"timeout": cfg.timeout} if cfg.timeout is not None else {}),
    )
    started = time.monotonic()
    try:
        run_task(args)
    finally:  # VLMEvalKit logs "API Key: <key>" into its own log files: mask them like our logs
        _mask_files(work, _secrets(cfg))
    out = SuiteRun(artefacts=[str(work)])
    for model in names:
        status = _status(work / model)
        for dataset in cfg.data:
            label = request.model_id or model
            samples = _samples(work / model, model, dataset, label)
            out.results[dataset] = samples
            entry = status.get("datasets", {}).get(dataset, {})
            if cfg.mode == "all":
                if entry.get("eval_error") or not entry.get("metrics"):
                    raise RuntimeError(f"VLMEvalKit gave no metrics for {model} x {dataset}: {entry.get('eval_error') or entry.get('skip_reason') or 'see its log'}")
                report = _report(dataset, label, entry["metrics"], samples)
                report.stats.seconds = round(time.monotonic() - started, 2)
                out.reports.append(report)
    return out


def _secrets(cfg: VLMEvalConfig) -> list[str]:
    keys = [str(e.get("key") or "") for e in cfg.model if isinstance(e, dict)] + [cfg.judge_key or ""]
    return [k for k in keys if len(k) >= 4 and k != "EMPTY"]


def _mask_files(folder: Path, secrets: list[str]) -> None:
    """Replace each secret with *** in the text files VLMEvalKit wrote under `folder`."""
    if not secrets:
        return
    for path in folder.rglob("*"):
        if not path.is_file() or path.suffix not in (".log", ".txt", ".json", ".jsonl", ".csv", ".md"):
            continue
        data = path.read_bytes()
        masked = data
        for secret in secrets:
            masked = masked.replace(secret.encode(), b"***")
        if masked != data:
            path.write_bytes(masked)


def _status(folder: Path) -> dict[str, Any]:
    path = folder / "status.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def _report(dataset: str, model: str, metrics: dict[str, float], samples: list[SampleResult]) -> Report:
    """status.json's metrics (`split=<s>|<column>`: value) -> one metric `acc`, a category per split,
    a subset per column (Overall first)."""
    scored = [s for s in samples if s.status is SampleStatus.SCORED]
    counts = SampleCounts(scored=len(scored), errored=sum(1 for s in samples if s.status is SampleStatus.ERROR))
    by_split: dict[str, list[SubsetReport]] = {}
    for key, value in metrics.items():
        parts = dict(p.split("=", 1) if "=" in p else ("column", p) for p in key.split("|"))  # type: ignore[misc]  # a split at a present "=" has two parts
        split, column = parts.get("split", "none"), parts.get("column", key)
        num = len(scored) if column == "Overall" else sum(1 for s in scored if (s.sample and s.sample.metadata.get("category")) == column) or len(scored)
        by_split.setdefault(split, []).append(subset_row(column, value, num, counts=counts if column == "Overall" else None))
    categories = []
    for split, subsets in by_split.items():
        subsets.sort(key=lambda s: (s.name != "Overall", s.name))
        overall = subsets[0]
        categories.append(category_row((split,), subsets, score=overall.score, macro_score=overall.score, num=overall.num))
    first = categories[0].subsets[0] if categories else subset_row("Overall", 0.0, 0)
    metric = metric_row("acc", categories, score=first.score, macro_score=first.score, num=first.num)
    return suite_report(dataset, model, [metric], pretty_name=f"VLMEvalKit: {dataset}", counts=counts)


def _samples(folder: Path, model: str, dataset: str, label: str) -> list[SampleResult]:
    """A SampleResult per row of the judged file (with `hit`), else of the prediction file."""
    from vlmeval.smp import load

    judged = sorted(folder.glob(f"{model}_{dataset}_*_result.xlsx"))
    path = judged[0] if judged else folder / f"{model}_{dataset}.xlsx"
    if not path.is_file():
        return []
    data = load(str(path))
    out = []
    for row in data.to_dict("records"):
        index = str(row.get("index"))
        prediction = "" if row.get("prediction") is None else str(row.get("prediction"))
        failed = prediction.startswith(FAILED_PREFIX)
        options = [str(row[c]) for c in "ABCDEFGHIJ" if c in row and str(row[c]) not in ("nan", "None")]
        if failed:
            status = SampleStatus.ERROR
        elif "hit" in row:
            status = SampleStatus.SCORED
        else:
            status = SampleStatus.PREDICTED
        out.append(SampleResult(
            sample_id=index, subset="default", request_key=f"vlmeval:{model}:{dataset}:{index}",
            sample=Sample(id=index, input=str(row.get("question", "")), target=row.get("answer"), choices=options or None,
                          metadata={k: row[k] for k in ("category", "l2-category", "image_path") if k in row and row[k] == row[k]}),
            output=ModelOutput(text=prediction, error=prediction if failed else None, model=label),
            prediction=prediction, gold=None if row.get("answer") is None else str(row.get("answer")),
            scores={"acc": float(row["hit"])} if status is SampleStatus.SCORED else {},
            status=status, error=prediction if failed else None,
            details={"judge_log": str(row["log"])} if "log" in row else {},
        ))
    return out


if __name__ == "__main__":
    sys.exit(worker_main(run))
