"""Multi-level scores of an evaluated collection: per subset, dataset, task type, tag and category.

The core report is metric -> category -> subset; a collection also wants its own views, written to
`<run>/reports/<model_id>/collection/collection_report.json` and printed as tables.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import attrs

from evalscope.core.metrics import mean
from evalscope.core.ports import ResultFilter, ResultStore
from evalscope.core.report import standard_error
from evalscope.core.serialization import unstructure
from evalscope.core.types import SampleResult, SampleStatus

#: where a collection row's description lives in `Sample.metadata`
COLLECTION_KEY = "collection"
LEVELS = ("subset", "dataset", "task_type", "tag", "category")
REPORT_FILE = Path("collection") / "collection_report.json"


@attrs.define
class LevelScore:
    name: str
    metric: str
    score: float
    num: int
    stderr: float = 0.0


@attrs.define
class CollectionReport:
    name: str
    model_name: str
    num: int
    levels: dict[str, list[LevelScore]] = attrs.field(factory=dict)

    def level(self, level: str, metric: str | None = None) -> dict[str, LevelScore]:
        """{group name: score} of one level (first metric unless named)."""
        rows = self.levels.get(level, [])
        metric = metric or (rows[0].metric if rows else None)
        return {r.name: r for r in rows if r.metric == metric}


def _groups(meta: dict[str, Any]) -> dict[str, list[str]]:
    categories = list(meta.get("categories") or [])
    return {
        "subset": [f"{meta['dataset_name']}/{meta['subset_name']}"],
        "dataset": [meta["dataset_name"]],
        "task_type": [meta.get("task_type") or "default"],
        "tag": list(meta.get("tags") or []),
        "category": ["/".join(categories[: k + 1]) for k in range(len(categories))],
    }


def build_collection_report(
    entries: Iterable[tuple[dict[str, Any], dict[str, float]]], *, model_name: str, name: str | None = None
) -> CollectionReport:
    """Aggregate (row description, scores) pairs; a sample counts once in each of its groups."""
    values: dict[str, dict[str, dict[str, list[float]]]] = {lv: defaultdict(lambda: defaultdict(list)) for lv in LEVELS}
    metric_order: list[str] = []
    num = 0
    root = name
    for meta, scores in entries:
        num += 1
        if root is None and meta.get("categories"):
            root = meta["categories"][0]
        for metric in scores:
            if metric not in metric_order:
                metric_order.append(metric)
        for level, groups in _groups(meta).items():
            for group in groups:
                for metric, value in scores.items():
                    values[level][metric][group].append(float(value))
    levels = {
        level: [
            LevelScore(g, metric, round(mean(v), 4), len(v), round(standard_error(v), 4))
            for metric in metric_order
            for g, v in sorted(values[level].get(metric, {}).items())
        ]
        for level in LEVELS
    }
    return CollectionReport(name=root or "collection", model_name=model_name, num=num, levels=levels)


def entries_from_results(results: Iterable[SampleResult]) -> list[tuple[dict[str, Any], dict[str, float]]]:
    """(row description, scores) of the SCORED collection samples among `results`."""
    out = []
    for r in results:
        meta = (r.sample.metadata if r.sample else {}).get(COLLECTION_KEY)
        if meta and r.status is SampleStatus.SCORED:
            out.append((meta, r.scores))
    return out


def entries_from_store(store: ResultStore, run_id: str, dataset: str = "data_collection") -> list[tuple[dict[str, Any], dict[str, float]]]:
    """(row description, scores) of every scored collection sample of a run in any store."""
    where = ResultFilter(dataset=dataset, status=SampleStatus.SCORED)
    return entries_from_results(store.iter_results(run_id, where))


def entries_from_run(run_dir: str | Path, model_id: str | None = None, dataset: str = "data_collection") -> list[tuple[dict[str, Any], dict[str, float]]]:
    """(row description, scores) of every scored collection sample in a run dir (all its models'
    runs, or `model_id`'s), read through the work-dir store."""
    from evalscope.core.stores.workdir import WorkDirStore, safe_name

    path = Path(run_dir)
    if not path.is_dir():
        return []
    store = WorkDirStore(path)
    out = []
    for run in store.list_runs():
        if model_id is None or safe_name(run.model_id) == safe_name(model_id):
            out.extend(entries_from_store(store, run.run_id, dataset))
    return out


def run_models(run_dir: str | Path) -> list[str]:
    """The model folders of a run dir's runs (one per model evaluated in it), as its store lists them."""
    from evalscope.core.stores.workdir import WorkDirStore, safe_name

    path = Path(run_dir)
    if not path.is_dir():
        return []
    return sorted({safe_name(run.model_id) for run in WorkDirStore(path).list_runs()})


def write_collection_report(report: CollectionReport, run_dir: str | Path, model_id: str) -> Path:
    from evalscope.core.stores.workdir import safe_name

    path = Path(run_dir) / "reports" / safe_name(model_id) / REPORT_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(unstructure(report), ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def format_collection_tables(report: CollectionReport) -> str:
    """One grid per level (levels without groups, e.g. no tags, are left out)."""
    from tabulate import tabulate

    parts = []
    for level in LEVELS:
        rows = [[r.name, r.metric, r.num, f"{r.score:.4f}", f"{r.stderr:.4f}"] for r in report.levels.get(level, [])]
        if rows:
            title = f"{report.model_name} / {report.name}: by {level.replace('_', ' ')}"
            headers = [level.replace("_", " ").title(), "Metric", "Num", "Score", "Stderr"]
            parts.append(title + "\n" + tabulate(rows, headers=headers, tablefmt="grid", disable_numparse=True))
    return "\n\n".join(parts)
