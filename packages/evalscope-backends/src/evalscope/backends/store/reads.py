"""SQL for the store's read side: per-sample results with `ResultFilter` pushed down where SQL can.

Dataset, subset, status, sample ids and paging become SQL. `passed` and `search` are decided by
`evalscope.core.stores.query.matches` in Python after SQL has narrowed the rows (status = scored;
a LIKE over the JSON text when the search term survives JSON escaping unchanged), so both stores
agree on what a filter means. Rows come ordered by (dataset, subset, sample_id).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa

from evalscope.backends.store.tables import predictions, samples, scores
from evalscope.core.ports import ResultFilter
from evalscope.core.serialization import structure
from evalscope.core.stores.query import effective_status, needs_python_filter
from evalscope.core.types import SampleKey, SampleResult, SampleStatus, TokenLogprob

KEY = ("run_id", "dataset", "subset", "sample_id")
REVIEW_STATUSES = ("scored", "error", "invalid", "skipped")


def _joined(other: sa.Table) -> Any:
    return sa.and_(*(predictions.c[k] == other.c[k] for k in KEY))


def status_expression() -> Any:
    """`effective_status` in SQL: a review's own status, else derived from the errors."""
    p, sc = predictions, scores
    review = sa.case(
        (sc.c.status.in_(REVIEW_STATUSES), sc.c.status),
        (sc.c.error.is_not(None), sa.literal("error")),
        else_=sa.literal("scored"),
    )
    prediction = sa.case(
        (sa.or_(p.c.status == "error", p.c.error.is_not(None)), sa.literal("error")),
        else_=sa.literal("predicted"),
    )
    return sa.case((sc.c.sample_id.is_not(None), review), else_=prediction)


def results_query(run_id: str) -> sa.Select:
    p, s, sc = predictions, samples, scores
    return sa.select(
        p.c.dataset,
        p.c.subset,
        p.c.sample_id,
        p.c.request_key,
        p.c.output,
        p.c.error.label("prediction_error"),
        p.c.status.label("prediction_status"),
        s.c.input,
        sc.c.sample_id.label("reviewed"),
        sc.c.filtered,
        sc.c.prediction,
        sc.c.gold,
        sc.c.scores,
        sc.c.category,
        sc.c.error,
        sc.c.status,
        sc.c.details,
    ).select_from(p.outerjoin(s, _joined(s)).outerjoin(sc, _joined(sc))).where(p.c.run_id == run_id)


def _searchable_in_sql(term: str) -> bool:
    """Whether a LIKE over stored JSON text finds every row Python's search finds.

    JSON escapes quotes, backslashes and control characters, and SQL's case folding covers ASCII
    only: a term with those, or with cased letters beyond ASCII, is searched in Python alone.
    """
    for ch in term:
        if ch in '"\\' or unicodedata.category(ch).startswith("C"):
            return False
        if ord(ch) > 127 and (ch.lower() != ch or ch.upper() != ch):
            return False
    return True


def narrow(query: sa.Select, where: ResultFilter | None) -> sa.Select:
    """Add every condition of `where` that SQL can decide (a superset of the final rows)."""
    if where is None:
        return query
    p, s, sc = predictions, samples, scores
    if where.dataset is not None:
        query = query.where(p.c.dataset == where.dataset)
    if where.subset is not None:
        query = query.where(p.c.subset == where.subset)
    if where.sample_ids is not None:
        query = query.where(p.c.sample_id.in_([str(i) for i in where.sample_ids]))
    status = where.status
    if where.passed is not None:
        if status is not None and SampleStatus(status) != SampleStatus.SCORED:
            return query.where(sa.false())
        status = SampleStatus.SCORED
    if status is not None:
        query = query.where(status_expression() == SampleStatus(status).value)
    if where.search and _searchable_in_sql(where.search):
        term = where.search.lower()
        columns = [s.c.input, p.c.output, sc.c.prediction, sc.c.gold]
        query = query.where(
            sa.or_(*(sa.func.lower(sa.cast(c, sa.Text)).contains(term, autoescape=True) for c in columns))
        )
    return query


def ordered(query: sa.Select) -> sa.Select:
    p = predictions
    return query.order_by(p.c.dataset, p.c.subset, p.c.sample_id)


def paged(query: sa.Select, where: ResultFilter | None) -> sa.Select:
    """LIMIT/OFFSET in SQL, when nothing is left for Python to filter."""
    if where is None or needs_python_filter(where):
        return query
    if where.offset:
        query = query.offset(where.offset)
    if where.limit is not None:
        query = query.limit(max(0, where.limit))
    return query


def after(query: sa.Select, last: tuple[str, str, str] | None) -> sa.Select:
    """Keyset paging: rows past `last` in (dataset, subset, sample_id) order."""
    if last is None:
        return query
    p = predictions
    return query.where(sa.tuple_(p.c.dataset, p.c.subset, p.c.sample_id) > sa.tuple_(*last))


def _fix_logprobs(result: SampleResult) -> SampleResult:
    """Core's converter leaves `list[TokenLogprob] | None` as dicts (its plain-union hook); mend it here."""
    logprobs = result.output.logprobs
    if logprobs and isinstance(logprobs[0], dict):
        result.output.logprobs = [structure(item, TokenLogprob) for item in logprobs]
    return result


def to_result(row: Any) -> SampleResult:
    """A SampleResult from a `results_query` row: the prediction, with its review where there is one."""
    reviewed = row.reviewed is not None
    data: dict[str, Any] = {
        "sample_id": row.sample_id,
        "subset": row.subset,
        "request_key": row.request_key,
        "output": row.output or {},
        "sample": row.input,
        "error": row.prediction_error,
        # no column of its own: a later repeat's row is keyed `<item id>@r<k>` (`SampleKey`)
        "repeat": SampleKey.repeat_of(row.sample_id, (row.input or {}).get("id")),
    }
    if reviewed:
        data.update(
            filtered=row.filtered,
            prediction=row.prediction,
            gold=row.gold,
            scores=row.scores or {},
            category=row.category or [],
            error=row.error,
            details=row.details or {},
        )
    result = _fix_logprobs(structure(data, SampleResult))
    recorded = row.status if reviewed else row.prediction_status
    result.status = effective_status(recorded, reviewed=reviewed, error=result.error)
    return result


def iter_rows(fetch: Any, query: sa.Select, batch: int) -> Iterator[Any]:
    """All rows of an ordered results query, `batch` at a time (keyset paging, no long transaction)."""
    last: tuple[str, str, str] | None = None
    while True:
        rows = fetch(after(query, last).limit(batch))
        yield from rows
        if len(rows) < batch:
            return
        tail = rows[-1]
        last = (tail.dataset, tail.subset, tail.sample_id)
