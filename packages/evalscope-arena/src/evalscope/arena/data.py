"""The arena's inputs: questions, reference answers, and each model's answers (generated through the
normal adapters as an eval run, read from an earlier run through the store, or from a file)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import attrs

from evalscope.core.datasets import DatasetFormatError
from evalscope.core.ports import ResultFilter, RunInfo
from evalscope.core.serialization import ConfigError
from evalscope.core.types import SampleStatus

log = logging.getLogger("evalscope.arena")

#: the benchmark that reads an arena question file (registered through evalscope.benchmarks)
QUESTIONS_BENCHMARK = "arena_questions"


@attrs.frozen
class Question:
    question_id: str
    text: str
    category: str = "general"


def _rows(path: str, what: str) -> list[dict[str, Any]]:
    from evalscope.core.datasets.local import read_records

    if not Path(path).is_file():
        raise ConfigError(f"{what}: {path}: no such file")
    return list(read_records(path))


def load_questions(path: str, limit: int | None = None) -> list[Question]:
    """Rows {question_id, text, category}; a row without question_id or text is an error naming the line."""
    out: list[Question] = []
    seen: set[str] = set()
    for i, row in enumerate(_rows(path, "question_file")):
        qid, text = row.get("question_id"), row.get("text")
        if qid is None or not isinstance(text, str) or not text.strip():
            raise DatasetFormatError(f"{path}: row {i + 1}: needs question_id and text (got keys {', '.join(map(str, row))})")
        if str(qid) in seen:
            raise DatasetFormatError(f"{path}: row {i + 1}: question_id {qid!r} appears twice")
        seen.add(str(qid))
        out.append(Question(str(qid), text, str(row.get("category") or "general")))
    return out[:limit] if limit else out


def load_answer_file(path: str, what: str) -> dict[str, str]:
    """Rows {question_id, answer} (or `text`) -> {question_id: answer}."""
    out: dict[str, str] = {}
    for i, row in enumerate(_rows(path, what)):
        qid = row.get("question_id")
        answer = row.get("answer") if row.get("answer") is not None else row.get("text")
        if qid is None or answer is None:
            raise DatasetFormatError(f"{path}: row {i + 1}: needs question_id and answer (got keys {', '.join(map(str, row))})")
        out[str(qid)] = str(answer)
    return out


def pick_run(reader: Any, location: str, run_id: str | None, dataset: str) -> RunInfo:
    """The run of `location` to read: `run_id` (id or name), else the newest run holding `dataset`."""
    if run_id:
        found = reader.find_run(run_id)
        if found is None:
            raise ConfigError(f"{location}: no run {run_id!r}")
        return found
    runs = [r for r in reader.list_runs() if r.kind == "eval" and (not r.datasets or dataset in r.datasets)]
    if not runs:
        raise ConfigError(f"{location}: no eval run with dataset {dataset!r}")
    return runs[-1]


def answers_of_run(location: str, run_id: str | None = None, dataset: str | None = None) -> tuple[RunInfo, dict[str, str]]:
    """{sample_id: answer text} of an earlier run, read through the store's read side (failed samples
    have no answer)."""
    from evalscope.core.stores import open_reader

    dataset = dataset or QUESTIONS_BENCHMARK
    try:
        reader = open_reader(location)
    except (FileNotFoundError, ValueError) as exc:
        raise ConfigError(f"run {location}: {exc}") from None
    run = pick_run(reader, location, run_id, dataset)
    out: dict[str, str] = {}
    for result in reader.iter_results(run.run_id, ResultFilter(dataset=dataset)):
        if result.status is SampleStatus.ERROR or result.output.error is not None:
            continue
        out[str(result.sample_id)] = result.output.text
    return run, out


__all__ = ["QUESTIONS_BENCHMARK", "Question", "answers_of_run", "load_answer_file", "load_questions"]
