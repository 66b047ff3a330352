"""SQL tables of the result store (sqlmodel).

Every per-sample table is keyed by (run_id, dataset, subset, sample_id), so saving a sample twice
(a rerun, a resumed run) updates its row instead of adding one. JSON columns hold cattrs-unstructured
records; timestamps are Unix seconds.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel


def _json() -> Any:
    return Field(default=None, sa_column=sa.Column(sa.JSON, nullable=True))


#: key text compared byte by byte on every database: PostgreSQL's default collation follows the
#: server's locale (en_US sorts "b" before "B10", ignores punctuation), SQLite compares bytes
KEY_TEXT = sa.String().with_variant(sa.String(collation="C"), "postgresql")


def _key() -> Any:
    return Field(primary_key=True, sa_type=KEY_TEXT)


class RunRow(SQLModel, table=True):
    """One run: who was evaluated, with which (redacted) configuration, and how it stands.

    `run_id` is unique across machines (many runs share one database); `name` is the run dir's name.
    `model_identity` prefixes the run's request keys, so `--stage review` finds its predictions.
    """

    __tablename__ = "runs"

    run_id: str = _key()
    model_id: str = ""
    work_dir: str = ""
    config: Any = _json()
    started_at: float = 0.0
    updated_at: float = 0.0
    name: str = Field(default="", sa_column_kwargs={"server_default": ""})
    model_identity: str = Field(default="", sa_column_kwargs={"server_default": ""})
    kind: str = Field(default="eval", sa_column_kwargs={"server_default": "eval"})
    status: str = Field(default="running", sa_column_kwargs={"server_default": "running"})
    finished_at: float | None = None
    datasets: Any = _json()
    planned: Any = _json()


class SampleRow(SQLModel, table=True):
    """The benchmark item a result answers (the structured `Sample`)."""

    __tablename__ = "samples"

    run_id: str = _key()
    dataset: str = _key()
    subset: str = _key()
    sample_id: str = _key()
    input: Any = _json()


class PredictionRow(SQLModel, table=True):
    """What the model returned for one sample."""

    __tablename__ = "predictions"

    run_id: str = _key()
    dataset: str = _key()
    subset: str = _key()
    sample_id: str = _key()
    request_key: str = ""
    output: Any = _json()
    error: str | None = None
    created_at: float = 0.0
    #: predicted or error (NULL in rows written before statuses: derived from `error`)
    status: str | None = None


class ScoreRow(SQLModel, table=True):
    """The review of one prediction: filtered text, extracted prediction, gold and scores."""

    __tablename__ = "scores"

    run_id: str = _key()
    dataset: str = _key()
    subset: str = _key()
    sample_id: str = _key()
    filtered: str | None = None
    prediction: Any = _json()
    gold: Any = _json()
    scores: Any = _json()
    category: Any = _json()
    error: str | None = None
    created_at: float = 0.0
    #: scored, error, invalid or skipped (NULL in rows written before statuses: derived from `error`)
    status: str | None = None
    #: review extras: a judge's prompt and verdict, a sandbox's report...
    details: Any = _json()


class ReportRow(SQLModel, table=True):
    """The aggregated report of one dataset in one run."""

    __tablename__ = "reports"

    run_id: str = _key()
    dataset: str = _key()
    report: Any = _json()
    created_at: float = 0.0


TABLES: list[sa.Table] = [
    RunRow.__table__,  # type: ignore[attr-defined]  # SQLModel adds __table__ at class creation
    SampleRow.__table__,  # type: ignore[attr-defined]  # SQLModel adds __table__ at class creation
    PredictionRow.__table__,  # type: ignore[attr-defined]  # SQLModel adds __table__ at class creation
    ScoreRow.__table__,  # type: ignore[attr-defined]  # SQLModel adds __table__ at class creation
    ReportRow.__table__,  # type: ignore[attr-defined]  # SQLModel adds __table__ at class creation
]
