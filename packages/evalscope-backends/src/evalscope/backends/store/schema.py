"""Create the store's tables, and bring a database written by an older version up to date.

Older databases lack columns added since (run names and identities, per-sample statuses and
details). They are added with ALTER TABLE ... ADD COLUMN when a store connects: additive only, so
older readers keep working and no row is rewritten. Several processes may connect at once; a table
or column that another process created a moment earlier is not an error; on PostgreSQL the check
and the creation happen under a transaction-level advisory lock, so concurrent first connections queue
instead of colliding in the catalog.
"""

from __future__ import annotations

import time

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError

from evalscope.backends.store.tables import TABLES

_RACES = ("already exists", "duplicate column", "duplicate key", "locked", "busy")
#: the PostgreSQL advisory lock key under which schemas are created and migrated ("evalscop")
_PG_SCHEMA_LOCK = 0x6576616C73636F70


def _missing_columns(conn: sa.Connection) -> list[tuple[sa.Table, sa.Column]]:
    inspector = sa.inspect(conn)
    present_tables = set(inspector.get_table_names())
    out: list[tuple[sa.Table, sa.Column]] = []
    for table in TABLES:
        if table.name not in present_tables:
            continue
        present = {c["name"] for c in inspector.get_columns(table.name)}
        out.extend((table, column) for column in table.columns if column.name not in present)
    return out


def _add_column(conn: sa.Connection, table: sa.Table, column: sa.Column) -> None:
    """ALTER TABLE t ADD COLUMN, spelled by the dialect (type, default, NOT NULL)."""
    if column.primary_key:
        raise RuntimeError(f"{table.name}.{column.name}: a key column cannot be added to an existing table")
    spec = sa.schema.CreateColumn(column).compile(dialect=conn.dialect)
    preparer = conn.dialect.identifier_preparer
    conn.execute(sa.text(f"ALTER TABLE {preparer.format_table(table)} ADD COLUMN {spec}"))


def prepare(engine: sa.Engine, attempts: int = 8) -> list[str]:
    """Create missing tables and add missing columns; returns the `table.column`s added."""
    added: list[str] = []
    for attempt in range(attempts):
        try:
            with engine.begin() as conn:
                if conn.dialect.name == "postgresql":
                    conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_SCHEMA_LOCK})
                for table in TABLES:
                    table.create(conn, checkfirst=True)
                for table, column in _missing_columns(conn):
                    _add_column(conn, table, column)
                    added.append(f"{table.name}.{column.name}")
            return added
        except (OperationalError, ProgrammingError, IntegrityError) as exc:
            if not any(race in str(exc).lower() for race in _RACES) or attempt == attempts - 1:
                raise
            added.clear()
            time.sleep(0.05 * (attempt + 1))
    return added
