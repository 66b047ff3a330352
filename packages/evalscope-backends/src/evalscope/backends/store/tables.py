"""SQL tables of the result store (SQLAlchemy Core).

Every per-sample table is keyed by (run_id, dataset, subset, sample_id), so saving a sample twice
(a rerun, a resumed run) updates its row instead of adding one. JSON columns hold cattrs-unstructured
records; timestamps are Unix seconds.

Plain `sa.Table`s with the columns the earlier SQLModel classes made (same types, nullability,
defaults and server defaults, so databases written by either are the same): importing sqlmodel and
pydantic cost every run ~0.13 s of CPU.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

metadata = sa.MetaData()

#: key text compared byte by byte on every database: PostgreSQL's default collation follows the
#: server's locale (en_US sorts "b" before "B10", ignores punctuation), SQLite compares bytes
KEY_TEXT = sa.String().with_variant(sa.String(collation="C"), "postgresql")


def _key(name: str) -> sa.Column[Any]:
    return sa.Column(name, KEY_TEXT, primary_key=True, nullable=False)


def _json(name: str) -> sa.Column[Any]:
    return sa.Column(name, sa.JSON, nullable=True)


def _text(name: str, default: str | None = "", server_default: str | None = None) -> sa.Column[Any]:
    """A text column: NOT NULL with a default, or nullable without one (`default=None`)."""
    if default is None:
        return sa.Column(name, sa.String(), nullable=True)
    return sa.Column(name, sa.String(), nullable=False, default=default, server_default=server_default)


def _seconds(name: str, nullable: bool = False) -> sa.Column[Any]:
    if nullable:
        return sa.Column(name, sa.Float, nullable=True)
    return sa.Column(name, sa.Float, nullable=False, default=0.0)


#: one run: who was evaluated, with which (redacted) configuration, and how it stands. `run_id` is
#: unique across machines (many runs share one database); `name` is the run dir's name;
#: `model_identity` prefixes the run's request keys, so `--stage review` finds its predictions
runs = sa.Table(
    "runs",
    metadata,
    _key("run_id"),
    _text("model_id"),
    _text("work_dir"),
    _json("config"),
    _seconds("started_at"),
    _seconds("updated_at"),
    _text("name", server_default=""),
    _text("model_identity", server_default=""),
    _text("kind", "eval", server_default="eval"),
    _text("status", "running", server_default="running"),
    _seconds("finished_at", nullable=True),
    _json("datasets"),
    _json("planned"),
)

#: the benchmark item a result answers (the structured `Sample`)
samples = sa.Table(
    "samples", metadata, _key("run_id"), _key("dataset"), _key("subset"), _key("sample_id"), _json("input")
)

#: what the model returned for one sample; `status` predicted or error (NULL in rows written before
#: statuses: derived from `error`)
predictions = sa.Table(
    "predictions",
    metadata,
    _key("run_id"),
    _key("dataset"),
    _key("subset"),
    _key("sample_id"),
    _text("request_key"),
    _json("output"),
    _text("error", None),
    _seconds("created_at"),
    _text("status", None),
)

#: the review of one prediction: filtered text, extracted prediction, gold and scores; `status`
#: scored, error, invalid or skipped (NULL in rows written before statuses: derived from `error`);
#: `details` review extras (a judge's prompt and verdict, a sandbox's report...)
scores = sa.Table(
    "scores",
    metadata,
    _key("run_id"),
    _key("dataset"),
    _key("subset"),
    _key("sample_id"),
    _text("filtered", None),
    _json("prediction"),
    _json("gold"),
    _json("scores"),
    _json("category"),
    _text("error", None),
    _seconds("created_at"),
    _text("status", None),
    _json("details"),
)

#: the aggregated report of one dataset in one run
reports = sa.Table(
    "reports", metadata, _key("run_id"), _key("dataset"), _json("report"), _seconds("created_at")
)

TABLES: list[sa.Table] = [runs, samples, predictions, scores, reports]
