"""What a `ResultFilter` means, defined once for every store.

Stores may narrow in their own query language first (SQL pushes dataset, subset, status, sample ids
and paging down), but a result is kept exactly when `matches` says so, and results come in the order
of `sort_key`: dataset, subset, then sample id compared as text.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Iterator
from typing import Any, TypeVar

from evalscope.core.ports import ResultFilter
from evalscope.core.types import SampleResult, SampleStatus

T = TypeVar("T")

#: statuses a review may record; anything else on a review (an older writer's default) is derived
REVIEW_STATUSES = frozenset({SampleStatus.SCORED, SampleStatus.ERROR, SampleStatus.INVALID, SampleStatus.SKIPPED})


def effective_status(recorded: str | SampleStatus | None, *, reviewed: bool, error: str | None) -> SampleStatus:
    """The status a stored sample has, also for records written before statuses existed.

    A review that names a review status keeps it; a review without one is SCORED (ERROR when it holds
    an error). A prediction without a review is PREDICTED (ERROR when the model call failed).
    """
    try:
        status = SampleStatus(recorded) if recorded is not None else None
    except ValueError:
        status = None
    if reviewed:
        if status in REVIEW_STATUSES:
            return status
        return SampleStatus.ERROR if error is not None else SampleStatus.SCORED
    if status is SampleStatus.ERROR or error is not None:
        return SampleStatus.ERROR
    return SampleStatus.PREDICTED


def primary_score(result: SampleResult, metric: str | None = None) -> float | None:
    """The score `passed` looks at: `metric`, else the first metric the sample has."""
    if not result.scores:
        return None
    if metric is not None:
        value = result.scores.get(metric)
    else:
        value = next(iter(result.scores.values()))
    return None if value is None else float(value)


def prompt_text(result: SampleResult) -> str:
    """The sample's input as plain text (chat messages and later turns joined by newlines)."""
    sample = result.sample
    if sample is None:
        return ""
    head = [sample.input] if isinstance(sample.input, str) else [m.text for m in sample.input]
    return "\n".join([*head, *(m.text for m in sample.turns)])


def value_text(value: Any) -> str:
    """A prediction or gold answer as searchable text: strings as they are, other values as JSON."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)


def search_texts(result: SampleResult) -> Iterator[str]:
    yield prompt_text(result)
    yield result.output.text or ""
    yield value_text(result.prediction)
    yield value_text(result.gold)


def matches(result: SampleResult, where: ResultFilter | None, *, dataset: str | None = None) -> bool:
    """Whether `result` (of `dataset`, when the caller knows it) passes every field of `where`.

    Paging (`offset`, `limit`) is not a property of one result; see `page`.
    """
    if where is None:
        return True
    if where.dataset is not None and dataset is not None and dataset != where.dataset:
        return False
    if where.subset is not None and result.subset != where.subset:
        return False
    if where.status is not None and result.status != SampleStatus(where.status):
        return False
    if where.sample_ids is not None and str(result.sample_id) not in {str(s) for s in where.sample_ids}:
        return False
    if where.passed is not None:
        if result.status != SampleStatus.SCORED:
            return False
        score = primary_score(result, where.metric)
        if score is None or (score >= where.threshold) != where.passed:
            return False
    if where.search:
        needle = where.search.lower()
        if not any(needle in text.lower() for text in search_texts(result)):
            return False
    return True


def needs_python_filter(where: ResultFilter | None) -> bool:
    """Whether `where` has fields a store may not express in its own query (search, passed)."""
    return where is not None and (bool(where.search) or where.passed is not None)


def page_items(items: Iterable[T], where: ResultFilter | None) -> Iterator[T]:
    """Skip `where.offset` items, then give at most `where.limit`."""
    offset = where.offset if where is not None else 0
    limit = where.limit if where is not None else None
    stop = None if limit is None else offset + max(0, limit)
    return itertools.islice(items, offset, stop)


def page(results: Iterable[SampleResult], where: ResultFilter | None) -> Iterator[SampleResult]:
    """Skip `where.offset` results, then give at most `where.limit`."""
    return page_items(results, where)


def sort_key(dataset: str, result: SampleResult) -> tuple[str, str, str]:
    """The order every store gives results in."""
    return dataset, result.subset, str(result.sample_id)


__all__ = [
    "effective_status",
    "matches",
    "needs_python_filter",
    "page",
    "page_items",
    "primary_score",
    "prompt_text",
    "search_texts",
    "sort_key",
    "value_text",
]
