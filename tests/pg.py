"""A PostgreSQL database per test, on the server named by EVALSCOPE_TEST_PG_URL.

`scripts/test.sh` (the README's test command, which `.ci/run` runs) starts a throwaway server
(`scripts/pg_test_server.sh`), sets the variable and EVALSCOPE_REQUIRE_PG=1, so those runs always
run the PostgreSQL tests: a missing server is then a failure, never a silent skip. A bare `pytest`
elsewhere skips them with the reason (and fails under CI too).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

PG_ENV = "EVALSCOPE_TEST_PG_URL"
PG_KIND = "postgresql"
SQL_KINDS = ("sqlite", PG_KIND)


def pg_server_url() -> str:
    """The server URL from the environment; skips (or fails under CI) when there is none."""
    url = os.environ.get(PG_ENV)
    if not url:
        reason = f"{PG_ENV} is not set (start a server: eval \"$(bash scripts/pg_test_server.sh start)\")"
        if os.environ.get("EVALSCOPE_REQUIRE_PG") == "1" or os.environ.get("CI"):
            pytest.fail(f"the PostgreSQL store tests must run here: {reason}")
        pytest.skip(reason)
    return url


def _admin(url: str):  # type: ignore[no-untyped-def]
    import sqlalchemy as sa

    admin = sa.make_url(url).set(drivername="postgresql+psycopg")
    return sa.create_engine(admin, isolation_level="AUTOCOMMIT")


@contextmanager
def pg_database() -> Iterator[str]:
    """A fresh, empty database on the test server (dropped afterwards); yields its URL."""
    import sqlalchemy as sa

    url = pg_server_url()
    name = f"t_{uuid.uuid4().hex[:16]}"
    engine = _admin(url)
    try:
        with engine.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        yield sa.make_url(url).set(database=name).render_as_string(hide_password=False)
    finally:
        with engine.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()
