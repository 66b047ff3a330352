"""The answers arena_hard compares the model's with: `extra_params.baseline` is

- `gpt-4-0314` (default): the shipped `model_answer_gpt-4-0314.jsonl` beside `question.jsonl`;
- a file of answers: JSONL rows `{"question_id", "answer"}`, or Arena-Hard's own answer files
  (`{"uid", "messages": [..., {"role": "assistant", "content": {"answer": ...}}]}`);
- another run (a run dir, an outputs dir or a database URL): its answers to `baseline_dataset`
  (default `arena_hard`) read through the store (`open_reader` -> `iter_results`), e.g. an earlier
  checkpoint's arena_hard run, so two checkpoints are compared with this protocol.

A file or run that cannot be used stops the run before any model call, with one line naming the
file and line (`answers.jsonl:3: question_id 'q1' appears twice (first at answers.jsonl:1)`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import attrs

from evalscope.core.serialization import ConfigError

#: the shipped baseline of Arena-Hard-Auto v0.1
SHIPPED = "gpt-4-0314"
SHIPPED_FILE = "model_answer_gpt-4-0314.jsonl"


@attrs.frozen
class Answer:
    """A baseline answer and, when the source counted them, its output tokens."""

    text: str
    tokens: int | None = None


def _answer_text(row: dict[str, Any]) -> Any:
    """The answer of a row: `answer` (or `text`), else the last assistant message of Arena-Hard's format."""
    for key in ("answer", "text"):
        if row.get(key) is not None:
            return row[key]
    messages = row.get("messages")
    if (
        isinstance(messages, list)
        and messages
        and isinstance(messages[-1], dict)
        and messages[-1].get("role") == "assistant"
    ):
        content = messages[-1].get("content")
        return content.get("answer") if isinstance(content, dict) else content
    return None


def read_answer_file(path: str | os.PathLike[str], what: str = "baseline") -> dict[str, Answer]:
    """{question id: answer} of a JSONL answers file; a row that is not usable is a ConfigError naming file:line."""
    from evalscope.core.datasets import DatasetFormatError
    from evalscope.core.datasets.local import read_records

    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{what}: {path}: no such file")
    try:
        records = read_records(path)
    except DatasetFormatError as exc:
        raise ConfigError(f"{what}: {exc}") from None
    out: dict[str, Answer] = {}
    first_seen: dict[str, str] = {}
    for i, row in enumerate(records):
        line = records.lines[i] if i < len(records.lines) else None
        where = f"{path}:{line}" if line else f"{path}: row {i + 1}"
        qid = row.get("question_id", row.get("uid"))
        text = _answer_text(row)
        if qid is None or not isinstance(text, str):
            keys = ", ".join(map(str, row)) or "none"
            raise ConfigError(f"{what}: {where}: needs question_id and answer (a string), got keys {keys}")
        qid = str(qid)
        if qid in first_seen:
            raise ConfigError(
                f"{what}: {where}: question_id {qid!r} appears twice (first at {first_seen[qid]})"
            )
        first_seen[qid] = where
        tokens = row.get("output_tokens")
        out[qid] = Answer(text, int(tokens) if isinstance(tokens, int) else None)
    return out


def read_run_answers(
    location: str, dataset: str, run_id: str | None = None, what: str = "baseline"
) -> dict[str, Answer]:
    """{question id: answer} of an earlier run's `dataset` (errored samples have none), with output tokens."""
    from evalscope.arena.data import pick_run
    from evalscope.core.ports import ResultFilter
    from evalscope.core.stores import open_reader
    from evalscope.core.types import SampleStatus

    try:
        reader = open_reader(location)
    except (FileNotFoundError, ValueError) as exc:
        raise ConfigError(f"{what}: run {location}: {exc}") from None
    try:
        run = pick_run(reader, location, run_id, dataset)
    except ConfigError as exc:
        raise ConfigError(f"{what}: {exc}") from None
    out: dict[str, Answer] = {}
    for result in reader.iter_results(run.run_id, ResultFilter(dataset=dataset)):
        if result.status is SampleStatus.ERROR or result.output.error is not None or result.repeat:
            continue
        text = result.filtered if result.filtered is not None else result.output.text
        item = result.sample.id if result.sample is not None else result.sample_id
        out[str(item)] = Answer(text, result.output.usage.output_tokens or None)
    if not out:
        raise ConfigError(f"{what}: run {location} ({run.run_id}) holds no answer of {dataset}")
    return out


def load_baseline(value: Any, dataset: str, run_id: str | None = None) -> dict[str, Answer] | None:
    """The user's baseline answers, or None for the shipped one (read with the questions)."""
    if value in (None, "", SHIPPED):
        return None
    if not isinstance(value, str):
        raise ConfigError(
            f"dataset_args.arena_hard.extra_params.baseline: a run dir, an answers file or {SHIPPED!r}, not {value!r}"
        )
    if "://" in value or Path(value).is_dir():
        return read_run_answers(value, dataset, run_id)
    if Path(value).is_file():
        return read_answer_file(value)
    raise ConfigError(
        f"dataset_args.arena_hard.extra_params.baseline: {value}: no such file or run dir (give a run dir, an answers file or {SHIPPED!r})"
    )


def shipped_answers(question_file: Path | None) -> dict[str, Answer]:
    """The shipped gpt-4-0314 answers beside the question file ({} when there are none)."""
    if question_file is None:
        return {}
    path = Path(question_file).parent / SHIPPED_FILE
    return read_answer_file(path, what=SHIPPED) if path.is_file() else {}


__all__ = ["SHIPPED", "Answer", "load_baseline", "read_answer_file", "read_run_answers", "shipped_answers"]
