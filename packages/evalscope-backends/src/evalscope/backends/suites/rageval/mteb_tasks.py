"""MTEB tasks read from local files, and per-sample capture on any MTEB task (imports mteb).

Runs inside the MTEB worker only. A custom retrieval task reads the BEIR layout (`corpus.jsonl`,
`queries.jsonl`, `qrels/<split>.tsv`); a custom STS task reads `<split>.jsonl` with `sentence1`,
`sentence2`, `score`. `capture` hooks a task instance so that, besides MTEB's own summary scores,
we keep each query's (retrieval) or pair's (STS) result for the per-sample records.
"""

from __future__ import annotations

import csv
import json
import types
from pathlib import Path
from typing import Any

from datasets import Dataset, DatasetDict
from mteb.abstasks.retrieval import AbsTaskRetrieval
from mteb.abstasks.retrieval_dataset_loaders import RetrievalSplitData
from mteb.abstasks.sts import AbsTaskSTS
from mteb.abstasks.task_metadata import TaskMetadata

_COMMON: dict[str, Any] = dict(
    reference="https://example.invalid/local",
    category="t2t",
    eval_langs=["eng-Latn"],
    date=("2000-01-01", "2000-01-02"),
    dialect=[],
    domains=[],
    task_subtypes=[],
    license="not specified",
    annotations_creators="derived",
    modalities=["text"],
    sample_creation="found",
    bibtex_citation="",
)


class DataFileError(ValueError):
    """A row of a local task file is not what the task needs; the message names file and line."""


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    rows = []
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DataFileError(f"{path}:{lineno}: invalid JSON ({exc.msg})") from None
            if not isinstance(row, dict):
                raise DataFileError(f"{path}:{lineno}: expected a JSON object per line")
            rows.append(row)
    return rows


def _field(row: dict[str, Any], names: tuple[str, ...], path: Path, lineno: int) -> Any:
    for name in names:
        if name in row:
            return row[name]
    raise DataFileError(f"{path}:{lineno}: missing field {names[0]!r} (has {', '.join(row) or 'nothing'})")


def read_qrels(path: Path) -> dict[str, dict[str, int]]:
    qrels: dict[str, dict[str, int]] = {}
    with open(path, encoding="utf-8", newline="") as f:
        for lineno, fields in enumerate(csv.reader(f, delimiter="\t"), 1):
            if not fields or (lineno == 1 and fields[0] in ("query-id", "query_id", "qid")):
                continue
            if len(fields) < 3:
                raise DataFileError(f"{path}:{lineno}: expected query-id<TAB>corpus-id<TAB>score")
            try:
                score = int(float(fields[2]))
            except ValueError:
                raise DataFileError(f"{path}:{lineno}: score {fields[2]!r} is not a number") from None
            qrels.setdefault(fields[0], {})[fields[1]] = score
    return qrels


def load_retrieval(root: Path, split: str, limit: int | None) -> RetrievalSplitData:
    corpus_path, queries_path = root / "corpus.jsonl", root / "queries.jsonl"
    corpus = [
        {"id": str(_field(r, ("_id", "id"), corpus_path, i)), "text": str(_field(r, ("text",), corpus_path, i)), "title": str(r.get("title") or "")}
        for i, r in enumerate(_read_jsonl(corpus_path), 1)
    ]
    qrels = read_qrels(root / "qrels" / f"{split}.tsv")
    queries = [
        {"id": str(_field(r, ("_id", "id"), queries_path, i)), "text": str(_field(r, ("text",), queries_path, i))}
        for i, r in enumerate(_read_jsonl(queries_path), 1)
    ]
    queries = [q for q in queries if q["id"] in qrels]  # MTEB drops queries without a relevant document too
    if limit is not None:
        queries = queries[:limit]
    keep = {q["id"] for q in queries}
    return RetrievalSplitData(
        corpus=Dataset.from_list(corpus),
        queries=Dataset.from_list(queries),
        relevant_docs={q: docs for q, docs in qrels.items() if q in keep},
        top_ranked=None,
    )


def load_sts(path: Path, limit: int | None) -> Dataset:
    rows = []
    for i, r in enumerate(_read_jsonl(path), 1):
        score = _field(r, ("score",), path, i)
        if isinstance(score, bool) or not isinstance(score, (int, float)):
            raise DataFileError(f"{path}:{i}: score {score!r} is not a number")
        rows.append({
            "sentence1": str(_field(r, ("sentence1",), path, i)),
            "sentence2": str(_field(r, ("sentence2",), path, i)),
            "score": float(score),
        })
        if limit is not None and len(rows) >= limit:
            break
    if len(rows) < 2:
        raise DataFileError(f"{path}: an STS task needs at least 2 pairs (a correlation), found {len(rows)}")
    return Dataset.from_list(rows)


def custom_retrieval(name: str, root: Path, splits: list[str], limit: int | None, main_score: str | None) -> AbsTaskRetrieval:
    metadata = TaskMetadata(
        type="Retrieval", name=name, description=f"local retrieval task from {root}",
        main_score=main_score or "ndcg_at_10", dataset={"path": str(root), "revision": "local"},
        eval_splits=splits, **_COMMON,
    )

    def load_data(self: AbsTaskRetrieval, num_proc: int | None = None, **_kw: Any) -> None:
        if self.data_loaded:
            return
        self.dataset = {"default": {s: load_retrieval(root, s, limit) for s in splits}}
        self.data_loaded = True

    cls = type(f"Local{name}", (AbsTaskRetrieval,), {"metadata": metadata, "load_data": load_data, "ignore_identical_ids": True})
    return cls()


