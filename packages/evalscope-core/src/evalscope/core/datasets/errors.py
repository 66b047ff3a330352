"""Errors of dataset resolution and reading."""

from __future__ import annotations

from typing import Any


class DatasetUnavailableError(RuntimeError):
    """No source could provide a dataset; the message says where we looked and how to go offline."""


class DatasetFormatError(ValueError):
    """A dataset file that cannot be read as records, or a record a benchmark cannot use.

    The message names the file and line, or the row's id, and what was expected. Not a
    DatasetUnavailableError: a broken file must never be skipped as if it were absent.
    """


def describe_row(records: Any, index: int, record: Any) -> str:
    """`file:line (row id 'q7')` for the `index`-th record, as far as it is known.

    `records` may be a `Records` list (from `read_records`) that knows its file and each record's
    line; any other list gives just the row number and id.
    """
    from evalscope.core.serialization import short_repr

    where = []
    path = getattr(records, "path", None)
    lines = getattr(records, "lines", None)
    if path is not None:
        line = lines[index] if lines and index < len(lines) else None
        where.append(f"{path}:{line}" if line else str(path))
    row_id = record.get("id") if isinstance(record, dict) else None
    label = f"row id {short_repr(row_id, 40)}" if row_id not in (None, "") else f"row {index + 1}"
    return f"{' '.join(where)} ({label})" if where else label
