"""Our records from RAGEval's results: Reports from each suite's own summary scores, SampleResults
from its per-query / per-pair / per-row results.

The scores in a Report are the suite's (MTEB's, RAGAS's, clip_benchmark's), never recomputed
here; per-sample records sit beside them so the site and the TUI can show each query or row.
Rows a suite could not score (RAGAS: the critic's reply did not parse) are counted as
`invalid` next to the metric they miss, never scored 0.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from evalscope.core.report import CategoryReport, MetricReport, Report, SampleCounts, standard_error
from evalscope.core.report_builder import category_row, metric_row, single_metric, subset_row, suite_report
from evalscope.core.types import ModelOutput, Sample, SampleResult, SampleStatus


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def _round(x: float) -> float:
    return round(float(x), 4)


def _category(split: str, stage: str) -> tuple[str, ...]:
    return (split, stage) if stage else (split,)


# -- MTEB --------------------------------------------------------------------------------------------


def mteb_report(
    task: str, model: str, stages: list[tuple[str, dict[str, Any], list[dict[str, Any]]]], metric_names: list[str], kind: str
) -> Report:
    """One Report for an MTEB task: a metric per name, a category per (split[, stage]), a subset per
    MTEB subset (language / `default`). `num` is the number of queries (retrieval) or pairs (STS)."""
    metrics: list[MetricReport] = []
    total = SampleCounts()
    for name in metric_names:
        categories: list[CategoryReport] = []
        last_stage_values: list[float] = []
        last_stage_num = 0
        for stage, split_scores, rows in stages:
            for split, entries in split_scores.items():
                subsets = []
                for entry in entries:
                    if name not in entry:
                        continue
                    subset = entry.get("hf_subset", "default")
                    num = sum(1 for r in rows if r["split"] == split and r["subset"] == subset) or int(entry.get("_num", 0))
                    per_sample = [r["scores"][name] for r in rows if r["split"] == split and r["subset"] == subset and name in r.get("scores", {})]
                    stderr = standard_error(per_sample) if per_sample else 0.0
                    subsets.append(subset_row(subset, entry[name], num, stderr=stderr))
                if not subsets:
                    continue
                weighted = sum(s.score * s.num for s in subsets) / max(1, sum(s.num for s in subsets))
                categories.append(category_row(_category(split, stage), subsets, score=weighted))
                if stage == stages[-1][0]:
                    last_stage_values.extend(s.score for s in subsets)
                    last_stage_num += sum(s.num for s in subsets)
        if not categories:
            continue
        final = [c for c in categories if c.name[-1] == stages[-1][0] or not stages[-1][0]]
        metrics.append(metric_row(
            name, categories,
            score=sum(c.score * c.num for c in final) / max(1, sum(c.num for c in final)),
            macro_score=_mean(last_stage_values), num=last_stage_num,
        ))
    for _stage, _scores, rows in stages[-1:]:
        total.scored = len(rows)
    return suite_report(task, model, metrics, pretty_name=f"MTEB {kind}: {task}", counts=total)


def mteb_samples(rows: list[dict[str, Any]], kind: str, stage: str) -> list[SampleResult]:
    out = []
    for row in rows:
        category = _category(row["split"], stage)
        key = f"mteb:{stage or 'one-stage'}:{row['split']}:{row['subset']}:{row['id']}"
        sample_id = f"{row['id']}@{stage}" if stage else row["id"]  # two-stage: one record per stage
        if "top10" in row:  # retrieval: one query
            out.append(SampleResult(
                sample_id=sample_id, subset=row["subset"], category=category, request_key=key,
                sample=Sample(id=row["id"], input=row.get("text", ""), target=row["relevant"], subset=row["subset"]),
                output=ModelOutput(text=" ".join(row["top10"])),
                prediction=row["top10"], gold=row["relevant"], scores=row["scores"],
            ))
        else:  # STS: one sentence pair; the correlation is over all pairs, so no per-pair score
            cosine = row.get("cosine")
            out.append(SampleResult(
                sample_id=sample_id, subset=row["subset"], category=category, request_key=key,
                sample=Sample(id=row["id"], input=f"{row['sentence1']}\n{row['sentence2']}", target=row["gold"], subset=row["subset"]),
                output=ModelOutput(text="" if cosine is None else f"{cosine:.4f}"),
                prediction=cosine, gold=row["gold"], details={"cosine_similarity": cosine},
            ))
    return out


# -- RAGAS -------------------------------------------------------------------------------------------


def ragas_records(
    dataset: str, model: str, rows: list[dict[str, Any]], metric_names: list[str]
) -> tuple[Report, list[SampleResult]]:
    """A Report of the mean of each metric over the rows it could score, and a SampleResult per row.

    `rows[i]["outcomes"][metric]` is `{"value": float}` or `{"invalid": reason}` (the critic's reply
    did not parse, or gave nothing to score: RAGAS returns NaN) or `{"error": reason}` (the call
    failed). A row counts as invalid or errored for the metrics it misses, and is left out of
    their means; it is SCORED when at least one metric scored it.
    """
    metrics = []
    total = SampleCounts()
    for name in metric_names:
        values = [r["outcomes"][name]["value"] for r in rows if "value" in r["outcomes"].get(name, {})]
        counts = SampleCounts(
            scored=len(values),
            invalid=sum(1 for r in rows if "invalid" in r["outcomes"].get(name, {})),
            errored=sum(1 for r in rows if "error" in r["outcomes"].get(name, {})),
        )
        subset = subset_row("default", _mean(values), len(values), stderr=standard_error(values), counts=counts)
        metrics.append(single_metric(name, subset))
    results = []
    for i, row in enumerate(rows):
        outcomes = row["outcomes"]
        scores = {m: o["value"] for m, o in outcomes.items() if "value" in o}
        missing = {m: o.get("invalid") or o.get("error") for m, o in outcomes.items() if "value" not in o}
        if scores:
            status = SampleStatus.SCORED
        elif any("error" in o for o in outcomes.values()):
            status = SampleStatus.ERROR
        else:
            status = SampleStatus.INVALID
        if status is SampleStatus.SCORED:
            total.scored += 1
        elif status is SampleStatus.ERROR:
            total.errored += 1
        else:
            total.invalid += 1
        results.append(SampleResult(
            sample_id=str(row.get("id", i)), subset="default", request_key=f"ragas:{dataset}:{i}",
            sample=Sample(id=str(row.get("id", i)), input=row.get("user_input", ""), target=row.get("reference"),
                          metadata={"retrieved_contexts": row.get("retrieved_contexts", [])}),
            output=ModelOutput(text=row.get("response", "")),
            prediction=row.get("response", ""), gold=row.get("reference"), scores=scores, status=status,
            error="; ".join(f"{m}: {why}" for m, why in missing.items()) or None,
            details={"unscored_metrics": missing} if missing else {},
        ))
    report = suite_report(dataset, model, metrics, pretty_name=f"RAGAS: {dataset}", counts=total)
    return report, results


def is_nan(value: Any) -> bool:
    return isinstance(value, float) and math.isnan(value)


# -- CLIP benchmark ----------------------------------------------------------------------------------


def clip_report(dataset: str, model: str, task: str, metrics: dict[str, float], num: int) -> Report:
    """A Report from clip_benchmark's metrics dict (acc1, acc5, mean_per_class_recall / recall@k)."""
    out = []
    for name, value in metrics.items():
        if not isinstance(value, (int, float)) or is_nan(float(value)):
            continue
        out.append(single_metric(name, subset_row(task, value, num)))
    return suite_report(dataset, model, out, pretty_name=f"CLIP {task}: {dataset}", counts=SampleCounts(scored=num))