def custom_sts(name: str, root: Path, splits: list[str], limit: int | None, main_score: str | None) -> AbsTaskSTS:
    metadata = TaskMetadata(
        type="STS", name=name, description=f"local STS task from {root}",
        main_score=main_score or "cosine_spearman", dataset={"path": str(root), "revision": "local"},
        eval_splits=splits, **_COMMON,
    )

    def load_data(self: AbsTaskSTS, num_proc: int | None = None, **_kw: Any) -> None:
        if self.data_loaded:
            return
        self.dataset = DatasetDict({s: load_sts(root / f"{s}.jsonl", limit) for s in splits})
        self.data_loaded = True

    # the score range only rescales the gold scores; Pearson and Spearman do not change with it
    cls = type(f"Local{name}", (AbsTaskSTS,), {"metadata": metadata, "load_data": load_data, "min_score": 0, "max_score": 5})
    return cls()


def limit_loaded(task: Any, limit: int | None) -> None:
    """Keep the first `limit` queries (retrieval) or pairs (STS) of a registry task's loaded data."""
    if limit is None:
        return
    if isinstance(task, AbsTaskRetrieval):
        for subset in task.dataset.values():
            for split, data in subset.items():
                queries = data["queries"].select(range(min(limit, len(data["queries"]))))
                keep = set(queries["id"])
                data["queries"] = queries
                data["relevant_docs"] = {q: d for q, d in data["relevant_docs"].items() if q in keep}
                subset[split] = data
    elif isinstance(task, AbsTaskSTS):
        def cut(ds: Any) -> Any:
            return ds.select(range(min(limit, len(ds)))) if isinstance(ds, Dataset) else {k: cut(v) for k, v in ds.items()}

        task.dataset = cut(task.dataset)


#: the per-query values of a retrieval run, by pytrec_eval key -> our (MTEB's) metric name
_PER_QUERY = {"ndcg_cut_": "ndcg_at_", "map_cut_": "map_at_", "recall_": "recall_at_", "P_": "precision_at_", "success_": "hit_rate_at_"}


def _metric_name(key: str) -> str | None:
    for prefix, ours in _PER_QUERY.items():
        if key.startswith(prefix) and key[len(prefix):].isdigit():
            return ours + key[len(prefix):]
    return None


def capture(task: Any) -> list[dict[str, Any]]:
    """Hook `task` so each evaluated split appends its per-sample rows to the returned list."""
    rows: list[dict[str, Any]] = []
    if isinstance(task, AbsTaskRetrieval):
        original = task.task_specific_scores
        original_eval = task._evaluate_subset
        texts: dict[str, str] = {}

        def evaluate_subset(self: Any, model: Any, data_split: Any, **kwargs: Any) -> Any:
            for item in data_split["queries"]:
                texts[str(item["id"])] = str(item.get("text") or "")
            return original_eval(model, data_split, **kwargs)

        def task_specific_scores(self: Any, scores: Any, qrels: Any, results: Any, hf_split: str, hf_subset: str) -> Any:
            prefix = f"{hf_split}_{hf_subset}_"
            for qid, values in scores.items():
                ranked = sorted(results.get(qid, {}).items(), key=lambda kv: kv[1], reverse=True)[:10]
                rows.append({
                    "split": hf_split, "subset": hf_subset, "id": qid.removeprefix(prefix),
                    "text": texts.get(qid, texts.get(qid.removeprefix(prefix), "")),
                    "scores": {name: float(v) for k, v in values.items() if (name := _metric_name(k))},
                    "top10": [doc.removeprefix(prefix) for doc, _ in ranked],
                    "relevant": {d.removeprefix(prefix): int(s) for d, s in qrels.get(qid, {}).items()},
                })
            return original(scores, qrels, results, hf_split=hf_split, hf_subset=hf_subset)

        task.task_specific_scores = types.MethodType(task_specific_scores, task)  # type: ignore[method-assign]  # per-task patch: records per-sample scores
        task._evaluate_subset = types.MethodType(evaluate_subset, task)  # type: ignore[method-assign]  # per-task patch, as above
    elif isinstance(task, AbsTaskSTS):
        original_eval = task._evaluate_subset

        def evaluate_subset(self: Any, model: Any, data_split: Any, **kwargs: Any) -> Any:
            split, subset = kwargs.get("hf_split", ""), kwargs.get("hf_subset", "default")
            start = len(rows)
            for i, item in enumerate(data_split):
                rows.append({"split": split, "subset": subset, "id": str(i), "sentence1": item["sentence1"],
                             "sentence2": item["sentence2"], "gold": float(item["score"])})
            original_calc = self._calculate_scores

            def calculate(scores: Any, normalized: Any) -> Any:
                for row, cosine in zip(rows[start:], scores["cosine_scores"]):
                    row["cosine"] = float(cosine)
                return original_calc(scores, normalized)

            self._calculate_scores = calculate
            try:
                return original_eval(model, data_split, **kwargs)
            finally:
                del self._calculate_scores

        task._evaluate_subset = types.MethodType(evaluate_subset, task)  # type: ignore[method-assign]  # per-task patch: records per-pair cosines
    return rows
