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

from evalscope.core.report import (
    CategoryReport,
    MetricReport,
    Report,
    SampleCounts,
    SubsetReport,
    standard_error,
)
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
                    subsets.append(SubsetReport(
                        name=subset, score=_round(entry[name]), num=num,
                        stderr=_round(standard_error(per_sample)) if per_sample else 0.0,
                        counts=SampleCounts(scored=num),
                    ))
                if not subsets:
                    continue
                weighted = sum(s.score * s.num for s in subsets) / max(1, sum(s.num for s in subsets))
                categories.append(CategoryReport(
                    name=_category(split, stage), score=_round(weighted),
                    macro_score=_round(_mean([s.score for s in subsets])), num=sum(s.num for s in subsets), subsets=subsets,
                ))
                if stage == stages[-1][0]:
                    last_stage_values.extend(s.score for s in subsets)
                    last_stage_num += sum(s.num for s in subsets)
        if not categories:
            continue
        final = [c for c in categories if c.name[-1] == stages[-1][0] or not stages[-1][0]]
        metrics.append(MetricReport(
            name=name,
            score=_round(sum(c.score * c.num for c in final) / max(1, sum(c.num for c in final))),
            macro_score=_round(_mean(last_stage_values)),
            num=last_stage_num,
            categories=categories,
        ))
    for _stage, _scores, rows in stages[-1:]:
        total.scored = len(rows)
    return Report(
        name=f"{model}_{task}", dataset_name=task, model_name=model,
        score=metrics[0].score if metrics else 0.0, metrics=metrics,
        dataset_pretty_name=f"MTEB {kind}: {task}", counts=total,
    )


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
        score = _round(_mean(values))
        subset = SubsetReport(name="default", score=score, num=len(values), stderr=_round(standard_error(values)), counts=counts)
        metrics.append(MetricReport(
            name=name, score=score, macro_score=score, num=len(values), stderr=subset.stderr,
            categories=[CategoryReport(name=("default",), score=score, macro_score=score, num=len(values), subsets=[subset])],
        ))
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
    report = Report(
        name=f"{model}_{dataset}", dataset_name=dataset, model_name=model,
        score=metrics[0].score if metrics else 0.0, metrics=metrics,
        dataset_pretty_name=f"RAGAS: {dataset}", counts=total,
    )
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
        subset = SubsetReport(name=task, score=_round(value), num=num, counts=SampleCounts(scored=num))
        out.append(MetricReport(
            name=name, score=_round(value), macro_score=_round(value), num=num,
            categories=[CategoryReport(name=("default",), score=_round(value), macro_score=_round(value), num=num, subsets=[subset])],
        ))
    return Report(
        name=f"{model}_{dataset}", dataset_name=dataset, model_name=model, score=out[0].score if out else 0.0,
        metrics=out, dataset_pretty_name=f"CLIP {task}: {dataset}", counts=SampleCounts(scored=num),
    )
