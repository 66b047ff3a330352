"""The arena's inputs: questions, reference answers, and each model's answers (generated through the
normal adapters as an eval run, read from an earlier run through the store, or from a file)."""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterator
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


def _keyed_rows(path: str, what: str, fields: str) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(`file:line`, question_id, row) of each row of a question or answer file; a missing file, a
    row without question_id and a question_id seen before are errors naming the file and line."""
    from evalscope.core.datasets.local import read_records

    if not Path(path).is_file():
        raise ConfigError(f"{what}: {path}: no such file")
    records = read_records(path)
    first_seen: dict[str, str] = {}
    for i, row in enumerate(records):
        line = records.lines[i] if i < len(records.lines) else None
        where = f"{path}:{line}" if line else f"{path}: row {i + 1}"
        qid = row.get("question_id")
        if qid is None:
            raise DatasetFormatError(f"{where}: needs {fields} (got keys {', '.join(map(str, row)) or 'none'})")
        qid = str(qid)
        if qid in first_seen:
            raise DatasetFormatError(f"{where}: question_id {qid!r} appears twice (first at {first_seen[qid]})")
        first_seen[qid] = where
        yield where, qid, row


def load_questions(path: str, limit: int | None = None) -> list[Question]:
    """Rows {question_id, text, category}; a row without question_id or text, or a question_id seen
    before, is an error naming the file and line."""
    out: list[Question] = []
    for where, qid, row in _keyed_rows(path, "question_file", "question_id and text"):
        text = row.get("text")
        if not isinstance(text, str) or not text.strip():
            raise DatasetFormatError(f"{where}: needs question_id and text (got keys {', '.join(map(str, row))})")
        out.append(Question(qid, text, str(row.get("category") or "general")))
    return out[:limit] if limit else out


def load_answer_file(path: str, what: str, question_ids: Collection[str] | None = None) -> dict[str, str]:
    """Rows {question_id, answer} (or `text`) -> {question_id: answer}. A row without an answer, a
    question_id seen before, or (given `question_ids`) one that is not a question is an error naming
    the file and line."""
    out: dict[str, str] = {}
    for where, qid, row in _keyed_rows(path, what, "question_id and answer"):
        answer = row.get("answer") if row.get("answer") is not None else row.get("text")
        if answer is None:
            raise DatasetFormatError(f"{where}: needs question_id and answer (got keys {', '.join(map(str, row))})")
        if question_ids is not None and qid not in question_ids:
            raise DatasetFormatError(f"{where}: question_id {qid!r} is not a question of the question_file")
        out[qid] = str(answer)
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
